/*
 * The snmp poller: net-snmp's single-session API on the daemon's libev loop.
 *
 * Each source owns one session (one UDP socket in an ev_io). A poll is a
 * short conversation driven by snmp_walk.c: GETs of the scalars, then
 * GETBULK (GETNEXT on v1) rounds over every walked column. One request is in
 * flight at a time; net-snmp retransmits it when the source's ev_timer calls
 * snmp_sess_timeout, and the poll as a whole ends at the source's timeout. A
 * dead agent therefore only ever holds up its own source.
 *
 * SNMPv3 engine-ID discovery is an ordinary asynchronous request (the
 * library's own probe in snmp_sess_open is synchronous and is switched off).
 * Host names are resolved with getaddrinfo_a (snmp_resolve.c).
 */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <netdb.h>

#include <ev.h>
#include <net-snmp/library/large_fd_set.h>

#include "config.h"
#include "log.h"
#include "poller.h"
#include "snmp_conf.h"
#include "snmp_lib.h"
#include "snmp_resolve.h"
#include "snmp_walk.h"
#include "util.h"
#include "xmalloc.h"

/* Don't retry a failed name resolution more often than this (seconds). */
#define RESOLVE_RETRY	30.0

/* A localised-to-nothing key (Ku) of one passphrase: generate_Ku is slow. */
struct ku {
	const oid *proto;
	char *pass;
	u_char key[USM_AUTH_KU_LEN];
	size_t len;
	struct ku *next;
};

struct shared {
	struct ev_loop *loop;
	netsnmp_large_fd_set fds;	/* for snmp_sess_read2: fds may pass FD_SETSIZE */
	int fds_size;
	struct ku *kus;
};

struct source {
	struct shared *sh;
	const struct snmp_conf *conf;
	const char *name;
	double timeout;
	double attempt;			/* timeout / (retries + 1) */
	void *sess;			/* net-snmp single session, or NULL */
	int fd;
	ev_io io;
	ev_timer retry;			/* net-snmp's retransmissions and timeouts */
	ev_timer deadline;		/* the poll's deadline */
	char *addr;			/* numeric address once known */
	struct snmp_lookup *lookup;
	double resolve_after;		/* no new lookup before this time */
	char *resolve_error;
	bool engine_known;		/* v3: the agent's engine ID is known */
	int max_repetitions, max_oids;	/* learned from tooBig, kept across polls */
	struct snmp_rates rates;

	/* the poll in flight */
	bool polling;
	bool complete;
	bool probing;
	int reqid;			/* the request awaited */
	int done_reqid;			/* the last one answered (net-snmp may say so twice) */
	struct sample *sample;
	poll_done_fn done;
	void *done_arg;
	struct snmp_walk walk;
};

static void proceed(struct source *s);

/*
 * Ends the poll (err NULL: success). The caller hands the sample over with
 * deliver() once net-snmp's call stack is left, never from inside it.
 */
static void
finish(struct source *s, const char *err)
{
	if (s->complete)
		return;
	s->complete = true;
	s->probing = false;
	s->reqid = 0;
	if (err != NULL)
		sample_fail(s->sample, "%s", err);
	else
		snmp_walk_fill(&s->walk, s->sample, &s->rates, ev_now(s->sh->loop));
	snmp_walk_free(&s->walk);
	ev_timer_stop(s->sh->loop, &s->deadline);
}

/* Calls done for a finished poll; s may be gone afterwards. */
static void
deliver(struct source *s)
{
	poll_done_fn done = s->done;
	void *arg = s->done_arg;

	ev_timer_stop(s->sh->loop, &s->deadline);
	s->polling = false;
	s->complete = false;
	s->sample = NULL;
	s->done = NULL;
	done(arg);
}

/* The poll's deadline, or (at 0 s) the delivery of a poll that ended inside poll(). */
static void
deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct source *s = container_of(w, struct source, deadline);

	(void)loop;
	(void)revents;
	if (!s->complete)
		finish(s, s->probing ? "timeout (engine ID discovery)" : "timeout");
	deliver(s);
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
 * Wakes net-snmp up when the request in flight is due for retransmission or
 * has timed out: one attempt's share of the timeout, plus a little for the
 * two clocks. Cheaper than asking net-snmp (snmp_sess_select_info2) each time.
 */
static void
arm_retry(struct source *s)
{
	ev_timer_stop(s->sh->loop, &s->retry);
	if (!s->polling || s->complete || s->reqid == 0)
		return;
	ev_timer_set(&s->retry, s->attempt + 0.001, 0.);
	ev_timer_start(s->sh->loop, &s->retry);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct source *s = container_of(w, struct source, retry);

	(void)loop;
	(void)revents;
	/* Also times out requests left over from polls that ended at their deadline. */
	snmp_sess_timeout(s->sess);
	arm_retry(s);
	if (s->polling && s->complete)
		deliver(s);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct source *s = container_of(w, struct source, io);

	(void)loop;
	(void)revents;
	fds_fit(s->sh, s->fd);
	NETSNMP_LARGE_FD_SET(s->fd, &s->sh->fds);
	snmp_sess_read2(s->sess, &s->sh->fds);
	NETSNMP_LARGE_FD_CLR(s->fd, &s->sh->fds);
	if (!s->polling || s->complete)
		ev_timer_stop(s->sh->loop, &s->retry);
	if (s->polling && s->complete)
		deliver(s);
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
	netsnmp_session *ss = snmp_sess_session(s->sess);

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
	s->probing = false;
	proceed(s);
}

static int
response_cb(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct source *s = magic;

	(void)ss;
	/*
	 * A report about a message the agent could not authenticate or decrypt
	 * carries no usable request ID: net-snmp matched it by message ID.
	 */
	if (pdu != NULL && pdu->command == SNMP_MSG_REPORT && s->reqid != 0 &&
	    reqid != s->done_reqid)
		reqid = s->reqid;
	if (!s->polling || s->complete || reqid != s->reqid)
		return 1;	/* a late answer to a poll that ended */
	if (op == NETSNMP_CALLBACK_OP_RESEND)
		return 1;	/* a retransmission: still waiting */
	s->done_reqid = s->reqid;
	s->reqid = 0;
	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		finish(s, s->probing ? "timeout (engine ID discovery)" : "timeout");
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
	if (s->probing) {
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
	snmp_walk_response(&s->walk, pdu);
	if (s->walk.fatal != NULL)
		finish(s, s->walk.fatal);
	else
		proceed(s);
	return 1;
}

static void
send_pdu(struct source *s, netsnmp_pdu *pdu)
{
	int reqid = snmp_sess_async_send(s->sess, pdu, response_cb, s);

	if (reqid == 0) {
		snmp_free_pdu(pdu);
		finish(s, sess_error(s->sess));
		return;
	}
	s->reqid = reqid;
	arm_retry(s);
}

/* Sends the USM discovery probe: noAuthNoPriv, empty user, answered by a report. */
static void
send_probe(struct source *s)
{
	netsnmp_session *ss = snmp_sess_session(s->sess);
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
	s->probing = true;
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
	const struct snmp_conf *c = s->conf;
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

/* Opens the session to s->addr; returns 0 or -1 with the poll finished. */
static int
open_session(struct source *s)
{
	const struct snmp_conf *c = s->conf;
	netsnmp_session ss;
	netsnmp_transport *t;
	char peer[300];
	int r;

	snmp_sess_init(&ss);
	r = snprintf(peer, sizeof(peer), strchr(s->addr, ':') != NULL ? "%s:[%s]:%u" :
	    "%s:%s:%u", c->transport, s->addr, c->port);
	if (r < 0 || (size_t)r >= sizeof(peer)) {
		finish(s, "address too long");
		return -1;
	}
	ss.peername = peer;
	ss.version = c->version;
	ss.retries = c->retries;
	ss.timeout = (long)(s->attempt * 1e6);
	if (c->version == SNMP_VERSION_3) {
		if (open_v3(s, &ss) == -1) {
			finish(s, "cannot derive the USM keys");
			return -1;
		}
	} else {
		ss.community = (u_char *)c->community;
		ss.community_len = strlen(c->community);
	}
	if ((s->sess = snmp_sess_open(&ss)) == NULL) {
		char *msg = xasprintf("cannot open a session: %s%s%s",
		    snmp_api_errstring(ss.s_snmp_errno), ss.s_errno ? ": " : "",
		    ss.s_errno ? strerror(ss.s_errno) : "");

		finish(s, msg);
		free(msg);
		return -1;
	}
	if ((t = snmp_sess_transport(s->sess)) == NULL || t->sock < 0) {
		snmp_sess_close(s->sess);
		s->sess = NULL;
		finish(s, "session without a socket");
		return -1;
	}
	s->fd = t->sock;
	ev_io_init(&s->io, io_cb, s->fd, EV_READ);
	ev_io_start(s->sh->loop, &s->io);
	if (c->version == SNMP_VERSION_3 && c->engine_id != NULL) {
		if (usm_create_user_from_session(snmp_sess_session(s->sess)) != SNMPERR_SUCCESS) {
			finish(s, "cannot set up the USM user");
			return -1;
		}
		s->engine_known = true;
	}
	return 0;
}

/* Sends the next request of the poll, or completes it. */
static void
proceed(struct source *s)
{
	netsnmp_pdu *pdu;

	if (s->complete)
		return;
	if (s->sess == NULL && open_session(s) == -1)
		return;
	if (s->conf->version == SNMP_VERSION_3 && !s->engine_known) {
		send_probe(s);
		return;
	}
	if ((pdu = snmp_walk_next(&s->walk)) == NULL) {
		s->max_repetitions = s->walk.max_repetitions;
		s->max_oids = s->walk.max_oids;
		finish(s, NULL);
		return;
	}
	send_pdu(s, pdu);
}

static void
resolved(void *arg, int err, const char *addr)
{
	struct source *s = arg;

	s->lookup = NULL;
	if (err != 0) {
		free(s->resolve_error);
		s->resolve_error = xasprintf("cannot resolve %s: %s", s->conf->host,
		    gai_strerror(err));
		s->resolve_after = ev_now(s->sh->loop) + RESOLVE_RETRY;
		if (s->polling) {
			finish(s, s->resolve_error);
			deliver(s);
		}
		return;
	}
	log_debug("snmp/%s: %s is %s", s->name, s->conf->host, addr);
	s->addr = xstrdup(addr);
	if (s->polling)
		proceed(s);
	if (s->polling && s->complete)
		deliver(s);
}

static void
snmp_poll(void *state, struct sample *sample, poll_done_fn done, void *arg)
{
	struct source *s = state;

	s->polling = true;
	s->complete = false;
	s->sample = sample;
	s->done = done;
	s->done_arg = arg;
	snmp_walk_init(&s->walk, s->conf, s->max_repetitions, s->max_oids);
	if (s->addr != NULL)
		proceed(s);
	else if (s->lookup != NULL)
		;		/* resolved() goes on */
	else if (s->resolve_error != NULL && ev_now(s->sh->loop) < s->resolve_after)
		finish(s, s->resolve_error);
	else if ((s->lookup = snmp_resolve_start(s->conf->host,
	    strcmp(s->conf->transport, "udp6") == 0 ? AF_INET6 : AF_INET, resolved, s)) == NULL)
		finish(s, "cannot start resolving the host name");
	/* done must not run before poll returns: a poll that ended already is delivered next. */
	ev_timer_set(&s->deadline, s->complete ? 0. : s->timeout, 0.);
	ev_timer_start(s->sh->loop, &s->deadline);
}

static int
snmp_start(struct ev_loop *loop, void *shared, const struct source_config *src, void **state)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->sh = shared;
	s->conf = src->poller_conf;
	s->name = src->name;
	s->timeout = src->timeout > 0 ? src->timeout : fmin(src->interval, 5.0);
	s->attempt = s->timeout / (s->conf->retries + 1);
	s->fd = -1;
	s->max_repetitions = s->conf->max_repetitions;
	s->max_oids = s->conf->max_oids;
	if (s->conf->literal)
		s->addr = xstrdup(s->conf->host);
	snmp_rates_init(&s->rates);
	ev_timer_init(&s->retry, retry_cb, 0., 0.);
	ev_timer_init(&s->deadline, deadline_cb, 0., 0.);
	(void)loop;
	*state = s;
	return 0;
}

static void
snmp_stop(void *state)
{
	struct source *s = state;
	struct ev_loop *loop = s->sh->loop;

	ev_timer_stop(loop, &s->retry);
	ev_timer_stop(loop, &s->deadline);
	if (s->sess != NULL) {
		ev_io_stop(loop, &s->io);
		s->polling = false;	/* the callbacks close may run are ignored */
		snmp_sess_close(s->sess);
	}
	if (s->lookup != NULL)
		snmp_resolve_cancel(s->lookup);
	snmp_walk_free(&s->walk);
	snmp_rates_free(&s->rates);
	free(s->addr);
	free(s->resolve_error);
	free(s);
}

/* Lets thousands of sources each have their socket. */
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

static void *
snmp_init(struct ev_loop *loop)
{
	struct shared *sh = xcalloc(1, sizeof(*sh));

	snmp_lib_init();
	raise_fd_limit();
	sh->loop = loop;
	sh->fds_size = 1024;
	netsnmp_large_fd_set_init(&sh->fds, sh->fds_size);
	snmp_resolve_init(loop);
	return sh;
}

static void
snmp_fini(void *shared)
{
	struct shared *sh = shared;
	struct ku *k, *next;

	snmp_resolve_fini();
	netsnmp_large_fd_set_cleanup(&sh->fds);
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
};
