-- Exports of a list view to CSV or XLSX: what was asked (object, filters, sort, columns,
-- format, the reader's language), the state of its job, the rows written, and the file in
-- chunks written by the job (so neither writing nor downloading holds the whole file). Removed
-- with their chunks by the housekeeping after the retention period.
CREATE TABLE exports (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    object TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    format TEXT NOT NULL,
    language TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id UUID,
    rows_done BIGINT NOT NULL DEFAULT 0,
    row_count BIGINT,
    size BIGINT,
    file_name TEXT NOT NULL,
    error TEXT,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users(tenant_id, id)
);
CREATE INDEX exports_by_user ON exports(tenant_id, created_by, id);
CREATE INDEX exports_by_time ON exports(tenant_id, created_at);

CREATE TABLE export_chunks (
    tenant_id UUID NOT NULL,
    export_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, export_id, seq),
    FOREIGN KEY (tenant_id, export_id) REFERENCES exports(tenant_id, id) ON DELETE CASCADE
);
