-- Per-company metadata: the choices of standard picklists, stage sets with their stages,
-- and record types (业务类型) that select a stage set, required fields and a page layout.

-- A company's version of a standard picklist's options (every key it ever had; a retired
-- one is kept inactive so stored values stay valid).
CREATE TABLE picklist_options (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    field TEXT NOT NULL,
    options TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object, field)
);

CREATE TABLE stage_sets (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object, key)
);

-- closed: 'won', 'lost' or NULL for an open stage.
CREATE TABLE stages (
    tenant_id BLOB NOT NULL,
    object TEXT NOT NULL,
    set_key TEXT NOT NULL,
    key TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    win_rate INTEGER NOT NULL,
    closed TEXT CHECK (closed IN ('won', 'lost')),
    position INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, object, set_key, key),
    FOREIGN KEY (tenant_id, object, set_key) REFERENCES stage_sets(tenant_id, object, key)
);

CREATE TABLE record_types (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL,
    active INTEGER NOT NULL,
    is_default INTEGER NOT NULL,
    stage_set TEXT,
    required_fields TEXT NOT NULL,
    layout_fields TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX record_types_key ON record_types(tenant_id, object, key);

-- The record's type (NULL: the object's default type).
ALTER TABLE contacts ADD COLUMN record_type TEXT;
ALTER TABLE leads ADD COLUMN record_type TEXT;
ALTER TABLE opportunities ADD COLUMN record_type TEXT;
ALTER TABLE activities ADD COLUMN record_type TEXT;
CREATE INDEX contacts_record_type ON contacts(tenant_id, record_type, id);
CREATE INDEX leads_record_type ON leads(tenant_id, record_type, id);
CREATE INDEX opportunities_record_type ON opportunities(tenant_id, record_type, id);
CREATE INDEX activities_record_type ON activities(tenant_id, record_type, id);

-- Every company starts with the stage set opportunities had before it became data.
INSERT INTO stage_sets (tenant_id, object, key, name_zh, name_en)
    SELECT id, 'opportunity', 'default', '标准销售阶段', 'Standard stages' FROM tenants;
INSERT INTO stages (tenant_id, object, set_key, key, name_zh, name_en, win_rate, closed, position)
    SELECT t.id, 'opportunity', 'default', s.key, s.name_zh, s.name_en, s.win_rate, s.closed, s.position
    FROM tenants t CROSS JOIN (
        SELECT 'initial' AS key, '初步接洽' AS name_zh, 'Initial contact' AS name_en, 10 AS win_rate, NULL AS closed, 0 AS position
        UNION ALL SELECT 'needs', '需求确认', 'Needs confirmed', 30, NULL, 1
        UNION ALL SELECT 'proposal', '方案', 'Proposal', 50, NULL, 2
        UNION ALL SELECT 'negotiation', '报价/谈判', 'Quote / negotiation', 70, NULL, 3
        UNION ALL SELECT 'won', '赢单', 'Won', 100, 'won', 4
        UNION ALL SELECT 'lost', '输单', 'Lost', 0, 'lost', 5
    ) s;
