/*
 * Loading pollhook.conf into the plain structs of config.h. Every group is
 * checked against its schema table (conf_schema.c) first; this file adds what
 * a table cannot say (a rule's metric exists on some source it applies to,
 * timeout <= interval, names unique, found with a hash map once every source
 * is loaded) and hands each source and subscriber to its plugin's configure.
 * Sources are converted last to first, and every SOURCE_BATCH of them the
 * converted tail of the tree is dropped (conf_drop_tail), so the whole tree
 * and the configuration made from it are never held together. Errors never
 * stop the walk: the operator gets all of them in one run, printed in file
 * and line order when the tree closes; then config_load fails.
 */

#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conf_profile.h"
#include "config_api.h"
#include "discover_conf.h"
#include "emitter.h"
#include "hmap.h"
#include "inventory.h"
#include "log.h"
#include "poller.h"
#include "priv.h"
#include "registry.h"
#include "depend.h"
#include "maint.h"
#include "rule.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define STATE_DIR_DEFAULT	LOCALSTATEDIR "/lib/pollhook"
#define STORE_QUEUE_DEFAULT	100000	/* 60 s at 1,000 events/s fit */
#define STORE_LEASE_DEFAULT	10.0
#define INTERVAL_DEFAULT	60.0
#define TIMEOUT_DEFAULT_MAX	10.0
#define MAX_IN_FLIGHT_DEFAULT	8
#define MEMORY_WINDOW_DEFAULT	10000	/* per subscriber: about 6 MiB of deliveries */
#define MAX_ATTEMPTS_DEFAULT	15
#define MAX_AGE_DEFAULT		86400.0
#define FIRST_DELAY_DEFAULT	5.0
#define MAX_DELAY_DEFAULT	3600.0

static const char *const log_levels[] = { "debug", "info", "warning", "error", NULL };
static const char *const durabilities[] = { "fsync", "process", NULL };
static const char *const reduce_names[] = { "max", "min", "avg", "sum", "count", NULL };
static const enum reduce_op reduce_ops[] = {
	REDUCE_MAX, REDUCE_MIN, REDUCE_AVG, REDUCE_SUM, REDUCE_COUNT
};
/* Every source has these, whatever its poller. */
static const char *const core_metrics[] = { "up", "poll_seconds", NULL };

#define NUM_GT0_MAX	(CONF_HAS_MIN | CONF_MIN_OPEN | CONF_HAS_MAX)
#define RANGE		(CONF_HAS_MIN | CONF_HAS_MAX)

static const struct conf_key shard_keys[] = {
	{ "index", CONF_INT, CONF_REQUIRED | CONF_HAS_MIN, 0, 0, NULL, NULL,
	    "this instance's shard, 0 <= index < count" },
	{ "count", CONF_INT, CONF_REQUIRED | RANGE, 1, 65536, NULL, NULL,
	    "number of instances the sources are spread over" },
	CONF_KEY_END
};

static const char *const store_backends[] = { "sqlite", "postgres", NULL };

static const struct conf_key store_keys[] = {
	{ "backend", CONF_STRING, 0, 0, 0, store_backends, NULL,
	    "where state is kept: sqlite (a local file, the default) or postgres" },
	{ "path", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "sqlite: the database file; default state_dir/pollhook.db" },
	{ "conninfo", CONF_SECRET, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "postgres: the libpq connection string or URI (it may hold a password)" },
	{ "node", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "postgres: this instance's name among those sharing the database; default the host name" },
	{ "lease_ttl", CONF_FLOAT, NUM_GT0_MAX, 0, 3600, NULL, NULL,
	    "postgres: seconds this instance's claims outlive its last renewal" },
	{ "queue_max", CONF_INT, RANGE, 1, 10000000, NULL, NULL,
	    "events kept in memory while the database is unreachable; more are dropped" },
	{ "max_size_mb", CONF_INT, RANGE, 1, 1000000, NULL, NULL,
	    "sqlite: the largest the database file may grow, in MiB; past it commits wait "
	    "as on a full disk" },
	CONF_KEY_END
};

static const struct conf_key cluster_keys[] = {
	{ "node", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "this instance's name in the cluster, unique among its members; default the host name" },
	{ "lease_ttl", CONF_FLOAT, NUM_GT0_MAX, 0, 3600, NULL, NULL,
	    "seconds without a heartbeat after which a member is dead and its sources move" },
	CONF_KEY_END
};

static const struct conf_key delivery_keys[] = {
	{ "memory_window", CONF_INT, RANGE, 10, 10000000, NULL, NULL,
	    "deliveries of one subscriber kept in memory; the rest wait in the store, "
	    "read back in order as the window drains (default 10000)" },
	CONF_KEY_END
};

static const struct conf_key bridge_keys[] = {
	{ "state_dir", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "directory of the outbox and the rule state" },
	{ "log_level", CONF_STRING, 0, 0, 0, log_levels, NULL,
	    "least severe level logged: debug, info, warning or error" },
	{ "syslog", CONF_BOOL, 0, 0, 0, NULL, NULL, "also log to syslog (daemon facility)" },
	{ "durability", CONF_STRING, 0, 0, 0, durabilities, NULL,
	    "what a stored event survives before its first attempt: fsync (a power cut, "
	    "the default) or process (a crash of the daemon)" },
	{ "api", CONF_GROUP, 0, 0, 0, NULL, config_api_keys, "the management API; off when absent" },
	{ "user", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "started as root, become this user once the API port and the store are open" },
	{ "group", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "with user: the group to become (default the user's primary group)" },
	{ "shard", CONF_GROUP, 0, 0, 0, NULL, shard_keys,
	    "poll only the sources whose name hashes to this instance" },
	{ "delivery", CONF_GROUP, 0, 0, 0, NULL, delivery_keys,
	    "how much of the outbox the deliveries keep in memory" },
	{ "store", CONF_GROUP, 0, 0, 0, NULL, store_keys,
	    "the store of events, deliveries and rule state; default sqlite in state_dir" },
	{ "cluster", CONF_GROUP, 0, 0, 0, NULL, cluster_keys,
	    "share the sources among the live instances of one postgres store" },
	{ "discover", CONF_GROUPS, 0, 0, 0, NULL, discover_keys,
	    "address ranges swept for SNMP agents, each answering one becoming a source" },
	CONF_KEY_END
};

/* "metrics" has no sub table: its keys depend on the poller, see load_metric. */
static const struct conf_key source_keys[] = {
	{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "unique name of the source" },
	{ "poller", CONF_STRING, CONF_REQUIRED, 0, 0, NULL, NULL,
	    "the poller that polls it: snmp, http, ..." },
	{ "interval", CONF_FLOAT, NUM_GT0_MAX, 0, 86400, NULL, NULL,
	    "seconds between polls, fractions allowed" },
	{ "timeout", CONF_FLOAT, NUM_GT0_MAX, 0, 86400, NULL, NULL,
	    "seconds a poll may take, at most interval; default the lesser of interval and 10" },
	{ "labels", CONF_MAP, 0, 0, 0, NULL, NULL, "name = \"value\" pairs added to its events" },
	/* Required unless the poller's metrics are all built in: see load_source. */
	{ "metrics", CONF_GROUPS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "the values a poll extracts (none for pollers whose metrics are built in)" },
	{ "profile", CONF_STRING, CONF_NAME, 0, 0, NULL, NULL,
	    "a profile whose keys it takes; its own keys override them" },
	{ "parent", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "names or globs of the sources it sits behind: while all are down, its "
	    "events are held back" },
	CONF_KEY_END
};

static const struct conf_key metric_keys[] = {
	{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "name of the metric, unique within the source" },
	{ "reduce", CONF_STRING, 0, 0, 0, reduce_names, NULL,
	    "fold every instance into one value: max, min, avg, sum or count" },
	{ "scale", CONF_FLOAT, 0, 0, 0, NULL, NULL, "factor numeric values are multiplied by" },
	CONF_KEY_END
};

static const struct conf_key flap_keys[] = {
	{ "changes", CONF_INT, CONF_REQUIRED | RANGE, 2, 1000, NULL, NULL,
	    "state changes within window that make an instance flap" },
	{ "window", CONF_FLOAT, CONF_REQUIRED | NUM_GT0_MAX, 0, 604800, NULL, NULL,
	    "seconds the changes must fall within, and stay away for the flapping to end" },
	CONF_KEY_END
};

static const struct conf_key rule_keys[] = {
	{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "unique name, also the name of the events it emits" },
	{ "sources", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "globs of the source names it applies to; default all" },
	{ "metric", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "the metric it watches" },
	{ "above", CONF_FLOAT, 0, 0, 0, NULL, NULL, "fire when the value goes above this" },
	{ "below", CONF_FLOAT, 0, 0, 0, NULL, NULL, "fire when the value goes below this" },
	{ "clear", CONF_FLOAT, 0, 0, 0, NULL, NULL,
	    "resolve when the value is back at or beyond this (hysteresis)" },
	{ "for", CONF_FLOAT, CONF_HAS_MIN, 0, 0, NULL, NULL,
	    "seconds a condition must hold before the state changes" },
	{ "severity", CONF_STRING, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "free text copied into the events" },
	{ "on_change", CONF_BOOL, 0, 0, 0, NULL, NULL, "fire whenever the value changes" },
	{ "on_new", CONF_BOOL, 0, 0, 0, NULL, NULL, "fire once per item key not seen before" },
	{ "max_seen", CONF_INT, RANGE, 1, 10000000, NULL, NULL,
	    "on_new: how many item keys are remembered" },
	{ "flap", CONF_GROUP, 0, 0, 0, NULL, flap_keys,
	    "one <rule>.flapping event instead of changes that come too often" },
	CONF_KEY_END
};

static const struct conf_key retry_keys[] = {
	{ "max_attempts", CONF_INT, RANGE, 1, 1000, NULL, NULL,
	    "attempts before a delivery goes to the dead letters" },
	{ "max_age", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds after which a delivery goes to the dead letters" },
	{ "first_delay", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds the backoff starts from (before jitter)" },
	{ "max_delay", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL,
	    "seconds the backoff doubles up to (before jitter)" },
	CONF_KEY_END
};

static const struct conf_key subscriber_keys[] = {
	{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL,
	    "unique name of the subscriber" },
	{ "emitter", CONF_STRING, 0, 0, 0, NULL, NULL, "how events are delivered; default webhook" },
	{ "events", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "globs of the event names it wants; default all" },
	{ "sources", CONF_STRINGS, CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "globs of the source names it wants; default all" },
	{ "labels", CONF_MAP, 0, 0, 0, NULL, NULL,
	    "label = \"glob\" pairs the source's labels must match" },
	{ "max_in_flight", CONF_INT, RANGE, 1, 1024, NULL, NULL,
	    "deliveries attempted at the same time" },
	{ "retry", CONF_GROUP, 0, 0, 0, NULL, retry_keys, "when to give up on a delivery" },
	CONF_KEY_END
};

/* The list groups have no sub table: each element is loaded (and checked) below. */
static const struct conf_key top_keys[] = {
	{ "bridge", CONF_GROUP, 0, 0, 0, NULL, bridge_keys, "settings of the daemon itself" },
	{ "sources", CONF_GROUPS, CONF_REQUIRED | CONF_HAS_MIN, 1, 0, NULL, NULL,
	    "the things to poll" },
	{ "profiles", CONF_GROUPS, 0, 0, 0, NULL, NULL,
	    "named sets of source keys that sources take with profile = \"NAME\"" },
	{ "inventory", CONF_GROUPS, 0, 0, 0, NULL, inventory_keys,
	    "files of devices, one source a row" },
	{ "rules", CONF_GROUPS, 0, 0, 0, NULL, NULL, "what turns values into events" },
	{ "subscribers", CONF_GROUPS, 0, 0, 0, NULL, NULL, "who gets the events" },
	{ "maintenance", CONF_GROUPS, 0, 0, 0, NULL, maint_keys,
	    "windows in which the events of some sources and rules are held back" },
	CONF_KEY_END
};

struct loader {
	struct conf_tree *tree;
	struct config *cfg;
	bool *source_ok;	/* per source: loaded without error */
	int *name_line;		/* per source: the line of its valid name, or 0 */
	size_t cap;		/* sources the three arrays have room for */
	struct conf_profiles *profiles;
	struct inventory_config *inv;	/* the inventory being read, or NULL */
	struct discover_config *disc;	/* the discovery whose devices are loaded, or NULL */
	const struct discover_known *known;	/* the devices found so far, or NULL */
	struct hmap metric_lists;	/* "poller:fingerprint" -> struct metric_list */
	struct buf canon;		/* scratch: the canonical bytes of a metrics list */
	struct hmap label_sets;		/* "len:name len:value ..." -> struct labels (cfg's) */
};

/*
 * A source's own metrics list as another source of the same poller had it,
 * byte for byte: parsed once, shared like a profile's (only while loading).
 */
struct metric_list {
	struct buf canon;	/* conf_canon of the list: a fingerprint may collide */
	struct metric_config *metrics;	/* NULL until a source parsed it without error */
	size_t nmetrics;
	void *poller_share;	/* the poller's slot, see source_config.share */
};

/* Sources converted before their part of the tree is freed (conf_drop_tail). */
#define SOURCE_BATCH	256

/* Returns cfg's copy of the file name of n, so configs outlive the tree. */
static const char *
cfg_file(const struct config *cfg, const struct conf_node *n)
{
	const char *file = conf_file(n);

	for (size_t i = 0; file != NULL && i < cfg->nfiles; i++)
		if (strcmp(cfg->files[i], file) == 0)
			return cfg->files[i];
	return cfg->path;
}

/* Returns a new NULL-terminated copy of the strings at key, or NULL when absent. */
static char **
copy_strings(const struct conf_node *n, const char *key)
{
	const char **v;
	char **out;
	size_t count;

	if ((v = conf_strings(n, key, &count)) == NULL)
		return NULL;
	out = xcalloc(count + 1, sizeof(*out));
	for (size_t i = 0; i < count; i++)
		out[i] = xstrdup(v[i]);
	free(v);
	return out;
}

static void
free_strings(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
load_map(const struct conf_node *n, struct labels *l)
{
	for (size_t i = 0; i < conf_count(n); i++) {
		const struct conf_node *e = conf_elem(n, i);

		if (conf_value_string(e) != NULL)
			labels_set(l, conf_name(e), conf_value_string(e));
	}
}

/*
 * Makes src's labels the config's copy of an equal set (same names, values
 * and order) that an earlier source has, or that copy when it is the first:
 * sources of one site or block share one set.
 */
static void
share_labels(struct loader *ld, struct source_config *src)
{
	struct config *cfg = ld->cfg;
	struct labels *set;
	struct buf key = { 0 };

	if (src->labels.n == 0)
		return;
	for (size_t i = 0; i < src->labels.n; i++)
		buf_printf(&key, "%zu:%s%zu:%s", strlen(src->labels.names[i]),
		    src->labels.names[i], strlen(src->labels.values[i]), src->labels.values[i]);
	if ((set = hmap_get(&ld->label_sets, key.p)) != NULL) {
		labels_clear(&src->labels);
	} else {
		set = xmalloc(sizeof(*set));
		*set = src->labels;
		hmap_put(&ld->label_sets, key.p, set);
		cfg->label_sets = xreallocarray(cfg->label_sets, cfg->nlabel_sets + 1,
		    sizeof(*cfg->label_sets));
		cfg->label_sets[cfg->nlabel_sets++] = set;
	}
	src->labels = *set;
	src->labels_shared = true;
	free(key.p);
}

/* Writes the names of the compiled-in pollers (or emitters) as "a, b". */
static void
plugin_names(bool pollers, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0;; i++) {
		const char *name;

		if (pollers)
			name = registry_poller_at(i) ? registry_poller_at(i)->name : NULL;
		else
			name = registry_emitter_at(i) ? registry_emitter_at(i)->name : NULL;
		if (name == NULL || off >= len)
			break;
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i > 0 ? ", " : "", name);
	}
}

/* bridge */

/* Reports a key of bridge.store that the chosen backend does not read. */
static void
store_only(const struct conf_node *g, const char *key, const char *backend)
{
	if (conf_has(g, key))
		conf_error(conf_get(g, key), "\"%s\" in bridge.store is for the %s backend",
		    key, backend);
}

static void
load_store(struct loader *ld, const struct conf_node *g)
{
	struct bridge_config *bc = &ld->cfg->bridge;
	struct store_config *sc = &bc->store;
	const char *backend = conf_string(g, "backend", "sqlite"), *why;
	char buf[128], host[256];

	sc->backend = xstrdup(backend);
	sc->queue_max = (unsigned)conf_int(g, "queue_max", STORE_QUEUE_DEFAULT);
	sc->lease_ttl = conf_float(g, "lease_ttl", STORE_LEASE_DEFAULT);
	if (gethostname(host, sizeof(host)) != 0 || !conf_valid_name(host))
		snprintf(host, sizeof(host), "pollhook");
	sc->node = xstrdup(conf_string(g, "node", host));
	/* An unknown name was reported by the check (its choices); a known one may be left out. */
	if (strcmp(backend, "postgres") == 0 &&
	    (why = store_backend_check(backend, buf, sizeof(buf))) != NULL)
		conf_error(conf_get(g, "backend"), "%s", why);
	if (strcmp(backend, "postgres") == 0) {
		size_t count;
		char **ci;

		store_only(g, "path", "sqlite");
		store_only(g, "max_size_mb", "sqlite");
		if (!conf_has(g, "conninfo") && !conf_has(g, "conninfo_file"))
			conf_error(g, "bridge.store with backend \"postgres\" needs \"conninfo\" "
			    "or \"conninfo_file\"");
		/* An unreadable file was reported by the check; don't say it twice. */
		else if (conf_errors(ld->tree) == 0 &&
		    (ci = conf_secrets(g, "conninfo", &count)) != NULL) {
			sc->conninfo = ci[0];
			ci[0] = NULL;
			conf_free_secrets(ci);
		}
		return;
	}
	store_only(g, "conninfo", "postgres");
	store_only(g, "conninfo_file", "postgres");
	store_only(g, "node", "postgres");
	store_only(g, "lease_ttl", "postgres");
	sc->max_size_mb = (unsigned)conf_int(g, "max_size_mb", 0);
	if (g != NULL && conf_has(g, "path"))
		sc->path = xstrdup(conf_string(g, "path", NULL));
	else
		sc->path = xasprintf("%s/pollhook.db", bc->state_dir);
}

/* bridge.cluster: its node and lease are the store's member's. */
static void
load_cluster(struct loader *ld, const struct conf_node *g, const struct conf_node *store,
    const struct conf_node *shard)
{
	struct bridge_config *bc = &ld->cfg->bridge;
	static const char *const shared[] = { "node", "lease_ttl" };

	if (g == NULL)
		return;
	bc->cluster = true;
	if (strcmp(bc->store.backend, "postgres") != 0) {
		conf_error(g, "bridge.cluster needs bridge.store with backend \"postgres\"");
		return;
	}
	if (shard != NULL)
		conf_error(shard, "bridge.shard and bridge.cluster exclude each other: "
		    "the cluster assigns the sources itself");
	for (size_t i = 0; i < NELEM(shared); i++)
		if (store != NULL && conf_has(store, shared[i]))
			conf_error(conf_get(store, shared[i]), "\"%s\" in bridge.store: with "
			    "bridge.cluster, set it in bridge.cluster", shared[i]);
	if (conf_has(g, "node")) {
		free(bc->store.node);
		bc->store.node = xstrdup(conf_string(g, "node", NULL));
	}
	bc->store.lease_ttl = conf_float(g, "lease_ttl", STORE_LEASE_DEFAULT);
}

/* bridge.user and bridge.group: they must exist (here, where the file is checked). */
static void
load_user(const struct conf_node *b, struct bridge_config *bc)
{
	const char *user = conf_string(b, "user", NULL), *group = conf_string(b, "group", NULL);
	uid_t uid;
	gid_t gid;
	char err[256];

	if (group != NULL && user == NULL) {
		conf_error(conf_get(b, "group"), "\"group\" in bridge needs \"user\"");
		return;
	}
	if (user == NULL)
		return;
	if (priv_lookup(user, group, &uid, &gid, err, sizeof(err)) != 0) {
		conf_error(conf_get(b, strncmp(err, "no group", 8) == 0 ? "group" : "user"),
		    "bridge.%s: %s", strncmp(err, "no group", 8) == 0 ? "group" : "user", err);
		return;
	}
	bc->user = xstrdup(user);
	bc->group = group != NULL ? xstrdup(group) : NULL;
}

static void
load_bridge(struct loader *ld, const struct conf_node *b)
{
	struct bridge_config *bc = &ld->cfg->bridge;
	const struct conf_node *api = conf_get(b, "api"), *shard = conf_get(b, "shard");
	int level = log_level_parse(conf_string(b, "log_level", "info"));

	bc->state_dir = xstrdup(conf_string(b, "state_dir", STATE_DIR_DEFAULT));
	bc->log_level = level == -1 ? LOG_LEVEL_INFO : level;
	bc->syslog = conf_bool(b, "syslog", false);
	config_api_load(api, conf_errors(ld->tree) == 0, &bc->api);
	load_user(b, bc);
	if (shard != NULL) {
		long long index = conf_int(shard, "index", 0), count = conf_int(shard, "count", 1);

		if (index >= count && conf_has(shard, "count"))
			conf_error(conf_get(shard, "index"), "\"index\" (%lld) in bridge.shard "
			    "must be less than \"count\" (%lld)", index, count);
		if (index >= 0 && count >= 1 && count <= 65536) {
			bc->shard_index = (unsigned)index;
			bc->shard_count = (unsigned)count;
		}
	}
	bc->memory_window = (unsigned)conf_int(conf_get(b, "delivery"), "memory_window",
	    MEMORY_WINDOW_DEFAULT);
	load_store(ld, conf_get(b, "store"));
	load_cluster(ld, conf_get(b, "cluster"), conf_get(b, "store"), shard);
	/* The store carries it out; an unknown name was reported by the check. */
	bc->store.durability = strcmp(conf_string(b, "durability", "fsync"), "process") == 0 ?
	    STORE_DURABLE_PROCESS : STORE_DURABLE_FSYNC;
}

/* sources */

/*
 * Returns the extra table of a source group: its poller's group, and any
 * group named after another poller (reported here, so not as unknown keys).
 * Without the poller's keys, its group is taken unchecked: the source fails
 * anyway, and a typo elsewhere in the source still shows.
 */
static struct conf_key *
source_extra(const struct conf_node *n, const struct poller_ops *ops, const char *pname)
{
	struct conf_key *extra = xcalloc(conf_count(n) + 2, sizeof(*extra));
	size_t k = 0;

	if (ops != NULL && ops->keys != NULL) {
		extra[k].name = ops->name;
		extra[k].type = CONF_GROUP;
		/* A poller that requires a key requires its group, or no one says so. */
		for (const struct conf_key *pk = ops->keys; pk->name != NULL; pk++)
			if (pk->flags & CONF_REQUIRED)
				extra[k].flags = CONF_REQUIRED;
		extra[k++].sub = ops->keys;
	}
	for (size_t i = 0; i < conf_count(n); i++) {
		const struct conf_node *m = conf_elem(n, i);
		const char *name = conf_name(m);
		bool known, core = false;

		for (const struct conf_key *sk = source_keys; sk->name != NULL; sk++)
			core = core || strcmp(sk->name, name) == 0;
		if (core || (ops != NULL && strcmp(name, ops->name) == 0))
			continue;
		if (pname == NULL || strcmp(name, pname) != 0) {
			(void)registry_poller(name, &known);
			if (!known)
				continue;
			if (pname != NULL)
				conf_error(m, "\"%s\" group in a source whose poller is \"%s\"",
				    name, pname);
		}
		extra[k].name = name;
		extra[k++].type = CONF_GROUP;
	}
	return extra;
}

static bool
builtin_metric(const struct poller_ops *ops, const char *name)
{
	for (size_t i = 0; core_metrics[i] != NULL; i++)
		if (strcmp(core_metrics[i], name) == 0)
			return true;
	for (size_t i = 0; ops != NULL && ops->builtin_metrics != NULL &&
	    ops->builtin_metrics[i] != NULL; i++)
		if (strcmp(ops->builtin_metrics[i], name) == 0)
			return true;
	return false;
}

static void
load_metric(struct loader *ld, const struct conf_node *e, struct source_config *src,
    bool lenient)
{
	const struct conf_key *tables[] = {
		metric_keys, src->poller != NULL ? src->poller->metric_keys : NULL, NULL
	};
	struct metric_config *mc = &src->metrics[src->nmetrics];
	const char *name, *reduce;

	conf_check(e, "metric", tables, lenient);
	if ((name = conf_string(e, "name", NULL)) == NULL || !conf_valid_name(name))
		return;
	if (builtin_metric(src->poller, name)) {
		conf_error(conf_get(e, "name"), "metric \"%s\" is built in: choose another name",
		    name);
		return;
	}
	for (size_t i = 0; i < src->nmetrics; i++) {
		if (strcmp(src->metrics[i].name, name) == 0) {
			conf_error(conf_get(e, "name"), "duplicate metric name \"%s\" in source "
			    "(first at %s:%d)", name, src->metrics[i].file, src->metrics[i].line);
			return;
		}
	}
	mc->name = xstrdup(name);
	mc->scale = conf_float(e, "scale", 1.0);
	mc->reduce = REDUCE_NONE;
	if ((reduce = conf_string(e, "reduce", NULL)) != NULL)
		for (size_t i = 0; reduce_names[i] != NULL; i++)
			if (strcmp(reduce_names[i], reduce) == 0)
				mc->reduce = reduce_ops[i];
	mc->file = cfg_file(ld->cfg, e);
	mc->line = conf_line(e);
	src->nmetrics++;
}

/* Writes the names of the profiles known as "a, b". */
static void
profile_names(const struct conf_profiles *ps, char *buf, size_t len)
{
	size_t off = 0;

	snprintf(buf, len, "none");
	for (size_t i = 0; i < ps->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i > 0 ? ", " : "",
		    ps->v[i].name);
}

/*
 * Merges the profile n names (if any) into n and returns it in *out; returns
 * -1 when the source cannot be loaded: an unknown profile (reported) or one
 * whose own errors were reported where it is defined.
 */
static int
take_profile(struct loader *ld, const struct conf_node *n, struct source_config *src,
    struct conf_profile **out)
{
	const char *name = conf_value_string(conf_get(n, "profile"));
	struct conf_profile *p;
	char names[512];

	*out = NULL;
	if (name == NULL || !conf_valid_name(name))
		return 0;
	if ((p = conf_profiles_find(ld->profiles, name)) == NULL) {
		profile_names(ld->profiles, names, sizeof(names));
		conf_error(conf_get(n, "profile"), "unknown profile \"%s\" (known: %s)", name,
		    names);
		return -1;
	}
	if (p->broken && p->builtin)
		conf_error(conf_get(n, "profile"), "profile \"%s\" needs the %s poller, which "
		    "is not compiled in", name, conf_string(p->node, "poller", ""));
	if (p->broken)
		return -1;
	conf_profile_merge(p, n);
	p->used++;
	src->profile = p->name;
	*out = p;
	return 0;
}

/*
 * Returns the record of sources whose own metrics list is byte for byte that
 * of metrics (made when it is the first), or NULL after a fingerprint collision.
 */
static struct metric_list *
metric_list_find(struct loader *ld, const struct conf_node *metrics,
    const struct poller_ops *ops)
{
	struct metric_list *ml;
	char fp[17], *key;

	conf_canon(metrics, &ld->canon);
	conf_fingerprint(metrics, fp, sizeof(fp));
	key = xasprintf("%s:%s", ops->name, fp);
	if ((ml = hmap_get(&ld->metric_lists, key)) == NULL) {
		ml = xcalloc(1, sizeof(*ml));
		buf_add(&ml->canon, ld->canon.p, ld->canon.len);
		hmap_put(&ld->metric_lists, key, ml);
	} else if (ml->canon.len != ld->canon.len ||
	    memcmp(ml->canon.p, ld->canon.p, ld->canon.len) != 0)
		ml = NULL;
	free(key);
	return ml;
}

/* Hands the metrics tables of the lists shared by content to cfg, frees the records. */
static void
metric_lists_free(struct loader *ld)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (hmap_next(&ld->metric_lists, &pos, &k, &v)) {
		struct metric_list *ml = v;
		struct config *cfg = ld->cfg;

		if (ml->metrics != NULL && cfg != NULL) {
			cfg->metric_lists = xreallocarray(cfg->metric_lists,
			    cfg->nmetric_lists + 1, sizeof(*cfg->metric_lists));
			cfg->metric_lists[cfg->nmetric_lists].metrics = ml->metrics;
			cfg->metric_lists[cfg->nmetric_lists++].nmetrics = ml->nmetrics;
		}
		free(ml->canon.p);
		free(ml);
	}
	hmap_free(&ld->metric_lists);
	free(ld->canon.p);
	hmap_free(&ld->label_sets);
}

/*
 * A source lists its metrics, unless its poller's are all built in. Of a
 * poller left out of the build (known) nothing is known: "not compiled in" is
 * all there is to say.
 */
static void
check_metrics_list(const struct conf_node *n, const struct conf_node *metrics,
    const struct poller_ops *ops, bool known)
{
	char names[256];
	size_t len = 0;

	if (ops == NULL && known)
		return;
	if (ops == NULL || !ops->builtin_only) {
		if (metrics == NULL)
			conf_error(n, "missing required key \"metrics\" in source");
		return;
	}
	if (metrics == NULL)
		return;
	names[0] = '\0';
	for (size_t i = 0; ops->builtin_metrics[i] != NULL && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s, ",
		    ops->builtin_metrics[i]);
	conf_error(metrics, "\"metrics\" in a source whose poller is \"%s\": its metrics "
	    "are built in (%sup, poll_seconds)", ops->name, names);
}

static void
load_source(struct loader *ld, const struct conf_node *n, size_t idx)
{
	struct source_config *src = &ld->cfg->sources[idx];
	unsigned before = conf_errors(ld->tree);
	const struct conf_node *pn, *tn, *metrics;
	const char *pname, *name;
	const struct conf_key *tables[3] = { source_keys, NULL, NULL };
	struct conf_key *extra;
	struct conf_profile *prof = NULL;
	struct metric_list *ml = NULL;
	bool known = false, shared = false;
	char names[256];

	src->file = cfg_file(ld->cfg, n);
	src->line = conf_line(n);
	if (ld->inv != NULL)
		src->inventory = ld->inv->path;
	if (ld->disc != NULL)
		src->discovery = ld->disc->name;
	if (take_profile(ld, n, src, &prof) == -1) {
		ld->source_ok[idx] = false;
		return;
	}
	pn = conf_get(n, "poller");
	pname = conf_value_string(pn);
	/* The profile's metrics are the source's unless it has its own. */
	metrics = conf_get(n, "metrics");
	if (metrics == NULL && prof != NULL && prof->metrics != NULL) {
		metrics = prof->metrics;
		shared = true;
	}
	if (pname != NULL) {
		src->poller = registry_poller(pname, &known);
		if (src->poller == NULL && known) {
			conf_error(pn, "%s poller not compiled in", pname);
		} else if (src->poller == NULL) {
			plugin_names(true, names, sizeof(names));
			conf_error(pn, "unknown poller \"%s\" (known: %s)", pname, names);
		}
	}
	tables[1] = extra = source_extra(n, src->poller, pname);
	conf_check(n, "source", tables, false);
	free(extra);

	/* Duplicates are found once all are loaded: see check_source_names. */
	if ((name = conf_string(n, "name", NULL)) != NULL && conf_valid_name(name)) {
		src->name = strpool_dup(&ld->cfg->names, name);
		ld->name_line[idx] = conf_line(conf_get(n, "name"));
	}
	src->interval = conf_float(n, "interval", INTERVAL_DEFAULT);
	tn = conf_get(n, "timeout");
	src->timeout = conf_float(n, "timeout", config_default_timeout(src->interval));
	if (tn != NULL && src->timeout > src->interval)
		conf_error(tn, "\"timeout\" (%g) in source must not exceed \"interval\" (%g)",
		    src->timeout, src->interval);
	load_map(conf_get(n, "labels"), &src->labels);
	share_labels(ld, src);
	src->parents = copy_strings(n, "parent");
	if (src->parents != NULL)
		src->parent_line = conf_line(conf_get(n, "parent"));

	check_metrics_list(n, metrics, src->poller, known);
	/* Sources of one block have equal lists: one parsed list serves them all. */
	if (!shared && metrics != NULL && src->poller != NULL)
		ml = metric_list_find(ld, metrics, src->poller);
	if (shared && prof->metrics_conf != NULL) {
		src->metrics = prof->metrics_conf;
		src->nmetrics = prof->nmetrics;
		src->metrics_shared = true;
	} else if (ml != NULL && ml->metrics != NULL) {
		src->metrics = ml->metrics;
		src->nmetrics = ml->nmetrics;
		src->metrics_shared = true;
	} else {
		unsigned mbefore = conf_errors(ld->tree);

		src->metrics = xcalloc(conf_count(metrics) + 1, sizeof(*src->metrics));
		/* Without its poller, the poller's metric keys cannot be told from typos. */
		for (size_t i = 0; i < conf_count(metrics); i++)
			load_metric(ld, conf_elem(metrics, i), src, src->poller == NULL);
		if (shared && conf_errors(ld->tree) == mbefore) {
			prof->metrics_conf = src->metrics;
			prof->nmetrics = src->nmetrics;
			src->metrics_shared = true;
		} else if (ml != NULL && conf_errors(ld->tree) == mbefore) {
			ml->metrics = src->metrics;
			ml->nmetrics = src->nmetrics;
			src->metrics_shared = true;
		}
	}
	src->share = shared ? &prof->poller_share : ml != NULL ? &ml->poller_share : NULL;

	/* Plugins get validated groups only: no plugin has to guard against types. */
	if (conf_errors(ld->tree) == before && src->poller != NULL) {
		if (src->poller->configure(conf_get(n, src->poller->name), metrics, src,
		    &src->poller_conf) == -1 && conf_errors(ld->tree) == before)
			conf_error(n, "%s poller rejected source \"%s\"", src->poller->name,
			    src->name);
	}
	src->share = NULL;
	ld->source_ok[idx] = conf_errors(ld->tree) == before;
}

/*
 * Reports every source named as an earlier one, at its name; indexes the
 * others by name (cfg->source_index), for config_find_source.
 */
static void
check_source_names(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct hmap *seen = &cfg->source_index;

	/* Its keys are the sources' names, which live as long as the index. */
	seen->borrowed = true;
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_config *s = &cfg->sources[i], *o;

		if (ld->name_line[i] == 0)
			continue;
		if ((o = hmap_get(seen, s->name)) == NULL) {
			hmap_put(seen, s->name, s);
			continue;
		}
		conf_error_at(ld->tree, s->file, ld->name_line[i], "duplicate source name "
		    "\"%s\" (first at %s:%d)", s->name, o->file, o->line);
		ld->source_ok[i] = false;
	}
}

/* rules */

static void
load_rule(struct loader *ld, const struct conf_node *n, struct rule_config *r)
{
	static const struct conf_key *const tables[] = { rule_keys, NULL };
	const char *name = conf_string(n, "name", NULL), *shown;
	const struct conf_node *cn = conf_get(n, "clear");
	bool above = conf_has(n, "above"), below = conf_has(n, "below");
	bool change = conf_bool(n, "on_change", false), fresh = conf_bool(n, "on_new", false);
	int kinds = above + below + change + fresh;

	conf_check(n, "rule", tables, false);
	r->file = cfg_file(ld->cfg, n);
	r->line = conf_line(n);
	shown = name != NULL ? name : "";
	if (name != NULL && conf_valid_name(name)) {
		for (size_t i = 0; i < ld->cfg->nrules; i++) {
			const struct rule_config *o = &ld->cfg->rules[i];

			if (o->name != NULL && strcmp(o->name, name) == 0) {
				conf_error(conf_get(n, "name"), "duplicate rule name \"%s\" "
				    "(first at %s:%d)", name, o->file, o->line);
				break;
			}
		}
		r->name = xstrdup(name);
	}
	r->sources = copy_strings(n, "sources");
	r->metric = xstrdup(conf_string(n, "metric", NULL));
	r->severity = xstrdup(conf_string(n, "severity", NULL));
	r->for_s = conf_float(n, "for", 0);
	r->max_seen = (size_t)conf_int(n, "max_seen", RULE_MAX_SEEN_DEFAULT);
	if (conf_get(n, "flap") != NULL) {
		r->flap_changes = (unsigned)conf_int(conf_get(n, "flap"), "changes", 0);
		r->flap_window = conf_float(conf_get(n, "flap"), "window", 0);
	}

	if (kinds == 0)
		conf_error(n, "rule \"%s\" needs one of above, below, on_change = true "
		    "or on_new = true", shown);
	else if (kinds > 1)
		conf_error(n, "rule \"%s\" has more than one of above, below, on_change "
		    "and on_new: give exactly one", shown);
	r->kind = above ? RULE_ABOVE : below ? RULE_BELOW : change ? RULE_CHANGE : RULE_NEW;
	if (above || below) {
		r->threshold = conf_float(n, above ? "above" : "below", 0);
		r->clear = conf_float(n, "clear", r->threshold);
		if (kinds == 1 && above && r->clear > r->threshold)
			conf_error(cn, "\"clear\" (%g) of rule \"%s\" must not be above "
			    "\"above\" (%g)", r->clear, shown, r->threshold);
		if (kinds == 1 && below && r->clear < r->threshold)
			conf_error(cn, "\"clear\" (%g) of rule \"%s\" must not be below "
			    "\"below\" (%g)", r->clear, shown, r->threshold);
	}
	if (conf_has(n, "max_seen") && kinds == 1 && !fresh)
		conf_error(conf_get(n, "max_seen"), "\"max_seen\" only goes with on_new "
		    "(rule \"%s\")", shown);
	/* An on_new item is news once: it has no state that could go back and forth. */
	if (conf_has(n, "flap") && kinds == 1 && fresh)
		conf_error(conf_get(n, "flap"), "\"flap\" does not go with on_new "
		    "(rule \"%s\")", shown);
	if (above || below)
		return;
	/* These tune threshold or on_new rules; elsewhere they would be ignored silently. */
	if (cn != NULL)
		conf_error(cn, "\"clear\" only goes with above or below (rule \"%s\")", shown);
	if (conf_has(n, "for"))
		conf_error(conf_get(n, "for"), "\"for\" only goes with above or below "
		    "(rule \"%s\")", shown);
}

/* Checks that the rule applies to some source and that one of them has its metric. */
static void
check_rule_metric(struct loader *ld, const struct conf_node *n, const struct rule_config *r)
{
	const struct config *cfg = ld->cfg;
	const char *best = NULL;
	unsigned bestd = 100;
	size_t matched = 0;

	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source_config *s = &cfg->sources[i];

		/* A source that failed to load may hold anything: don't guess. */
		if (!ld->source_ok[i] || s->name == NULL)
			return;
		if (!config_rule_applies(r, s))
			continue;
		matched++;
		if (config_source_has_metric(s, r->metric))
			return;
		for (size_t m = 0; m < s->nmetrics; m++) {
			unsigned d = conf_distance(r->metric, s->metrics[m].name);

			if (d < bestd) {
				bestd = d;
				best = s->metrics[m].name;
			}
		}
	}
	if (matched == 0)
		conf_error(conf_get(n, "sources"), "rule \"%s\" applies to no source: "
		    "no source name matches its \"sources\"", r->name);
	else if (best != NULL && bestd <= 2)
		conf_error(conf_get(n, "metric"), "rule \"%s\": no source it applies to has "
		    "metric \"%s\" (did you mean \"%s\"?)", r->name, r->metric, best);
	else
		conf_error(conf_get(n, "metric"), "rule \"%s\": no source it applies to has "
		    "metric \"%s\"", r->name, r->metric);
}

/* maintenance windows: checked against maint_keys with the top level */

static void
load_maintenance(struct loader *ld, const struct conf_node *list)
{
	struct config *cfg = ld->cfg;
	size_t count = conf_count(list);

	cfg->maint = xcalloc(count + 1, sizeof(*cfg->maint));
	for (size_t i = 0; i < count; i++) {
		const struct conf_node *n = conf_elem(list, i);
		struct maint_config *w = &cfg->maint[cfg->nmaint++];

		maint_load(n, cfg_file(cfg, n), w);
		for (size_t j = 0; w->name != NULL && j + 1 < cfg->nmaint; j++)
			if (cfg->maint[j].name != NULL && strcmp(cfg->maint[j].name, w->name) == 0) {
				conf_error(conf_get(n, "name"), "duplicate maintenance name \"%s\" "
				    "(first at %s:%d)", w->name, cfg->maint[j].file,
				    cfg->maint[j].line);
				break;
			}
	}
	/* A glob no source matches is likely a typo (or a device yet to come): say so. */
	for (size_t i = 0; i < cfg->nmaint; i++) {
		const struct maint_config *w = &cfg->maint[i];

		for (size_t g = 0; w->sources != NULL && w->sources[g] != NULL; g++) {
			size_t k = 0;

			while (k < cfg->nsources && fnmatch(w->sources[g], cfg->sources[k].name, 0) != 0)
				k++;
			if (k == cfg->nsources)
				log_warnx("%s:%d: maintenance \"%s\": \"%s\" matches no source (yet)",
				    w->file, w->line, w->name != NULL ? w->name : "", w->sources[g]);
		}
	}
}

/* subscribers */

static void
load_subscriber(struct loader *ld, const struct conf_node *n, struct subscriber_config *sub)
{
	unsigned before = conf_errors(ld->tree);
	const struct conf_node *en = conf_get(n, "emitter"), *retry = conf_get(n, "retry");
	const char *ename = en != NULL ? conf_value_string(en) : "webhook", *name;
	const struct conf_key *tables[4] = { subscriber_keys, format_keys, NULL, NULL };
	bool known = false;
	char names[256];

	sub->file = cfg_file(ld->cfg, n);
	sub->line = conf_line(n);
	if (ename != NULL) {
		sub->emitter = registry_emitter(ename, &known);
		if (sub->emitter == NULL && known) {
			conf_error(en != NULL ? en : n, "%s emitter not compiled in", ename);
		} else if (sub->emitter == NULL) {
			plugin_names(false, names, sizeof(names));
			conf_error(en, "unknown emitter \"%s\" (known: %s)", ename, names);
		}
	}
	if (sub->emitter != NULL)
		tables[2] = sub->emitter->keys;
	conf_check(n, "subscriber", tables, sub->emitter == NULL);

	if ((name = conf_string(n, "name", NULL)) != NULL && conf_valid_name(name)) {
		for (size_t i = 0; i < ld->cfg->nsubscribers; i++) {
			const struct subscriber_config *o = &ld->cfg->subscribers[i];

			if (o->name != NULL && strcmp(o->name, name) == 0) {
				conf_error(conf_get(n, "name"), "duplicate subscriber name \"%s\" "
				    "(first at %s:%d)", name, o->file, o->line);
				break;
			}
		}
		sub->name = xstrdup(name);
	}
	sub->events = copy_strings(n, "events");
	sub->sources = copy_strings(n, "sources");
	load_map(conf_get(n, "labels"), &sub->match);
	sub->max_in_flight = (unsigned)conf_int(n, "max_in_flight", MAX_IN_FLIGHT_DEFAULT);
	sub->max_attempts = (unsigned)conf_int(retry, "max_attempts", MAX_ATTEMPTS_DEFAULT);
	sub->max_age = conf_float(retry, "max_age", MAX_AGE_DEFAULT);
	sub->retry_first = conf_float(retry, "first_delay", FIRST_DELAY_DEFAULT);
	sub->retry_cap = conf_float(retry, "max_delay", MAX_DELAY_DEFAULT);
	if (sub->retry_first > sub->retry_cap)
		conf_error(conf_has(retry, "first_delay") ? conf_get(retry, "first_delay") :
		    conf_get(retry, "max_delay"), "\"first_delay\" (%g) in subscriber.retry "
		    "must not exceed \"max_delay\" (%g)", sub->retry_first, sub->retry_cap);
	conf_fingerprint(n, sub->fingerprint, sizeof(sub->fingerprint));
	format_configure(n, &sub->format);

	if (conf_errors(ld->tree) == before && sub->emitter != NULL) {
		if (sub->emitter->configure(n, sub, &sub->emitter_conf) == -1 &&
		    conf_errors(ld->tree) == before)
			conf_error(n, "%s emitter rejected subscriber \"%s\"", sub->emitter->name,
			    sub->name);
	}
}

/* inventories */

static const char *
inventory_poller(void *arg, const char *name)
{
	struct loader *ld = arg;
	const struct conf_profile *p = conf_profiles_find(ld->profiles, name);

	return p != NULL ? conf_string(p->node, "poller", NULL) : NULL;
}

/* Loads one more source of an inventory or a discovery. */
static void
extra_source(struct loader *ld, const struct conf_node *row)
{
	struct config *cfg = ld->cfg;
	size_t i = cfg->nsources;

	if (i + 1 >= ld->cap) {
		size_t cap = ld->cap * 2 + 64;

		cfg->sources = xreallocarray(cfg->sources, cap, sizeof(*cfg->sources));
		ld->source_ok = xreallocarray(ld->source_ok, cap, sizeof(*ld->source_ok));
		ld->name_line = xreallocarray(ld->name_line, cap, sizeof(*ld->name_line));
		memset(&cfg->sources[i], 0, (cap - i) * sizeof(*cfg->sources));
		memset(&ld->source_ok[i], 0, (cap - i) * sizeof(*ld->source_ok));
		memset(&ld->name_line[i], 0, (cap - i) * sizeof(*ld->name_line));
		ld->cap = cap;
	}
	cfg->nsources++;
	load_source(ld, row, i);
}

/* Loads one inventory row as the next source. */
static void
inventory_row(void *arg, const struct conf_node *row)
{
	struct loader *ld = arg;

	extra_source(ld, row);
	ld->inv->nsources++;
}

static void
load_inventories(struct loader *ld, const struct conf_node *list)
{
	struct config *cfg = ld->cfg;
	size_t count = conf_count(list);

	cfg->inventories = xcalloc(count + 1, sizeof(*cfg->inventories));
	for (size_t i = 0; i < count; i++) {
		const struct conf_node *e = conf_elem(list, i);
		struct inventory_config *ic = &cfg->inventories[cfg->ninventories];

		/* Its keys were checked with the top level (the sub table). */
		if (conf_string(e, "file", NULL) == NULL)
			continue;
		cfg->ninventories++;
		ic->path = inventory_path(e);
		ic->profile = xstrdup(conf_string(e, "profile", NULL));
		ic->watch = conf_bool(e, "watch", false);
		/* The rows' file, which cfg_file must find among the config's own. */
		cfg->files = xreallocarray(cfg->files, cfg->nfiles + 2, sizeof(*cfg->files));
		cfg->files[cfg->nfiles++] = xstrdup(ic->path);
		cfg->files[cfg->nfiles] = NULL;
		ld->inv = ic;
		inventory_load(ld->tree, e, cfg->files[cfg->nfiles - 1], inventory_poller,
		    inventory_row, ld);
		ld->inv = NULL;
	}
}

/* discoveries */

static bool
profile_exists(void *arg, const char *name, const char **poller)
{
	struct loader *ld = arg;
	const struct conf_profile *p = conf_profiles_find(ld->profiles, name);

	*poller = p != NULL ? conf_string(p->node, "poller", NULL) : NULL;
	return p != NULL;
}

/* Loads one discovered device as the next source. */
static void
discover_row(void *arg, const struct conf_node *row)
{
	struct loader *ld = arg;

	extra_source(ld, row);
	ld->disc->nsources++;
}

/*
 * Adds the known devices of discovery dc: each under the name it was found
 * with, or its address's when a source of the file took that name since.
 */
static void
load_known(struct loader *ld, const struct conf_node *e, struct discover_config *dc,
    struct hmap *names)
{
	char alt[96];

	for (size_t i = 0; ld->known != NULL && i < ld->known->n; i++) {
		const struct discover_device *d = &ld->known->v[i];
		const char *profile, *name = d->name;

		/* A record without address is the discovery's own (its last sweep). */
		if (strcmp(d->discovery, dc->name) != 0 || d->address[0] == '\0')
			continue;
		profile = discover_match(dc->matches, dc->nmatches, d->object_id);
		if (profile == NULL && (profile = dc->default_profile) == NULL)
			continue;
		if (hmap_get(names, name) != NULL) {
			discover_name_of_address(d->address, alt, sizeof(alt));
			name = alt;
		}
		if (!conf_valid_name(name) || hmap_get(names, name) != NULL) {
			log_warnx("discover/%s: %s: its name \"%s\" is taken: left out", dc->name,
			    d->address, d->name);
			continue;
		}
		hmap_put(names, name, (void *)1);
		ld->disc = dc;
		discover_conf_row(e, dc, d, name, profile, discover_row, ld);
		ld->disc = NULL;
	}
}

static void
load_discoveries(struct loader *ld, const struct conf_node *list)
{
	struct config *cfg = ld->cfg;
	size_t count = conf_count(list);
	struct hmap names;

	hmap_init(&names);
	for (size_t i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].name != NULL)
			hmap_put(&names, cfg->sources[i].name, (void *)1);
	cfg->discovers = xcalloc(count + 1, sizeof(*cfg->discovers));
	for (size_t i = 0; i < count; i++) {
		const struct conf_node *e = conf_elem(list, i);
		struct discover_config *dc = &cfg->discovers[cfg->ndiscovers];
		unsigned before = conf_errors(ld->tree);

		discover_conf_load(e, i, dc, profile_exists, ld);
		dc->file = cfg_file(cfg, e);
		for (size_t j = 0; j < cfg->ndiscovers; j++)
			if (strcmp(cfg->discovers[j].name, dc->name) == 0)
				conf_error(conf_get(e, "name") != NULL ? conf_get(e, "name") : e,
				    "discover \"%s\" defined twice (first at %s:%d)", dc->name,
				    cfg->discovers[j].file, cfg->discovers[j].line);
		cfg->ndiscovers++;
		if (conf_errors(ld->tree) == before)
			load_known(ld, e, dc, &names);
	}
	hmap_free(&names);
}

static void
load_all(struct loader *ld, const struct conf_node *root)
{
	struct conf_key top[NELEM(top_keys)];
	const struct conf_key *const tables[] = { top, NULL };
	struct config *cfg = ld->cfg;
	const struct conf_node *list;
	size_t count;

	/* With an inventory, the file needs no sources of its own. */
	memcpy(top, top_keys, sizeof(top));
	for (size_t i = 0; top[i].name != NULL; i++)
		if (strcmp(top[i].name, "sources") == 0 && (conf_has(root, "inventory") ||
		    conf_has(conf_get(root, "bridge"), "discover")))
			top[i].flags &= ~(unsigned)(CONF_REQUIRED | CONF_HAS_MIN);
	conf_check(root, NULL, tables, false);
	load_bridge(ld, conf_get(root, "bridge"));
	cfg->profiles = ld->profiles = xcalloc(1, sizeof(*ld->profiles));
	conf_profiles_load(ld->profiles, root, source_keys);

	list = conf_get(root, "sources");
	count = conf_count(list);
	ld->cap = count + 1;
	cfg->sources = xcalloc(ld->cap, sizeof(*cfg->sources));
	cfg->nsources = count;
	ld->source_ok = xcalloc(ld->cap, sizeof(*ld->source_ok));
	ld->name_line = xcalloc(ld->cap, sizeof(*ld->name_line));
	/* Last to first, so each batch done is the tail of the list: freed at once. */
	for (size_t i = count; i-- > 0;) {
		load_source(ld, conf_elem(list, i), i);
		if ((count - i) % SOURCE_BATCH == 0)
			conf_drop_tail(list, SOURCE_BATCH);
	}
	load_inventories(ld, conf_get(root, "inventory"));
	load_discoveries(ld, conf_get(conf_get(root, "bridge"), "discover"));
	check_source_names(ld);
	depend_resolve(cfg, ld->tree, ld->source_ok);

	list = conf_get(root, "rules");
	count = conf_count(list);
	cfg->rules = xcalloc(count + 1, sizeof(*cfg->rules));
	for (size_t i = 0; i < count; i++)
		load_rule(ld, conf_elem(list, i), &cfg->rules[cfg->nrules++]);
	for (size_t i = 0; i < cfg->nrules; i++)
		if (cfg->rules[i].metric != NULL)
			check_rule_metric(ld, conf_elem(list, i), &cfg->rules[i]);

	list = conf_get(root, "subscribers");
	count = conf_count(list);
	cfg->subscribers = xcalloc(count + 1, sizeof(*cfg->subscribers));
	for (size_t i = 0; i < count; i++)
		load_subscriber(ld, conf_elem(list, i), &cfg->subscribers[cfg->nsubscribers++]);
	load_maintenance(ld, conf_get(root, "maintenance"));
}

struct config *
config_load(const char *path)
{
	return config_load_known(path, NULL);
}

struct config *
config_load_known(const char *path, const struct discover_known *known)
{
	struct loader ld = { .known = known };
	const char *const *files;
	struct config *cfg = NULL;

	if ((ld.tree = conf_load(path)) == NULL)
		goto out;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->path = xstrdup(path);
	files = conf_files(ld.tree, &cfg->nfiles);
	cfg->files = xcalloc(cfg->nfiles + 1, sizeof(*cfg->files));
	for (size_t i = 0; i < cfg->nfiles; i++)
		cfg->files[i] = xstrdup(files[i]);
	ld.cfg = cfg;
	load_all(&ld, conf_root(ld.tree));
	metric_lists_free(&ld);
	if (conf_errors(ld.tree) > 0) {
		config_free(cfg);
		cfg = NULL;
	}
out:
	free(ld.source_ok);
	free(ld.name_line);
	conf_close(ld.tree);
	return cfg;
}

static void
free_metrics(struct metric_config *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].name);
	free(m);
}

void
config_print_origins(const struct config *cfg, FILE *f)
{
	for (size_t i = 0; cfg->profiles != NULL && i < cfg->profiles->n; i++) {
		const struct conf_profile *p = &cfg->profiles->v[i];

		if (p->used > 0 || !p->builtin)
			fprintf(f, "  profile %s%s: %zu sources\n", p->name,
			    p->builtin ? " (built-in)" : "", p->used);
	}
	for (size_t i = 0; i < cfg->ninventories; i++)
		fprintf(f, "  inventory %s: %zu sources\n", cfg->inventories[i].path,
		    cfg->inventories[i].nsources);
	for (size_t i = 0; i < cfg->ndiscovers; i++)
		fprintf(f, "  discover %s: %zu sources\n", cfg->discovers[i].name,
		    cfg->discovers[i].nsources);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->bridge.state_dir);
	free(cfg->bridge.store.backend);
	free(cfg->bridge.store.path);
	free(cfg->bridge.store.conninfo);
	free(cfg->bridge.store.node);
	config_api_free(&cfg->bridge.api);
	free(cfg->bridge.user);
	free(cfg->bridge.group);
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source_config *s = &cfg->sources[i];

		if (s->poller != NULL && s->poller_conf != NULL)
			s->poller->free_conf(s->poller_conf);
		if (!s->metrics_shared)
			free_metrics(s->metrics, s->nmetrics);
		if (!s->labels_shared)
			labels_clear(&s->labels);
		free_strings(s->parents);
		free(s->parent_idx);
	}
	free(cfg->sources);
	strpool_free(&cfg->names);
	for (size_t i = 0; i < cfg->nmaint; i++)
		maint_clear(&cfg->maint[i]);
	free(cfg->maint);
	for (size_t i = 0; i < cfg->nlabel_sets; i++) {
		labels_clear(cfg->label_sets[i]);
		free(cfg->label_sets[i]);
	}
	free(cfg->label_sets);
	for (size_t i = 0; cfg->profiles != NULL && i < cfg->profiles->n; i++)
		free_metrics(cfg->profiles->v[i].metrics_conf, cfg->profiles->v[i].nmetrics);
	for (size_t i = 0; i < cfg->nmetric_lists; i++)
		free_metrics(cfg->metric_lists[i].metrics, cfg->metric_lists[i].nmetrics);
	free(cfg->metric_lists);
	if (cfg->profiles != NULL)
		conf_profiles_free(cfg->profiles);
	free(cfg->profiles);
	for (size_t i = 0; i < cfg->ninventories; i++) {
		free(cfg->inventories[i].path);
		free(cfg->inventories[i].profile);
	}
	free(cfg->inventories);
	for (size_t i = 0; i < cfg->ndiscovers; i++)
		discover_config_clear(&cfg->discovers[i]);
	free(cfg->discovers);
	hmap_free(&cfg->source_index);
	for (size_t i = 0; i < cfg->nrules; i++) {
		struct rule_config *r = &cfg->rules[i];

		free(r->name);
		free_strings(r->sources);
		free(r->metric);
		free(r->severity);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->nsubscribers; i++) {
		struct subscriber_config *s = &cfg->subscribers[i];

		if (s->emitter != NULL && s->emitter_conf != NULL)
			s->emitter->free_conf(s->emitter_conf);
		format_clear(&s->format);
		free(s->name);
		free_strings(s->events);
		free_strings(s->sources);
		labels_clear(&s->match);
	}
	free(cfg->subscribers);
	free_strings(cfg->files);
	free(cfg->path);
	free(cfg);
}

double
config_default_timeout(double interval)
{
	return interval < TIMEOUT_DEFAULT_MAX ? interval : TIMEOUT_DEFAULT_MAX;
}

const struct source_config *
config_find_source(const struct config *cfg, const char *name)
{
	/* A config made by hand (tests) has no index. */
	if (cfg->source_index.n > 0)
		return hmap_get(&cfg->source_index, name);
	for (size_t i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].name != NULL && strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
}

bool
config_source_has_metric(const struct source_config *s, const char *name)
{
	if (builtin_metric(s->poller, name))
		return true;
	for (size_t i = 0; i < s->nmetrics; i++)
		if (strcmp(s->metrics[i].name, name) == 0)
			return true;
	return false;
}

bool
config_rule_applies(const struct rule_config *r, const struct source_config *s)
{
	if (r->sources == NULL)
		return true;
	for (size_t i = 0; r->sources[i] != NULL; i++)
		if (fnmatch(r->sources[i], s->name, 0) == 0)
			return true;
	return false;
}

/* --list-keys */

struct keylist {
	char **keys;
	size_t n;
};

static void
dump_key(struct keylist *kl, const char *prefix, const char *name, const char *suffix)
{
	char *key = xasprintf("%s%s%s%s", prefix, *prefix != '\0' ? "." : "", name, suffix);

	for (size_t i = 0; i < kl->n; i++) {
		if (strcmp(kl->keys[i], key) == 0) {
			free(key);
			return;
		}
	}
	printf("%s\n", key);
	kl->keys = xreallocarray(kl->keys, kl->n + 1, sizeof(*kl->keys));
	kl->keys[kl->n++] = key;
}

static void
dump_table(struct keylist *kl, const char *prefix, const struct conf_key *t)
{
	for (const struct conf_key *k = t; k != NULL && k->name != NULL; k++) {
		dump_key(kl, prefix, k->name, "");
		if (k->type == CONF_SECRET || k->type == CONF_SECRETS)
			dump_key(kl, prefix, k->name, "_file");
		if ((k->type == CONF_GROUP || k->type == CONF_GROUPS) && k->sub != NULL) {
			char *sub = xasprintf("%s%s%s", prefix, *prefix != '\0' ? "." : "",
			    k->name);

			dump_table(kl, sub, k->sub);
			free(sub);
		}
	}
}

void
config_dump_keys(void)
{
	struct keylist kl = { 0 };
	const struct poller_ops *p;
	const struct emitter_ops *e;

	dump_table(&kl, "", top_keys);
	dump_table(&kl, "sources", source_keys);
	dump_table(&kl, "sources.metrics", metric_keys);
	for (size_t i = 0; (p = registry_poller_at(i)) != NULL; i++) {
		char *prefix = xasprintf("sources.%s", p->name);

		dump_key(&kl, "sources", p->name, "");
		dump_table(&kl, prefix, p->keys);
		dump_table(&kl, "sources.metrics", p->metric_keys);
		free(prefix);
	}
	dump_table(&kl, "profiles", conf_profile_keys);
	dump_table(&kl, "inventory", inventory_keys);
	dump_table(&kl, "rules", rule_keys);
	dump_table(&kl, "subscribers", subscriber_keys);
	dump_table(&kl, "subscribers", format_keys);
	for (size_t i = 0; (e = registry_emitter_at(i)) != NULL; i++)
		dump_table(&kl, "subscribers", e->keys);
	for (size_t i = 0; i < kl.n; i++)
		free(kl.keys[i]);
	free(kl.keys);
}
