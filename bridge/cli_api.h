#ifndef POLLHOOK_CLI_API_H
#define POLLHOOK_CLI_API_H

/* The management API's client for the CLI: blocking requests and their report. */

#include <stdbool.h>

#include "buf.h"

struct json_object;

struct cli_api {
	char *base;		/* "http://host:port" or "https://host:port" */
	char *token;		/* NULL: none */
	char *cacert;		/* CA file for an https API; NULL: libcurl's default */
	bool json;
};

/* Sends one request (body NULL: none); returns the HTTP status (0: none), the body in out. */
long cli_api_request(const struct cli_api *c, const char *method, const char *path,
    const char *body, struct buf *out);
/* Prints an answer (JSON as it came, or its error), frees b's data; returns the exit status. */
int cli_api_report(const struct cli_api *c, long status, struct buf *b);
/* Fills c's URL and token from config path where not given; -1 with a message when it cannot. */
int cli_api_from_config(const char *path, struct cli_api *c);
/* Returns the token in the first line of path (newly allocated), or NULL with a message. */
char *cli_api_read_token(const char *path);
/* Returns o's member k as a string, or "-" when it is absent or null (for tables). */
const char *cli_api_field(struct json_object *o, const char *k);

#endif
