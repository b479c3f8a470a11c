/*
 * The management API's client for the CLI (`pollhook subscribers`,
 * `pollhook silences`): blocking libcurl requests with the token of the
 * configuration (or --url and --token-file). The CLI has no loop. An API
 * with bridge.api.tls_cert is reached with https, its certificate checked
 * against --cacert, else against that tls_cert file itself (the CLI runs
 * beside the daemon; libcurl accepts a trusted leaf), else libcurl's CAs.
 */

#include "cli_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config.h"
#include "xmalloc.h"

#define TIMEOUT_S	30L	/* a validation may take the endpoint's validation_timeout */

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* Sends one request; returns the HTTP status (0: none), the body in out. */
long
cli_api_request(const struct cli_api *c, const char *method, const char *path, const char *body,
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
	if (c->cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
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
int
cli_api_report(const struct cli_api *c, long status, struct buf *b)
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

/* Returns the API of config path: its URL and token (NULL with a message when off). */
int
cli_api_from_config(const char *path, struct cli_api *c)
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
		c->base = xasprintf("%s://%s", cfg->bridge.api.tls_cert != NULL ? "https" : "http",
		    cfg->bridge.api.listen);
	if (c->cacert == NULL && cfg->bridge.api.tls_cert != NULL)
		c->cacert = xstrdup(cfg->bridge.api.tls_cert);
	if (c->token == NULL && cfg->bridge.api.token != NULL)
		c->token = xstrdup(cfg->bridge.api.token);
	config_free(cfg);
	return 0;
}

char *
cli_api_read_token(const char *path)
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


const char *
cli_api_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || v == NULL)
		return "-";
	return json_object_get_string(v);
}
