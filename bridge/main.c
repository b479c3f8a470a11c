/*
 * pollhook: polls SNMP agents and REST APIs, notices state changes and
 * delivers each as a signed webhook. This file is the command line and the
 * daemon's life cycle: signals, reload, shutdown.
 */

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "api.h"
#include "priv.h"
#include "conf_profile.h"
#include "config.h"
#include "cli.h"
#include "cli_store.h"
#include "cluster.h"
#include "delivery.h"
#include "discover_run.h"
#include "engine.h"
#include "inventory_watch.h"
#include "log.h"
#include "noise.h"
#include "once.h"
#include "reload.h"
#include "store.h"
#include "subs.h"
#include "util.h"
#include "cli_silences.h"
#include "cli_subs.h"
#include "cli_verify.h"
#include "version.h"

#define DEFAULT_CONFIG POLLHOOK_DEFAULT_CONFIG
#define SHUTDOWN_GRACE 10.0	/* seconds to let polls and deliveries finish */
#define KNOWN_WAIT 10.0		/* seconds the store may take to hand over discovered devices */
#define MALLOC_BIG (128 * 1024)	/* bytes: larger blocks are mapped, and freed heap tops trimmed */

struct daemon {
	struct ev_loop *loop;
	const char *path;
	bool verbose;
	struct config *cfg;
	struct engine *eng;
	struct store *st;
	struct delivery *dlv;
	struct subs *subs;
	struct noise *noise;	/* silences and maintenance windows */
	struct api *api;
	struct inventory_watch *watch;	/* inventories with watch = true */
	struct discover_known *known;	/* the devices read at start, until d->disc takes them */
	struct discover *disc;	/* bridge.discover's sweeps, once polling starts */
	bool polling;		/* on_ready started the engine */
	struct cluster *cl;	/* bridge.cluster, once polling starts; else NULL */
	struct reload *reload;	/* loads the file off the loop on SIGHUP */
	ev_signal sigterm, sigint, sighup;
	ev_prepare drain;
	ev_timer grace;
	bool stopping;
	int rc;			/* the exit status, once the loop ends */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook [-c FILE] [--check-config | --once [--json | --table] "
	    "[--format-preview]] [-v]\n"
	    "       pollhook --list-keys | --list-profiles\n"
	    "       pollhook deliveries list [--state pending|dead] [--json] [-c FILE | --state-dir DIR]\n"
	    "       pollhook deliveries retry ID|--all [-c FILE]\n"
	    "       pollhook deliveries purge --older-than DURATION [-c FILE]\n"
	    "       pollhook subscribers list|add URL|rm NAME|rotate NAME|test NAME [-c FILE]\n"
	    "       pollhook silences list|add [--source GLOB] [--rule GLOB] --ends TIME|rm ID [-c FILE]\n"
	    "       pollhook store check|migrate [-c FILE]\n"
	    "       pollhook store copy --from sqlite:PATH|postgres:CONNINFO --to ...\n"
	    "       pollhook verify --scheme S --secret S --header 'Name: value'... [--body-file F]\n"
	    "\n"
	    "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
	    "      --check-config  validate the configuration and exit\n"
	    "      --once          poll every source once, print samples and events, exit\n"
	    "      --json          with --once: print JSON (default when not a terminal)\n"
	    "      --table         with --once: print a table (default on a terminal)\n"
	    "      --format-preview  with --once: print the body each subscriber would get\n"
	    "      --list-keys     print every configuration key pollhook knows, and exit\n"
	    "      --list-profiles print the built-in profiles, and exit\n"
	    "  -v, --verbose       log at debug level\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n"
	    "\n"
	    "Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop.\n"
	    "Exit status: 0 success, 1 error (configuration, start-up), 2 --once saw a poll fail.\n");
}

static void
apply_log_level(const struct daemon *d)
{
	log_init(d->verbose ? LOG_LEVEL_DEBUG : (enum log_level)d->cfg->bridge.log_level,
	    d->cfg->bridge.syslog);
}

static void
on_event(void *arg, struct event *ev)
{
	struct daemon *d = arg;

	delivery_submit(d->dlv, ev);
}

static void
drain_check(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, drain);

	(void)revents;
	if (engine_in_flight(d->eng) == 0 && delivery_stats(d->dlv)->in_flight == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void
grace_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = container_of(w, struct daemon, grace);

	(void)revents;
	log_warnx("stopping with %zu polls and %zu delivery attempts unfinished; "
	    "the deliveries stay in the store", engine_in_flight(d->eng),
	    delivery_stats(d->dlv)->in_flight);
	ev_break(loop, EVBREAK_ALL);
}

static void
on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)revents;
	if (d->stopping) {
		log_info("second signal: stopping now");
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	d->stopping = true;
	log_info("received signal %d, finishing work in flight", w->signum);
	api_stopping(d->api);
	engine_stop_timers(d->eng);
	/* Given up now: the other members take over without waiting for the lease. */
	if (d->cl != NULL)
		cluster_leave(d->cl);
	delivery_drain(d->dlv);
	/* Before SIGHUP is given back its default action. */
	inventory_watch_stop(d->watch);
	d->watch = NULL;
	ev_signal_stop(loop, &d->sighup);
	/* Checked after each iteration's callbacks, before the loop blocks. */
	ev_prepare_init(&d->drain, drain_check);
	ev_prepare_start(loop, &d->drain);
	ev_timer_init(&d->grace, grace_expired, SHUTDOWN_GRACE, 0.);
	ev_timer_start(loop, &d->grace);
}

/* Returns whether a and b are both NULL or the same string. */
static bool
str_equal(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* SIGHUP: the file is parsed and validated on a thread; applied in reload_done. */
static void
on_reload(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (d->stopping)
		return;
	log_info("reloading %s", d->path);
	if (reload_start(d->reload) == 1)
		log_info("a reload is running: %s is loaded again when it ends", d->path);
}

static void discover_follow(struct daemon *d);

/* The new config was loaded off the loop (or NULL: it did not validate): swap it in. */
static void
apply_reload(struct daemon *d, struct config *next)
{
	const char *why;
	double t0 = ev_time();

	if (next == NULL) {
		log_warnx("reload failed: keeping the running configuration");
		return;
	}
	if (d->stopping) {
		config_free(next);
		return;
	}
	if (strcmp(next->bridge.state_dir, d->cfg->bridge.state_dir) != 0)
		log_warnx("bridge.state_dir changed: takes effect at the next restart");
	if (next->bridge.store.durability != d->cfg->bridge.store.durability)
		log_warnx("bridge.durability changed: takes effect at the next restart");
	else if (!store_config_equal(&next->bridge.store, &d->cfg->bridge.store))
		log_warnx("bridge.store changed: takes effect at the next restart");
	if (next->bridge.cluster != d->cfg->bridge.cluster)
		log_warnx("bridge.cluster changed: takes effect at the next restart");
	if (!str_equal(next->bridge.user, d->cfg->bridge.user) ||
	    !str_equal(next->bridge.group, d->cfg->bridge.group))
		log_warnx("bridge.user or bridge.group changed: takes effect at the next restart");
	if ((why = subs_check_config(d->subs, next)) != NULL) {
		log_warnx("reload failed: %s", why);
		config_free(next);
		return;
	}
	if (delivery_reload(d->dlv, next) != 0) {
		log_warnx("reload failed: subscribers of the new configuration cannot start");
		config_free(next);
		return;
	}
	if (engine_reload(d->eng, next) != 0) {
		log_warnx("reload failed: sources of the new configuration cannot start");
		/* The subscribers already run from next: put the old ones back. */
		if (delivery_reload(d->dlv, d->cfg) != 0)
			fatalx("cannot restore the subscribers after a failed reload");
		config_free(next);
		return;
	}
	/* Before the old config goes: the windows point into it. */
	noise_set_config(d->noise, next);
	if (d->cl != NULL)
		cluster_reload(d->cl, next);
	config_free(d->cfg);
	d->cfg = next;
	discover_follow(d);
	subs_reload(d->subs, d->cfg);
	api_reload(d->api, d->cfg);
	/* Give back what parsing a large file left in free lists. */
	malloc_trim(0);
	apply_log_level(d);
	log_info("reloaded: %zu sources, %zu rules, %zu subscribers (swapped in on the loop "
	    "in %.3f s)", d->cfg->nsources, d->cfg->nrules, d->cfg->nsubscribers,
	    ev_time() - t0);
}

static void
reload_done(void *arg, struct config *next)
{
	struct daemon *d = arg;

	apply_reload(d, next);
	/* The devices' events, after the reload that restarts deliveries in flight. */
	discover_flush(d->disc);
}

/* A reload's devices: those the sweeps know now. */
static struct discover_known *
known_snapshot(void *arg)
{
	struct daemon *d = arg;

	return d->disc != NULL ? discover_snapshot(d->disc) : discover_known_copy(d->known);
}

/* A sweep found or lost devices: the reload makes (or drops) their sources. */
static void
on_discovered(void *arg)
{
	struct daemon *d = arg;

	if (d->stopping)
		return;
	log_info("discovered devices changed: reloading %s", d->path);
	switch (reload_start(d->reload)) {
	case 1:
		log_info("a reload is running: %s is loaded again when it ends", d->path);
		break;
	case -1:
		discover_flush(d->disc);
		break;
	}
}

/* Whether this member sweeps a discovery (key "discover:NAME") in the cluster. */
static bool
cluster_leads_cb(void *arg, const char *key)
{
	return cluster_leads(arg, key);
}

/* Starts the sweeps once polling runs, or makes them follow a reloaded config. */
static void
discover_follow(struct daemon *d)
{
	if (d->disc != NULL) {
		discover_reload(d->disc, d->cfg);
		return;
	}
	if (!d->polling || d->cfg->ndiscovers == 0)
		return;
	d->disc = discover_new(d->loop, d->cfg, d->known, d->st, d->dlv, on_discovered, d);
	d->known = NULL;
	if (d->cl != NULL)
		discover_set_leader(d->disc, cluster_leads_cb, d->cl);
	api_set_discover(d->api, d->disc);
}

/* The rule state is loaded: polling starts (or the store cannot be used at all). */
static void
on_ready(void *arg, int status)
{
	struct daemon *d = arg;

	if (status != 0 && store_failed(d->st)) {
		log_warnx("store: %s: cannot be used: %s", store_backend_name(d->st),
		    store_error(d->st));
		d->rc = 1;
		ev_break(d->loop, EVBREAK_ALL);
		return;
	}
	if (d->stopping)
		return;
	/* With a cluster, nothing is polled until it is taken. */
	if (d->cfg->bridge.cluster) {
		d->cl = cluster_new(d->loop, d->cfg, d->st, d->eng);
		api_set_cluster(d->api, d->cl);
	}
	engine_start(d->eng);
	d->polling = true;
	discover_follow(d);
	log_info("pollhook " PACKAGE_VERSION " started: %zu sources, %zu rules, %zu subscribers"
	    " (%s store)", d->cfg->nsources, d->cfg->nrules, d->cfg->nsubscribers,
	    store_backend_name(d->st));
}

/*
 * Reads the devices the discoveries found in earlier runs from the store
 * and loads the file again with them, so they are polled from the start
 * (and --check-config counts them). Returns 0, or -1 when the file no longer
 * loads.
 */
static int
load_known(struct daemon *d)
{
	char err[512];
	size_t n = 0;

	if ((d->known = discover_known_read(&d->cfg->bridge.store, KNOWN_WAIT, err,
	    sizeof(err))) == NULL) {
		log_info("discover: no devices read from the store: %s", err);
		return 0;
	}
	for (size_t i = 0; i < d->known->n; i++)
		n += d->known->v[i].address[0] != '\0';
	if (n == 0)
		return 0;
	config_free(d->cfg);
	if ((d->cfg = config_load_known(d->path, d->known)) == NULL) {
		discover_known_free(d->known);
		d->known = NULL;
		return -1;
	}
	return 0;
}

static int
run_daemon(struct daemon *d)
{
	struct engine_sink sink = { NULL, on_event, d };
	char err[512];

	d->rc = 1;
	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (d->loop == NULL)
		fatalx("cannot create the event loop");
	signal(SIGPIPE, SIG_IGN);
	d->st = store_open(d->loop, &d->cfg->bridge.store, STORE_CLAIMS, err, sizeof(err));
	if (d->st == NULL) {
		log_warnx("store: %s", err);
		goto out;
	}
	d->dlv = delivery_new(d->loop, d->cfg, d->st);
	if (d->dlv == NULL)
		goto out;
	/* The dynamic subscribers first: the pending deliveries claimed at start find them. */
	d->subs = subs_new(d->loop, d->cfg, d->dlv, d->st);
	delivery_start(d->dlv);
	d->eng = engine_new(d->loop, d->cfg, &sink);
	if (d->eng == NULL)
		goto out;
	d->api = api_new(d->loop, d->cfg, d->eng, d->dlv, d->st);
	if (d->api == NULL)
		goto out;
	/* The API's port is bound and the store open: root is no longer needed. */
	if (priv_drop(&d->cfg->bridge) != 0)
		goto out;
	/* Loaded before the rule state: the first polls know the silences. */
	d->noise = noise_new(d->cfg, d->st);
	noise_load(d->noise, NULL, NULL);
	engine_set_silencer(d->eng, noise_why, d->noise);
	api_set_noise(d->api, d->noise);
	d->reload = reload_new(d->loop, d->path, reload_done, d);
	reload_set_known(d->reload, known_snapshot);
	api_set_subs(d->api, d->subs);
	/* Polls start once the rule state is back (on_ready). */
	d->rc = 0;
	engine_set_store(d->eng, d->st, on_ready, d);
	ev_signal_init(&d->sigterm, on_stop, SIGTERM);
	ev_signal_init(&d->sigint, on_stop, SIGINT);
	ev_signal_init(&d->sighup, on_reload, SIGHUP);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sighup);
	d->watch = inventory_watch_start(d->loop, &d->cfg);
	if (d->rc == 0)
		ev_run(d->loop, 0);
	{
		uint64_t polls, errors, overruns;

		engine_totals(d->eng, &polls, &errors, &overruns);
		log_info("polls: %llu, failed: %llu, overruns: %llu (since the last start or reload)",
		    (unsigned long long)polls, (unsigned long long)errors,
		    (unsigned long long)overruns);
	}
	if (d->rc == 0)
		log_info("stopped");
out:
	if (d->loop != NULL) {
		inventory_watch_stop(d->watch);
		d->watch = NULL;
		ev_signal_stop(d->loop, &d->sigterm);
		ev_signal_stop(d->loop, &d->sigint);
		ev_signal_stop(d->loop, &d->sighup);
		ev_prepare_stop(d->loop, &d->drain);
		ev_timer_stop(d->loop, &d->grace);
	}
	/* A load in flight is waited for and dropped. */
	reload_free(d->reload);
	api_free(d->api);
	/* The cluster lets go of the engine (and releases what it owns). */
	if (d->cl != NULL)
		cluster_leave(d->cl);
	discover_free(d->disc);
	discover_known_free(d->known);
	/* Polls first: their last events still reach the store. */
	engine_free(d->eng);
	noise_free(d->noise);
	delivery_free(d->dlv);
	subs_free(d->subs);
	store_close(d->st);
	/* After the store: its requests have ended. */
	cluster_free(d->cl);
	return d->rc;
}

/*
 * glibc's thresholds, pinned at their defaults. Left dynamic, the first large
 * block freed (the 512 KiB a reload reads a large file into) raises both: such
 * blocks then come from the heaps, and a free top up to twice their size stays
 * resident for good (in a reload thread's arena, where malloc_trim does not
 * reach the top) -- a one-time step in RSS at a random reload.
 */
static void
pin_malloc(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, MALLOC_BIG);
	(void)mallopt(M_TRIM_THRESHOLD, MALLOC_BIG);
}

int
main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_ONCE, OPT_JSON, OPT_TABLE, OPT_KEYS, OPT_PROFILES,
		OPT_PREVIEW };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "table", no_argument, NULL, OPT_TABLE },
		{ "format-preview", no_argument, NULL, OPT_PREVIEW },
		{ "list-keys", no_argument, NULL, OPT_KEYS },
		{ "list-profiles", no_argument, NULL, OPT_PROFILES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .path = DEFAULT_CONFIG };
	bool check = false, once = false, preview = false;
	int json = -1, ch, rc;

	pin_malloc();
	if (argc > 1 && strcmp(argv[1], "subscribers") == 0)
		return cli_subs_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "silences") == 0)
		return cli_silences_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "deliveries") == 0)
		return cli_deliveries(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "store") == 0)
		return cli_store(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "verify") == 0)
		return cli_verify_main(argc - 1, argv + 1);

	while ((ch = getopt_long(argc, argv, "c:vVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.path = optarg;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_ONCE:
			once = true;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_TABLE:
			json = 0;
			break;
		case OPT_PREVIEW:
			preview = true;
			break;
		case OPT_KEYS:
			config_dump_keys();
			return 0;
		case OPT_PROFILES:
			return conf_profiles_list(stdout) == 0 ? 0 : 1;
		case 'v':
			d.verbose = true;
			break;
		case 'V':
			version_print(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pollhook: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 1;
	}
	if (check && once) {
		fprintf(stderr, "pollhook: --check-config and --once exclude each other\n");
		return 1;
	}
	if ((json != -1 || preview) && !once) {
		fprintf(stderr, "pollhook: --json, --table and --format-preview go with --once\n");
		return 1;
	}
	log_init(d.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, false);

	d.cfg = config_load(d.path);
	if (d.cfg == NULL)
		return 1;
	if (d.cfg->ndiscovers > 0 && load_known(&d) == -1)
		return 1;
	if (check) {
		printf("%s: configuration ok (%zu sources, %zu rules, %zu subscribers)\n",
		    d.path, d.cfg->nsources, d.cfg->nrules, d.cfg->nsubscribers);
		config_print_origins(d.cfg, stdout);
		config_free(d.cfg);
		discover_known_free(d.known);
		return 0;
	}
	/* The parse tree of a large file is freed by now: give its pages back. */
	malloc_trim(0);
	apply_log_level(&d);
	if (once) {
		/* --once prints results, not progress: keep the log to warnings. */
		if (!d.verbose)
			log_set_level(LOG_LEVEL_WARNING);
		rc = once_run(d.cfg, stdout, json == -1 ? !isatty(STDOUT_FILENO) : json == 1,
		    preview);
		config_free(d.cfg);
		discover_known_free(d.known);
		return rc;
	}
	rc = run_daemon(&d);
	config_free(d.cfg);
	return rc;
}
