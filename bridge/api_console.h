#ifndef POLLHOOK_API_CONSOLE_H
#define POLLHOOK_API_CONSOLE_H

/*
 * The operator's console: static HTML, CSS and JavaScript (console/) built
 * into the binary by console/embed.sh and served by the management API at
 * GET /, without the token (the page asks for it and sends it with each of
 * its API requests).
 */

#include <stddef.h>

struct console_file {
	const char *path;	/* "/" for index.html, else "/NAME" */
	const char *type;	/* Content-Type */
	const unsigned char *data;
	size_t len;
};

/* The files, ending with a NULL path (console_data.c, generated). */
extern const struct console_file console_files[];

/*
 * The Content-Security-Policy of the console's answers: nothing from
 * elsewhere, no inline script or style, no frames, no forms.
 */
#define API_CONSOLE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " \
	"frame-ancestors 'none'"

/* Returns the console's file at url (a request's path), or NULL. */
const struct console_file *api_console_find(const char *url);

#endif
