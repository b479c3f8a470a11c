/*
 * Unit tests of curlev against a tiny HTTP/1.1 server running on the same
 * libev loop (loopback only): completion, concurrency, keep-alive, timeouts,
 * cancellation and freeing with transfers in flight, and the pool of idle
 * easy handles.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "curlev.h"
#include "util.h"
#include "xmalloc.h"

struct server {
	struct ev_loop *loop;
	ev_io listen;
	int port;
	bool silent;		/* read requests, never answer */
	int accepted;
	int requests;
	struct conn *conns;
};

struct conn {
	ev_io io;
	struct server *srv;
	char buf[4096];
	size_t len;
	struct conn *next;
};

struct xfer {
	CURL *easy;
	int done;
	CURLcode result;
	char body[64];
	size_t len;
	double ended;
};

static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = container_of(w, struct conn, io);
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ssize_t n = read(w->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1);
	char *end;

	(void)revents;
	if (n <= 0) {
		ev_io_stop(loop, w);
		close(w->fd);
		w->fd = -1;
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	while ((end = strstr(c->buf, "\r\n\r\n")) != NULL) {
		size_t used = (size_t)(end + 4 - c->buf);

		c->srv->requests++;
		memmove(c->buf, c->buf + used, c->len - used + 1);
		c->len -= used;
		if (!c->srv->silent)
			assert_int_equal(write(w->fd, resp, sizeof(resp) - 1),
			    (ssize_t)sizeof(resp) - 1);
	}
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct server *s = container_of(w, struct server, listen);
	int fd = accept(w->fd, NULL, NULL);
	struct conn *c;

	(void)revents;
	if (fd == -1)
		return;
	c = xcalloc(1, sizeof(*c));
	c->srv = s;
	c->next = s->conns;
	s->conns = c;
	s->accepted++;
	ev_io_init(&c->io, conn_cb, fd, EV_READ);
	ev_io_start(loop, &c->io);
}

static int
listen_any(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
server_start(struct server *s, struct ev_loop *loop, bool silent)
{
	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->silent = silent;
	ev_io_init(&s->listen, accept_cb, listen_any(&s->port), EV_READ);
	ev_io_start(loop, &s->listen);
}

static void
server_stop(struct server *s)
{
	ev_io_stop(s->loop, &s->listen);
	close(s->listen.fd);
	while (s->conns != NULL) {
		struct conn *c = s->conns;

		s->conns = c->next;
		if (c->io.fd >= 0) {
			ev_io_stop(s->loop, &c->io);
			close(c->io.fd);
		}
		free(c);
	}
}

static size_t
write_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (n > sizeof(x->body) - 1 - x->len)
		return 0;
	memcpy(x->body + x->len, buf, n);
	x->len += n;
	x->body[x->len] = '\0';
	return n;
}

/* Sets e up to GET the test server's page into x. */
static void
set_request(CURL *e, struct xfer *x, int port, long timeout_ms)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	x->easy = e;
}

static CURL *
easy_for(struct xfer *x, int port, long timeout_ms)
{
	CURL *e = curl_easy_init();

	assert_non_null(e);
	set_request(e, x, port, timeout_ms);
	return e;
}

static int pending;

static void
done_cb(CURL *easy, CURLcode result, void *arg)
{
	struct xfer *x = arg;

	assert_ptr_equal(easy, x->easy);
	x->done++;
	x->result = result;
	x->ended = ev_time();
	pending--;
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until no transfer is pending, at most limit seconds. */
static void
run_until_done(struct ev_loop *loop, double limit)
{
	ev_timer guard;
	double t0 = ev_time();

	ev_timer_init(&guard, stop_cb, 0.05, 0.05);
	ev_timer_start(loop, &guard);
	while (pending > 0 && ev_time() - t0 < limit)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &guard);
}

static void
test_concurrent_and_keepalive(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	struct server s;
	struct xfer x[40];
	int accepted;

	(void)state;
	server_start(&s, loop, false);
	memset(x, 0, sizeof(x));
	for (size_t i = 0; i < NELEM(x); i++) {
		assert_int_equal(curlev_add(cv, easy_for(&x[i], s.port, 5000), done_cb, &x[i]), 0);
		pending++;
	}
	/* Completion never happens inside curlev_add. */
	assert_int_equal(x[0].done, 0);
	assert_int_equal(curlev_running(cv), NELEM(x));
	run_until_done(loop, 10);
	assert_int_equal(pending, 0);
	assert_int_equal(curlev_running(cv), 0);
	for (size_t i = 0; i < NELEM(x); i++) {
		assert_int_equal(x[i].done, 1);
		assert_int_equal(x[i].result, CURLE_OK);
		assert_string_equal(x[i].body, "hello");
	}
	/* One after the other, the same easy handles reuse cached connections. */
	accepted = s.accepted;
	for (size_t i = 0; i < NELEM(x); i++) {
		x[i].len = 0;
		x[i].done = 0;
		assert_int_equal(curlev_add(cv, x[i].easy, done_cb, &x[i]), 0);
		pending++;
		run_until_done(loop, 5);
		assert_int_equal(x[i].done, 1);
		assert_string_equal(x[i].body, "hello");
	}
	assert_int_equal(s.accepted, accepted);
	assert_int_equal(s.requests, 2 * (int)NELEM(x));
	for (size_t i = 0; i < NELEM(x); i++)
		curl_easy_cleanup(x[i].easy);
	curlev_free(cv);
	server_stop(&s);
	ev_loop_destroy(loop);
}

static void
test_refused(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	struct xfer x = { 0 };
	int port, fd = listen_any(&port);

	(void)state;
	close(fd);	/* nobody listens on port now */
	assert_int_equal(curlev_add(cv, easy_for(&x, port, 5000), done_cb, &x), 0);
	pending++;
	assert_int_equal(x.done, 0);
	run_until_done(loop, 5);
	assert_int_equal(x.done, 1);
	assert_int_equal(x.result, CURLE_COULDNT_CONNECT);
	curl_easy_cleanup(x.easy);
	curlev_free(cv);
	ev_loop_destroy(loop);
}

static void
test_timeout_precision(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	struct server s;
	struct xfer x = { 0 };
	double t0;

	(void)state;
	server_start(&s, loop, true);
	t0 = ev_time();
	assert_int_equal(curlev_add(cv, easy_for(&x, s.port, 300), done_cb, &x), 0);
	pending++;
	run_until_done(loop, 5);
	assert_int_equal(x.done, 1);
	assert_int_equal(x.result, CURLE_OPERATION_TIMEDOUT);
	/* Sub-second timeouts are kept, not truncated to whole seconds. */
	assert_true(x.ended - t0 >= 0.29);
	assert_true(x.ended - t0 < 0.8);
	curl_easy_cleanup(x.easy);
	curlev_free(cv);
	server_stop(&s);
	ev_loop_destroy(loop);
}

static void
test_cancel_and_free(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	struct server s;
	struct xfer x[3];
	ev_timer t;

	(void)state;
	server_start(&s, loop, true);
	memset(x, 0, sizeof(x));
	for (size_t i = 0; i < NELEM(x); i++)
		assert_int_equal(curlev_add(cv, easy_for(&x[i], s.port, 5000), done_cb,
		    &x[i]), 0);
	ev_timer_init(&t, stop_cb, 0.2, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	assert_int_equal(s.requests, 3);
	curlev_cancel(cv, x[0].easy);
	curlev_cancel(cv, x[0].easy);	/* a second cancel is a no-op */
	assert_int_equal(curlev_running(cv), 2);
	/* A cancelled handle can be cleaned up at once; the others go with cv. */
	curl_easy_cleanup(x[0].easy);
	curlev_free(cv);
	for (size_t i = 0; i < NELEM(x); i++)
		assert_int_equal(x[i].done, 0);
	curl_easy_cleanup(x[1].easy);
	curl_easy_cleanup(x[2].easy);
	server_stop(&s);
	ev_loop_destroy(loop);
}

/* Runs one transfer of x->easy as it is set up; returns its result. */
static CURLcode
run_one(struct curlev *cv, struct ev_loop *loop, struct xfer *x)
{
	x->len = 0;
	x->body[0] = '\0';
	x->done = 0;
	assert_int_equal(curlev_add(cv, x->easy, done_cb, x), 0);
	pending++;
	run_until_done(loop, 5);
	assert_int_equal(x->done, 1);
	return x->result;
}

static void
test_pool(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	static const int a = 1, b = 2;	/* two users' tags */
	const void *tag = &b;
	struct server s;
	struct xfer x = { 0 };
	CURL *e;

	(void)state;
	server_start(&s, loop, false);
	/* An empty pool makes a handle with curl's defaults. */
	e = curlev_easy_get(cv, &tag);
	assert_non_null(e);
	assert_null(tag);
	set_request(e, &x, s.port, 5000);
	assert_int_equal(run_one(cv, loop, &x), CURLE_OK);
	assert_string_equal(x.body, "hello");

	/* Tagged, it comes back with its tag and keeps its options. */
	curlev_easy_put(cv, e, &a);
	curlev_easy_forget(cv, &b);	/* another user's tag: no effect */
	assert_ptr_equal(curlev_easy_get(cv, &tag), e);
	assert_ptr_equal(tag, &a);
	assert_int_equal(run_one(cv, loop, &x), CURLE_OK);
	assert_string_equal(x.body, "hello");

	/* Forgotten, it is reset: no URL any more. */
	curlev_easy_put(cv, e, &a);
	curlev_easy_forget(cv, &a);
	assert_ptr_equal(curlev_easy_get(cv, &tag), e);
	assert_null(tag);
	assert_int_equal(run_one(cv, loop, &x), CURLE_URL_MALFORMAT);

	/* Put back without a tag, it is reset too. */
	set_request(e, &x, s.port, 5000);
	curlev_easy_put(cv, e, NULL);
	assert_ptr_equal(curlev_easy_get(cv, &tag), e);
	assert_null(tag);
	assert_int_equal(run_one(cv, loop, &x), CURLE_URL_MALFORMAT);

	/* Asked for without a tag, a tagged handle is reset. */
	set_request(e, &x, s.port, 5000);
	curlev_easy_put(cv, e, &a);
	assert_ptr_equal(curlev_easy_get(cv, NULL), e);
	assert_int_equal(run_one(cv, loop, &x), CURLE_URL_MALFORMAT);
	assert_int_equal(s.requests, 2);

	/* Idle handles are freed with cv. */
	curlev_easy_put(cv, e, &a);
	curlev_free(cv);
	server_stop(&s);
	ev_loop_destroy(loop);
}

static void
test_pool_bound(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct curlev *cv = curlev_new(loop);
	static const int a = 1;
	CURL *e[300], *back[300];
	const void *tag;
	size_t tagged = 0;

	(void)state;
	for (size_t i = 0; i < NELEM(e); i++)
		e[i] = curlev_easy_get(cv, &tag);
	for (size_t i = 0; i < NELEM(e); i++)
		curlev_easy_put(cv, e[i], &a);
	/* 256 are kept, last in first out; the others were cleaned up. */
	for (size_t i = 0; i < NELEM(e); i++) {
		back[i] = curlev_easy_get(cv, &tag);
		if (i < 256)
			assert_ptr_equal(back[i], e[255 - i]);
		tagged += tag == &a;
	}
	assert_int_equal(tagged, 256);
	for (size_t i = 0; i < NELEM(e); i++)
		curl_easy_cleanup(back[i]);
	curlev_free(cv);
	ev_loop_destroy(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_and_keepalive),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout_precision),
		cmocka_unit_test(test_cancel_and_free),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pool_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
