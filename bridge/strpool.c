#include "strpool.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* Bytes of a block's strings: a string longer than that gets a block of its own. */
#define STRPOOL_BLOCK	16384

struct strpool_block {
	struct strpool_block *next;
	size_t used, size;
	char data[];
};

char *
strpool_dup(struct strpool *p, const char *s)
{
	size_t len = strlen(s) + 1;
	struct strpool_block *b = p->head;
	char *d;

	if (b == NULL || b->size - b->used < len) {
		size_t size = len > STRPOOL_BLOCK ? len : STRPOOL_BLOCK;

		b = xmalloc(sizeof(*b) + size);
		b->used = 0;
		b->size = size;
		/* A block of its own for a long string: the current one goes on filling. */
		if (len > STRPOOL_BLOCK && p->head != NULL) {
			b->next = p->head->next;
			p->head->next = b;
		} else {
			b->next = p->head;
			p->head = b;
		}
	}
	d = b->data + b->used;
	memcpy(d, s, len);
	b->used += len;
	return d;
}

void
strpool_free(struct strpool *p)
{
	struct strpool_block *b, *next;

	for (b = p->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	p->head = NULL;
}
