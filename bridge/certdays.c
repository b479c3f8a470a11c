#include "certdays.h"

#include <openssl/asn1.h>

double
certdays_left(const X509 *cert, bool *ok)
{
	const ASN1_TIME *na = cert != NULL ? X509_get0_notAfter(cert) : NULL;
	int days = 0, secs = 0;

	/* NULL: from now. */
	*ok = na != NULL && ASN1_TIME_diff(&days, &secs, NULL, na) == 1;
	return *ok ? days + secs / 86400.0 : 0;
}
