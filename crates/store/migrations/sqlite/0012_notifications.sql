-- The in-app inbox. A notification names its kind and the parameters its text is rendered
-- from in the reader's language (only the record's name, never other field values), and the
-- record it links to. Ids are UUIDv7, so id order is arrival order (the list's keyset).
CREATE TABLE notifications (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    object TEXT,
    record_id BLOB,
    created_at TEXT NOT NULL,
    read_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
-- A user's inbox, newest first, and the capped unread count.
CREATE INDEX notifications_inbox ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id, read_at, id);

-- The reminder time a task's owner was last notified of: a reminder is due while remind_at
-- has passed and differs from it, so a postponed reminder fires again at its new time.
ALTER TABLE activities ADD COLUMN reminded_for TEXT;
