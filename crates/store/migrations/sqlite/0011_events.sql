-- The change feed (outbox): one row per committed change of a record, written in the change's
-- own transaction. SQLite has one writer at a time, so seq, taken from event_sequence by that
-- writer (store::events::flush), grows in commit order and is never reused, also after pruning.
CREATE TABLE events (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor_id BLOB,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    owner_id BLOB,
    changes TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

-- The last number given to an event (global by nature, like tenants: one row).
CREATE TABLE event_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO event_sequence (id, last_seq) VALUES (1, 0);

CREATE INDEX events_object ON events (tenant_id, object, seq);
CREATE INDEX events_at ON events (tenant_id, at);
