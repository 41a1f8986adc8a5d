-- An idempotency key is now written in the same transaction as the record it created, with
-- that record's id; its answer is added once the response is built. A key without a record
-- is never stored, so the "still running" rows of the old scheme (status 0) are claims left
-- by a crash: forgotten, so that a retry creates afresh.
ALTER TABLE api_idempotency ADD COLUMN record_id UUID;
DELETE FROM api_idempotency WHERE status = 0;

-- Rows written and removed by the health check to learn whether writes succeed.
CREATE TABLE health_probe (
    id BIGSERIAL PRIMARY KEY,
    payload BYTEA NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL
);
