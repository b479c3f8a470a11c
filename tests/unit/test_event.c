/* Unit tests of events: ids, the rendered envelope, time formatting. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event.h"
#include "hmap.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void
test_id_format(void **unused)
{
	char id[EVENT_ID_LEN + 1];

	(void)unused;
	event_make_id(id, 1764393600123LL);
	assert_int_equal(strlen(id), EVENT_ID_LEN);
	assert_memory_equal(id, "evt_", 4);
	for (int i = 4; i < EVENT_ID_LEN; i++)
		assert_non_null(strchr(crockford, id[i]));
	/* The first ten digits are the millisecond timestamp. */
	assert_memory_equal(id + 4, "01KB70VH3V", 10);
}

/* Ids never repeat and sort in creation order, within one ms and across. */
static void
test_ids_unique_and_ordered(void **unused)
{
	enum { N = 100000 };
	struct hmap seen;
	char prev[EVENT_ID_LEN + 1] = "";

	(void)unused;
	hmap_init(&seen);
	for (int i = 0; i < N; i++) {
		char id[EVENT_ID_LEN + 1];

		event_make_id(id, 1764393600000LL + i / 1000);
		assert_null(hmap_put(&seen, id, (void *)1));
		assert_true(strcmp(prev, id) < 0);
		memcpy(prev, id, sizeof(id));
	}
	assert_int_equal(seen.n, N);
	hmap_free(&seen);
}

static void
test_envelope(void **unused)
{
	struct labels l = { 0 };
	struct event *ev;
	struct json_object *j, *p;

	(void)unused;
	labels_set(&l, "site", "fra1");
	ev = event_new("cpu.high", "cpu.high", "edge-router-1", NULL, &l, 1764393600123LL);
	json_object_object_add(ev->payload, "value", json_object_new_int(95));
	event_finish(ev);
	assert_non_null(ev->body);
	assert_null(ev->payload);
	j = json_tokener_parse(ev->body);
	assert_non_null(j);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "event")), "cpu.high");
	assert_int_equal(json_object_get_int64(json_object_object_get(j, "event_ts")),
	    1764393600123LL);
	assert_string_equal(json_object_get_string(json_object_object_get(j, "id")), ev->id);
	p = json_object_object_get(j, "payload");
	assert_int_equal(json_object_get_int(json_object_object_get(p, "value")), 95);
	assert_string_equal(labels_get(&ev->labels, "site"), "fra1");
	json_object_put(j);
	labels_clear(&l);
	/* References: the second free releases it (ASan/valgrind check the rest). */
	event_ref(ev);
	event_free(ev);
	assert_non_null(ev->body);
	event_free(ev);
}

static void
test_format_time(void **unused)
{
	char buf[40];

	(void)unused;
	event_format_time(buf, sizeof(buf), 1764393764.123);
	assert_string_equal(buf, "2025-11-29T05:22:44.123Z");
	event_format_time(buf, sizeof(buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
}

static void
test_value_json(void **unused)
{
	struct value v = { .type = VALUE_NUMBER, .num = 95 };
	struct json_object *j;

	(void)unused;
	j = value_to_json(&v);
	assert_true(json_object_is_type(j, json_type_int));
	json_object_put(j);
	v.num = 0.5;
	j = value_to_json(&v);
	assert_true(json_object_is_type(j, json_type_double));
	json_object_put(j);
	v.num = 0.0 / 0.0;
	assert_null(value_to_json(&v));	/* NaN is not JSON: null */
	v.type = VALUE_NONE;
	assert_null(value_to_json(&v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format),
		cmocka_unit_test(test_ids_unique_and_ordered),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_value_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
