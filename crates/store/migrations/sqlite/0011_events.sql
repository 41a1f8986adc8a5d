-- The change feed (outbox): one row per committed change of a record, written in the change's
-- own transaction. SQLite has one writer at a time, so seq (AUTOINCREMENT: never reused, also
-- after pruning) is assigned in commit order. The key is seq alone, which AUTOINCREMENT needs;
-- the company comes first in the feed's index.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    at TEXT NOT NULL,
    actor_id BLOB,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    owner_id BLOB,
    changes TEXT NOT NULL
);

CREATE UNIQUE INDEX events_feed ON events (tenant_id, seq);
CREATE INDEX events_object ON events (tenant_id, object, seq);
CREATE INDEX events_at ON events (tenant_id, at);
