-- A PostgreSQL store at schema version 1 (before claims), as an earlier
-- pollhook left it: one pending delivery, one dead letter, a firing rule.
CREATE TABLE events (id text COLLATE "C" PRIMARY KEY, name text NOT NULL, source text NOT NULL,
    rule text NOT NULL, instance text, ts_ms bigint NOT NULL, body text NOT NULL);
CREATE INDEX events_ts ON events(ts_ms);
CREATE TABLE deliveries (seq bigserial PRIMARY KEY, event_id text COLLATE "C" NOT NULL,
    subscriber text NOT NULL, okey text NOT NULL, state smallint NOT NULL,
    attempts integer NOT NULL DEFAULT 0, created double precision NOT NULL,
    next_at double precision NOT NULL, updated double precision NOT NULL,
    last_status integer NOT NULL DEFAULT 0, last_error text);
CREATE INDEX deliveries_state ON deliveries(state, seq);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE TABLE rule_state (key text PRIMARY KEY, json text NOT NULL);
CREATE TABLE subscriber_state (name text PRIMARY KEY, disabled_fp text);
CREATE TABLE pollhook_schema (version integer PRIMARY KEY, description text NOT NULL,
    applied timestamptz NOT NULL DEFAULT now());
INSERT INTO pollhook_schema(version, description) VALUES (1, 'the outbox, rule state and subscriber state');
