/*
 * The tcp poller: a non-blocking connect to HOST:PORT on the daemon's libev
 * loop, then optionally a TLS handshake (tcp_tls.c), a text sent and a text
 * expected in the answer. Every step is driven by the source's one ev_io
 * and ends at the source's timeout; nothing waits.
 *
 * Built-in metrics: connect_seconds; with tls, tls_seconds, cert_days_left
 * (the leaf's notAfter, also when the chain is untrusted or expired) and
 * tls_verified; with expect, expect_ok. A poll fails (up 0) when the
 * connect or the handshake does; an answer without the expected text is
 * expect_ok 0 in a good poll.
 */

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ev.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config.h"
#include "log.h"
#include "poller.h"
#include "resolve.h"
#include "tcp_conf.h"
#include "tcp_tls.h"
#include "util.h"
#include "xmalloc.h"

/* The answer searched for expect: its first bytes only. */
#define ANSWER_MAX	16384

static const char *const tcp_builtins[] = { "connect_seconds", "tls_seconds",
	"cert_days_left", "tls_verified", "expect_ok", NULL };

struct tcp_shared {
	struct ev_loop *loop;
	SSL_CTX *ctx;			/* the system's CAs; NULL until a source needs it */
};

enum tcp_step { STEP_IDLE, STEP_RESOLVE, STEP_CONNECT, STEP_TLS, STEP_SEND, STEP_EXPECT };

struct tcp_source {
	struct tcp_shared *sh;
	const struct source_config *src;
	const struct tcp_conf *conf;
	SSL_CTX *own_ctx;		/* ca_file's */
	struct resolve_lookup *lookup;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;
	SSL *ssl;
	ev_io io;
	ev_timer deadline;
	enum tcp_step step;
	double t;			/* when the step started */
	size_t sent;
	char *answer;			/* ANSWER_MAX + 1 */
	size_t answer_len;
	struct sample *sample;
	poll_done_fn done;
	void *arg;
	bool verify_failing;		/* logged when it starts and ends */
};

static void step_tls(struct tcp_source *ts);
static void step_send(struct tcp_source *ts);
static void step_expect(struct tcp_source *ts);

static void
close_conn(struct tcp_source *ts)
{
	struct ev_loop *loop = ts->sh->loop;

	if (ts->lookup != NULL) {
		resolve_cancel(ts->lookup);
		ts->lookup = NULL;
	}
	ev_io_stop(loop, &ts->io);
	ev_timer_stop(loop, &ts->deadline);
	if (ts->ssl != NULL) {
		/* One try at close_notify; a server that wants more does not get it. */
		(void)SSL_shutdown(ts->ssl);
		ERR_clear_error();
		SSL_free(ts->ssl);
		ts->ssl = NULL;
	}
	if (ts->fd != -1)
		close(ts->fd);
	ts->fd = -1;
	ts->step = STEP_IDLE;
}

static void
finish(struct tcp_source *ts)
{
	close_conn(ts);
	ts->sample = NULL;
	ts->done(ts->arg);
}

static void
fail(struct tcp_source *ts, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct tcp_source *ts, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	sample_fail(ts->sample, "%s", msg);
	free(msg);
	finish(ts);
}

/* Waits for fd to be readable or writable, then runs the step again. */
static void
wait_io(struct tcp_source *ts, int events)
{
	struct ev_loop *loop = ts->sh->loop;

	if (ev_is_active(&ts->io) && (ts->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(loop, &ts->io);
	ev_io_set(&ts->io, ts->fd, events);
	ev_io_start(loop, &ts->io);
}

static void
step_done_connect(struct tcp_source *ts)
{
	sample_add_number(ts->sample, "connect_seconds", NULL, ev_time() - ts->t);
	if (ts->conf->tls)
		step_tls(ts);
	else
		step_send(ts);
}

static void
step_connect(struct tcp_source *ts)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (ts->fd == -1) {
		ts->step = STEP_CONNECT;
		ts->t = ev_time();
		ts->fd = socket(ts->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (ts->fd == -1) {
			fail(ts, "socket: %s", strerror(errno));
			return;
		}
		if (connect(ts->fd, (struct sockaddr *)&ts->addr, ts->addrlen) == 0) {
			step_done_connect(ts);
			return;
		}
		if (errno != EINPROGRESS) {
			fail(ts, "connect to port %u: %s", (unsigned)ts->conf->port, strerror(errno));
			return;
		}
		wait_io(ts, EV_WRITE);
		return;
	}
	if (getsockopt(ts->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		fail(ts, "connect to port %u: %s", (unsigned)ts->conf->port, strerror(err));
		return;
	}
	step_done_connect(ts);
}

static void
step_tls(struct tcp_source *ts)
{
	struct tcp_tls_peer peer;
	const char *name;
	int r;

	if (ts->ssl == NULL) {
		SSL_CTX *ctx = ts->own_ctx != NULL ? ts->own_ctx : ts->sh->ctx;

		ts->step = STEP_TLS;
		ts->t = ev_time();
		name = ts->conf->server_name != NULL ? ts->conf->server_name : ts->conf->host;
		if (ctx == NULL || (ts->ssl = tcp_tls_new(ctx, ts->fd, name)) == NULL) {
			fail(ts, "TLS: no context");
			return;
		}
	}
	if ((r = SSL_do_handshake(ts->ssl)) != 1) {
		int e = SSL_get_error(ts->ssl, r);

		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			wait_io(ts, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
			return;
		}
		fail(ts, "TLS handshake: %s", e == SSL_ERROR_SYSCALL && errno != 0 ?
		    strerror(errno) : tcp_tls_error());
		return;
	}
	sample_add_number(ts->sample, "tls_seconds", NULL, ev_time() - ts->t);
	tcp_tls_peer(ts->ssl, &peer);
	if (peer.has_days)
		sample_add_number(ts->sample, "cert_days_left", NULL, peer.days_left);
	else
		sample_add_error(ts->sample, "cert_days_left", "the certificate has no expiry date");
	sample_add_number(ts->sample, "tls_verified", NULL, peer.verified ? 1 : 0);
	if (!peer.verified && !ts->verify_failing)
		log_warnx("tcp/%s: certificate not verified: %s", ts->src->name, peer.why);
	else if (peer.verified && ts->verify_failing)
		log_info("tcp/%s: certificate verified again", ts->src->name);
	ts->verify_failing = !peer.verified;
	step_send(ts);
}

static void
step_send(struct tcp_source *ts)
{
	const struct tcp_conf *c = ts->conf;

	ts->step = STEP_SEND;
	while (ts->sent < c->send_len) {
		ssize_t n;

		if (ts->ssl != NULL) {
			int r = SSL_write(ts->ssl, c->send + ts->sent, (int)(c->send_len - ts->sent));

			if (r <= 0) {
				int e = SSL_get_error(ts->ssl, r);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
					wait_io(ts, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
					return;
				}
				fail(ts, "send: %s", tcp_tls_error());
				return;
			}
			n = r;
		} else if ((n = send(ts->fd, c->send + ts->sent, c->send_len - ts->sent,
		    MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
				wait_io(ts, EV_WRITE);
				return;
			}
			fail(ts, "send: %s", strerror(errno));
			return;
		}
		ts->sent += (size_t)n;
	}
	if (c->expect == NULL) {
		finish(ts);
		return;
	}
	ts->step = STEP_EXPECT;
	step_expect(ts);
}

/* Ends the expect step: found or not, the poll itself went well. */
static void
expect_end(struct tcp_source *ts, bool found)
{
	sample_add_number(ts->sample, "expect_ok", NULL, found ? 1 : 0);
	finish(ts);
}

static void
step_expect(struct tcp_source *ts)
{
	for (;;) {
		size_t room = ANSWER_MAX - ts->answer_len;
		ssize_t n;

		if (room == 0) {
			expect_end(ts, false);
			return;
		}
		if (ts->ssl != NULL) {
			int r = SSL_read(ts->ssl, ts->answer + ts->answer_len, (int)room);

			if (r <= 0) {
				int e = SSL_get_error(ts->ssl, r);

				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
					wait_io(ts, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE);
					return;
				}
				expect_end(ts, false);
				return;
			}
			n = r;
		} else if ((n = recv(ts->fd, ts->answer + ts->answer_len, room, 0)) <= 0) {
			if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
				wait_io(ts, EV_READ);
				return;
			}
			expect_end(ts, false);
			return;
		}
		ts->answer_len += (size_t)n;
		ts->answer[ts->answer_len] = '\0';
		/* The answer may hold NUL bytes: search it as memory. */
		if (memmem(ts->answer, ts->answer_len, ts->conf->expect,
		    strlen(ts->conf->expect)) != NULL) {
			expect_end(ts, true);
			return;
		}
	}
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_source *ts = container_of(w, struct tcp_source, io);

	(void)loop;
	(void)revents;
	switch (ts->step) {
	case STEP_CONNECT:
		step_connect(ts);
		break;
	case STEP_TLS:
		step_tls(ts);
		break;
	case STEP_SEND:
		step_send(ts);
		break;
	case STEP_EXPECT:
		step_expect(ts);
		break;
	default:
		ev_io_stop(ts->sh->loop, w);
		break;
	}
}

static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_source *ts = container_of(w, struct tcp_source, deadline);
	static const char *const what[] = {
		[STEP_IDLE] = "", [STEP_RESOLVE] = "resolving the host name",
		[STEP_CONNECT] = "connecting", [STEP_TLS] = "in the TLS handshake",
		[STEP_SEND] = "sending",
	};

	(void)loop;
	(void)revents;
	if (ts->step == STEP_EXPECT) {
		expect_end(ts, false);
		return;
	}
	fail(ts, "timed out %s", what[ts->step]);
}

static void
resolved(void *arg, int err, const struct sockaddr *addr, socklen_t len)
{
	struct tcp_source *ts = arg;

	ts->lookup = NULL;
	if (err != 0) {
		fail(ts, "cannot resolve %s: %s", ts->conf->host, gai_strerror(err));
		return;
	}
	memcpy(&ts->addr, addr, len);
	ts->addrlen = len;
	if (addr->sa_family == AF_INET)
		((struct sockaddr_in *)&ts->addr)->sin_port = htons(ts->conf->port);
	else
		((struct sockaddr_in6 *)&ts->addr)->sin6_port = htons(ts->conf->port);
	step_connect(ts);
}

static void *
tcp_init(struct ev_loop *loop)
{
	struct tcp_shared *sh = xcalloc(1, sizeof(*sh));

	sh->loop = loop;
	resolve_init(loop);
	return sh;
}

static void
tcp_fini(void *arg)
{
	struct tcp_shared *sh = arg;

	resolve_fini();
	SSL_CTX_free(sh->ctx);
	free(sh);
}

static int
tcp_configure(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src, void **conf)
{
	(void)metrics;
	return (*conf = tcp_conf_parse(group, src)) != NULL ? 0 : -1;
}

static void
tcp_free_conf(void *conf)
{
	tcp_conf_free(conf);
}

static int
tcp_start(struct ev_loop *loop, void *shared, const struct source_config *src, void **state)
{
	struct tcp_source *ts = xcalloc(1, sizeof(*ts));
	struct tcp_shared *sh = shared;
	char what[300];

	(void)loop;
	ts->sh = sh;
	ts->src = src;
	ts->conf = src->poller_conf;
	ts->fd = -1;
	snprintf(what, sizeof(what), "tcp/%s", src->name);
	if (ts->conf->tls && ts->conf->ca_file != NULL &&
	    (ts->own_ctx = tcp_tls_ctx(what, ts->conf->ca_file)) == NULL)
		goto fail;
	if (ts->conf->tls && ts->conf->ca_file == NULL && sh->ctx == NULL &&
	    (sh->ctx = tcp_tls_ctx("tcp", NULL)) == NULL)
		goto fail;
	if (ts->conf->expect != NULL)
		ts->answer = xmalloc(ANSWER_MAX + 1);
	ev_init(&ts->io, io_cb);
	ev_init(&ts->deadline, deadline_cb);
	*state = ts;
	return 0;
fail:
	free(ts);
	return -1;
}

static void
tcp_poll(void *state, struct sample *sample, poll_done_fn done, void *arg)
{
	struct tcp_source *ts = state;

	ts->sample = sample;
	ts->done = done;
	ts->arg = arg;
	ts->sent = 0;
	ts->answer_len = 0;
	/*
	 * The loop's time may be stale by what ran since it last woke up
	 * (other sources' starts loading CAs): the timeout counts from now.
	 */
	ev_now_update(ts->sh->loop);
	ev_timer_set(&ts->deadline, ts->src->timeout, 0);
	ev_timer_start(ts->sh->loop, &ts->deadline);
	if (ts->conf->numeric) {
		memcpy(&ts->addr, &ts->conf->addr, ts->conf->addrlen);
		ts->addrlen = ts->conf->addrlen;
		step_connect(ts);
		return;
	}
	ts->step = STEP_RESOLVE;
	if ((ts->lookup = resolve_start(ts->conf->host, AF_UNSPEC, resolved, ts)) == NULL)
		fail(ts, "cannot resolve %s", ts->conf->host);
}

static void
tcp_stop(void *state)
{
	struct tcp_source *ts = state;

	close_conn(ts);
	SSL_CTX_free(ts->own_ctx);
	free(ts->answer);
	free(ts);
}

const struct poller_ops tcp_poller_ops = {
	.name = "tcp",
	.keys = tcp_conf_keys,
	.metric_keys = NULL,
	.builtin_metrics = tcp_builtins,
	.builtin_only = true,
	.configure = tcp_configure,
	.free_conf = tcp_free_conf,
	.init = tcp_init,
	.fini = tcp_fini,
	.start = tcp_start,
	.poll = tcp_poll,
	.stop = tcp_stop,
	.library_version = NULL,	/* OpenSSL: the core prints its version */
};
