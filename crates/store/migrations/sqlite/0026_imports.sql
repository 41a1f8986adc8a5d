-- Imports of CSV and XLSX files: the upload (kept until the import is removed, so a restarted
-- worker resumes from it), the chosen sheet, column mapping and duplicate mode, the position
-- reached (written in each batch's own transaction) and the counts; one row per data row that
-- created or updated a record (undo deletes what was created, while unchanged) or failed (the
-- error file: the original cells and the field errors); the last mapping per user and object.
CREATE TABLE imports (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    created_by BLOB NOT NULL,
    created_at TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    sheet TEXT,
    headers TEXT NOT NULL,
    mapping TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id BLOB,
    total_rows INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT,
    undone_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users(tenant_id, id)
);
CREATE INDEX imports_by_user ON imports(tenant_id, created_by, id);

CREATE TABLE import_files (
    tenant_id BLOB NOT NULL,
    import_id BLOB NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (tenant_id, import_id),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports(tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE import_rows (
    tenant_id BLOB NOT NULL,
    import_id BLOB NOT NULL,
    row_number INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    record_id BLOB,
    version INTEGER,
    cells TEXT,
    errors TEXT,
    PRIMARY KEY (tenant_id, import_id, row_number),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX import_rows_outcome ON import_rows(tenant_id, import_id, outcome, row_number);

CREATE TABLE import_mappings (
    tenant_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    object TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, object),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
