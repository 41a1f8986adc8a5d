-- Exports of a list view to CSV or XLSX: what was asked (object, filters, sort, columns,
-- format, the reader's language), the state of its job, the rows written, and the file in
-- chunks written by the job (so neither writing nor downloading holds the whole file). Removed
-- with their chunks by the housekeeping after the retention period.
CREATE TABLE exports (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    created_by BLOB NOT NULL,
    created_at TEXT NOT NULL,
    format TEXT NOT NULL,
    language TEXT NOT NULL,
    request TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id BLOB,
    rows_done INTEGER NOT NULL DEFAULT 0,
    row_count INTEGER,
    size INTEGER,
    file_name TEXT NOT NULL,
    error TEXT,
    finished_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users(tenant_id, id)
);
CREATE INDEX exports_by_user ON exports(tenant_id, created_by, id);
CREATE INDEX exports_by_time ON exports(tenant_id, created_at);

CREATE TABLE export_chunks (
    tenant_id BLOB NOT NULL,
    export_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (tenant_id, export_id, seq),
    FOREIGN KEY (tenant_id, export_id) REFERENCES exports(tenant_id, id) ON DELETE CASCADE
);
