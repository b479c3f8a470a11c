-- An SQLite store as pollhook left it before schema versions (user_version 0).
CREATE TABLE events (id TEXT PRIMARY KEY, name TEXT NOT NULL, source TEXT NOT NULL,
    rule TEXT NOT NULL, instance TEXT, ts_ms INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX events_ts ON events(ts_ms);
CREATE TABLE deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL REFERENCES events(id), subscriber TEXT NOT NULL, okey TEXT NOT NULL,
    state INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL,
    next_at REAL NOT NULL, updated REAL NOT NULL, last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT);
CREATE INDEX deliveries_state ON deliveries(state, subscriber, seq);
CREATE INDEX deliveries_event ON deliveries(event_id);
CREATE TABLE rule_state (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE subscriber_state (name TEXT PRIMARY KEY, disabled_fp TEXT);
