-- Each user's choice of channels per notification kind: in_app, email, both or none. A kind
-- without a row is in_app, so kinds added later need no rows.
CREATE TABLE notification_preferences (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    user_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    channels TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, kind),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);

-- The company's outgoing mail server, set by an administrator (the server's --smtp-url
-- overrides it). security: starttls, tls (implicit) or none.
CREATE TABLE mail_settings (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    security TEXT NOT NULL,
    username TEXT,
    password TEXT,
    from_address TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB,
    PRIMARY KEY (tenant_id)
);

-- One row per notification mail: written with its send job, updated by each attempt. The
-- notification's kind and parameters are kept here, so a mail-only notification needs no
-- inbox row. state: queued, retrying, sent, failed (after the last attempt).
CREATE TABLE mail_deliveries (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    object TEXT,
    record_id BLOB,
    subject TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
