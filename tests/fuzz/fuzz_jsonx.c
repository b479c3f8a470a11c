/*
 * Fuzz target of the JSON extraction an HTTP body goes through: the
 * incremental parser (fed in two pieces), pointers with wildcards, value and
 * item conversion. Input: a pointer on the first line, a key pointer on the
 * second, then the body. Built with -fsanitize=fuzzer it is a libFuzzer
 * target; otherwise tests/fuzz/replay.c runs it over the corpus in make check.
 * Besides not crashing it checks that the parser's verdict does not depend
 * on how the body is cut (json-c's does), and that no number it lets through
 * converts to an infinite or NaN value.
 */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonx.h"
#include "sample.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	const struct jsonx_ptr *key;
	size_t seen;
};

static void
on_match(void *arg, const char *instance, struct json_object *elem, struct json_object *o,
    const char *err)
{
	struct ctx *c = arg;
	struct value v;
	char msg[256];
	char *text;

	(void)instance;
	(void)elem;
	c->seen++;
	if (err != NULL)
		return;
	memset(&v, 0, sizeof(v));
	if (jsonx_value(o, &v, msg, sizeof(msg)) == 0) {
		if (v.type == VALUE_NUMBER && !isfinite(v.num))
			abort();
		value_clear(&v);
	}
	text = jsonx_scalar_text(o);
	free(text);
	if (c->key != NULL && jsonx_items(o, c->key, &v, msg, sizeof(msg)) == 0)
		value_clear(&v);
	(void)jsonx_type_name(o);
}

/* Splits off one line of at most 256 bytes; returns it NUL-terminated or NULL. */
static char *
take_line(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size < 257 ? *size : 257);
	char *line;

	if (nl == NULL)
		return NULL;
	line = xstrndup((const char *)*data, (size_t)(nl - *data));
	*size -= (size_t)(nl - *data) + 1;
	*data = nl + 1;
	return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ptext = take_line(&data, &size), *ktext = NULL;
	struct jsonx_ptr *p = NULL, *k = NULL;
	struct jsonx_parser *jp;
	struct json_object *root = NULL;
	struct ctx c = { NULL, 0 };
	char err[256];
	size_t half = size / 2;
	int whole, rc;

	if (ptext != NULL)
		ktext = take_line(&data, &size);
	if (ptext != NULL)
		p = jsonx_compile(ptext, err, sizeof(err));
	if (ktext != NULL)
		k = jsonx_compile(ktext, err, sizeof(err));
	half = size / 2;
	jp = jsonx_parser_new(0);
	jsonx_parser_feed(jp, (const char *)data, size);
	whole = jsonx_parser_finish(jp, &root, err, sizeof(err));
	json_object_put(root);
	jsonx_parser_free(jp);
	root = NULL;
	jp = jsonx_parser_new(0);
	if (jsonx_parser_feed(jp, (const char *)data, half) == 0)
		jsonx_parser_feed(jp, (const char *)data + half, size - half);
	rc = jsonx_parser_finish(jp, &root, err, sizeof(err));
	if (rc != whole)
		abort();
	if (rc == 0 && p != NULL) {
		c.key = k;
		jsonx_eval(p, root, on_match, &c, err, sizeof(err));
	}
	json_object_put(root);
	jsonx_parser_free(jp);
	jsonx_free(p);
	jsonx_free(k);
	free(ptext);
	free(ktext);
	return 0;
}
