#include "event.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/rand.h>

#include "log.h"
#include "xmalloc.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * Ids are ULIDs: 48 bits of milliseconds then 80 random bits, in Crockford
 * base32. Within one millisecond the random part is incremented instead of
 * redrawn, so ids made by one process sort in creation order, which lets
 * clients page through events with "after=ID".
 */
void
event_make_id(char *buf, int64_t ts_ms)
{
	static int64_t last_ms = -1;
	static unsigned char last_rand[10];
	unsigned char bin[16];
	unsigned long long ms = (unsigned long long)(ts_ms < 0 ? 0 : ts_ms);
	int i;

	if (ts_ms <= last_ms) {
		for (i = 9; i >= 0; i--)
			if (++last_rand[i] != 0)
				break;
	} else {
		if (RAND_bytes(last_rand, sizeof(last_rand)) != 1)
			fatalx("RAND_bytes failed: no entropy for event ids");
		last_rand[0] &= 0x7f;	/* room to increment without overflow */
		last_ms = ts_ms;
	}
	if (ts_ms < last_ms)
		ms = (unsigned long long)last_ms;
	for (i = 0; i < 6; i++)
		bin[i] = (unsigned char)(ms >> (40 - 8 * i));
	memcpy(bin + 6, last_rand, sizeof(last_rand));

	memcpy(buf, "evt_", 4);
	/* 128 bits as 26 base32 digits: the first digit carries 3 bits. */
	for (i = 0; i < 26; i++) {
		int bit = i == 0 ? 0 : 3 + (i - 1) * 5;
		int width = i == 0 ? 3 : 5;
		unsigned v = 0;

		for (int b = 0; b < width; b++) {
			int pos = bit + b;

			v = (v << 1) | ((bin[pos / 8] >> (7 - pos % 8)) & 1);
		}
		buf[4 + i] = crockford[v];
	}
	buf[EVENT_ID_LEN] = '\0';
}

void
event_format_time(char *buf, size_t len, double unix_s)
{
	long long total = llround(unix_s * 1000.0);
	time_t secs;
	long ms;
	struct tm tm;

	if (total < 0)
		total = 0;
	secs = (time_t)(total / 1000);
	ms = (long)(total % 1000);
	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

struct event *
event_new(const char *name, const char *rule, const char *source, const char *instance,
    const struct labels *labels, int64_t ts_ms)
{
	struct event *ev = xcalloc(1, sizeof(*ev));

	ev->name = xstrdup(name);
	ev->rule = xstrdup(rule);
	ev->source = xstrdup(source);
	ev->instance = xstrdup(instance);
	if (labels != NULL)
		labels_merge(&ev->labels, labels);
	ev->ts_ms = ts_ms;
	ev->payload = json_object_new_object();
	ev->refs = 1;
	return ev;
}

void
event_finish(struct event *ev)
{
	struct json_object *env = json_object_new_object();

	event_make_id(ev->id, ev->ts_ms);
	json_object_object_add(env, "event", json_object_new_string(ev->name));
	json_object_object_add(env, "event_ts", json_object_new_int64(ev->ts_ms));
	json_object_object_add(env, "id", json_object_new_string(ev->id));
	json_object_object_add(env, "payload", ev->payload);
	/* Held back: stored with its reason, never delivered (so no receiver sees the key). */
	if (ev->suppressed != NULL)
		json_object_object_add(env, "suppressed", json_object_new_string(ev->suppressed));
	ev->payload = NULL;
	event_drop_cache(ev);
	free(ev->body);
	ev->body = xstrdup(json_object_to_json_string_ext(env,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(env);
}

void
event_drop_cache(struct event *ev)
{
	if (ev->fmt != NULL)
		ev->fmt_free(ev->fmt);
	ev->fmt = NULL;
	ev->fmt_free = NULL;
}

struct event *
event_ref(struct event *ev)
{
	ev->refs++;
	return ev;
}

void
event_free(struct event *ev)
{
	if (ev == NULL || --ev->refs > 0)
		return;
	free(ev->name);
	free(ev->rule);
	free(ev->source);
	free(ev->instance);
	labels_clear(&ev->labels);
	json_object_put(ev->payload);
	event_drop_cache(ev);
	free(ev->body);
	free(ev->suppressed);
	free(ev);
}

void
event_suppress(struct event *ev, const char *reason)
{
	if (ev->suppressed == NULL)
		ev->suppressed = xstrdup(reason);
}

void
event_list_push(struct event_list *l, struct event *ev)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = ev;
}

void
event_list_clear(struct event_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		event_free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
