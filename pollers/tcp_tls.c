#include "tcp_tls.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "certdays.h"
#include "log.h"

const char *
tcp_tls_error(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		return "connection closed";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

SSL_CTX *
tcp_tls_ctx(const char *what, const char *ca_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		log_warnx("%s: cannot create a TLS context: %s", what, tcp_tls_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* The verdict is read after the handshake: see tcp_tls_peer. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if ((ca_file != NULL ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) :
	    SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		log_warnx("%s: cannot load the CAs of %s: %s", what,
		    ca_file != NULL ? ca_file : "the system", tcp_tls_error());
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL *
tcp_tls_new(SSL_CTX *ctx, int fd, const char *name)
{
	SSL *ssl = SSL_new(ctx);
	unsigned char ip[16];
	bool is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;

	if (ssl == NULL)
		return NULL;
	SSL_set_fd(ssl, fd);
	if (is_ip) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	} else {
		SSL_set_tlsext_host_name(ssl, name);
		SSL_set1_host(ssl, name);
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

void
tcp_tls_peer(SSL *ssl, struct tcp_tls_peer *p)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	X509 *leaf = SSL_get1_peer_certificate(ssl);
#else
	X509 *leaf = SSL_get_peer_certificate(ssl);
#endif
	long v = SSL_get_verify_result(ssl);

	p->days_left = certdays_left(leaf, &p->has_days);
	p->verified = leaf != NULL && v == X509_V_OK;
	p->why = leaf == NULL ? "no certificate" : X509_verify_cert_error_string(v);
	X509_free(leaf);
}
