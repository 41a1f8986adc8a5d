-- Idempotency keys of API creates: a retried request with the same key gets the first answer.
CREATE TABLE api_idempotency (
    tenant_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    key TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    -- 0 while the first request is still being answered.
    status INTEGER NOT NULL,
    response TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
