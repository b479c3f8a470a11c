/*
 * The management API. libmicrohttpd runs in its "external polling" mode with
 * epoll (MHD_USE_EPOLL, no MHD_USE_INTERNAL_POLLING_THREAD): MHD keeps every
 * socket it owns in one epoll set, whose descriptor a single ev_io watches;
 * each readiness calls MHD_run, which does what is ready without blocking,
 * and then an ev_timer is re-armed from MHD_get_timeout (0 when MHD still has
 * buffered work, the nearest idle-connection timeout otherwise). One watcher
 * instead of one per socket (MHD_get_fdset2), and nothing to rebuild per
 * iteration.
 *
 * Every answer is built whole, on the loop: queries carry a LIMIT and pages
 * a byte budget, so no request holds the loop long. What reads the store
 * waits for its callback with the connection suspended (MHD's suspend and
 * resume): the store may be a database across the network. A request
 * context, struct api_req, lives from the request's first call to MHD's
 * completion notice (or, if the server stops meanwhile, is answered 503).
 */

#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "buf.h"
#include "api_cluster.h"
#include "api_conn.h"
#include "api_console.h"
#include "discover_run.h"
#include "api_impl.h"
#include "api_metrics.h"
#include "event.h"
#include "log.h"
#include "poller.h"
#include "subs.h"
#include "subs_json.h"
#include "util.h"
#include "xmalloc.h"

#define API_BACKLOG		1024
#define API_FD_RESERVE		256	/* descriptors kept for polling, the store, delivery */
#define API_EVICT_ROOM		16	/* MHD's limit above max_connections: eviction's room */
#define API_DEFAULT_LIMIT	100
#define API_MAX_LIMIT		1000
#define API_PAGE_BYTES		(1024 * 1024)	/* an events page stops growing here */
#define API_FLUSH_SECONDS	1.0	/* at stop, for answers still being sent */
#define API_ID_MAX		64

#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define TYPE_JSON	"application/json"
#define TYPE_TEXT	"text/plain; charset=utf-8"
#define TYPE_PROM	"text/plain; version=0.0.4; charset=utf-8"
#define ALLOW_GET	"GET, HEAD"

struct server {
	struct api *api;
	struct MHD_Daemon *mhd;
	struct api_conns *conns;	/* the connections' deadlines */
	struct api_config limits;	/* the numbers it was started with (no strings) */
	char *listen;
	char *cert_pem, *key_pem;	/* TLS: copies MHD reads from */
	int listen_fd;
	ev_io io;		/* MHD's epoll descriptor */
	ev_timer timer;		/* MHD_get_timeout */
};

struct api {
	struct ev_loop *loop;
	const struct config *cfg;
	struct engine *eng;
	struct delivery *dlv;
	struct store *st;
	struct cluster *cluster;	/* NULL: none */
	struct subs *subs;	/* NULL: no dynamic subscribers */
	struct noise *noise;	/* NULL: no silences */
	struct discover *disc;	/* NULL: no discoveries */
	struct server *srv;	/* NULL: off */
	struct api_req *waiting;	/* requests waiting for the store */
	struct api_conn_stats conn_stats;	/* of every server it ran */
	bool has_token, has_read_token;
	bool warned_open;	/* the warning of an API without a token was given for this server */
	unsigned char token_digest[EVP_MAX_MD_SIZE];
	unsigned char read_token_digest[EVP_MAX_MD_SIZE];
	bool stopping;
};

/* What a request is answered. */
struct reply {
	unsigned status;
	struct buf body;
	const char *type;
	const char *allow;		/* Allow, for 405 */
	const char *authenticate;	/* WWW-Authenticate, for 401 */
	bool console;			/* a file of the console: its security headers */
};

enum req_phase {
	REQ_HEADERS,	/* headers seen, the body (if any) not yet */
	REQ_WAITING,	/* a store request is out; the connection is suspended */
	REQ_ANSWERED,	/* the reply is ready */
	REQ_SENT	/* queued with MHD */
};

/* One request, from its first call to MHD's completion notice. */
struct api_req {
	struct api *api;
	struct server *srv;
	struct MHD_Connection *c;
	enum req_phase phase;
	bool suspended;
	struct reply r;
	/* What the endpoint reading the store keeps between callbacks. */
	size_t n;
	char *last, *after;
	bool suppressed;	/* events: held-back ones too (include=suppressed) */
	long long seq, depth;
	struct json_object *arr;
	struct buf dead;
	/* A request body, for the endpoints that read one (at most API_MAX_BODY). */
	struct buf in;
	size_t max_in;		/* the endpoint's bound of in */
	bool reading, too_big;
	void *data;			/* an endpoint's, freed with data_free */
	void (*data_free)(void *);
	struct api_req *prev, *next;	/* in api->waiting */
	/* Without a connection (api_request): its arguments and headers. */
	const char *const *args, *const *headers;
};

/* Returns the value of name in the NULL-terminated name, value list v, or NULL. */
static const char *
pairs_lookup(const char *const *v, const char *name, bool nocase)
{
	for (; v != NULL && v[0] != NULL && v[1] != NULL; v += 2)
		if (nocase ? strcasecmp(v[0], name) == 0 : strcmp(v[0], name) == 0)
			return v[1];
	return NULL;
}

/* Returns query argument name of q (borrowed), or NULL. */
static const char *
req_arg(const struct api_req *q, const char *name)
{
	if (q->c == NULL)
		return pairs_lookup(q->args, name, false);
	return MHD_lookup_connection_value(q->c, MHD_GET_ARGUMENT_KIND, name);
}

/* Returns request header name of q (borrowed), or NULL. */
static const char *
req_header(const struct api_req *q, const char *name)
{
	if (q->c == NULL)
		return pairs_lookup(q->headers, name, true);
	return MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, name);
}

/* Answers with the JSON of j, which it takes. */
static void
reply_json(struct reply *r, unsigned status, struct json_object *j)
{
	r->status = status;
	r->type = TYPE_JSON;
	buf_str(&r->body, json_object_to_json_string_ext(j, JSON_FLAGS));
	buf_str(&r->body, "\n");
	json_object_put(j);
}

static void __attribute__((format(printf, 3, 4)))
reply_error(struct reply *r, unsigned status, const char *fmt, ...)
{
	struct json_object *j = json_object_new_object();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	json_object_object_add(j, "error", json_object_new_string(msg));
	free(msg);
	reply_json(r, status, j);
}

static void
reply_text(struct reply *r, unsigned status, const char *text)
{
	r->status = status;
	r->type = TYPE_TEXT;
	buf_str(&r->body, text);
}

static void
not_allowed(struct reply *r, const char *allow, const char *method)
{
	r->allow = allow;
	reply_error(r, 405, "method %.16s not allowed here; allowed: %s", method, allow);
}

/* Hashing both sides makes the comparison independent of the lengths too. */
static bool
digest(const char *s, unsigned char *md)
{
	return EVP_Digest(s, strlen(s), md, NULL, EVP_sha256(), NULL) == 1;
}

static void
set_token(struct api *a, const char *token, const char *read_token)
{
	a->has_token = token != NULL;
	if (token != NULL && !digest(token, a->token_digest))
		fatalx("api: cannot hash the token");
	a->has_read_token = read_token != NULL;
	if (read_token != NULL && !digest(read_token, a->read_token_digest))
		fatalx("api: cannot hash the read token");
}

/*
 * Returns whether the request carries the token, or the read token and the
 * method is GET or HEAD; if not, says so in r (401 without a valid token,
 * 403 for the read token on another method).
 */
static bool
authorized(const struct api_req *q, const char *method, struct reply *r)
{
	const struct api *a = q->api;
	const char *h = req_header(q, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char md[EVP_MAX_MD_SIZE];

	if (!a->has_token)
		return true;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		r->authenticate = "Bearer realm=\"pollhook\"";
		reply_error(r, 401, "a bearer token is required (Authorization: Bearer TOKEN)");
		return false;
	}
	for (h += 7; *h == ' '; h++)
		continue;
	if (!digest(h, md)) {
		reply_error(r, 500, "cannot hash the token");
		return false;
	}
	if (CRYPTO_memcmp(md, a->token_digest, 32) == 0)
		return true;
	if (a->has_read_token && CRYPTO_memcmp(md, a->read_token_digest, 32) == 0) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return true;
		r->authenticate = "Bearer realm=\"pollhook\", error=\"insufficient_scope\"";
		reply_error(r, 403, "the read token allows GET and HEAD only, not %.16s", method);
		return false;
	}
	r->authenticate = "Bearer realm=\"pollhook\", error=\"invalid_token\"";
	reply_error(r, 401, "invalid bearer token");
	return false;
}

/* Parses an optional query argument that must be a decimal integer in [min, max]. */
static bool
arg_int(const struct api_req *q, const char *name, long long min, long long max,
    long long *v, struct reply *r)
{
	const char *s = req_arg(q, name);
	char *end;
	long long n;

	if (s == NULL || *s == '\0')
		return true;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || n < min || n > max) {
		if (max == INT64_MAX)
			reply_error(r, 400, "\"%s\" must be an integer of at least %lld, not "
			    "\"%.32s\"", name, min, s);
		else
			reply_error(r, 400, "\"%s\" must be an integer from %lld to %lld, not "
			    "\"%.32s\"", name, min, max, s);
		return false;
	}
	*v = n;
	return true;
}

/* Parses the optional "limit": at least 1, larger than API_MAX_LIMIT counts as that. */
static bool
arg_limit(const struct api_req *q, long long *limit, struct reply *r)
{
	if (!arg_int(q, "limit", 1, INT64_MAX, limit, r))
		return false;
	if (*limit > API_MAX_LIMIT)
		*limit = API_MAX_LIMIT;
	return true;
}

static bool
valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > API_ID_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= 'a' && *s <= 'z') || *s == '_'))
			return false;
	return true;
}

struct json_object *
api_json_time(double unix_s)
{
	char t[40];

	event_format_time(t, sizeof(t), unix_s);
	return json_object_new_string(t);
}

/* GET /healthz */

static void
do_healthz(struct api_req *q)
{
	if (q->api->stopping)
		reply_text(&q->r, 503, "shutting down\n");
	else
		reply_text(&q->r, 200, "ok\n");
}

/* GET /metrics */

static void req_wait(struct api_req *q);
static void req_answered(struct api_req *q);

static void
metrics_dead(void *arg, long long n)
{
	struct api_req *q = arg;
	struct api *a = q->api;

	if (n < 0)
		log_debug("api: dead letters not counted: %s", store_error(a->st));
	q->r.status = 200;
	q->r.type = TYPE_PROM;
	api_metrics_render(&q->r.body, a->cfg, a->eng, a->dlv, store_stats(a->st), q->depth,
	    n >= 0 && q->dead.p != NULL ? q->dead.p : NULL);
	if (a->cluster != NULL)
		api_cluster_metrics(&q->r.body, a->cluster);
	discover_metrics(a->disc, &q->r.body);
	api_conn_metrics(&q->r.body, &a->conn_stats);
	req_answered(q);
}

static void
metrics_dead_line(void *arg, const char *subscriber, long long n)
{
	struct api_req *q = arg;

	api_metrics_dead_line(&q->dead, subscriber, n);
}

static void
metrics_depth(void *arg, long long n)
{
	struct api_req *q = arg;

	q->depth = n;
	store_count_by_subscriber(q->api->st, STORE_DEAD, API_MAX_SUBSCRIBERS,
	    metrics_dead_line, metrics_dead, q);
}

static void
do_metrics(struct api_req *q)
{
	/* The store's figures first (two queries), then the whole page at once. */
	q->dead.p = NULL;
	req_wait(q);
	store_depth(q->api->st, metrics_depth, q);
}

/* GET /v1/sources */

/*
 * Where a source came from: its block, inventory row or discovery ("from":
 * "block", "inventory:FILE" or "discover:NAME"), and its profile.
 */
static struct json_object *
origin_json(const struct source_config *sc)
{
	struct json_object *o = json_object_new_object();
	char *from;

	json_object_object_add(o, "kind", json_object_new_string(sc->discovery != NULL ?
	    "discover" : sc->inventory != NULL ? "inventory" : "block"));
	if (sc->discovery != NULL)
		from = xasprintf("discover:%s", sc->discovery);
	else if (sc->inventory != NULL)
		from = xasprintf("inventory:%s", sc->inventory);
	else
		from = xstrdup("block");
	json_object_object_add(o, "from", json_object_new_string(from));
	free(from);
	json_object_object_add(o, "file", json_object_new_string(sc->file));
	json_object_object_add(o, "line", json_object_new_int(sc->line));
	json_object_object_add(o, "profile", sc->profile != NULL ?
	    json_object_new_string(sc->profile) : NULL);
	return o;
}

/* A number of seconds as JSON with 6 significant digits (not json-c's 17). */
static struct json_object *
short_double(double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.6g", v);
	return json_object_new_double_s(v, text);
}

static void
do_sources(struct api_req *q)
{
	struct api *a = q->api;
	struct reply *r = &q->r;
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < a->cfg->nsources; i++) {
		const struct source_config *sc = &a->cfg->sources[i];
		const struct source_status *st = engine_source_status(a->eng, i);
		struct json_object *j = json_object_new_object();

		if (st == NULL) {
			json_object_put(j);
			break;
		}
		json_object_object_add(j, "name", json_object_new_string(sc->name));
		json_object_object_add(j, "poller", json_object_new_string(sc->poller->name));
		json_object_object_add(j, "up", st->polled ? json_object_new_boolean(st->up) :
		    NULL);
		json_object_object_add(j, "last_poll", st->polled ? api_json_time(st->last_poll) :
		    NULL);
		json_object_object_add(j, "last_error", st->last_error != NULL ?
		    json_object_new_string(st->last_error) : NULL);
		json_object_object_add(j, "polls", json_object_new_int64((int64_t)st->polls));
		json_object_object_add(j, "errors", json_object_new_int64((int64_t)st->errors));
		json_object_object_add(j, "overruns",
		    json_object_new_int64((int64_t)st->overruns));
		json_object_object_add(j, "last_duration", st->polled ?
		    short_double(st->last_duration) : NULL);
		json_object_object_add(j, "interval", short_double(sc->interval));
		json_object_object_add(j, "labels", labels_json(&sc->labels));
		json_object_object_add(j, "origin", origin_json(sc));
		/* Only in a cluster: without one, the answer is as it was. */
		if (a->cluster != NULL)
			json_object_object_add(j, "owner", cluster_source_owner(a->cluster, i) !=
			    NULL ? json_object_new_string(cluster_source_owner(a->cluster, i)) :
			    NULL);
		json_object_array_add(arr, j);
	}
	reply_json(r, 200, arr);
}

/* GET /v1/cluster */

static void
do_cluster(struct api_req *q)
{
	struct api *a = q->api;

	if (a->cluster == NULL) {
		reply_error(&q->r, 404, "no bridge.cluster here");
		return;
	}
	reply_json(&q->r, 200, api_cluster_json(a->cluster));
}

/* GET /v1/events */

/* Returns whether the stored body is of an event held back (its envelope says why). */
static bool
body_suppressed(const char *body)
{
	struct json_object *j = json_tokener_parse(body);
	bool held = j != NULL && json_object_object_get_ex(j, "suppressed", NULL);

	json_object_put(j);
	return held;
}

static bool
add_event(void *arg, const struct store_event *ev)
{
	struct api_req *q = arg;
	struct buf *b = &q->r.body;
	size_t len = strlen(ev->body);

	/* Skipped, but the cursor moves past it: the next page starts after it. */
	if (!q->suppressed && body_suppressed(ev->body)) {
		free(q->last);
		q->last = xstrdup(ev->id);
		return true;
	}
	/* The budget: always one event, so that paging moves on. */
	if (q->n > 0 && b->len + len > API_PAGE_BYTES)
		return false;
	if (q->n > 0)
		buf_str(b, ",");
	buf_add(b, ev->body, len);
	free(q->last);
	q->last = xstrdup(ev->id);
	q->n++;
	return true;
}

static void
events_done(void *arg, long long n)
{
	struct api_req *q = arg;
	struct reply *r = &q->r;
	struct json_object *next;

	if (n < 0) {
		r->body.len = 0;
		reply_error(r, 500, "store: %s", store_error(q->api->st));
		req_answered(q);
		return;
	}
	/* With nothing new the cursor stays where it was. */
	next = q->last != NULL ? json_object_new_string(q->last) :
	    q->after != NULL ? json_object_new_string(q->after) : NULL;
	buf_printf(&r->body, "],\"next\":%s}\n", json_object_to_json_string_ext(next,
	    JSON_FLAGS));
	json_object_put(next);
	r->status = 200;
	r->type = TYPE_JSON;
	req_answered(q);
}

static void
do_events(struct api_req *q)
{
	const char *after = req_arg(q, "after");
	const char *include = req_arg(q, "include");
	long long limit = API_DEFAULT_LIMIT;
	struct reply *r = &q->r;

	if (include != NULL && strcmp(include, "suppressed") != 0) {
		reply_error(r, 400, "\"include\" must be \"suppressed\", not \"%.80s\"", include);
		return;
	}
	q->suppressed = include != NULL;
	if (after != NULL && *after == '\0')
		after = NULL;
	if (after != NULL && !valid_id(after)) {
		reply_error(r, 400, "\"after\" must be an event id, not \"%.80s\"", after);
		return;
	}
	if (!arg_limit(q, &limit, r))
		return;
	q->after = xstrdup(after);
	buf_str(&r->body, "{\"events\":[");
	req_wait(q);
	store_events_after(q->api->st, after, (int)limit, add_event, events_done, q);
}

/* GET /v1/deliveries, the rows of `pollhook deliveries list --json` */

static void
add_delivery(void *arg, const struct store_row *row)
{
	struct api_req *q = arg;
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "id", json_object_new_int64(row->seq));
	json_object_object_add(j, "state", json_object_new_string(
	    row->state == STORE_PENDING ? "pending" : row->state == STORE_DEAD ? "dead" :
	    "retry"));
	json_object_object_add(j, "subscriber", json_object_new_string(row->subscriber));
	json_object_object_add(j, "event", json_object_new_string(row->event_name));
	json_object_object_add(j, "event_id", json_object_new_string(row->event_id));
	json_object_object_add(j, "attempts", json_object_new_int((int)row->attempts));
	json_object_object_add(j, "last_status", json_object_new_int(row->last_status));
	json_object_object_add(j, "last_error", row->last_error != NULL ?
	    json_object_new_string(row->last_error) : NULL);
	json_object_object_add(j, "created", api_json_time(row->created));
	json_object_array_add(q->arr, j);
}

static void
deliveries_done(void *arg, long long n)
{
	struct api_req *q = arg;

	if (n < 0)
		reply_error(&q->r, 500, "store: %s", store_error(q->api->st));
	else {
		reply_json(&q->r, 200, q->arr);
		q->arr = NULL;
	}
	req_answered(q);
}

static void
do_deliveries(struct api_req *q)
{
	struct reply *r = &q->r;
	const char *state = req_arg(q, "state");
	long long limit = API_DEFAULT_LIMIT, after = 0;
	enum store_dstate st;

	if (state == NULL || strcmp(state, "pending") == 0)
		st = STORE_PENDING;
	else if (strcmp(state, "dead") == 0)
		st = STORE_DEAD;
	else {
		reply_error(r, 400, "\"state\" is pending or dead, not \"%.32s\"", state);
		return;
	}
	if (!arg_limit(q, &limit, r) ||
	    !arg_int(q, "after", 0, INT64_MAX, &after, r))
		return;
	q->arr = json_object_new_array();
	req_wait(q);
	store_deliveries_page(q->api->st, st, after, (int)limit, add_delivery, deliveries_done, q);
}

/* POST /v1/deliveries/ID/retry */

static void
retry_done(void *arg, long long n)
{
	struct api_req *q = arg;
	struct json_object *j;

	if (n < 0)
		reply_error(&q->r, 500, "store: %s", store_error(q->api->st));
	else if (n == 0)
		reply_error(&q->r, 404, "no dead delivery with id %lld", q->seq);
	else {
		log_info("api: dead delivery %lld queued for retry", q->seq);
		j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_int64(q->seq));
		json_object_object_add(j, "state", json_object_new_string("retry"));
		reply_json(&q->r, 202, j);
	}
	req_answered(q);
}

static void
do_retry(struct api_req *q, const char *id)
{
	long long seq = 0;

	if (strspn(id, "0123456789") == strlen(id) && strlen(id) <= 18)
		seq = strtoll(id, NULL, 10);
	/* 0 would mean every dead letter to store_request_retry. */
	if (seq <= 0) {
		reply_error(&q->r, 404, "no dead delivery with id \"%.32s\"", id);
		return;
	}
	q->seq = seq;
	req_wait(q);
	store_request_retry(q->api->st, seq, retry_done, q);
}

static void
retry_all_done(void *arg, long long n)
{
	struct api_req *q = arg;
	struct json_object *j;

	if (n < 0) {
		reply_error(&q->r, 500, "store: %s", store_error(q->api->st));
	} else {
		if (n > 0)
			log_info("api: %lld dead deliveries queued for retry", n);
		j = json_object_new_object();
		json_object_object_add(j, "retried", json_object_new_int64(n));
		reply_json(&q->r, 202, j);
	}
	req_answered(q);
}

/* Queues every dead letter for another delivery (POST /v1/deliveries/retry). */
static void
do_retry_all(struct api_req *q)
{
	req_wait(q);
	store_request_retry(q->api->st, 0, retry_all_done, q);
}

/* Answers a file of the console at url; returns false when there is none. */
static bool
do_console(struct reply *r, const char *url)
{
	const struct console_file *f = api_console_find(url);

	if (f == NULL)
		return false;
	r->status = 200;
	r->type = f->type;
	r->console = true;
	buf_add(&r->body, (const char *)f->data, f->len);
	return true;
}

/* Routing */

static const struct get_route {
	const char *path;
	void (*fn)(struct api_req *q);
} get_routes[] = {
	{ "/metrics", do_metrics },
	{ "/v1/sources", do_sources },
	{ "/v1/cluster", do_cluster },
	{ "/v1/events", do_events },
	{ "/v1/deliveries", do_deliveries },
};

/* Returns the ID of "/v1/deliveries/ID/retry" (in buf), or NULL. */
static const char *
retry_path(const char *url, char *buf, size_t len)
{
	static const char pre[] = "/v1/deliveries/", post[] = "/retry";
	size_t n = strlen(url), idlen;

	if (strncmp(url, pre, sizeof(pre) - 1) != 0 || n < sizeof(pre) - 1 + sizeof(post) ||
	    strcmp(url + n - (sizeof(post) - 1), post) != 0)
		return NULL;
	idlen = n - (sizeof(pre) - 1) - (sizeof(post) - 1);
	if (idlen >= len || memchr(url + sizeof(pre) - 1, '/', idlen) != NULL)
		return NULL;
	memcpy(buf, url + sizeof(pre) - 1, idlen);
	buf[idlen] = '\0';
	return buf;
}

/* Answers q in q->r, or starts what will (the phase is then REQ_WAITING). */
static void
route(struct api_req *q, const char *url, const char *method)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	struct reply *r = &q->r;
	char idbuf[API_ID_MAX + 1];
	const char *id;

	if (strcmp(url, "/healthz") == 0) {
		if (get)
			do_healthz(q);
		else
			not_allowed(r, ALLOW_GET, method);
		return;
	}
	if (strcmp(url, "/websub") == 0 && q->api->cfg->bridge.api.subs.websub_open) {
		api_websub_route(q, method);
		return;
	}
	/* The console's files carry no data: the page asks for the token. */
	if (get && q->api->cfg->bridge.api.console && do_console(r, url))
		return;
	if (!authorized(q, method, r))
		return;
	for (size_t i = 0; i < NELEM(get_routes); i++) {
		if (strcmp(url, get_routes[i].path) != 0)
			continue;
		if (get)
			get_routes[i].fn(q);
		else
			not_allowed(r, ALLOW_GET, method);
		return;
	}
	if (strcmp(url, "/v1/deliveries/retry") == 0) {
		if (strcmp(method, "POST") == 0)
			do_retry_all(q);
		else
			not_allowed(r, "POST", method);
		return;
	}
	if ((id = retry_path(url, idbuf, sizeof(idbuf))) != NULL) {
		if (strcmp(method, "POST") == 0)
			do_retry(q, id);
		else
			not_allowed(r, "POST", method);
		return;
	}
	if (strcmp(url, "/v1/subscribers") == 0 || strncmp(url, "/v1/subscribers/", 16) == 0) {
		api_subs_route(q, url, method);
		return;
	}
	if (strcmp(url, "/v1/silences") == 0 || strncmp(url, "/v1/silences/", 13) == 0) {
		api_silences_route(q, url, method);
		return;
	}
	if (strcmp(url, "/v1/event-types") == 0) {
		if (get)
			api_event_types(q);
		else
			not_allowed(r, ALLOW_GET, method);
		return;
	}
	if (strcmp(url, "/websub") == 0) {
		api_websub_route(q, method);
		return;
	}
	reply_error(r, 404, "no such endpoint: %.200s", url);
}

static enum MHD_Result
send_reply(struct api *a, struct MHD_Connection *c, struct reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(r->body.len, r->body.p, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(r->body.p);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (r->allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->authenticate != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->authenticate);
	if (r->console) {
		MHD_add_response_header(resp, "Content-Security-Policy", API_CONSOLE_CSP);
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	}
	if (a->stopping)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Returns whether the request announces a body. */
static bool
has_body(struct MHD_Connection *c)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (len != NULL && strcmp(len, "0") != 0) ||
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* Request contexts */

static void server_poke(struct server *s);

/* A request of a (on srv and c, or NULL and NULL for api_request). */
static struct api_req *
req_new(struct api *a, struct server *srv, struct MHD_Connection *c)
{
	struct api_req *q = xcalloc(1, sizeof(*q));

	q->api = a;
	q->srv = srv;
	q->c = c;
	q->phase = REQ_HEADERS;
	q->r.status = 500;
	q->r.type = TYPE_JSON;
	q->depth = -1;
	return q;
}

static void
req_unlink(struct api_req *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else if (q->api->waiting == q)
		q->api->waiting = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

/* A store request is going out for q: its answer comes through req_answered. */
static void
req_wait(struct api_req *q)
{
	struct api *a = q->api;

	q->phase = REQ_WAITING;
	q->next = a->waiting;
	if (a->waiting != NULL)
		a->waiting->prev = q;
	a->waiting = q;
}

/* q's reply is ready: it goes out now, or when MHD runs the resumed connection. */
static void
req_answered(struct api_req *q)
{
	req_unlink(q);
	q->phase = REQ_ANSWERED;
	if (q->suspended) {
		q->suspended = false;
		MHD_resume_connection(q->c);
		server_poke(q->srv);
	}
}

static void
req_free(struct api_req *q)
{
	if (q->phase == REQ_WAITING) {
		store_forget(q->api->st, q);
		if (q->api->subs != NULL)
			subs_forget(q->api->subs, q);
		req_unlink(q);
	}
	if (q->phase != REQ_SENT)
		free(q->r.body.p);
	free(q->in.p);
	if (q->data_free != NULL)
		q->data_free(q->data);
	free(q->last);
	free(q->after);
	free(q->dead.p);
	json_object_put(q->arr);
	free(q);
}

/* MHD is done with the request (answered, or the connection went). */
static void
req_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)toe;
	if (*con_cls != NULL)
		req_free(*con_cls);
	*con_cls = NULL;
	api_conn_completed(c);
}

/*
 * Returns the bound of the body the endpoint at url reads: max_form_body for
 * the WebSub form, max_body for JSON, 0 when it reads none.
 */
static size_t
reads_body(const struct api *a, const char *url, const char *method)
{
	const struct api_config *ac = &a->cfg->bridge.api;

	if (strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0)
		return 0;
	if (strcmp(url, "/websub") == 0)
		return ac->max_form_body;
	if (strcmp(url, "/v1/subscribers") == 0 || strncmp(url, "/v1/subscribers/", 16) == 0 ||
	    strcmp(url, "/v1/silences") == 0)
		return ac->max_body;
	return 0;
}

/*
 * Takes a piece of the body; returns whether the whole body has come, or
 * (too_big set) whether it is already larger than allowed: then the rest is
 * not read.
 */
static bool
read_body(struct api_req *q, const char *data, size_t *size)
{
	if (*size == 0) {
		q->reading = false;
		return true;
	}
	if (q->in.len + *size > q->max_in) {
		q->too_big = true;
		q->reading = false;
		*size = 0;
		return true;
	}
	buf_add(&q->in, data, *size);
	*size = 0;
	return false;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **req)
{
	struct server *srv = cls;
	struct api_req *q = *req;
	const char *len;
	enum MHD_Result rc;
	size_t max;

	(void)version;
	/*
	 * Endpoints without a body answer on the second call (request complete:
	 * the connection can be kept alive); a body they do not read gets the
	 * answer on the first, and MHD closes the connection instead of
	 * reading it. The endpoints that read one (reads_body) take it whole,
	 * up to their bound, then answer; a body that announces more, or
	 * grows past it, gets 413 at once and is not read further. The
	 * connection's deadlines (api_conn.c) follow: headers in, body in.
	 */
	if (q == NULL) {
		*req = q = req_new(srv->api, srv, c);
		if (!has_body(c)) {
			api_conn_headers(c, false);
			return MHD_YES;
		}
		if ((max = reads_body(srv->api, url, method)) > 0) {
			len = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
			    MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (len != NULL && strtoull(len, NULL, 10) > max) {
				api_conn_headers(c, false);
				srv->api->conn_stats.too_large++;
				reply_error(&q->r, 413, "the body is larger than %zu bytes", max);
				goto send;
			}
			api_conn_headers(c, true);
			q->max_in = max;
			q->reading = true;
			return MHD_YES;
		}
		api_conn_headers(c, false);
	} else if (q->reading) {
		if (!read_body(q, upload_data, upload_data_size))
			return MHD_YES;
		api_conn_body_done(c);
		if (q->too_big) {
			srv->api->conn_stats.too_large++;
			reply_error(&q->r, 413, "the body is larger than %zu bytes", q->max_in);
			goto send;
		}
	} else if (q->phase == REQ_ANSWERED) {
		*upload_data_size = 0;
		goto send;
	} else if (q->phase != REQ_HEADERS || *upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	route(q, url, method);
	if (q->phase == REQ_WAITING) {
		/* The store answers later: nothing of this connection runs until then. */
		q->suspended = true;
		MHD_suspend_connection(c);
		return MHD_YES;
	}
send:
	log_debug("api: %s %s: %u", method, url, q->r.status);
	rc = send_reply(q->api, c, &q->r);
	q->phase = REQ_SENT;
	return rc;
}

/* For the endpoints in other files (api_impl.h) */

struct subs *
api_req_subs(const struct api_req *q)
{
	return q->api->subs;
}

const struct config *
api_req_config(const struct api_req *q)
{
	return q->api->cfg;
}

struct delivery *
api_req_delivery(const struct api_req *q)
{
	return q->api->dlv;
}

const char *
api_req_body(const struct api_req *q, size_t *len)
{
	*len = q->in.len;
	return q->in.p != NULL ? q->in.p : "";
}

const char *
api_req_arg(const struct api_req *q, const char *name)
{
	return req_arg(q, name);
}

const char *
api_req_header(const struct api_req *q, const char *name)
{
	return req_header(q, name);
}

const char *
api_req_listen(const struct api_req *q)
{
	return q->srv != NULL ? q->srv->listen : "localhost";
}

void
api_reply_json(struct api_req *q, unsigned status, struct json_object *j)
{
	q->r.body.len = 0;
	reply_json(&q->r, status, j);
}

void
api_reply_error(struct api_req *q, unsigned status, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	q->r.body.len = 0;
	reply_error(&q->r, status, "%s", msg);
	free(msg);
}

void
api_not_allowed(struct api_req *q, const char *allow, const char *method)
{
	not_allowed(&q->r, allow, method);
}

void
api_req_set_data(struct api_req *q, void *data, void (*data_free)(void *))
{
	q->data = data;
	q->data_free = data_free;
}

void *
api_req_data(const struct api_req *q)
{
	return q->data;
}

void
api_req_wait(struct api_req *q)
{
	req_wait(q);
}

void
api_req_answered(struct api_req *q)
{
	req_answered(q);
}

static void __attribute__((format(printf, 2, 0)))
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* Mostly about misbehaving clients: not worth a warning each. */
	log_debug("api: libmicrohttpd: %s", msg);
}

/* The server on the loop */

static void
server_arm(struct server *s)
{
	struct ev_loop *loop = s->api->loop;
	MHD_UNSIGNED_LONG_LONG ms;

	ev_timer_stop(loop, &s->timer);
	if (MHD_get_timeout(s->mhd, &ms) == MHD_YES) {
		ev_timer_set(&s->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(loop, &s->timer);
	}
}

static void
server_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = container_of(w, struct server, io);

	(void)loop;
	(void)revents;
	MHD_run(s->mhd);
	server_arm(s);
}

/* Makes MHD run soon: a resumed connection has an answer to send. */
static void
server_poke(struct server *s)
{
	ev_timer_stop(s->api->loop, &s->timer);
	ev_timer_set(&s->timer, 0., 0.);
	ev_timer_start(s->api->loop, &s->timer);
}

static void
server_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = container_of(w, struct server, timer);

	(void)loop;
	(void)revents;
	MHD_run(s->mhd);
	server_arm(s);
}

static void
server_free(struct server *s)
{
	api_conns_free(s->conns);
	free(s->listen);
	free(s->cert_pem);
	if (s->key_pem != NULL)
		OPENSSL_cleanse(s->key_pem, strlen(s->key_pem));
	free(s->key_pem);
	free(s);
}

/* Returns a listening socket on "host:port" ("[v6]:port" too), or -1 with err set. */
static int
listen_socket(const char *listen_on, char *err, size_t errlen)
{
	const char *colon = strrchr(listen_on, ':');
	struct addrinfo hints = { 0 }, *res, *ai;
	char host[256];
	size_t hlen = colon != NULL ? (size_t)(colon - listen_on) : 0;
	int fd = -1, rc, one = 1, saved = 0;

	if (colon == NULL || hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "not \"host:port\"");
		return -1;
	}
	if (listen_on[0] == '[' && listen_on[hlen - 1] == ']') {
		memcpy(host, listen_on + 1, hlen - 2);
		host[hlen - 2] = '\0';
	} else {
		memcpy(host, listen_on, hlen);
		host[hlen] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -1;
	}
	/* A name that resolves to several addresses gets its first that binds. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, API_BACKLOG) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		snprintf(err, errlen, "%s", strerror(saved != 0 ? saved : EADDRNOTAVAIL));
	return fd;
}

/*
 * Returns how many connections the server may take: max_connections, or
 * fewer when the descriptor limit (RLIMIT_NOFILE, raised to its hard limit
 * if need be) cannot hold them and API_EVICT_ROOM + API_FD_RESERVE more,
 * said in a warning.
 */
static unsigned
fd_budget(unsigned want)
{
	const rlim_t extra = API_FD_RESERVE + API_EVICT_ROOM;
	struct rlimit rl;
	rlim_t need = (rlim_t)want + extra, room;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= need)
		return want;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > rl.rlim_cur) {
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
		if (rl.rlim_cur >= need)
			return want;
	}
	room = rl.rlim_cur > 2 * extra ? rl.rlim_cur - extra : rl.rlim_cur / 4;
	log_warnx("api: bridge.api.max_connections is %u, but the descriptor limit "
	    "(RLIMIT_NOFILE) is %llu and %llu descriptors are kept for polling, the "
	    "store and eviction: the API takes at most %llu connections; raise the limit "
	    "(LimitNOFILE= in the systemd unit, ulimit -n) to %llu or lower max_connections",
	    want, (unsigned long long)rl.rlim_cur, (unsigned long long)extra,
	    (unsigned long long)room,
	    (unsigned long long)need);
	return room < 1 ? 1 : (unsigned)room;
}

/*
 * Starts a server on listen_on with the limits and TLS of ac; on fd when it
 * is not -1 (a listening socket it takes), else on a new one. NULL after
 * logging why (fd is then closed).
 */
static struct server *
server_start(struct api *a, const char *listen_on, const struct api_config *ac, int fd)
{
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem opts[16];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct server *s;
	char err[256];
	unsigned budget;
	size_t n = 0;

	if (fd == -1 && (fd = listen_socket(listen_on, err, sizeof(err))) == -1) {
		log_warnx("api: cannot listen on %s: %s", listen_on, err);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->api = a;
	s->listen_fd = fd;
	budget = fd_budget(ac->max_connections);
	s->conns = api_conns_new(a->loop, ac->header_timeout, ac->body_timeout, budget,
	    &a->conn_stats);
	s->limits = (struct api_config){ .max_connections = ac->max_connections,
	    .max_per_ip = ac->max_per_ip, .idle_timeout = ac->idle_timeout,
	    .header_timeout = ac->header_timeout, .body_timeout = ac->body_timeout };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)req_completed, s };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)api_conns_notify, s->conns };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, fd, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    (intptr_t)(budget + API_EVICT_ROOM), NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (intptr_t)ac->max_per_ip, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    (intptr_t)ac->idle_timeout, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL };
	if (ac->tls_cert_pem != NULL && ac->tls_key_pem != NULL) {
		flags |= MHD_USE_TLS;
		s->cert_pem = xstrdup(ac->tls_cert_pem);
		s->key_pem = xstrdup(ac->tls_key_pem);
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (s->mhd == NULL ||
	    (info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
		log_warnx("api: cannot start the HTTP%s server on %s", s->cert_pem != NULL ?
		    "S" : "", listen_on);
		if (s->mhd != NULL)
			MHD_stop_daemon(s->mhd);
		else
			close(fd);
		server_free(s);
		return NULL;
	}
	s->listen = xstrdup(listen_on);
	ev_io_init(&s->io, server_io, info->epoll_fd, EV_READ);
	ev_io_start(a->loop, &s->io);
	ev_timer_init(&s->timer, server_timer, 0., 0.);
	server_arm(s);
	log_info("api: listening on %s%s", listen_on, s->cert_pem != NULL ? " (https)" : "");
	return s;
}

/*
 * Closes the listening socket and frees s; with flush, first lets answers in
 * progress go out for up to API_FLUSH_SECONDS (only once the loop is done:
 * this blocks).
 */
static void
server_stop(struct server *s, bool flush)
{
	struct ev_loop *loop = s->api->loop;
	const union MHD_DaemonInfo *info;
	MHD_socket fd;
	double end = ev_time() + API_FLUSH_SECONDS;

	/* Answers still waiting for the store are given up: 503, and the store forgets them. */
	for (struct api_req *q = s->api->waiting, *next; q != NULL; q = next) {
		next = q->next;
		if (q->srv != s)
			continue;
		store_forget(s->api->st, q);
		if (s->api->subs != NULL)
			subs_forget(s->api->subs, q);
		q->r.body.len = 0;
		reply_error(&q->r, 503, "the API is stopping");
		req_answered(q);
	}
	/* Resumed connections are taken up only by a run; MHD must not stop with them suspended. */
	MHD_run(s->mhd);
	ev_io_stop(loop, &s->io);
	ev_timer_stop(loop, &s->timer);
	fd = MHD_quiesce_daemon(s->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while (flush && ev_time() < end &&
	    (info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS)) != NULL &&
	    info->num_connections > 0) {
		struct pollfd p = { s->io.fd, POLLIN, 0 };

		(void)poll(&p, 1, 50);
		MHD_run(s->mhd);
	}
	MHD_stop_daemon(s->mhd);
	server_free(s);
}

/* Warns of an API without a token once per server (not at every reload that keeps it so). */
static void
warn_open(struct api *a)
{
	if (a->srv == NULL || a->has_token) {
		a->warned_open = false;
		return;
	}
	if (!a->warned_open)
		log_warnx("api: no bridge.api.token: anyone who can connect to %s can use the API",
		    a->srv->listen);
	a->warned_open = true;
}

void
api_set_subs(struct api *a, struct subs *subs)
{
	a->subs = subs;
}

void
api_set_noise(struct api *a, struct noise *noise)
{
	a->noise = noise;
}

struct noise *
api_req_noise(const struct api_req *q)
{
	return q->api->noise;
}

void
api_set_discover(struct api *a, struct discover *d)
{
	a->disc = d;
}

struct api *
api_new(struct ev_loop *loop, const struct config *cfg, struct engine *eng,
    struct delivery *dlv, struct store *st)
{
	struct api *a = xcalloc(1, sizeof(*a));

	a->loop = loop;
	a->cfg = cfg;
	a->eng = eng;
	a->dlv = dlv;
	a->st = st;
	set_token(a, cfg->bridge.api.token, cfg->bridge.api.read_token);
	if (cfg->bridge.api.listen != NULL) {
		a->srv = server_start(a, cfg->bridge.api.listen, &cfg->bridge.api, -1);
		if (a->srv == NULL) {
			free(a);
			return NULL;
		}
	}
	warn_open(a);
	return a;
}

void
api_set_cluster(struct api *a, struct cluster *c)
{
	a->cluster = c;
}

/* Returns whether s needs a new daemon to apply the limits and TLS of b. */
static bool
server_differs(const struct server *s, const struct api_config *b)
{
	const struct api_config *a = &s->limits;

	return a->max_connections != b->max_connections || a->max_per_ip != b->max_per_ip ||
	    a->idle_timeout != b->idle_timeout || a->header_timeout != b->header_timeout ||
	    a->body_timeout != b->body_timeout ||
	    (s->cert_pem == NULL) != (b->tls_cert_pem == NULL) ||
	    (s->cert_pem != NULL && (strcmp(s->cert_pem, b->tls_cert_pem) != 0 ||
	    strcmp(s->key_pem, b->tls_key_pem) != 0));
}

void
api_reload(struct api *a, const struct config *cfg)
{
	const struct api_config *ac = &cfg->bridge.api;
	const char *want = ac->listen;
	struct server *next;
	int fd = -1;

	set_token(a, ac->token, ac->read_token);
	if (a->srv != NULL && want != NULL && strcmp(a->srv->listen, want) == 0) {
		/* The same address: new limits or TLS on a copy of its socket. */
		if (!server_differs(a->srv, ac)) {
			a->cfg = cfg;
			warn_open(a);
			return;
		}
		if ((fd = fcntl(a->srv->listen_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			log_warn("api: cannot apply the new bridge.api limits or TLS: dup");
			a->cfg = cfg;
			return;
		}
	}
	a->cfg = cfg;
	if (a->srv == NULL && want == NULL)
		return;
	if (want == NULL) {
		server_stop(a->srv, false);
		a->srv = NULL;
		log_info("api: stopped (bridge.api.listen removed)");
		return;
	}
	/* The new server first, so a failure leaves the running one alone. */
	next = server_start(a, want, ac, fd);
	if (next == NULL) {
		if (a->srv != NULL)
			log_warnx("api: still listening on %s, as before the reload", a->srv->listen);
		return;
	}
	if (a->srv != NULL) {
		if (fd == -1)
			log_info("api: no longer listening on %s", a->srv->listen);
		server_stop(a->srv, false);
	}
	a->srv = next;
	a->warned_open = false;
	warn_open(a);
}

void
api_stopping(struct api *a)
{
	if (a != NULL)
		a->stopping = true;
}

void
api_free(struct api *a)
{
	if (a == NULL)
		return;
	if (a->srv != NULL)
		server_stop(a->srv, true);
	free(a);
}

/* Requests without a connection (api.h: api_request) */

static void
request_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	*(bool *)w->data = true;
}

unsigned
api_request(struct api *a, const char *method, const char *url, const char *const *args,
    const char *const *headers, const char *body, size_t len, double timeout, char **answer)
{
	struct api_req *q = req_new(a, NULL, NULL);
	unsigned status = 0;
	bool expired = false;
	size_t max;
	ev_timer t;

	q->args = args;
	q->headers = headers;
	*answer = NULL;
	/* As on_request does with what a connection brought. */
	if (body != NULL && len > 0 && (max = reads_body(a, url, method)) > 0) {
		if (len > max)
			reply_error(&q->r, 413, "the body is larger than %zu bytes", max);
		else
			buf_add(&q->in, body, len);
	}
	if (q->r.status != 413)
		route(q, url, method);
	if (q->phase == REQ_WAITING) {
		ev_timer_init(&t, request_timeout, timeout, 0.0);
		t.data = &expired;
		ev_timer_start(a->loop, &t);
		while (q->phase == REQ_WAITING && !expired)
			ev_run(a->loop, EVRUN_ONCE);
		ev_timer_stop(a->loop, &t);
	}
	if (q->phase != REQ_WAITING) {
		status = q->r.status;
		*answer = q->r.body.p != NULL ? q->r.body.p : xstrdup("");
		q->r.body.p = NULL;
	}
	req_free(q);
	return status;
}
