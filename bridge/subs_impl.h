#ifndef POLLHOOK_SUBS_IMPL_H
#define POLLHOOK_SUBS_IMPL_H

/*
 * Inside the dynamic subscribers: the registry and its operations, shared by
 * subs.c (the registry, the API's operations) and subs_websub.c (WebSub).
 */

#include <stdbool.h>

#include "curlev.h"
#include "hmap.h"
#include "subs.h"
#include "subs_json.h"
#include "subs_verify.h"

enum op_kind { OP_ADD, OP_VALIDATE, OP_PATCH, OP_DELETE, OP_RECOVER, OP_WEBSUB };

/* An operation a client waits for: a verification, then a commit or a request. */
struct op {
	struct subs *s;
	enum op_kind kind;
	struct dsub *d;		/* OP_ADD, OP_WEBSUB subscribe: the new one (owned) */
	char *name;
	struct dsub_fields f;	/* OP_PATCH */
	struct verify *v;
	long long *count;	/* OP_DELETE, OP_RECOVER */
	bool unsubscribe;	/* OP_WEBSUB */
	unsigned status;	/* what done gets once committed */
	subs_done_fn done;
	void *arg;
	struct op *prev, *next;
};

struct subs {
	struct ev_loop *loop;
	const struct config *cfg;
	struct delivery *dlv;
	struct store *st;
	const struct emitter_ops *webhook;
	struct ssrf_guard guard;	/* the config's, at a fixed address: confs borrow it */
	struct curlev *cv;		/* verifications */
	struct hmap byname;		/* name -> struct dsub */
	struct hmap adding;		/* names of subscribers being validated */
	size_t n, nadding;
	char **names;			/* sorted, rebuilt when names_dirty */
	bool names_dirty;
	struct op *ops;
	ev_timer tick;
	bool loaded;
};

/* Hands d to delivery (or, running, replaces its conf); -1 after logging why. */
int subs_run(struct subs *s, struct dsub *d);
/* Adds d (s takes it) to the registry; the tick starts with the first one. */
void subs_insert(struct subs *s, struct dsub *d);
/* Stops d and takes it out of the registry (the caller frees it). */
void subs_unlink(struct subs *s, struct dsub *d);
/* Starts an operation of kind on name for a client waiting with done(arg). */
struct op *subs_op_new(struct subs *s, enum op_kind kind, const char *name, subs_done_fn done,
    void *arg);
/* Ends op: done (unless forgotten) gets status and why, then op is freed. */
void subs_op_end(struct op *op, unsigned status, const char *why);
/* Saves d, then answers op with status once stored. */
void subs_op_commit(struct op *op, struct dsub *d, unsigned status);
/* Registers and starts d (taken); false after freeing it and answering op 500. */
bool subs_start(struct op *op, struct dsub *d);
/* Returns the HTTP status a failed verification answers: 403 refused, else 422. */
unsigned subs_verify_status(enum verify_result r);

#endif
