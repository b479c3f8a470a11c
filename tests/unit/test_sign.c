/* Unit tests of webhook signing and verification against published vectors. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "webhook_sign.h"
#include "util.h"

/* The Standard Webhooks specification's example. */
#define SW_SECRET	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID		"msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS		1614265330LL
#define SW_BODY		"{\"test\": 2432232314}"
#define SW_SIG		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/*
 * A second secret with '=' padding (a 23-byte key) and its signature of the
 * same message, computed with Python's hmac/base64 when this test was
 * written:
 *   k = b"pollhook-rotation-key-0"
 *   base64.b64encode(hmac.new(k, b"msg_...ek.1614265330.{...}", sha256).digest())
 */
#define SW_SECRET2	"whsec_cG9sbGhvb2stcm90YXRpb24ta2V5LTA="
#define SW_SIG2		"v1,hSDDsVrn2dHOq0VAw2lyDHpxz0Cgdqt6n5rstGHX0Bo="

/* GitHub's documented example for X-Hub-Signature-256. */
#define GH_SECRET	"It's a Secret to Everybody"
#define GH_BODY		"Hello, World!"
#define GH_SIG		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

/*
 * Zoom publishes no vector: this one was computed with Python when the test
 * was written, independently of webhook_sign.c:
 *   hmac.new(b"zoom-secret-token-1", b"v0:1764393600:" + body, sha256).hexdigest()
 */
#define ZM_SECRET	"zoom-secret-token-1"
#define ZM_TS		1764393600LL
#define ZM_BODY		"{\"event\":\"cpu.high\",\"id\":\"evt_01KB70VH3V0000000000000000\"}"
#define ZM_SIG		"v0=6a87adda1b29a155cec0ff8cbf068948ac14397349388c797366a0d631bca398"

static char *sw_secrets[] = { SW_SECRET };
static char *sw_rotation[] = { SW_SECRET, SW_SECRET2 };
static char *gh_secrets[] = { GH_SECRET };
static char *zm_secrets[] = { ZM_SECRET };

static void
hdr(struct sign_header *h, const char *name, const char *value)
{
	snprintf(h->name, sizeof(h->name), "%s", name);
	snprintf(h->value, sizeof(h->value), "%s", value);
}

static int
verify(int scheme, char **secrets, size_t nsecrets, const struct sign_header *h,
    size_t nh, const char *body, long long now, char *why, size_t whylen)
{
	return sign_verify(scheme, secrets, nsecrets, h, nh, body, strlen(body),
	    now, SIGN_TOLERANCE, why, whylen);
}

/* The spec's three headers, with the given signature header value. */
static void
sw_headers(struct sign_header h[3], const char *sig)
{
	hdr(&h[0], "webhook-id", SW_ID);
	hdr(&h[1], "webhook-timestamp", "1614265330");
	hdr(&h[2], "webhook-signature", sig);
}

static void
test_scheme_parse(void **unused)
{
	(void)unused;
	assert_int_equal(sign_scheme_parse("standard"), SIGN_STANDARD);
	assert_int_equal(sign_scheme_parse("zoom"), SIGN_ZOOM);
	assert_int_equal(sign_scheme_parse("github"), SIGN_GITHUB);
	assert_int_equal(sign_scheme_parse("none"), SIGN_NONE);
	assert_int_equal(sign_scheme_parse("Standard"), -1);
	assert_int_equal(sign_scheme_parse(""), -1);
	assert_string_equal(sign_scheme_name(SIGN_ZOOM), "zoom");
	assert_string_equal(sign_scheme_name(42), "?");
}

static void
test_standard_vector(void **unused)
{
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_STANDARD, sw_secrets, 1, SW_ID, SW_TS,
	    SW_BODY, strlen(SW_BODY), h, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(h[0].name, "webhook-id");
	assert_string_equal(h[0].value, SW_ID);
	assert_string_equal(h[1].name, "webhook-timestamp");
	assert_string_equal(h[1].value, "1614265330");
	assert_string_equal(h[2].name, "webhook-signature");
	assert_string_equal(h[2].value, SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, n, SW_BODY,
	    SW_TS, why, sizeof(why)), 1);
}

static void
test_github_vector(void **unused)
{
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_GITHUB, gh_secrets, 1, NULL, 0,
	    GH_BODY, strlen(GH_BODY), h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].name, "X-Hub-Signature-256");
	assert_string_equal(h[0].value, GH_SIG);
	/* No timestamp: any "now" will do. */
	assert_int_equal(verify(SIGN_GITHUB, gh_secrets, 1, h, n, GH_BODY, 0,
	    why, sizeof(why)), 1);
	assert_int_equal(verify(SIGN_GITHUB, gh_secrets, 1, h, n, "Hello, World?",
	    0, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bad signature"));
}

/* GitHub and Zoom carry one signature: the first secret signs. */
static void
test_single_signature_schemes_use_first_secret(void **unused)
{
	char *two[] = { GH_SECRET, "another secret" };
	char *two_rev[] = { "another secret", GH_SECRET };
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_GITHUB, two, 2, NULL, 0, GH_BODY,
	    strlen(GH_BODY), h, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].value, GH_SIG);
	/* Verifying accepts any listed secret, in any position. */
	assert_int_equal(verify(SIGN_GITHUB, two_rev, 2, h, n, GH_BODY, 0,
	    why, sizeof(why)), 1);
}

static void
test_zoom_vector(void **unused)
{
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_ZOOM, zm_secrets, 1, "ignored", ZM_TS,
	    ZM_BODY, strlen(ZM_BODY), h, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0].name, "x-zm-request-timestamp");
	assert_string_equal(h[0].value, "1764393600");
	assert_string_equal(h[1].name, "x-zm-signature");
	assert_string_equal(h[1].value, ZM_SIG);
	assert_int_equal(verify(SIGN_ZOOM, zm_secrets, 1, h, n, ZM_BODY,
	    ZM_TS + 10, why, sizeof(why)), 1);
	/* Zoom's timestamp is checked like Standard Webhooks'. */
	assert_int_equal(verify(SIGN_ZOOM, zm_secrets, 1, h, n, ZM_BODY,
	    ZM_TS + 301, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "timestamp outside tolerance"));
	/* Upper-case hex is still the same MAC. */
	for (char *p = h[1].value + 3; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(verify(SIGN_ZOOM, zm_secrets, 1, h, n, ZM_BODY,
	    ZM_TS, why, sizeof(why)), 1);
}

static void
test_none(void **unused)
{
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n = 99;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_NONE, NULL, 0, SW_ID, SW_TS, SW_BODY,
	    strlen(SW_BODY), h, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(verify(SIGN_NONE, NULL, 0, h, 0, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
}

static void
test_rotation(void **unused)
{
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_STANDARD, sw_rotation, 2, SW_ID, SW_TS,
	    SW_BODY, strlen(SW_BODY), h, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(h[2].value, SW_SIG " " SW_SIG2);
	/* A receiver that knows either secret alone accepts the request. */
	assert_int_equal(verify(SIGN_STANDARD, &sw_rotation[0], 1, h, n, SW_BODY,
	    SW_TS, why, sizeof(why)), 1);
	assert_int_equal(verify(SIGN_STANDARD, &sw_rotation[1], 1, h, n, SW_BODY,
	    SW_TS, why, sizeof(why)), 1);
	assert_int_equal(verify(SIGN_STANDARD, sw_rotation, 2, h, n, SW_BODY,
	    SW_TS, why, sizeof(why)), 1);
}

/* Only the second of several signatures matches; unknown versions are skipped. */
static void
test_second_signature_matches(void **unused)
{
	struct sign_header h[3];
	char why[256];

	(void)unused;
	sw_headers(h, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 1);
	sw_headers(h, "v1a,bm90IGEgc2lnbmF0dXJl  v2,xyz " SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 1);
	sw_headers(h, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " SW_SIG2);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	assert_string_equal(why, "bad signature: none of 2 v1 signatures matches the secret");
	sw_headers(h, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "no well-formed v1 signature"));
}

static void
test_tampering_rejected(void **unused)
{
	char *wrong[] = { "whsec_bm90IHRoZSByaWdodCBrZXk=" };
	struct sign_header h[3];
	char why[256];

	(void)unused;
	sw_headers(h, SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 1);
	/* Body. */
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3,
	    "{\"test\": 2432232315}", SW_TS, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bad signature"));
	/* Secret. */
	assert_int_equal(verify(SIGN_STANDARD, wrong, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bad signature"));
	/* Id: it is signed, so a replay under another id fails. */
	hdr(&h[0], "webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJel");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	/* Timestamp: moved within tolerance, but it is signed too. */
	sw_headers(h, SW_SIG);
	hdr(&h[1], "webhook-timestamp", "1614265331");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "bad signature"));
	/* Signature: one bit of the MAC. */
	sw_headers(h, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OI=");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	/*
	 * Signature: the same bytes, spelled differently ('F' only sets a
	 * padding bit). The official libraries compare text and reject it.
	 */
	sw_headers(h, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
}

static void
test_stale_timestamp(void **unused)
{
	struct sign_header h[3];
	char why[256];

	(void)unused;
	sw_headers(h, SW_SIG);
	/* The edges of the default five minutes, both ways. */
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    SW_TS + 300, why, sizeof(why)), 1);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    SW_TS - 300, why, sizeof(why)), 1);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    SW_TS + 301, why, sizeof(why)), 0);
	assert_string_equal(why, "timestamp outside tolerance: 1614265330 is 301 s "
	    "before now (tolerance 300 s)");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    SW_TS - 301, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "after now"));
	/* Tolerance 0 turns the check off. */
	assert_int_equal(sign_verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    strlen(SW_BODY), SW_TS + 86400 * 365, 0, why, sizeof(why)), 1);
	/* Not a number at all. */
	hdr(&h[1], "webhook-timestamp", "2021-02-25T15:15:30Z");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 3, SW_BODY,
	    SW_TS, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "malformed webhook-timestamp"));
}

static void
test_missing_headers(void **unused)
{
	struct sign_header h[3];
	char why[256];

	(void)unused;
	sw_headers(h, SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h + 1, 2, SW_BODY,
	    SW_TS, why, sizeof(why)), 0);
	assert_string_equal(why, "missing header webhook-id");
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 2, SW_BODY,
	    SW_TS, why, sizeof(why)), 0);
	assert_string_equal(why, "missing header webhook-signature");
	assert_int_equal(verify(SIGN_GITHUB, gh_secrets, 1, h, 3, GH_BODY,
	    0, why, sizeof(why)), 0);
	assert_string_equal(why, "missing header X-Hub-Signature-256");
	assert_int_equal(verify(SIGN_ZOOM, zm_secrets, 1, h, 3, ZM_BODY,
	    0, why, sizeof(why)), 0);
	assert_string_equal(why, "missing header x-zm-request-timestamp");
	/* No secret: nothing can be authentic. */
	assert_int_equal(verify(SIGN_STANDARD, NULL, 0, h, 3, SW_BODY,
	    SW_TS, why, sizeof(why)), 0);
}

static void
test_header_names_case_insensitive(void **unused)
{
	struct sign_header h[4];
	char why[256];

	(void)unused;
	hdr(&h[0], "Content-Type", "application/json");
	hdr(&h[1], "WEBHOOK-ID", SW_ID);
	hdr(&h[2], "Webhook-Timestamp", "1614265330");
	hdr(&h[3], "webHook-signaTure", SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, sw_secrets, 1, h, 4, SW_BODY,
	    SW_TS, why, sizeof(why)), 1);
	hdr(&h[0], "x-hub-signature-256", GH_SIG);
	assert_int_equal(verify(SIGN_GITHUB, gh_secrets, 1, h, 1, GH_BODY,
	    0, why, sizeof(why)), 1);
	hdr(&h[0], "X-Zm-Request-Timestamp", "1764393600");
	hdr(&h[1], "X-ZM-SIGNATURE", ZM_SIG);
	assert_int_equal(verify(SIGN_ZOOM, zm_secrets, 1, h, 2, ZM_BODY,
	    ZM_TS, why, sizeof(why)), 1);
}

static void
test_malformed_secrets(void **unused)
{
	static const struct {
		int		 scheme;
		const char	*secret;
		const char	*msg;
	} bad[] = {
		{ SIGN_STANDARD, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "start with \"whsec_\"" },
		{ SIGN_STANDARD, "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "start with \"whsec_\"" },
		{ SIGN_STANDARD, "whsec_", "no key after" },
		{ SIGN_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "not a multiple of 4" },
		{ SIGN_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w", "invalid character '!' at offset 30" },
		{ SIGN_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8I PZIo2LaLaSw", "invalid character ' '" },
		{ SIGN_STANDARD, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_", "invalid character '-'" },
		{ SIGN_STANDARD, "whsec_MfKQ=r8GKYqrTwjUPD8ILPZIo2LaLaSw", "invalid character '='" },
		{ SIGN_STANDARD, "whsec_ab=c", "invalid character 'c'" },
		{ SIGN_STANDARD, "whsec_====", "invalid character '='" },
		{ SIGN_STANDARD, "", "empty" },
		{ SIGN_STANDARD, NULL, "empty" },
		{ SIGN_ZOOM, "", "empty" },
		{ SIGN_GITHUB, "secret\n", "control character at offset 6" },
		{ 17, "x", "unknown signature scheme" },
	};
	char err[256];
	size_t n;
	struct sign_header h[SIGN_MAX_HEADERS];

	(void)unused;
	for (size_t i = 0; i < NELEM(bad); i++) {
		char *s[] = { (char *)bad[i].secret };

		err[0] = '\0';
		assert_int_equal(sign_check_secret(bad[i].scheme, bad[i].secret,
		    err, sizeof(err)), -1);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("secret %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
		assert_int_equal(sign_headers(bad[i].scheme, s, 1, SW_ID, SW_TS,
		    SW_BODY, strlen(SW_BODY), h, &n), -1);
		assert_int_equal(n, 0);
	}
	assert_int_equal(sign_check_secret(SIGN_STANDARD, SW_SECRET, err, sizeof(err)), 0);
	assert_int_equal(sign_check_secret(SIGN_STANDARD, SW_SECRET2, err, sizeof(err)), 0);
	assert_int_equal(sign_check_secret(SIGN_STANDARD, "whsec_YQ==", err, sizeof(err)), 0);
	assert_int_equal(sign_check_secret(SIGN_GITHUB, GH_SECRET, err, sizeof(err)), 0);
	assert_int_equal(sign_check_secret(SIGN_NONE, NULL, err, sizeof(err)), 0);
	/* err may be omitted. */
	assert_int_equal(sign_check_secret(SIGN_STANDARD, "whsec_", NULL, 0), -1);
}

/* A malformed secret on the receiving side is reported, not a crash. */
static void
test_verify_with_bad_secret(void **unused)
{
	char *bad[] = { "whsec_###" };
	struct sign_header h[3];
	char why[256];

	(void)unused;
	sw_headers(h, SW_SIG);
	assert_int_equal(verify(SIGN_STANDARD, bad, 1, h, 3, SW_BODY, SW_TS,
	    why, sizeof(why)), 0);
	assert_non_null(strstr(why, "secret 1: "));
}

static void
test_limits(void **unused)
{
	char *many[SIGN_MAX_SECRETS + 1];
	char id[SIGN_VALUE_MAX + 1];
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;

	(void)unused;
	for (size_t i = 0; i < NELEM(many); i++)
		many[i] = SW_SECRET;
	/* The most secrets still fit in one header value. */
	assert_int_equal(sign_headers(SIGN_STANDARD, many, SIGN_MAX_SECRETS, SW_ID,
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), 0);
	assert_int_equal(strlen(h[2].value), SIGN_MAX_SECRETS * 48 - 1);
	assert_int_equal(sign_headers(SIGN_STANDARD, many, NELEM(many), SW_ID,
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), -1);
	assert_int_equal(sign_headers(SIGN_STANDARD, many, 0, SW_ID,
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), -1);
	/* Ids go on the wire: no header injection, no truncation. */
	assert_int_equal(sign_headers(SIGN_STANDARD, many, 1, "msg\r\nX-Evil: 1",
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), -1);
	assert_int_equal(sign_headers(SIGN_STANDARD, many, 1, "",
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), -1);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(sign_headers(SIGN_STANDARD, many, 1, id,
	    SW_TS, SW_BODY, strlen(SW_BODY), h, &n), -1);
	assert_int_equal(n, 0);
}

/* The body is bytes: NULs and an empty body sign and verify. */
static void
test_binary_and_empty_body(void **unused)
{
	static const char body[] = "a\0b\0c";
	struct sign_header h[SIGN_MAX_HEADERS];
	size_t n;
	char why[256];

	(void)unused;
	assert_int_equal(sign_headers(SIGN_STANDARD, sw_secrets, 1, SW_ID, SW_TS,
	    body, sizeof(body) - 1, h, &n), 0);
	assert_int_equal(sign_verify(SIGN_STANDARD, sw_secrets, 1, h, n, body,
	    sizeof(body) - 1, SW_TS, 300, why, sizeof(why)), 1);
	assert_int_equal(sign_verify(SIGN_STANDARD, sw_secrets, 1, h, n, body,
	    1, SW_TS, 300, why, sizeof(why)), 0);
	assert_int_equal(sign_headers(SIGN_GITHUB, gh_secrets, 1, NULL, 0,
	    "", 0, h, &n), 0);
	assert_int_equal(sign_verify(SIGN_GITHUB, gh_secrets, 1, h, n, "",
	    0, 0, 300, why, sizeof(why)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scheme_parse),
		cmocka_unit_test(test_standard_vector),
		cmocka_unit_test(test_github_vector),
		cmocka_unit_test(test_single_signature_schemes_use_first_secret),
		cmocka_unit_test(test_zoom_vector),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_second_signature_matches),
		cmocka_unit_test(test_tampering_rejected),
		cmocka_unit_test(test_stale_timestamp),
		cmocka_unit_test(test_missing_headers),
		cmocka_unit_test(test_header_names_case_insensitive),
		cmocka_unit_test(test_malformed_secrets),
		cmocka_unit_test(test_verify_with_bad_secret),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_binary_and_empty_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
