/*
 * The SQL of the PostgreSQL store: the schema's migrations and every
 * statement the backend runs, prepared once per connection.
 *
 * Batches travel as arrays (one statement per kind of write, rows from
 * unnest), so that a commit of ten thousand events is a handful of
 * statements in one round trip. Every write is idempotent, since a commit
 * whose answer was lost with its connection is sent again: events and
 * deliveries are unique (event id; event and subscriber), outcomes are
 * fenced by the claim (claimed_by = this member), states are upserts.
 *
 * Claims: a pending delivery is held by the member in claimed_by while that
 * member's lease (members.lease_until) is in the future. Only the head of
 * an ordering key (subscriber, okey: the oldest pending row) can be claimed
 * by store_claim, and it is claimed with the rest of its key, so that one
 * member delivers a key's rows in order. A delivery is claimed when it is
 * stored if no older pending row of its key is held by someone else.
 */

#include "store_pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Held by nobody live: unclaimed, or claimed by a member whose lease lapsed. */
#define UNHELD(t) "(" t ".claimed_by IS NULL OR " t ".claimed_by IN" \
	" (SELECT m.id FROM members m WHERE m.lease_until < now()))"

#define ROW_COLUMNS "d.seq, d.event_id, d.subscriber, d.okey, d.state, d.attempts," \
	" d.created, d.next_at, d.last_status, d.last_error, e.name, e.body, e.source," \
	" e.rule, e.instance, e.ts_ms, d.updated"

#define NOTIFY_CHANNEL "pollhook_deliveries"
#define CLUSTER_CHANNEL "pollhook_cluster"	/* membership or ownership changed */

/* A fenced write's rows pass when their epoch is 0 (no cluster) or the owner's. */
#define FENCE_OWN(src, ids, me) "own AS (SELECT o.source, o.epoch FROM cluster_owners o" \
	" WHERE o.owner = " me " AND o.source IN (SELECT " src " FROM " ids ") FOR SHARE)"

static const struct pg_migration migrations[] = {
	{ 1, "the outbox, rule state and subscriber state",
	    "CREATE TABLE IF NOT EXISTS events ("
	    " id text COLLATE \"C\" PRIMARY KEY, name text NOT NULL, source text NOT NULL,"
	    " rule text NOT NULL, instance text, ts_ms bigint NOT NULL, body text NOT NULL);"
	    "CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);"
	    "CREATE TABLE IF NOT EXISTS deliveries ("
	    " seq bigserial PRIMARY KEY, event_id text COLLATE \"C\" NOT NULL,"
	    " subscriber text NOT NULL, okey text NOT NULL, state smallint NOT NULL,"
	    " attempts integer NOT NULL DEFAULT 0, created double precision NOT NULL,"
	    " next_at double precision NOT NULL, updated double precision NOT NULL,"
	    " last_status integer NOT NULL DEFAULT 0, last_error text);"
	    /* Pages and retries go by state in seq order; a key is looked up by its own index. */
	    "CREATE INDEX IF NOT EXISTS deliveries_state ON deliveries(state, seq);"
	    "CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_id);"
	    "CREATE TABLE IF NOT EXISTS rule_state (key text PRIMARY KEY, json text NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS subscriber_state (name text PRIMARY KEY,"
	    " disabled_fp text);" },
	{ 2, "claims: members with leases, deliveries claimed by one",
	    "CREATE TABLE members (id bigserial PRIMARY KEY, name text NOT NULL,"
	    " started timestamptz NOT NULL DEFAULT now(), lease_until timestamptz NOT NULL);"
	    "CREATE INDEX members_name ON members(name);"
	    "ALTER TABLE deliveries ADD COLUMN claimed_by bigint;"
	    "CREATE UNIQUE INDEX deliveries_once ON deliveries(event_id, subscriber);"
	    "CREATE INDEX deliveries_key ON deliveries(subscriber, okey, seq) WHERE state = 0;"
	    "CREATE INDEX deliveries_claim ON deliveries(claimed_by, seq) WHERE state = 0;"
	    /* Usually empty: what store_claim and the wake-ups look for is found at once. */
	    "CREATE INDEX deliveries_unclaimed ON deliveries(subscriber, okey, seq)"
	    " WHERE state = 0 AND claimed_by IS NULL;"
	    /* A queue: every row is deleted soon after it is made; vacuum keeps up. */
	    "ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.01,"
	    " autovacuum_vacuum_threshold = 2000, autovacuum_analyze_scale_factor = 0.02);" },
	{ 3, "the cluster: members with versions, sources owned under epochs",
	    "ALTER TABLE members ADD COLUMN cluster boolean NOT NULL DEFAULT false,"
	    " ADD COLUMN version text, ADD COLUMN last_seen timestamptz NOT NULL DEFAULT now();"
	    /* The source a rule state's key is of: cursor:SOURCE or RULE US SOURCE US INSTANCE. */
	    "CREATE FUNCTION pollhook_key_source(k text) RETURNS text LANGUAGE sql IMMUTABLE"
	    " AS $f$ SELECT CASE WHEN k LIKE 'cursor:%' THEN substr(k, 8)"
	    " ELSE split_part(k, chr(31), 2) END $f$;"
	    "CREATE INDEX rule_state_source ON rule_state(pollhook_key_source(key));"
	    /* owner NULL: released; an owner that is no live member: taken by the next. */
	    "CREATE TABLE cluster_owners (source text PRIMARY KEY, owner bigint,"
	    " epoch bigint NOT NULL, since timestamptz NOT NULL DEFAULT now());"
	    "CREATE INDEX cluster_owners_owner ON cluster_owners(owner);" },
	{ 4, "subscribers added through the API",
	    "CREATE TABLE api_subscribers (name text PRIMARY KEY, record text NOT NULL);" },
	{ 5, "silences added through the API",
	    "CREATE TABLE silences (id text COLLATE \"C\" PRIMARY KEY, record text NOT NULL);" },
	{ 6, "devices found by bridge.discover",
	    "CREATE TABLE discovered (key text PRIMARY KEY, record text NOT NULL);" },
	/*
	 * A member's owners_gen grows with every change of sources it makes (a
	 * take, a release): a heartbeat reads the live members' gens alone and
	 * lists the sources only when one moved. Only the member making the
	 * change is bumped, not the one it took from: that one sees the taker's
	 * gen move (and a dead one's row is not fought over by its survivors'
	 * takes). The transition tables are read once each, never joined (they
	 * have no index: ten thousand rows joined cost seconds).
	 */
	{ 7, "the cluster: a gen per member that grows when it takes or releases sources",
	    "ALTER TABLE members ADD COLUMN owners_gen bigint NOT NULL DEFAULT 0;"
	    "CREATE FUNCTION pollhook_owners_changed() RETURNS trigger LANGUAGE plpgsql AS $f$"
	    " DECLARE ids bigint[];"
	    " BEGIN"
	    " IF TG_OP <> 'DELETE' THEN"
	    " SELECT array_agg(DISTINCT n.owner) INTO ids FROM new_rows n WHERE n.owner IS NOT NULL;"
	    " END IF;"
	    /* Released (the owner set to NULL) or deleted: the member they were of. */
	    " IF ids IS NULL AND TG_OP <> 'INSERT' THEN"
	    " SELECT array_agg(DISTINCT o.owner) INTO ids FROM old_rows o WHERE o.owner IS NOT NULL;"
	    " END IF;"
	    " IF ids IS NOT NULL THEN"
	    " PERFORM 1 FROM members WHERE id = ANY(ids) ORDER BY id FOR UPDATE;"
	    " UPDATE members SET owners_gen = owners_gen + 1 WHERE id = ANY(ids);"
	    " END IF;"
	    " RETURN NULL;"
	    " END $f$;"
	    "CREATE TRIGGER cluster_owners_inserted AFTER INSERT ON cluster_owners"
	    " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT"
	    " EXECUTE FUNCTION pollhook_owners_changed();"
	    "CREATE TRIGGER cluster_owners_updated AFTER UPDATE ON cluster_owners"
	    " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT"
	    " EXECUTE FUNCTION pollhook_owners_changed();"
	    "CREATE TRIGGER cluster_owners_deleted AFTER DELETE ON cluster_owners"
	    " REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT"
	    " EXECUTE FUNCTION pollhook_owners_changed();" },
};

const struct pg_migration *
pg_migrations(size_t *n)
{
	*n = sizeof(migrations) / sizeof(migrations[0]);
	return migrations;
}

int
pg_schema_latest(void)
{
	return migrations[sizeof(migrations) / sizeof(migrations[0]) - 1].version;
}

char *
pg_migrate_sql(void)
{
	struct buf b = { 0 };
	size_t n;
	const struct pg_migration *m = pg_migrations(&n);
	int latest = pg_schema_latest();

	/*
	 * One statement, one transaction, under an advisory lock: instances
	 * starting together take turns, and a failed step changes nothing.
	 */
	buf_printf(&b, "DO $pollhook$ DECLARE v integer; BEGIN"
	    " PERFORM pg_advisory_xact_lock(%lld);"
	    " CREATE TABLE IF NOT EXISTS pollhook_schema (version integer PRIMARY KEY,"
	    " description text NOT NULL, applied timestamptz NOT NULL DEFAULT now());"
	    " SELECT coalesce(max(version), 0) INTO v FROM pollhook_schema;"
	    " IF v > %d THEN RAISE EXCEPTION 'schema version %% is newer than this pollhook"
	    " knows (%d): run a newer pollhook', v USING ERRCODE = '" PG_ERR_NEWER "'; END IF;",
	    (long long)PG_MIGRATE_LOCK, latest, latest);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, " IF v < %d THEN %s INSERT INTO pollhook_schema(version,"
		    " description) VALUES (%d, '%s'); END IF;", m[i].version, m[i].sql,
		    m[i].version, m[i].description);
	buf_printf(&b, " IF v < %d THEN RAISE NOTICE 'pollhook: schema version %% migrated to"
	    " %d', v; END IF; END $pollhook$", latest, latest);
	return b.p;
}

/*
 * The delivery insert, with a filter on the rows of unnest (u): claimed at
 * once unless an older pending row of the key is held by someone else (or
 * nobody). Rows of one statement do not see each other, so all of a key's
 * rows in a batch get the same answer.
 */
#define DELIVERIES_INSERT(FILTER) \
	"WITH ins AS (INSERT INTO deliveries(event_id, subscriber, okey, state, created," \
	" next_at, updated, claimed_by)" \
	" SELECT u.e, u.s, u.k, 0, u.t, u.t, u.t, CASE WHEN EXISTS (SELECT 1 FROM" \
	" deliveries o WHERE o.state = 0 AND o.subscriber = u.s AND o.okey = u.k AND" \
	" o.claimed_by IS DISTINCT FROM $5) THEN NULL ELSE $5::bigint END" \
	" FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[])" \
	" WITH ORDINALITY AS u(e, s, k, t, n)" FILTER " ORDER BY u.n" \
	" ON CONFLICT (event_id, subscriber) DO UPDATE SET event_id = EXCLUDED.event_id" \
	" RETURNING seq, event_id, subscriber, claimed_by)," \
	" woke AS (SELECT pg_notify('" NOTIFY_CHANNEL "', '') FROM ins" \
	" WHERE claimed_by IS NULL LIMIT 1)" \
	" SELECT seq, event_id, subscriber, claimed_by IS NOT DISTINCT FROM $5," \
	" (SELECT count(*) FROM woke) FROM ins"

/*
 * Claims the heads of keys nobody live holds, with the rest of their keys.
 * The candidates come from two index scans, rows nobody claimed and rows
 * of members whose lease lapsed, both usually empty: the rows held by
 * live members, nearly all of them, are never read.
 */
#define CLAIM_CTE \
	"WITH cand AS (SELECT seq FROM deliveries WHERE state = 0 AND claimed_by IS NULL" \
	" UNION ALL SELECT d.seq FROM members m JOIN deliveries d ON d.claimed_by = m.id" \
	" AND d.state = 0 WHERE m.lease_until < now())," \
	" heads AS (SELECT d.subscriber, d.okey, d.seq FROM deliveries d" \
	" WHERE d.seq IN (SELECT seq FROM cand) AND d.state = 0 AND " UNHELD("d") "" \
	" AND NOT EXISTS (SELECT 1 FROM deliveries o" \
	" WHERE o.state = 0 AND o.subscriber = d.subscriber AND o.okey = d.okey" \
	" AND o.seq < d.seq) ORDER BY d.seq LIMIT $2 FOR UPDATE OF d SKIP LOCKED)," \
	" claimed AS (UPDATE deliveries d SET claimed_by = $1 FROM heads h" \
	" WHERE d.state = 0 AND d.subscriber = h.subscriber AND d.okey = h.okey" \
	" AND d.seq >= h.seq AND " UNHELD("d") " RETURNING d.*)"

static const struct pg_stmt stmts[PS_NSTMTS] = {
	[PS_EVENTS_INSERT] = { "ph_events_insert", 7,
	    "INSERT INTO events(id, name, source, rule, instance, ts_ms, body)"
	    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
	    " $6::bigint[], $7::text[]) ON CONFLICT (id) DO NOTHING" },
	[PS_DELIVERIES_INSERT] = { "ph_deliveries_insert", 5, DELIVERIES_INSERT("") },
	/* Fenced: only the deliveries of events stored (the fenced insert kept them). */
	[PS_DELIVERIES_FENCED] = { "ph_deliveries_fenced", 5, DELIVERIES_INSERT(
	    " WHERE EXISTS (SELECT 1 FROM events e WHERE e.id = u.e)") },
	/* A key whose head is done or dead may have a successor nobody holds: wake them. */
	[PS_DONE] = { "ph_done", 2,
	    "WITH del AS (DELETE FROM deliveries WHERE seq = ANY($1::bigint[])"
	    " AND claimed_by = $2 RETURNING subscriber, okey)"
	    " SELECT pg_notify('" NOTIFY_CHANNEL "', '') FROM (SELECT 1 FROM del WHERE EXISTS"
	    " (SELECT 1 FROM deliveries x WHERE x.state = 0 AND x.claimed_by IS NULL"
	    " AND x.subscriber = del.subscriber AND x.okey = del.okey) LIMIT 1) s" },
	[PS_RETRY] = { "ph_retry", 7,
	    "UPDATE deliveries d SET attempts = u.a, next_at = u.n, last_status = u.s,"
	    " last_error = u.e, updated = u.t FROM unnest($1::bigint[], $2::integer[],"
	    " $3::float8[], $4::integer[], $5::text[], $6::float8[]) AS u(seq, a, n, s, e, t)"
	    " WHERE d.seq = u.seq AND d.claimed_by = $7" },
	[PS_DEAD] = { "ph_dead", 6,
	    "WITH dead AS (UPDATE deliveries d SET state = 1, attempts = u.a, last_status = u.s,"
	    " last_error = u.e, updated = u.t, claimed_by = NULL FROM unnest($1::bigint[],"
	    " $2::integer[], $3::integer[], $4::text[], $5::float8[]) AS u(seq, a, s, e, t)"
	    " WHERE d.seq = u.seq AND d.claimed_by = $6 RETURNING d.subscriber, d.okey)"
	    " SELECT pg_notify('" NOTIFY_CHANNEL "', '') FROM (SELECT 1 FROM dead WHERE EXISTS"
	    " (SELECT 1 FROM deliveries x WHERE x.state = 0 AND x.claimed_by IS NULL"
	    " AND x.subscriber = dead.subscriber AND x.okey = dead.okey) LIMIT 1) s" },
	[PS_STATES_UPSERT] = { "ph_states_upsert", 2,
	    "INSERT INTO rule_state(key, json) SELECT * FROM unnest($1::text[], $2::text[])"
	    " ON CONFLICT (key) DO UPDATE SET json = EXCLUDED.json" },
	[PS_STATES_DELETE] = { "ph_states_delete", 1,
	    "DELETE FROM rule_state WHERE key = ANY($1::text[])" },
	[PS_SUBS_UPSERT] = { "ph_subs_upsert", 2,
	    "INSERT INTO subscriber_state(name, disabled_fp) SELECT * FROM unnest($1::text[],"
	    " $2::text[]) ON CONFLICT (name) DO UPDATE SET disabled_fp = EXCLUDED.disabled_fp" },
	[PS_SWEEP] = { "ph_sweep", 1,
	    "DELETE FROM events e WHERE ts_ms < $1 AND NOT EXISTS"
	    " (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)" },
	[PS_IMPORT_DELIVERIES] = { "ph_import_deliveries", 11,
	    "INSERT INTO deliveries(seq, event_id, subscriber, okey, state, attempts, created,"
	    " next_at, updated, last_status, last_error) SELECT * FROM unnest($1::bigint[],"
	    " $2::text[], $3::text[], $4::text[], $5::smallint[], $6::integer[],"
	    " $7::float8[], $8::float8[], $9::float8[], $10::integer[], $11::text[])"
	    " ON CONFLICT DO NOTHING" },
	[PS_IMPORT_SEQ] = { "ph_import_seq", 0,
	    "SELECT setval(pg_get_serial_sequence('deliveries', 'seq'),"
	    " greatest((SELECT max(seq) FROM deliveries),"
	    " (SELECT last_value FROM deliveries_seq_seq), 1))" },
	[PS_RETRIES_TAKE] = { "ph_retries_take", 1,
	    "UPDATE deliveries SET state = 0, attempts = 0, next_at = $1, created = $1,"
	    " updated = $1, claimed_by = NULL WHERE state = 2 RETURNING seq" },
	[PS_CLAIM] = { "ph_claim", 2, CLAIM_CTE
	    " SELECT " ROW_COLUMNS " FROM claimed d JOIN events e ON e.id = d.event_id"
	    " ORDER BY d.seq" },
	/* The same claim, answering only how many of each subscriber it took. */
	[PS_CLAIM_QUIET] = { "ph_claim_quiet", 2, CLAIM_CTE
	    " SELECT subscriber, count(*) FROM claimed GROUP BY subscriber" },
	[PS_MEMBER_JOIN] = { "ph_member_join", 2,
	    "WITH me AS (INSERT INTO members(name, lease_until)"
	    " VALUES ($1, now() + make_interval(secs => $2)) RETURNING id),"
	    " earlier AS (UPDATE members SET lease_until = now() - interval '1 millisecond'"
	    " WHERE name = $1 AND id <> (SELECT id FROM me) AND lease_until > now()"
	    " RETURNING id),"
	    " gone AS (DELETE FROM members m WHERE m.lease_until < now() - interval '1 day'"
	    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.claimed_by = m.id)"
	    " RETURNING id)"
	    " SELECT (SELECT id FROM me), (SELECT count(*) FROM earlier),"
	    " (SELECT count(*) FROM gone)" },
	/* Also a sign of life: a cluster member is dead a lease after the last of either. */
	[PS_MEMBER_RENEW] = { "ph_member_renew", 2,
	    "UPDATE members SET lease_until = now() + make_interval(secs => $2), last_seen = now()"
	    " WHERE id = $1 RETURNING id" },
	[PS_RELEASE] = { "ph_release", 1,
	    "UPDATE deliveries SET claimed_by = NULL WHERE claimed_by = $1 AND state = 0" },
	[PS_LEAVE] = { "ph_leave", 1, "DELETE FROM members WHERE id = $1" },
	[PS_NOTIFY] = { "ph_notify", 0, "SELECT pg_notify('" NOTIFY_CHANNEL "', '')" },
	[PS_LISTEN] = { NULL, 0, "LISTEN " NOTIFY_CHANNEL },
	[PS_STATES] = { "ph_states", 0, "SELECT key, json FROM rule_state" },
	[PS_SUBS] = { "ph_subs", 0,
	    "SELECT name, disabled_fp FROM subscriber_state WHERE disabled_fp IS NOT NULL" },
	[PS_EVENTS_AFTER] = { "ph_events_after", 2,
	    "SELECT id, name, source, rule, instance, ts_ms, body FROM events"
	    " WHERE id > $1 ORDER BY id LIMIT $2" },
	[PS_DELIVERIES_PAGE] = { "ph_deliveries_page", 3,
	    "SELECT " ROW_COLUMNS " FROM deliveries d JOIN events e ON e.id = d.event_id"
	    " WHERE d.state = $1 AND d.seq > $2 ORDER BY d.seq LIMIT $3" },
	[PS_COUNT_BY_SUB] = { "ph_count", 2,
	    "SELECT subscriber, count(*) FROM deliveries WHERE state = $1"
	    " GROUP BY subscriber ORDER BY subscriber LIMIT $2" },
	[PS_DEPTH] = { "ph_depth", 0, "SELECT count(*) FROM deliveries WHERE state = 0" },
	[PS_REQUEST_RETRY] = { "ph_request_retry", 1,
	    "WITH r AS (UPDATE deliveries SET state = 2, claimed_by = NULL WHERE state = 1"
	    " AND ($1::bigint = 0 OR seq = $1::bigint) RETURNING 1),"
	    " woke AS (SELECT pg_notify('" NOTIFY_CHANNEL "', '') FROM r LIMIT 1)"
	    " SELECT count(*), (SELECT count(*) FROM woke) FROM r" },
	[PS_PURGE] = { "ph_purge", 1, "DELETE FROM deliveries WHERE state = 1 AND updated < $1" },
	[PS_SCHEMA_VERSION] = { NULL, 0, "SELECT coalesce(max(version), 0) FROM pollhook_schema" },
	/*
	 * Fenced writes, for members of a cluster: a row passes when its epoch
	 * is the one its source's ownership row has for this member ($last),
	 * read under a share lock, so a takeover (which updates that row) waits
	 * for the transaction, and one that came first refuses it. They return
	 * the sources refused, in a column named fenced_source.
	 */
	[PS_EVENTS_FENCED] = { "ph_events_fenced", 9,
	    "WITH u AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
	    " $5::text[], $6::bigint[], $7::text[], $8::bigint[])"
	    " AS u(id, name, source, rule, instance, ts_ms, body, epoch)),"
	    " " FENCE_OWN("u.source", "u", "$9") ","
	    " ok AS (SELECT u.* FROM u WHERE u.epoch = 0 OR EXISTS (SELECT 1 FROM own"
	    " WHERE own.source = u.source AND own.epoch = u.epoch)),"
	    " ins AS (INSERT INTO events(id, name, source, rule, instance, ts_ms, body)"
	    " SELECT id, name, source, rule, instance, ts_ms, body FROM ok"
	    " ON CONFLICT (id) DO NOTHING)"
	    " SELECT DISTINCT u.source AS fenced_source, u.epoch FROM u"
	    " WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.id = u.id)" },
	[PS_STATES_FENCED] = { "ph_states_fenced", 4,
	    "WITH u AS (SELECT u.*, pollhook_key_source(u.key) AS source FROM"
	    " unnest($1::text[], $2::text[], $3::bigint[]) AS u(key, json, epoch)),"
	    " " FENCE_OWN("u.source", "u", "$4") ","
	    " ok AS (SELECT u.* FROM u WHERE u.epoch = 0 OR EXISTS (SELECT 1 FROM own"
	    " WHERE own.source = u.source AND own.epoch = u.epoch)),"
	    " ins AS (INSERT INTO rule_state(key, json) SELECT key, json FROM ok"
	    " ON CONFLICT (key) DO UPDATE SET json = EXCLUDED.json)"
	    " SELECT DISTINCT u.source AS fenced_source, u.epoch FROM u"
	    " WHERE NOT EXISTS (SELECT 1 FROM ok WHERE ok.key = u.key)" },
	/*
	 * The heartbeat of a cluster member: its lease, and the live members
	 * with their gens (ours as renewed: the rest of the statement reads the
	 * snapshot before the update). One small statement: the sources and
	 * their counts (below) are read only when a gen moved.
	 */
	[PS_CLUSTER_BEAT] = { "ph_cluster_beat", 3,
	    "WITH me AS (UPDATE members SET lease_until = now() + make_interval(secs => $2),"
	    " last_seen = now(), cluster = true, version = $3 WHERE id = $1"
	    " RETURNING id, name, started, version, last_seen, lease_until, owners_gen)"
	    " SELECT id, name, extract(epoch FROM started), version, extract(epoch FROM last_seen),"
	    " extract(epoch FROM lease_until - now()), owners_gen, true FROM me"
	    " UNION ALL SELECT m.id, m.name, extract(epoch FROM m.started), m.version,"
	    " extract(epoch FROM m.last_seen), extract(epoch FROM m.lease_until - now()),"
	    " m.owners_gen, false FROM members m"
	    " WHERE m.cluster AND m.lease_until > now() AND m.id <> $1 ORDER BY 2, 1" },
	[PS_CLUSTER_COUNTS] = { "ph_cluster_counts", 0,
	    "SELECT owner, count(*), max(epoch) FROM cluster_owners WHERE owner IS NOT NULL"
	    " GROUP BY owner" },
	[PS_CLUSTER_MINE] = { "ph_cluster_mine", 1,
	    "SELECT source, epoch FROM cluster_owners WHERE owner = $1" },
	/*
	 * Takes what nobody live owns (released, never owned, or its owner's
	 * lease lapsed), each under a new epoch: the writes of an earlier owner
	 * are refused from now on.
	 */
	/*
	 * With, per source taken, when its previous owner was last known to
	 * poll it: its release, or its last heartbeat (NULL: never owned), so
	 * that the taker can poll at once what waited too long. prev reads the
	 * statement's snapshot, the upsert the rows as they are once their
	 * locks are granted: a live owner seen in prev was releasing the source
	 * meanwhile, and polled it until about now.
	 */
	[PS_CLUSTER_TAKE] = { "ph_cluster_take", 2,
	    "WITH prev AS (SELECT o.source, extract(epoch FROM CASE WHEN o.owner IS NULL"
	    " OR o.owner = $1 THEN o.since WHEN m.lease_until > now() THEN now()"
	    " ELSE coalesce(m.last_seen, o.since) END) AS since"
	    " FROM cluster_owners o LEFT JOIN members m ON m.id = o.owner"
	    " WHERE o.source = ANY($2::text[])),"
	    " took AS (INSERT INTO cluster_owners AS c(source, owner, epoch)"
	    " SELECT s, $1, 1 FROM unnest($2::text[]) AS s"
	    " ON CONFLICT (source) DO UPDATE SET owner = $1, epoch = c.epoch + 1, since = now()"
	    " WHERE c.owner IS NULL OR c.owner = $1 OR NOT EXISTS (SELECT 1 FROM members m"
	    " WHERE m.id = c.owner AND m.lease_until > now())"
	    " RETURNING source, epoch)"
	    " SELECT t.source, t.epoch, p.since FROM took t LEFT JOIN prev p ON p.source = t.source" },
	/* Its own statement: a snapshot taken after the take's locks were granted. */
	[PS_CLUSTER_STATES] = { "ph_cluster_states", 2,
	    "SELECT r.key, r.json FROM cluster_owners o JOIN rule_state r"
	    " ON pollhook_key_source(r.key) = o.source"
	    " WHERE o.owner = $1 AND o.source = ANY($2::text[])" },
	[PS_CLUSTER_RELEASE] = { "ph_cluster_release", 2,
	    "WITH r AS (UPDATE cluster_owners SET owner = NULL, since = now() WHERE owner = $1"
	    " AND ($2::text[] IS NULL OR source = ANY($2::text[])) RETURNING 1)"
	    " SELECT count(*), pg_notify('" CLUSTER_CHANNEL "', '') FROM r" },
	[PS_CLUSTER_LISTEN] = { NULL, 0, "LISTEN " CLUSTER_CHANNEL },
	[PS_DSUBS_UPSERT] = { "ph_dsubs_upsert", 2,
	    "INSERT INTO api_subscribers(name, record) SELECT * FROM unnest($1::text[],"
	    " $2::text[]) ON CONFLICT (name) DO UPDATE SET record = EXCLUDED.record" },
	[PS_DSUBS_DELETE] = { "ph_dsubs_delete", 1,
	    "DELETE FROM api_subscribers WHERE name = ANY($1::text[])" },
	[PS_DSUBS] = { "ph_dsubs", 0, "SELECT name, record FROM api_subscribers ORDER BY name" },
	[PS_SILENCES_UPSERT] = { "ph_silences_upsert", 2,
	    "INSERT INTO silences(id, record) SELECT * FROM unnest($1::text[],"
	    " $2::text[]) ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record" },
	[PS_SILENCES_DELETE] = { "ph_silences_delete", 1,
	    "DELETE FROM silences WHERE id = ANY($1::text[])" },
	[PS_SILENCES] = { "ph_silences", 0, "SELECT id, record FROM silences ORDER BY id" },
	[PS_DISCS_UPSERT] = { "ph_discs_upsert", 2,
	    "INSERT INTO discovered(key, record) SELECT * FROM unnest($1::text[],"
	    " $2::text[]) ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record" },
	[PS_DISCS_DELETE] = { "ph_discs_delete", 1,
	    "DELETE FROM discovered WHERE key = ANY($1::text[])" },
	[PS_DISCS] = { "ph_discs", 0, "SELECT key, record FROM discovered ORDER BY key" },
	/* Through deliveries_claim (claimed_by, seq), where this member's rows are. */
	[PS_PENDING_PAGE] = { "ph_pending_page", 4,
	    "SELECT " ROW_COLUMNS " FROM deliveries d JOIN events e ON e.id = d.event_id"
	    " WHERE d.state = 0 AND d.claimed_by = $1 AND d.subscriber = $2 AND d.seq > $3"
	    " ORDER BY d.seq LIMIT $4" },
	[PS_DROP_DELIVERIES] = { "ph_drop_deliveries", 1,
	    "WITH d AS (DELETE FROM deliveries WHERE subscriber = $1 RETURNING state)"
	    " SELECT count(*) FILTER (WHERE state <> 1) FROM d" },
	[PS_RECOVER] = { "ph_recover", 2,
	    "WITH r AS (UPDATE deliveries SET state = 2, claimed_by = NULL WHERE state = 1"
	    " AND subscriber = $1 AND updated >= $2::float8 RETURNING 1),"
	    " woke AS (SELECT pg_notify('" NOTIFY_CHANNEL "', '') FROM r LIMIT 1)"
	    " SELECT count(*), (SELECT count(*) FROM woke) FROM r" },
};

const struct pg_stmt *
pg_stmt(enum pg_stmt_id id)
{
	return &stmts[id];
}

void
pg_array_text(struct buf *b, const char *const *v, size_t n)
{
	buf_str(b, "{");
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i], *run;

		if (i > 0)
			buf_str(b, ",");
		if (s == NULL) {
			buf_str(b, "NULL");
			continue;
		}
		buf_str(b, "\"");
		/* Runs without a quote or backslash go whole. */
		for (run = s; *s != '\0'; s++) {
			if (*s != '"' && *s != '\\')
				continue;
			buf_add(b, run, (size_t)(s - run));
			buf_add(b, "\\", 1);
			run = s;
		}
		buf_add(b, run, (size_t)(s - run));
		buf_str(b, "\"");
	}
	buf_str(b, "}");
}

void
pg_array_int(struct buf *b, const long long *v, size_t n)
{
	char num[32];

	buf_str(b, "{");
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(num, sizeof(num), "%s%lld", i > 0 ? "," : "", v[i]);

		buf_add(b, num, (size_t)len);
	}
	buf_str(b, "}");
}

void
pg_array_double(struct buf *b, const double *v, size_t n)
{
	char num[40];

	buf_str(b, "{");
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(num, sizeof(num), "%s%.17g", i > 0 ? "," : "", v[i]);

		buf_add(b, num, (size_t)len);
	}
	buf_str(b, "}");
}
