#include "reload.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

struct reload {
	struct ev_loop *loop;
	const char *path;
	void (*done)(void *arg, struct config *next);
	void *arg;
	ev_async loaded;	/* the worker's result is in next */
	pthread_t th;
	bool running;		/* th runs or awaits its join */
	bool again;		/* asked for while running */
	struct config *next;	/* written by the worker before ev_async_send */
	struct discover_known *(*snapshot)(void *arg);
	struct discover_known *known;	/* the worker's, taken at the start */
};

static void *
worker(void *arg)
{
	struct reload *r = arg;

	r->next = config_load_known(r->path, r->known);
	ev_async_send(r->loop, &r->loaded);
	return NULL;
}

static void
on_loaded(struct ev_loop *loop, ev_async *w, int revents)
{
	struct reload *r = container_of(w, struct reload, loaded);
	struct config *next;

	(void)loop;
	(void)revents;
	if (!r->running)
		return;
	pthread_join(r->th, NULL);
	r->running = false;
	discover_known_free(r->known);
	r->known = NULL;
	next = r->next;
	r->next = NULL;
	r->done(r->arg, next);
	if (r->again) {
		r->again = false;
		log_info("reloading %s again: asked for while the last reload ran", r->path);
		(void)reload_start(r);
	}
}

struct reload *
reload_new(struct ev_loop *loop, const char *path,
    void (*done)(void *arg, struct config *next), void *arg)
{
	struct reload *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->path = path;
	r->done = done;
	r->arg = arg;
	ev_async_init(&r->loaded, on_loaded);
	ev_async_start(loop, &r->loaded);
	/* The loop waits for nothing but polls: the async alone must not keep it running. */
	ev_unref(loop);
	return r;
}

void
reload_set_known(struct reload *r, struct discover_known *(*snapshot)(void *arg))
{
	r->snapshot = snapshot;
}

int
reload_start(struct reload *r)
{
	sigset_t all, old;
	int rc;

	if (r->running) {
		r->again = true;
		return 1;
	}
	if (r->snapshot != NULL)
		r->known = r->snapshot(r->arg);
	/* Signals stay with the loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&r->th, NULL, worker, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("reload: cannot start a thread to load %s", r->path);
		discover_known_free(r->known);
		r->known = NULL;
		return -1;
	}
	r->running = true;
	return 0;
}

void
reload_free(struct reload *r)
{
	if (r == NULL)
		return;
	if (r->running) {
		pthread_join(r->th, NULL);
		config_free(r->next);
		discover_known_free(r->known);
	}
	ev_ref(r->loop);
	ev_async_stop(r->loop, &r->loaded);
	free(r);
}
