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
#include "cli_api.h"
#include "config.h"
#include "xmalloc.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook subscribers list [-c FILE] [--url URL] [--token-file F] [--cacert F]\n"
	    "                                [--json]\n"
	    "       pollhook subscribers add URL [--name N] [--secret S] [--events GLOB,...]\n"
	    "                                [--signature standard|zoom|github] [options]\n"
	    "       pollhook subscribers rm NAME [options]\n"
	    "       pollhook subscribers rotate NAME [--grace DURATION] [options]\n"
	    "       pollhook subscribers test NAME [options]\n");
}

static int
list(const struct cli_api *c)
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
		status = cli_api_request(c, "GET", path, NULL, &b);
		free(path);
		if (status != 200)
			return cli_api_report(c, status, &b);
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
			printf("%-24s %-7s %-19s %-9s %s\n", cli_api_field(s, "name"), cli_api_field(s, "origin"),
			    cli_api_field(s, "state"), h != NULL ? cli_api_field(h, "consecutive_failures") : "-",
			    cli_api_field(s, "url"));
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

int
cli_subs_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "name", required_argument, NULL, 'n' }, { "secret", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "signature", required_argument, NULL, 'S' },
		{ "grace", required_argument, NULL, 'g' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = POLLHOOK_DEFAULT_CONFIG, *name = NULL, *secret = NULL;
	const char *events = NULL, *sig = NULL, *grace = NULL, *cmd;
	struct cli_api c = { .json = !isatty(STDOUT_FILENO) };
	struct json_object *o;
	struct buf b = { 0 };
	char *path = NULL;
	int ch, rc = 2;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'u': free(c.base); c.base = xstrdup(optarg); break;
		case 'A': free(c.cacert); c.cacert = xstrdup(optarg); break;
		case 't': free(c.token); if ((c.token = cli_api_read_token(optarg)) == NULL) return 1; break;
		case 'j': c.json = true; break;
		case 'n': name = optarg; break;
		case 's': secret = optarg; break;
		case 'e': events = optarg; break;
		case 'S': sig = optarg; break;
		case 'g':
			if (cli_parse_duration(optarg) < 0) {
				fprintf(stderr, "pollhook: --grace wants a duration (seconds, or a "
				    "number followed by s, m, h or d)\n");
				return 2;
			}
			grace = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc < 2 || optind >= argc) {
		usage(stderr);
		goto out;
	}
	cmd = argv[optind];
	if ((c.base == NULL || c.token == NULL) && cli_api_from_config(conf, &c) != 0 && c.base == NULL) {
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
		rc = cli_api_report(&c, cli_api_request(&c, "POST", "/v1/subscribers",
		    json_object_to_json_string(o), &b), &b);
		json_object_put(o);
	} else if ((strcmp(cmd, "rm") == 0 || strcmp(cmd, "rotate") == 0 ||
	    strcmp(cmd, "test") == 0) && optind + 2 == argc) {
		char *esc = curl_easy_escape(NULL, argv[optind + 1], 0);
		char *gbody = grace != NULL ? xasprintf("{\"grace\": %.17g}", cli_parse_duration(grace)) : NULL;

		if (strcmp(cmd, "rm") == 0)
			path = xasprintf("/v1/subscribers/%s", esc);
		else
			path = xasprintf("/v1/subscribers/%s/%s", esc,
			    strcmp(cmd, "rotate") == 0 ? "secret" : "test");
		curl_free(esc);
		rc = cli_api_report(&c, cli_api_request(&c, strcmp(cmd, "rm") == 0 ? "DELETE" : "POST", path,
		    strcmp(cmd, "rotate") == 0 ? (gbody != NULL ? gbody : "{}") : NULL, &b), &b);
		free(gbody);
	} else
		usage(stderr);
out:
	free(path);
	free(c.base);
	free(c.token);
	free(c.cacert);
	return rc;
}
