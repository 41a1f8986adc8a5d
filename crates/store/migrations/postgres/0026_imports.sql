-- Imports of CSV and XLSX files: the upload (kept until the import is removed, so a restarted
-- worker resumes from it), the chosen sheet, column mapping and duplicate mode, the position
-- reached (written in each batch's own transaction) and the counts; one row per data row that
-- created or updated a record (undo deletes what was created, while unchanged) or failed (the
-- error file: the original cells and the field errors); the last mapping per user and object.
CREATE TABLE imports (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    object TEXT NOT NULL,
    created_by UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    sheet TEXT,
    headers TEXT NOT NULL,
    mapping TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id UUID,
    total_rows BIGINT NOT NULL DEFAULT 0,
    position BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    finished_at TIMESTAMPTZ,
    undone_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users(tenant_id, id)
);
CREATE INDEX imports_by_user ON imports(tenant_id, created_by, id);

CREATE TABLE import_files (
    tenant_id UUID NOT NULL,
    import_id UUID NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, import_id),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE import_rows (
    tenant_id UUID NOT NULL,
    import_id UUID NOT NULL,
    row_number BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    record_id UUID,
    version BIGINT,
    cells TEXT,
    errors TEXT,
    PRIMARY KEY (tenant_id, import_id, row_number),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX import_rows_outcome ON import_rows(tenant_id, import_id, outcome, row_number);

CREATE TABLE import_mappings (
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    object TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, user_id, object),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
