#ifndef POLLHOOK_TRANSFORM_H
#define POLLHOOK_TRANSFORM_H

/*
 * jq transforms of the envelope (libjq). A program is compiled when the
 * config loads, so a syntax error is a FILE:LINE error; it runs at send
 * time in the transform worker (transform_worker.h), a child process, since
 * jq has no step limit: a program that loops is killed there after
 * TRANSFORM_TIMEOUT instead of stalling the daemon's loop.
 */

#include <stddef.h>

#define TRANSFORM_MAX_PROGRAM	65536		/* bytes of jq source */
#define TRANSFORM_MAX_OUTPUT	(1024 * 1024)	/* bytes of the one output */
#define TRANSFORM_TIMEOUT	1.0		/* seconds one run may take */

struct transform;

/*
 * Compiles the jq program src (copied). Returns the program, or NULL with
 * jq's message in err.
 */
struct transform *transform_compile(const char *src, char *err, size_t errlen);
/*
 * Frees t's compiled form, keeping its text and id: the daemon only checks a
 * program (its runs are the worker's, which compiles its own), and a jq
 * state with its builtins is large. transform_run then fails.
 */
void transform_drop_compiled(struct transform *t);
/* Returns the program's text (borrowed). */
const char *transform_source(const struct transform *t);
/* Returns a number naming t for its lifetime, unique in this process. */
unsigned long transform_id(const struct transform *t);
/* Frees t; NULL is ignored. */
void transform_free(struct transform *t);
/*
 * Runs t on the JSON text input (len bytes), in the calling process and
 * without a time bound (the worker's job): *out gets its one output as JSON
 * text (caller frees), at most TRANSFORM_MAX_OUTPUT bytes. Returns 0, or -1
 * with why in err (jq's error, no output, more than one, too big).
 */
int transform_run(struct transform *t, const char *input, size_t len, char **out,
    size_t *outlen, char *err, size_t errlen);

#endif
