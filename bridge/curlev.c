#include "curlev.h"

#include <stdlib.h>

#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define CURLEV_POOL_MAX 256	/* idle easy handles kept for reuse */

/* One socket curl asked us to watch; curl keeps the pointer (multi_assign). */
struct curlev_sock {
	ev_io io;
	struct curlev *cv;
	struct curlev_sock *prev, *next;
};

/* An idle easy handle and the tag of the options it holds (NULL: curl's defaults). */
struct curlev_idle {
	CURL *easy;
	const void *tag;
};

/* One running transfer; found again through the easy's CURLOPT_PRIVATE. */
struct curlev_xfer {
	CURL *easy;
	curlev_done_fn done;
	void *arg;
	struct curlev_xfer *prev, *next;
};

struct curlev {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	struct curlev_xfer *xfers;
	size_t nxfers;
	struct curlev_sock *socks;
	struct curlev_idle *idle;	/* the pool, reused last in first out */
	size_t nidle, capidle;
};

static void
sock_free(struct curlev *cv, struct curlev_sock *cs)
{
	ev_io_stop(cv->loop, &cs->io);
	if (cs->prev != NULL)
		cs->prev->next = cs->next;
	else
		cv->socks = cs->next;
	if (cs->next != NULL)
		cs->next->prev = cs->prev;
	free(cs);
}

static void
xfer_unlink(struct curlev *cv, struct curlev_xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		cv->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	cv->nxfers--;
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, NULL);
}

/* Hands every finished transfer to its owner. */
static void
check_done(struct curlev *cv)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cv->multi, &left)) != NULL) {
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		struct curlev_xfer *x;
		curlev_done_fn done;
		char *priv = NULL;
		void *arg;

		if (msg->msg != CURLMSG_DONE)
			continue;
		/* msg is invalid once the handle is removed. */
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		x = (struct curlev_xfer *)(void *)priv;
		curl_multi_remove_handle(cv->multi, easy);
		if (x == NULL)
			continue;
		done = x->done;
		arg = x->arg;
		xfer_unlink(cv, x);
		free(x);
		done(easy, result, arg);
	}
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct curlev_sock *cs = container_of(w, struct curlev_sock, io);
	struct curlev *cv = cs->cv;
	int action = 0, running;

	(void)loop;
	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* cs may be freed by the socket callback from here on. */
	curl_multi_socket_action(cv->multi, w->fd, action, &running);
	check_done(cv);
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct curlev *cv = container_of(w, struct curlev, timer);
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(cv->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(cv);
}

/* CURLMOPT_SOCKETFUNCTION: curl says which events it wants on s. */
static int
socket_fn(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct curlev *cv = userp;
	struct curlev_sock *cs = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (cs != NULL)
			sock_free(cv, cs);
		return 0;
	}
	if (cs == NULL) {
		cs = xcalloc(1, sizeof(*cs));
		cs->cv = cv;
		cs->next = cv->socks;
		if (cv->socks != NULL)
			cv->socks->prev = cs;
		cv->socks = cs;
		ev_init(&cs->io, io_cb);
		curl_multi_assign(cv->multi, s, cs);
	} else
		ev_io_stop(cv->loop, &cs->io);
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	ev_io_set(&cs->io, s, events);
	ev_io_start(cv->loop, &cs->io);
	return 0;
}

/*
 * CURLMOPT_TIMERFUNCTION: curl wants socket_action(TIMEOUT) in timeout_ms,
 * or never (-1). A zero timeout runs at the next loop iteration rather than
 * here: curl must not be re-entered from its own callback.
 */
static int
timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct curlev *cv = userp;

	(void)multi;
	ev_timer_stop(cv->loop, &cv->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&cv->timer, (double)timeout_ms / 1000.0, 0.0);
		ev_timer_start(cv->loop, &cv->timer);
	}
	return 0;
}

struct curlev *
curlev_new(struct ev_loop *loop)
{
	struct curlev *cv;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl: global initialisation failed");
	cv = xcalloc(1, sizeof(*cv));
	cv->loop = loop;
	if ((cv->multi = curl_multi_init()) == NULL)
		fatalx("curl: cannot create a multi handle");
	ev_init(&cv->timer, timer_cb);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETFUNCTION, socket_fn);
	curl_multi_setopt(cv->multi, CURLMOPT_SOCKETDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(cv->multi, CURLMOPT_TIMERDATA, cv);
	curl_multi_setopt(cv->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return cv;
}

CURLM *
curlev_multi(struct curlev *cv)
{
	return cv->multi;
}

int
curlev_add(struct curlev *cv, CURL *easy, curlev_done_fn done, void *arg)
{
	struct curlev_xfer *x = xcalloc(1, sizeof(*x));
	CURLMcode rc;

	x->easy = easy;
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	if ((rc = curl_multi_add_handle(cv->multi, easy)) != CURLM_OK) {
		log_warnx("curl: cannot start a transfer: %s", curl_multi_strerror(rc));
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		return -1;
	}
	x->next = cv->xfers;
	if (cv->xfers != NULL)
		cv->xfers->prev = x;
	cv->xfers = x;
	cv->nxfers++;
	return 0;
}

void
curlev_cancel(struct curlev *cv, CURL *easy)
{
	struct curlev_xfer *x;
	char *priv = NULL;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if ((x = (struct curlev_xfer *)(void *)priv) == NULL)
		return;
	curl_multi_remove_handle(cv->multi, easy);
	xfer_unlink(cv, x);
	free(x);
}

size_t
curlev_running(const struct curlev *cv)
{
	return cv->nxfers;
}

CURL *
curlev_easy_get(struct curlev *cv, const void **tag)
{
	const void *had = NULL;
	CURL *easy;

	if (cv->nidle > 0) {
		cv->nidle--;
		easy = cv->idle[cv->nidle].easy;
		had = cv->idle[cv->nidle].tag;
	} else if ((easy = curl_easy_init()) == NULL)
		fatalx("curl: cannot create an easy handle");
	if (tag != NULL)
		*tag = had;
	else if (had != NULL)
		curl_easy_reset(easy);
	return easy;
}

void
curlev_easy_put(struct curlev *cv, CURL *easy, const void *tag)
{
	if (cv->nidle == CURLEV_POOL_MAX) {
		curl_easy_cleanup(easy);
		return;
	}
	if (tag == NULL)
		curl_easy_reset(easy);
	if (cv->nidle == cv->capidle) {
		cv->capidle = cv->capidle > 0 ? cv->capidle * 2 : 16;
		cv->idle = xreallocarray(cv->idle, cv->capidle, sizeof(*cv->idle));
	}
	cv->idle[cv->nidle].easy = easy;
	cv->idle[cv->nidle].tag = tag;
	cv->nidle++;
}

void
curlev_easy_forget(struct curlev *cv, const void *tag)
{
	if (tag == NULL)
		return;
	for (size_t i = 0; i < cv->nidle; i++) {
		if (cv->idle[i].tag == tag) {
			curl_easy_reset(cv->idle[i].easy);
			cv->idle[i].tag = NULL;
		}
	}
}

void
curlev_free(struct curlev *cv)
{
	if (cv == NULL)
		return;
	while (cv->xfers != NULL)
		curlev_cancel(cv, cv->xfers->easy);
	for (size_t i = 0; i < cv->nidle; i++)
		curl_easy_cleanup(cv->idle[i].easy);
	free(cv->idle);
	curl_multi_cleanup(cv->multi);
	while (cv->socks != NULL)
		sock_free(cv, cv->socks);
	ev_timer_stop(cv->loop, &cv->timer);
	free(cv);
	curl_global_cleanup();
}
