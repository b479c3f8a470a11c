#ifndef POLLHOOK_NOISE_H
#define POLLHOOK_NOISE_H

/*
 * What holds events back at run time besides parents: the silences (added
 * through the API, kept in the store) and the config's maintenance windows.
 * The engine asks noise_why before it evaluates a rule on a source; the
 * reason ("silence:ID", "maintenance:NAME") goes with each event held back.
 */

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "config.h"
#include "silence.h"
#include "store.h"

struct noise;

/* Creates the noise control of cfg (borrowed) with st (borrowed; NULL: no silences). */
struct noise *noise_new(const struct config *cfg, struct store *st);
/* Loads the stored silences, then calls ready(arg, 0), or ready(arg, -1) on a store error. */
void noise_load(struct noise *n, void (*ready)(void *arg, int status), void *arg);
/*
 * Creates the noise control of cfg (borrowed) with the silences its store holds,
 * read on loop within timeout seconds and never written (--once); none when the
 * SQLite file does not exist. NULL with a message in err on a store error.
 */
struct noise *noise_read(const struct config *cfg, struct ev_loop *loop, double timeout,
    char *err, size_t errlen);
/* Switches to cfg (borrowed; its maintenance windows) after a reload. */
void noise_set_config(struct noise *n, const struct config *cfg);
/* An engine_silencer_fn: why rule r on src is held back at now (into buf), or NULL. */
const char *noise_why(void *arg, const struct source_config *src, const struct rule_config *r,
    double now, char *buf, size_t len);
/* Adds s (n takes it) and saves it in the store's open batch (the caller commits). */
void noise_add(struct noise *n, struct silence *s);
/* Removes silence id and saves its deletion; returns whether there was one. */
bool noise_remove(struct noise *n, const char *id);
/* Returns the silences (borrowed). */
const struct silences *noise_silences(const struct noise *n);
/* Frees n. NULL is ignored. */
void noise_free(struct noise *n);

#endif
