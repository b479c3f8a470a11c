/*
 * bridge.discover: its keys, the checks a table cannot make (networks,
 * prefixes, profiles that exist, unique names), and the source groups of
 * the devices the discoveries found, built under the discovery's element
 * one at a time as inventory.c builds rows, so every source check applies.
 */

#include "discover_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_impl.h"
#include "xmalloc.h"

#define EVERY_DEFAULT		3600.0
#define RATE_DEFAULT		100.0
#define TIMEOUT_DEFAULT		2.0
#define RETRIES_DEFAULT		1
#define IN_FLIGHT_DEFAULT	256
#define LOST_AFTER_DEFAULT	2
#define NETWORKS_MAX		256

#define GT0_MAX	(CONF_HAS_MIN | CONF_MIN_OPEN | CONF_HAS_MAX)
#define RANGE	(CONF_HAS_MIN | CONF_HAS_MAX)

static const char *const versions[] = { "1", "2c", NULL };

static const struct conf_key snmp_keys[] = {
	{ "version", CONF_STRING, 0, 0, 0, versions, NULL,
	    "discover: SNMP version of the sweep and of the sources found, 1 or 2c; default 2c" },
	{ "community", CONF_SECRET, 0, 0, 0, NULL, NULL,
	    "discover: community of the sweep and of the sources found; default public" },
	CONF_KEY_END
};

static const struct conf_key match_keys[] = {
	{ "oid", CONF_STRING, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "discover: a numeric sysObjectID prefix, e.g. 1.3.6.1.4.1.9." },
	{ "profile", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "discover: the profile of devices whose sysObjectID starts with oid" },
	CONF_KEY_END
};

const struct conf_key discover_keys[] = {
	{ "name", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "discover: its name, in origins and events; default discover, discover2, ..." },
	{ "networks", CONF_STRINGS, CONF_REQUIRED | RANGE, 1, NETWORKS_MAX, NULL, NULL,
	    "discover: IPv4 networks to sweep, A.B.C.D/N (at most a /16 each)" },
	{ "allow_large", CONF_BOOL, 0, 0, 0, NULL, NULL,
	    "discover: allow networks larger than a /16 (up to a /8)" },
	{ "port", CONF_INT, RANGE, 1, 65535, NULL, NULL,
	    "discover: UDP port of the agents; default 161" },
	{ "snmp", CONF_GROUP, 0, 0, 0, NULL, snmp_keys,
	    "discover: version and community of the sweep and of the sources it finds" },
	{ "every", CONF_FLOAT, GT0_MAX, 0, 7 * 86400, NULL, NULL,
	    "discover: seconds between sweeps; default 3600" },
	{ "rate", CONF_FLOAT, GT0_MAX, 0, 10000, NULL, NULL,
	    "discover: packets a second the sweep sends at most; default 100" },
	{ "timeout", CONF_FLOAT, GT0_MAX, 0, 60, NULL, NULL,
	    "discover: seconds a probe waits for its answer; default 2" },
	{ "retries", CONF_INT, RANGE, 0, 10, NULL, NULL,
	    "discover: probes sent again to an address that did not answer; default 1" },
	{ "max_in_flight", CONF_INT, RANGE, 1, 65536, NULL, NULL,
	    "discover: probes awaiting an answer at once; default 256" },
	{ "lost_after", CONF_INT, RANGE, 1, 1000, NULL, NULL,
	    "discover: sweeps a device may miss before it is lost; default 2" },
	{ "profiles", CONF_GROUPS, 0, 0, 0, NULL, match_keys,
	    "discover: ( { oid = PREFIX; profile = NAME; } ): the longest matching prefix wins" },
	{ "default_profile", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "discover: the profile of devices no prefix matches; without it they are left out" },
	{ "labels", CONF_MAP, 0, 0, 0, NULL, NULL,
	    "discover: name = \"value\" pairs added to every source it finds" },
	CONF_KEY_END
};

/* Digits and dots, a digit first, no two dots together. */
static bool
numeric_oid(const char *s)
{
	if (*s == '.')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	for (const char *p = s; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] != '.')))
			return false;
	return true;
}

static void
load_nets(const struct conf_node *e, struct discover_config *dc)
{
	const struct conf_node *n = conf_get(e, "networks");
	bool large = conf_bool(e, "allow_large", false);
	size_t count;
	const char **v = conf_strings(e, "networks", &count);
	char err[160];

	if (v == NULL)
		return;
	dc->nets = xcalloc(count, sizeof(*dc->nets));
	for (size_t i = 0; i < count; i++) {
		const struct conf_node *at = conf_count(n) > 0 ? conf_elem(n, i) : n;
		struct discover_net net;

		if (discover_net_parse(v[i], &net, err, sizeof(err)) == -1) {
			conf_error(at, "%s in discover", err);
			continue;
		}
		if ((uint64_t)net.count + 2 > DISCOVER_NET_LIMIT) {
			conf_error(at, "network \"%s\" in discover is larger than a /8", v[i]);
			continue;
		}
		if ((uint64_t)net.count + 2 > DISCOVER_NET_MAX && !large) {
			conf_error(at, "network \"%s\" in discover is larger than a /16 (set "
			    "allow_large = true to sweep it)", v[i]);
			continue;
		}
		dc->nets[dc->nnets++] = net;
		dc->naddrs += net.count;
	}
	free(v);
}

/* A profile a discovery gives its devices exists and polls with snmp. */
static bool
profile_ok(const struct conf_node *at, const char *name, conf_profile_fn exists, void *arg)
{
	const char *poller = NULL;

	if (!exists(arg, name, &poller)) {
		conf_error(at, "unknown profile \"%s\" in discover", name);
		return false;
	}
	if (poller == NULL || strcmp(poller, "snmp") != 0) {
		conf_error(at, "profile \"%s\" in discover polls with %s, not snmp", name,
		    poller != NULL ? poller : "no poller");
		return false;
	}
	return true;
}

static void
load_matches(const struct conf_node *e, struct discover_config *dc, conf_profile_fn exists,
    void *arg)
{
	const struct conf_node *list = conf_get(e, "profiles");
	size_t count = conf_count(list);

	dc->matches = xcalloc(count + 1, sizeof(*dc->matches));
	for (size_t i = 0; i < count; i++) {
		const struct conf_node *m = conf_elem(list, i);
		const char *oid = conf_string(m, "oid", NULL);
		const char *profile = conf_string(m, "profile", NULL);

		if (oid == NULL || profile == NULL)
			continue;
		if (!numeric_oid(oid)) {
			conf_error(conf_get(m, "oid"), "\"oid\" in discover.profiles must be a "
			    "numeric OID prefix (digits and dots), not \"%s\"", oid);
			continue;
		}
		if (!profile_ok(conf_get(m, "profile"), profile, exists, arg))
			continue;
		for (size_t j = 0; j < dc->nmatches; j++)
			if (strcmp(dc->matches[j].prefix, oid + (*oid == '.')) == 0)
				conf_error(conf_get(m, "oid"), "prefix \"%s\" given twice in "
				    "discover.profiles", oid);
		dc->matches[dc->nmatches].prefix = xstrdup(oid + (*oid == '.'));
		dc->matches[dc->nmatches].profile = xstrdup(profile);
		dc->nmatches++;
	}
}

int
discover_conf_load(const struct conf_node *e, size_t index, struct discover_config *dc,
    conf_profile_fn exists, void *arg)
{
	const struct conf_node *snmp = conf_get(e, "snmp"), *dp = conf_get(e, "default_profile");
	const struct conf_node *labels = conf_get(e, "labels");
	char **community;
	size_t n;

	memset(dc, 0, sizeof(*dc));
	dc->file = conf_file(e);
	dc->line = conf_line(e);
	if (conf_string(e, "name", NULL) != NULL)
		dc->name = xstrdup(conf_string(e, "name", NULL));
	else if (index == 0)
		dc->name = xstrdup("discover");
	else
		dc->name = xasprintf("discover%zu", index + 1);
	load_nets(e, dc);
	dc->port = (unsigned)conf_int(e, "port", 161);
	dc->version = xstrdup(snmp != NULL ? conf_string(snmp, "version", "2c") : "2c");
	if (snmp != NULL && (community = conf_secrets(snmp, "community", &n)) != NULL) {
		dc->community = xstrdup(community[0]);
		conf_free_secrets(community);
	} else
		dc->community = xstrdup("public");
	dc->every = conf_float(e, "every", EVERY_DEFAULT);
	dc->rate = conf_float(e, "rate", RATE_DEFAULT);
	dc->timeout = conf_float(e, "timeout", TIMEOUT_DEFAULT);
	dc->retries = (unsigned)conf_int(e, "retries", RETRIES_DEFAULT);
	dc->max_in_flight = (unsigned)conf_int(e, "max_in_flight", IN_FLIGHT_DEFAULT);
	dc->lost_after = (unsigned)conf_int(e, "lost_after", LOST_AFTER_DEFAULT);
	load_matches(e, dc, exists, arg);
	if (dp != NULL && conf_value_string(dp) != NULL) {
		if (profile_ok(dp, conf_value_string(dp), exists, arg))
			dc->default_profile = xstrdup(conf_value_string(dp));
	}
	if (!conf_has(e, "profiles") && dp == NULL)
		conf_error(e, "discover \"%s\" has neither profiles nor default_profile: it "
		    "would add no source", dc->name);
	for (size_t i = 0; i < conf_count(labels); i++) {
		const struct conf_node *l = conf_elem(labels, i);

		if (conf_value_string(l) != NULL)
			labels_set(&dc->labels, conf_name(l), conf_value_string(l));
	}
	return 0;
}

/* Adds a string setting with e's place to g; returns it. */
static config_setting_t *
add_string(config_setting_t *g, const char *key, const char *val, const config_setting_t *e)
{
	config_setting_t *s = config_setting_add(g, key, CONFIG_TYPE_STRING);

	if (s != NULL) {
		s->file = e->file;
		s->line = e->line;
		config_setting_set_string(s, val);
	}
	return s;
}

static config_setting_t *
add_group(config_setting_t *g, const char *key, const config_setting_t *e)
{
	config_setting_t *s = config_setting_add(g, key, CONFIG_TYPE_GROUP);

	if (s != NULL) {
		s->file = e->file;
		s->line = e->line;
	}
	return s;
}

#define ROW_KEY	"row_"

void
discover_conf_row(const struct conf_node *e, const struct discover_config *dc,
    const struct discover_device *d, const char *name, const char *profile,
    discover_row_fn fn, void *arg)
{
	config_setting_t *g = (config_setting_t *)setting(e), *row, *s;
	char address[96];

	if ((row = add_group(g, ROW_KEY, g)) == NULL)
		return;
	add_string(row, "name", name, g);
	add_string(row, "profile", profile, g);
	if (dc->labels.n > 0 && (s = add_group(row, "labels", g)) != NULL)
		for (size_t i = 0; i < dc->labels.n; i++)
			add_string(s, dc->labels.names[i], dc->labels.values[i], g);
	if ((s = add_group(row, "snmp", g)) != NULL) {
		snprintf(address, sizeof(address), "udp:%s", d->address);
		add_string(s, "address", address, g);
		add_string(s, "version", dc->version, g);
		add_string(s, "community", dc->community, g);
	}
	fn(arg, node(row));
	config_setting_remove(g, ROW_KEY);
}
