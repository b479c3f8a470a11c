#include "depend.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

static bool
is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* Adds index p to s's parents unless it is there already (two globs may match one). */
static void
add_parent(struct source_config *s, size_t p)
{
	for (size_t i = 0; i < s->nparent_idx; i++)
		if (s->parent_idx[i] == p)
			return;
	s->parent_idx = xreallocarray(s->parent_idx, s->nparent_idx + 1, sizeof(*s->parent_idx));
	s->parent_idx[s->nparent_idx++] = p;
}

static void
resolve_one(struct config *cfg, struct conf_tree *t, size_t i)
{
	struct source_config *s = &cfg->sources[i];

	for (size_t g = 0; s->parents[g] != NULL; g++) {
		const char *glob = s->parents[g];
		size_t before = s->nparent_idx;
		const struct source_config *p = config_find_source(cfg, glob);

		if (!is_glob(glob)) {
			if (p != NULL && p != s)
				add_parent(s, (size_t)(p - cfg->sources));
		} else {
			for (size_t j = 0; j < cfg->nsources; j++)
				if (j != i && cfg->sources[j].name != NULL &&
				    fnmatch(glob, cfg->sources[j].name, 0) == 0)
					add_parent(s, j);
		}
		if (s->nparent_idx > before)
			continue;
		if (p == s)
			conf_error_at(t, s->file, s->parent_line, "source \"%s\" cannot be its "
			    "own parent", s->name);
		else
			conf_error_at(t, s->file, s->parent_line, "parent \"%s\" of source \"%s\" "
			    "matches no other source", glob, s->name);
	}
}

enum { WHITE, GREY, BLACK };

/* One frame of the depth-first walk: a source and the next parent to visit. */
struct frame {
	size_t src, next;
};

/*
 * Walks the parents from source root without recursion (a chain of
 * thousands must not exhaust the stack); reports each cycle where it closes,
 * naming its members in order.
 */
static void
walk(struct config *cfg, struct conf_tree *t, unsigned char *color, size_t root,
    struct frame *stack)
{
	size_t depth = 0;

	stack[depth++] = (struct frame){ root, 0 };
	color[root] = GREY;
	while (depth > 0) {
		struct frame *f = &stack[depth - 1];
		const struct source_config *s = &cfg->sources[f->src];
		size_t p;

		if (f->next == s->nparent_idx) {
			color[f->src] = BLACK;
			depth--;
			continue;
		}
		p = s->parent_idx[f->next++];
		if (color[p] == WHITE) {
			color[p] = GREY;
			stack[depth++] = (struct frame){ p, 0 };
		} else if (color[p] == GREY) {
			struct buf b = { 0 };
			size_t k = depth;

			while (k > 0 && stack[k - 1].src != p)
				k--;
			for (size_t j = k - 1; j < depth; j++)
				buf_printf(&b, "%s -> ", cfg->sources[stack[j].src].name);
			buf_printf(&b, "%s", cfg->sources[p].name);
			conf_error_at(t, s->file, s->parent_line, "source \"%s\": parent cycle %s",
			    s->name, b.p);
			free(b.p);
		}
	}
}

void
depend_resolve(struct config *cfg, struct conf_tree *t, const bool *source_ok)
{
	unsigned char *color;
	struct frame *stack;
	bool any = false;

	for (size_t i = 0; i < cfg->nsources; i++) {
		if (cfg->sources[i].parents == NULL || !source_ok[i] || cfg->sources[i].name == NULL)
			continue;
		resolve_one(cfg, t, i);
		any = true;
	}
	if (!any)
		return;
	color = xcalloc(cfg->nsources, 1);
	stack = xcalloc(cfg->nsources, sizeof(*stack));
	for (size_t i = 0; i < cfg->nsources; i++)
		if (color[i] == WHITE && cfg->sources[i].nparent_idx > 0)
			walk(cfg, t, color, i, stack);
	free(stack);
	free(color);
}
