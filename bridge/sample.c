#include "sample.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "xmalloc.h"

void
labels_set(struct labels *l, const char *name, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->names[i], name) == 0) {
			free(l->values[i]);
			l->values[i] = xstrdup(value);
			return;
		}
	}
	l->names = xreallocarray(l->names, l->n + 1, sizeof(*l->names));
	l->values = xreallocarray(l->values, l->n + 1, sizeof(*l->values));
	l->names[l->n] = xstrdup(name);
	l->values[l->n] = xstrdup(value);
	l->n++;
}

const char *
labels_get(const struct labels *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return l->values[i];
	return NULL;
}

void
labels_merge(struct labels *dst, const struct labels *src)
{
	for (size_t i = 0; i < src->n; i++)
		labels_set(dst, src->names[i], src->values[i]);
}

void
labels_clear(struct labels *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->values[i]);
	}
	free(l->names);
	free(l->values);
	memset(l, 0, sizeof(*l));
}

void
value_clear(struct value *v)
{
	free(v->str);
	for (size_t i = 0; i < v->nitems; i++) {
		free(v->items[i].key);
		json_object_put(v->items[i].obj);
	}
	free(v->items);
	memset(v, 0, sizeof(*v));
}

void
value_copy(struct value *dst, const struct value *src)
{
	*dst = *src;
	dst->str = xstrdup(src->str);
	if (src->nitems > 0) {
		dst->items = xcalloc(src->nitems, sizeof(*dst->items));
		for (size_t i = 0; i < src->nitems; i++) {
			dst->items[i].key = xstrdup(src->items[i].key);
			dst->items[i].obj = json_object_get(src->items[i].obj);
		}
	} else
		dst->items = NULL;
}

bool
value_equal(const struct value *a, const struct value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case VALUE_NONE:
	case VALUE_NULL:
		return true;
	case VALUE_BOOL:
		return a->b == b->b;
	case VALUE_NUMBER:
		/* NaN never equals itself; two NaNs are no change. */
		return a->num == b->num || (isnan(a->num) && isnan(b->num));
	case VALUE_STRING:
		return strcmp(a->str, b->str) == 0;
	case VALUE_ITEMS:
		if (a->nitems != b->nitems)
			return false;
		for (size_t i = 0; i < a->nitems; i++)
			if (strcmp(a->items[i].key, b->items[i].key) != 0)
				return false;
		return true;
	}
	return false;
}

struct json_object *
value_to_json(const struct value *v)
{
	struct json_object *a;

	switch (v->type) {
	case VALUE_NONE:
	case VALUE_NULL:
		return NULL;
	case VALUE_BOOL:
		return json_object_new_boolean(v->b);
	case VALUE_NUMBER:
		/* JSON has no NaN or infinity. */
		if (!isfinite(v->num))
			return NULL;
		if (v->num == floor(v->num) && fabs(v->num) < 9007199254740992.0)
			return json_object_new_int64((int64_t)v->num);
		return json_object_new_double(v->num);
	case VALUE_STRING:
		return json_object_new_string(v->str);
	case VALUE_ITEMS:
		a = json_object_new_array_ext((int)v->nitems);
		for (size_t i = 0; i < v->nitems; i++)
			json_object_array_add(a, json_object_get(v->items[i].obj));
		return a;
	}
	return NULL;
}

char *
value_to_text(const struct value *v)
{
	switch (v->type) {
	case VALUE_NONE:
		return xstrdup("-");
	case VALUE_NULL:
		return xstrdup("null");
	case VALUE_BOOL:
		return xstrdup(v->b ? "true" : "false");
	case VALUE_NUMBER:
		return xasprintf("%.15g", v->num);
	case VALUE_STRING:
		return xstrdup(v->str);
	case VALUE_ITEMS:
		return xasprintf("[%zu items]", v->nitems);
	}
	return xstrdup("?");
}

void
sample_init(struct sample *s, double start)
{
	memset(s, 0, sizeof(*s));
	s->start = start;
	s->ok = true;
}

struct point *
sample_add(struct sample *s, const char *metric, const char *instance)
{
	struct point *p;

	if (s->npoints == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->points = xreallocarray(s->points, s->cap, sizeof(*s->points));
	}
	p = &s->points[s->npoints++];
	memset(p, 0, sizeof(*p));
	p->metric = metric;
	p->instance = xstrdup(instance);
	return p;
}

void
sample_add_number(struct sample *s, const char *metric, const char *instance, double v)
{
	struct point *p = sample_add(s, metric, instance);

	p->value.type = VALUE_NUMBER;
	p->value.num = v;
}

void
sample_add_error(struct sample *s, const char *metric, const char *fmt, ...)
{
	struct point *p = sample_add(s, metric, NULL);
	va_list ap;

	va_start(ap, fmt);
	p->error = xvasprintf(fmt, ap);
	va_end(ap);
}

void
sample_fail(struct sample *s, const char *fmt, ...)
{
	va_list ap;

	free(s->error);
	va_start(ap, fmt);
	s->error = xvasprintf(fmt, ap);
	va_end(ap);
	s->ok = false;
}

void
point_clear(struct point *p)
{
	free(p->instance);
	free(p->label);
	free(p->error);
	p->instance = p->label = p->error = NULL;
	value_clear(&p->value);
}

void
sample_clear(struct sample *s)
{
	for (size_t i = 0; i < s->npoints; i++)
		point_clear(&s->points[i]);
	free(s->points);
	free(s->error);
	free(s->cursor);
	memset(s, 0, sizeof(*s));
}
