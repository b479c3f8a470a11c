/*
 * POST /websub, the WebSub hub (W3C Recommendation, section 5.1): a form of
 * hub.mode, hub.callback, hub.topic (an event glob), hub.secret and
 * hub.lease_seconds, answered 202 Accepted once the request is well formed;
 * the intent is verified afterwards by a GET of the callback, and only
 * then is the subscriber added, renewed or removed.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api_impl.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "subs.h"
#include "subs_json.h"
#include "util.h"
#include "xmalloc.h"

#define FIELD_MAX	2048
#define TOPIC_MAX	256
#define SECRET_MAX	199		/* "less than 200 bytes" */
#define LEASE_DEFAULT	86400
#define LEASE_MAX	2592000

struct form {
	char *mode, *callback, *topic, *secret, *lease;
};

/* Decodes application/x-www-form-urlencoded text of n bytes into a new string; NULL if bad. */
static char *
form_decode(const char *s, size_t n)
{
	char *out = xcalloc(n + 1, 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			out[k++] = ' ';
		else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			out[k++] = (char)(hex_digit((unsigned char)s[i + 1]) * 16 +
			    hex_digit((unsigned char)s[i + 2]));
			i += 2;
		} else if (s[i] == '%') {
			free(out);
			return NULL;
		} else
			out[k++] = s[i];
	}
	if (strlen(out) != k) {		/* an encoded NUL */
		free(out);
		return NULL;
	}
	return out;
}

static void
form_clear(struct form *f)
{
	free(f->mode);
	free(f->callback);
	free(f->topic);
	free(f->secret);
	free(f->lease);
}

/* Parses the body into f; -1 with the message in err. */
static int
form_parse(const char *body, size_t len, struct form *f, char *err, size_t errlen)
{
	const char *p = body, *end = body + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		const char *stop = amp != NULL ? amp : end;
		char *k, *v, **slot = NULL;

		eq = memchr(p, '=', (size_t)(stop - p));
		if (eq == NULL) {
			snprintf(err, errlen, "the form field \"%.*s\" has no value",
			    (int)((stop - p) > 64 ? 64 : stop - p), p);
			return -1;
		}
		k = form_decode(p, (size_t)(eq - p));
		v = form_decode(eq + 1, (size_t)(stop - eq - 1));
		if (k == NULL || v == NULL || strlen(v) > FIELD_MAX) {
			snprintf(err, errlen, "a form field is not valid urlencoded text of at most "
			    "%d bytes", FIELD_MAX);
			free(k);
			free(v);
			return -1;
		}
		if (strcmp(k, "hub.mode") == 0)
			slot = &f->mode;
		else if (strcmp(k, "hub.callback") == 0)
			slot = &f->callback;
		else if (strcmp(k, "hub.topic") == 0)
			slot = &f->topic;
		else if (strcmp(k, "hub.secret") == 0)
			slot = &f->secret;
		else if (strcmp(k, "hub.lease_seconds") == 0)
			slot = &f->lease;
		free(k);
		/* Other fields are ignored, as the Recommendation lets hubs do. */
		if (slot != NULL) {
			free(*slot);
			*slot = v;
		} else
			free(v);
		p = stop + 1;
	}
	return 0;
}

static void
websub_done(void *arg, unsigned status, const char *why)
{
	(void)arg;
	if (status >= 300)
		log_debug("websub: request not carried out (%u): %s", status,
		    why != NULL ? why : "failed");
}

void
api_websub_route(struct api_req *q, const char *method)
{
	const struct config *cfg = api_req_config(q);
	struct subs *s = api_req_subs(q);
	struct form f = { 0 };
	struct json_object *cb = NULL;
	struct dsub_fields fl;
	static const char *const allowed[] = { "url", NULL };
	const char *ctype = api_req_header(q, "Content-Type"), *body;
	char err[512], *hub, *end;
	long lease = LEASE_DEFAULT;
	bool subscribe;
	size_t len;
	unsigned rc;

	memset(&fl, 0, sizeof(fl));
	if (s == NULL || !cfg->bridge.api.subs.websub) {
		api_reply_error(q, 404, "the WebSub hub is off (bridge.api.subscriptions.websub)");
		return;
	}
	if (strcmp(method, "POST") != 0) {
		api_not_allowed(q, "POST", method);
		return;
	}
	if (ctype == NULL || strncmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
		api_reply_error(q, 415, "the body must be application/x-www-form-urlencoded");
		return;
	}
	body = api_req_body(q, &len);
	if (form_parse(body, len, &f, err, sizeof(err)) != 0) {
		api_reply_error(q, 400, "%s", err);
		goto out;
	}
	if (f.mode == NULL || (strcmp(f.mode, "subscribe") != 0 &&
	    strcmp(f.mode, "unsubscribe") != 0)) {
		api_reply_error(q, 400, "\"hub.mode\" must be subscribe or unsubscribe");
		goto out;
	}
	subscribe = strcmp(f.mode, "subscribe") == 0;
	if (f.topic == NULL || *f.topic == '\0' || strlen(f.topic) > TOPIC_MAX) {
		api_reply_error(q, 400, "\"hub.topic\" must be an event glob of 1 to %d characters",
		    TOPIC_MAX);
		goto out;
	}
	if (f.callback == NULL) {
		api_reply_error(q, 400, "\"hub.callback\" is required");
		goto out;
	}
	cb = json_object_new_object();
	json_object_object_add(cb, "url", json_object_new_string(f.callback));
	if ((rc = subs_json_fields(&cfg->bridge.api.subs, cb, allowed, &fl, err,
	    sizeof(err))) != 0) {
		api_reply_error(q, rc, "\"hub.callback\"%s", strncmp(err, "\"url\"", 5) == 0 ?
		    err + 5 : err);
		goto out;
	}
	if (f.secret != NULL && (*f.secret == '\0' || strlen(f.secret) > SECRET_MAX)) {
		api_reply_error(q, 400, "\"hub.secret\" must be 1 to %d bytes", SECRET_MAX);
		goto out;
	}
	if (f.lease != NULL) {
		lease = strtol(f.lease, &end, 10);
		if (*f.lease < '0' || *f.lease > '9' || *end != '\0' || lease < 1) {
			api_reply_error(q, 400, "\"hub.lease_seconds\" must be a positive integer");
			goto out;
		}
		if (lease > LEASE_MAX)
			lease = LEASE_MAX;
	}
	hub = xasprintf("http://%s/websub", api_req_listen(q));
	subs_websub(s, subscribe, f.callback, f.topic, f.secret, lease, hub, websub_done, NULL);
	free(hub);
	api_reply_json(q, 202, json_object_new_object());
out:
	subs_json_fields_clear(&fl);
	json_object_put(cb);
	form_clear(&f);
}
