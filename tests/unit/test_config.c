/*
 * Unit tests of the configuration loader (config.c) and the tree, checker
 * and accessors under it (conf_tree.c, conf_schema.c). Configs are written to a temporary
 * directory. Loading sources needs a compiled-in poller: those tests use
 * "http" and skip when it is not there. The bad-config messages themselves
 * are covered one by one in tests/config.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "config.h"
#include "emitter.h"
#include "log.h"
#include "poller.h"
#include "registry.h"
#include "xmalloc.h"

static char *tmpdir;	/* $TMPDIR/test_config.XXXXXX, made by main */

/* Writes text to tmpdir/name (making its directories) and returns the path. */
static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name), *slash;
	FILE *f;

	/* Make the directories under tmpdir on the way. */
	for (slash = path + strlen(tmpdir) + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static struct config *
load_text(const char *name, const char *text)
{
	char *path = write_file(name, text);
	struct config *cfg = config_load(path);

	free(path);
	return cfg;
}

static void
need_http(void)
{
	bool known;

	if (registry_poller("http", &known) == NULL)
		skip();
}

/* Adds device (discovery, address, name, object_id) to k. */
static void
known_add(struct discover_known *k, const char *disc, const char *address, const char *name,
    const char *oid)
{
	struct discover_device d = {
		.discovery = (char *)disc, .address = (char *)address, .name = (char *)name,
		.object_id = (char *)oid, .sys_name = (char *)name,
	};

	discover_known_add(k, &d);
}

/*
 * The devices a discovery found become sources: profile by prefix, the
 * discovery's labels and snmp settings, origin; a name a source of the
 * file took goes to the address; unmatched devices, those of a discovery no
 * longer in the file and the discoveries' own records are left out.
 */
static void
test_discovered_sources(void **state)
{
	struct discover_known *k = xcalloc(1, sizeof(*k));
	const struct source_config *s;
	struct config *cfg;
	char *path;
	bool known;

	(void)state;
	if (registry_poller("snmp", &known) == NULL)
		skip();
	known_add(k, "lab", "192.0.2.1:161", "edge-1", "1.3.6.1.4.1.9.1.1");
	known_add(k, "lab", "192.0.2.2:161", "mx-2", "1.3.6.1.4.1.2636.1.1");
	known_add(k, "lab", "192.0.2.3:1161", "taken", "1.3.6.1.4.1.9.1.1");
	known_add(k, "lab", "192.0.2.4:161", "odd", "1.3.6.1.4.1.99.1");
	known_add(k, "gone", "192.0.2.5:161", "old", "1.3.6.1.4.1.9.1.1");
	known_add(k, "lab", "", "", "");
	path = write_file("discover.conf",
	    "bridge = { discover = ( { name = \"lab\"; networks = [ \"192.0.2.0/24\" ];\n"
	    "  snmp = { community = \"sekrit\"; }; labels = { site = \"lab\"; };\n"
	    "  profiles = ( { oid = \"1.3.6.1.4.1.9.\"; profile = \"cisco-ios\"; },\n"
	    "               { oid = \"1.3.6.1.4.1.2636\"; profile = \"juniper\"; } ); } ); };\n"
	    "sources = ( { name = \"taken\"; profile = \"cisco-ios\";\n"
	    "  snmp = { address = \"192.0.2.200\"; }; } );\n");
	assert_non_null(cfg = config_load_known(path, k));
	assert_int_equal(cfg->nsources, 4);
	assert_int_equal(cfg->ndiscovers, 1);
	assert_int_equal(cfg->discovers[0].nsources, 3);
	assert_non_null(s = config_find_source(cfg, "edge-1"));
	assert_string_equal(s->profile, "cisco-ios");
	assert_string_equal(s->discovery, "lab");
	assert_string_equal(labels_get(&s->labels, "site"), "lab");
	assert_string_equal(labels_get(&s->labels, "vendor"), "cisco");
	assert_non_null(s = config_find_source(cfg, "mx-2"));
	assert_string_equal(s->profile, "juniper");
	assert_non_null(s = config_find_source(cfg, "192.0.2.3-1161"));
	assert_string_equal(s->discovery, "lab");
	assert_null(config_find_source(cfg, "taken")->discovery);
	assert_null(config_find_source(cfg, "odd"));
	assert_null(config_find_source(cfg, "old"));
	config_free(cfg);
	/* Without them, the file alone. */
	assert_non_null(cfg = config_load(path));
	assert_int_equal(cfg->nsources, 1);
	config_free(cfg);
	discover_known_free(k);
	free(path);
}

#define SOURCE_API \
	"sources = ( { name = \"api\"; poller = \"http\";\n" \
	"  http = { url = \"http://127.0.0.1:1/\"; };\n" \
	"  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n"

static void
test_defaults(void **state)
{
	struct config *cfg;
	const struct source_config *s;

	(void)state;
	need_http();
	cfg = load_text("defaults.conf", "# defaults\n" SOURCE_API);
	assert_non_null(cfg);
	assert_string_equal(cfg->bridge.state_dir, LOCALSTATEDIR "/lib/pollhook");
	assert_int_equal(cfg->bridge.log_level, LOG_LEVEL_INFO);
	assert_false(cfg->bridge.syslog);
	assert_null(cfg->bridge.api.listen);
	assert_null(cfg->bridge.api.token);
	assert_int_equal(cfg->bridge.shard_count, 0);
	assert_int_equal(cfg->nsources, 1);
	assert_int_equal(cfg->nrules, 0);
	assert_int_equal(cfg->nsubscribers, 0);
	s = config_find_source(cfg, "api");
	assert_ptr_equal(s, &cfg->sources[0]);
	assert_null(config_find_source(cfg, "nope"));
	assert_string_equal(s->poller->name, "http");
	assert_true(s->interval == 60.0);
	assert_true(s->timeout == 10.0);
	assert_int_equal(s->labels.n, 0);
	assert_int_equal(s->nmetrics, 1);
	assert_string_equal(s->metrics[0].name, "cpu");
	assert_int_equal(s->metrics[0].reduce, REDUCE_NONE);
	assert_true(s->metrics[0].scale == 1.0);
	assert_int_equal(s->metrics[0].line, 4);
	assert_non_null(s->poller_conf);
	assert_int_equal(s->line, 2);
	assert_non_null(strstr(s->file, "defaults.conf"));
	assert_int_equal(cfg->nfiles, 1);
	assert_ptr_equal(s->file, cfg->files[0]);
	config_free(cfg);

	/* A short interval bounds the default timeout. */
	cfg = load_text("short.conf",
	    "sources = ( { name = \"api\"; poller = \"http\"; interval = 0.5;\n"
	    "  http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n");
	assert_non_null(cfg);
	assert_true(cfg->sources[0].timeout == 0.5);
	config_free(cfg);
}

/* The one default-timeout rule: the interval, at most 10 s; what a source without timeout gets. */
static void
test_default_timeout(void **state)
{
	struct config *cfg;

	(void)state;
	assert_true(config_default_timeout(0.25) == 0.25);
	assert_true(config_default_timeout(7.0) == 7.0);
	assert_true(config_default_timeout(10.0) == 10.0);
	assert_true(config_default_timeout(10.5) == 10.0);
	assert_true(config_default_timeout(86400.0) == 10.0);
	need_http();	/* the rule applied when sources load */
	cfg = load_text("timeouts.conf",
	    "sources = (\n"
	    "  { name = \"a\"; poller = \"http\"; interval = 7;\n"
	    "    http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "    metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); },\n"
	    "  { name = \"b\"; poller = \"http\"; interval = 30;\n"
	    "    http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "    metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n");
	assert_non_null(cfg);
	assert_true(cfg->sources[0].timeout == config_default_timeout(7.0));
	assert_true(cfg->sources[1].timeout == config_default_timeout(30.0));
	config_free(cfg);
}

static const char full_conf[] =
    "bridge = { state_dir = \"/srv/ph\"; log_level = \"debug\"; syslog = true;\n"
    "  api = { listen = \"127.0.0.1:9870\"; token = \"t0k\"; };\n"
    "  shard = { index = 1; count = 3; }; };\n"
    "sources = (\n"
    "  { name = \"edge-1\"; poller = \"http\"; interval = 2; timeout = 1.5;\n"
    "    labels = { site = \"fra1\"; role = \"edge\"; };\n"
    "    http = { url = \"http://127.0.0.1:1/\"; };\n"
    "    metrics = ( { name = \"cpu\"; json = \"/cpu\"; reduce = \"avg\"; scale = 8; },\n"
    "                { name = \"rec\"; json = \"/r\"; items = true; key = \"/id\"; } ); },\n"
    "  { name = \"core-1\"; poller = \"http\";\n"
    "    http = { url = \"http://127.0.0.1:2/\"; };\n"
    "    metrics = ( { name = \"mem\"; json = \"/mem\"; reduce = \"count\"; } ); }\n"
    ");\n"
    "rules = (\n"
    "  { name = \"cpu.high\"; sources = [ \"edge-*\" ]; metric = \"cpu\"; above = 90;\n"
    "    clear = 85.5; for = 3; severity = \"critical\"; },\n"
    "  { name = \"down\"; metric = \"up\"; below = 1.0; },\n"
    "  { name = \"mem.changed\"; sources = \"core-1\"; metric = \"mem\"; on_change = true; },\n"
    "  { name = \"rec.new\"; metric = \"rec\"; on_new = true; max_seen = 42; },\n"
    "  { name = \"rec.new2\"; metric = \"rec\"; on_new = true; on_change = false; }\n"
    ");\n"
    "subscribers = (\n"
    "  { name = \"ops\"; emitter = \"log\"; path = \"-\"; events = [ \"cpu.*\", \"down\" ];\n"
    "    sources = [ \"edge-*\" ]; labels = { site = \"fra*\"; }; max_in_flight = 2;\n"
    "    retry = { max_attempts = 3; max_age = 60; first_delay = 0.5; max_delay = 30; }; },\n"
    "  { name = \"all\"; emitter = \"log\"; }\n"
    ");\n";

static void
test_full(void **state)
{
	struct config *cfg;
	const struct rule_config *r;
	const struct subscriber_config *sub;
	const struct source_config *s;

	(void)state;
	need_http();
	assert_non_null(cfg = load_text("full.conf", full_conf));
	assert_string_equal(cfg->bridge.state_dir, "/srv/ph");
	assert_int_equal(cfg->bridge.log_level, LOG_LEVEL_DEBUG);
	assert_true(cfg->bridge.syslog);
	assert_string_equal(cfg->bridge.api.listen, "127.0.0.1:9870");
	assert_string_equal(cfg->bridge.api.token, "t0k");
	assert_int_equal(cfg->bridge.shard_index, 1);
	assert_int_equal(cfg->bridge.shard_count, 3);

	assert_int_equal(cfg->nsources, 2);
	s = &cfg->sources[0];
	assert_true(s->interval == 2.0 && s->timeout == 1.5);
	assert_string_equal(labels_get(&s->labels, "site"), "fra1");
	assert_string_equal(labels_get(&s->labels, "role"), "edge");
	assert_int_equal(s->nmetrics, 2);
	assert_int_equal(s->metrics[0].reduce, REDUCE_AVG);
	assert_true(s->metrics[0].scale == 8.0);
	assert_int_equal(cfg->sources[1].metrics[0].reduce, REDUCE_COUNT);

	assert_int_equal(cfg->nrules, 5);
	r = &cfg->rules[0];
	assert_int_equal(r->kind, RULE_ABOVE);
	assert_string_equal(r->sources[0], "edge-*");
	assert_null(r->sources[1]);
	assert_string_equal(r->metric, "cpu");
	assert_true(r->threshold == 90.0 && r->clear == 85.5 && r->for_s == 3.0);
	assert_string_equal(r->severity, "critical");
	r = &cfg->rules[1];
	assert_int_equal(r->kind, RULE_BELOW);
	assert_null(r->sources);
	assert_true(r->threshold == 1.0 && r->clear == 1.0 && r->for_s == 0.0);
	assert_null(r->severity);
	assert_int_equal(cfg->rules[2].kind, RULE_CHANGE);
	assert_string_equal(cfg->rules[2].sources[0], "core-1");
	assert_int_equal(cfg->rules[3].kind, RULE_NEW);
	assert_int_equal(cfg->rules[3].max_seen, 42);
	assert_int_equal(cfg->rules[4].kind, RULE_NEW);
	assert_int_equal(cfg->rules[4].max_seen, 10000);

	assert_int_equal(cfg->nsubscribers, 2);
	sub = &cfg->subscribers[0];
	assert_string_equal(sub->emitter->name, "log");
	assert_string_equal(sub->events[0], "cpu.*");
	assert_string_equal(sub->events[1], "down");
	assert_null(sub->events[2]);
	assert_string_equal(sub->sources[0], "edge-*");
	assert_string_equal(labels_get(&sub->match, "site"), "fra*");
	assert_int_equal(sub->max_in_flight, 2);
	assert_int_equal(sub->max_attempts, 3);
	assert_true(sub->max_age == 60.0 && sub->retry_first == 0.5 && sub->retry_cap == 30.0);
	assert_int_equal(strlen(sub->fingerprint), 16);
	assert_non_null(sub->emitter_conf);
	sub = &cfg->subscribers[1];
	assert_null(sub->events);
	assert_null(sub->sources);
	assert_int_equal(sub->match.n, 0);
	assert_int_equal(sub->max_in_flight, 8);
	assert_int_equal(sub->max_attempts, 15);
	assert_true(sub->max_age == 86400.0 && sub->retry_first == 5.0 &&
	    sub->retry_cap == 3600.0);
	assert_string_not_equal(sub->fingerprint, cfg->subscribers[0].fingerprint);
	config_free(cfg);
}

static void
test_env(void **state)
{
	struct config *cfg;

	(void)state;
	need_http();
	setenv("TEST_CONFIG_SITE", "ams2", 1);
	setenv("TEST_CONFIG_EMPTY", "", 1);
	cfg = load_text("env.conf",
	    "sources = ( { name = \"api-${TEST_CONFIG_SITE}\"; poller = \"http\";\n"
	    "  labels = { a = \"${TEST_CONFIG_SITE}/${TEST_CONFIG_SITE}\"; b = \"$$HOME\";\n"
	    "    c = \"x${TEST_CONFIG_EMPTY}y\"; d = \"5$ and $x\"; };\n"
	    "  http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n");
	assert_non_null(cfg);
	assert_string_equal(cfg->sources[0].name, "api-ams2");
	assert_string_equal(labels_get(&cfg->sources[0].labels, "a"), "ams2/ams2");
	assert_string_equal(labels_get(&cfg->sources[0].labels, "b"), "$HOME");
	assert_string_equal(labels_get(&cfg->sources[0].labels, "c"), "xy");
	assert_string_equal(labels_get(&cfg->sources[0].labels, "d"), "5$ and $x");
	config_free(cfg);

	/* Undefined is an error, not an empty string. */
	unsetenv("TEST_CONFIG_UNDEFINED");
	cfg = load_text("env-bad.conf",
	    "sources = ( { name = \"api\"; poller = \"http\";\n"
	    "  http = { url = \"http://${TEST_CONFIG_UNDEFINED}/\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n");
	assert_null(cfg);
}

static void
test_secret_file(void **state)
{
	struct config *cfg;
	char *p;

	(void)state;
	need_http();
	p = write_file("sec/api.token", "from-file\n\n");
	free(p);
	/* Relative to the directory of the file that names it. */
	cfg = load_text("sec/main.conf",
	    "bridge = { api = { listen = \"[::1]:9870\"; token_file = \"api.token\"; }; };\n"
	    SOURCE_API);
	assert_non_null(cfg);
	assert_string_equal(cfg->bridge.api.token, "from-file");
	config_free(cfg);

	cfg = load_text("sec/both.conf",
	    "bridge = { api = { listen = \"h:1\"; token = \"x\"; token_file = \"api.token\"; }; };\n"
	    SOURCE_API);
	assert_null(cfg);
	cfg = load_text("sec/missing.conf",
	    "bridge = { api = { listen = \"h:1\"; token_file = \"nope.token\"; }; };\n"
	    SOURCE_API);
	assert_null(cfg);
}

static void
test_include(void **state)
{
	struct config *cfg;
	char *p;

	(void)state;
	need_http();
	p = write_file("inc/parts/rules.inc",
	    "# rules\n"
	    "rules = ( { name = \"cpu.high\"; metric = \"cpu\"; above = 90.0; } );\n");
	free(p);
	cfg = load_text("inc/main.conf", SOURCE_API "@include \"parts/rules.inc\"\n");
	assert_non_null(cfg);
	assert_int_equal(cfg->nrules, 1);
	assert_int_equal(cfg->rules[0].line, 2);
	/* The included file is named where it really is, not as written. */
	p = xasprintf("%s/inc/parts/rules.inc", tmpdir);
	assert_string_equal(cfg->rules[0].file, p);
	free(p);
	assert_int_equal(cfg->nfiles, 2);
	config_free(cfg);

	cfg = load_text("inc/bad.conf", SOURCE_API "@include \"parts/missing.inc\"\n");
	assert_null(cfg);
}

static void
test_errors_collected(void **state)
{
	static const char *const colours[] = { "red", "green", NULL };
	static const struct conf_key inner[] = {
		{ "n", CONF_INT, CONF_HAS_MIN | CONF_HAS_MAX, 1, 9, NULL, NULL, "n" },
		CONF_KEY_END
	};
	static const struct conf_key keys[] = {
		{ "name", CONF_STRING, CONF_REQUIRED | CONF_NAME, 0, 0, NULL, NULL, "name" },
		{ "colour", CONF_STRING, 0, 0, 0, colours, NULL, "colour" },
		{ "ratio", CONF_FLOAT, CONF_HAS_MIN | CONF_MIN_OPEN, 0, 0, NULL, NULL, "ratio" },
		{ "flag", CONF_BOOL, 0, 0, 0, NULL, NULL, "flag" },
		{ "sub", CONF_GROUP, 0, 0, 0, NULL, inner, "sub" },
		{ "secret", CONF_SECRET, CONF_REQUIRED, 0, 0, NULL, NULL, "secret" },
		CONF_KEY_END
	};
	const struct conf_key *const tables[] = { keys, NULL };
	struct conf_tree *t;
	char *p;

	(void)state;
	p = write_file("errs.conf",
	    "g = { nmae = \"a\"; colour = \"blue\"; ratio = 0; flag = 1;\n"
	    "  sub = { n = 10; m = 1; }; };\n"
	    "ok = { name = \"x\"; ratio = 2; secret = \"s\"; };\n");
	assert_non_null(t = conf_load(p));
	/* nmae, missing name, blue, ratio 0, flag type, n range, m, missing secret. */
	assert_int_equal(conf_check(conf_get(conf_root(t), "g"), "thing", tables, false), -1);
	assert_int_equal(conf_errors(t), 8);
	assert_int_equal(conf_check(conf_get(conf_root(t), "ok"), "thing", tables, false), 0);
	assert_int_equal(conf_errors(t), 8);
	/* Lenient: unknown keys pass, the rest does not; nested core groups stay strict. */
	assert_int_equal(conf_check(conf_get(conf_root(t), "g"), "thing", tables, true), -1);
	assert_int_equal(conf_errors(t), 8 + 7);
	conf_close(t);
	free(p);

	/* A config with several errors fails as a whole. */
	need_http();
	assert_null(load_text("many.conf",
	    "sources = ( { name = \"a b\"; poller = \"http\"; intervall = 1;\n"
	    "  http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n"
	    "rules = ( { name = \"r\"; metric = \"cpu\"; } );\n"));
}

/* Appends to *buf (of *len bytes) a source named name on line *line and the next two. */
static void
add_source(char **buf, size_t *len, int *line, const char *name, const char *extra)
{
	char *part = xasprintf("%s{ name = \"%s\"; poller = \"http\";%s\n"
	    "  http = { url = \"http://127.0.0.1:1/\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); }", *line > 2 ? ",\n" : "",
	    name, extra);
	size_t n = strlen(part);

	*buf = xreallocarray(*buf, *len + n + 1, 1);
	memcpy(*buf + *len, part, n + 1);
	*len += n;
	*line += 3;
	free(part);
}

/* Runs config_load on path with stderr in a file; returns what it printed. */
static char *
load_capturing(const char *path, struct config **cfg)
{
	char *out = xasprintf("%s/stderr.txt", tmpdir), *text;
	int saved = dup(STDERR_FILENO);
	FILE *f;
	long n;

	assert_true(saved >= 0);
	fflush(stderr);
	assert_non_null(freopen(out, "w", stderr));
	*cfg = config_load(path);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_non_null(f = fopen(out, "r"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	text = xmalloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	free(out);
	return text;
}

/*
 * More sources than one batch of the loader: all are loaded in order, and
 * errors (also a duplicate name far from the first) print in line order.
 */
static void
test_many_sources(void **state)
{
	enum { N = 700 };
	char *buf, *path, *err, *want;
	size_t len;
	int line = 2, lines[N];
	struct config *cfg;

	(void)state;
	need_http();
	buf = xstrdup("sources = (\n");
	len = strlen(buf);
	for (int i = 0; i < N; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		lines[i] = line;
		add_source(&buf, &len, &line, name, "");
	}
	buf = xreallocarray(buf, len + 5, 1);
	memcpy(buf + len, "\n);\n", 5);
	path = write_file("many-ok.conf", buf);
	err = load_capturing(path, &cfg);
	assert_string_equal(err, "");
	assert_non_null(cfg);
	assert_int_equal(cfg->nsources, N);
	for (int i = 0; i < N; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i);
		assert_string_equal(cfg->sources[i].name, name);
		assert_int_equal(cfg->sources[i].line, lines[i]);
		assert_string_equal(cfg->sources[i].metrics[0].name, "cpu");
	}
	config_free(cfg);
	free(err);
	free(path);
	free(buf);

	/* Errors at sources 5 and 650; source 400 is named as source 3. */
	buf = xstrdup("sources = (\n");
	len = strlen(buf);
	line = 2;
	for (int i = 0; i < N; i++) {
		char name[16];

		snprintf(name, sizeof(name), "s%d", i == 400 ? 3 : i);
		lines[i] = line;
		add_source(&buf, &len, &line, name, i == 5 || i == 650 ? " intervall = 1;" : "");
	}
	buf = xreallocarray(buf, len + 5, 1);
	memcpy(buf + len, "\n);\n", 5);
	path = write_file("many-bad.conf", buf);
	err = load_capturing(path, &cfg);
	assert_null(cfg);
	want = xasprintf(
	    "%s:%d: unknown key \"intervall\" in source (did you mean \"interval\"?)\n"
	    "%s:%d: duplicate source name \"s3\" (first at %s:%d)\n"
	    "%s:%d: unknown key \"intervall\" in source (did you mean \"interval\"?)\n",
	    path, lines[5], path, lines[400], path, lines[3], path, lines[650]);
	assert_string_equal(err, want);
	free(want);
	free(err);
	free(path);
	free(buf);
}

static void
test_accessors(void **state)
{
	struct conf_tree *t;
	const struct conf_node *g, *e;
	const char **v;
	char **sec, *p;
	size_t n;

	(void)state;
	p = write_file("acc/k1", "one\n");
	free(p);
	p = write_file("acc/k2", "two");
	free(p);
	p = write_file("acc/acc.conf",
	    "g = {\n"
	    "  s = \"str\"; i = 7; big = 5000000000L; f = 2.5; b = true;\n"
	    "  one = \"solo\"; arr = [ \"a\", \"b\" ]; lst = ( \"c\" );\n"
	    "  keys = [ \"k-old\", \"k-new\" ]; files_file = [ \"k1\", \"k2\" ];\n"
	    "  map = { x = \"1\"; y = \"2\"; };\n"
	    "};\n");
	assert_non_null(t = conf_load(p));
	g = conf_get(conf_root(t), "g");
	assert_non_null(g);
	assert_string_equal(conf_name(g), "g");
	assert_int_equal(conf_line(conf_get(g, "i")), 2);
	assert_string_equal(conf_file(g), p);
	assert_string_equal(conf_string(g, "s", "d"), "str");
	assert_string_equal(conf_string(g, "zz", "d"), "d");
	assert_string_equal(conf_string(g, "i", "d"), "d");
	assert_int_equal(conf_int(g, "i", 0), 7);
	assert_true(conf_int(g, "big", 0) == 5000000000LL);
	assert_int_equal(conf_int(g, "f", -1), -1);
	assert_true(conf_float(g, "f", 0) == 2.5);
	assert_true(conf_float(g, "i", 0) == 7.0);
	assert_true(conf_float(g, "zz", 1.5) == 1.5);
	assert_true(conf_bool(g, "b", false));
	assert_false(conf_bool(g, "zz", false));
	assert_true(conf_has(g, "map"));
	assert_false(conf_has(g, "zz"));
	assert_false(conf_has(NULL, "zz"));
	assert_null(conf_get(NULL, "zz"));
	assert_int_equal(conf_count(conf_get(g, "map")), 2);
	e = conf_elem(conf_get(g, "map"), 1);
	assert_string_equal(conf_name(e), "y");
	assert_string_equal(conf_value_string(e), "2");
	assert_null(conf_name(conf_elem(conf_get(g, "arr"), 0)));
	assert_null(conf_value_string(conf_get(g, "i")));

	v = conf_strings(g, "one", &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "solo");
	assert_null(v[1]);
	free(v);
	v = conf_strings(g, "arr", &n);
	assert_int_equal(n, 2);
	assert_string_equal(v[1], "b");
	free(v);
	v = conf_strings(g, "lst", &n);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "c");
	free(v);
	assert_null(conf_strings(g, "zz", &n));
	assert_int_equal(n, 0);

	sec = conf_secrets(g, "keys", &n);
	assert_int_equal(n, 2);
	assert_string_equal(sec[0], "k-old");
	assert_string_equal(sec[1], "k-new");
	assert_null(sec[2]);
	conf_free_secrets(sec);
	sec = conf_secrets(g, "s", &n);
	assert_int_equal(n, 1);
	assert_string_equal(sec[0], "str");
	conf_free_secrets(sec);
	sec = conf_secrets(g, "files", &n);
	assert_int_equal(n, 2);
	assert_string_equal(sec[0], "one");
	assert_string_equal(sec[1], "two");
	conf_free_secrets(sec);
	assert_null(conf_secrets(g, "zz", &n));
	assert_int_equal(conf_errors(t), 0);
	conf_close(t);
	free(p);
}

static void
test_rule_applies(void **state)
{
	char *globs[] = { "edge-*", "core-[12]", NULL };
	struct rule_config r = { .name = "r", .sources = globs, .metric = "cpu" };
	struct source_config s = { .name = "edge-7" };

	(void)state;
	assert_true(config_rule_applies(&r, &s));
	s.name = "core-2";
	assert_true(config_rule_applies(&r, &s));
	s.name = "core-3";
	assert_false(config_rule_applies(&r, &s));
	s.name = "xedge-1";
	assert_false(config_rule_applies(&r, &s));
	r.sources = NULL;
	assert_true(config_rule_applies(&r, &s));
}

static void
test_source_has_metric(void **state)
{
	struct metric_config m[] = { { .name = "cpu" }, { .name = "mem" } };
	struct source_config s = { .name = "s", .metrics = m, .nmetrics = 2 };
	const struct poller_ops *http;
	bool known;

	(void)state;
	assert_true(config_source_has_metric(&s, "cpu"));
	assert_true(config_source_has_metric(&s, "mem"));
	assert_true(config_source_has_metric(&s, "up"));
	assert_true(config_source_has_metric(&s, "poll_seconds"));
	assert_false(config_source_has_metric(&s, "disk"));
	assert_false(config_source_has_metric(&s, "http_status"));
	if ((http = registry_poller("http", &known)) == NULL ||
	    http->builtin_metrics == NULL)
		return;
	s.poller = http;
	assert_true(config_source_has_metric(&s, http->builtin_metrics[0]));
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(conf_valid_name("edge-router_1.fra"));
	assert_false(conf_valid_name(""));
	assert_false(conf_valid_name("a b"));
	assert_false(conf_valid_name("a/b"));
	assert_false(conf_valid_name(NULL));
	assert_int_equal(conf_distance("interval", "intervall"), 1);
	assert_int_equal(conf_distance("path", "paht"), 1);
	assert_int_equal(conf_distance("url", "url"), 0);
	assert_int_equal(conf_distance("abc", "xyz"), 3);
	assert_int_equal(conf_distance("", "abc"), 3);
}

static void
test_fingerprint(void **state)
{
	struct conf_tree *t;
	const struct conf_node *l;
	char a[17], b[17], c[17], d[17];
	char *p;

	(void)state;
	p = write_file("fp.conf",
	    "l = ( { x = 1; y = \"s\"; z = [ 1.5 ]; },\n"
	    "      { x = 1; y = \"s\"; z = [ 1.5 ]; },\n"
	    "      { x = 1; y = \"s\"; z = [ 1.25 ]; },\n"
	    "      { x = 1; y = \"s\"; z = ( 1.5 ); } );\n");
	assert_non_null(t = conf_load(p));
	l = conf_get(conf_root(t), "l");
	conf_fingerprint(conf_elem(l, 0), a, sizeof(a));
	conf_fingerprint(conf_elem(l, 1), b, sizeof(b));
	conf_fingerprint(conf_elem(l, 2), c, sizeof(c));
	conf_fingerprint(conf_elem(l, 3), d, sizeof(d));
	assert_int_equal(strlen(a), 16);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	conf_close(t);
	free(p);
}

static void
test_dump_keys(void **state)
{
	char *path = xasprintf("%s/keys.txt", tmpdir), line[256], *text = xstrdup("\n");
	static const char *const want[] = {
		"bridge.api.listen", "bridge.api.token", "bridge.api.token_file",
		"bridge.shard.count", "sources.interval", "sources.metrics.name",
		"rules.above", "subscribers.retry.max_attempts", "subscribers.path", NULL
	};
	FILE *f;
	int fd, saved;

	(void)state;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_non_null(f = fopen(path, "w+"));
	fd = fileno(f);
	dup2(fd, STDOUT_FILENO);
	config_dump_keys();
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *next = xasprintf("%s%s", text, line);

		free(text);
		text = next;
	}
	fclose(f);
	for (size_t i = 0; want[i] != NULL; i++) {
		char *needle = xasprintf("\n%s\n", want[i]);

		if (strstr(text, needle) == NULL)
			fail_msg("%s missing from config_dump_keys", want[i]);
		free(needle);
	}
	if (registry_poller_at(0) != NULL) {
		char *needle = xasprintf("\nsources.%s\n", registry_poller_at(0)->name);

		assert_non_null(strstr(text, needle));
		free(needle);
	}
	free(text);
	unlink(path);
	free(path);
}

static void
test_missing_file(void **state)
{
	(void)state;
	assert_null(config_load("/nonexistent/pollhook.conf"));
	assert_null(load_text("syntax.conf", "sources = ( { name = ; } );\n"));
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_timeout),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_errors_collected),
		cmocka_unit_test(test_many_sources),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_rule_applies),
		cmocka_unit_test(test_source_has_metric),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_dump_keys),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_discovered_sources),
	};
	const char *base = getenv("TMPDIR");
	int rc;

	tmpdir = xasprintf("%s/test_config.XXXXXX", base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	if (nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		perror(tmpdir);
	free(tmpdir);
	return rc;
}
