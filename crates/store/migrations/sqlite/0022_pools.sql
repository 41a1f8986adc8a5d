-- Public pools (公海池): settings of each pool, its administrators, the company's return
-- reasons, who holds a record claimed from a pool, and the log of pool events.
ALTER TABLE pools ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN open_to_all INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN claims_per_day INTEGER;
ALTER TABLE pools ADD COLUMN max_held INTEGER;
ALTER TABLE pools ADD COLUMN protection_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN idle_days INTEGER;
ALTER TABLE pools ADD COLUMN stale_days INTEGER;
ALTER TABLE pools ADD COLUMN remind_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN no_reclaim_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX pools_default ON pools (tenant_id, object) WHERE is_default = 1;

CREATE TABLE pool_admins (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    pool_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, pool_id, user_id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pool_admins_user ON pool_admins (tenant_id, user_id);

CREATE TABLE pool_return_reasons (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    key TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- The rep holding a record claimed from (or assigned out of) a pool: the pool whose rules
-- govern it and the end of its protection.
CREATE TABLE pool_holdings (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    pool_id BLOB NOT NULL,
    user_id BLOB NOT NULL,
    claimed_at TEXT NOT NULL,
    protected_until TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object, record_id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pool_holdings_user ON pool_holdings (tenant_id, pool_id, user_id);

-- claimed, returned (reason), recycled (rule), assigned, reminded: per record, per rep.
CREATE TABLE pool_events (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    pool_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    user_id BLOB NOT NULL,
    actor_id BLOB,
    reason TEXT,
    held_since TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pool_events_record ON pool_events (tenant_id, object, record_id, at);
CREATE INDEX pool_events_user ON pool_events (tenant_id, pool_id, user_id, kind, at);
CREATE INDEX pool_events_pool ON pool_events (tenant_id, pool_id, at);

-- Recycling looks for held records by their last contact and age.
CREATE INDEX leads_unpooled_contacted ON leads (tenant_id, last_contacted_at, id) WHERE pool_id IS NULL;
CREATE INDEX accounts_unpooled_contacted ON accounts (tenant_id, last_contacted_at, id) WHERE pool_id IS NULL;

-- Every company starts with a lead pool and a customer pool open to everyone.
INSERT INTO pools (tenant_id, id, object, name, created_at, is_default, open_to_all, protection_days, remind_days, no_reclaim_days)
    SELECT id, randomblob(16), 'lead', CASE WHEN default_locale = 'en' THEN 'Lead pool' ELSE '线索公海' END,
        strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 1, 1, 0, 0, 0 FROM tenants;
INSERT INTO pools (tenant_id, id, object, name, created_at, is_default, open_to_all, protection_days, remind_days, no_reclaim_days)
    SELECT id, randomblob(16), 'account', CASE WHEN default_locale = 'en' THEN 'Customer pool' ELSE '客户公海' END,
        strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), 1, 1, 0, 0, 0 FROM tenants;
INSERT INTO pool_return_reasons (tenant_id, key, name_zh, name_en, active, position)
    SELECT t.id, r.key, r.name_zh, r.name_en, 1, r.position FROM tenants t CROSS JOIN (
        SELECT 'unreachable' AS key, '联系不上' AS name_zh, 'Cannot be reached' AS name_en, 0 AS position
        UNION ALL SELECT 'no_need', '暂无需求', 'No need for now', 1
        UNION ALL SELECT 'not_decision_maker', '非决策人', 'Not the decision maker', 2
        UNION ALL SELECT 'has_supplier', '已有供应商', 'Has a supplier', 3
        UNION ALL SELECT 'other', '其他', 'Other', 4
    ) r;
