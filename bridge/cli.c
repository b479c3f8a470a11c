/*
 * "pollhook deliveries": the outbox's dead letters and pending deliveries,
 * read and changed in the state directory beside the running daemon. Each
 * subcommand is one entry of deliveries_cmds: its words and what it does.
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
#include "outbox.h"

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

static const char *
row_state(enum outbox_state st)
{
	return st == OUTBOX_PENDING ? "pending" : st == OUTBOX_DEAD ? "dead" : "retry";
}

struct list_ctx {
	bool json;
	struct json_object *rows;
	size_t n;
};

static void
list_row(void *arg, const struct outbox_row *r)
{
	struct list_ctx *lc = arg;
	char created[40];

	event_format_time(created, sizeof(created), r->created);
	lc->n++;
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
deliveries_list(struct outbox *ob, const struct deliveries_opts *o)
{
	struct list_ctx lc = { o->json, NULL, 0 };
	enum outbox_state st;
	int rc = 1;

	if (strcmp(o->state, "pending") == 0)
		st = OUTBOX_PENDING;
	else if (strcmp(o->state, "dead") == 0)
		st = OUTBOX_DEAD;
	else {
		fprintf(stderr, "pollhook: --state is pending or dead, not \"%s\"\n", o->state);
		return 1;
	}
	lc.rows = json_object_new_array();
	if (!o->json)
		printf("%-8s %-7s %-16s %-28s %-30s %8s %6s  %s\n", "ID", "STATE",
		    "SUBSCRIBER", "EVENT", "EVENT_ID", "ATTEMPTS", "STATUS", "LAST_ERROR");
	if (outbox_scan(ob, st, NULL, list_row, &lc) != 0)
		goto out;
	if (o->json)
		printf("%s\n", json_object_to_json_string_ext(lc.rows,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = 0;
out:
	json_object_put(lc.rows);
	return rc;
}

static int
deliveries_retry(struct outbox *ob, const struct deliveries_opts *o)
{
	long long seq = 0;
	char *end;
	int n;

	if (!o->all) {
		errno = 0;
		seq = strtoll(o->args[0], &end, 10);
		if (*end != '\0' || errno != 0 || seq <= 0) {
			fprintf(stderr, "pollhook: \"%s\" is not a delivery id\n", o->args[0]);
			return 1;
		}
	}
	n = outbox_request_retry(ob, seq);
	if (n < 0)
		return 1;
	if (n == 0 && !o->all) {
		fprintf(stderr, "pollhook: no dead delivery with id %lld\n", seq);
		return 1;
	}
	printf("%d dead deliver%s queued for retry (the running daemon picks them up "
	    "within a second)\n", n, n == 1 ? "y" : "ies");
	return 0;
}

static int
deliveries_purge(struct outbox *ob, const struct deliveries_opts *o)
{
	double secs = cli_parse_duration(o->older);
	int n;

	if (secs < 0) {
		fprintf(stderr, "pollhook: --older-than \"%s\" is not a duration "
		    "(e.g. 3600, 90m, 7d)\n", o->older);
		return 1;
	}
	n = outbox_purge(ob, (double)time(NULL) - secs);
	if (n < 0)
		return 1;
	printf("%d dead deliver%s purged\n", n, n == 1 ? "y" : "ies");
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
	int (*run)(struct outbox *ob, const struct deliveries_opts *o);
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
	struct outbox *ob = NULL;
	char err[512];
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
		dir = cfg->bridge.state_dir;
	}
	log_init(LOG_LEVEL_WARNING, false);
	ob = outbox_open(dir, err, sizeof(err));
	if (ob == NULL) {
		fprintf(stderr, "pollhook: %s\n", err);
		goto out;
	}
	rc = cmd->run(ob, &o);
out:
	outbox_close(ob);
	config_free(cfg);
	return rc;
}
