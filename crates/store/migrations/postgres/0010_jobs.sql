-- The durable job queue. A job is claimed by one worker at a time: the claim takes the row
-- with FOR UPDATE SKIP LOCKED and sets a lease (owner and expiry); a job whose lease expired
-- (its worker died) is claimable again. Recurring jobs carry their schedule and period, unique
-- per company, so that two servers never enqueue the same period twice.
CREATE TABLE jobs (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    progress_message TEXT,
    result JSONB,
    last_error TEXT,
    schedule TEXT,
    period TEXT,
    created_by UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- What workers claim: waiting jobs by due time, and running ones by lease expiry.
CREATE INDEX jobs_waiting ON jobs (run_at, id) WHERE state IN ('queued', 'retrying');
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
-- One job per company, schedule and period.
CREATE UNIQUE INDEX jobs_period ON jobs (tenant_id, schedule, period) WHERE schedule IS NOT NULL;
-- The administrators' list by state, newest first.
CREATE INDEX jobs_by_state ON jobs (tenant_id, state, updated_at DESC, id);
