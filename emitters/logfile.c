/*
 * The log emitter: writes each event body as one JSON line to a file or to
 * stdout, so the whole pipeline can be watched without a receiver.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "emitter.h"
#include "log.h"
#include "xmalloc.h"

struct log_conf {
	char *path;		/* NULL: stdout */
};

struct log_state {
	const char *name;	/* the subscriber's, borrowed */
	char *path;
	int fd;
	bool owned;		/* we opened fd and close it */
	bool failing;		/* the last write failed: log only the change */
};

static const struct conf_key log_keys[] = {
	{ "path", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "file the events are appended to, one JSON line each; \"-\" or absent: stdout" },
	CONF_KEY_END
};

static int
log_configure(const struct conf_node *group, const struct subscriber_config *sub, void **conf)
{
	struct log_conf *lc = xcalloc(1, sizeof(*lc));
	const char *path = conf_string(group, "path", NULL);

	(void)sub;
	if (path != NULL && strcmp(path, "-") != 0)
		lc->path = xstrdup(path);
	*conf = lc;
	return 0;
}

static void
log_free_conf(void *conf)
{
	struct log_conf *lc = conf;

	if (lc == NULL)
		return;
	free(lc->path);
	free(lc);
}

static int
log_start(struct ev_loop *loop, void *shared, const char *name, const void *conf, void **state)
{
	const struct log_conf *lc = conf;
	struct log_state *ls = xcalloc(1, sizeof(*ls));

	(void)loop;
	(void)shared;
	ls->name = name;
	ls->fd = STDOUT_FILENO;
	if (lc->path != NULL) {
		ls->fd = open(lc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (ls->fd == -1) {
			log_warn("log/%s: cannot open %s", name, lc->path);
			free(ls);
			return -1;
		}
		ls->owned = true;
		ls->path = xstrdup(lc->path);
	}
	*state = ls;
	return 0;
}

static void
log_deliver(void *state, const struct event *ev, const struct format_body *body,
    unsigned attempt, deliver_done_fn done, void *arg)
{
	struct log_state *ls = state;
	struct delivery_outcome out = { .result = DELIVERY_OK };
	struct iovec iov[2];
	ssize_t n, want;

	(void)attempt;
	(void)ev;
	iov[0].iov_base = (void *)body->data;
	iov[0].iov_len = body->len;
	iov[1].iov_base = (void *)"\n";
	iov[1].iov_len = 1;
	want = (ssize_t)(iov[0].iov_len + 1);
	/* One writev with O_APPEND keeps each line whole among other writers. */
	do
		n = writev(ls->fd, iov, 2);
	while (n == -1 && errno == EINTR);
	if (n != want) {
		out.result = DELIVERY_RETRY;
		snprintf(out.error, sizeof(out.error), "write failed: %s",
		    n == -1 ? strerror(errno) : "short write");
		if (!ls->failing)
			log_warnx("log/%s: %s", ls->name, out.error);
		ls->failing = true;
	} else if (ls->failing) {
		log_info("log/%s: writing again", ls->name);
		ls->failing = false;
	}
	done(arg, &out);
}

static void
log_stop(void *state)
{
	struct log_state *ls = state;

	if (ls == NULL)
		return;
	if (ls->owned)
		close(ls->fd);
	free(ls->path);
	free(ls);
}

const struct emitter_ops log_emitter_ops = {
	.name = "log",
	.keys = log_keys,
	.configure = log_configure,
	.free_conf = log_free_conf,
	.start = log_start,
	.deliver = log_deliver,
	.stop = log_stop,
};
