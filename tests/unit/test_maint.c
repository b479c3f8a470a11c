/*
 * Unit tests of the maintenance windows (bridge/maint.c) on a fake clock:
 * each check gives the time. Schedules parse or are refused with a reason;
 * a window given in Europe/Berlin opens at its local times in winter (UTC+1)
 * and in summer (UTC+2), one through midnight runs into the next day, and
 * the process's TZ is left as it was. Also the silences' matching
 * (bridge/silence.c): globs, labels and the time range.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "maint.h"
#include "silence.h"

/* 2026-12-06 and 2026-07-05 are Sundays. */
#define WINTER_0100Z	1796518800.0	/* 2026-12-06T01:00:00Z = 02:00 in Berlin */
#define SUMMER_0000Z	1783209600.0	/* 2026-07-05T00:00:00Z = 02:00 in Berlin */

static struct maint_config
window(const char *schedule, const char *tz, struct maint_span *span)
{
	struct maint_config w = { 0 };
	char err[256];

	if (maint_parse_span(schedule, span, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	w.name = (char *)"upgrade";
	w.spans = span;
	w.nspans = 1;
	w.timezone = (char *)tz;
	return w;
}

static void
test_parse(void **unused)
{
	static const char *const good[] = { "Sun 02:00-04:00", "Mon-Fri 22:00-06:00",
		"Sat,Sun 00:00-24:00", "daily 12:00-12:30", "fri-mon 01:00-02:00", NULL };
	static const char *const bad[] = { "Sunday 02:00-04:00", "Sun 2:00-04:00",
		"Sun 02:00-02:00", "Sun 25:00-26:00", "Sun", "Mon-Xyz 01:00-02:00",
		"Sun 02:00-04:00 extra", "Sun,  02:00-03:00", "Sun 24:00-01:00", NULL };
	struct maint_span sp;
	char err[256];

	(void)unused;
	for (size_t i = 0; good[i] != NULL; i++)
		if (maint_parse_span(good[i], &sp, err, sizeof(err)) != 0)
			fail_msg("refused %s: %s", good[i], err);
	for (size_t i = 0; bad[i] != NULL; i++)
		if (maint_parse_span(bad[i], &sp, err, sizeof(err)) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(maint_parse_span("Fri-Mon 01:00-02:00", &sp, err, sizeof(err)), 0);
	assert_int_equal(sp.days, 0x63);	/* Fri, Sat, Sun, Mon */
}

static void
test_berlin(void **unused)
{
	struct maint_span sp;
	struct maint_config w = window("Sun 02:00-04:00", "Europe/Berlin", &sp);

	(void)unused;
	setenv("TZ", "America/New_York", 1);
	/* Winter: 02:00-04:00 CET is 01:00-03:00Z. */
	assert_false(maint_open(&w, WINTER_0100Z - 1));
	assert_true(maint_open(&w, WINTER_0100Z));
	assert_true(maint_open(&w, WINTER_0100Z + 2 * 3600 - 1));
	assert_false(maint_open(&w, WINTER_0100Z + 2 * 3600));
	/* Summer: 02:00-04:00 CEST is 00:00-02:00Z. */
	assert_false(maint_open(&w, SUMMER_0000Z - 1));
	assert_true(maint_open(&w, SUMMER_0000Z));
	assert_true(maint_open(&w, SUMMER_0000Z + 2 * 3600 - 1));
	assert_false(maint_open(&w, SUMMER_0000Z + 2 * 3600));
	/* A week later, open again; the Saturday before, not. */
	assert_true(maint_open(&w, WINTER_0100Z + 7 * 86400));
	assert_false(maint_open(&w, WINTER_0100Z - 86400));
	/* The process's own zone is as it was. */
	assert_string_equal(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
}

static void
test_midnight(void **unused)
{
	struct maint_span sp;
	struct maint_config w = window("Sat 23:00-01:00", "UTC", &sp);
	double sun0 = WINTER_0100Z - 3600;	/* 2026-12-06T00:00:00Z */

	(void)unused;
	assert_false(maint_open(&w, sun0 - 3601));	/* Sat 22:59:59 */
	assert_true(maint_open(&w, sun0 - 1800));	/* Sat 23:30 */
	assert_true(maint_open(&w, sun0 + 1800));	/* Sun 00:30 */
	assert_false(maint_open(&w, sun0 + 3600));	/* Sun 01:00 */
	assert_false(maint_open(&w, sun0 - 86400 - 1800));	/* Fri 23:30 */
	assert_false(maint_open(&w, sun0 + 86400 + 1800));	/* Mon 00:30 */
}

static void
test_zones_and_globs(void **unused)
{
	struct maint_span sp;
	struct maint_config w = window("daily 00:00-24:00", "UTC", &sp);
	char *sources[] = { (char *)"core-*", NULL }, *rules[] = { (char *)"device.*", NULL };

	(void)unused;
	assert_true(maint_tz_known("UTC"));
	assert_true(maint_tz_known("Europe/Berlin"));
	assert_false(maint_tz_known("Mars/Olympus_Mons"));
	assert_false(maint_tz_known("../../etc/passwd"));
	assert_false(maint_tz_known("/etc/localtime"));
	assert_false(maint_tz_known(""));
	assert_true(maint_open(&w, WINTER_0100Z));
	w.sources = sources;
	w.rules = rules;
	assert_true(maint_applies(&w, "core-1", "device.unreachable"));
	assert_false(maint_applies(&w, "edge-1", "device.unreachable"));
	assert_false(maint_applies(&w, "core-1", "cpu.high"));
}

static struct silence *
silence(const char *json, double now)
{
	struct json_object *j = json_tokener_parse(json);
	struct silence *s;
	char err[256] = "";

	assert_non_null(j);
	s = silence_from_json(j, NULL, now, err, sizeof(err));
	json_object_put(j);
	if (s == NULL)
		fail_msg("refused %s: %s", json, err);
	return s;
}

static void
test_silences(void **unused)
{
	static char *names[] = { (char *)"site" }, *fra[] = { (char *)"fra1" },
	    *ams[] = { (char *)"ams1" };
	const struct labels lf = { 1, names, fra }, la = { 1, names, ams };
	struct silences set = { 0 };
	const double t = WINTER_0100Z;
	double parsed;

	(void)unused;
	silences_add(&set, silence("{\"matchers\": {\"source\": \"edge-*\", \"labels\": "
	    "{\"site\": \"fra*\"}}, \"ends\": \"2026-12-06T02:00:00Z\"}", t));
	silences_add(&set, silence("{\"matchers\": {\"rule\": \"cpu.*\"}, "
	    "\"starts\": \"2026-12-06T03:00:00+01:00\", \"ends\": 1796526000}", t));
	assert_non_null(silences_match(&set, "edge-1", &lf, "device.unreachable", t));
	assert_null(silences_match(&set, "edge-1", &la, "device.unreachable", t));
	assert_null(silences_match(&set, "core-1", &lf, "device.unreachable", t));
	/* Ended at 02:00Z. */
	assert_null(silences_match(&set, "edge-1", &lf, "device.unreachable", t + 3600));
	/* The second starts at 02:00Z (03:00+01:00), ends at 03:00Z. */
	assert_null(silences_match(&set, "core-1", NULL, "cpu.high", t + 3599));
	assert_non_null(silences_match(&set, "core-1", NULL, "cpu.high", t + 3600));
	assert_null(silences_match(&set, "core-1", NULL, "cpu.high", t + 7200));
	assert_true(silences_remove(&set, set.v[0]->id));
	assert_int_equal(set.n, 1);
	silences_clear(&set);
	assert_int_equal(silence_parse_time("2026-12-06T01:00:00.250Z", &parsed), 0);
	assert_true(parsed == WINTER_0100Z + 0.25);
	assert_int_equal(silence_parse_time("2026-12-06 01:00:00Z", &parsed), -1);
	assert_int_equal(silence_parse_time("2026-12-06T01:00:00", &parsed), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_berlin),
		cmocka_unit_test(test_midnight),
		cmocka_unit_test(test_zones_and_globs),
		cmocka_unit_test(test_silences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
