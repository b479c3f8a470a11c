/* Unit tests of the http poller's JSON pointers, extraction and parser. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../pollers/jsonx.h"
#include "sample.h"
#include "xmalloc.h"

struct match {
	char *instance;
	char *text;	/* jsonx_scalar_text of o, "null", or "<container>" */
	char *elem;	/* json text of elem */
	char *err;
};

struct matches {
	struct match v[32];
	size_t n;
};

static void
collect(void *arg, const char *instance, struct json_object *elem, struct json_object *o,
    const char *err)
{
	struct matches *m = arg;
	struct match *x;

	assert_true(m->n < 32);
	x = &m->v[m->n++];
	memset(x, 0, sizeof(*x));
	x->instance = xstrdup(instance);
	x->err = xstrdup(err);
	x->elem = xstrdup(json_object_to_json_string(elem));
	if (err == NULL) {
		x->text = jsonx_scalar_text(o);
		if (x->text == NULL)
			x->text = xstrdup(o == NULL ? "null" : "<container>");
	}
}

static void
matches_free(struct matches *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].instance);
		free(m->v[i].text);
		free(m->v[i].elem);
		free(m->v[i].err);
	}
	m->n = 0;
}

static struct json_object *
parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static struct jsonx_ptr *
compile(const char *text)
{
	char err[256];
	struct jsonx_ptr *p = jsonx_compile(text, err, sizeof(err));

	if (p == NULL)
		fail_msg("compile %s: %s", text, err);
	return p;
}

/* Evaluates text on doc; returns jsonx_eval's result, err in errbuf. */
static int
eval(const char *doc, const char *text, struct matches *m, char *errbuf, size_t errlen)
{
	struct json_object *root = parse(doc);
	struct jsonx_ptr *p = compile(text);
	int rc;

	rc = jsonx_eval(p, root, collect, m, errbuf, errlen);
	jsonx_free(p);
	json_object_put(root);
	return rc;
}

static void
test_compile(void **state)
{
	char err[256];
	struct jsonx_ptr *p;

	(void)state;
	p = compile("");
	assert_int_equal(jsonx_wildcards(p), 0);
	jsonx_free(p);
	p = compile("/a/*/b/*");
	assert_int_equal(jsonx_wildcards(p), 2);
	assert_string_equal(jsonx_text(p), "/a/*/b/*");
	jsonx_free(p);
	assert_null(jsonx_compile("a/b", err, sizeof(err)));
	assert_non_null(strstr(err, "must be empty or start with /"));
	assert_null(jsonx_compile("/a~2", err, sizeof(err)));
	assert_non_null(strstr(err, "\"~\" must be followed by 0 or 1"));
	assert_null(jsonx_compile("/a~", err, sizeof(err)));
	jsonx_free(jsonx_compile("/*x/**", err, sizeof(err)));
}

static void
test_pointer_rfc6901(void **state)
{
	/* The examples of RFC 6901 section 5. */
	static const char doc[] = "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, "
	    "\"c%d\": 2, \"e^f\": 3, \"g|h\": 4, \"i\\\\j\": 5, \"k\\\"l\": 6, "
	    "\" \": 7, \"m~n\": 8}";
	static const struct {
		const char *ptr, *want;
	} cases[] = {
		{ "/foo/0", "bar" }, { "/foo/1", "baz" }, { "/", "0" }, { "/a~1b", "1" },
		{ "/c%d", "2" }, { "/e^f", "3" }, { "/g|h", "4" }, { "/i\\j", "5" },
		{ "/k\"l", "6" }, { "/ ", "7" }, { "/m~0n", "8" },
	};
	struct json_object *root = parse(doc), *o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jsonx_ptr *p = compile(cases[i].ptr);
		char *t;

		assert_int_equal(jsonx_get(p, root, &o, err, sizeof(err)), 0);
		t = jsonx_scalar_text(o);
		assert_string_equal(t, cases[i].want);
		free(t);
		jsonx_free(p);
	}
	json_object_put(root);
}

static void
test_pointer_errors(void **state)
{
	static const struct {
		const char *doc, *ptr, *want;
	} cases[] = {
		{ "{\"a\":{\"b\":1}}", "/a/c", "/a/c: no such member" },
		{ "{\"a\":{\"b\":1}}", "/a/b/c", "/a/b/c: /a/b is a number, not an object or array" },
		{ "[1,2,3]", "/3", "/3: index out of range (the array has 3 elements)" },
		{ "[1,2,3]", "/01", "/01: \"01\" is no array index" },
		{ "[1,2,3]", "/-", "/-: \"-\" is no array index" },
		{ "\"x\"", "/a", "/a: the document is a string, not an object or array" },
		{ "{\"a\":null}", "/a/b", "/a/b: /a is null, not an object or array" },
		{ "{\"a\":1}", "/a/*", "/a/*: /a is a number, not an object or array" },
		{ "{\"a~b\":1}", "/a~0b/*", "/a~0b/*: /a~0b is a number, not an object or array" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct matches m = { 0 };
		char err[256];

		assert_int_equal(eval(cases[i].doc, cases[i].ptr, &m, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].want);
		assert_int_equal(m.n, 0);
	}
}

static void
test_scalar_and_null(void **state)
{
	struct matches m = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(eval("{\"a\":{\"b\":null,\"c\":true}}", "/a/b", &m, err,
	    sizeof(err)), 0);
	assert_int_equal(m.n, 1);
	assert_null(m.v[0].instance);
	assert_string_equal(m.v[0].text, "null");
	matches_free(&m);
	assert_int_equal(eval("[1]", "", &m, err, sizeof(err)), 0);
	assert_string_equal(m.v[0].text, "<container>");
	matches_free(&m);
}

static void
test_wildcard_array(void **state)
{
	struct matches m = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(eval("{\"if\":[{\"name\":\"eth0\",\"rx\":10},"
	    "{\"name\":\"eth1\",\"rx\":20},{\"name\":\"lo\"}]}", "/if/*/rx", &m, err,
	    sizeof(err)), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].instance, "0");
	assert_string_equal(m.v[0].text, "10");
	assert_string_equal(m.v[0].elem, "{ \"name\": \"eth0\", \"rx\": 10 }");
	assert_string_equal(m.v[1].instance, "1");
	assert_string_equal(m.v[1].text, "20");
	assert_string_equal(m.v[2].instance, "2");
	assert_string_equal(m.v[2].err, "/if/*/rx: no such member");
	matches_free(&m);
}

static void
test_wildcard_object_and_nested(void **state)
{
	struct matches m = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(eval("{\"disks\":{\"sda\":{\"used\":1.5},\"sdb\":{\"used\":2}}}",
	    "/disks/*/used", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].instance, "sda");
	assert_string_equal(m.v[0].text, "1.5");
	assert_string_equal(m.v[1].instance, "sdb");
	assert_string_equal(m.v[1].text, "2");
	matches_free(&m);

	assert_int_equal(eval("{\"h\":{\"a\":[1,2],\"b\":[3]}}", "/h/*/*", &m, err,
	    sizeof(err)), 0);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.v[0].instance, "a/0");
	assert_string_equal(m.v[1].instance, "a/1");
	assert_string_equal(m.v[2].instance, "b/0");
	assert_string_equal(m.v[2].text, "3");
	assert_string_equal(m.v[2].elem, "3");
	matches_free(&m);

	/* An empty container matches nothing, without error. */
	assert_int_equal(eval("{\"a\":[]}", "/a/*", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 0);
	/* A wildcard under a wildcard over a scalar fails that instance only. */
	assert_int_equal(eval("{\"a\":[[1],5]}", "/a/*/*", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 2);
	assert_null(m.v[0].err);
	assert_string_equal(m.v[0].instance, "0/0");
	assert_string_equal(m.v[1].err, "/a/*/*: /a/* is a number, not an object or array");
	matches_free(&m);
	/* Wildcard at the root. */
	assert_int_equal(eval("[true,\"x\"]", "/*", &m, err, sizeof(err)), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].text, "true");
	assert_string_equal(m.v[1].text, "x");
	matches_free(&m);
}

static void
test_value(void **state)
{
	struct json_object *root = parse("{\"n\":42,\"d\":-1.25,\"s\":\"hi\",\"b\":false,"
	    "\"z\":null,\"o\":{},\"big\":18446744073709551615}");
	struct value v;
	char err[256];

	(void)state;
	assert_int_equal(jsonx_value(json_object_object_get(root, "n"), &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_NUMBER);
	assert_true(v.num == 42);
	assert_int_equal(jsonx_value(json_object_object_get(root, "d"), &v, err,
	    sizeof(err)), 0);
	assert_true(v.num == -1.25);
	assert_int_equal(jsonx_value(json_object_object_get(root, "big"), &v, err,
	    sizeof(err)), 0);
	assert_true(v.num > 1.8e19);
	assert_int_equal(jsonx_value(json_object_object_get(root, "s"), &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_STRING);
	assert_string_equal(v.str, "hi");
	value_clear(&v);
	assert_int_equal(jsonx_value(json_object_object_get(root, "b"), &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_BOOL);
	assert_false(v.b);
	assert_int_equal(jsonx_value(json_object_object_get(root, "z"), &v, err,
	    sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_NULL);
	assert_int_equal(jsonx_value(json_object_object_get(root, "o"), &v, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "expected a number, string, boolean or null, got an object");
	assert_int_equal(v.type, VALUE_NONE);
	json_object_put(root);
}

static int parse_chunked(const char *doc, size_t stepsz, int depth, struct json_object **root,
    char *err, size_t errlen);

/* A number beyond the range of a double is an error, never an infinite value. */
static void
test_value_range(void **state)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "1e400", "number 1e400 is outside the range of a double" },
		{ "-1e400", "number -1e400 is outside the range of a double" },
		{ "1.8e308", "number 1.8e308 is outside the range of a double" },
		{ "123456789e999", "number 123456789e999 is outside the range of a double" },
	};
	struct json_object *root;
	struct value v;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		root = NULL;
		assert_int_equal(parse_chunked(cases[i].doc, 64, 0, &root, err, sizeof(err)), 0);
		assert_int_equal(jsonx_value(root, &v, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].want);
		assert_int_equal(v.type, VALUE_NONE);
		json_object_put(root);
	}
	/* The largest double and an underflow (to zero) are in range. */
	root = NULL;
	assert_int_equal(parse_chunked("[1.7976931348623157e308, 1e-400]", 64, 0, &root, err,
	    sizeof(err)), 0);
	assert_int_equal(jsonx_value(json_object_array_get_idx(root, 0), &v, err, sizeof(err)), 0);
	assert_true(v.num == 1.7976931348623157e308);
	assert_int_equal(jsonx_value(json_object_array_get_idx(root, 1), &v, err, sizeof(err)), 0);
	assert_true(v.num == 0.0);
	json_object_put(root);
}

static void
test_items(void **state)
{
	struct json_object *root = parse("[{\"id\":\"a\",\"n\":1},{\"id\":7},"
	    "{\"id\":\"a\",\"n\":2},{\"id\":\"c\"}]");
	struct jsonx_ptr *key = compile("/id");
	struct value v;
	char err[256];

	(void)state;
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_ITEMS);
	assert_int_equal(v.nitems, 3);
	assert_string_equal(v.items[0].key, "a");
	/* The first of duplicate keys wins. */
	assert_int_equal(json_object_get_int(json_object_object_get(v.items[0].obj, "n")), 1);
	assert_string_equal(v.items[1].key, "7");
	assert_string_equal(v.items[2].key, "c");
	value_clear(&v);
	json_object_put(root);

	root = parse("[{\"id\":\"a\"},3]");
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "item 1 is a number, not an object");
	assert_int_equal(v.type, VALUE_NONE);
	json_object_put(root);
	root = parse("[{\"uuid\":\"a\"}]");
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "item 0: key /id: no such member");
	json_object_put(root);
	root = parse("[{\"id\":{}}]");
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "item 0: key /id is an object, not a string or number");
	json_object_put(root);
	root = parse("{\"id\":1}");
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "expected an array of items, got an object");
	json_object_put(root);
	root = parse("[]");
	assert_int_equal(jsonx_items(root, key, &v, err, sizeof(err)), 0);
	assert_int_equal(v.type, VALUE_ITEMS);
	assert_int_equal(v.nitems, 0);
	value_clear(&v);
	json_object_put(root);
	jsonx_free(key);
}

/* Feeds the len bytes of doc in chunks of size step; returns finish's result. */
static int
parse_chunked_n(const char *doc, size_t len, size_t stepsz, int depth,
    struct json_object **root, char *err, size_t errlen)
{
	struct jsonx_parser *jp = jsonx_parser_new(depth);
	int rc;

	for (size_t off = 0; off < len; off += stepsz)
		jsonx_parser_feed(jp, doc + off, len - off < stepsz ? len - off : stepsz);
	assert_int_equal(jsonx_parser_bytes(jp), len);
	rc = jsonx_parser_finish(jp, root, err, errlen);
	jsonx_parser_free(jp);
	return rc;
}

/* Feeds the string doc in chunks of size step; returns finish's result. */
static int
parse_chunked(const char *doc, size_t stepsz, int depth, struct json_object **root,
    char *err, size_t errlen)
{
	return parse_chunked_n(doc, strlen(doc), stepsz, depth, root, err, errlen);
}

static void
test_parser(void **state)
{
	static const char *good[] = {
		"{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}", "42", "  -3.5e2\n",
		"\"str\"", "[]", "true", "{\"u\":\"\\u00e9\"}\r\n\r\n",
	};
	struct json_object *root;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		for (size_t stepsz = 1; stepsz <= 64; stepsz *= 4) {
			root = NULL;
			if (parse_chunked(good[i], stepsz, 0, &root, err, sizeof(err)) != 0)
				fail_msg("%s (step %zu): %s", good[i], stepsz, err);
			assert_non_null(root);
			json_object_put(root);
		}
	}
	root = (struct json_object *)&root;
	assert_int_equal(parse_chunked("null", 1, 0, &root, err, sizeof(err)), 0);
	assert_null(root);
}

static void
test_parser_errors(void **state)
{
	static const struct {
		const char *doc, *want;
		int depth;
	} cases[] = {
		{ "", "empty body", 0 },
		{ "{\"a\": 1", "invalid JSON at byte 7: unexpected end of data", 0 },
		{ "{\"a\": 1}}", "invalid JSON at byte 8: data after the document", 0 },
		{ "{\"a\": 1} x", "invalid JSON at byte 9: data after the document", 0 },
		{ "{} NaN", "invalid JSON at byte 3: data after the document", 0 },
		{ "{}\t'", "invalid JSON at byte 3: data after the document", 0 },
		{ "<html>500</html>", "invalid JSON at byte 0: unexpected character", 0 },
		{ "['a']", "invalid JSON at byte 1: strings take double quotes, not single ones", 0 },
		{ "[1,]", "invalid JSON at byte 3: unexpected character", 0 },
		{ "[[[[1]]]]", "invalid JSON at byte 3: nested deeper than the limit", 3 },
		{ "\"\xff\"", "invalid JSON at byte 1: invalid utf-8 string", 0 },
	};
	struct json_object *root;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t stepsz = 1; stepsz <= 64; stepsz *= 64) {
			root = NULL;
			if (parse_chunked(cases[i].doc, stepsz, cases[i].depth, &root, err,
			    sizeof(err)) != -1) {
				json_object_put(root);
				fail_msg("%s (step %zu): parsed", cases[i].doc, stepsz);
			}
			assert_null(root);
			if (strcmp(err, cases[i].want) != 0)
				fail_msg("%s (step %zu): got \"%s\", want \"%s\"",
				    cases[i].doc, stepsz, err, cases[i].want);
		}
	}
}

/*
 * What json-c's strict mode accepts and RFC 8259 does not is refused too,
 * whatever the chunking; valid JSON that comes close is not.
 */
static void
test_parser_strict(void **state)
{
	static const struct {
		const char *doc, *want;
	} bad[] = {
		{ "{\"cpu\": NaN}", "invalid JSON at byte 8: NaN is not a JSON number" },
		{ "NaN", "invalid JSON at byte 0: NaN is not a JSON number" },
		{ "[1, Infinity]", "invalid JSON at byte 4: Infinity is not a JSON number" },
		{ "{\"cpu\": -Infinity}", "invalid JSON at byte 9: Infinity is not a JSON number" },
		{ "[NaN, 1]", "invalid JSON at byte 1: NaN is not a JSON number" },
		{ "[nan]", "invalid JSON at byte 2: null expected" },
		{ "{'cpu': 1}", "invalid JSON at byte 1: strings take double quotes, not single ones" },
		{ "[\"a\tb\"]", "invalid JSON at byte 3: a control character in a string" },
		{ "{\"a\": \"x\ny\"}", "invalid JSON at byte 8: a control character in a string" },
		{ "[1.]", "invalid JSON at byte 3: no digit after the decimal point" },
		{ "1.", "invalid JSON at byte 2: no digit after the decimal point" },
		{ "[1.e5]", "invalid JSON at byte 3: no digit after the decimal point" },
		{ "[-01]", "invalid JSON at byte 3: a number with a leading zero" },
		{ "[-.5]", "invalid JSON at byte 2: no digit after a minus sign" },
		{ "-eInfinity", "invalid JSON at byte 1: no digit after a minus sign" },
		{ "\"\xc0\xaf\"", "invalid JSON at byte 1: invalid utf-8 string" },
		{ "\"\xed\xa0\x80\"", "invalid JSON at byte 2: invalid utf-8 string" },
		{ "\"\xf4\x90\x80\x80\"", "invalid JSON at byte 2: invalid utf-8 string" },
		{ "\"\xc3x\"", "invalid JSON at byte 2: invalid utf-8 string" },
		{ "\"\xe6\x97\"", "invalid JSON at byte 3: invalid utf-8 string" },
		{ "\xef\xbb\xbf[1]", "invalid JSON at byte 0: unexpected character" },
		/* json-c fed a byte at a time reads 1-0 as 1. */
		{ "{\"a\": 1-0}", "invalid JSON at byte 7: unexpected character after a number" },
		{ "[1e5-3]", "invalid JSON at byte 4: unexpected character after a number" },
	};
	static const char *good[] = {
		"[0, -0, 0.5, -0.5e-3, 1E+5, 0e5, 1e05, -0.0e-0, 10, 1234567890]",
		"{\"NaN\": \"Infinity\", \"s\": \"it's\", \"t\": \"a\\tb\\n\\u0000\"}",
		"[true, false, null, \"\\\\\", \"\\\"\"]", " \t\r\n-1 \n", "[1,2]", "{\"a\":1}",
		"\"\x7f\"",
		/* Cut anywhere, even inside a character (json-c's own check was not). */
		"{\"topic\": \"R\xc3\xa9union \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}",
	};
	static const size_t steps[] = { 1, 2, 3, 64 };
	struct json_object *root;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			root = NULL;
			if (parse_chunked(bad[i].doc, steps[k], 0, &root, err, sizeof(err)) != -1) {
				json_object_put(root);
				fail_msg("%s (step %zu): parsed", bad[i].doc, steps[k]);
			}
			assert_null(root);
			if (strcmp(err, bad[i].want) != 0)
				fail_msg("%s (step %zu): got \"%s\", want \"%s\"", bad[i].doc,
				    steps[k], err, bad[i].want);
		}
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			root = NULL;
			if (parse_chunked(good[i], steps[k], 0, &root, err, sizeof(err)) != 0)
				fail_msg("%s (step %zu): %s", good[i], steps[k], err);
			json_object_put(root);
		}
	}
	/* A NUL byte has no place in JSON; json-c would take one for the end. */
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		root = NULL;
		assert_int_equal(parse_chunked_n("[1, \"x\", \0 2]", 13, steps[k], 0, &root, err,
		    sizeof(err)), -1);
		assert_string_equal(err, "invalid JSON at byte 9: a NUL byte");
		assert_int_equal(parse_chunked_n("{\"a\": 1}\0", 9, steps[k], 0, &root, err,
		    sizeof(err)), -1);
		assert_string_equal(err, "invalid JSON at byte 8: data after the document");
		assert_null(root);
	}
}

static void
test_parser_deep_default(void **state)
{
	char doc[2 * 1000 + 2];
	struct json_object *root = NULL;
	char err[256];

	(void)state;
	/* A hostile body nested 1000 deep is refused, not recursed into. */
	memset(doc, '[', 1000);
	memset(doc + 1000, ']', 1000);
	doc[2000] = '\0';
	assert_int_equal(parse_chunked(doc, 100, 0, &root, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested deeper than the limit"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile),
		cmocka_unit_test(test_pointer_rfc6901),
		cmocka_unit_test(test_pointer_errors),
		cmocka_unit_test(test_scalar_and_null),
		cmocka_unit_test(test_wildcard_array),
		cmocka_unit_test(test_wildcard_object_and_nested),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_value_range),
		cmocka_unit_test(test_items),
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_parser_errors),
		cmocka_unit_test(test_parser_strict),
		cmocka_unit_test(test_parser_deep_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
