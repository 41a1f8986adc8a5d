-- Idempotency keys of API creates: a retried request with the same key gets the first answer.
CREATE TABLE api_idempotency (
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    key TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    -- 0 while the first request is still being answered.
    status BIGINT NOT NULL,
    response JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, key)
);
CREATE INDEX api_idempotency_created ON api_idempotency(created_at);
