#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

/* A deleted slot: keeps probe chains intact until the next resize. */
static char tombstone[1];

unsigned long long
hmap_hash(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

static size_t
find_slot(const struct hmap *m, const char *key, bool *found)
{
	size_t mask = m->cap - 1, i = (size_t)hmap_hash(key) & mask;
	size_t first_free = (size_t)-1;

	for (size_t probes = 0; probes < m->cap; probes++, i = (i + 1) & mask) {
		char *k = m->keys[i];

		if (k == NULL) {
			*found = false;
			return first_free != (size_t)-1 ? first_free : i;
		}
		if (k == tombstone) {
			if (first_free == (size_t)-1)
				first_free = i;
		} else if (strcmp(k, key) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return first_free;
}

static void
grow(struct hmap *m)
{
	struct hmap n;

	n.borrowed = m->borrowed;
	n.cap = m->cap ? m->cap * 2 : 16;
	/* Tombstones alone may fill the table: rebuild at the same size then. */
	if (m->n * 2 < m->cap)
		n.cap = m->cap;
	n.n = n.used = 0;
	n.keys = xcalloc(n.cap, sizeof(*n.keys));
	n.vals = xcalloc(n.cap, sizeof(*n.vals));
	for (size_t i = 0; i < m->cap; i++) {
		bool found;
		size_t j;

		if (m->keys[i] == NULL || m->keys[i] == tombstone)
			continue;
		j = find_slot(&n, m->keys[i], &found);
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
		n.n++;
		n.used++;
	}
	free(m->keys);
	free(m->vals);
	*m = n;
}

void *
hmap_get(const struct hmap *m, const char *key)
{
	bool found;
	size_t i;

	if (m->n == 0)
		return NULL;
	i = find_slot(m, key, &found);
	return found ? m->vals[i] : NULL;
}

void *
hmap_put(struct hmap *m, const char *key, void *val)
{
	bool found;
	size_t i;
	void *old;

	if ((m->used + 1) * 4 > m->cap * 3)
		grow(m);
	i = find_slot(m, key, &found);
	if (found) {
		old = m->vals[i];
		m->vals[i] = val;
		/* A borrowed key may go with the value it replaces: the new one stays. */
		if (m->borrowed)
			m->keys[i] = (char *)key;
		return old;
	}
	if (m->keys[i] == NULL)
		m->used++;
	m->keys[i] = m->borrowed ? (char *)key : xstrdup(key);
	m->vals[i] = val;
	m->n++;
	return NULL;
}

void *
hmap_del(struct hmap *m, const char *key)
{
	bool found;
	size_t i;
	void *old;

	if (m->n == 0)
		return NULL;
	i = find_slot(m, key, &found);
	if (!found)
		return NULL;
	old = m->vals[i];
	if (!m->borrowed)
		free(m->keys[i]);
	m->keys[i] = tombstone;
	m->vals[i] = NULL;
	m->n--;
	return old;
}

bool
hmap_next(const struct hmap *m, size_t *pos, const char **key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->keys[*pos] == NULL || m->keys[*pos] == tombstone)
			continue;
		*key = m->keys[*pos];
		*val = m->vals[*pos];
		(*pos)++;
		return true;
	}
	return false;
}

void
hmap_free(struct hmap *m)
{
	for (size_t i = 0; i < m->cap && !m->borrowed; i++)
		if (m->keys[i] != tombstone)
			free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	hmap_init(m);
}
