/*
 * Discovery's probes (bridge/probe.h) over net-snmp: one unconnected UDP
 * session for every probe of a prober, as the poller's shared channels are
 * (each PDU names its agent), a GET of sysObjectID.0 and sysName.0 per
 * probe. The session never retransmits (retries = 0): the caller's rate
 * limit sees every datagram. Timeouts come from one ev_timer that calls
 * snmp_sess_timeout while probes are in flight; answers are read in the
 * socket's ev_io. Callbacks run after net-snmp's call stack is left.
 */

#include "snmp_probe.h"

#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "snmp_lib.h"
#include "util.h"
#include "xmalloc.h"

#define TICK	0.05	/* seconds between timeout checks while probes are in flight */

struct probe;

struct prober {
	struct ev_loop *loop;
	void *sess;
	int fd;
	ev_io io;
	ev_timer tick;
	netsnmp_large_fd_set fds;
	struct probe *done;	/* ended probes whose callbacks are due */
	ev_idle flush;		/* runs them outside net-snmp's stack */
	struct probe *all;	/* every probe not yet freed */
	size_t in_flight;
	unsigned long long sent;
	bool closing;		/* probe_close: callbacks do nothing */
};

struct probe {
	struct prober *pr;
	probe_done_fn fn;
	void *arg;
	bool ended;
	bool answered;
	char *object_id, *sys_name;
	const char *error;
	struct probe *next;	/* on pr->done */
	struct probe *all_prev, *all_next;
};

static const oid sys_object_id[] = { 1, 3, 6, 1, 2, 1, 1, 2, 0 };
static const oid sys_name[] = { 1, 3, 6, 1, 2, 1, 1, 5, 0 };

static void
probe_free(struct probe *p)
{
	struct prober *pr = p->pr;

	if (p->all_prev != NULL)
		p->all_prev->all_next = p->all_next;
	else
		pr->all = p->all_next;
	if (p->all_next != NULL)
		p->all_next->all_prev = p->all_prev;
	free(p->object_id);
	free(p->sys_name);
	free(p);
}

static void
run_done(struct prober *pr)
{
	struct probe *p;

	while ((p = pr->done) != NULL) {
		struct probe_result r = {
			.answered = p->answered,
			.object_id = p->object_id != NULL ? p->object_id : "",
			.sys_name = p->sys_name != NULL ? p->sys_name : "",
			.error = p->error,
		};

		pr->done = p->next;
		p->fn(p->arg, &r);
		probe_free(p);
	}
}

static void
on_flush(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct prober *pr = container_of(w, struct prober, flush);

	(void)revents;
	ev_idle_stop(loop, w);
	run_done(pr);
}

static void
end(struct probe *p, const char *error)
{
	struct prober *pr = p->pr;

	p->ended = true;
	p->error = error;
	pr->in_flight--;
	p->next = pr->done;
	pr->done = p;
	ev_idle_start(pr->loop, &pr->flush);
	if (pr->in_flight == 0)
		ev_timer_stop(pr->loop, &pr->tick);
}

/* Reads the two values of an answer; anything else makes it no answer. */
static void
read_answer(struct probe *p, const netsnmp_pdu *pdu)
{
	char buf[256];

	if (pdu->command != SNMP_MSG_RESPONSE || pdu->errstat != SNMP_ERR_NOERROR) {
		end(p, "error status in the answer");
		return;
	}
	for (const netsnmp_variable_list *v = pdu->variables; v != NULL; v = v->next_variable) {
		if (snmp_oid_compare(v->name, v->name_length, sys_object_id,
		    NELEM(sys_object_id)) == 0 && v->type == ASN_OBJECT_ID) {
			size_t len = 0;

			buf[0] = '\0';
			for (size_t i = 0; i < v->val_len / sizeof(oid) && len < sizeof(buf); i++)
				len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%lu",
				    i > 0 ? "." : "", (unsigned long)v->val.objid[i]);
			if (len < sizeof(buf)) {
				free(p->object_id);
				p->object_id = xstrdup(buf);
			}
		} else if (snmp_oid_compare(v->name, v->name_length, sys_name,
		    NELEM(sys_name)) == 0 && v->type == ASN_OCTET_STR) {
			size_t len = v->val_len < sizeof(buf) - 1 ? v->val_len : sizeof(buf) - 1;

			memcpy(buf, v->val.string, len);
			buf[len] = '\0';
			free(p->sys_name);
			/* A NUL inside ends it: names are text. */
			p->sys_name = xstrdup(buf);
		}
	}
	if (p->object_id == NULL) {
		end(p, "no sysObjectID in the answer");
		return;
	}
	p->answered = true;
	end(p, NULL);
}

static int
on_response(int op, netsnmp_session *ss, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct probe *p = magic;

	(void)ss;
	(void)reqid;
	if (p->pr->closing || p->ended)
		return 1;
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		if (pdu != NULL)
			read_answer(p, pdu);
		else
			end(p, "malformed answer");
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		end(p, "timeout");
		break;
	case NETSNMP_CALLBACK_OP_RESEND:
		break;
	default:
		end(p, "send failed");
		break;
	}
	return 1;
}

static void
read_socket(struct prober *pr)
{
	if (pr->fd >= 1 << 16)
		return;
	netsnmp_large_fd_set_resize(&pr->fds, pr->fd + 1);
	NETSNMP_LARGE_FD_SET(pr->fd, &pr->fds);
	snmp_sess_read2(pr->sess, &pr->fds);
	NETSNMP_LARGE_FD_CLR(pr->fd, &pr->fds);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct prober *pr = container_of(w, struct prober, io);

	(void)loop;
	(void)revents;
	read_socket(pr);
	run_done(pr);
}

static void
on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct prober *pr = container_of(w, struct prober, tick);

	(void)loop;
	(void)revents;
	snmp_sess_timeout(pr->sess);
	run_done(pr);
}

static void *
probe_open(struct ev_loop *loop, const struct probe_params *pp, char *err, size_t len)
{
	struct prober *pr;
	netsnmp_session ss;
	netsnmp_transport *t;
	void *sess;

	snmp_lib_init();
	snmp_sess_init(&ss);
	ss.version = strcmp(pp->version, "1") == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
	ss.community = (u_char *)pp->community;
	ss.community_len = strlen(pp->community);
	ss.retries = 0;
	ss.timeout = (long)(pp->timeout * 1e6);
	/* Every request names its agent; this peer is never used. */
	ss.peername = (char *)"udp:127.0.0.1:9";
	if ((sess = snmp_sess_open(&ss)) == NULL) {
		snprintf(err, len, "cannot open an SNMP session: %s",
		    snmp_api_errstring(ss.s_snmp_errno));
		return NULL;
	}
	if ((t = snmp_sess_transport(sess)) == NULL || t->sock < 0) {
		snmp_sess_close(sess);
		snprintf(err, len, "SNMP session without a socket");
		return NULL;
	}
	pr = xcalloc(1, sizeof(*pr));
	pr->loop = loop;
	pr->sess = sess;
	pr->fd = t->sock;
	netsnmp_large_fd_set_init(&pr->fds, pr->fd + 1);
	ev_io_init(&pr->io, on_io, pr->fd, EV_READ);
	ev_io_start(loop, &pr->io);
	ev_timer_init(&pr->tick, on_tick, TICK, TICK);
	ev_idle_init(&pr->flush, on_flush);
	return pr;
}

static int
probe_send(void *prober, const char *ip, unsigned port, probe_done_fn fn, void *arg)
{
	struct prober *pr = prober;
	netsnmp_indexed_addr_pair *to;
	netsnmp_pdu *pdu;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct probe *p;

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return -1;
	p = xcalloc(1, sizeof(*p));
	p->pr = pr;
	p->fn = fn;
	p->arg = arg;
	p->all_next = pr->all;
	if (pr->all != NULL)
		pr->all->all_prev = p;
	pr->all = p;
	pdu = snmp_pdu_create(SNMP_MSG_GET);
	snmp_add_null_var(pdu, sys_object_id, NELEM(sys_object_id));
	snmp_add_null_var(pdu, sys_name, NELEM(sys_name));
	to = xcalloc(1, sizeof(*to));
	to->remote_addr.sin = sin;
	pdu->transport_data = to;	/* the PDU owns it */
	pdu->transport_data_length = sizeof(*to);
	if (snmp_sess_async_send(pr->sess, pdu, on_response, p) == 0) {
		snmp_free_pdu(pdu);
		probe_free(p);
		return -1;
	}
	pr->sent++;
	if (pr->in_flight++ == 0)
		ev_timer_start(pr->loop, &pr->tick);
	return 0;
}

static unsigned long long
probe_sent(void *prober)
{
	return ((struct prober *)prober)->sent;
}

static void
probe_close(void *prober)
{
	struct prober *pr = prober;

	if (pr == NULL)
		return;
	ev_io_stop(pr->loop, &pr->io);
	ev_timer_stop(pr->loop, &pr->tick);
	ev_idle_stop(pr->loop, &pr->flush);
	/* net-snmp may call back for the requests it drops: ignored, freed below. */
	pr->closing = true;
	snmp_sess_close(pr->sess);
	while (pr->all != NULL)
		probe_free(pr->all);
	netsnmp_large_fd_set_cleanup(&pr->fds);
	free(pr);
}

const struct probe_ops snmp_probe_ops = {
	.open = probe_open,
	.send = probe_send,
	.sent = probe_sent,
	.close = probe_close,
};
