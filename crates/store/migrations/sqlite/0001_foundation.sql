-- Foundation: tenants, org, users, roles, sessions, API tokens, accounts, history, audit.
-- Ids are UUIDs stored as 16-byte blobs; timestamps are UTC RFC 3339 text.

CREATE TABLE tenants (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    default_locale TEXT NOT NULL DEFAULT 'zh-CN',
    created_at TEXT NOT NULL
);

CREATE TABLE departments (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    parent_id BLOB,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES departments(tenant_id, id)
);
CREATE INDEX departments_path ON departments(tenant_id, path);
CREATE UNIQUE INDEX departments_sibling_name ON departments(tenant_id, coalesce(parent_id, x''), name);

CREATE TABLE roles (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    key TEXT,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles(tenant_id, name);

CREATE TABLE users (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role_id BLOB NOT NULL,
    department_id BLOB,
    manager_id BLOB,
    manager_path TEXT NOT NULL,
    locale TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles(tenant_id, id),
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments(tenant_id, id),
    FOREIGN KEY (tenant_id, manager_id) REFERENCES users(tenant_id, id)
);
CREATE UNIQUE INDEX users_email ON users(tenant_id, email);
CREATE INDEX users_department ON users(tenant_id, department_id);
CREATE INDEX users_manager_path ON users(tenant_id, manager_path);
CREATE INDEX users_role ON users(tenant_id, role_id);

-- Sign-in routing: an e-mail address names one user in one company. Global by nature,
-- like `tenants`.
CREATE TABLE login_identities (
    email TEXT PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);

CREATE TABLE login_failures (
    email TEXT NOT NULL,
    failed_at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, failed_at);

CREATE TABLE sessions (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    token_hash BLOB NOT NULL,
    user_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
CREATE INDEX sessions_user ON sessions(tenant_id, user_id);

CREATE TABLE api_tokens (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    token_hash BLOB NOT NULL,
    user_id BLOB NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens(tenant_id, token_hash);
CREATE INDEX api_tokens_user ON api_tokens(tenant_id, user_id);

CREATE TABLE accounts (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    account_type TEXT NOT NULL,
    industry TEXT,
    province TEXT,
    city TEXT,
    grade TEXT,
    phone TEXT,
    website TEXT,
    address TEXT,
    credit_code TEXT,
    parent_id BLOB,
    description TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    owner_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES accounts(tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id)
);
-- One index per sort (with the id as tie-breaker for keyset pagination), per sort within an
-- owner (the "own" scopes), and per filter.
CREATE INDEX accounts_updated ON accounts(tenant_id, updated_at, id);
CREATE INDEX accounts_created ON accounts(tenant_id, created_at, id);
CREATE INDEX accounts_name ON accounts(tenant_id, name, id);
CREATE INDEX accounts_owner_updated ON accounts(tenant_id, owner_id, updated_at, id);
CREATE INDEX accounts_owner_name ON accounts(tenant_id, owner_id, name, id);
CREATE INDEX accounts_owner_created ON accounts(tenant_id, owner_id, created_at, id);
CREATE INDEX accounts_type ON accounts(tenant_id, account_type, updated_at);
CREATE INDEX accounts_industry ON accounts(tenant_id, industry, updated_at);
CREATE INDEX accounts_region ON accounts(tenant_id, province, city, updated_at);
CREATE INDEX accounts_grade ON accounts(tenant_id, grade, updated_at);
CREATE INDEX accounts_parent ON accounts(tenant_id, parent_id);
CREATE INDEX accounts_credit_code ON accounts(tenant_id, credit_code);
CREATE INDEX accounts_phone ON accounts(tenant_id, phone);

CREATE TABLE account_tags (
    tenant_id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, account_id, tag),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_tags_tag ON account_tags(tenant_id, tag, account_id);

-- Search tokens: CJK bigrams and word prefixes of names, computed by the application so that
-- SQLite and PostgreSQL return the same results.
CREATE TABLE account_search (
    tenant_id BLOB NOT NULL,
    token TEXT NOT NULL,
    account_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, token, account_id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_search_account ON account_search(tenant_id, account_id);

CREATE TABLE field_history (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    changed_by BLOB NOT NULL,
    changed_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX field_history_record ON field_history(tenant_id, object, record_id, id);

CREATE TABLE audit_log (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    actor_id BLOB,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    record_id BLOB,
    detail TEXT NOT NULL DEFAULT '{}',
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_record ON audit_log(tenant_id, object, record_id);
