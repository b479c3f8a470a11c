#ifndef POLLHOOK_CERTDAYS_H
#define POLLHOOK_CERTDAYS_H

/* Days until a certificate expires, for the pollers that report cert_days_left. */

#include <stdbool.h>

#include <openssl/x509.h>

/*
 * Returns the days (fractional; negative once expired) from now to the
 * notAfter of cert, or sets *ok false when it has none that OpenSSL reads.
 */
double certdays_left(const X509 *cert, bool *ok);

#endif
