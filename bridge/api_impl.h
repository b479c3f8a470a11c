#ifndef POLLHOOK_API_IMPL_H
#define POLLHOOK_API_IMPL_H

/*
 * What api.c, the server, lends the endpoints kept in files of their own
 * (api_subs.c): the request, its body and arguments, and its answer. An
 * endpoint either answers at once, or calls api_req_wait and later, from
 * the loop, answers and calls api_req_answered (the connection waits
 * suspended meanwhile). A request that goes away while waiting is
 * forgotten by the store and by subs (subs_forget), with the request as arg.
 */

#include <stddef.h>

struct api_req;
struct config;
struct delivery;
struct json_object;
struct noise;
struct subs;

/* Returns the dynamic subscribers (borrowed), or NULL when there are none. */
struct subs *api_req_subs(const struct api_req *q);
/* Returns the daemon's configuration (borrowed). */
const struct config *api_req_config(const struct api_req *q);
/* Returns the noise control, the silences (borrowed), or NULL when there is none. */
struct noise *api_req_noise(const struct api_req *q);
/* Returns the delivery manager (borrowed). */
struct delivery *api_req_delivery(const struct api_req *q);
/* A JSON string of unix_s in RFC 3339 (UTC), a new reference (GET answers' times). */
struct json_object *api_json_time(double unix_s);
/* Returns the request body (borrowed, NUL-terminated, "" when none) and its length. */
const char *api_req_body(const struct api_req *q, size_t *len);
/* Returns query argument name (borrowed), or NULL. */
const char *api_req_arg(const struct api_req *q, const char *name);
/* Returns request header name (borrowed), or NULL. */
const char *api_req_header(const struct api_req *q, const char *name);
/* Returns the "host:port" the request came in on (borrowed). */
const char *api_req_listen(const struct api_req *q);
/* Answers status with the JSON of j, which it takes. */
void api_reply_json(struct api_req *q, unsigned status, struct json_object *j);
/* Answers status with {"error": message}. */
void api_reply_error(struct api_req *q, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers 405 with Allow: allow. */
void api_not_allowed(struct api_req *q, const char *allow, const char *method);
/* Keeps data with q until q is freed, then calls data_free(data) (NULL: nothing). */
void api_req_set_data(struct api_req *q, void *data, void (*data_free)(void *));
/* Returns what api_req_set_data kept (borrowed), or NULL. */
void *api_req_data(const struct api_req *q);
/* The answer comes later: the connection is suspended until api_req_answered. */
void api_req_wait(struct api_req *q);
/* The answer is ready: the connection resumes and sends it. */
void api_req_answered(struct api_req *q);

/* The endpoints of api_subs.c. */

/* /v1/subscribers[/NAME[/ACTION]] */
void api_subs_route(struct api_req *q, const char *url, const char *method);
/* /v1/silences[/ID], of api_silences.c */
void api_silences_route(struct api_req *q, const char *url, const char *method);
/* GET /v1/event-types */
void api_event_types(struct api_req *q);
/* POST /websub */
void api_websub_route(struct api_req *q, const char *method);

#endif
