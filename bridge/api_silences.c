/*
 * The silences of the management API: GET and POST /v1/silences, GET and
 * DELETE /v1/silences/ID. A change is answered once its batch is committed,
 * so a silence acknowledged survives a crash.
 */

#include <stdio.h>
#include <string.h>

#include <ev.h>
#include <json-c/json.h>

#include "api_impl.h"
#include "delivery.h"
#include "noise.h"
#include "silence.h"
#include "xmalloc.h"

#define ALLOW_LIST	"GET, HEAD, POST"
#define ALLOW_ONE	"GET, HEAD, DELETE"

/* What a change answers once committed: its status and JSON. */
struct pending {
	unsigned status;
	struct json_object *j;
};

static void
pending_free(void *p)
{
	struct pending *w = p;

	if (w == NULL)
		return;
	json_object_put(w->j);
	free(w);
}

static void
committed(void *arg, long long result)
{
	struct api_req *q = arg;
	struct pending *w = api_req_data(q);

	if (result < 0)
		api_reply_error(q, 500, "the store did not take the change");
	else {
		api_reply_json(q, w->status, w->j);
		w->j = NULL;
	}
	api_req_answered(q);
}

/* Answers status with j (taken) once the open batch is committed. */
static void
reply_committed(struct api_req *q, unsigned status, struct json_object *j)
{
	struct pending *w = xcalloc(1, sizeof(*w));

	w->status = status;
	w->j = j;
	api_req_set_data(q, w, pending_free);
	api_req_wait(q);
	delivery_commit(api_req_delivery(q), committed, q);
}

static void
do_list(struct api_req *q, struct noise *n)
{
	const struct silences *set = noise_silences(n);
	struct json_object *j = json_object_new_object(), *a = json_object_new_array();
	double now = ev_time();

	for (size_t i = 0; i < set->n; i++)
		json_object_array_add(a, silence_to_json(set->v[i], now));
	json_object_object_add(j, "silences", a);
	api_reply_json(q, 200, j);
}

static void
do_add(struct api_req *q, struct noise *n)
{
	size_t len;
	const char *body = api_req_body(q, &len);
	struct json_tokener *tok = json_tokener_new();
	struct json_object *j = len > 0 ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
	struct silence *s;
	double now = ev_time();
	char err[256];

	if (j == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len) {
		api_reply_error(q, 400, "the body must be a JSON object");
		goto out;
	}
	if ((s = silence_from_json(j, NULL, now, err, sizeof(err))) == NULL) {
		api_reply_error(q, 400, "%s", err);
		goto out;
	}
	noise_add(n, s);
	reply_committed(q, 201, silence_to_json(s, now));
out:
	json_object_put(j);
	json_tokener_free(tok);
}

static void
do_one(struct api_req *q, struct noise *n, const char *id, bool get)
{
	const struct silence *s = silences_find(noise_silences(n), id);
	struct json_object *j;

	if (s == NULL) {
		api_reply_error(q, 404, "no silence \"%.64s\"", id);
		return;
	}
	if (get) {
		api_reply_json(q, 200, silence_to_json(s, ev_time()));
		return;
	}
	j = silence_to_json(s, ev_time());
	json_object_object_add(j, "state", json_object_new_string("deleted"));
	noise_remove(n, id);
	reply_committed(q, 200, j);
}

void
api_silences_route(struct api_req *q, const char *url, const char *method)
{
	struct noise *n = api_req_noise(q);
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const char *id = url[strlen("/v1/silences")] == '/' ? url + strlen("/v1/silences/") : NULL;

	if (n == NULL) {
		api_reply_error(q, 404, "no silences here");
		return;
	}
	if (id == NULL) {
		if (get)
			do_list(q, n);
		else if (strcmp(method, "POST") == 0)
			do_add(q, n);
		else
			api_not_allowed(q, ALLOW_LIST, method);
		return;
	}
	if (*id == '\0' || strchr(id, '/') != NULL) {
		api_reply_error(q, 404, "no such endpoint: %.200s", url);
		return;
	}
	if (get || strcmp(method, "DELETE") == 0)
		do_one(q, n, id, get);
	else
		api_not_allowed(q, ALLOW_ONE, method);
}
