#ifndef POLLHOOK_CONFIG_H
#define POLLHOOK_CONFIG_H

/*
 * The parsed configuration: plain, immutable data built from pollhook.conf
 * after every group was validated. Runtime objects (timers, handles, rule
 * state) live elsewhere and point into it. A reload builds a new struct
 * config and swaps it in only if it validated.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "discover.h"
#include "format.h"
#include "hmap.h"
#include "sample.h"
#include "ssrf.h"
#include "store.h"
#include "strpool.h"

struct poller_ops;
struct emitter_ops;
struct conf_profiles;

enum reduce_op { REDUCE_NONE, REDUCE_MAX, REDUCE_MIN, REDUCE_AVG, REDUCE_SUM, REDUCE_COUNT };

struct metric_config {
	char *name;
	enum reduce_op reduce;	/* fold all instances into one value */
	double scale;		/* multiplies numeric values; 1 by default */
	const char *file;	/* where it was defined, for messages */
	int line;
};

struct source_config {
	char *name;
	const struct poller_ops *poller;
	double interval;	/* seconds */
	double timeout;		/* seconds, > 0 and <= interval; pollers use it as it is */
	struct labels labels;
	struct metric_config *metrics;
	size_t nmetrics;
	void *poller_conf;	/* owned; freed with poller->free_conf */
	const char *file;	/* its block, or its inventory file (then line is its row) */
	int line;
	int parent_line;	/* the line of its parent key, for messages */
	bool labels_shared;	/* labels belongs to the config's label_sets */
	bool metrics_shared;	/* metrics belongs to its profile or to the config's
				   metric_lists: sources share it */
	const char *profile;	/* the profile it took keys from (the config's), or NULL */
	const char *inventory;	/* the inventory file of its row (the config's), or NULL */
	const char *discovery;	/* the discovery that found it (the config's name), or NULL */
	char **parents;		/* parent: source-name globs; NULL-terminated; NULL: none */
	size_t *parent_idx;	/* the parents, as indexes of the config's sources */
	size_t nparent_idx;
	/*
	 * While the config loads, and only then: a slot shared by every source
	 * whose metrics list is its profile's, where the poller may keep what it
	 * parsed of that list once (NULL after load and for own metrics).
	 */
	void **share;
};

/* A metrics table that sources with equal metrics lists share. */
struct metric_list_config {
	struct metric_config *metrics;
	size_t nmetrics;
};

/* One inventory = ( { file = ...; } ) element: a file of devices, one source a row. */
struct inventory_config {
	char *path;		/* as given (the sources' inventory and file point here) */
	char *profile;		/* the rows' default profile, or NULL */
	bool watch;		/* reload when the file changes */
	size_t nsources;	/* rows that became sources */
};

enum rule_kind { RULE_ABOVE, RULE_BELOW, RULE_CHANGE, RULE_NEW };

struct rule_config {
	char *name;
	enum rule_kind kind;
	char **sources;		/* source-name globs; NULL-terminated; NULL means all */
	char *metric;
	double threshold;	/* above or below */
	double clear;		/* equals threshold when not given */
	double for_s;		/* seconds the condition must hold; 0 = at once */
	char *severity;		/* free text, NULL when not given */
	size_t max_seen;	/* on_new: bound of the seen-key set */
	unsigned flap_changes;	/* flap.changes: state changes that make it flap; 0 = off */
	double flap_window;	/* flap.window: seconds they must fall within, and stay quiet */
	const char *file;
	int line;
};

struct subscriber_config {
	char *name;
	const struct emitter_ops *emitter;
	char **events;		/* event-name globs; NULL-terminated; NULL means all */
	char **sources;		/* source-name globs; NULL means all */
	struct labels match;	/* label = glob pairs the source's labels must match */
	void *emitter_conf;	/* owned; freed with emitter->free_conf */
	struct format_conf format;	/* the body's format; owned */
	unsigned max_in_flight;	/* attempts at once; default 8 */
	unsigned max_attempts;	/* retry.max_attempts; default 15 */
	double max_age;		/* retry.max_age, seconds; default 86400 */
	double retry_first;	/* retry.first_delay, seconds; default 5 */
	double retry_cap;	/* retry.max_delay, seconds; default 3600 */
	char fingerprint[17];	/* hex hash of the subscriber's whole group: a 410
				   disables the subscriber until it changes */
	const char *file;
	int line;
};

/* bridge.api.subscriptions: subscribers added at run time. */
struct subs_config {
	bool challenge;		/* validation = "challenge" (else "none") */
	double validation_timeout;	/* seconds the endpoint has to answer */
	bool require_https;	/* dynamic URLs must be https:// */
	struct ssrf_guard guard;	/* allow_networks */
	unsigned max;		/* dynamic subscribers at most */
	bool websub;		/* POST /websub is served */
	bool websub_open;	/* POST /websub needs no bearer token */
	double disable_after;	/* seconds of continuous failure before disabling */
	bool allow_transforms;	/* dynamic subscribers may bring a jq transform */
};

struct api_config {
	char *listen;		/* "host:port"; NULL when the API is off */
	char *token;		/* bearer token, NULL when none */
	char *read_token;	/* bearer token for GET and HEAD only, NULL when none */
	bool console;		/* GET / serves the operator's console */
	struct subs_config subs;	/* defaults filled in */
	unsigned max_connections;	/* connections at once, all clients */
	unsigned max_per_ip;	/* connections at once from one address */
	unsigned idle_timeout;	/* seconds without traffic before a connection is closed */
	double header_timeout;	/* seconds the request line and headers have */
	double body_timeout;	/* seconds a request body has, after the headers */
	size_t max_body;	/* bytes of a JSON request body at most */
	size_t max_form_body;	/* bytes of a form body (POST /websub) at most */
	char *tls_cert, *tls_key;	/* PEM file names; NULL: plain HTTP */
	char *tls_cert_pem, *tls_key_pem;	/* their contents, read at load */
};

struct bridge_config {
	char *state_dir;
	struct store_config store;	/* bridge.store, defaults filled in */
	int log_level;		/* enum log_level */
	bool syslog;
	struct api_config api;
	unsigned shard_index, shard_count;	/* count 0 or 1: no sharding */
	bool cluster;		/* bridge.cluster: store.node and store.lease_ttl are its */
	char *user, *group;	/* bridge.user, bridge.group: root is dropped for them; NULL: not */
	unsigned memory_window;	/* bridge.delivery.memory_window: deliveries of one
				   subscriber in memory, the rest in the store */
};

struct maint_config;

struct config {
	char *path;
	struct bridge_config bridge;
	struct source_config *sources;
	size_t nsources;
	struct strpool names;		/* the sources' names */
	struct hmap source_index;	/* source name -> its source_config (borrowed) */
	struct rule_config *rules;
	size_t nrules;
	struct subscriber_config *subscribers;
	size_t nsubscribers;
	char **files;		/* every file read, owned; points' file pointers refer here */
	size_t nfiles;
	struct conf_profiles *profiles;	/* the profiles known (counts, shared metrics) */
	struct inventory_config *inventories;
	size_t ninventories;
	struct maint_config *maint;	/* maintenance windows */
	size_t nmaint;
	struct discover_config *discovers;	/* bridge.discover */
	size_t ndiscovers;
	struct metric_list_config *metric_lists;	/* metrics tables sources share by
						   content (owned; see metrics_shared) */
	size_t nmetric_lists;
	struct labels **label_sets;	/* label sets sources share (owned) */
	size_t nlabel_sets;
};

/*
 * Loads and validates path. On any error, prints every "FILE:LINE: message" it
 * found to stderr and returns NULL; otherwise returns a new config (caller frees).
 */
struct config *config_load(const char *path);
/*
 * As config_load, and adds a source for each device of known (borrowed; NULL
 * for none) that a discovery of the file found: the devices of discoveries
 * no longer in the file, and those no profile takes, are left out.
 */
struct config *config_load_known(const char *path, const struct discover_known *known);
/* Frees a config and everything it owns, including plugin configs. */
void config_free(struct config *cfg);
/* Returns the timeout of a source that sets none: its interval, at most 10 s. */
double config_default_timeout(double interval);
/* Returns the source named name, or NULL (in constant time for a loaded config). */
const struct source_config *config_find_source(const struct config *cfg, const char *name);
/* Returns whether source s defines (or has built in) the metric name. */
bool config_source_has_metric(const struct source_config *s, const char *name);
/* Returns whether the rule r applies to source s (its name matches r's globs). */
bool config_rule_applies(const struct rule_config *r, const struct source_config *s);
/* Prints how many sources each profile, inventory and discovery of cfg produced (--check-config). */
void config_print_origins(const struct config *cfg, FILE *f);
/* Prints every key the validator knows, one "group.key" per line, for docs and tests. */
void config_dump_keys(void);

#endif
