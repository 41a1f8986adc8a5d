-- Visibility beyond the owner's scope: explicit shares of a record with a user, a department
-- or a role; the record's team; and pools, whose records their members see. The grantee
-- columns lead every index, since the visibility predicate asks "which records of this
-- object are granted to me" (and sign-in asks whether there are any at all).
CREATE TABLE record_shares (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    user_id BLOB,
    department_id BLOB,
    role_id BLOB,
    access TEXT NOT NULL CHECK (access IN ('read', 'edit')),
    created_by BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles(tenant_id, id) ON DELETE CASCADE,
    CHECK ((user_id IS NOT NULL) + (department_id IS NOT NULL) + (role_id IS NOT NULL) = 1)
);
CREATE INDEX record_shares_record ON record_shares (tenant_id, object, record_id);
CREATE UNIQUE INDEX record_shares_user ON record_shares (tenant_id, user_id, object, record_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX record_shares_department ON record_shares (tenant_id, department_id, object, record_id)
    WHERE department_id IS NOT NULL;
CREATE UNIQUE INDEX record_shares_role ON record_shares (tenant_id, role_id, object, record_id)
    WHERE role_id IS NOT NULL;

CREATE TABLE record_team (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    access TEXT NOT NULL CHECK (access IN ('read', 'edit')),
    role TEXT,
    added_by BLOB NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object, record_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX record_team_user ON record_team (tenant_id, user_id, object, record_id);

CREATE TABLE pools (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX pools_object ON pools (tenant_id, object, name);

CREATE TABLE pool_members (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    pool_id BLOB NOT NULL,
    user_id BLOB,
    department_id BLOB,
    role_id BLOB,
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, department_id) REFERENCES departments(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles(tenant_id, id) ON DELETE CASCADE,
    CHECK ((user_id IS NOT NULL) + (department_id IS NOT NULL) + (role_id IS NOT NULL) = 1)
);
CREATE UNIQUE INDEX pool_members_user ON pool_members (tenant_id, user_id, pool_id)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX pool_members_department ON pool_members (tenant_id, department_id, pool_id)
    WHERE department_id IS NOT NULL;
CREATE UNIQUE INDEX pool_members_role ON pool_members (tenant_id, role_id, pool_id)
    WHERE role_id IS NOT NULL;
CREATE INDEX pool_members_pool ON pool_members (tenant_id, pool_id);

-- A lead or account in a pool is visible to the pool's members (pools add claiming later).
ALTER TABLE leads ADD COLUMN pool_id BLOB;
ALTER TABLE accounts ADD COLUMN pool_id BLOB;
CREATE INDEX leads_pool_updated_at ON leads (tenant_id, pool_id, updated_at, id) WHERE pool_id IS NOT NULL;
CREATE INDEX accounts_pool_updated ON accounts (tenant_id, pool_id, updated_at, id) WHERE pool_id IS NOT NULL;
