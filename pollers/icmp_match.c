#include "icmp_match.h"

#include <stdlib.h>

#include "xmalloc.h"

void
icmp_match_init(struct icmp_match *m)
{
	m->slots = xcalloc(ICMP_MATCH_SLOTS, sizeof(*m->slots));
	m->next = 0;
	m->used = 0;
}

void
icmp_match_fini(struct icmp_match *m)
{
	free(m->slots);
	m->slots = NULL;
	m->used = 0;
}

int
icmp_match_take(struct icmp_match *m, void *owner, uint64_t cookie, double sent,
    uint16_t *seq)
{
	if (m->used >= ICMP_MATCH_SLOTS)
		return -1;
	/*
	 * Sequences go round in order, so one comes back into use as late as
	 * possible: a reply that arrives after its poll ended meets a free
	 * slot, or at worst one with another cookie.
	 */
	while (m->slots[m->next].owner != NULL)
		m->next = (m->next + 1) % ICMP_MATCH_SLOTS;
	*seq = (uint16_t)m->next;
	m->slots[m->next].owner = owner;
	m->slots[m->next].cookie = cookie;
	m->slots[m->next].sent = sent;
	m->next = (m->next + 1) % ICMP_MATCH_SLOTS;
	m->used++;
	return 0;
}

const struct icmp_slot *
icmp_match_find(const struct icmp_match *m, uint16_t seq, uint64_t cookie)
{
	const struct icmp_slot *s = &m->slots[seq];

	return s->owner != NULL && s->cookie == cookie ? s : NULL;
}

void
icmp_match_release(struct icmp_match *m, uint16_t seq, const void *owner)
{
	struct icmp_slot *s = &m->slots[seq];

	if (s->owner == NULL || s->owner != owner)
		return;
	s->owner = NULL;
	m->used--;
}
