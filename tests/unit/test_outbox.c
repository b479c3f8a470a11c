/* Unit tests of the outbox (a real SQLite file in a temporary directory) and the backoff. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "delivery.h"
#include "event.h"
#include "outbox.h"

struct rows {
	int n;
	int64_t seq[16];
	char sub[16][32];
	char body[16][256];
	unsigned attempts[16];
	char okey[16][64];
};

static void
collect(void *arg, const struct outbox_row *r)
{
	struct rows *rs = arg;

	if (rs->n >= 16)
		return;
	rs->seq[rs->n] = r->seq;
	snprintf(rs->sub[rs->n], sizeof(rs->sub[0]), "%s", r->subscriber);
	snprintf(rs->body[rs->n], sizeof(rs->body[0]), "%s", r->body);
	snprintf(rs->okey[rs->n], sizeof(rs->okey[0]), "%s", r->okey);
	rs->attempts[rs->n] = r->attempts;
	rs->n++;
}

static int
setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	char *dir;
	int n;

	n = snprintf(tmpl, sizeof(tmpl), "%s/pollhook-test-outbox-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	assert_true(n > 0 && (size_t)n < sizeof(tmpl));
	dir = mkdtemp(tmpl);

	assert_non_null(dir);
	*state = strdup(dir);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static struct event *
mkevent(const char *name, const char *instance)
{
	struct event *ev = event_new(name, "cpu.high", "edge-1", instance, NULL, 1764393600123LL);

	event_finish(ev);
	return ev;
}

static struct outbox *
open_ob(const char *dir)
{
	char err[256];
	struct outbox *ob = outbox_open(dir, err, sizeof(err));

	if (ob == NULL)
		fail_msg("outbox_open: %s", err);
	return ob;
}

/* Events and deliveries survive a close and reopen: what a crash after commit leaves. */
static void
test_add_commit_reopen(void **state)
{
	const char *subs[] = { "ops", "audit" };
	struct outbox *ob = open_ob(*state);
	struct event *ev = mkevent("cpu.high", "2");
	struct rows rs = { 0 };
	int64_t seqs[2];

	assert_int_equal(outbox_add(ob, ev, subs, 2, 1000.0, seqs), 0);
	assert_true(outbox_dirty(ob));
	assert_true(seqs[1] > seqs[0]);
	assert_int_equal(outbox_commit(ob), 0);
	assert_false(outbox_dirty(ob));
	assert_int_equal(outbox_commits(ob), 1);
	outbox_close(ob);

	ob = open_ob(*state);
	assert_int_equal(outbox_depth(ob), 2);
	assert_int_equal(outbox_scan(ob, OUTBOX_PENDING, NULL, collect, &rs), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.sub[0], "ops");
	assert_string_equal(rs.sub[1], "audit");
	assert_string_equal(rs.body[0], ev->body);
	assert_string_equal(rs.okey[0], "edge-1\x1f" "cpu.high\x1f" "2");
	outbox_close(ob);
	event_free(ev);
}

/* The one ordering key: what the delivery manager queues by is what the outbox stores. */
static void
test_order_key(void **state)
{
	const char *subs[] = { "ops" };
	struct outbox *ob = open_ob(*state);
	struct event *scalar = mkevent("cpu.high", NULL);
	struct event *row = mkevent("cpu.high", "2");
	struct rows rs = { 0 };
	int64_t seq;
	char *k;

	k = outbox_order_key(scalar);
	assert_string_equal(k, "edge-1\x1f" "cpu.high\x1f");
	free(k);
	k = outbox_order_key(row);
	assert_string_equal(k, "edge-1\x1f" "cpu.high\x1f" "2");
	assert_int_equal(outbox_add(ob, row, subs, 1, 1000.0, &seq), 0);
	assert_int_equal(outbox_commit(ob), 0);
	assert_int_equal(outbox_scan(ob, OUTBOX_PENDING, NULL, collect, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.okey[0], k);
	free(k);
	outbox_close(ob);
	event_free(scalar);
	event_free(row);
}

/* Without a commit, nothing is there after reopening (the batch is the unit). */
static void
test_uncommitted_batch_is_atomic(void **state)
{
	const char *subs[] = { "ops" };
	struct outbox *ob = open_ob(*state);
	struct event *ev = mkevent("cpu.high", NULL);
	int64_t seq;
	char cmd[512];

	assert_int_equal(outbox_add(ob, ev, subs, 1, 1000.0, &seq), 0);
	/* Copy the files as a crash would leave them: the WAL holds no commit. */
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/crash' && cp '%s'/pollhook.db* '%s/crash/'",
	    (char *)*state, (char *)*state, (char *)*state);
	assert_int_equal(system(cmd), 0);
	outbox_close(ob);
	snprintf(cmd, sizeof(cmd), "%s/crash", (char *)*state);
	ob = open_ob(cmd);
	assert_int_equal(outbox_depth(ob), 0);
	outbox_close(ob);
	event_free(ev);
}

static void
test_outcomes(void **state)
{
	const char *subs[] = { "a", "b", "c" };
	struct outbox *ob = open_ob(*state);
	struct event *ev = mkevent("cpu.high", NULL);
	struct rows pending = { 0 }, dead = { 0 };
	int64_t seqs[3];

	assert_int_equal(outbox_add(ob, ev, subs, 3, 1000.0, seqs), 0);
	assert_int_equal(outbox_commit(ob), 0);
	assert_int_equal(outbox_mark_done(ob, seqs[0]), 0);
	assert_int_equal(outbox_mark_retry(ob, seqs[1], 3, 2000.0, 503, "HTTP 503"), 0);
	assert_int_equal(outbox_mark_dead(ob, seqs[2], 1, 400, "HTTP 400"), 0);
	assert_int_equal(outbox_commit(ob), 0);
	/* Marking an already delivered one again is harmless (replay after a crash). */
	assert_int_equal(outbox_mark_done(ob, seqs[0]), 0);
	assert_int_equal(outbox_scan(ob, OUTBOX_PENDING, NULL, collect, &pending), 0);
	assert_int_equal(pending.n, 1);
	assert_int_equal(pending.seq[0], seqs[1]);
	assert_int_equal(pending.attempts[0], 3);
	assert_int_equal(outbox_scan(ob, OUTBOX_DEAD, NULL, collect, &dead), 0);
	assert_int_equal(dead.n, 1);
	assert_int_equal(dead.seq[0], seqs[2]);
	/* Scans can be narrowed to one subscriber. */
	memset(&dead, 0, sizeof(dead));
	assert_int_equal(outbox_scan(ob, OUTBOX_DEAD, "a", collect, &dead), 0);
	assert_int_equal(dead.n, 0);
	outbox_close(ob);
	event_free(ev);
}

static void
test_retry_requests_and_purge(void **state)
{
	const char *subs[] = { "a" };
	struct outbox *ob = open_ob(*state);
	struct event *e1 = mkevent("x", "1"), *e2 = mkevent("x", "2");
	struct rows taken = { 0 }, dead = { 0 };
	int64_t s1, s2;

	assert_int_equal(outbox_add(ob, e1, subs, 1, 1000.0, &s1), 0);
	assert_int_equal(outbox_add(ob, e2, subs, 1, 1000.0, &s2), 0);
	assert_int_equal(outbox_mark_dead(ob, s1, 15, 503, "HTTP 503"), 0);
	assert_int_equal(outbox_mark_dead(ob, s2, 1, 404, "HTTP 404"), 0);
	assert_int_equal(outbox_commit(ob), 0);
	/* Only dead ones can be asked for; an unknown id changes nothing. */
	assert_int_equal(outbox_request_retry(ob, s1 + 1000), 0);
	assert_int_equal(outbox_request_retry(ob, s1), 1);
	assert_int_equal(outbox_take_retries(ob, 5000.0, collect, &taken), 1);
	assert_int_equal(outbox_commit(ob), 0);
	assert_int_equal(taken.seq[0], s1);
	assert_int_equal(outbox_depth(ob), 1);
	/* Nothing more to take. */
	assert_int_equal(outbox_take_retries(ob, 5001.0, collect, &taken), 0);
	/* Purge removes dead letters older than the cut, and only those. */
	assert_int_equal(outbox_purge(ob, 1.0), 0);
	assert_int_equal(outbox_purge(ob, 9e12), 1);
	/* Events stay as history until swept; one still needed is never swept. */
	assert_int_equal(outbox_sweep(ob, 0), 0);
	assert_int_equal(outbox_sweep(ob, 9000000000000LL), 1);	/* e2's only */
	assert_int_equal(outbox_commit(ob), 0);
	assert_int_equal(outbox_depth(ob), 1);
	assert_int_equal(outbox_scan(ob, OUTBOX_DEAD, NULL, collect, &dead), 0);
	assert_int_equal(dead.n, 0);
	assert_int_equal(outbox_depth(ob), 1);
	outbox_close(ob);
	event_free(e1);
	event_free(e2);
}

static void
count_state(void *arg, const char *key, const char *json)
{
	int *n = arg;

	assert_string_equal(key, "cpu.high\x1f" "edge-1\x1f");
	assert_string_equal(json, "{\"phase\":\"firing\"}");
	(*n)++;
}

static void
test_rule_state_and_subscribers(void **state)
{
	struct outbox *ob = open_ob(*state);
	int n = 0;

	assert_int_equal(outbox_state_save(ob, "cpu.high\x1f" "edge-1\x1f", "{\"phase\":\"ok\"}"), 0);
	assert_int_equal(outbox_state_save(ob, "cpu.high\x1f" "edge-1\x1f",
	    "{\"phase\":\"firing\"}"), 0);
	assert_int_equal(outbox_state_save(ob, "gone\x1f" "x\x1f", "{}"), 0);
	assert_int_equal(outbox_state_delete(ob, "gone\x1f" "x\x1f"), 0);
	assert_int_equal(outbox_sub_disable(ob, "ops", "abc"), 0);
	assert_int_equal(outbox_commit(ob), 0);
	outbox_close(ob);
	ob = open_ob(*state);
	assert_int_equal(outbox_state_load(ob, count_state, &n), 0);
	assert_int_equal(n, 1);
	assert_true(outbox_sub_disabled(ob, "ops", "abc"));
	assert_false(outbox_sub_disabled(ob, "ops", "changed"));
	assert_false(outbox_sub_disabled(ob, "other", "abc"));
	outbox_close(ob);
}

struct ids {
	int n, stop_after;
	char id[8][40];
};

static bool
collect_event(void *arg, const char *id, const char *body)
{
	struct ids *ids = arg;

	assert_non_null(strstr(body, id));
	snprintf(ids->id[ids->n++], sizeof(ids->id[0]), "%s", id);
	return ids->n != ids->stop_after;
}

struct counts {
	int n;
	char sub[4][16];
	long long count[4];
};

static void
collect_count(void *arg, const char *subscriber, long long count)
{
	struct counts *c = arg;

	snprintf(c->sub[c->n], sizeof(c->sub[0]), "%s", subscriber);
	c->count[c->n++] = count;
}

/* The API's pages: events after an id, deliveries after a seq, counts per subscriber. */
static void
test_pages(void **state)
{
	const char *subs[] = { "a", "b" };
	struct outbox *ob = open_ob(*state);
	struct event *ev[3];
	struct ids all = { 0 }, after = { 0 }, stopped = { .stop_after = 1 };
	struct rows page = { 0 };
	struct counts counts = { 0 };
	int64_t seqs[3][2];

	for (int i = 0; i < 3; i++) {
		ev[i] = mkevent("x", NULL);
		assert_int_equal(outbox_add(ob, ev[i], subs, 2, 1000.0, seqs[i]), 0);
	}
	assert_int_equal(outbox_mark_dead(ob, seqs[0][1], 1, 404, "HTTP 404"), 0);
	assert_int_equal(outbox_commit(ob), 0);

	/* Ids are ULIDs: id order is creation order. */
	assert_int_equal(outbox_events_after(ob, NULL, 10, collect_event, &all), 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(all.id[i], ev[i]->id);
	assert_int_equal(outbox_events_after(ob, ev[0]->id, 10, collect_event, &after), 2);
	assert_string_equal(after.id[0], ev[1]->id);
	assert_int_equal(outbox_events_after(ob, ev[2]->id, 10, collect_event, &after), 0);
	assert_int_equal(outbox_events_after(ob, NULL, 10, collect_event, &stopped), 1);

	/* Pending deliveries after the first, two at most. */
	assert_int_equal(outbox_scan_page(ob, OUTBOX_PENDING, seqs[0][0], 2, collect, &page), 0);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.seq[0], seqs[1][0]);
	assert_int_equal(page.seq[1], seqs[1][1]);

	assert_int_equal(outbox_count_by_subscriber(ob, OUTBOX_PENDING, 10, collect_count,
	    &counts), 0);
	assert_int_equal(counts.n, 2);
	assert_string_equal(counts.sub[0], "a");
	assert_int_equal(counts.count[0], 3);
	assert_string_equal(counts.sub[1], "b");
	assert_int_equal(counts.count[1], 2);
	outbox_close(ob);
	for (int i = 0; i < 3; i++)
		event_free(ev[i]);
}

static void
test_open_fails_cleanly(void **state)
{
	char err[256] = "";

	(void)state;
	assert_null(outbox_open("/proc/definitely/not/here", err, sizeof(err)));
	assert_non_null(strstr(err, "/proc/definitely/not/here"));
}

static void
test_backoff(void **state)
{
	(void)state;
	/* The ceiling doubles from the first delay up to the cap; jitter scales it. */
	assert_true(delivery_backoff(1, 5, 3600, 1.0) == 5);
	assert_true(delivery_backoff(2, 5, 3600, 1.0) == 10);
	assert_true(delivery_backoff(5, 5, 3600, 1.0) == 80);
	assert_true(delivery_backoff(15, 5, 3600, 1.0) == 3600);
	assert_true(delivery_backoff(1000, 5, 3600, 1.0) == 3600);
	assert_true(delivery_backoff(3, 5, 3600, 0.5) == 10);
	assert_true(delivery_backoff(3, 5, 3600, 0.0) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_commit_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_batch_is_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_requests_and_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_state_and_subscribers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test(test_open_fails_cleanly),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
