#ifndef POLLHOOK_WEBHOOK_SIGN_H
#define POLLHOOK_WEBHOOK_SIGN_H

#include <stddef.h>

/*
 * Webhook signatures, HMAC-SHA256 in the three schemes receivers know:
 *
 *   standard  Standard Webhooks: webhook-id, webhook-timestamp and
 *             webhook-signature "v1,<base64>" over "id.timestamp.body";
 *             secrets are "whsec_<base64>" and the key is the decoded part;
 *             one signature per secret, space separated, for rotation.
 *   zoom      x-zm-request-timestamp and x-zm-signature "v0=<hex>" over
 *             "v0:timestamp:body"; the secret is used as is.
 *   github    X-Hub-Signature-256 "sha256=<hex>" over the body; no
 *             timestamp, the secret is used as is.
 *   websub    X-Hub-Signature "sha256=<hex>" over the body (WebSub's
 *             hub.secret); the secret is used as is.
 *   none      no header at all.
 *
 * zoom and github carry a single signature, so signing uses the first
 * secret only; verifying accepts any of the secrets, so a receiver can
 * rotate by listing the old and the new one.
 */

enum sign_scheme {
	SIGN_NONE,
	SIGN_STANDARD,
	SIGN_ZOOM,
	SIGN_GITHUB,
	SIGN_WEBSUB
};

#define SIGN_MAX_HEADERS	3	/* headers one signed request carries */
#define SIGN_MAX_SECRETS	8	/* secrets active at once (rotation) */
#define SIGN_NAME_MAX		32	/* header name, NUL included */
#define SIGN_VALUE_MAX		1024	/* header value, NUL included */
#define SIGN_TOLERANCE		300	/* seconds, Standard Webhooks' default */

/* A header with its storage inline, so it can be copied freely. */
struct sign_header {
	char	name[SIGN_NAME_MAX];
	char	value[SIGN_VALUE_MAX];
};

/* Returns the scheme called name ("standard", ...), or -1 if unknown. */
int sign_scheme_parse(const char *name);
/* Returns the name of scheme, a static string ("?" if out of range). */
const char *sign_scheme_name(int scheme);
/* Checks secret is usable by scheme; -1 with a message in err if not. */
int sign_check_secret(int scheme, const char *secret, char *err, size_t errlen);
/*
 * Fills out[] with the headers signing body for delivery id at Unix time ts
 * and sets *nout (0 for none; at most SIGN_MAX_HEADERS). id is used by
 * standard only. Returns 0, or -1 on a bad secret, too many secrets or a
 * value that does not fit.
 */
int sign_headers(int scheme, char *const *secrets, size_t nsecrets,
    const char *id, long long ts, const char *body, size_t bodylen,
    struct sign_header *out, size_t *nout);
/*
 * Writes into hex (65 bytes) the hex HMAC-SHA256 of msg under secret's key
 * as scheme reads it (the decoded bytes of whsec_ for standard, the string
 * itself otherwise): the answer to a URL validation challenge. Returns 0 or -1.
 */
int sign_hmac_hex(int scheme, const char *secret, const char *msg, size_t len, char *hex);
/*
 * Returns 1 if headers carry a valid signature of body by one of secrets
 * and, where the scheme has a timestamp, it is within tolerance seconds of
 * now (tolerance 0: not checked). Returns 0 otherwise, with the reason in
 * why. Header names match case-insensitively; none never verifies.
 */
int sign_verify(int scheme, char *const *secrets, size_t nsecrets,
    const struct sign_header *headers, size_t nheaders,
    const char *body, size_t bodylen, long long now, long long tolerance,
    char *why, size_t whylen);

#endif
