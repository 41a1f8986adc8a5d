-- Public pools (公海池): settings of each pool, its administrators, the company's return
-- reasons, who holds a record claimed from a pool, and the log of pool events.
ALTER TABLE pools ADD COLUMN is_default BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pools ADD COLUMN open_to_all BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE pools ADD COLUMN claims_per_day BIGINT;
ALTER TABLE pools ADD COLUMN max_held BIGINT;
ALTER TABLE pools ADD COLUMN protection_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN idle_days BIGINT;
ALTER TABLE pools ADD COLUMN stale_days BIGINT;
ALTER TABLE pools ADD COLUMN remind_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN no_reclaim_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE pools ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
CREATE UNIQUE INDEX pools_default ON pools (tenant_id, object) WHERE is_default;

CREATE TABLE pool_admins (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    pool_id UUID NOT NULL,
    user_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, pool_id, user_id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pool_admins_user ON pool_admins (tenant_id, user_id);

CREATE TABLE pool_return_reasons (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    key TEXT COLLATE "C" NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    position BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- The rep holding a record claimed from (or assigned out of) a pool: the pool whose rules
-- govern it and the end of its protection.
CREATE TABLE pool_holdings (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    record_id UUID NOT NULL,
    pool_id UUID NOT NULL,
    user_id UUID NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL,
    protected_until TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, object, record_id),
    FOREIGN KEY (tenant_id, pool_id) REFERENCES pools(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pool_holdings_user ON pool_holdings (tenant_id, pool_id, user_id);

-- claimed, returned (reason), recycled (rule), assigned, reminded: per record, per rep.
CREATE TABLE pool_events (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    object TEXT NOT NULL,
    record_id UUID NOT NULL,
    pool_id UUID NOT NULL,
    kind TEXT NOT NULL,
    user_id UUID NOT NULL,
    actor_id UUID,
    reason TEXT,
    held_since TIMESTAMPTZ,
    at TIMESTAMPTZ NOT NULL,
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
    SELECT id, gen_random_uuid(), 'lead', CASE WHEN default_locale = 'en' THEN 'Lead pool' ELSE '线索公海' END,
        now(), TRUE, TRUE, 0, 0, 0 FROM tenants;
INSERT INTO pools (tenant_id, id, object, name, created_at, is_default, open_to_all, protection_days, remind_days, no_reclaim_days)
    SELECT id, gen_random_uuid(), 'account', CASE WHEN default_locale = 'en' THEN 'Customer pool' ELSE '客户公海' END,
        now(), TRUE, TRUE, 0, 0, 0 FROM tenants;
INSERT INTO pool_return_reasons (tenant_id, key, name_zh, name_en, active, position)
    SELECT t.id, r.key, r.name_zh, r.name_en, TRUE, r.position FROM tenants t CROSS JOIN (
        SELECT 'unreachable' AS key, '联系不上' AS name_zh, 'Cannot be reached' AS name_en, 0 AS position
        UNION ALL SELECT 'no_need', '暂无需求', 'No need for now', 1
        UNION ALL SELECT 'not_decision_maker', '非决策人', 'Not the decision maker', 2
        UNION ALL SELECT 'has_supplier', '已有供应商', 'Has a supplier', 3
        UNION ALL SELECT 'other', '其他', 'Other', 4
    ) r;
