/*
 * Unit tests of the payload formats and jq transforms: the envelope is the
 * stored body itself, the readable line, PagerDuty's actions, dedup keys and
 * severities, Alertmanager's fingerprint, CloudEvents' binary headers, and
 * what a transform may output.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "format.h"
#include "registry.h"
#include "transform.h"

/* A threshold event as rule.c makes it: state firing or resolved. */
static struct event *
make_event(const char *state, const char *severity, double value)
{
	bool resolved = strcmp(state, "resolved") == 0;
	struct event *ev = event_new(resolved ? "cpu.high.resolved" : "cpu.high", "cpu.high",
	    "edge-router-1", "eth 0", NULL, 1764393600123LL);
	struct json_object *pl = ev->payload;

	json_object_object_add(pl, "source", json_object_new_string("edge-router-1"));
	json_object_object_add(pl, "metric", json_object_new_string("cpu"));
	json_object_object_add(pl, "state", json_object_new_string(state));
	/* rule.c writes an integral value as an integer. */
	json_object_object_add(pl, "value", json_object_new_int((int)value));
	json_object_object_add(pl, "threshold", json_object_new_int(90));
	json_object_object_add(pl, "clear", json_object_new_int(85));
	json_object_object_add(pl, "severity", severity != NULL ?
	    json_object_new_string(severity) : NULL);
	json_object_object_add(pl, "since", json_object_new_string("2025-11-29T05:20:00.000Z"));
	event_finish(ev);
	return ev;
}

static struct json_object *
render(const char *format, struct event *ev, struct format_body *b)
{
	struct format_conf fc;
	char err[256];

	assert_int_equal(format_configure_dynamic(&fc, format, NULL,
	    strcmp(format, "pagerduty") == 0 ? "R0123456789abcdefghijklmnopqrstu" : NULL, NULL,
	    err, sizeof(err)), 0);
	assert_int_equal(format_render(&fc, ev, "sub", b, err, sizeof(err)), 0);
	format_clear(&fc);
	return json_tokener_parse(b->data);
}

static const char *
str_at(struct json_object *j, const char *a, const char *b)
{
	struct json_object *v = j;

	if (a != NULL)
		v = json_object_object_get(v, a);
	if (b != NULL)
		v = json_object_object_get(v, b);
	return json_object_get_string(v);
}

static void
test_envelope_is_the_body(void **unused)
{
	struct event *ev = make_event("firing", "critical", 95);
	struct format_body b;
	char err[64];

	(void)unused;
	assert_int_equal(format_render(NULL, ev, "sub", &b, err, sizeof(err)), 0);
	assert_ptr_equal(b.data, ev->body);	/* not a copy: byte for byte */
	assert_int_equal(b.len, strlen(ev->body));
	assert_string_equal(b.content_type, "application/json");
	format_body_clear(&b);
	event_free(ev);
}

static void
test_summary_and_slack(void **unused)
{
	struct event *f = make_event("firing", "critical", 95), *r = make_event("resolved",
	    "critical", 80);
	struct format_body b;
	struct json_object *j;

	(void)unused;
	j = render("slack", f, &b);
	assert_string_equal(str_at(j, "text", NULL),
	    "cpu.high firing on edge-router-1: cpu[eth 0] 95 > 90 (critical)");
	json_object_put(j);
	format_body_clear(&b);
	j = render("slack", r, &b);
	assert_string_equal(str_at(j, "text", NULL),
	    "cpu.high resolved on edge-router-1: cpu[eth 0] 80 <= 85 (critical)");
	json_object_put(j);
	format_body_clear(&b);
	event_free(f);
	event_free(r);
}

static void
test_pagerduty(void **unused)
{
	struct event *f = make_event("firing", "Major", 95), *r = make_event("resolved", "Major",
	    80), *n = make_event("firing", NULL, 95);
	struct format_body b;
	struct json_object *jf, *jr, *jn;

	(void)unused;
	jf = render("pagerduty", f, &b);
	format_body_clear(&b);
	jr = render("pagerduty", r, &b);
	format_body_clear(&b);
	jn = render("pagerduty", n, &b);
	format_body_clear(&b);
	assert_string_equal(str_at(jf, "event_action", NULL), "trigger");
	assert_string_equal(str_at(jr, "event_action", NULL), "resolve");
	assert_string_equal(str_at(jf, "dedup_key", NULL), str_at(jr, "dedup_key", NULL));
	assert_string_equal(str_at(jf, "dedup_key", NULL), "pollhook/edge-router-1/cpu.high/eth 0");
	assert_string_equal(str_at(jf, "payload", "severity"), "error");	/* major */
	assert_string_equal(str_at(jn, "payload", "severity"), "error");	/* none */
	assert_null(json_object_object_get(jr, "payload"));
	json_object_put(jf);
	json_object_put(jr);
	json_object_put(jn);
	event_free(f);
	event_free(r);
	event_free(n);
}

static void
test_alertmanager_fingerprint(void **unused)
{
	struct event *f = make_event("firing", "critical", 95), *r = make_event("resolved",
	    "critical", 80);
	struct format_body b;
	struct json_object *jf, *jr, *af, *ar;

	(void)unused;
	jf = render("alertmanager", f, &b);
	format_body_clear(&b);
	jr = render("alertmanager", r, &b);
	format_body_clear(&b);
	af = json_object_array_get_idx(json_object_object_get(jf, "alerts"), 0);
	ar = json_object_array_get_idx(json_object_object_get(jr, "alerts"), 0);
	assert_string_equal(str_at(af, "fingerprint", NULL), str_at(ar, "fingerprint", NULL));
	assert_int_equal(strlen(str_at(af, "fingerprint", NULL)), 16);
	assert_string_equal(str_at(af, "endsAt", NULL), "0001-01-01T00:00:00Z");
	assert_string_equal(str_at(ar, "endsAt", NULL), "2025-11-29T05:20:00.123Z");
	assert_string_equal(str_at(jr, "status", NULL), "resolved");
	assert_string_equal(str_at(af, "labels", "instance"), "eth 0");
	json_object_put(jf);
	json_object_put(jr);
	event_free(f);
	event_free(r);
}

static void
test_cloudevents_binary(void **unused)
{
	struct event *f = make_event("firing", "critical", 95);
	struct format_conf fc;
	struct format_body b;
	char err[256];
	bool subject = false;

	(void)unused;
	assert_int_equal(format_configure_dynamic(&fc, "cloudevents", "binary", NULL, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(format_render(&fc, f, "sub", &b, err, sizeof(err)), 0);
	for (size_t i = 0; i < b.nheaders; i++)
		if (strcmp(b.headers[i], "ce-subject: cpu/eth%200") == 0)
			subject = true;
	assert_true(subject);	/* the space is percent-encoded */
	assert_string_equal(b.content_type, "application/json");
	format_body_clear(&b);
	format_clear(&fc);
	assert_int_equal(format_configure_dynamic(&fc, "slack", "binary", NULL, NULL, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "cloudevents_mode"));
	event_free(f);
}

/* An event whose body is the envelope text given, as a claimed store row makes it. */
static struct event *
stored_event(const char *body)
{
	struct event *ev = event_new("cpu.high", "cpu.high", "r\"1/x", NULL, NULL,
	    1764393600123LL);

	snprintf(ev->id, sizeof(ev->id), "evt_01KB0000000000000000000000");
	ev->body = strdup(body);
	return ev;
}

static void
test_written_json(void **unused)
{
	/* Strings with every kind of escape, an object value, a label that is not a string. */
	struct event *ev = stored_event("{\"event\":\"cpu.high\",\"event_ts\":1,\"id\":\"x\","
	    "\"payload\":{\"metric\":\"c\\\"p\\\\u\\n\\u0001\\u00fc\",\"state\":\"firing\","
	    "\"value\":{\"a\":\"s/t\"},\"threshold\":90,\"severity\":null,"
	    "\"labels\":{\"site\":\"fra/1\",\"n\":3,\"source\":\"shadowed\"}}}");
	struct format_body b;
	struct json_object *j, *labels;
	const char *pl;

	(void)unused;
	j = render("slack", ev, &b);
	assert_non_null(j);
	/* The value's JSON text reads as json-c prints it plainly ('/' escaped). */
	assert_string_equal(str_at(j, "text", NULL),
	    "cpu.high firing on r\"1/x: c\"p\\u\n\001\303\274 {\"a\":\"s\\/t\"} < 90");
	json_object_put(j);
	format_body_clear(&b);
	/* The payload goes out as it is stored, byte for byte. */
	j = render("cloudevents", ev, &b);
	assert_non_null(j);
	pl = strstr(ev->body, "\"payload\":") + strlen("\"payload\":");
	assert_non_null(strstr(b.data, ",\"data\":"));
	assert_memory_equal(strstr(b.data, ",\"data\":") + 8, pl, strlen(pl) - 1);
	assert_string_equal(str_at(j, "source", NULL), "pollhook/r\"1/x");
	json_object_put(j);
	format_body_clear(&b);
	j = render("alertmanager", ev, &b);
	assert_non_null(j);
	labels = json_object_object_get(j, "commonLabels");
	assert_string_equal(str_at(labels, "site", NULL), "fra/1");
	assert_string_equal(str_at(labels, "source", NULL), "r\"1/x");	/* the event's */
	assert_null(json_object_object_get(labels, "n"));	/* not a string */
	assert_null(json_object_object_get(labels, "severity"));	/* null */
	json_object_put(j);
	format_body_clear(&b);
	event_free(ev);
}

static void
test_bad_envelope(void **unused)
{
	static const char *const bad[] = { "[]", "{\"payload\":", "nul", "{\"a\":1,}", "",
		/* Numbers RFC 8259 refuses (the fuzz target's first find: "07" was copied on). */
		"{\"payload\":{\"value\":07}}", "{\"payload\":{\"value\":-00}}",
		"{\"payload\":{\"value\":1.}}", "{\"payload\":{\"value\":2e}}",
		"{\"payload\":{\"value\":.5}}", "{\"payload\":{\"value\":+1}}" };
	struct format_conf fc;
	struct format_body b;
	char err[256];

	(void)unused;
	assert_int_equal(format_configure_dynamic(&fc, "teams", NULL, NULL, NULL, err,
	    sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct event *ev = stored_event(bad[i]);

		assert_int_equal(format_render(&fc, ev, "sub", &b, err, sizeof(err)), -1);
		assert_string_equal(err, "the stored event is not a JSON object");
		event_free(ev);
	}
	/* No payload, or one that is not an object: an empty one. */
	{
		struct event *ev = stored_event("{\"payload\":[1]}");
		struct json_object *j;

		assert_int_equal(format_render(&fc, ev, "sub", &b, err, sizeof(err)), 0);
		j = json_tokener_parse(b.data);
		assert_non_null(j);
		json_object_put(j);
		format_body_clear(&b);
		event_free(ev);
	}
	format_clear(&fc);
}

static void
test_read_once_per_event(void **unused)
{
	struct event *ev = make_event("firing", "critical", 95);
	struct format_body b1, b2;
	struct json_object *j;
	const void *cache;

	(void)unused;
	j = render("teams", ev, &b1);
	json_object_put(j);
	cache = ev->fmt;
	assert_non_null(cache);
	j = render("pagerduty", ev, &b2);	/* a second subscriber of the event */
	json_object_put(j);
	assert_ptr_equal(ev->fmt, cache);
	format_body_clear(&b1);
	format_body_clear(&b2);
	event_finish(ev);	/* a new body: what was read from the old one goes */
	assert_null(ev->fmt);
	event_free(ev);
}

/* Runs program on input in this process; returns rc, the output or error in buf. */
static int
run(const char *program, const char *input, char *buf, size_t len)
{
	struct transform *t;
	char *out;
	size_t outlen;
	int rc;

	t = transform_compile(program, buf, len);
	assert_non_null(t);
	rc = transform_run(t, input, strlen(input), &out, &outlen, buf, len);
	if (rc == 0) {
		snprintf(buf, len, "%s", out);
		free(out);
	}
	transform_free(t);
	return rc;
}

static void
test_transform_outputs(void **unused)
{
	char buf[512];

	(void)unused;
	assert_int_equal(run("{t: .event}", "{\"event\": \"cpu.high\"}", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "{\"t\":\"cpu.high\"}");
	assert_int_equal(run(".event", "{\"event\": \"cpu.high\"}", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "\"cpu.high\"");	/* one JSON value: a string */
	assert_int_equal(run(".a, .b", "{}", buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "more than one value"));
	assert_int_equal(run("empty", "{}", buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "no value"));
	assert_int_equal(run("error(\"nope\")", "{}", buf, sizeof(buf)), -1);
	assert_non_null(strstr(buf, "nope"));
	assert_null(transform_compile("{a: . | }", buf, sizeof(buf)));
	assert_non_null(strstr(buf, "syntax error"));
	assert_null(strchr(buf, '\n'));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_is_the_body),
		cmocka_unit_test(test_summary_and_slack),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_alertmanager_fingerprint),
		cmocka_unit_test(test_cloudevents_binary),
		cmocka_unit_test(test_written_json),
		cmocka_unit_test(test_bad_envelope),
		cmocka_unit_test(test_read_once_per_event),
		cmocka_unit_test(test_transform_outputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
