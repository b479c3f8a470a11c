/*
 * The transform worker's two halves. The parent (the daemon's loop) writes
 * requests down a pipe without blocking and reads answers from another, in
 * order; a timer bounds the request at the head. The child reads a request,
 * compiles the program the first time it sees its id, runs it, writes the
 * answer. Frames: a request is {u64 id, u32 srclen, u32 len} then the
 * program (srclen bytes, only the first time for this child) then the input;
 * an answer is {u32 status, u32 len} then the output or the error text.
 */

#include "transform_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmap.h"
#include "log.h"
#include "transform.h"
#include "util.h"
#include "xmalloc.h"

#define CHILD_PROGRAMS	256	/* programs a child keeps compiled */

struct req_head {
	uint64_t id;
	uint32_t srclen, len;
};

struct ans_head {
	uint32_t status, len;
};

struct treq {
	uint64_t id;
	char *src;
	char *input;
	size_t len;
	tworker_done_fn done;
	void *arg;
	struct treq *next;
};

struct tworker {
	struct ev_loop *loop;
	pid_t pid;			/* 0: no child */
	int to_child, from_child;
	ev_io rd, wr;
	ev_timer timer;
	struct treq *head, *tail;	/* sent or to send, oldest first */
	struct treq *unsent;		/* the first not yet in wbuf */
	struct hmap known;		/* ids the child has compiled */
	char *wbuf;
	size_t wlen, wcap, woff;
	char *rbuf;
	size_t rlen, rcap;
};

/* child */

static int
read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
answer(int fd, int rc, const char *data, size_t len)
{
	struct ans_head a = { rc == 0 ? 0 : 1, (uint32_t)len };

	if (write_full(fd, &a, sizeof(a)) != 0)
		return -1;
	return write_full(fd, data, len);
}

/* The child: serves requests on in, answers on out, until its parent goes. */
static void __attribute__((noreturn))
child_main(int in, int out)
{
	struct { uint64_t id; struct transform *t; } progs[CHILD_PROGRAMS];
	size_t nprogs = 0, evict = 0;
	struct req_head h;
	char err[512];

	memset(progs, 0, sizeof(progs));
	while (read_full(in, &h, sizeof(h)) == 0) {
		struct transform *t = NULL;
		char *src = NULL, *input, *res;
		size_t reslen;
		int rc;

		if (h.srclen > TRANSFORM_MAX_PROGRAM || h.len > 64u * 1024 * 1024)
			_exit(2);
		if (h.srclen > 0) {
			src = xmalloc(h.srclen + 1);
			if (read_full(in, src, h.srclen) != 0)
				_exit(2);
			src[h.srclen] = '\0';
		}
		input = xmalloc((size_t)h.len + 1);
		if (read_full(in, input, h.len) != 0)
			_exit(2);
		input[h.len] = '\0';
		for (size_t i = 0; i < nprogs; i++)
			if (progs[i].id == h.id)
				t = progs[i].t;
		if (t == NULL && src != NULL) {
			size_t at = nprogs < CHILD_PROGRAMS ? nprogs++ : evict++ % CHILD_PROGRAMS;

			transform_free(progs[at].t);
			progs[at].id = h.id;
			t = progs[at].t = transform_compile(src, err, sizeof(err));
		}
		if (t == NULL) {
			snprintf(err, sizeof(err), "jq: the program is not known to the worker");
			rc = answer(out, -1, err, strlen(err));
		} else if (transform_run(t, input, h.len, &res, &reslen, err, sizeof(err)) == 0) {
			rc = answer(out, 0, res, reslen);
			free(res);
		} else
			rc = answer(out, -1, err, strlen(err));
		free(src);
		free(input);
		if (rc != 0)
			break;
	}
	_exit(0);
}

/* Starts a child; *to and *from get the parent's ends. Returns its pid, or -1. */
static pid_t
spawn(int *to, int *from)
{
	int a[2], b[2];
	pid_t pid;

	if (pipe2(a, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(b, O_CLOEXEC) != 0) {
		close(a[0]);
		close(a[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(a[0]);
		close(a[1]);
		close(b[0]);
		close(b[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t all;
		int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2 };

		for (size_t i = 0; i < NELEM(sigs); i++)
			signal(sigs[i], SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (dup2(a[0], 0) == -1 || dup2(b[1], 1) == -1)
			_exit(2);
		closefrom(3);
		child_main(0, 1);
	}
	close(a[0]);
	close(b[1]);
	*to = a[1];
	*from = b[0];
	return pid;
}

/* parent */

static void on_read(struct ev_loop *loop, ev_io *w, int revents);
static void on_write(struct ev_loop *loop, ev_io *w, int revents);
static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents);

struct tworker *
tworker_new(struct ev_loop *loop)
{
	struct tworker *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->to_child = w->from_child = -1;
	hmap_init(&w->known);
	ev_timer_init(&w->timer, on_timeout, TRANSFORM_TIMEOUT, 0.);
	return w;
}

static void
req_free(struct treq *r)
{
	free(r->src);
	free(r->input);
	free(r);
}

/* Kills the child (if any) and forgets what it knew; the requests stay. */
static void
child_stop(struct tworker *w)
{
	if (w->pid <= 0)
		return;
	ev_io_stop(w->loop, &w->rd);
	ev_io_stop(w->loop, &w->wr);
	ev_timer_stop(w->loop, &w->timer);
	kill(w->pid, SIGKILL);
	/* The default loop may reap it first (its SIGCHLD watcher): ECHILD is fine. */
	while (waitpid(w->pid, NULL, 0) == -1 && errno == EINTR)
		;
	close(w->to_child);
	close(w->from_child);
	w->to_child = w->from_child = -1;
	w->pid = 0;
	hmap_free(&w->known);
	hmap_init(&w->known);
	w->wlen = w->woff = 0;
	w->rlen = 0;
	w->unsent = w->head;
}

/* Appends the frames of the requests not yet written to wbuf. */
static void
queue_unsent(struct tworker *w)
{
	char key[24];

	for (struct treq *r = w->unsent; r != NULL; r = r->next) {
		struct req_head h = { r->id, 0, (uint32_t)r->len };
		bool first;
		size_t need;

		snprintf(key, sizeof(key), "%llu", (unsigned long long)r->id);
		first = hmap_get(&w->known, key) == NULL;
		if (first) {
			h.srclen = (uint32_t)strlen(r->src);
			hmap_put(&w->known, key, (void *)1);
		}
		need = w->wlen + sizeof(h) + h.srclen + r->len;
		if (need > w->wcap) {
			w->wcap = need * 2;
			w->wbuf = xreallocarray(w->wbuf, w->wcap, 1);
		}
		memcpy(w->wbuf + w->wlen, &h, sizeof(h));
		w->wlen += sizeof(h);
		memcpy(w->wbuf + w->wlen, r->src, h.srclen);
		w->wlen += h.srclen;
		memcpy(w->wbuf + w->wlen, r->input, r->len);
		w->wlen += r->len;
	}
	w->unsent = NULL;
	if (w->woff < w->wlen)
		ev_io_start(w->loop, &w->wr);
}

/* Ends the head request with rc and res (taken); starts the timer for the next. */
static void
finish_head(struct tworker *w, int rc, char *res, size_t len, const char *err)
{
	struct treq *r = w->head;

	w->head = r->next;
	if (w->head == NULL)
		w->tail = NULL;
	ev_timer_stop(w->loop, &w->timer);
	if (w->head != NULL && w->pid > 0) {
		ev_timer_set(&w->timer, TRANSFORM_TIMEOUT, 0.);
		ev_timer_start(w->loop, &w->timer);
	}
	r->done(r->arg, rc, res, len, err);
	req_free(r);
}

/* Makes sure a child runs and has every request; 0, or -1 when none can start. */
static int
child_ensure(struct tworker *w)
{
	if (w->pid <= 0) {
		w->pid = spawn(&w->to_child, &w->from_child);
		if (w->pid == -1) {
			w->pid = 0;
			return -1;
		}
		fcntl(w->to_child, F_SETFL, O_NONBLOCK);
		fcntl(w->from_child, F_SETFL, O_NONBLOCK);
		ev_io_init(&w->rd, on_read, w->from_child, EV_READ);
		ev_io_init(&w->wr, on_write, w->to_child, EV_WRITE);
		ev_io_start(w->loop, &w->rd);
		w->unsent = w->head;
		if (w->head != NULL) {
			ev_timer_set(&w->timer, TRANSFORM_TIMEOUT, 0.);
			ev_timer_start(w->loop, &w->timer);
		}
	}
	queue_unsent(w);
	return 0;
}

/* The child died or was killed: the head fails with why, the rest go to a new one. */
static void
child_lost(struct tworker *w, const char *why)
{
	child_stop(w);
	if (w->head != NULL)
		finish_head(w, -1, NULL, 0, why);
	while (w->head != NULL && child_ensure(w) != 0)
		finish_head(w, -1, NULL, 0, "jq: the transform worker cannot start");
}

void
tworker_submit(struct tworker *w, const struct transform *t, const char *input, size_t len,
    tworker_done_fn done, void *arg)
{
	struct treq *r = xcalloc(1, sizeof(*r));
	bool idle = w->head == NULL;

	r->id = transform_id(t);
	r->src = xstrdup(transform_source(t));
	r->input = xmalloc(len + 1);
	memcpy(r->input, input, len);
	r->input[len] = '\0';
	r->len = len;
	r->done = done;
	r->arg = arg;
	if (w->tail != NULL)
		w->tail->next = r;
	else
		w->head = r;
	w->tail = r;
	if (w->unsent == NULL)
		w->unsent = r;
	if (child_ensure(w) != 0) {
		/* Later requests try again; this one cannot wait for a child that never comes. */
		while (w->head != NULL)
			finish_head(w, -1, NULL, 0, "jq: the transform worker cannot start");
		return;
	}
	if (idle && w->pid > 0 && !ev_is_active(&w->timer)) {
		ev_timer_set(&w->timer, TRANSFORM_TIMEOUT, 0.);
		ev_timer_start(w->loop, &w->timer);
	}
}

static void
on_write(struct ev_loop *loop, ev_io *io, int revents)
{
	struct tworker *w = container_of(io, struct tworker, wr);
	ssize_t n;

	(void)loop;
	(void)revents;
	while (w->woff < w->wlen) {
		n = write(w->to_child, w->wbuf + w->woff, w->wlen - w->woff);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			child_lost(w, "jq: the transform worker went away");
			return;
		}
		w->woff += (size_t)n;
	}
	w->woff = w->wlen = 0;
	ev_io_stop(w->loop, &w->wr);
}

/* Hands over every whole answer in rbuf. */
static void
parse_answers(struct tworker *w)
{
	size_t off = 0;

	while (w->head != NULL && w->rlen - off >= sizeof(struct ans_head)) {
		struct ans_head a;
		char *data;

		memcpy(&a, w->rbuf + off, sizeof(a));
		if (w->rlen - off - sizeof(a) < a.len)
			break;
		data = xmalloc((size_t)a.len + 1);
		memcpy(data, w->rbuf + off + sizeof(a), a.len);
		data[a.len] = '\0';
		off += sizeof(a) + a.len;
		if (a.status == 0)
			finish_head(w, 0, data, a.len, NULL);
		else {
			finish_head(w, -1, NULL, 0, data);
			free(data);
		}
		if (w->pid <= 0)
			return;		/* a callback freed nothing of ours, but be safe */
	}
	memmove(w->rbuf, w->rbuf + off, w->rlen - off);
	w->rlen -= off;
}

static void
on_read(struct ev_loop *loop, ev_io *io, int revents)
{
	struct tworker *w = container_of(io, struct tworker, rd);
	ssize_t n;

	(void)loop;
	(void)revents;
	for (;;) {
		if (w->rcap - w->rlen < 65536) {
			w->rcap = w->rcap * 2 + 65536;
			w->rbuf = xreallocarray(w->rbuf, w->rcap, 1);
		}
		n = read(w->from_child, w->rbuf + w->rlen, w->rcap - w->rlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			child_lost(w, "jq: the transform worker died");
			return;
		}
		w->rlen += (size_t)n;
	}
	parse_answers(w);
}

static void
on_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct tworker *w = container_of(t, struct tworker, timer);
	char why[128];

	(void)loop;
	(void)revents;
	snprintf(why, sizeof(why), "jq: the program ran longer than %g s and was stopped",
	    TRANSFORM_TIMEOUT);
	log_warnx("transform: %s", why);
	child_lost(w, why);
}

void
tworker_free(struct tworker *w)
{
	if (w == NULL)
		return;
	child_stop(w);
	while (w->head != NULL)
		finish_head(w, -1, NULL, 0, "cancelled");
	hmap_free(&w->known);
	free(w->wbuf);
	free(w->rbuf);
	free(w);
}

/* tworker_run_once's callback. */
struct once_res {
	bool done;
	int rc;
	char *out;
	size_t len;
	char err[512];
};

static void
once_done(void *arg, int rc, char *out, size_t len, const char *err)
{
	struct once_res *r = arg;

	r->done = true;
	r->rc = rc;
	r->out = out;
	r->len = len;
	if (err != NULL)
		snprintf(r->err, sizeof(r->err), "%s", err);
}

int
tworker_run_once(const struct transform *t, const char *input, size_t len, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tworker *w;
	struct once_res r = { 0 };

	if (loop == NULL) {
		snprintf(err, errlen, "jq: no event loop");
		return -1;
	}
	w = tworker_new(loop);
	tworker_submit(w, t, input, len, once_done, &r);
	while (!r.done)
		ev_run(loop, EVRUN_ONCE);
	tworker_free(w);
	ev_loop_destroy(loop);
	*out = r.out;
	*outlen = r.len;
	if (r.rc != 0)
		snprintf(err, errlen, "%s", r.err);
	return r.rc;
}
