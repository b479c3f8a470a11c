#ifndef POLLHOOK_CLI_STORE_H
#define POLLHOOK_CLI_STORE_H

/*
 * "pollhook store check|migrate|copy", and the store on a command line:
 * opened on the process's own loop, each answer waited for in turn.
 */

#include <stdbool.h>

#include "store.h"

/*
 * One answer waited for: set by cli_wait_done, read by cli_store_wait. It is
 * the request's arg, so its row callbacks find their own state in data.
 */
struct cli_wait {
	bool done;
	long long result;
	void *data;
};

/* A store_done_fn for a struct cli_wait at arg. */
void cli_wait_done(void *arg, long long result);
/*
 * Opens the store conf (borrowed) on the default loop with flags; NULL after
 * printing why to stderr.
 */
struct store *cli_store_open(const struct store_config *conf, int flags);
/* Runs the loop until w is answered; returns its result, or -1 after printing why. */
long long cli_store_wait(struct store *st, struct cli_wait *w);
/* Runs "pollhook store check|migrate|copy ..." (argv[0] is "store"); returns the exit status. */
int cli_store(int argc, char **argv);

#endif
