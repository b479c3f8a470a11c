/*
 * Fuzz target of the management API's request handling without a socket
 * (bridge/api.c's router through api_request, the query arguments of
 * /v1/events and /v1/deliveries, the bearer token, and the subscriber
 * endpoints of bridge/api_subs.c with their JSON bodies), over a real
 * SQLite store in a private directory, kept between inputs. The input reads
 * like an HTTP request: "METHOD URL[?name=value&...]" on the first line,
 * "Name: value" headers up to an empty line, then the body. The endpoints
 * that reach out to a URL (POST .../validate, .../test and /websub) are left
 * out: a fuzzer must not send requests anywhere; subscriptions use
 * validation = "none" for the same reason, and deliveries are never
 * started. Built with -fsanitize=fuzzer it is a libFuzzer target;
 * otherwise tests/fuzz/replay.c runs it over the corpus in make check.
 */

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "delivery.h"
#include "engine.h"
#include "event.h"
#include "fuzz_files.h"
#include "log.h"
#include "store.h"
#include "subs.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAIRS_MAX	16	/* query arguments and headers, each */
#define LINE_MAX_LEN	4096

struct world {
	struct ev_loop *loop;
	struct config *cfg;
	struct store *st;
	struct delivery *dlv;
	struct subs *subs;
	struct engine *eng;
	struct api *api;
};

static struct world w;

static void
on_event(void *arg, struct event *ev)
{
	(void)arg;
	event_free(ev);
}

static void
world_free(void)
{
	api_free(w.api);
	engine_free(w.eng);
	delivery_free(w.dlv);
	subs_free(w.subs);
	store_close(w.st);
	config_free(w.cfg);
	ev_loop_destroy(w.loop);
}

static void
world_new(void)
{
	struct engine_sink sink = { NULL, on_event, NULL };
	char text[2048], err[512];
	const char *path;

	fuzz_no_stdin();
	log_init(LOG_LEVEL_ERROR, false);
	snprintf(text, sizeof(text),
	    "bridge = {\n"
	    "  state_dir = \"%s\";\n"
	    "  api = { listen = \"127.0.0.1:9\"; token = \"fuzz-token\";\n"
	    "    subscriptions = { validation = \"none\"; require_https = false; max = 20;\n"
	    "      allow_networks = [ \"192.0.2.0/24\" ]; };\n"
	    "  };\n"
	    "};\n"
	    "sources = ( { name = \"api-1\"; poller = \"http\"; interval = 60.0;\n"
	    "  http = { url = \"http://127.0.0.1:9/x\"; };\n"
	    "  metrics = ( { name = \"cpu\"; json = \"/cpu\"; } ); } );\n"
	    "rules = ( { name = \"cpu.high\"; metric = \"cpu\"; above = 90.0; } );\n"
	    "subscribers = ( { name = \"static\"; url = \"http://127.0.0.1:9/hook\";\n"
	    "  signature = \"none\"; } );\n", fuzz_path(""));
	path = fuzz_write("pollhook.conf", text, strlen(text));
	if ((w.cfg = config_load(path)) == NULL)
		abort();
	/* No listening socket: requests come through api_request only. */
	free(w.cfg->bridge.api.listen);
	w.cfg->bridge.api.listen = NULL;
	if ((w.loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    (w.st = store_open(w.loop, &w.cfg->bridge.store, 0, err, sizeof(err))) == NULL ||
	    (w.dlv = delivery_new(w.loop, w.cfg, w.st)) == NULL) {
		fprintf(stderr, "fuzz_api: %s\n", err);
		abort();
	}
	w.subs = subs_new(w.loop, w.cfg, w.dlv, w.st);
	if ((w.eng = engine_new(w.loop, w.cfg, &sink)) == NULL ||
	    (w.api = api_new(w.loop, w.cfg, w.eng, w.dlv, w.st)) == NULL)
		abort();
	api_set_subs(w.api, w.subs);
	atexit(world_free);
}

/* Takes one line (without its newline) off the input, at most LINE_MAX_LEN bytes. */
static char *
take_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl != NULL ? (size_t)(nl - *data) : *size;
	char *line = xstrndup((const char *)*data, n < LINE_MAX_LEN ? n : LINE_MAX_LEN);

	*data += nl != NULL ? n + 1 : n;
	*size -= nl != NULL ? n + 1 : n;
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	return line;
}

/* Whether the request would make pollhook send one (see the top). */
static bool
reaches_out(const char *method, const char *url)
{
	size_t n = strlen(url);

	if (strcmp(method, "POST") != 0)
		return false;
	return strcmp(url, "/websub") == 0 ||
	    (n >= 9 && strcmp(url + n - 9, "/validate") == 0) ||
	    (n >= 5 && strcmp(url + n - 5, "/test") == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *args[2 * PAIRS_MAX + 2], *headers[2 * PAIRS_MAX + 2];
	char *first, *url, *query, *tok, *answer, *lines[PAIRS_MAX];
	size_t nargs = 0, nheaders = 0, nlines = 0;

	if (w.api == NULL)
		world_new();
	first = take_line(&data, &size);
	if ((url = strchr(first, ' ')) == NULL)
		goto out;
	*url++ = '\0';
	if ((query = strchr(url, '?')) != NULL) {
		*query++ = '\0';
		while ((tok = strsep(&query, "&")) != NULL && nargs < PAIRS_MAX) {
			char *eq = strchr(tok, '=');

			if (eq != NULL)
				*eq++ = '\0';
			args[2 * nargs] = tok;
			args[2 * nargs + 1] = eq != NULL ? eq : "";
			nargs++;
		}
	}
	while (size > 0 && nlines < PAIRS_MAX) {
		char *line = take_line(&data, &size), *colon;

		if (*line == '\0') {
			free(line);
			break;
		}
		lines[nlines++] = line;
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon++ = '\0';
		headers[2 * nheaders] = line;
		headers[2 * nheaders + 1] = colon + strspn(colon, " \t");
		nheaders++;
	}
	args[2 * nargs] = headers[2 * nheaders] = NULL;
	if (!reaches_out(first, url)) {
		api_request(w.api, first, url, args, headers, size > 0 ? (const char *)data :
		    NULL, size, 5.0, &answer);
		free(answer);
	}
	for (size_t i = 0; i < nlines; i++)
		free(lines[i]);
out:
	free(first);
	return 0;
}
