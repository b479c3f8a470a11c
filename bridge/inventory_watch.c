#include "inventory_watch.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define QUIET		0.5	/* seconds without changes before the reload */
#define STAT_EVERY	1.0	/* the stat interval where inotify is not there */

struct watched {
	ev_stat st;		/* embedded: container_of gets back here */
	char *path;		/* owned: ev_stat keeps the pointer */
	struct inventory_watch *w;
};

struct inventory_watch {
	struct ev_loop *loop;
	struct config *const *cfgp;
	const struct config *seen;	/* the config the files were taken from */
	ev_prepare sync;
	ev_timer quiet;
	struct watched *files;
	size_t nfiles;
};

static void
on_quiet(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	log_info("inventory: a watched file changed: reloading");
	/* The operator's reload, with everything it logs and keeps. */
	kill(getpid(), SIGHUP);
}

static void
on_change(struct ev_loop *loop, ev_stat *st, int revents)
{
	struct watched *f = container_of(st, struct watched, st);

	(void)revents;
	log_debug("inventory: %s changed", f->path);
	ev_timer_stop(loop, &f->w->quiet);
	ev_timer_set(&f->w->quiet, QUIET, 0.);
	ev_timer_start(loop, &f->w->quiet);
}

static void
unwatch(struct inventory_watch *w)
{
	for (size_t i = 0; i < w->nfiles; i++) {
		ev_stat_stop(w->loop, &w->files[i].st);
		free(w->files[i].path);
	}
	free(w->files);
	w->files = NULL;
	w->nfiles = 0;
}

/* Watches the inventories of *w->cfgp when it is another config than last time. */
static void
on_sync(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct inventory_watch *w = container_of(p, struct inventory_watch, sync);
	const struct config *cfg = *w->cfgp;
	size_t n = 0;

	(void)revents;
	if (cfg == w->seen)
		return;
	unwatch(w);
	w->seen = cfg;
	for (size_t i = 0; cfg != NULL && i < cfg->ninventories; i++)
		n += cfg->inventories[i].watch;
	if (n == 0)
		return;
	w->files = xcalloc(n, sizeof(*w->files));
	for (size_t i = 0; i < cfg->ninventories; i++) {
		struct watched *f = &w->files[w->nfiles];

		if (!cfg->inventories[i].watch)
			continue;
		f->path = xstrdup(cfg->inventories[i].path);
		f->w = w;
		ev_stat_init(&f->st, on_change, f->path, STAT_EVERY);
		ev_stat_start(loop, &f->st);
		w->nfiles++;
	}
}

struct inventory_watch *
inventory_watch_start(struct ev_loop *loop, struct config *const *cfgp)
{
	struct inventory_watch *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->cfgp = cfgp;
	ev_timer_init(&w->quiet, on_quiet, QUIET, 0.);
	ev_prepare_init(&w->sync, on_sync);
	ev_prepare_start(loop, &w->sync);
	/* The first iteration would do it too; now, so no change slips in before. */
	on_sync(loop, &w->sync, 0);
	return w;
}

void
inventory_watch_stop(struct inventory_watch *w)
{
	if (w == NULL)
		return;
	ev_prepare_stop(w->loop, &w->sync);
	ev_timer_stop(w->loop, &w->quiet);
	unwatch(w);
	free(w);
}
