/*
 * "pollhook store": the schema of the configured store (check, migrate)
 * and the copy of one store into another (copy), which moves a single
 * instance's SQLite state into PostgreSQL without losing a delivery. A copy
 * goes through the store interface on both sides, page by page, into a
 * destination that must be empty, and ends by comparing the counts.
 */

#include "cli_store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ev.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "xmalloc.h"

#define WAIT_SECONDS	60.0	/* for one answer of the store */
#define COPY_PAGE	1000	/* rows read and written per transaction */

void
cli_wait_done(void *arg, long long result)
{
	struct cli_wait *w = arg;

	w->done = true;
	w->result = result;
}

struct store *
cli_store_open(const struct store_config *conf, int flags)
{
	char err[512];
	struct store *st = store_open(ev_default_loop(0), conf, flags, err, sizeof(err));

	if (st == NULL)
		fprintf(stderr, "pollhook: store: %s\n", err);
	return st;
}

long long
cli_store_wait(struct store *st, struct cli_wait *w)
{
	if (store_wait(st, &w->done, WAIT_SECONDS) != 0 || w->result < 0) {
		fprintf(stderr, "pollhook: store: %s: %s\n", store_backend_name(st),
		    store_error(st));
		return -1;
	}
	return w->result;
}

static void
store_usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook store check [-c FILE]\n"
	    "       pollhook store migrate [-c FILE]\n"
	    "       pollhook store copy --from sqlite:PATH|postgres:CONNINFO --to sqlite:PATH|postgres:CONNINFO\n"
	    "check exits 1 when the schema needs pollhook store migrate (or is newer than\n"
	    "this pollhook); copy needs an empty destination and the daemon stopped.\n");
}

/* Waits for a commit of what was added to st. */
static int
commit_wait(struct store *st)
{
	struct cli_wait w = { 0 };

	store_commit(st, cli_wait_done, &w);
	return cli_store_wait(st, &w) < 0 ? -1 : 0;
}

/* check and migrate */

static int
schema(const struct store_config *sc, bool migrate)
{
	struct cli_wait w = { 0 }, d = { 0 };
	struct store *st;
	long long v;
	int latest, rc = 1;

	if (migrate)
		log_set_level(LOG_LEVEL_INFO);
	if ((st = cli_store_open(sc, migrate ? 0 : STORE_NO_MIGRATE)) == NULL)
		return 1;
	latest = store_schema_latest(st);
	store_schema_version(st, cli_wait_done, &w);
	if ((v = cli_store_wait(st, &w)) < 0)
		goto out;
	if (v > latest) {
		printf("%s store: schema version %lld, newer than this pollhook knows (%d): "
		    "run a newer pollhook\n", store_backend_name(st), v, latest);
		goto out;
	}
	if (v < latest) {
		printf("%s store: schema version %lld; this pollhook writes %d: run "
		    "pollhook store migrate\n", store_backend_name(st), v, latest);
		goto out;
	}
	store_depth(st, cli_wait_done, &d);
	if (cli_store_wait(st, &d) < 0)
		goto out;
	printf("%s store: schema version %lld (current), %lld pending deliveries\n",
	    store_backend_name(st), v, d.result);
	rc = 0;
out:
	store_close(st);
	return rc;
}

/* copy */

/* Parses "sqlite:PATH" or "postgres:CONNINFO" into sc (strings owned by sc). */
static int
parse_spec(const char *spec, struct store_config *sc)
{
	const char *colon = strchr(spec, ':');
	struct stat sb;

	memset(sc, 0, sizeof(*sc));
	sc->queue_max = 1000000;
	sc->lease_ttl = 10.0;
	if (colon == NULL || colon[1] == '\0')
		goto bad;
	if (strncmp(spec, "sqlite:", 7) == 0) {
		sc->backend = xstrdup("sqlite");
		/* A state directory names its database. */
		if (stat(colon + 1, &sb) == 0 && S_ISDIR(sb.st_mode))
			sc->path = xasprintf("%s/pollhook.db", colon + 1);
		else
			sc->path = xstrdup(colon + 1);
		return 0;
	}
	if (strncmp(spec, "postgres:", 9) == 0) {
		sc->backend = xstrdup("postgres");
		sc->conninfo = xstrdup(colon + 1);
		sc->node = xstrdup("pollhook-copy");
		return 0;
	}
bad:
	fprintf(stderr, "pollhook: \"%.40s...\" is not sqlite:PATH or postgres:CONNINFO\n", spec);
	return -1;
}

static void
spec_free(struct store_config *sc)
{
	free(sc->backend);
	free(sc->path);
	free(sc->conninfo);
	free(sc->node);
}

struct copy {
	struct store *from, *to;
	long long events, deliveries, states, subs, dsubs;
	enum store_dstate state;	/* the deliveries being copied */
	int64_t last_seq;
	char *last_id;
};

static bool
copy_event(void *arg, const struct store_event *ev)
{
	struct copy *c = ((struct cli_wait *)arg)->data;

	store_import_event(c->to, ev);
	free(c->last_id);
	c->last_id = xstrdup(ev->id);
	c->events++;
	return true;
}

static void
copy_delivery(void *arg, const struct store_row *r)
{
	struct copy *c = ((struct cli_wait *)arg)->data;

	store_import_delivery(c->to, r);
	c->last_seq = r->seq;
	c->deliveries++;
}

static void
copy_state(void *arg, const char *key, const char *json)
{
	struct copy *c = ((struct cli_wait *)arg)->data;

	store_state_save(c->to, key, json);
	c->states++;
}

static void
copy_sub(void *arg, const char *name, const char *fp)
{
	struct copy *c = ((struct cli_wait *)arg)->data;

	store_sub_disable(c->to, name, fp);
	c->subs++;
}

/* A subscriber added through the API: its record (secrets included) as stored. */
static void
copy_dsub(void *arg, const char *name, const char *json)
{
	struct copy *c = ((struct cli_wait *)arg)->data;

	store_dsub_save(c->to, name, json);
	c->dsubs++;
}

static bool
any_event(void *arg, const struct store_event *ev)
{
	(void)ev;
	*(bool *)((struct cli_wait *)arg)->data = true;
	return false;
}

static void
any_row(void *arg, const struct store_row *r)
{
	(void)r;
	*(bool *)((struct cli_wait *)arg)->data = true;
}

/* Returns 1 when st holds events or deliveries, 0 when not, -1 on failure. */
static int
holds_anything(struct store *st)
{
	static const enum store_dstate states[] = { STORE_PENDING, STORE_DEAD, STORE_RETRY };
	bool any = false;
	struct cli_wait w = { .data = &any };

	store_events_after(st, NULL, 1, any_event, cli_wait_done, &w);
	if (cli_store_wait(st, &w) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]) && !any; i++) {
		struct cli_wait d = { .data = &any };

		store_deliveries_page(st, states[i], 0, 1, any_row, cli_wait_done, &d);
		if (cli_store_wait(st, &d) < 0)
			return -1;
	}
	return any ? 1 : 0;
}

/* Copies every row of one kind, page by page; page runs one query and adds what it read. */
static int
copy_pages(struct copy *c, int (*page)(struct copy *c))
{
	long long n;

	do {
		if ((n = page(c)) < 0 || commit_wait(c->to) != 0)
			return -1;
	} while (n == COPY_PAGE);
	return 0;
}

static int
events_page(struct copy *c)
{
	struct cli_wait w = { .data = c };

	store_events_after(c->from, c->last_id, COPY_PAGE, copy_event, cli_wait_done, &w);
	return (int)cli_store_wait(c->from, &w);
}

static int
deliveries_page(struct copy *c)
{
	struct cli_wait w = { .data = c };

	store_deliveries_page(c->from, c->state, c->last_seq, COPY_PAGE, copy_delivery,
	    cli_wait_done, &w);
	return (int)cli_store_wait(c->from, &w);
}

static void
add_count(void *arg, const char *subscriber, long long n)
{
	(void)subscriber;
	*(long long *)((struct cli_wait *)arg)->data += n;
}

/* Returns the number of deliveries of st in state, or -1. */
static long long
count_state(struct store *st, enum store_dstate state)
{
	long long n = 0;
	struct cli_wait w = { .data = &n };

	store_count_by_subscriber(st, state, 1000000, add_count, cli_wait_done, &w);
	return cli_store_wait(st, &w) < 0 ? -1 : n;
}

/* Every state's count agrees on both sides. */
static int
verify(struct copy *c)
{
	static const enum store_dstate states[] = { STORE_PENDING, STORE_DEAD, STORE_RETRY };
	static const char *const names[] = { "pending", "dead", "retry" };

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		long long a = count_state(c->from, states[i]), b = count_state(c->to, states[i]);

		if (a < 0 || b < 0)
			return -1;
		if (a != b) {
			fprintf(stderr, "pollhook: the copy holds %lld %s deliveries, the source "
			    "%lld: was a daemon running on the source?\n", b, names[i], a);
			return -1;
		}
	}
	return 0;
}

static int
copy(const char *from_spec, const char *to_spec)
{
	static const enum store_dstate states[] = { STORE_PENDING, STORE_DEAD, STORE_RETRY };
	struct store_config from_conf, to_conf;
	struct copy c = { 0 };
	struct cli_wait w = { .data = &c }, v = { .data = &c }, x = { .data = &c };
	int rc = 1, any;

	if (parse_spec(from_spec, &from_conf) != 0)
		return 1;
	if (parse_spec(to_spec, &to_conf) != 0) {
		spec_free(&from_conf);
		return 1;
	}
	if ((c.from = cli_store_open(&from_conf, 0)) == NULL ||
	    (c.to = cli_store_open(&to_conf, 0)) == NULL)
		goto out;
	if ((any = holds_anything(c.to)) != 0) {
		if (any > 0)
			fprintf(stderr, "pollhook: the destination already holds events or "
			    "deliveries: copy into an empty store\n");
		goto out;
	}
	/* Events first: every delivery refers to one. */
	if (copy_pages(&c, events_page) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		c.state = states[i];
		c.last_seq = 0;
		if (copy_pages(&c, deliveries_page) != 0)
			goto out;
	}
	store_states_load(c.from, copy_state, cli_wait_done, &w);
	store_subs_load(c.from, copy_sub, cli_wait_done, &v);
	store_dsubs_load(c.from, copy_dsub, cli_wait_done, &x);
	if (cli_store_wait(c.from, &w) < 0 || cli_store_wait(c.from, &v) < 0 ||
	    cli_store_wait(c.from, &x) < 0 || commit_wait(c.to) != 0 || verify(&c) != 0)
		goto out;
	printf("copied %lld events, %lld deliveries, %lld rule states, %lld subscriber "
	    "states and %lld dynamic subscribers from %s to %s\n", c.events, c.deliveries,
	    c.states, c.subs, c.dsubs, from_conf.backend, to_conf.backend);
	rc = 0;
out:
	store_close(c.from);
	store_close(c.to);
	free(c.last_id);
	spec_free(&from_conf);
	spec_free(&to_conf);
	return rc;
}

int
cli_store(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = POLLHOOK_DEFAULT_CONFIG, *from = NULL, *to = NULL, *cmd;
	struct config *cfg;
	int ch, rc;

	if (argc < 2 || argv[1][0] == '-') {
		store_usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 1;
	}
	cmd = argv[1];
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'h':
			store_usage(stdout);
			return 0;
		default:
			store_usage(stderr);
			return 1;
		}
	}
	log_init(LOG_LEVEL_WARNING, false);
	if (optind != argc) {
		store_usage(stderr);
		return 1;
	}
	if (strcmp(cmd, "copy") == 0) {
		if (from == NULL || to == NULL) {
			store_usage(stderr);
			return 1;
		}
		return copy(from, to);
	}
	if ((strcmp(cmd, "check") != 0 && strcmp(cmd, "migrate") != 0) || from != NULL ||
	    to != NULL) {
		store_usage(stderr);
		return 1;
	}
	if ((cfg = config_load(config_path)) == NULL)
		return 1;
	rc = schema(&cfg->bridge.store, strcmp(cmd, "migrate") == 0);
	config_free(cfg);
	return rc;
}
