#ifndef POLLHOOK_ICMP_MATCH_H
#define POLLHOOK_ICMP_MATCH_H

/*
 * The echo requests in flight on one socket, by sequence number: the 16-bit
 * sequence space is shared by every source of the socket's family, each
 * request holding its slot from the send until its reply or the end of its
 * poll. A reply counts only when its sequence is in flight and its cookie
 * (random, per request) is the one sent; the slot is then free, so a
 * duplicate, a late reply or a guessed one finds nothing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_MATCH_SLOTS	65536

struct icmp_slot {
	void *owner;		/* NULL: free */
	uint64_t cookie;
	double sent;		/* Unix time of the send */
};

struct icmp_match {
	struct icmp_slot *slots;	/* ICMP_MATCH_SLOTS of them */
	uint32_t next;			/* where the search for a free slot starts */
	size_t used;
};

/* Initialises an empty table. */
void icmp_match_init(struct icmp_match *m);
/* Frees the table (owners are not told). */
void icmp_match_fini(struct icmp_match *m);
/*
 * Takes a free sequence number for a request of owner (not NULL) with
 * cookie sent at time sent; sets *seq and returns 0, or -1 when all 65536
 * are in flight.
 */
int icmp_match_take(struct icmp_match *m, void *owner, uint64_t cookie, double sent,
    uint16_t *seq);
/*
 * Returns the slot of the request in flight with sequence seq and cookie
 * (borrowed; still taken), or NULL when there is none: free, or another
 * cookie.
 */
const struct icmp_slot *icmp_match_find(const struct icmp_match *m, uint16_t seq,
    uint64_t cookie);
/* Frees the slot of seq if owner holds it. */
void icmp_match_release(struct icmp_match *m, uint16_t seq, const void *owner);

#endif
