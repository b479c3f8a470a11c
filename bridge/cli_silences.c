/*
 * `pollhook silences`: lists, adds and removes silences through the
 * management API of a running daemon (see cli_api.c). A table on a terminal,
 * the API's JSON when piped.
 */

#include "cli_silences.h"

#include <ev.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cli.h"
#include "cli_api.h"
#include "xmalloc.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pollhook silences list [-c FILE] [--url URL] [--token-file F] [--cacert F]\n"
	    "                                [--json]\n"
	    "       pollhook silences add [--source GLOB] [--rule GLOB] [--label NAME=GLOB]...\n"
	    "                             (--ends TIME | --duration SECONDS) [--starts TIME]\n"
	    "                             [--comment TEXT] [--creator NAME] [options]\n"
	    "       pollhook silences rm ID [options]\n"
	    "TIME is RFC 3339 (2026-12-02T10:00:00Z) or Unix seconds.\n");
}

static int
list(const struct cli_api *c)
{
	struct buf b = { 0 };
	struct json_object *j, *arr;
	long status = cli_api_request(c, "GET", "/v1/silences", NULL, &b);
	int rc = 0;

	if (status != 200 || c->json)
		return cli_api_report(c, status, &b);
	j = json_tokener_parse(b.p);
	if (j == NULL || !json_object_object_get_ex(j, "silences", &arr)) {
		fprintf(stderr, "pollhook: the API's answer is not a silence list\n");
		rc = 1;
		goto out;
	}
	printf("%-30s %-8s %-24s %-16s %-16s %s\n", "ID", "STATE", "ENDS", "SOURCE", "RULE",
	    "COMMENT");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *s = json_object_array_get_idx(arr, i), *m = NULL;

		json_object_object_get_ex(s, "matchers", &m);
		printf("%-30s %-8s %-24s %-16s %-16s %s\n", cli_api_field(s, "id"), cli_api_field(s, "state"),
		    cli_api_field(s, "ends"), cli_api_field(m, "source"), cli_api_field(m, "rule"), cli_api_field(s, "comment"));
	}
out:
	json_object_put(j);
	free(b.p);
	return rc;
}

/* Adds "NAME=GLOB" to the labels object; returns -1 (with a message) when it is none. */
static int
add_label(struct json_object *labels, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "pollhook: --label wants NAME=GLOB, not \"%s\"\n", arg);
		return -1;
	}
	name = xstrndup(arg, (size_t)(eq - arg));

	json_object_object_add(labels, name, json_object_new_string(eq + 1));
	free(name);
	return 0;
}

/* A time argument: Unix seconds as a number, anything else as the string it is. */
static struct json_object *
time_arg(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (*s != '\0' && *end == '\0' && isfinite(d))
		return json_object_new_double(d);
	return json_object_new_string(s);
}

int
cli_silences_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "source", required_argument, NULL, 's' }, { "rule", required_argument, NULL, 'r' },
		{ "label", required_argument, NULL, 'l' }, { "starts", required_argument, NULL, 'S' },
		{ "ends", required_argument, NULL, 'E' }, { "duration", required_argument, NULL, 'd' },
		{ "comment", required_argument, NULL, 'm' },
		{ "creator", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *conf = POLLHOOK_DEFAULT_CONFIG, *cmd;
	struct cli_api c = { .json = !isatty(STDOUT_FILENO) };
	struct json_object *body = json_object_new_object(), *m = json_object_new_object();
	struct json_object *labels = json_object_new_object();
	const char *creator = getenv("USER"), *duration = NULL;
	struct buf b = { 0 };
	char *path = NULL, *end;
	bool ends = false;
	int ch, rc = 2;

	optind = 2;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'u': free(c.base); c.base = xstrdup(optarg); break;
		case 'A': free(c.cacert); c.cacert = xstrdup(optarg); break;
		case 't':
			free(c.token);
			if ((c.token = cli_api_read_token(optarg)) == NULL) {
				rc = 1;
				goto out;
			}
			break;
		case 'j': c.json = true; break;
		case 's': json_object_object_add(m, "source", json_object_new_string(optarg)); break;
		case 'r': json_object_object_add(m, "rule", json_object_new_string(optarg)); break;
		case 'l':
			if (add_label(labels, optarg) != 0)
				goto out;
			break;
		case 'S': json_object_object_add(body, "starts", time_arg(optarg)); break;
		case 'E': json_object_object_add(body, "ends", time_arg(optarg)); ends = true; break;
		case 'd': duration = optarg; break;
		case 'm': json_object_object_add(body, "comment", json_object_new_string(optarg)); break;
		case 'C': creator = optarg; break;
		case 'h': usage(stdout); rc = 0; goto out;
		default: usage(stderr); goto out;
		}
	}
	if (argc < 2 || optind >= argc) {
		usage(stderr);
		goto out;
	}
	cmd = argv[optind];
	if ((c.base == NULL || c.token == NULL) && cli_api_from_config(conf, &c) != 0 &&
	    c.base == NULL) {
		rc = 1;
		goto out;
	}
	if (strcmp(cmd, "list") == 0 && optind + 1 == argc) {
		rc = list(&c);
	} else if (strcmp(cmd, "add") == 0 && optind + 1 == argc) {
		if (json_object_object_length(m) == 0 && json_object_object_length(labels) == 0) {
			fprintf(stderr, "pollhook: a silence needs --source, --rule or --label\n");
			goto out;
		}
		if (duration != NULL) {
			double d = strtod(duration, &end);

			if (*duration == '\0' || *end != '\0' || !(d > 0) || !isfinite(d) || ends) {
				fprintf(stderr, "pollhook: --duration wants a number of seconds above "
				    "0, and no --ends\n");
				goto out;
			}
			json_object_object_add(body, "ends", json_object_new_double(ev_time() + d));
		}
		if (json_object_object_length(labels) > 0)
			json_object_object_add(m, "labels", json_object_get(labels));
		json_object_object_add(body, "matchers", json_object_get(m));
		if (creator != NULL)
			json_object_object_add(body, "creator", json_object_new_string(creator));
		rc = cli_api_report(&c, cli_api_request(&c, "POST", "/v1/silences",
		    json_object_to_json_string(body), &b), &b);
	} else if (strcmp(cmd, "rm") == 0 && optind + 2 == argc) {
		char *esc = curl_easy_escape(NULL, argv[optind + 1], 0);

		path = xasprintf("/v1/silences/%s", esc);
		curl_free(esc);
		rc = cli_api_report(&c, cli_api_request(&c, "DELETE", path, NULL, &b), &b);
	} else
		usage(stderr);
out:
	json_object_put(body);
	json_object_put(m);
	json_object_put(labels);
	free(path);
	free(c.base);
	free(c.token);
	free(c.cacert);
	return rc;
}
