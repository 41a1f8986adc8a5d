-- The administrators' audit log is read newest first, narrowed by actor or by area (object)
-- and action, with a date range; each filter walks its own index in (at, id) order.
CREATE INDEX audit_log_at ON audit_log (tenant_id, at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_id, at DESC, id DESC);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object, action, at DESC, id DESC);

-- How far each company's search-token rebuild got (a job: store::reindex::rebuild_step),
-- written in each batch's transaction, so a rebuild interrupted by a crash resumes where it
-- stopped: the object being re-indexed and the last record done in it.
CREATE TABLE search_token_rebuilds (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    version INTEGER NOT NULL,
    object TEXT,
    after_id BLOB,
    records INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT,
    PRIMARY KEY (tenant_id)
);
