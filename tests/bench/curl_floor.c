/*
 * The http benchmark's second reference: what libcurl itself costs per
 * request, with nothing of pollhook around it. N sources, each a keep-alive
 * GET of URL?s=I once per second, fired as pollhook's scheduler fires them
 * (N/100 every 10 ms), each with If-None-Match from the source's last answer
 * (as pollhook's conditional requests), on one multi handle driven by epoll
 * through curl_multi_socket_action: the cheapest way to drive libcurl. No
 * parsing, no rules, no state: what is left is libcurl and the kernel.
 *
 *   curl_floor URL N
 * Runs until killed; tests/bench/http_bench.sh reads its CPU time in /proc
 * and the requests from nginx's counters.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>

#define SLOTS	100		/* as bridge/scheduler.c: phases per interval */

struct src {
	CURL *easy;
	char url[512];
	char etag[128];
	char inm[160];
	struct curl_slist *headers;
	int busy;
};

static int epfd;
static long curl_timeout_ms = -1;	/* what curl asked for; -1: none */

static size_t
body_cb(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct src *s = arg;
	size_t len = size * n, k;

	if (len > 6 && strncasecmp(p, "ETag:", 5) == 0 && len - 6 < sizeof(s->etag)) {
		k = len - 6;
		memcpy(s->etag, p + 6, k);
		while (k > 0 && (s->etag[k - 1] == '\r' || s->etag[k - 1] == '\n'))
			k--;
		s->etag[k] = '\0';
	}
	return len;
}

static int
socket_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct epoll_event ev = { 0 };

	(void)e;
	(void)arg;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.data.fd = fd;
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int
timer_cb(CURLM *m, long ms, void *arg)
{
	(void)m;
	(void)arg;
	curl_timeout_ms = ms;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts the requests of the sources in slot. */
static void
fire(CURLM *m, struct src *v, int n, long slot)
{
	for (int i = (int)(slot % SLOTS); i < n; i += SLOTS) {
		struct src *s = &v[i];

		if (s->busy)
			continue;	/* an overrun: skipped, as pollhook does */
		curl_slist_free_all(s->headers);
		s->headers = NULL;
		if (s->etag[0] != '\0') {
			snprintf(s->inm, sizeof(s->inm), "If-None-Match: %s", s->etag);
			s->headers = curl_slist_append(NULL, s->inm);
		}
		curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
		s->busy = 1;
		curl_multi_add_handle(m, s->easy);
	}
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[64];
	double t0, next;
	long slot = 0;
	int n, running, left, k, ms;
	struct src *v;
	CURLMsg *msg;
	CURLM *m;

	if (argc != 3 || (n = atoi(argv[2])) <= 0 || strlen(argv[1]) > 400) {
		fprintf(stderr, "usage: curl_floor URL N\n");
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (m = curl_multi_init()) == NULL ||
	    (epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 || (v = calloc((size_t)n, sizeof(*v))) == NULL) {
		fprintf(stderr, "curl_floor: cannot initialise\n");
		return 1;
	}
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)n + 8);
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer_cb);
	for (int i = 0; i < n; i++) {
		snprintf(v[i].url, sizeof(v[i].url), "%s?s=%d", argv[1], i + 1);
		if ((v[i].easy = curl_easy_init()) == NULL) {
			fprintf(stderr, "curl_floor: cannot initialise\n");
			return 1;
		}
		curl_easy_setopt(v[i].easy, CURLOPT_URL, v[i].url);
		curl_easy_setopt(v[i].easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(v[i].easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
		curl_easy_setopt(v[i].easy, CURLOPT_TIMEOUT_MS, 900L);
		curl_easy_setopt(v[i].easy, CURLOPT_WRITEFUNCTION, body_cb);
		curl_easy_setopt(v[i].easy, CURLOPT_HEADERFUNCTION, header_cb);
		curl_easy_setopt(v[i].easy, CURLOPT_HEADERDATA, &v[i]);
		curl_easy_setopt(v[i].easy, CURLOPT_PRIVATE, &v[i]);
	}
	t0 = next = now();
	for (;;) {
		if (now() >= next) {
			fire(m, v, n, slot++);
			next = t0 + (double)slot / SLOTS;
		}
		ms = (int)((next - now()) * 1000.0 + 0.999);
		if (ms < 0)
			ms = 0;
		if (curl_timeout_ms >= 0 && curl_timeout_ms < ms)
			ms = (int)curl_timeout_ms;
		k = epoll_wait(epfd, evs, 64, ms);
		if (k <= 0) {
			curl_timeout_ms = -1;
			curl_multi_socket_action(m, CURL_SOCKET_TIMEOUT, 0, &running);
		}
		for (int i = 0; i < k; i++)
			curl_multi_socket_action(m, evs[i].data.fd,
			    (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			    (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			    (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0), &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct src *s;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_multi_remove_handle(m, s->easy);
			s->busy = 0;
		}
	}
}
