#ifndef POLLHOOK_PROBE_H
#define POLLHOOK_PROBE_H

/*
 * The prober interface: what discovery asks of a poller that can tell what
 * answers at an address (the snmp poller: sysObjectID.0 and sysName.0). A
 * poller offers it through poller_ops.probe; the core reaches it by the
 * poller's name in the registry and never names the poller's code.
 *
 * A prober is one socket on the loop. Each send is one datagram and exactly
 * one callback, from the loop (never from inside send): answered, or not
 * within the timeout. Retransmissions are the caller's (each one goes
 * through its rate limit): a prober sends nothing on its own.
 */

#include <stdbool.h>

#include <ev.h>

/* What a prober speaks (borrowed for probe_open). */
struct probe_params {
	const char *version;	/* "1" or "2c" */
	const char *community;
	double timeout;		/* seconds one probe waits */
};

/* One probe's outcome; strings borrowed for the callback. */
struct probe_result {
	bool answered;
	const char *object_id;	/* numeric, no leading "." ("" when absent) */
	const char *sys_name;	/* "" when absent */
	const char *error;	/* why it did not answer, when !answered */
};

/* Called once per probe with its outcome. */
typedef void (*probe_done_fn)(void *arg, const struct probe_result *r);

struct probe_ops {
	/* Opens a prober on loop; returns NULL with a message in err (len bytes). */
	void *(*open)(struct ev_loop *loop, const struct probe_params *p, char *err,
	    size_t len);
	/*
	 * Sends one probe to the IPv4 address ip (dotted) and port; done(arg, r)
	 * follows. Returns 0, or -1 when it could not be sent (done is not called).
	 */
	int (*send)(void *prober, const char *ip, unsigned port, probe_done_fn done, void *arg);
	/* Returns the datagrams sent so far. */
	unsigned long long (*sent)(void *prober);
	/* Closes the prober: probes in flight end without their callback. */
	void (*close)(void *prober);
};

#endif
