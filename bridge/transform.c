/*
 * jq programs: compiling them (at config load, and again in the transform
 * worker) and running one on an input. Nothing here bounds the run time;
 * transform_worker.c runs this in a child process it can kill.
 */

#include "transform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "xmalloc.h"

struct transform {
	char *src;
	unsigned long id;
	jq_state *jq;
};

struct errs {
	char *buf;
	size_t len;
};

/* Keeps jq's first message: later ones tend to repeat it ("1 compile error"). */
static void
on_error(void *data, jv msg)
{
	struct errs *e = data;

	if (e->buf[0] == '\0') {
		size_t n;

		if (jv_get_kind(msg) == JV_KIND_STRING)
			snprintf(e->buf, e->len, "%s", jv_string_value(msg));
		else
			snprintf(e->buf, e->len, "jq error");
		/* jq quotes the line at fault on a line of its own, padded with spaces. */
		for (char *p = e->buf; *p != '\0'; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		n = strlen(e->buf);
		while (n > 0 && e->buf[n - 1] == ' ')
			e->buf[--n] = '\0';
	}
	jv_free(msg);
}

static void
on_error_ignore(void *data, jv msg)
{
	(void)data;
	jv_free(msg);
}

struct transform *
transform_compile(const char *src, char *err, size_t errlen)
{
	static unsigned long next_id;
	struct transform *t = xcalloc(1, sizeof(*t));
	struct errs e = { err, errlen };

	err[0] = '\0';
	t->src = xstrdup(src);
	t->id = ++next_id;
	if ((t->jq = jq_init()) == NULL) {
		snprintf(err, errlen, "jq could not start");
		goto fail;
	}
	jq_set_error_cb(t->jq, on_error, &e);
	if (!jq_compile(t->jq, src)) {
		if (err[0] == '\0')
			snprintf(err, errlen, "jq could not compile it");
		goto fail;
	}
	jq_set_error_cb(t->jq, on_error_ignore, NULL);
	return t;
fail:
	transform_free(t);
	return NULL;
}

void
transform_drop_compiled(struct transform *t)
{
	if (t->jq != NULL)
		jq_teardown(&t->jq);
}

const char *
transform_source(const struct transform *t)
{
	return t->src;
}

unsigned long
transform_id(const struct transform *t)
{
	return t->id;
}

void
transform_free(struct transform *t)
{
	if (t == NULL)
		return;
	if (t->jq != NULL)
		jq_teardown(&t->jq);
	free(t->src);
	free(t);
}

/* Writes the message of the invalid v (consumed) into err. */
static void
error_text(jv v, char *err, size_t errlen)
{
	jv msg = jv_invalid_get_msg(v);

	if (jv_get_kind(msg) == JV_KIND_STRING)
		snprintf(err, errlen, "jq: %s", jv_string_value(msg));
	else if (jv_get_kind(msg) == JV_KIND_NULL)
		snprintf(err, errlen, "jq: the program gave no value");
	else {
		jv s = jv_dump_string(msg, 0);

		snprintf(err, errlen, "jq: error %s", jv_string_value(s));
		jv_free(s);
		return;
	}
	jv_free(msg);
}

int
transform_run(struct transform *t, const char *input, size_t len, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	jv in = jv_parse_sized(input, (int)len), v, s;
	int rc = -1;

	*out = NULL;
	*outlen = 0;
	if (t->jq == NULL) {
		jv_free(in);
		snprintf(err, errlen, "jq: the program is not compiled here");
		return -1;
	}
	if (!jv_is_valid(in)) {
		error_text(in, err, errlen);
		return -1;
	}
	jq_start(t->jq, in, 0);
	v = jq_next(t->jq);
	if (!jv_is_valid(v)) {
		if (jv_invalid_has_msg(jv_copy(v)))
			error_text(v, err, errlen);
		else {
			jv_free(v);
			snprintf(err, errlen, "jq: the program gave no value (one is needed)");
		}
		return -1;
	}
	s = jv_dump_string(v, 0);
	if (jv_string_length_bytes(jv_copy(s)) > TRANSFORM_MAX_OUTPUT) {
		snprintf(err, errlen, "jq: the output is longer than %d bytes",
		    TRANSFORM_MAX_OUTPUT);
		goto out;
	}
	v = jq_next(t->jq);
	if (jv_is_valid(v)) {
		jv_free(v);
		snprintf(err, errlen, "jq: the program gave more than one value (one is needed)");
		goto out;
	}
	if (jv_invalid_has_msg(jv_copy(v))) {
		error_text(v, err, errlen);
		goto out;
	}
	jv_free(v);
	*outlen = (size_t)jv_string_length_bytes(jv_copy(s));
	*out = xmalloc(*outlen + 1);
	memcpy(*out, jv_string_value(s), *outlen + 1);
	rc = 0;
out:
	jv_free(s);
	return rc;
}
