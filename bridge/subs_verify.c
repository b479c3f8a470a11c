#include "subs_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "buf.h"
#include "curltls.h"
#include "event.h"
#include "log.h"
#include "webhook_sign.h"
#include "xmalloc.h"

#define VERIFY_MAX_ANSWER	(64 * 1024)
#define TOKEN_BYTES		16

struct verify {
	struct curlev *cv;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;		/* the POST's */
	char token[2 * TOKEN_BYTES + 1];
	char expect[65];	/* challenge: the encryptedToken wanted */
	bool intent;		/* WebSub: the answer is the token itself */
	double timeout;
	struct buf answer;
	bool too_long;
	struct ssrf_verdict verdict;
	char errbuf[CURL_ERROR_SIZE];
	verify_done_fn done;
	void *arg;
};

void
verify_random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[64];

	if (n > sizeof(b) || RAND_bytes(b, (int)n) != 1)
		fatalx("RAND_bytes failed: no entropy for a token");
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static size_t
on_answer(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct verify *v = userdata;
	size_t n = size * nmemb;

	if (v->answer.len + n > VERIFY_MAX_ANSWER) {
		v->too_long = true;
		return 0;
	}
	buf_add(&v->answer, ptr, n);
	return n;
}

static void
verify_free(struct verify *v)
{
	curl_slist_free_all(v->hdrs);
	curlev_easy_put(v->cv, v->easy, NULL);
	free(v->body);
	free(v->answer.p);
	free(v);
}

/* Returns NULL when the answer proves the endpoint knows the secret, else why not. */
static const char *
check_challenge(struct verify *v, char *why, size_t len)
{
	struct json_object *j = v->answer.p != NULL ? json_tokener_parse(v->answer.p) : NULL;
	struct json_object *pt, *et;
	const char *res = NULL;

	if (j == NULL || !json_object_is_type(j, json_type_object) ||
	    !json_object_object_get_ex(j, "plainToken", &pt) ||
	    !json_object_object_get_ex(j, "encryptedToken", &et) ||
	    !json_object_is_type(pt, json_type_string) || !json_object_is_type(et, json_type_string))
		res = "the answer is not JSON {\"plainToken\": ..., \"encryptedToken\": ...}";
	else if (strcmp(json_object_get_string(pt), v->token) != 0)
		res = "the answer's plainToken is not the one sent";
	else if (strlen(json_object_get_string(et)) != 64 ||
	    CRYPTO_memcmp(json_object_get_string(et), v->expect, 64) != 0)
		res = "the answer's encryptedToken is not hex HMAC-SHA256 of plainToken under "
		    "the subscriber's secret";
	json_object_put(j);
	if (res != NULL)
		snprintf(why, len, "%s", res);
	return res;
}

static void
finished(CURL *easy, CURLcode res, void *arg)
{
	struct verify *v = arg;
	enum verify_result result = VERIFY_FAILED;
	verify_done_fn done = v->done;
	void *darg = v->arg;
	char why[512] = "";
	long status = 0;
	char *loc = NULL;

	if (v->verdict.refused) {
		result = VERIFY_REFUSED;
		snprintf(why, sizeof(why), "%s", v->verdict.why);
	} else if (res == CURLE_OPERATION_TIMEDOUT)
		snprintf(why, sizeof(why), "the endpoint did not answer within %g s", v->timeout);
	else if (res == CURLE_WRITE_ERROR && v->too_long)
		snprintf(why, sizeof(why), "the answer is longer than %d bytes", VERIFY_MAX_ANSWER);
	else if (res != CURLE_OK)
		snprintf(why, sizeof(why), "cannot reach the endpoint: %s",
		    v->errbuf[0] != '\0' ? v->errbuf : curl_easy_strerror(res));
	else {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(easy, CURLINFO_REDIRECT_URL, &loc);
		if (status >= 300 && status < 400)
			snprintf(why, sizeof(why), "the endpoint answered a redirect (HTTP %ld%s%.200s);"
			    " redirects are not followed", status, loc != NULL ? " to " : "",
			    loc != NULL ? loc : "");
		else if (status < 200 || status >= 300)
			snprintf(why, sizeof(why), "the endpoint answered HTTP %ld, not 2xx", status);
		else if (v->intent) {
			if (v->answer.len != strlen(v->token) || v->answer.p == NULL ||
			    memcmp(v->answer.p, v->token, v->answer.len) != 0)
				snprintf(why, sizeof(why), "the answer's body is not hub.challenge");
			else
				result = VERIFY_OK;
		} else if (check_challenge(v, why, sizeof(why)) == NULL)
			result = VERIFY_OK;
	}
	verify_free(v);
	done(darg, result, result == VERIFY_OK ? NULL : why);
}

static struct verify *
verify_new(struct curlev *cv, const struct ssrf_guard *guard, double timeout,
    verify_done_fn done, void *arg)
{
	struct verify *v = xcalloc(1, sizeof(*v));

	v->cv = cv;
	v->timeout = timeout;
	v->done = done;
	v->arg = arg;
	v->easy = curlev_easy_get(cv, NULL);
	verify_random_hex(v->token, TOKEN_BYTES);
	curl_easy_setopt(v->easy, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(v->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(v->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(v->easy, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(v->easy, CURLOPT_WRITEDATA, v);
	curl_easy_setopt(v->easy, CURLOPT_ERRORBUFFER, v->errbuf);
	curltls_http_only(v->easy);
	curltls_header_add(&v->hdrs, "User-Agent: pollhook/" PACKAGE_VERSION);
	v->verdict.guard = guard;
	ssrf_curl_apply(v->easy, &v->verdict);
	return v;
}

static struct verify *
verify_go(struct verify *v)
{
	curl_easy_setopt(v->easy, CURLOPT_HTTPHEADER, v->hdrs);
	if (curlev_add(v->cv, v->easy, finished, v) != 0) {
		verify_done_fn done = v->done;
		void *arg = v->arg;

		verify_free(v);
		done(arg, VERIFY_FAILED, "curl refused the request");
		return NULL;
	}
	return v;
}

struct verify *
verify_challenge(struct curlev *cv, const struct ssrf_guard *guard, const char *url,
    int scheme, const char *secret, double timeout, verify_done_fn done, void *arg)
{
	struct verify *v = verify_new(cv, guard, timeout, done, arg);
	struct sign_header sh[SIGN_MAX_HEADERS];
	char *secrets[1] = { (char *)secret }, id[EVENT_ID_LEN + 1], line[SIGN_NAME_MAX +
	    SIGN_VALUE_MAX + 4];
	long long now_ms = (long long)(ev_time() * 1000);
	size_t nsh = 0;

	v->body = xasprintf("{\"event\":\"endpoint.url_validation\",\"event_ts\":%lld,"
	    "\"payload\":{\"plainToken\":\"%s\"}}", now_ms, v->token);
	event_make_id(id, now_ms);
	if (sign_hmac_hex(scheme, secret, v->token, strlen(v->token), v->expect) != 0 ||
	    sign_headers(scheme, secrets, 1, id, now_ms / 1000, v->body, strlen(v->body), sh,
	    &nsh) != 0) {
		verify_free(v);
		done(arg, VERIFY_FAILED, "the secret cannot sign");
		return NULL;
	}
	for (size_t i = 0; i < nsh; i++) {
		int n = snprintf(line, sizeof(line), "%s: %s", sh[i].name, sh[i].value);

		/* Not with webhook_sign.h's bounds; but a cut signature must not be sent. */
		if (n < 0 || (size_t)n >= sizeof(line)) {
			verify_free(v);
			done(arg, VERIFY_FAILED, "signature header too long");
			return NULL;
		}
		curltls_header_add(&v->hdrs, line);
	}
	curltls_header_add(&v->hdrs, "Content-Type: application/json");
	curltls_header_add(&v->hdrs, "Expect:");
	curl_easy_setopt(v->easy, CURLOPT_URL, url);
	curl_easy_setopt(v->easy, CURLOPT_POSTFIELDS, v->body);
	curl_easy_setopt(v->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(v->body));
	return verify_go(v);
}

struct verify *
verify_intent(struct curlev *cv, const struct ssrf_guard *guard, const char *callback,
    const char *mode, const char *topic, long lease_seconds, double timeout,
    verify_done_fn done, void *arg)
{
	struct verify *v = verify_new(cv, guard, timeout, done, arg);
	char *etopic = curl_easy_escape(v->easy, topic, 0);
	struct buf u = { 0 };

	v->intent = true;
	buf_printf(&u, "%s%shub.mode=%s&hub.topic=%s&hub.challenge=%s", callback,
	    strchr(callback, '?') != NULL ? "&" : "?", mode, etopic != NULL ? etopic : "",
	    v->token);
	if (lease_seconds > 0)
		buf_printf(&u, "&hub.lease_seconds=%ld", lease_seconds);
	curl_free(etopic);
	curl_easy_setopt(v->easy, CURLOPT_URL, u.p);
	curl_easy_setopt(v->easy, CURLOPT_HTTPGET, 1L);
	free(u.p);
	return verify_go(v);
}

void
verify_cancel(struct verify *v)
{
	if (v == NULL)
		return;
	curlev_cancel(v->cv, v->easy);
	verify_free(v);
}
