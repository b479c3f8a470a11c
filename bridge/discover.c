/*
 * Discovery's pure parts (see discover.h): ranges, prefix matching, names,
 * and the device records of the store.
 */

#include "discover.h"

#include <arpa/inet.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

int
discover_net_parse(const char *s, struct discover_net *out, char *err, size_t errlen)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	unsigned long prefix = 32;
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	struct in_addr in;
	uint32_t a, mask;
	uint64_t size;

	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(err, errlen, "\"%s\" is no IPv4 network (A.B.C.D/N)", s);
		return -1;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1) {
		snprintf(err, errlen, "\"%s\" is no IPv4 network (A.B.C.D/N)", s);
		return -1;
	}
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' ||
		    (prefix = strtoul(slash + 1, &end, 10)) > 32 || *end != '\0') {
			snprintf(err, errlen, "\"%s\": the prefix length must be 0 to 32", s);
			return -1;
		}
	}
	a = ntohl(in.s_addr);
	mask = prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
	if ((a & ~mask) != 0) {
		snprintf(err, errlen, "\"%s\" has host bits set (the network is %u.%u.%u.%u/%lu)",
		    s, (a & mask) >> 24, ((a & mask) >> 16) & 255, ((a & mask) >> 8) & 255,
		    (a & mask) & 255, prefix);
		return -1;
	}
	size = (uint64_t)1 << (32 - prefix);
	/* The network and broadcast addresses answer no agent's requests. */
	if (prefix <= 30) {
		out->first = a + 1;
		size -= 2;
	} else
		out->first = a;
	out->count = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	return 0;
}

void
discover_net_addr(const struct discover_net *nets, size_t n, uint64_t i, char *buf, size_t len)
{
	uint32_t a = 0;

	for (size_t k = 0; k < n; k++) {
		if (i < nets[k].count) {
			a = nets[k].first + (uint32_t)i;
			break;
		}
		i -= nets[k].count;
	}
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

const char *
discover_match(const struct discover_match *m, size_t n, const char *oid)
{
	const char *best = NULL;
	size_t best_len = 0;

	if (oid == NULL)
		return NULL;
	if (*oid == '.')
		oid++;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(m[i].prefix);

		if (len == 0 || strncmp(oid, m[i].prefix, len) != 0)
			continue;
		/* "1.3.6.1.4.1.9" is Cisco's, not that of enterprise 99. */
		if (m[i].prefix[len - 1] != '.' && oid[len] != '\0' && oid[len] != '.')
			continue;
		if (best == NULL || len > best_len) {
			best = m[i].profile;
			best_len = len;
		}
	}
	return best;
}

bool
discover_name_from(const char *sys_name, char *out, size_t len)
{
	size_t o = 0, max = len > 64 ? 63 : len - 1;

	for (const char *p = sys_name; *p != '\0' && o < max; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';

		if (o == 0 && (!ok || c == '-' || c == '.'))
			continue;
		out[o++] = ok ? c : '-';
	}
	while (o > 0 && (out[o - 1] == '-' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
	return o > 0;
}

void
discover_name_of_address(const char *address, char *out, size_t len)
{
	const char *colon = strrchr(address, ':');

	if (colon == NULL || strcmp(colon + 1, "161") == 0)
		snprintf(out, len, "%.*s", colon != NULL ? (int)(colon - address) :
		    (int)strlen(address), address);
	else
		snprintf(out, len, "%.*s-%s", (int)(colon - address), address, colon + 1);
}

char *
discover_device_json(const struct discover_device *d)
{
	struct json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "discovery", json_object_new_string(d->discovery));
	json_object_object_add(o, "address", json_object_new_string(d->address));
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "object_id", json_object_new_string(d->object_id));
	json_object_object_add(o, "sys_name", json_object_new_string(d->sys_name));
	json_object_object_add(o, "first_seen", json_object_new_double(d->first_seen));
	json_object_object_add(o, "last_seen", json_object_new_double(d->last_seen));
	json_object_object_add(o, "misses", json_object_new_int64(d->misses));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static char *
get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return xstrdup(json_object_get_string(v));
}

static double
get_number(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_double(v) : 0;
}

int
discover_device_parse(const char *json, struct discover_device *d)
{
	struct json_object *o = json_tokener_parse(json);
	double misses;

	memset(d, 0, sizeof(*d));
	if (o == NULL || !json_object_is_type(o, json_type_object))
		goto bad;
	d->discovery = get_string(o, "discovery");
	d->address = get_string(o, "address");
	d->name = get_string(o, "name");
	d->object_id = get_string(o, "object_id");
	d->sys_name = get_string(o, "sys_name");
	d->first_seen = get_number(o, "first_seen");
	d->last_seen = get_number(o, "last_seen");
	misses = get_number(o, "misses");
	d->misses = misses > 0 && misses < 1e6 ? (unsigned)misses : 0;
	if (d->discovery == NULL || d->address == NULL || d->name == NULL ||
	    d->object_id == NULL || d->sys_name == NULL)
		goto bad;
	json_object_put(o);
	return 0;
bad:
	if (o != NULL)
		json_object_put(o);
	discover_device_clear(d);
	return -1;
}

void
discover_device_clear(struct discover_device *d)
{
	free(d->discovery);
	free(d->address);
	free(d->name);
	free(d->object_id);
	free(d->sys_name);
	memset(d, 0, sizeof(*d));
}

struct discover_device *
discover_known_add(struct discover_known *k, const struct discover_device *d)
{
	struct discover_device *c;

	if (k->n == k->cap) {
		k->cap = k->cap * 2 + 16;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	c = &k->v[k->n++];
	*c = *d;
	c->discovery = xstrdup(d->discovery);
	c->address = xstrdup(d->address);
	c->name = xstrdup(d->name);
	c->object_id = xstrdup(d->object_id);
	c->sys_name = xstrdup(d->sys_name);
	return c;
}

struct discover_known *
discover_known_copy(const struct discover_known *k)
{
	struct discover_known *c = xcalloc(1, sizeof(*c));

	for (size_t i = 0; k != NULL && i < k->n; i++)
		discover_known_add(c, &k->v[i]);
	return c;
}

void
discover_known_free(struct discover_known *k)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < k->n; i++)
		discover_device_clear(&k->v[i]);
	free(k->v);
	free(k);
}

void
discover_config_clear(struct discover_config *dc)
{
	free(dc->name);
	free(dc->nets);
	free(dc->version);
	free(dc->community);
	for (size_t i = 0; i < dc->nmatches; i++) {
		free(dc->matches[i].prefix);
		free(dc->matches[i].profile);
	}
	free(dc->matches);
	free(dc->default_profile);
	labels_clear(&dc->labels);
	memset(dc, 0, sizeof(*dc));
}
