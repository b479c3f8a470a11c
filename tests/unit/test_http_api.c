/*
 * Unit tests of the http poller's pure helpers for SaaS APIs: URL time
 * placeholders, rate-limit headers, Link headers and next-page URLs, and
 * merging the items of several pages.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../pollers/http_page.h"
#include "../../pollers/http_rate.h"
#include "../../pollers/http_url.h"
#include "sample.h"
#include "xmalloc.h"

/* 2026-11-29T05:22:44Z */
#define T0 1795929764.0

static char *
expand(const char *tmpl, double since, double now)
{
	struct http_url *u;
	char err[256], *s;

	assert_int_equal(http_url_parse(tmpl, &u, err, sizeof(err)), 0);
	assert_non_null(u);
	s = http_url_expand(u, since, now);
	http_url_free(u);
	return s;
}

static void
test_url_expand(void **state)
{
	struct http_url *u;
	char err[256], *s;

	(void)state;
	assert_int_equal(http_url_parse("http://h/x?a=1", &u, err, sizeof(err)), 0);
	assert_null(u);	/* no placeholder: no template */

	s = expand("http://h/r?from=%{since:%Y-%m-%d}&to=%{now:%Y-%m-%d}", T0 - 86400, T0);
	assert_string_equal(s, "http://h/r?from=2026-11-28&to=2026-11-29");
	free(s);
	/* Percent-encoded where it lands: ':' and '+' are not left as they are. */
	s = expand("http://h/r?t=%{now:%Y-%m-%dT%H:%M:%S%z}", 0, T0);
	assert_string_equal(s, "http://h/r?t=2026-11-29T05%3A22%3A44%2B0000");
	free(s);
	s = expand("http://h/r?t=%{now:%s}&u=%{since-60:%s}&v=%{now+3600:%H}", T0 - 10, T0);
	assert_string_equal(s, "http://h/r?t=1795929764&u=1795929694&v=06");
	free(s);
	/* Fractions of a second go down, as a time's seconds do. */
	s = expand("%{now:%S}", 0, T0 + 0.999);
	assert_string_equal(s, "44");
	free(s);
	assert_int_equal(http_url_parse("%{since:%Y}", &u, err, sizeof(err)), 0);
	assert_true(http_url_has_since(u));
	/* Past year 9999 or not finite: no URL rather than a wrong one. */
	assert_null(http_url_expand(u, 1e15, T0));
	assert_null(http_url_expand(u, NAN, T0));
	http_url_free(u);
	assert_int_equal(http_url_parse("%{now:%Y}", &u, err, sizeof(err)), 0);
	assert_false(http_url_has_since(u));
	http_url_free(u);
}

static void
test_url_errors(void **state)
{
	static const char *const bad[] = {
		"x?%{since", "x?%{today:%Y}", "x?%{now}", "x?%{now:}", "x?%{now:%c}",
		"x?%{now:%Y%}", "x?%{now:%Ey}", "x?%{since-1h:%Y}", "x?%{since*3:%Y}",
		"x?%{now-:%Y}", "x?%{now-99999999999:%Y}", "x?%{SINCE:%Y}",
	};
	struct http_url *u = (struct http_url *)1;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(http_url_parse(bad[i], &u, err, sizeof(err)), -1);
		assert_null(u);
		assert_true(strlen(err) > 0);
	}
}

static enum http_rate
check(long status, const char *ra, const char *rem, const char *reset, double *until)
{
	struct http_rate_headers h = { ra, rem, reset };

	return http_rate_check(status, &h, T0, until);
}

static void
test_rate(void **state)
{
	double until;

	(void)state;
	assert_int_equal(check(200, NULL, NULL, NULL, &until), HTTP_RATE_NONE);
	assert_true(until == 0);
	/* 429 with seconds, with an HTTP date, and without either. */
	assert_int_equal(check(429, "30", NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == T0 + 30);
	assert_int_equal(check(429, "Sun, 29 Nov 2026 05:23:44 GMT", NULL, NULL, &until),
	    HTTP_RATE_REFUSED);
	assert_true(until == T0 + 60);
	assert_int_equal(check(429, NULL, NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == 0);
	assert_int_equal(check(429, "soon", NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == 0);
	/* 503 and 403 only with Retry-After (403 also with none left). */
	assert_int_equal(check(503, NULL, NULL, NULL, &until), HTTP_RATE_NONE);
	assert_int_equal(check(503, "5", NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == T0 + 5);
	assert_int_equal(check(403, NULL, NULL, NULL, &until), HTTP_RATE_NONE);
	assert_int_equal(check(403, NULL, "0", "1795929800", &until), HTTP_RATE_REFUSED);
	assert_true(until == 1795929800.0);
	/* A reset below 1e9 is seconds from now. */
	assert_int_equal(check(200, NULL, "0", "12", &until), HTTP_RATE_EXHAUSTED);
	assert_true(until == T0 + 12);
	assert_int_equal(check(200, NULL, "5", "12", &until), HTTP_RATE_NONE);
	/* A reset that passed already holds nothing back. */
	assert_int_equal(check(200, NULL, "0", "1795929000", &until), HTTP_RATE_NONE);
	assert_true(until == 0);
	/* At most a day, however far the API asks. */
	assert_int_equal(check(429, "99999999", NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == T0 + HTTP_RATE_MAX_WAIT);
	assert_int_equal(check(429, "-5", NULL, NULL, &until), HTTP_RATE_REFUSED);
	assert_true(until == 0);
	assert_int_equal(check(200, NULL, "0x0", "12", &until), HTTP_RATE_NONE);
}

static void
test_link(void **state)
{
	char err[256], *t;

	(void)state;
	assert_int_equal(http_page_link_next("<https://api.github.com/r?page=2>; rel=\"next\", "
	    "<https://api.github.com/r?page=5>; rel=\"last\"", &t, err, sizeof(err)), 1);
	assert_string_equal(t, "https://api.github.com/r?page=2");
	free(t);
	/* Relation lists, case, token values, other parameters, commas in the target. */
	assert_int_equal(http_page_link_next("</a,b>; title=\"x, y\"; rel=\"prev NEXT\"", &t,
	    err, sizeof(err)), 1);
	assert_string_equal(t, "/a,b");
	free(t);
	assert_int_equal(http_page_link_next("<p3> ;rel=next", &t, err, sizeof(err)), 1);
	assert_string_equal(t, "p3");
	free(t);
	assert_int_equal(http_page_link_next("<p1>; rel=\"prev\", <p9>; rel=\"last\"", &t, err,
	    sizeof(err)), 0);
	assert_null(t);
	assert_int_equal(http_page_link_next("", &t, err, sizeof(err)), 0);
	static const char *const bad[] = {
		"p2; rel=next", "<p2; rel=next", "<p2>; rel=", "<p2>; =next", "<p2> rel=next",
		"<p2>; rel=\"next", "<>; rel=next", "<p1>; rel=prev, garbage",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(http_page_link_next(bad[i], &t, err, sizeof(err)), -1);
		assert_null(t);
		assert_non_null(strstr(err, "malformed Link header"));
	}
}

static void
test_resolve_and_param(void **state)
{
	char err[256], *u;

	(void)state;
	assert_int_equal(http_page_resolve("http://127.0.0.1:8080/r?page=1", "/r?page=2", &u,
	    err, sizeof(err)), 0);
	assert_string_equal(u, "http://127.0.0.1:8080/r?page=2");
	free(u);
	assert_int_equal(http_page_resolve("https://api.example.com/r", "https://API.example.com:443/r?p=2",
	    &u, err, sizeof(err)), 0);
	free(u);
	/* Another host, port or scheme: refused, the credentials would go along. */
	assert_int_equal(http_page_resolve("http://127.0.0.1:8080/r", "http://127.0.0.1:8081/r",
	    &u, err, sizeof(err)), -1);
	assert_null(u);
	assert_int_equal(http_page_resolve("https://a.example/r", "http://a.example/r", &u, err,
	    sizeof(err)), -1);
	assert_int_equal(http_page_resolve("https://a.example/r", "//b.example/r", &u, err,
	    sizeof(err)), -1);

	u = http_page_with_param("http://h/r?from=2026-11-28", "next_page_token", "a b+c/=");
	assert_string_equal(u, "http://h/r?from=2026-11-28&next_page_token=a+b%2bc%2f%3d");
	free(u);
	u = http_page_with_param("http://h/r", "page", "2");
	assert_string_equal(u, "http://h/r?page=2");
	free(u);
}

static void
items(struct value *v, const char *const *keys)
{
	memset(v, 0, sizeof(*v));
	v->type = VALUE_ITEMS;
	for (size_t i = 0; keys[i] != NULL; i++) {
		v->items = xreallocarray(v->items, v->nitems + 1, sizeof(*v->items));
		v->items[v->nitems].key = xstrdup(keys[i]);
		v->items[v->nitems].obj = json_object_new_string(keys[i]);
		v->nitems++;
	}
}

static void
test_merge(void **state)
{
	static const char *const a[] = { "r1", "r2", NULL }, *const b[] = { "r2", "r3", NULL };
	struct value x, y;

	(void)state;
	items(&x, a);
	items(&y, b);
	http_page_merge_items(&x, &y);
	assert_int_equal(y.type, VALUE_NONE);
	assert_int_equal(x.nitems, 3);
	assert_string_equal(x.items[0].key, "r1");
	assert_string_equal(x.items[1].key, "r2");
	assert_string_equal(x.items[2].key, "r3");
	value_clear(&x);
	value_clear(&y);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_expand),
		cmocka_unit_test(test_url_errors),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_resolve_and_param),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
