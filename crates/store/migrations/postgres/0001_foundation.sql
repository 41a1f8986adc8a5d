-- Foundation: tenants, org, users, roles, sessions, API tokens, accounts, history, audit.
-- Ids are native UUIDs; timestamps are timestamptz; sortable text uses the C collation so
-- that ordering (and keyset pagination) matches SQLite byte for byte.

CREATE TABLE tenants (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    default_locale TEXT NOT NULL DEFAULT 'zh-CN',
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE departments (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    parent_id UUID,
    name TEXT NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES departments(tenant_id, id)
);
CREATE INDEX departments_path ON departments(tenant_id, path);
CREATE UNIQUE INDEX departments_sibling_name ON departments(tenant_id, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), name);

CREATE TABLE roles (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    key TEXT,
    name TEXT NOT NULL,
    permissions JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles(tenant_id, name);

CREATE TABLE users (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role_id UUID NOT NULL,
    department_id UUID,
    manager_id UUID,
    manager_path TEXT COLLATE "C" NOT NULL,
    locale TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
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
    tenant_id UUID NOT NULL,
    user_id UUID NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);

CREATE TABLE login_failures (
    email TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_email ON login_failures(email, failed_at);

CREATE TABLE sessions (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    token_hash BYTEA NOT NULL,
    user_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
CREATE INDEX sessions_user ON sessions(tenant_id, user_id);

CREATE TABLE api_tokens (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    token_hash BYTEA NOT NULL,
    user_id UUID NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id)
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens(tenant_id, token_hash);
CREATE INDEX api_tokens_user ON api_tokens(tenant_id, user_id);

CREATE TABLE accounts (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    account_type TEXT NOT NULL,
    industry TEXT COLLATE "C",
    province TEXT,
    city TEXT COLLATE "C",
    grade TEXT,
    phone TEXT,
    website TEXT,
    address TEXT,
    credit_code TEXT,
    parent_id UUID,
    description TEXT,
    tags JSONB NOT NULL DEFAULT '[]',
    owner_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
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
    tenant_id UUID NOT NULL,
    account_id UUID NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, account_id, tag),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_tags_tag ON account_tags(tenant_id, tag, account_id);

-- Search tokens: CJK bigrams and word prefixes of names, computed by the application so that
-- SQLite and PostgreSQL return the same results.
CREATE TABLE account_search (
    tenant_id UUID NOT NULL,
    token TEXT COLLATE "C" NOT NULL,
    account_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, token, account_id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_search_account ON account_search(tenant_id, account_id);

CREATE TABLE field_history (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    object TEXT NOT NULL,
    record_id UUID NOT NULL,
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    changed_by UUID NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX field_history_record ON field_history(tenant_id, object, record_id, id);

CREATE TABLE audit_log (
    tenant_id UUID NOT NULL,
    id UUID NOT NULL,
    actor_id UUID,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    record_id UUID,
    detail JSONB NOT NULL DEFAULT '{}',
    at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_record ON audit_log(tenant_id, object, record_id);
