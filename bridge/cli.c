/*
 * "pollhook deliveries": the dead letters and pending deliveries of the
 * store, read and changed beside the running daemon (the SQLite file in the
 * state directory, or the PostgreSQL database). Each subcommand is one
 * entry of deliveries_cmds: its words and what it does. Not on a loop of
 * its own, it waits for each answer of the store (cli_store_wait).
 */

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "xmalloc.h"
#include "cli_store.h"
#include "store.h"

static void
deliveries_usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook deliveries list [--state pending|dead] [--json] [-c FILE | --state-dir DIR]\n"
	    "       pollhook deliveries retry ID|--all [-c FILE | --state-dir DIR]\n"
	    "       pollhook deliveries purge --older-than DURATION [-c FILE | --state-dir DIR]\n"
	    "DURATION is seconds, or a number followed by s, m, h or d.\n");
}

double
cli_parse_duration(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return v;
	if (strcmp(end, "m") == 0)
		return v * 60;
	if (strcmp(end, "h") == 0)
		return v * 3600;
	if (strcmp(end, "d") == 0)
		return v * 86400;
	return -1;
}

#define LIST_PAGE 1000	/* deliveries listed per query */

static const char *
row_state(enum store_dstate st)
{
	return st == STORE_PENDING ? "pending" : st == STORE_DEAD ? "dead" : "retry";
}

struct list_ctx {
	bool json;
	struct json_object *rows;
	size_t n;
	int64_t last;
};

static void
list_row(void *arg, const struct store_row *r)
{
	struct list_ctx *lc = ((struct cli_wait *)arg)->data;
	char created[40];

	event_format_time(created, sizeof(created), r->created);
	lc->n++;
	lc->last = r->seq;
	if (lc->json) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "id", json_object_new_int64(r->seq));
		json_object_object_add(j, "state", json_object_new_string(row_state(r->state)));
		json_object_object_add(j, "subscriber", json_object_new_string(r->subscriber));
		json_object_object_add(j, "event", json_object_new_string(r->event_name));
		json_object_object_add(j, "event_id", json_object_new_string(r->event_id));
		json_object_object_add(j, "attempts", json_object_new_int((int)r->attempts));
		json_object_object_add(j, "last_status", json_object_new_int(r->last_status));
		json_object_object_add(j, "last_error", r->last_error != NULL ?
		    json_object_new_string(r->last_error) : NULL);
		json_object_object_add(j, "created", json_object_new_string(created));
		json_object_array_add(lc->rows, j);
		return;
	}
	printf("%-8lld %-7s %-16s %-28s %-30s %8u %6d  %s\n", (long long)r->seq,
	    row_state(r->state), r->subscriber, r->event_name,
	    r->event_id, r->attempts, r->last_status,
	    r->last_error != NULL ? r->last_error : "");
}

/* What the options of "pollhook deliveries" said; positional words follow at args. */
struct deliveries_opts {
	const char *state;
	const char *older;
	bool all;
	bool json;
	char **args;
	int nargs;
};

static int
deliveries_list(struct store *store, const struct deliveries_opts *o)
{
	struct list_ctx lc = { o->json, NULL, 0, 0 };
	enum store_dstate st;
	long long n;
	int rc = 1;

	if (strcmp(o->state, "pending") == 0)
		st = STORE_PENDING;
	else if (strcmp(o->state, "dead") == 0)
		st = STORE_DEAD;
	else {
		fprintf(stderr, "pollhook: --state is pending or dead, not \"%s\"\n", o->state);
		return 1;
	}
	lc.rows = json_object_new_array();
	if (!o->json)
		printf("%-8s %-7s %-16s %-28s %-30s %8s %6s  %s\n", "ID", "STATE",
		    "SUBSCRIBER", "EVENT", "EVENT_ID", "ATTEMPTS", "STATUS", "LAST_ERROR");
	/* Page by page, so that no query reads the whole table at once. */
	do {
		struct cli_wait w = { .data = &lc };

		store_deliveries_page(store, st, lc.last, LIST_PAGE, list_row, cli_wait_done, &w);
		if ((n = cli_store_wait(store, &w)) < 0)
			goto out;
	} while (n == LIST_PAGE);
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(lc.rows,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
out:
	json_object_put(lc.rows);
	return rc;
}

static int
deliveries_retry(struct store *st, const struct deliveries_opts *o)
{
	struct cli_wait w = { 0 };
	long long seq = 0, n;
	char *end;

	if (!o->all) {
		errno = 0;
		seq = strtoll(o->args[0], &end, 10);
		if (*end != '\0' || errno != 0 || seq <= 0) {
			fprintf(stderr, "pollhook: \"%s\" is not a delivery id\n", o->args[0]);
			return 1;
		}
	}
	store_request_retry(st, seq, cli_wait_done, &w);
	if ((n = cli_store_wait(st, &w)) < 0)
		return 1;
	if (n == 0 && !o->all) {
		fprintf(stderr, "pollhook: no dead delivery with id %lld\n", seq);
		return 1;
	}
	printf("%lld dead deliver%s queued for retry (the running daemon picks them up "
	    "within a second)\n", n, n == 1 ? "y" : "ies");
	return 0;
}

static int
deliveries_purge(struct store *st, const struct deliveries_opts *o)
{
	double secs = cli_parse_duration(o->older);
	struct cli_wait w = { 0 };
	long long n;

	if (secs < 0) {
		fprintf(stderr, "pollhook: --older-than \"%s\" is not a duration "
		    "(e.g. 3600, 90m, 7d)\n", o->older);
		return 1;
	}
	store_purge(st, (double)time(NULL) - secs, cli_wait_done, &w);
	if ((n = cli_store_wait(st, &w)) < 0)
		return 1;
	printf("%lld dead deliver%s purged\n", n, n == 1 ? "y" : "ies");
	return 0;
}

static bool
list_args_ok(const struct deliveries_opts *o)
{
	return o->nargs == 0;
}

static bool
retry_args_ok(const struct deliveries_opts *o)
{
	return o->nargs == (o->all ? 0 : 1);
}

static bool
purge_args_ok(const struct deliveries_opts *o)
{
	return o->nargs == 0 && o->older != NULL;
}

/* The subcommands: a name, what its words must be, and what it does. */
static const struct deliveries_cmd {
	const char *name;
	bool (*args_ok)(const struct deliveries_opts *o);
	int (*run)(struct store *st, const struct deliveries_opts *o);
} deliveries_cmds[] = {
	{ "list", list_args_ok, deliveries_list },
	{ "retry", retry_args_ok, deliveries_retry },
	{ "purge", purge_args_ok, deliveries_purge },
};

static const struct deliveries_cmd *
deliveries_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(deliveries_cmds) / sizeof(deliveries_cmds[0]); i++)
		if (strcmp(deliveries_cmds[i].name, name) == 0)
			return &deliveries_cmds[i];
	return NULL;
}

int
cli_deliveries(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct deliveries_opts o = { .state = "pending" };
	const char *config_path = POLLHOOK_DEFAULT_CONFIG, *dir = NULL;
	const struct deliveries_cmd *cmd;
	struct config *cfg = NULL;
	struct store_config sqlite_conf = { .backend = "sqlite", .queue_max = 1 };
	const struct store_config *sc;
	struct store *st = NULL;
	int ch, rc = 1;

	if (argc < 2 || argv[1][0] == '-') {
		deliveries_usage(stderr);
		return 1;
	}
	cmd = deliveries_cmd(argv[1]);
	argc--;
	argv++;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 's':
			o.state = optarg;
			break;
		case 'a':
			o.all = true;
			break;
		case 'o':
			o.older = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			deliveries_usage(stdout);
			return 0;
		default:
			deliveries_usage(stderr);
			return 1;
		}
	}
	o.args = argv + optind;
	o.nargs = argc - optind;
	if (cmd == NULL || !cmd->args_ok(&o)) {
		deliveries_usage(stderr);
		return 1;
	}
	if (dir == NULL) {
		cfg = config_load(config_path);
		if (cfg == NULL)
			return 1;
		sc = &cfg->bridge.store;
	} else {
		/* --state-dir names the SQLite store of a state directory. */
		sqlite_conf.path = xasprintf("%s/pollhook.db", dir);
		sc = &sqlite_conf;
	}
	log_init(LOG_LEVEL_WARNING, false);
	if ((st = cli_store_open(sc, 0)) == NULL)
		goto out;
	rc = cmd->run(st, &o);
out:
	store_close(st);
	free(sqlite_conf.path);
	config_free(cfg);
	return rc;
}
