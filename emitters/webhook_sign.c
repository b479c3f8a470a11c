/*
 * Webhook signatures: the headers a delivery carries and their verification
 * (pollhook verify, the tests). HMAC-SHA256 through OpenSSL 3's EVP_MAC;
 * see sign.h for the schemes.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "util.h"
#include "webhook_sign.h"

#define MAC_LEN		32			/* SHA-256 */
#define MAC_B64_LEN	44			/* base64 of 32 bytes, padded */
#define MAC_HEX_LEN	(2 * MAC_LEN)
#define KEY_MAX		256			/* decoded whsec_ key, bytes */
#define WHSEC		"whsec_"

struct part {
	const void	*p;
	size_t		 n;
};

static const char *const scheme_names[] = {
	[SIGN_NONE] = "none",
	[SIGN_STANDARD] = "standard",
	[SIGN_ZOOM] = "zoom",
	[SIGN_GITHUB] = "github",
	[SIGN_WEBSUB] = "websub",
};

#define NSCHEMES	(sizeof(scheme_names) / sizeof(scheme_names[0]))

static void say(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes a message to an optional buffer: callers may pass NULL, 0. */
static void
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int
hmac_sha256(const unsigned char *key, size_t keylen, const struct part *parts,
    size_t nparts, unsigned char out[MAC_LEN])
{
	static char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end()
	};
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx = NULL;
	size_t outlen = 0;
	int rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	if (!EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n > 0 && !EVP_MAC_update(ctx, parts[i].p, parts[i].n))
			goto out;
	if (!EVP_MAC_final(ctx, out, &outlen, MAC_LEN) || outlen != MAC_LEN)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Decodes exactly 2 * n hex digits (either case) into out. */
static int
hex_decode(const char *in, unsigned char *out, size_t n)
{
	if (strlen(in) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)in[2 * i]), lo = hex_digit((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decodes padded standard base64 of len characters into out (room for
 * max bytes). EVP_DecodeBlock skips whitespace, accepts bad padding and
 * counts the padding as zero bytes, so the input is checked here first
 * and the padding subtracted from its length.
 */
static int
b64_decode(const char *in, size_t len, unsigned char *out, size_t max,
    size_t *outlen, char *err, size_t errlen)
{
	size_t pad = 0;
	int n;

	if (len % 4 != 0) {
		say(err, errlen, "length %zu is not a multiple of 4 (missing '=' padding?)", len);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=' && i >= len - 2) {
			pad++;
			continue;
		}
		if (!is_b64(in[i]) || pad > 0) {
			say(err, errlen, "invalid character '%c' at offset %zu",
			    isprint((unsigned char)in[i]) ? in[i] : '?', i);
			return -1;
		}
	}
	if (len / 4 * 3 > max) {
		say(err, errlen, "too long (max %zu bytes)", max);
		return -1;
	}
	n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		say(err, errlen, "invalid base64");
		return -1;
	}
	*outlen = (size_t)n - pad;
	return 0;
}

/* Returns the HMAC key of secret for scheme in key, *keylen bytes. */
static int
secret_key(int scheme, const char *secret, unsigned char key[KEY_MAX],
    size_t *keylen, char *err, size_t errlen)
{
	char why[128];
	size_t n;

	if (secret == NULL || *secret == '\0') {
		say(err, errlen, "secret is empty");
		return -1;
	}
	if (scheme != SIGN_STANDARD) {
		n = strlen(secret);
		for (size_t i = 0; i < n; i++)
			if (iscntrl((unsigned char)secret[i])) {
				/* Almost always the newline of a secret_file. */
				say(err, errlen, "secret contains a control character "
				    "at offset %zu (a trailing newline?)", i);
				return -1;
			}
		if (n > KEY_MAX) {
			say(err, errlen, "secret is too long (max %d bytes)", KEY_MAX);
			return -1;
		}
		memcpy(key, secret, n);
		*keylen = n;
		return 0;
	}
	if (strncmp(secret, WHSEC, strlen(WHSEC)) != 0) {
		say(err, errlen, "standard webhook secrets start with \"" WHSEC
		    "\" followed by the base64 key");
		return -1;
	}
	secret += strlen(WHSEC);
	if (*secret == '\0') {
		say(err, errlen, "secret has no key after \"" WHSEC "\"");
		return -1;
	}
	if (b64_decode(secret, strlen(secret), key, KEY_MAX, keylen,
	    why, sizeof(why)) == -1) {
		say(err, errlen, "secret key after \"" WHSEC "\" is not valid base64: %s", why);
		return -1;
	}
	if (*keylen == 0) {
		say(err, errlen, "secret key after \"" WHSEC "\" decodes to nothing");
		return -1;
	}
	return 0;
}

/* The MAC of body under secret, with the scheme's framing around it. */
static int
scheme_mac(int scheme, const char *secret, const char *id, const char *ts,
    const char *body, size_t bodylen, unsigned char mac[MAC_LEN],
    char *err, size_t errlen)
{
	unsigned char key[KEY_MAX];
	size_t keylen = 0;
	struct part parts[5];
	size_t n = 0;
	int rc = -1;

	if (secret_key(scheme, secret, key, &keylen, err, errlen) == -1)
		goto out;
	switch (scheme) {
	case SIGN_STANDARD:
		parts[n++] = (struct part){ id, strlen(id) };
		parts[n++] = (struct part){ ".", 1 };
		parts[n++] = (struct part){ ts, strlen(ts) };
		parts[n++] = (struct part){ ".", 1 };
		break;
	case SIGN_ZOOM:
		parts[n++] = (struct part){ "v0:", 3 };
		parts[n++] = (struct part){ ts, strlen(ts) };
		parts[n++] = (struct part){ ":", 1 };
		break;
	case SIGN_GITHUB:
	case SIGN_WEBSUB:
		break;
	default:
		say(err, errlen, "scheme %s has no signature", sign_scheme_name(scheme));
		goto out;
	}
	parts[n++] = (struct part){ body, bodylen };
	if (hmac_sha256(key, keylen, parts, n, mac) == -1) {
		say(err, errlen, "HMAC-SHA256 failed in OpenSSL");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

static int
set_header(struct sign_header *h, const char *name, const char *value)
{
	int n;

	n = snprintf(h->name, sizeof(h->name), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(h->name))
		return -1;
	n = snprintf(h->value, sizeof(h->value), "%s", value);
	if (n < 0 || (size_t)n >= sizeof(h->value))
		return -1;
	return 0;
}

/* Header values go on the wire verbatim: no CR, LF or other control. */
static int
header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (iscntrl((unsigned char)*s))
			return 0;
	return 1;
}

int
sign_scheme_parse(const char *name)
{
	for (size_t i = 0; i < NSCHEMES; i++)
		if (strcmp(name, scheme_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
sign_scheme_name(int scheme)
{
	if (scheme < 0 || (size_t)scheme >= NSCHEMES)
		return "?";
	return scheme_names[scheme];
}

int
sign_check_secret(int scheme, const char *secret, char *err, size_t errlen)
{
	unsigned char key[KEY_MAX];
	size_t keylen;
	int rc;

	switch (scheme) {
	case SIGN_NONE:
		return 0;
	case SIGN_STANDARD:
	case SIGN_ZOOM:
	case SIGN_GITHUB:
	case SIGN_WEBSUB:
		rc = secret_key(scheme, secret, key, &keylen, err, errlen);
		OPENSSL_cleanse(key, sizeof(key));
		return rc;
	default:
		say(err, errlen, "unknown signature scheme");
		return -1;
	}
}

int
sign_headers(int scheme, char *const *secrets, size_t nsecrets,
    const char *id, long long ts, const char *body, size_t bodylen,
    struct sign_header *out, size_t *nout)
{
	unsigned char mac[MAC_LEN];
	char tsbuf[32], sig[SIGN_VALUE_MAX], enc[MAC_HEX_LEN + 1];
	size_t off = 0;
	int n, rc = -1;

	*nout = 0;
	if (scheme == SIGN_NONE)
		return 0;
	if (nsecrets == 0 || nsecrets > SIGN_MAX_SECRETS)
		goto out;
	snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	switch (scheme) {
	case SIGN_STANDARD:
		if (id == NULL || *id == '\0' || !header_safe(id))
			goto out;
		for (size_t i = 0; i < nsecrets; i++) {
			if (scheme_mac(scheme, secrets[i], id, tsbuf, body, bodylen,
			    mac, NULL, 0) == -1)
				goto out;
			EVP_EncodeBlock((unsigned char *)enc, mac, MAC_LEN);
			n = snprintf(sig + off, sizeof(sig) - off, "%sv1,%s",
			    i > 0 ? " " : "", enc);
			if (n < 0 || (size_t)n >= sizeof(sig) - off)
				goto out;
			off += (size_t)n;
		}
		if (set_header(&out[0], "webhook-id", id) == -1 ||
		    set_header(&out[1], "webhook-timestamp", tsbuf) == -1 ||
		    set_header(&out[2], "webhook-signature", sig) == -1)
			goto out;
		*nout = 3;
		break;
	case SIGN_ZOOM:
		/* One signature per request: the first secret is the current one. */
		if (scheme_mac(scheme, secrets[0], NULL, tsbuf, body, bodylen,
		    mac, NULL, 0) == -1)
			goto out;
		hex_encode(mac, MAC_LEN, enc);
		snprintf(sig, sizeof(sig), "v0=%s", enc);
		if (set_header(&out[0], "x-zm-request-timestamp", tsbuf) == -1 ||
		    set_header(&out[1], "x-zm-signature", sig) == -1)
			goto out;
		*nout = 2;
		break;
	case SIGN_GITHUB:
		if (scheme_mac(scheme, secrets[0], NULL, NULL, body, bodylen,
		    mac, NULL, 0) == -1)
			goto out;
		hex_encode(mac, MAC_LEN, enc);
		snprintf(sig, sizeof(sig), "sha256=%s", enc);
		if (set_header(&out[0], "X-Hub-Signature-256", sig) == -1)
			goto out;
		*nout = 1;
		break;
	case SIGN_WEBSUB:
		if (scheme_mac(scheme, secrets[0], NULL, NULL, body, bodylen,
		    mac, NULL, 0) == -1)
			goto out;
		hex_encode(mac, MAC_LEN, enc);
		snprintf(sig, sizeof(sig), "sha256=%s", enc);
		if (set_header(&out[0], "X-Hub-Signature", sig) == -1)
			goto out;
		*nout = 1;
		break;
	default:
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	if (rc == -1)
		*nout = 0;
	return rc;
}

static const char *
find_header(const struct sign_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

/* Parses a decimal Unix timestamp, the whole string. */
static int
parse_ts(const char *s, long long *ts)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*ts = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static int
check_time(const char *hname, const char *value, long long now,
    long long tolerance, char *why, size_t whylen)
{
	long long ts;

	if (parse_ts(value, &ts) == -1) {
		say(why, whylen, "malformed %s \"%.40s\" (want Unix seconds)", hname, value);
		return 0;
	}
	if (tolerance <= 0)
		return 1;
	/* Compared as differences, which cannot overflow for sane clocks. */
	if (ts < now && now - ts > tolerance) {
		say(why, whylen, "timestamp outside tolerance: %lld is %lld s "
		    "before now (tolerance %lld s)", ts, now - ts, tolerance);
		return 0;
	}
	if (ts > now && ts - now > tolerance) {
		say(why, whylen, "timestamp outside tolerance: %lld is %lld s "
		    "after now (tolerance %lld s)", ts, ts - now, tolerance);
		return 0;
	}
	return 1;
}

/* Returns 1 if got matches the MAC of one of the secrets, 0 if not, -1 on a bad secret. */
static int
match_any(int scheme, char *const *secrets, size_t nsecrets, const char *id,
    const char *ts, const char *body, size_t bodylen,
    const unsigned char got[MAC_LEN], char *why, size_t whylen)
{
	unsigned char mac[MAC_LEN];
	char err[160];
	int rc = 0;

	for (size_t i = 0; i < nsecrets && rc == 0; i++) {
		if (scheme_mac(scheme, secrets[i], id, ts, body, bodylen, mac,
		    err, sizeof(err)) == -1) {
			say(why, whylen, "secret %zu: %s", i + 1, err);
			rc = -1;
			break;
		}
		if (CRYPTO_memcmp(mac, got, MAC_LEN) == 0)
			rc = 1;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

static int
verify_standard(char *const *secrets, size_t nsecrets,
    const struct sign_header *h, size_t nh, const char *body, size_t bodylen,
    long long now, long long tolerance, char *why, size_t whylen)
{
	const char *id, *ts, *sigs, *p;
	unsigned char got[MAC_LEN + 3];
	char canon[MAC_B64_LEN + 1];
	size_t len, gotlen, seen = 0;
	int m;

	if ((id = find_header(h, nh, "webhook-id")) == NULL) {
		say(why, whylen, "missing header webhook-id");
		return 0;
	}
	if ((ts = find_header(h, nh, "webhook-timestamp")) == NULL) {
		say(why, whylen, "missing header webhook-timestamp");
		return 0;
	}
	if ((sigs = find_header(h, nh, "webhook-signature")) == NULL) {
		say(why, whylen, "missing header webhook-signature");
		return 0;
	}
	if (!check_time("webhook-timestamp", ts, now, tolerance, why, whylen))
		return 0;
	/* Space-separated "version,signature" tokens; other versions skipped. */
	for (p = sigs; *p != '\0'; p += len) {
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (len == 0)
			break;
		if (len != 3 + MAC_B64_LEN || strncmp(p, "v1,", 3) != 0)
			continue;
		if (b64_decode(p + 3, MAC_B64_LEN, got, sizeof(got), &gotlen,
		    NULL, 0) == -1 || gotlen != MAC_LEN)
			continue;
		/*
		 * The last character's low bits are padding that decoding drops;
		 * the official libraries compare the text, so "...E=" and "...F="
		 * must not both pass here.
		 */
		EVP_EncodeBlock((unsigned char *)canon, got, MAC_LEN);
		if (memcmp(canon, p + 3, MAC_B64_LEN) != 0)
			continue;
		seen++;
		m = match_any(SIGN_STANDARD, secrets, nsecrets, id, ts, body,
		    bodylen, got, why, whylen);
		if (m != 0)
			return m == 1;
	}
	if (seen == 0)
		say(why, whylen, "bad signature: no well-formed v1 signature in webhook-signature");
	else
		say(why, whylen, "bad signature: none of %zu v1 signature%s "
		    "matches the secret%s", seen, seen == 1 ? "" : "s",
		    nsecrets == 1 ? "" : "s");
	return 0;
}

/* zoom and github: one "prefix<hex>" header, zoom also a timestamp. */
static int
verify_hex(int scheme, char *const *secrets, size_t nsecrets,
    const struct sign_header *h, size_t nh, const char *body, size_t bodylen,
    long long now, long long tolerance, char *why, size_t whylen)
{
	const char *sname, *prefix, *sig, *ts = NULL;
	unsigned char got[MAC_LEN];
	int m;

	if (scheme == SIGN_ZOOM) {
		sname = "x-zm-signature";
		prefix = "v0=";
		if ((ts = find_header(h, nh, "x-zm-request-timestamp")) == NULL) {
			say(why, whylen, "missing header x-zm-request-timestamp");
			return 0;
		}
	} else {
		sname = "X-Hub-Signature-256";
		prefix = "sha256=";
	}
	if ((sig = find_header(h, nh, sname)) == NULL) {
		say(why, whylen, "missing header %s", sname);
		return 0;
	}
	if (ts != NULL &&
	    !check_time("x-zm-request-timestamp", ts, now, tolerance, why, whylen))
		return 0;
	if (strncmp(sig, prefix, strlen(prefix)) != 0 ||
	    hex_decode(sig + strlen(prefix), got, MAC_LEN) == -1) {
		say(why, whylen, "bad signature: %s is not \"%s\" and %d hex digits",
		    sname, prefix, MAC_HEX_LEN);
		return 0;
	}
	m = match_any(scheme, secrets, nsecrets, NULL, ts, body, bodylen, got,
	    why, whylen);
	if (m == 0)
		say(why, whylen, "bad signature: %s does not match the secret%s",
		    sname, nsecrets == 1 ? "" : "s");
	return m == 1;
}

int
sign_hmac_hex(int scheme, const char *secret, const char *msg, size_t len, char *hex)
{
	unsigned char key[KEY_MAX], mac[MAC_LEN];
	struct part part = { msg, len };
	size_t keylen;
	int rc = -1;

	if (secret_key(scheme, secret, key, &keylen, NULL, 0) == 0 &&
	    hmac_sha256(key, keylen, &part, 1, mac) == 0) {
		hex_encode(mac, MAC_LEN, hex);
		rc = 0;
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
sign_verify(int scheme, char *const *secrets, size_t nsecrets,
    const struct sign_header *headers, size_t nheaders,
    const char *body, size_t bodylen, long long now, long long tolerance,
    char *why, size_t whylen)
{
	say(why, whylen, "unknown");
	if (nsecrets == 0 && scheme != SIGN_NONE) {
		say(why, whylen, "no secret to verify with");
		return 0;
	}
	switch (scheme) {
	case SIGN_STANDARD:
		return verify_standard(secrets, nsecrets, headers, nheaders,
		    body, bodylen, now, tolerance, why, whylen);
	case SIGN_ZOOM:
	case SIGN_GITHUB:
		return verify_hex(scheme, secrets, nsecrets, headers, nheaders,
		    body, bodylen, now, tolerance, why, whylen);
	case SIGN_NONE:
		/* Nothing proves where an unsigned request came from. */
		say(why, whylen, "scheme none carries no signature to verify");
		return 0;
	default:
		say(why, whylen, "unknown signature scheme");
		return 0;
	}
}
