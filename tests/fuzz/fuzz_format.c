/*
 * Fuzz target of the payload formats: the input is an event's stored
 * envelope (what a delivery read back from the store renders from), given to
 * every built-in format in turn through format_render, which reads it in
 * place (bridge/json_scan.c) once per event. Built with -fsanitize=fuzzer it
 * is a libFuzzer target; otherwise tests/fuzz/replay.c runs it over the
 * corpus in make check. Besides not crashing it checks what a receiver relies
 * on: a body rendered is one JSON value (json-c, strict), of the length
 * given, and no header carries a line break.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "event.h"
#include "format.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENVELOPE_MAX	(64 * 1024)

/* The formats as a subscriber names them, with the keys they need. */
static const struct {
	const char *format, *mode, *routing_key;
} variants[] = {
	{ "cloudevents", "structured", NULL },
	{ "cloudevents", "binary", NULL },
	{ "slack", NULL, NULL },
	{ "teams", NULL, NULL },
	{ "pagerduty", NULL, "R0123456789abcdefghijklmnopqrstu" },
	{ "alertmanager", NULL, NULL },
};

/* Aborts unless data[0 .. len) is exactly one JSON value. */
static void
check_json(const char *data, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH * 32);
	struct json_object *j;

	if (memchr(data, '\0', len) != NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, data, (int)len);
	if (j == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		j = json_tokener_parse_ex(tok, "", 1);
	if (json_tokener_get_error(tok) != json_tokener_success)
		abort();
	json_object_put(j);
	json_tokener_free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event *ev;

	if (size > ENVELOPE_MAX || memchr(data, '\0', size) != NULL)
		return 0;
	ev = event_new("cpu.high", "cpu.high", "edge-1", NULL, NULL, 1764393600000);
	event_finish(ev);
	free(ev->body);
	ev->body = xstrndup((const char *)data, size);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		struct format_conf fc;
		struct format_body b;
		char err[256];

		if (format_configure_dynamic(&fc, variants[i].format, variants[i].mode,
		    variants[i].routing_key, NULL, err, sizeof(err)) != 0)
			abort();
		if (format_render(&fc, ev, "sub", &b, err, sizeof(err)) == 0) {
			check_json(b.data, b.len);
			for (size_t h = 0; h < b.nheaders; h++)
				if (strpbrk(b.headers[h], "\r\n") != NULL)
					abort();
			format_body_clear(&b);
		} else if (err[0] == '\0')
			abort();
		format_clear(&fc);
	}
	event_free(ev);
	return 0;
}
