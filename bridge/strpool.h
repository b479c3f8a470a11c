#ifndef POLLHOOK_STRPOOL_H
#define POLLHOOK_STRPOOL_H

/*
 * Small strings of one owner copied into a few large blocks and freed all
 * at once: tens of thousands of short names cost their bytes, not an
 * allocation each (32 bytes for "s12345"). A zeroed pool is empty.
 */

#include <stddef.h>

struct strpool_block;

struct strpool {
	struct strpool_block *head;	/* the block being filled, then the older ones */
};

/* Returns a copy of s in p, valid until strpool_free(p). */
char *strpool_dup(struct strpool *p, const char *s);
/* Frees every string of p and leaves it empty. */
void strpool_free(struct strpool *p);

#endif
