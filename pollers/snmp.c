/*
 * The snmp poller on the daemon's libev loop.
 *
 * Requests go out on channels. SNMPv1/v2c sources over IPv4 share a few
 * UDP sockets of our own (one ev_io each; every request carries its agent's
 * address): their messages are encoded and decoded with net-snmp's BER
 * functions (snmp_udp.c), and an answer is matched to its source by request
 * ID (which holds the source's slot in the socket) and by the address it
 * came from, so a poll costs no net-snmp session bookkeeping. SNMPv3 and IPv6
 * sources have a net-snmp session of their own. A poll is a short
 * conversation driven by snmp_walk.c: GETs of the scalars, then GETBULK
 * (GETNEXT on v1) rounds over every walked column. One request per source is
 * in flight at a time; the source's retry timer retransmits it (net-snmp
 * does, for a session, through snmp_sess_timeout), and the poll as a whole
 * ends at the source's timeout. A dead agent therefore only ever holds up its
 * own source.
 *
 * A shared socket's receive buffer is sized for the answers that may wait
 * in it at once (one per source, a retransmission's too): a loop busy with a
 * burst of events must not make the kernel drop them. When the kernel grants
 * less (net.core.rmem_max, unprivileged), the sources spread over more
 * sockets. A request's timers first read what waits in its socket: an answer
 * that arrived in time is never a timeout.
 *
 * A local agent answers a phase's requests one after the other, a datagram
 * every few tens of microseconds: woken up by each, the daemon would pay a
 * wake-up per answer. So once an answer of a shared socket came in while
 * more of its requests are awaited, the socket is read again SNMP_HOLD
 * later, by a timer, instead of on every datagram, for as long as such reads
 * find answers. The first answer of a burst is read at once; the others wait
 * at most SNMP_HOLD (it counts in their poll_seconds). The shared sockets
 * are in an epoll set of the poller's own, which the loop watches: a socket
 * held is taken out of it (libev's epoll backend keeps a stopped watcher's
 * descriptor in its set, and its next datagram would wake the loop anyway).
 *
 * SNMPv3 engine-ID discovery is an ordinary asynchronous request (the
 * library's own probe in snmp_sess_open is synchronous and is switched off).
 * Host names are resolved with getaddrinfo_a (snmp_resolve.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <netdb.h>

#include <ev.h>
#include <net-snmp/library/large_fd_set.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "poller.h"
#include "snmp_conf.h"
#include "snmp_lib.h"
#include "snmp_probe.h"
#include "snmp_resolve.h"
#include "snmp_sock.h"
#include "snmp_udp.h"
#include "snmp_walk.h"
#include "util.h"
#include "xmalloc.h"

/* Don't retry a failed name resolution more often than this (seconds). */
#define RESOLVE_RETRY	30.0

/*
 * A shared socket's sources each have a slot: a request ID is 0x40000000 |
 * 20 random bits << 10 | slot, always four bytes of BER, and an answer finds
 * its source without a search.
 */
#define SLOT_BITS	10
#define SLOTS		(1u << SLOT_BITS)
#define REQID_TAG	0x40000000L

/* Datagrams one recvmmsg reads, and the size of each buffer (the largest UDP payload). */
#define RX_BATCH	8
#define RX_SIZE		65536
/* Requests one sendmmsg sends at most. */
#define TX_BATCH	32
/* How long a shared socket with requests awaited gathers answers before it is read again. */
#define SNMP_HOLD	0.001

/* A localised-to-nothing key (Ku) of one passphrase: generate_Ku is slow. */
struct ku {
	const oid *proto;
	char *pass;
	u_char key[USM_AUTH_KU_LEN];
	size_t len;
	struct ku *next;
};

struct shared;
struct source;

/* A shared socket of many v1/v2c sources, or one source's own net-snmp session. */
struct channel {
	struct shared *sh;
	void *sess;			/* NULL for a shared socket */
	int fd;
	ev_io io;			/* not shared (shared ones are in sh->epfd) */
	ev_timer hold;			/* shared: reads it again, taken out of sh->epfd */
	bool shared;
	unsigned awaiting;		/* shared: its sources' requests awaited */
	struct source **slot;		/* shared: SLOTS sources by slot */
	uint16_t *free;			/* shared: the free slots */
	unsigned nfree;
	size_t refs;
	size_t need;			/* receive-buffer bytes its sources' answers need */
	size_t granted;			/* its receive buffer, as the kernel counts it */
	struct channel *next;
};

struct shared {
	struct ev_loop *loop;
	netsnmp_large_fd_set fds;	/* for snmp_sess_read2: fds may pass FD_SETSIZE */
	int fds_size;
	struct ku *kus;
	struct channel *channels;	/* the shared ones */
	int epfd;			/* epoll set of the shared ones not held; -1 */
	ev_io epio;			/* watches epfd */
	struct source *ready;		/* finished polls to hand over */
	bool closing;			/* snmp_fini: callbacks do nothing */
	u_char *tx;			/* encoded requests, grown as needed */
	size_t txsize;
	u_char *rx;			/* RX_BATCH buffers of RX_SIZE */
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_in from[RX_BATCH];
	uint64_t rng;			/* request IDs of the shared sockets */
	struct snmp_udp_vars vars;	/* bindings of the answers, reused */
	/*
	 * Requests of one loop iteration, sent together when it ends (one
	 * system call, and the agent woken once for a phase's sources).
	 */
	ev_prepare send;
	struct txq {
		struct channel *ch;
		uint16_t slot;
		int reqid;
		struct sockaddr_in peer;
		size_t off, len;	/* in txbuf */
	} txq[TX_BATCH];
	unsigned ntx;
	u_char *txbuf;
	size_t txbuf_size, txbuf_used;
	struct mmsghdr txmsgs[TX_BATCH];
	struct iovec txiov[TX_BATCH];
	long long drops_closed;		/* kernel drops of shared sockets closed so far */
	ev_timer report;		/* logs the shared sockets once the sources joined */
};

/*
 * What a source holds only while it polls: most sources are idle at any
 * time, so thousands of them don't keep timers and walk state for nothing.
 */
struct poll {
	struct source *src;
	bool complete;
	bool probing;
	int reqid;			/* the request awaited */
	int done_reqid;			/* the last one answered (net-snmp may say so twice) */
	int attempts;			/* shared socket: transmissions of the request awaited */
	ev_timer retry;			/* net-snmp's retransmissions and timeouts */
	ev_timer deadline;		/* the poll's deadline */
	struct sample *sample;
	poll_done_fn done;
	void *done_arg;
	struct snmp_walk walk;
};

/* A host name to resolve (sources whose address is not literal). */
struct resolve {
	struct snmp_lookup *lookup;
	double after;			/* no new lookup before this time */
	char *error;
};

struct source {
	struct shared *sh;
	const struct snmp_conf *conf;
	const char *name;
	double timeout;
	struct channel *ch;		/* NULL until the first poll with an address */
	struct sockaddr_in peer;	/* the agent, for a shared channel */
	/* (in an order without padding: there are tens of thousands of sources) */
	uint16_t slot;			/* in a shared channel */
	bool queued;			/* on sh->ready */
	bool polling;			/* poll is the poll in flight */
	bool engine_known;		/* v3: the agent's engine ID is known */
	int max_repetitions, max_oids;	/* learned from tooBig, kept across polls */
	size_t cost;			/* its share of ch->need */
	struct source *next;		/* on sh->ready */
	const char *addr;		/* numeric address once known: conf->host or owned */
	struct resolve *resolve;	/* NULL for a literal address */
	struct snmp_rates *rates;	/* NULL without rate metrics */
	struct poll *poll;		/* NULL between polls */
};

static void proceed(struct source *s);

/* Sets the request the poll of s awaits (0: none), counted in a shared channel. */
static void
await_set(struct source *s, int reqid)
{
	struct poll *p = s->poll;

	if (s->ch != NULL && s->ch->shared && (p->reqid != 0) != (reqid != 0)) {
		if (reqid != 0)
			s->ch->awaiting++;
		else
			s->ch->awaiting--;
	}
	p->reqid = reqid;
}

/*
 * Ends the poll (err NULL: success). The caller hands the sample over with
 * deliver() once net-snmp's call stack is left, never from inside it.
 */
static void
finish(struct source *s, const char *err)
{
	struct poll *p = s->poll;

	if (p->complete)
		return;
	p->complete = true;
	p->probing = false;
	await_set(s, 0);
	ev_timer_stop(s->sh->loop, &p->retry);
	if (err != NULL)
		sample_fail(p->sample, "%s", err);
	else
		/*
		 * Rates divide by the time between the polls' scheduled starts,
		 * the time rules measure by: answers that come back a few
		 * milliseconds early or late do not make a steady counter's
		 * rate jitter.
		 */
		snmp_walk_fill(&p->walk, p->sample, s->rates, p->sample->start);
	snmp_walk_free(&p->walk);
	ev_timer_stop(s->sh->loop, &p->deadline);
	if (!s->queued) {
		s->queued = true;
		s->next = s->sh->ready;
		s->sh->ready = s;
	}
}

static void channel_unref(struct channel *ch);
static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents);

static struct poll *
poll_new(struct source *s)
{
	struct poll *p = xcalloc(1, sizeof(*p));

	p->src = s;
	ev_timer_init(&p->retry, retry_cb, 0., 0.);
	ev_timer_init(&p->deadline, deadline_cb, 0., 0.);
	return p;
}

static void
poll_free(struct source *s)
{
	struct poll *p = s->poll;

	if (p == NULL)
		return;
	await_set(s, 0);
	ev_timer_stop(s->sh->loop, &p->retry);
	ev_timer_stop(s->sh->loop, &p->deadline);
	snmp_walk_free(&p->walk);
	free(p);
	s->poll = NULL;
}

/* Frees a stopped source: a late answer to it finds its slot empty or another's. */
static void
source_free(struct source *s)
{
	poll_free(s);
	if (s->ch != NULL) {
		if (s->ch->shared) {
			s->ch->need -= s->cost;
			s->ch->slot[s->slot] = NULL;
			s->ch->free[s->ch->nfree++] = s->slot;
		}
		channel_unref(s->ch);
	}
	if (s->rates != NULL) {
		snmp_rates_free(s->rates);
		free(s->rates);
	}
	if (s->addr != s->conf->host)
		free((char *)s->addr);
	if (s->resolve != NULL) {
		free(s->resolve->error);
		free(s->resolve);
	}
	free(s);
}

/* Calls done for a finished poll; s may be gone afterwards. */
static void
deliver(struct source *s)
{
	poll_done_fn done = s->poll->done;
	void *arg = s->poll->done_arg;

	poll_free(s);
	s->polling = false;
	done(arg);
}

/*
 * Hands over every finished poll. Called last by every loop callback that
 * may have ended polls, and by snmp_poll for a poll that ended at once: done
 * may stop (free) any source.
 */
static void
flush(struct shared *sh)
{
	struct source *s;

	while ((s = sh->ready) != NULL) {
		sh->ready = s->next;
		s->queued = false;
		if (s->polling && s->poll->complete)
			deliver(s);
	}
}

static void fds_fit(struct shared *sh, int fd);
static int shared_read(struct channel *ch);

/* Bounds the reads of one drain: a flood must not hold the loop. */
#define DRAIN_MAX	4096

/*
 * Reads every answer waiting in ch's socket: called before a timeout of one
 * of its requests is acted on (libev may run the timer before the socket's
 * watcher in the same loop iteration, or after a stall of the loop).
 */
static void
drain(struct channel *ch)
{
	struct shared *sh = ch->sh;

	if (ch->shared) {
		shared_read(ch);
		return;
	}
	fds_fit(sh, ch->fd);
	for (int i = 0; i < DRAIN_MAX && snmp_sock_readable(ch->fd); i++) {
		NETSNMP_LARGE_FD_SET(ch->fd, &sh->fds);
		snmp_sess_read2(ch->sess, &sh->fds);
		NETSNMP_LARGE_FD_CLR(ch->fd, &sh->fds);
	}
}

/* The poll's deadline. */
static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct poll *p = container_of(w, struct poll, deadline);
	struct source *s = p->src;

	(void)loop;
	(void)revents;
	if (!p->complete && s->ch != NULL && p->reqid != 0)
		drain(s->ch);	/* may complete the poll, or send its next request */
	if (!p->complete)
		finish(s, p->probing ? "timeout (engine ID discovery)" : "timeout");
	flush(s->sh);
}

/* Makes the shared fd set hold fd. */
static void
fds_fit(struct shared *sh, int fd)
{
	if (fd < sh->fds_size)
		return;
	sh->fds_size = fd + 64;
	netsnmp_large_fd_set_resize(&sh->fds, sh->fds_size);
}

/*
 * Returns how far the loop's clock lags behind real time: a callback that
 * runs late in a long iteration must not arm a timer that is already due.
 */
static double
lag(struct ev_loop *loop)
{
	double d = ev_time() - ev_now(loop);

	return d > 0 ? d : 0;
}

/*
 * Wakes net-snmp up when the request in flight is due for retransmission or
 * has timed out: one attempt's share of the timeout, plus a little for the
 * two clocks. Cheaper than asking net-snmp (snmp_sess_select_info2) each time.
 */
static void
arm_retry(struct source *s)
{
	struct poll *p = s->poll;
	double attempt = s->timeout / (s->conf->retries + 1);

	ev_timer_stop(s->sh->loop, &p->retry);
	if (!s->polling || p->complete || p->reqid == 0)
		return;
	ev_timer_set(&p->retry, attempt + 0.001 + lag(s->sh->loop), 0.);
	ev_timer_start(s->sh->loop, &p->retry);
}

static int transmit(struct source *s);

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct poll *p = container_of(w, struct poll, retry);
	struct source *s = p->src;
	int want = p->reqid;

	(void)loop;
	(void)revents;
	drain(s->ch);
	if (!s->ch->shared) {
		/* Also times out requests left over from polls that ended at their deadline. */
		snmp_sess_timeout(s->ch->sess);
		arm_retry(s);
	} else if (!p->complete && p->reqid == want && want != 0) {
		/* Not answered (the drain may have answered it and sent the next one). */
		if (p->attempts > s->conf->retries)
			finish(s, "timeout");
		else if (transmit(s) == 0)
			arm_retry(s);
	}
	flush(s->sh);
}

/* Takes in one datagram of a shared socket: an answer, or something to ignore. */
static void
shared_answer(struct channel *ch, u_char *data, size_t len, const struct sockaddr_in *from)
{
	netsnmp_pdu pdu;
	long version = -1;
	struct source *s;
	struct poll *p;

	memset(&pdu, 0, sizeof(pdu));
	if (snmp_udp_parse(data, len, &version, &pdu, &ch->sh->vars) == -1 ||
	    pdu.command != SNMP_MSG_RESPONSE || (pdu.reqid & ~0x3fffffffL) != REQID_TAG)
		goto out;
	/* The source's request awaited, answered by its agent in its version. */
	s = ch->slot[pdu.reqid & (SLOTS - 1)];
	if (s == NULL || (p = s->poll) == NULL || p->complete || p->reqid != pdu.reqid ||
	    from->sin_addr.s_addr != s->peer.sin_addr.s_addr ||
	    from->sin_port != s->peer.sin_port || version != s->conf->version)
		goto out;
	p->done_reqid = p->reqid;
	await_set(s, 0);
	snmp_walk_response(&p->walk, &pdu);
	if (p->walk.fatal != NULL)
		finish(s, p->walk.fatal);
	else
		proceed(s);
out:
	snmp_udp_release(&pdu, &ch->sh->vars);
}

/* Reads what waits in a shared socket, a batch of datagrams a system call; returns how many. */
static int
shared_read(struct channel *ch)
{
	struct shared *sh = ch->sh;
	int n, total;

	for (total = 0; total < DRAIN_MAX; total += n) {
		for (int i = 0; i < RX_BATCH; i++) {
			sh->msgs[i].msg_hdr.msg_namelen = sizeof(sh->from[i]);
			sh->msgs[i].msg_hdr.msg_flags = 0;
		}
		if ((n = recvmmsg(ch->fd, sh->msgs, RX_BATCH, MSG_DONTWAIT, NULL)) <= 0)
			return total;
		for (int i = 0; i < n; i++) {
			const struct msghdr *h = &sh->msgs[i].msg_hdr;

			/* Cut short (larger than any answer can be), or not from IPv4. */
			if ((h->msg_flags & MSG_TRUNC) != 0 || h->msg_namelen != sizeof(sh->from[i]) ||
			    sh->from[i].sin_family != AF_INET)
				continue;
			shared_answer(ch, sh->iov[i].iov_base, sh->msgs[i].msg_len, &sh->from[i]);
		}
		if (n < RX_BATCH)
			return total + n;	/* the socket is empty: no call to learn it */
	}
	return total;
}

/* Watches ch's shared socket in sh->epfd (in: readable) or not; returns 0 or -1 (errno set). */
static int
epoll_arm(struct channel *ch, int op, bool in)
{
	struct epoll_event ev = { .events = in ? EPOLLIN : 0, .data.ptr = ch };

	return epoll_ctl(ch->sh->epfd, op, ch->fd, &ev);
}

/* Takes ch's socket out of the loop's sight and reads it again SNMP_HOLD later. */
static void
hold_start(struct channel *ch)
{
	if (epoll_arm(ch, EPOLL_CTL_MOD, false) == -1)
		return;		/* cannot happen to a socket in the set: it stays watched */
	ev_timer_set(&ch->hold, SNMP_HOLD, 0.);
	ev_timer_start(ch->sh->loop, &ch->hold);
}

/* Whether ch's socket is read again later rather than on its next datagram: read got answers. */
static bool
hold_more(const struct channel *ch, int got)
{
	return got > 0 && ch->awaiting > 0;
}

static void
hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct channel *ch = container_of(w, struct channel, hold);
	struct shared *sh = ch->sh;

	(void)revents;
	if (hold_more(ch, shared_read(ch))) {
		ev_timer_set(&ch->hold, SNMP_HOLD, 0.);
		ev_timer_start(loop, &ch->hold);
	} else if (epoll_arm(ch, EPOLL_CTL_MOD, true) == -1)
		log_warnx("snmp: cannot watch a shared socket again: %s", strerror(errno));
	flush(sh);
}

/* Epoll events the shared set hands over at once. */
#define EP_BATCH	16

/* A shared socket not held is readable. */
static void
epoll_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct shared *sh = container_of(w, struct shared, epio);
	struct epoll_event ev[EP_BATCH];
	int n;

	(void)loop;
	(void)revents;
	/* One socket (up to 1,024 sources): no call to learn which. */
	if (sh->channels != NULL && sh->channels->next == NULL) {
		ev[0].data.ptr = sh->channels;
		n = 1;
	} else if ((n = epoll_wait(sh->epfd, ev, EP_BATCH, 0)) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		struct channel *ch = ev[i].data.ptr;

		if (ev_is_active(&ch->hold))
			continue;	/* its single socket, held */
		if (hold_more(ch, shared_read(ch)))
			hold_start(ch);
	}
	flush(sh);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct channel *ch = container_of(w, struct channel, io);
	struct shared *sh = ch->sh;

	(void)loop;
	(void)revents;
	fds_fit(sh, ch->fd);
	NETSNMP_LARGE_FD_SET(ch->fd, &sh->fds);
	snmp_sess_read2(ch->sess, &sh->fds);
	NETSNMP_LARGE_FD_CLR(ch->fd, &sh->fds);
	flush(sh);
}

static const char *
sess_error(void *sess)
{
	netsnmp_session *ss = snmp_sess_session(sess);

	return snmp_api_errstring(ss != NULL ? ss->s_snmp_errno : SNMPERR_GENERR);
}

/* The message a report PDU stands for: wrong v3 credentials, mostly. */
static const char *
report_error(netsnmp_pdu *pdu)
{
	switch (snmpv3_get_report_type(pdu)) {
	case SNMPERR_UNKNOWN_USER_NAME:
		return "unknown user name (report)";
	case SNMPERR_AUTHENTICATION_FAILURE:
		return "authentication failure: wrong auth protocol or passphrase (report)";
	case SNMPERR_DECRYPTION_ERR:
		return "decryption error: wrong priv protocol or passphrase (report)";
	case SNMPERR_UNSUPPORTED_SEC_LEVEL:
		return "unsupported security level (report)";
	case SNMPERR_UNKNOWN_ENG_ID:
		return "unknown engine ID (report)";
	case SNMPERR_NOT_IN_TIME_WINDOW:
		return "not in time window (report)";
	}
	return "unexpected report PDU";
}

/* After discovery: the agent's engine ID is in the session; localise the keys. */
static void
probe_response(struct source *s, netsnmp_pdu *pdu)
{
	netsnmp_session *ss = snmp_sess_session(s->ch->sess);

	if (ss->securityEngineIDLen == 0 && pdu->securityEngineIDLen > 0) {
		ss->securityEngineID = netsnmp_memdup(pdu->securityEngineID,
		    pdu->securityEngineIDLen);
		ss->securityEngineIDLen = pdu->securityEngineIDLen;
	}
	if (ss->securityEngineIDLen == 0) {
		finish(s, "engine ID discovery failed");
		return;
	}
	if (ss->contextEngineIDLen == 0) {
		ss->contextEngineID = netsnmp_memdup(ss->securityEngineID,
		    ss->securityEngineIDLen);
		ss->contextEngineIDLen = ss->securityEngineIDLen;
	}
	if (usm_create_user_from_session(ss) != SNMPERR_SUCCESS) {
		finish(s, "cannot set up the USM user");
		return;
	}
	s->engine_known = true;
	s->poll->probing = false;
	proceed(s);
}

static int
response_cb(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct source *s = magic;
	struct poll *p = s->poll;

	(void)ss;
	if (s->sh->closing)
		return 1;	/* snmp_fini is closing the session s was in */
	if (!s->polling)
		return 1;	/* a late answer */
	/*
	 * A report about a message the agent could not authenticate or decrypt
	 * carries no usable request ID: net-snmp matched it by message ID.
	 */
	if (pdu != NULL && pdu->command == SNMP_MSG_REPORT && p->reqid != 0 &&
	    reqid != p->done_reqid)
		reqid = p->reqid;
	if (p->complete || reqid != p->reqid)
		return 1;	/* a late answer to a poll that ended */
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;	/* a retransmission: still waiting */
	p->done_reqid = p->reqid;
	p->reqid = 0;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		finish(s, p->probing ? "timeout (engine ID discovery)" : "timeout");
		return 1;
	}
	if (op == NETSNMP_CALLBACK_OP_SEND_FAILED) {
		finish(s, "send failed");
		return 1;
	}
	/* Reports (SNMPv3 discovery, wrong credentials) come as security errors. */
	if ((op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE &&
	    op != NETSNMP_CALLBACK_OP_SEC_ERROR) || pdu == NULL) {
		finish(s, "malformed response");
		return 1;
	}
	if (p->probing) {
		probe_response(s, pdu);
		return 1;
	}
	if (pdu->command == SNMP_MSG_REPORT) {
		if (snmpv3_get_report_type(pdu) == SNMPERR_UNKNOWN_ENG_ID)
			s->engine_known = false;	/* re-discover on the next poll */
		finish(s, report_error(pdu));
		return 1;
	}
	if (pdu->command != SNMP_MSG_RESPONSE) {
		finish(s, "malformed response");
		return 1;
	}
	snmp_walk_response(&p->walk, pdu);
	if (p->walk.fatal != NULL)
		finish(s, p->walk.fatal);
	else
		proceed(s);
	return 1;
}

/* Returns 20 random bits (xorshift64*: request IDs need not be secret, only unlikely to guess). */
static uint32_t
random20(struct shared *sh)
{
	sh->rng ^= sh->rng >> 12;
	sh->rng ^= sh->rng << 25;
	sh->rng ^= sh->rng >> 27;
	return (uint32_t)((sh->rng * 0x2545F4914F6CDD1DULL) >> 44);
}

/* Fails the poll whose request could not be sent, if it still awaits that request. */
static void
send_failed(const struct txq *q, int err)
{
	struct source *s = q->ch->slot[q->slot];
	char msg[160];

	if (s == NULL || s->poll == NULL || s->poll->complete || s->poll->reqid != q->reqid)
		return;
	snprintf(msg, sizeof(msg), "send failed: %s", strerror(err));
	finish(s, msg);
}

/* Sends the queued requests of ch (all of them when ch is NULL), in order. */
static void
send_queued(struct shared *sh, const struct channel *ch)
{
	unsigned i = 0, kept = 0;

	while (i < sh->ntx) {
		struct channel *c = sh->txq[i].ch;
		unsigned n = 0;
		int r;

		if (ch != NULL && c != ch) {
			sh->txq[kept++] = sh->txq[i++];
			continue;
		}
		/* A run of requests on one socket: one sendmmsg. */
		while (i + n < sh->ntx && sh->txq[i + n].ch == c) {
			struct txq *q = &sh->txq[i + n];
			struct msghdr *h = &sh->txmsgs[n].msg_hdr;

			/* A source stopped since: its request goes anyway, nobody awaits the answer. */
			sh->txiov[n].iov_base = sh->txbuf + q->off;
			sh->txiov[n].iov_len = q->len;
			memset(h, 0, sizeof(*h));
			h->msg_iov = &sh->txiov[n];
			h->msg_iovlen = 1;
			h->msg_name = &q->peer;
			h->msg_namelen = sizeof(q->peer);
			n++;
		}
		for (unsigned done = 0; done < n;) {
			r = sendmmsg(c->fd, sh->txmsgs + done, n - done, MSG_DONTWAIT);
			if (r > 0) {
				done += (unsigned)r;
				continue;
			}
			if (r == -1 && errno == EINTR)
				continue;
			/* The first one not sent failed: the others go on. */
			send_failed(&sh->txq[i + done], r == -1 ? errno : EIO);
			done++;
		}
		i += n;
	}
	sh->ntx = kept;
	if (kept == 0) {
		sh->txbuf_used = 0;
		ev_prepare_stop(sh->loop, &sh->send);
	}
}

/* End of a loop iteration: the requests of its callbacks go out. */
static void
send_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct shared *sh = container_of(w, struct shared, send);

	(void)loop;
	(void)revents;
	send_queued(sh, NULL);
	flush(sh);	/* polls that failed to send */
}

static const oid *
walk_oid(void *arg, size_t k, size_t *len)
{
	return snmp_walk_oid(arg, k, len);
}

/*
 * Queues (again) the request the walk planned, awaited in a shared socket
 * (sent when the loop iteration ends); returns 0, or -1 with the poll finished.
 */
static int
transmit(struct source *s)
{
	struct shared *sh = s->sh;
	struct poll *p = s->poll;
	struct snmp_udp_request r = {
		.version = s->conf->version,
		.community = s->conf->community,
		.command = p->walk.command,
		.reqid = p->reqid,
		.max_repetitions = p->walk.max_repetitions,
		.n = p->walk.nmap,
		.oid = walk_oid,
		.arg = &p->walk,
	};
	struct txq *q;
	const u_char *msg;
	size_t len;

	if ((len = snmp_udp_build_request(&sh->tx, &sh->txsize, &r, &msg)) == 0) {
		finish(s, "cannot encode the request");
		return -1;
	}
	if (sh->ntx == TX_BATCH)
		send_queued(sh, NULL);
	if (sh->txbuf_used + len > sh->txbuf_size) {
		sh->txbuf_size = (sh->txbuf_used + len) * 2;
		sh->txbuf = xreallocarray(sh->txbuf, sh->txbuf_size, 1);
	}
	q = &sh->txq[sh->ntx++];
	q->ch = s->ch;
	q->slot = s->slot;
	q->reqid = p->reqid;
	q->peer = s->peer;
	q->off = sh->txbuf_used;
	q->len = len;
	memcpy(sh->txbuf + q->off, msg, len);
	sh->txbuf_used += len;
	ev_prepare_start(sh->loop, &sh->send);
	p->attempts++;
	return 0;
}

/* Sends the request the walk planned on a shared socket. */
static void
send_planned(struct source *s)
{
	await_set(s, (int)(REQID_TAG | (long)random20(s->sh) << SLOT_BITS | s->slot));
	s->poll->attempts = 0;
	if (transmit(s) == 0)
		arm_retry(s);
}

/* Sends a request of the poll in its own session; takes ownership of pdu. */
static void
send_pdu(struct source *s, netsnmp_pdu *pdu)
{
	int reqid;

	if ((reqid = snmp_sess_async_send(s->ch->sess, pdu, response_cb, s)) == 0) {
		snmp_free_pdu(pdu);
		finish(s, sess_error(s->ch->sess));
		return;
	}
	s->poll->reqid = reqid;
	arm_retry(s);
}

/* Sends the USM discovery probe: noAuthNoPriv, empty user, answered by a report. */
static void
send_probe(struct source *s)
{
	netsnmp_session *ss = snmp_sess_session(s->ch->sess);
	netsnmp_pdu *pdu;

	/* The agent said its engine ID changed (reinstalled): forget the old one. */
	if (ss->securityEngineIDLen > 0) {
		SNMP_FREE(ss->securityEngineID);
		ss->securityEngineIDLen = 0;
		SNMP_FREE(ss->contextEngineID);
		ss->contextEngineIDLen = 0;
	}
	pdu = snmp_pdu_create(SNMP_MSG_GET);
	pdu->version = SNMP_VERSION_3;
	pdu->securityName = strdup("");
	pdu->securityNameLen = 0;
	pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
	pdu->securityModel = SNMP_SEC_MODEL_USM;
	if (usm_get_user(NULL, 0, "") == NULL) {
		struct usmUser *u = xcalloc(1, sizeof(*u));

		/* net-snmp's own probe uses this same empty user. */
		u->name = strdup("");
		u->secName = strdup("");
		u->authProtocolLen = NELEM(usmNoAuthProtocol);
		u->authProtocol = snmp_duplicate_objid(usmNoAuthProtocol, u->authProtocolLen);
		u->privProtocolLen = NELEM(usmNoPrivProtocol);
		u->privProtocol = snmp_duplicate_objid(usmNoPrivProtocol, u->privProtocolLen);
		usm_add_user(u);
	}
	s->poll->probing = true;
	send_pdu(s, pdu);
}

/* Returns the Ku of pass for proto from the cache, computing it once. */
static const struct ku *
ku_get(struct shared *sh, const oid *proto, size_t plen, const char *pass)
{
	struct ku *k;

	for (k = sh->kus; k != NULL; k = k->next)
		if (k->proto == proto && strcmp(k->pass, pass) == 0)
			return k;
	k = xcalloc(1, sizeof(*k));
	k->proto = proto;
	k->pass = xstrdup(pass);
	k->len = sizeof(k->key);
	if (generate_Ku(proto, (u_int)plen, (const u_char *)pass, strlen(pass), k->key,
	    &k->len) != SNMPERR_SUCCESS) {
		free(k->pass);
		free(k);
		return NULL;
	}
	k->next = sh->kus;
	sh->kus = k;
	return k;
}

static int
open_v3(struct source *s, netsnmp_session *ss)
{
	const struct snmp_usm *c = s->conf->usm;
	const struct ku *k;

	ss->securityName = c->user;
	ss->securityNameLen = strlen(c->user);
	ss->securityLevel = c->level;
	ss->securityModel = SNMP_SEC_MODEL_USM;
	ss->contextName = c->context;
	ss->contextNameLen = strlen(c->context);
	ss->flags |= SNMP_FLAGS_DONT_PROBE;
	if (c->engine_id != NULL) {
		ss->securityEngineID = c->engine_id;
		ss->securityEngineIDLen = c->engine_id_len;
	}
	if (c->level == SNMP_SEC_LEVEL_NOAUTH)
		return 0;
	ss->securityAuthProto = (oid *)c->auth_proto;
	ss->securityAuthProtoLen = c->auth_proto_len;
	if ((k = ku_get(s->sh, c->auth_proto, c->auth_proto_len, c->auth_pass)) == NULL)
		return -1;
	memcpy(ss->securityAuthKey, k->key, k->len);
	ss->securityAuthKeyLen = k->len;
	if (c->level != SNMP_SEC_LEVEL_AUTHPRIV)
		return 0;
	ss->securityPrivProto = (oid *)c->priv_proto;
	ss->securityPrivProtoLen = c->priv_proto_len;
	/* The privacy key is hashed with the authentication protocol (RFC 3414). */
	if ((k = ku_get(s->sh, c->auth_proto, c->auth_proto_len, c->priv_pass)) == NULL)
		return -1;
	memcpy(ss->securityPrivKey, k->key, k->len);
	ss->securityPrivKeyLen = k->len;
	return 0;
}

/* Watches ch's socket: answers before timers in a loop iteration (their timeouts would be false). */
static void
channel_watch(struct channel *ch)
{
	ev_io_init(&ch->io, io_cb, ch->fd, EV_READ);
	ev_set_priority(&ch->io, EV_MAXPRI);
	ev_io_start(ch->sh->loop, &ch->io);
}

/* Opens a shared socket; returns its channel, or NULL with *err set. */
static struct channel *
shared_open(struct shared *sh, char **err)
{
	struct channel *ch;
	int fd;

	if ((fd = snmp_udp_open()) == -1) {
		*err = xasprintf("cannot open a UDP socket: %s", strerror(errno));
		return NULL;
	}
	ch = xcalloc(1, sizeof(*ch));
	ch->sh = sh;
	ch->fd = fd;
	ch->shared = true;
	ch->slot = xcalloc(SLOTS, sizeof(*ch->slot));
	ch->free = xcalloc(SLOTS, sizeof(*ch->free));
	for (unsigned i = 0; i < SLOTS; i++)
		ch->free[i] = (uint16_t)(SLOTS - 1 - i);
	ch->nfree = SLOTS;
	ev_timer_init(&ch->hold, hold_cb, SNMP_HOLD, 0.);
	ev_set_priority(&ch->hold, EV_MAXPRI);
	if (sh->epfd == -1) {
		if ((sh->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
			*err = xasprintf("cannot create an epoll set: %s", strerror(errno));
			goto fail;
		}
		ev_io_init(&sh->epio, epoll_cb, sh->epfd, EV_READ);
		ev_set_priority(&sh->epio, EV_MAXPRI);
		ev_io_start(sh->loop, &sh->epio);
	}
	if (epoll_arm(ch, EPOLL_CTL_ADD, true) == -1) {
		*err = xasprintf("cannot watch a UDP socket: %s", strerror(errno));
		goto fail;
	}
	return ch;
fail:
	close(fd);
	free(ch->slot);
	free(ch->free);
	free(ch);
	return NULL;
}

/* Opens a session as described by ss; returns its channel, or NULL with *err set. */
static struct channel *
channel_open(struct shared *sh, netsnmp_session *ss, char **err)
{
	struct channel *ch;
	netsnmp_transport *t;
	void *sess;

	if ((sess = snmp_sess_open(ss)) == NULL) {
		*err = xasprintf("cannot open a session: %s%s%s",
		    snmp_api_errstring(ss->s_snmp_errno), ss->s_errno ? ": " : "",
		    ss->s_errno ? strerror(ss->s_errno) : "");
		return NULL;
	}
	if ((t = snmp_sess_transport(sess)) == NULL || t->sock < 0) {
		snmp_sess_close(sess);
		*err = xstrdup("session without a socket");
		return NULL;
	}
	ch = xcalloc(1, sizeof(*ch));
	ch->sh = sh;
	ch->sess = sess;
	ch->fd = t->sock;
	ch->refs = 1;
	channel_watch(ch);
	return ch;
}

static void
channel_unref(struct channel *ch)
{
	struct channel **cp;

	if (--ch->refs > 0)
		return;
	for (cp = &ch->sh->channels; ch->shared && *cp != NULL; cp = &(*cp)->next) {
		if (*cp == ch) {
			*cp = ch->next;
			break;
		}
	}
	if (ch->shared) {
		/* Its socket leaves sh->epfd when it closes. */
		ev_timer_stop(ch->sh->loop, &ch->hold);
		send_queued(ch->sh, ch);	/* before its socket closes */
		long long d = snmp_sock_drops(&ch->fd, 1);

		if (d > 0)
			ch->sh->drops_closed += d;
		close(ch->fd);
		free(ch->slot);
		free(ch->free);
	} else {
		ev_io_stop(ch->sh->loop, &ch->io);
		snmp_sess_close(ch->sess);
	}
	free(ch);
}

/*
 * Returns whether ch's receive buffer holds need more bytes of answers,
 * growing it (by doubling: few system calls) when the kernel allows.
 */
static bool
channel_fits(struct channel *ch, size_t need)
{
	size_t want = ch->need + need, limit = snmp_sock_limit(), ask;

	if (want <= ch->granted)
		return true;
	ask = ch->granted * 2 > want ? ch->granted * 2 : want;
	if (limit > 0 && ask > limit)
		ask = limit;
	if (ask > ch->granted) {
		size_t got = snmp_sock_rcvbuf(ch->fd, ask);

		if (got > ch->granted)
			ch->granted = got;
		ev_timer_start(ch->sh->loop, &ch->sh->report);
	}
	/* The first source always fits: a channel is never left empty. */
	return want <= ch->granted || ch->refs == 0;
}

/* Receive-buffer bytes the answers of source s may take at once. */
static size_t
source_cost(const struct source *s)
{
	/* One request in flight, its retransmissions' answers too; walks answer more. */
	size_t n = (size_t)s->conf->retries + 1;

	return n * SNMP_SOCK_ANSWER_COST * (s->conf->shared->ncolumns > 0 ? 4 : 1);
}

/* Joins (or opens) a shared socket for a v1/v2c source over IPv4. */
static int
join_shared(struct source *s, char **err)
{
	const struct snmp_conf *c = s->conf;
	struct shared *sh = s->sh;
	struct channel *ch;

	s->cost = source_cost(s);

	memset(&s->peer, 0, sizeof(s->peer));
	s->peer.sin_family = AF_INET;
	s->peer.sin_port = htons((uint16_t)c->port);
	if (inet_pton(AF_INET, s->addr, &s->peer.sin_addr) != 1) {
		*err = xasprintf("not an IPv4 address: %s", s->addr);
		return -1;
	}
	/* Every request carries its version and community: any socket with room will do. */
	for (ch = sh->channels; ch != NULL; ch = ch->next)
		if (ch->nfree > 0 && channel_fits(ch, s->cost))
			break;
	if (ch == NULL) {
		if ((ch = shared_open(sh, err)) == NULL)
			return -1;
		ch->granted = snmp_sock_rcvbuf_get(ch->fd);
		if (snmp_sock_limit() > 0 && snmp_sock_limit() < ch->granted)
			ch->granted = snmp_sock_rcvbuf(ch->fd, snmp_sock_limit());
		(void)channel_fits(ch, s->cost);
		ev_timer_start(sh->loop, &sh->report);
		ch->next = sh->channels;
		sh->channels = ch;
	}
	ch->refs++;
	ch->need += s->cost;
	s->slot = ch->free[--ch->nfree];
	ch->slot[s->slot] = s;
	s->ch = ch;
	return 0;
}

/* Fills ss with what every session of s has: version, retries, timeout, community. */
static void
session_init(const struct source *s, netsnmp_session *ss)
{
	const struct snmp_conf *c = s->conf;

	snmp_sess_init(ss);
	ss->version = c->version;
	ss->retries = c->retries;
	ss->timeout = (long)(s->timeout / (c->retries + 1) * 1e6);
	if (c->version != SNMP_VERSION_3) {
		ss->community = (u_char *)c->community;
		ss->community_len = strlen(c->community);
	}
}

/*
 * Joins the shared channel of a v1/v2c source with a literal IPv4 address
 * when it starts, so that the receive buffers are sized for every source
 * before the first poll; a failure is left to the first poll to report.
 */
static void
join_early(struct source *s)
{
	const struct snmp_conf *c = s->conf;
	char *err = NULL;

	if (!c->literal || c->version == SNMP_VERSION_3 || strcmp(c->transport, "udp") != 0)
		return;
	if (join_shared(s, &err) == -1)
		free(err);
}

/* Gets s a channel to s->addr; returns 0 or -1 with the poll finished. */
static int
open_session(struct source *s)
{
	const struct snmp_conf *c = s->conf;
	netsnmp_session ss;
	char peer[300], *err = NULL;
	int r;

	if (c->version != SNMP_VERSION_3 && strcmp(c->transport, "udp") == 0) {
		if (join_shared(s, &err) == -1)
			goto fail;
		return 0;
	}
	session_init(s, &ss);
	if (c->version == SNMP_VERSION_3 && open_v3(s, &ss) == -1) {
		err = xstrdup("cannot derive the USM keys");
		goto fail;
	}
	r = snprintf(peer, sizeof(peer), strchr(s->addr, ':') != NULL ? "%s:[%s]:%u" :
	    "%s:%s:%u", c->transport, s->addr, c->port);
	if (r < 0 || (size_t)r >= sizeof(peer)) {
		err = xstrdup("address too long");
		goto fail;
	}
	ss.peername = peer;
	if ((s->ch = channel_open(s->sh, &ss, &err)) == NULL)
		goto fail;
	if (c->usm != NULL && c->usm->engine_id != NULL) {
		if (usm_create_user_from_session(snmp_sess_session(s->ch->sess)) != SNMPERR_SUCCESS) {
			err = xstrdup("cannot set up the USM user");
			goto fail;
		}
		s->engine_known = true;
	}
	return 0;
fail:
	finish(s, err);
	free(err);
	return -1;
}

/* Sends the next request of the poll, or completes it. */
static void
proceed(struct source *s)
{
	netsnmp_pdu *pdu = NULL;

	if (s->poll->complete)
		return;
	if (s->ch == NULL && open_session(s) == -1)
		return;
	if (s->conf->version == SNMP_VERSION_3 && !s->engine_known) {
		send_probe(s);
		return;
	}
	/* A shared socket's request is encoded from the walk's plan, without a PDU. */
	if (s->ch->shared ? !snmp_walk_plan(&s->poll->walk) :
	    (pdu = snmp_walk_next(&s->poll->walk)) == NULL) {
		s->max_repetitions = s->poll->walk.max_repetitions;
		s->max_oids = s->poll->walk.max_oids;
		finish(s, NULL);
		return;
	}
	if (s->ch->shared)
		send_planned(s);
	else
		send_pdu(s, pdu);
}

static void
resolved(void *arg, int err, const char *addr)
{
	struct source *s = arg;
	struct resolve *r = s->resolve;

	r->lookup = NULL;
	if (err != 0) {
		free(r->error);
		r->error = xasprintf("cannot resolve %s: %s", s->conf->host, gai_strerror(err));
		r->after = ev_now(s->sh->loop) + RESOLVE_RETRY;
		if (s->polling) {
			finish(s, r->error);
			flush(s->sh);
		}
		return;
	}
	log_debug("snmp/%s: %s is %s", s->name, s->conf->host, addr);
	s->addr = xstrdup(addr);
	if (s->polling)
		proceed(s);
	flush(s->sh);
}

static void
snmp_poll(void *state, struct sample *sample, poll_done_fn done, void *arg)
{
	struct source *s = state;
	struct resolve *r = s->resolve;
	struct poll *p;

	s->poll = p = poll_new(s);
	s->polling = true;
	p->sample = sample;
	p->done = done;
	p->done_arg = arg;
	snmp_walk_init(&p->walk, s->conf, s->max_repetitions, s->max_oids);
	if (s->addr != NULL)
		proceed(s);
	else if (r->lookup != NULL)
		;		/* resolved() goes on */
	else if (r->error != NULL && ev_now(s->sh->loop) < r->after)
		finish(s, r->error);
	else if ((r->lookup = snmp_resolve_start(s->conf->host,
	    strcmp(s->conf->transport, "udp6") == 0 ? AF_INET6 : AF_INET, resolved, s)) == NULL)
		finish(s, "cannot start resolving the host name");
	if (p->complete) {
		flush(s->sh);	/* the poll ended at once: done runs before poll returns */
		return;
	}
	ev_timer_set(&p->deadline, s->timeout + lag(s->sh->loop), 0.);
	ev_timer_start(s->sh->loop, &p->deadline);
}

static int
snmp_start(struct ev_loop *loop, void *shared, const struct source_config *src, void **state)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->sh = shared;
	s->conf = src->poller_conf;
	s->name = src->name;
	s->timeout = src->timeout;
	s->max_repetitions = s->conf->max_repetitions;
	s->max_oids = s->conf->max_oids;
	if (s->conf->literal)
		s->addr = s->conf->host;
	else
		s->resolve = xcalloc(1, sizeof(*s->resolve));
	if (s->conf->shared->uptime >= 0) {
		s->rates = xmalloc(sizeof(*s->rates));
		snmp_rates_init(s->rates);
	}
	join_early(s);
	(void)loop;
	*state = s;
	return 0;
}

static void
snmp_stop(void *state)
{
	struct source *s = state;
	struct shared *sh = s->sh;
	struct source **sp;

	if (s->poll != NULL)
		ev_timer_stop(sh->loop, &s->poll->deadline);
	s->polling = false;
	if (s->queued) {
		for (sp = &sh->ready; *sp != NULL; sp = &(*sp)->next) {
			if (*sp == s) {
				*sp = s->next;
				break;
			}
		}
		s->queued = false;
	}
	if (s->resolve != NULL && s->resolve->lookup != NULL) {
		snmp_resolve_cancel(s->resolve->lookup);
		s->resolve->lookup = NULL;
	}
	source_free(s);
}

/* Lets thousands of v3 sources each have their socket. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("snmp: cannot raise the open files limit");
}

/* Says what the kernel granted the shared sockets, once their sources joined. */
static void
report_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct shared *sh = container_of(w, struct shared, report);
	size_t nch = 0, nsrc = 0, need = 0, lo = 0, hi = 0, short_ch = 0;

	(void)loop;
	(void)revents;
	for (const struct channel *ch = sh->channels; ch != NULL; ch = ch->next) {
		nch++;
		nsrc += ch->refs;
		need += ch->need;
		lo = nch == 1 || ch->granted < lo ? ch->granted : lo;
		hi = ch->granted > hi ? ch->granted : hi;
		if (ch->granted < ch->need)
			short_ch++;
	}
	if (nch == 0)
		return;
	if (lo == hi)
		log_info("snmp: %zu v1/v2c sources share %zu UDP socket%s, receive buffer%s "
		    "%zu KiB (%zu KiB needed in all)", nsrc, nch, nch > 1 ? "s" : "",
		    nch > 1 ? "s of" : "", lo / 1024, need / 1024);
	else
		log_info("snmp: %zu v1/v2c sources share %zu UDP sockets, receive buffers "
		    "%zu-%zu KiB (%zu KiB needed in all)", nsrc, nch, lo / 1024, hi / 1024,
		    need / 1024);
	if (short_ch > 0)
		log_warnx("snmp: %zu shared socket%s got less receive buffer than %s sources' "
		    "answers need: a burst may drop answers (raise net.core.rmem_max)",
		    short_ch, short_ch > 1 ? "s" : "", short_ch > 1 ? "their" : "its");
}

/* The kernel's drops on the shared sockets: answers lost before we read them. */
static void
snmp_metrics(void *shared, struct buf *b)
{
	struct shared *sh = shared;
	size_t n = 0;
	int *fds;
	long long d;

	for (const struct channel *ch = sh->channels; ch != NULL; ch = ch->next)
		n++;
	fds = xcalloc(n + 1, sizeof(*fds));
	n = 0;
	for (const struct channel *ch = sh->channels; ch != NULL; ch = ch->next)
		fds[n++] = ch->fd;
	d = snmp_sock_drops(fds, n);
	free(fds);
	buf_str(b, "# HELP pollhook_snmp_socket_drops_total Datagrams the kernel dropped on the "
	    "snmp poller's shared UDP sockets (receive buffer full), since the last start or "
	    "reload.\n# TYPE pollhook_snmp_socket_drops_total counter\n");
	buf_printf(b, "pollhook_snmp_socket_drops_total %lld\n",
	    (d > 0 ? d : 0) + sh->drops_closed);
	buf_str(b, "# HELP pollhook_snmp_sockets Shared UDP sockets of the snmp poller.\n"
	    "# TYPE pollhook_snmp_sockets gauge\n");
	buf_printf(b, "pollhook_snmp_sockets %zu\n", n);
}

static void *
snmp_init(struct ev_loop *loop)
{
	struct shared *sh = xcalloc(1, sizeof(*sh));

	snmp_lib_init();
	raise_fd_limit();
	sh->loop = loop;
	sh->epfd = -1;
	ev_timer_init(&sh->report, report_cb, 0., 0.);
	sh->fds_size = 1024;
	netsnmp_large_fd_set_init(&sh->fds, sh->fds_size);
	snmp_resolve_init(loop);
	/* Pages of the receive buffers are only touched by the datagrams that fill them. */
	sh->rx = xmalloc((size_t)RX_BATCH * RX_SIZE);
	for (int i = 0; i < RX_BATCH; i++) {
		sh->iov[i].iov_base = sh->rx + (size_t)i * RX_SIZE;
		sh->iov[i].iov_len = RX_SIZE;
		sh->msgs[i].msg_hdr.msg_iov = &sh->iov[i];
		sh->msgs[i].msg_hdr.msg_iovlen = 1;
		sh->msgs[i].msg_hdr.msg_name = &sh->from[i];
	}
	sh->txsize = 1500;
	sh->tx = xmalloc(sh->txsize);
	ev_prepare_init(&sh->send, send_cb);
	if (getrandom(&sh->rng, sizeof(sh->rng), GRND_NONBLOCK) != sizeof(sh->rng))
		sh->rng = (uint64_t)ev_time() * 1000003u ^ (uint64_t)getpid();
	sh->rng |= 1;	/* xorshift's state is never 0 */
	return sh;
}

static void
snmp_fini(void *shared)
{
	struct shared *sh = shared;
	struct ku *k, *next;

	snmp_resolve_fini();
	ev_timer_stop(sh->loop, &sh->report);
	sh->closing = true;
	netsnmp_large_fd_set_cleanup(&sh->fds);
	ev_prepare_stop(sh->loop, &sh->send);
	if (sh->epfd != -1) {
		ev_io_stop(sh->loop, &sh->epio);
		close(sh->epfd);
	}
	free(sh->rx);
	free(sh->tx);
	free(sh->txbuf);
	snmp_udp_vars_free(&sh->vars);
	for (k = sh->kus; k != NULL; k = next) {
		next = k->next;
		explicit_bzero(k->key, sizeof(k->key));
		explicit_bzero(k->pass, strlen(k->pass));
		free(k->pass);
		free(k);
	}
	free(sh);
}

static int
snmp_configure(const struct conf_node *group, const struct conf_node *metrics,
    const struct source_config *src, void **conf)
{
	struct snmp_conf *c = snmp_conf_parse(group, metrics, src);

	if (c == NULL)
		return -1;
	*conf = c;
	return 0;
}

static void
snmp_free_conf(void *conf)
{
	snmp_conf_free(conf);
}

const struct poller_ops snmp_poller_ops = {
	.name = "snmp",
	.keys = snmp_conf_keys,
	.metric_keys = snmp_metric_keys,
	.builtin_metrics = NULL,
	.configure = snmp_configure,
	.free_conf = snmp_free_conf,
	.init = snmp_init,
	.fini = snmp_fini,
	.start = snmp_start,
	.poll = snmp_poll,
	.stop = snmp_stop,
	.metrics = snmp_metrics,
	.library_version = snmp_lib_version,
	.probe = &snmp_probe_ops,
};
