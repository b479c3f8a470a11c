#ifndef POLLHOOK_SUBS_H
#define POLLHOOK_SUBS_H

/*
 * Subscribers added at run time (the management API, WebSub): their
 * records in the store, their validation, their health. An active one is a
 * struct subscriber_config of the webhook emitter handed to the delivery
 * manager, whose outcomes come back here: consecutive failures, the last
 * success, and disabling after bridge.api.subscriptions.disable_after of
 * continuous failure or a 410, with the operational events
 * pollhook.subscriber.disabled and .enabled. Names are shared with the
 * configuration's subscribers: a name is one or the other.
 */

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "config.h"
#include "delivery.h"
#include "emitter.h"
#include "store.h"
#include "webhook_sign.h"

struct subs;
struct json_object;

/* The format fields of a dynamic subscriber, as the API names them (subs_format_fields). */
enum { DSUB_FORMAT, DSUB_CE_MODE, DSUB_ROUTING_KEY, DSUB_TRANSFORM, DSUB_NFMT };

/* One signing secret: the current one has until 0, those in their grace the end of it. */
struct dsub_secret {
	char *value;
	double until;		/* Unix seconds it stops signing; 0: current */
};

/* A dynamic subscriber. */
struct dsub {
	char *name;
	char *url;
	char *description;	/* NULL: none */
	char **events, **sources;	/* NULL-terminated globs, NULL: all */
	struct labels match;
	char **headers;		/* NULL-terminated "Name: value" */
	size_t nheaders;
	int signature;		/* enum sign_scheme */
	struct dsub_secret secrets[SIGN_MAX_SECRETS];
	size_t nsecrets;
	bool pending;		/* waiting for its validation: nothing is delivered */
	bool disabled;
	char *disabled_why;
	double disabled_at;
	unsigned failures;	/* consecutive failed attempts */
	double failing_since;	/* Unix seconds of the first of them; 0: none */
	double last_success;	/* 0: never */
	char *last_error;
	double created;
	char *fmt[DSUB_NFMT];	/* format, cloudevents_mode, routing_key, transform; NULL: unset */
	bool websub;		/* subscribed through /websub */
	double lease_until;	/* websub: Unix seconds the lease ends */
	struct subscriber_config sc;	/* what delivery runs, while running */
	bool running;
	bool busy;		/* an operation (validation, deletion) is under way */
};

/* Completes an asynchronous operation: HTTP-like status (2xx success) and a message or NULL. */
typedef void (*subs_done_fn)(void *arg, unsigned status, const char *why);

/*
 * Creates the dynamic subscribers of cfg (borrowed) on loop, over dlv and st
 * (borrowed, outliving it), and loads those the store holds into dlv.
 * Call before delivery_start: the store's pending deliveries find them.
 */
struct subs *subs_new(struct ev_loop *loop, const struct config *cfg, struct delivery *dlv,
    struct store *st);
/* Returns NULL when cfg (a reload) can take over, else why not (a name clash; static). */
const char *subs_check_config(struct subs *s, const struct config *cfg);
/* Switches to cfg (borrowed) after a reload: the SSRF guard, limits and timeouts change. */
void subs_reload(struct subs *s, const struct config *cfg);
/* Frees s and its subscribers' runtime (their records stay in the store). */
void subs_free(struct subs *s);

/* Returns the dynamic subscriber name (borrowed), or NULL. */
struct dsub *subs_find(struct subs *s, const char *name);
/* Returns the number of dynamic subscribers. */
size_t subs_count(const struct subs *s);
/* Returns the dynamic subscriber names in order (borrowed, valid until the next change). */
const char *const *subs_names(struct subs *s, size_t *n);
/* Returns the configuration in use (borrowed). */
const struct config *subs_config(const struct subs *s);

/*
 * Builds a subscriber from the JSON of a POST (borrowed): fills *out (the
 * caller frees it with subs_dsub_free) or returns the HTTP status of the
 * error (400 bad field, 403 refused URL) with the message, naming the
 * field, in err. websub: built by the hub, not a client.
 */
unsigned subs_parse_new(struct subs *s, struct json_object *body, struct dsub **out,
    char *err, size_t errlen);
/* Frees a subscriber not added (NULL: nothing). */
void subs_dsub_free(struct dsub *d);
/* Returns the API's JSON of d (never a secret); with_secret adds the current one. */
struct json_object *subs_dsub_json(const struct dsub *d, bool with_secret);

/*
 * Adds d (taken) and, when validate, runs its challenge first; done gets
 * 201 (added, active), 202 (added, pending: validate is false), or the
 * failure: 409 name taken, 507 too many, 422 validation failed, 403 the
 * SSRF guard refused the address. On failure d is freed.
 */
void subs_add(struct subs *s, struct dsub *d, bool validate, subs_done_fn done, void *arg);
/* Runs the challenge of name again: 200, 404, 409 (busy), 422 or 403. */
void subs_validate(struct subs *s, const char *name, subs_done_fn done, void *arg);
/*
 * Applies the JSON of a PATCH (borrowed) to name: 200, 400, 403, 404, 409, or
 * the results of a validation when the url changes.
 */
void subs_patch(struct subs *s, const char *name, struct json_object *body, subs_done_fn done,
    void *arg);
/* Deletes name and drops its deliveries; *dropped receives their number before done(200). */
void subs_delete(struct subs *s, const char *name, long long *dropped, subs_done_fn done,
    void *arg);
/*
 * Rotates name's secret to secret (NULL: a new random one); the old one
 * signs beside it for grace seconds where the scheme allows several
 * signatures. Returns 0, or -1 with the message in err.
 */
int subs_rotate(struct subs *s, const char *name, const char *secret, double grace,
    char *err, size_t errlen);
/* Sends name a signed pollhook.test event; its id goes into id (EVENT_ID_LEN + 1). */
int subs_test(struct subs *s, const char *name, char *id);
/* Requeues name's dead letters changed since since (Unix s); *n gets their number. */
void subs_recover(struct subs *s, const char *name, double since, long long *n,
    subs_done_fn done, void *arg);
/* Forgets every callback with arg (its request went away). */
void subs_forget(struct subs *s, void *arg);
/* Generates a new secret for scheme into a new string. */
char *subs_new_secret(int scheme);

/*
 * WebSub: subscribes callback (copied, like the rest) to topic, an event
 * glob, for lease_seconds, signing with secret (NULL: unsigned), or
 * unsubscribes it; the intent is verified first. A subscribe of a callback
 * and topic already subscribed renews its lease. Deliveries carry Link
 * headers naming hub_url and the topic. done gets 202 (subscribed,
 * renewed), 200 (unsubscribed) or the failure.
 */
void subs_websub(struct subs *s, bool subscribe, const char *callback, const char *topic,
    const char *secret, long lease_seconds, const char *hub_url, subs_done_fn done, void *arg);

#endif
