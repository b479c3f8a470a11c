/*
 * `pollhook subscribers`: lists, adds, removes, rotates and tests dynamic
 * subscribers through the management API of a running daemon, with the
 * token of the configuration (or --url and --token-file). A table on a
 * terminal, the API's JSON when piped. Blocking libcurl: the CLI has no loop.
 */

#include "cli_subs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "xmalloc.h"

#define TIMEOUT_S	30L	/* a validation may take the endpoint's validation_timeout */

struct client {
	char *base;		/* "http://host:port" */
	char *token;		/* NULL: none */
	bool json;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook subscribers list [-c FILE] [--url URL] [--token-file F] [--json]\n"
	    "       pollhook subscribers add URL [--name N] [--secret S] [--events GLOB,...]\n"
	    "                                [--signature standard|zoom|github] [options]\n"
	    "       pollhook subscribers rm NAME [options]\n"
	    "       pollhook subscribers rotate NAME [--grace SECONDS] [options]\n"
	    "       pollhook subscribers test NAME [options]\n");
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* Sends one request; returns the HTTP status (0: none), the body in out. */
static long
request(const struct client *c, const char *method, const char *path, const char *body,
    struct buf *out)
{
	CURL *e = curl_easy_init();
	struct curl_slist *h = NULL;
	char *url = xasprintf("%s%s", c->base, path), *auth = NULL;
	long status = 0;
	CURLcode rc;

	if (e == NULL) {
		free(url);
		return 0;
	}
	if (c->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, TIMEOUT_S);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	if (body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK)
		fprintf(stderr, "pollhook: %s: %s\n", url, curl_easy_strerror(rc));
	else
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	buf_str(out, "");
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	free(auth);
	free(url);
	return status;
}

/* Prints an answer: JSON as it came, or its error. Returns the exit status. */
static int
report(const struct client *c, long status, struct buf *b)
{
	struct json_object *j = b->p != NULL ? json_tokener_parse(b->p) : NULL, *err;
	int rc = status >= 200 && status < 300 ? 0 : 1;

	if (status == 0)
		rc = 1;
	else if (rc != 0 && j != NULL && json_object_object_get_ex(j, "error", &err))
		fprintf(stderr, "pollhook: HTTP %ld: %s\n", status, json_object_get_string(err));
	else if (rc != 0)
		fprintf(stderr, "pollhook: HTTP %ld\n", status);
	else if (c->json || j == NULL)
		printf("%s", b->p != NULL ? b->p : "");
	else
		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	free(b->p);
	return rc;
}

static const char *
field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}

static int
list(const struct client *c)
{
	struct buf b = { 0 };
	char *after = NULL, *path;
	long status;
	int rc = 0;

	if (!c->json)
		printf("%-24s %-7s %-19s %-9s %s\n", "NAME", "ORIGIN", "STATE", "FAILURES", "URL");
	for (;;) {
		struct json_object *j, *arr, *next, *h;
		char *esc = after != NULL ? curl_easy_escape(NULL, after, 0) : NULL;

		path = xasprintf("/v1/subscribers?limit=1000%s%s", esc != NULL ? "&after=" : "",
		    esc != NULL ? esc : "");
		curl_free(esc);
		b.len = 0;
		status = request(c, "GET", path, NULL, &b);
		free(path);
		if (status != 200)
			return report(c, status, &b);
		j = json_tokener_parse(b.p);
		if (j == NULL || !json_object_object_get_ex(j, "subscribers", &arr)) {
			fprintf(stderr, "pollhook: the API's answer is not a subscriber list\n");
			json_object_put(j);
			rc = 1;
			break;
		}
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *s = json_object_array_get_idx(arr, i);

			if (c->json) {
				printf("%s\n", json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
				    JSON_C_TO_STRING_NOSLASHESCAPE));
				continue;
			}
			h = NULL;
			json_object_object_get_ex(s, "health", &h);
			printf("%-24s %-7s %-19s %-9s %s\n", field(s, "name"), field(s, "origin"),
			    field(s, "state"), h != NULL ? field(h, "consecutive_failures") : "-",
			    field(s, "url"));
		}
		free(after);
		after = json_object_object_get_ex(j, "next", &next) && next != NULL ?
		    xstrdup(json_object_get_string(next)) : NULL;
		json_object_put(j);
		if (after == NULL)
			break;
	}
	free(after);
	free(b.p);
	return rc;
}

/* Returns the API of config path: its URL and token (NULL with a message when off). */
static int
from_config(const char *path, struct client *c)
{
	struct config *cfg = config_load(path);

	if (cfg == NULL)
		return -1;
	if (cfg->bridge.api.listen == NULL && c->base == NULL) {
		fprintf(stderr, "pollhook: %s has no bridge.api.listen: give --url\n", path);
		config_free(cfg);
		return -1;
	}
	if (c->base == NULL)
		c->base = xasprintf("http://%s", cfg->bridge.api.listen);
	if (c->token == NULL && cfg->bridge.api.token != NULL)
		c->token = xstrdup(cfg->bridge.api.token);
	config_free(cfg);
	return 0;
}

static char *
read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];

	if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
		fprintf(stderr, "pollhook: cannot read the token from %s\n", path);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return xstrdup(line);
}

int
cli_subs_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "name", required_argument, NULL, 'n' }, { "secret", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "signature", required_argument, NULL, 'S' },
		{ "grace", required_argument, NULL, 'g' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = POLLHOOK_DEFAULT_CONFIG, *name = NULL, *secret = NULL;
	const char *events = NULL, *sig = NULL, *grace = NULL, *cmd;
	struct client c = { .json = !isatty(STDOUT_FILENO) };
	struct json_object *o;
	struct buf b = { 0 };
	char *path = NULL;
	int ch, rc = 2;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'u': free(c.base); c.base = xstrdup(optarg); break;
		case 't': free(c.token); if ((c.token = read_token(optarg)) == NULL) return 1; break;
		case 'j': c.json = true; break;
		case 'n': name = optarg; break;
		case 's': secret = optarg; break;
		case 'e': events = optarg; break;
		case 'S': sig = optarg; break;
		case 'g': grace = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc < 2 || optind >= argc) {
		usage(stderr);
		goto out;
	}
	cmd = argv[optind];
	if ((c.base == NULL || c.token == NULL) && from_config(conf, &c) != 0 && c.base == NULL) {
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "list") == 0 && optind + 1 == argc) {
		rc = list(&c);
	} else if (strcmp(cmd, "add") == 0 && optind + 2 == argc) {
		o = json_object_new_object();
		json_object_object_add(o, "url", json_object_new_string(argv[optind + 1]));
		if (name != NULL)
			json_object_object_add(o, "name", json_object_new_string(name));
		if (secret != NULL)
			json_object_object_add(o, "secret", json_object_new_string(secret));
		if (sig != NULL)
			json_object_object_add(o, "signature", json_object_new_string(sig));
		if (events != NULL) {
			struct json_object *a = json_object_new_array();
			const char *g = events, *comma;

			for (; *g != '\0'; g = *comma != '\0' ? comma + 1 : comma) {
				comma = g + strcspn(g, ",");
				if (comma > g)
					json_object_array_add(a, json_object_new_string_len(g,
					    (int)(comma - g)));
			}
			json_object_object_add(o, "events", a);
		}
		rc = report(&c, request(&c, "POST", "/v1/subscribers",
		    json_object_to_json_string(o), &b), &b);
		json_object_put(o);
	} else if ((strcmp(cmd, "rm") == 0 || strcmp(cmd, "rotate") == 0 ||
	    strcmp(cmd, "test") == 0) && optind + 2 == argc) {
		char *esc = curl_easy_escape(NULL, argv[optind + 1], 0);
		char *gbody = grace != NULL ? xasprintf("{\"grace\": %g}", strtod(grace, NULL)) : NULL;

		if (strcmp(cmd, "rm") == 0)
			path = xasprintf("/v1/subscribers/%s", esc);
		else
			path = xasprintf("/v1/subscribers/%s/%s", esc,
			    strcmp(cmd, "rotate") == 0 ? "secret" : "test");
		curl_free(esc);
		rc = report(&c, request(&c, strcmp(cmd, "rm") == 0 ? "DELETE" : "POST", path,
		    strcmp(cmd, "rotate") == 0 ? (gbody != NULL ? gbody : "{}") : NULL, &b), &b);
		free(gbody);
	} else
		usage(stderr);
out:
	free(path);
	free(c.base);
	free(c.token);
	return rc;
}
