/*
 * The icmp poller: echo requests to one host per source, all of them over
 * one socket per address family (icmp_sock.c), on the daemon's libev loop.
 *
 * A poll sends count requests spacing seconds apart and ends when every one
 * is answered or at the source's timeout. Every request takes a sequence
 * number of its socket's shared table and carries a random cookie in its
 * payload (icmp_match.c): a reply counts only when identifier, sequence,
 * cookie and sender all match a request in flight, so replies that are late,
 * duplicated, for another pinger or spoofed never count. Round trips are
 * measured from the send to the kernel's receive time of the reply.
 *
 * Built-in metrics: rtt, rtt_min, rtt_max (seconds, over the replies),
 * loss (percent of requests unanswered); a poll without any reply fails
 * (up 0). Host names are resolved asynchronously, every poll.
 */

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ev.h>

#include "config.h"
#include "icmp_conf.h"
#include "icmp_match.h"
#include "icmp_packet.h"
#include "icmp_sock.h"
#include "log.h"
#include "poller.h"
#include "resolve.h"
#include "util.h"
#include "xmalloc.h"

/* Datagrams read per recvmmsg, and the largest one taken whole. */
#define BATCH		64
#define PKT_MAX		(65536 + 60)

static const char *const icmp_builtins[] = { "rtt", "rtt_min", "rtt_max", "loss", NULL };

struct family_sock {
	struct icmp_sock s;
	ev_io io;
	struct icmp_match match;
	struct icmp_shared *sh;
};

struct icmp_shared {
	struct ev_loop *loop;
	struct family_sock v4, v6;
	uint64_t rng;			/* splitmix64 state, for cookies */
	uint8_t *rbuf;			/* BATCH datagrams of PKT_MAX */
	uint8_t *sbuf;			/* one request */
	unsigned long stray;		/* replies that matched nothing in flight */
};

struct icmp_source {
	struct icmp_shared *sh;
	const struct source_config *src;
	const struct icmp_conf *conf;
	struct family_sock *fs;		/* the socket of addr's family, in a poll */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct resolve_lookup *lookup;
	ev_timer next;			/* the next request of the poll */
	ev_timer deadline;		/* the poll's end */
	struct sample *sample;
	poll_done_fn done;
	void *arg;
	bool polling;
	bool send_failing;		/* logged when it starts and ends */
	int tried, sent, received;	/* requests attempted, sent, answered */
	int send_errno;			/* of the last failed send */
	double rtt_sum, rtt_min, rtt_max;
	int32_t *seqs;			/* per request: its sequence in flight, or -1 */
};

static uint64_t
next_cookie(struct icmp_shared *sh)
{
	uint64_t z = (sh->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		    ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	    &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

static void
release_all(struct icmp_source *is)
{
	for (int i = 0; i < is->conf->count; i++) {
		if (is->seqs[i] >= 0 && is->fs != NULL)
			icmp_match_release(&is->fs->match, (uint16_t)is->seqs[i], is);
		is->seqs[i] = -1;
	}
}

static void
poll_end(struct icmp_source *is)
{
	struct ev_loop *loop = is->sh->loop;
	struct sample *s = is->sample;

	if (is->lookup != NULL) {
		resolve_cancel(is->lookup);
		is->lookup = NULL;
		sample_fail(s, "cannot resolve %s: timed out", is->conf->host);
	}
	ev_timer_stop(loop, &is->next);
	ev_timer_stop(loop, &is->deadline);
	release_all(is);
	is->polling = false;
	if (!s->ok) {
		/* The error is set already. */
	} else if (is->tried > 0 && is->sent == 0) {
		sample_fail(s, "cannot send to %s: %s", is->conf->host, strerror(is->send_errno));
	} else if (is->received == 0) {
		sample_fail(s, "no reply to %d echo request%s", is->sent, is->sent > 1 ? "s" : "");
		sample_add_number(s, "loss", NULL, 100.0);
	} else {
		sample_add_number(s, "rtt", NULL, is->rtt_sum / is->received);
		sample_add_number(s, "rtt_min", NULL, is->rtt_min);
		sample_add_number(s, "rtt_max", NULL, is->rtt_max);
		/* Requests not sent (send error, timeout) count as lost. */
		sample_add_number(s, "loss", NULL,
		    100.0 * (is->conf->count - is->received) / is->conf->count);
	}
	is->sample = NULL;
	is->done(is->arg);
}

static void
send_one(struct icmp_source *is)
{
	struct icmp_shared *sh = is->sh;
	struct family_sock *fs = is->fs;
	uint64_t cookie = next_cookie(sh);
	double now = wall_now();
	uint16_t seq;
	size_t len;
	int i = is->tried++;

	if (icmp_match_take(&fs->match, is, cookie, now, &seq) == -1) {
		errno = ENOBUFS;
		goto fail;
	}
	is->seqs[i] = seq;
	len = icmp_packet_request(fs->s.family, sh->sbuf, PKT_MAX, fs->s.id, seq, cookie,
	    (size_t)is->conf->size);
	if (sendto(fs->s.fd, sh->sbuf, len, 0, (struct sockaddr *)&is->addr,
	    is->addrlen) == -1) {
		icmp_match_release(&fs->match, seq, is);
		is->seqs[i] = -1;
		goto fail;
	}
	is->sent++;
	if (is->send_failing) {
		is->send_failing = false;
		log_info("icmp/%s: sending to %s again", is->src->name, is->conf->host);
	}
	return;
fail:
	/* Counted as lost; the poll goes on with the next request. */
	is->send_errno = errno;
	if (!is->send_failing)
		log_warn("icmp/%s: cannot send to %s", is->src->name, is->conf->host);
	is->send_failing = true;
}

static void
next_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct icmp_source *is = container_of(w, struct icmp_source, next);

	(void)revents;
	send_one(is);
	if (is->tried < is->conf->count) {
		ev_timer_set(w, is->conf->spacing, 0);
		ev_timer_start(loop, w);
	} else if (is->received == is->sent) {
		poll_end(is);
	}
}

static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct icmp_source *is = container_of(w, struct icmp_source, deadline);

	(void)loop;
	(void)revents;
	poll_end(is);
}

/* Starts the requests of a poll to is->addr. */
static void
poll_send(struct icmp_source *is)
{
	struct icmp_shared *sh = is->sh;

	is->fs = is->addr.ss_family == AF_INET ? &sh->v4 : &sh->v6;
	if (is->fs->s.fd == -1) {
		sample_fail(is->sample, "no ICMP%s socket: %s", is->fs->s.family == AF_INET6 ?
		    "v6" : "", strerror(is->fs->s.err));
		is->fs = NULL;
		poll_end(is);
		return;
	}
	ev_timer_set(&is->next, 0, 0);
	next_cb(sh->loop, &is->next, 0);
}

static void
resolved(void *arg, int err, const struct sockaddr *addr, socklen_t len)
{
	struct icmp_source *is = arg;

	is->lookup = NULL;
	if (err != 0) {
		sample_fail(is->sample, "cannot resolve %s: %s", is->conf->host,
		    gai_strerror(err));
		poll_end(is);
		return;
	}
	memcpy(&is->addr, addr, len);
	is->addrlen = len;
	poll_send(is);
}

/* One reply: counts it for the request it answers, if any. */
static void
reply(struct family_sock *fs, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *from, double when)
{
	struct icmp_reply r;
	const struct icmp_slot *slot;
	struct icmp_source *is;
	double rtt;

	if (!icmp_packet_reply(fs->s.family, fs->s.raw && fs->s.family == AF_INET, buf, len,
	    &r) || r.id != fs->s.id || (slot = icmp_match_find(&fs->match, r.seq,
	    r.cookie)) == NULL) {
		fs->sh->stray++;
		return;
	}
	is = slot->owner;
	if (!same_host(from, &is->addr)) {
		fs->sh->stray++;
		return;
	}
	rtt = when - slot->sent;
	if (rtt < 0)
		rtt = 0;
	icmp_match_release(&fs->match, r.seq, is);
	for (int i = 0; i < is->conf->count; i++)
		if (is->seqs[i] == r.seq)
			is->seqs[i] = -1;
	if (is->received == 0 || rtt < is->rtt_min)
		is->rtt_min = rtt;
	if (is->received == 0 || rtt > is->rtt_max)
		is->rtt_max = rtt;
	is->rtt_sum += rtt;
	is->received++;
	if (is->tried == is->conf->count && is->received == is->sent)
		poll_end(is);
}

static double
packet_time(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		}
	}
	return wall_now();
}

static void
readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct family_sock *fs = container_of(w, struct family_sock, io);
	struct icmp_shared *sh = fs->sh;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl[BATCH];
	int n;

	(void)loop;
	(void)revents;
	/* Bounded: a flood of replies cannot keep the loop here. */
	for (int round = 0; round < 16; round++) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = sh->rbuf + (size_t)i * PKT_MAX;
			iov[i].iov_len = PKT_MAX;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_control = ctl[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		if ((n = recvmmsg(fs->s.fd, msgs, BATCH, MSG_DONTWAIT, NULL)) <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("icmp: receiving");
			return;
		}
		for (int i = 0; i < n; i++)
			reply(fs, iov[i].iov_base, msgs[i].msg_len, &from[i],
			    packet_time(&msgs[i].msg_hdr));
		if (n < BATCH)
			return;
	}
}

static void
sock_start(struct icmp_shared *sh, struct family_sock *fs, int family, uint16_t raw_id)
{
	const char *name = family == AF_INET ? "IPv4" : "IPv6";

	fs->sh = sh;
	icmp_match_init(&fs->match);
	if (icmp_sock_open(&fs->s, family, raw_id) == -1) {
		errno = fs->s.err;
		log_warn("icmp: no %s echo: neither a datagram socket (net.ipv4.ping_group_range) "
		    "nor a raw one (CAP_NET_RAW)", name);
		return;
	}
	log_info("icmp: %s echo over %s, identifier %u", name, icmp_sock_kind(&fs->s),
	    (unsigned)fs->s.id);
	ev_io_init(&fs->io, readable, fs->s.fd, EV_READ);
	ev_io_start(sh->loop, &fs->io);
	/* An idle socket alone does not keep the loop alive. */
	ev_unref(sh->loop);
}

static void
sock_stop(struct icmp_shared *sh, struct family_sock *fs)
{
	if (fs->s.fd != -1) {
		ev_ref(sh->loop);
		ev_io_stop(sh->loop, &fs->io);
		icmp_sock_close(&fs->s);
	}
	icmp_match_fini(&fs->match);
}

static void *
icmp_init(struct ev_loop *loop)
{
	struct icmp_shared *sh = xcalloc(1, sizeof(*sh));
	uint16_t raw_id;

	sh->loop = loop;
	if (getrandom(&sh->rng, sizeof(sh->rng), 0) != (ssize_t)sizeof(sh->rng))
		sh->rng = (uint64_t)wall_now() ^ ((uint64_t)getpid() << 32);
	raw_id = (uint16_t)next_cookie(sh);
	sh->rbuf = xmalloc((size_t)BATCH * PKT_MAX);
	sh->sbuf = xmalloc(PKT_MAX);
	sh->v4.s.fd = sh->v6.s.fd = -1;
	sock_start(sh, &sh->v4, AF_INET, raw_id);
	sock_start(sh, &sh->v6, AF_INET6, raw_id);
	resolve_init(loop);
	return sh;
}

static void
icmp_fini(void *arg)
{
	struct icmp_shared *sh = arg;

	resolve_fini();
	sock_stop(sh, &sh->v4);
	sock_stop(sh, &sh->v6);
	free(sh->rbuf);
	free(sh->sbuf);
	free(sh);
}

static int
icmp_configure(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src, void **conf)
{
	(void)metrics;
	return (*conf = icmp_conf_parse(group, src)) != NULL ? 0 : -1;
}

static void
icmp_free_conf(void *conf)
{
	icmp_conf_free(conf);
}

static int
icmp_start(struct ev_loop *loop, void *shared, const struct source_config *src,
    void **state)
{
	struct icmp_source *is = xcalloc(1, sizeof(*is));

	(void)loop;
	is->sh = shared;
	is->src = src;
	is->conf = src->poller_conf;
	is->seqs = xcalloc((size_t)is->conf->count, sizeof(*is->seqs));
	for (int i = 0; i < is->conf->count; i++)
		is->seqs[i] = -1;
	ev_init(&is->next, next_cb);
	ev_init(&is->deadline, deadline_cb);
	*state = is;
	return 0;
}

static void
icmp_poll(void *state, struct sample *sample, poll_done_fn done, void *arg)
{
	struct icmp_source *is = state;

	is->sample = sample;
	is->done = done;
	is->arg = arg;
	is->polling = true;
	is->tried = is->sent = is->received = 0;
	is->rtt_sum = is->rtt_min = is->rtt_max = 0;
	is->fs = NULL;
	/* The loop's time may be stale: the timeout counts from now. */
	ev_now_update(is->sh->loop);
	ev_timer_set(&is->deadline, is->src->timeout, 0);
	ev_timer_start(is->sh->loop, &is->deadline);
	if (is->conf->numeric) {
		memcpy(&is->addr, &is->conf->addr, is->conf->addrlen);
		is->addrlen = is->conf->addrlen;
		poll_send(is);
		return;
	}
	if ((is->lookup = resolve_start(is->conf->host, is->conf->family, resolved, is)) == NULL) {
		sample_fail(sample, "cannot resolve %s", is->conf->host);
		poll_end(is);
	}
}

static void
icmp_stop(void *state)
{
	struct icmp_source *is = state;

	if (is->lookup != NULL)
		resolve_cancel(is->lookup);
	ev_timer_stop(is->sh->loop, &is->next);
	ev_timer_stop(is->sh->loop, &is->deadline);
	release_all(is);
	free(is->seqs);
	free(is);
}

const struct poller_ops icmp_poller_ops = {
	.name = "icmp",
	.keys = icmp_conf_keys,
	.metric_keys = NULL,
	.builtin_metrics = icmp_builtins,
	.builtin_only = true,
	.configure = icmp_configure,
	.free_conf = icmp_free_conf,
	.init = icmp_init,
	.fini = icmp_fini,
	.start = icmp_start,
	.poll = icmp_poll,
	.stop = icmp_stop,
};
