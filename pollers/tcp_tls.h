#ifndef POLLHOOK_TCP_TLS_H
#define POLLHOOK_TCP_TLS_H

/*
 * The tcp poller's TLS client: OpenSSL contexts and one non-blocking
 * handshake per poll. Verification never stops a handshake: a certificate
 * that is untrusted, expired or for another name still gives its notAfter
 * (cert_days_left), and the verdict is a metric of its own (tls_verified).
 */

#include <stdbool.h>

#include <openssl/ssl.h>

/* Returns a new client context trusting ca_file (NULL: the system's CAs), or NULL after logging. */
SSL_CTX *tcp_tls_ctx(const char *what, const char *ca_file);
/*
 * Returns a new connection on fd for a handshake with the server name name
 * (SNI and the name verified; an IP address is verified as one, and sent
 * without SNI).
 */
SSL *tcp_tls_new(SSL_CTX *ctx, int fd, const char *name);
/* What a finished handshake learnt of the server's certificate. */
struct tcp_tls_peer {
	bool has_days;		/* days_left is set */
	double days_left;
	bool verified;		/* chain and name verified */
	const char *why;	/* when not verified: the reason (static) */
};
/* Fills *p from the finished handshake of ssl. */
void tcp_tls_peer(SSL *ssl, struct tcp_tls_peer *p);
/* Returns the reason of the last OpenSSL error of this thread (static), emptying the queue. */
const char *tcp_tls_error(void);

#endif
