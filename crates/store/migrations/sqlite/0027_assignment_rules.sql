-- Lead assignment rules (线索分配): ordered per company, each optionally scoped to a lead
-- record type (business line) or the creator's department, with criteria in the filter
-- language, a method and its settings (JSON), capacity per rep and a fallback pool.
CREATE TABLE assignment_rules (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    record_type TEXT,
    department_id BLOB,
    criteria TEXT NOT NULL DEFAULT '[]',
    method TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    max_open INTEGER,
    max_per_day INTEGER,
    fallback_pool_id BLOB,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignment_rules_position ON assignment_rules (tenant_id, position, id);

-- Where a rule's rotation stands: one row per rule and rotation (a round-robin rule's list
-- is '', a region's department is 'department:<id>'), locked and moved by the transaction
-- that creates the lead, so that concurrent creates on any app server never share a slot.
CREATE TABLE assignment_cursors (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    rule_id BLOB NOT NULL,
    rotation TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, rule_id, rotation),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES assignment_rules(tenant_id, id) ON DELETE CASCADE
);

-- What assigned a lead: the rule's name then, the method, when.
ALTER TABLE leads ADD COLUMN assignment_rule TEXT;
ALTER TABLE leads ADD COLUMN assignment_method TEXT;
ALTER TABLE leads ADD COLUMN assigned_at TEXT;
CREATE INDEX leads_assignment_method ON leads(tenant_id, assignment_method, id);
CREATE INDEX leads_assigned_at ON leads(tenant_id, assigned_at, id);
-- A rep's capacity: new leads assigned to them since the start of the day, and open leads
-- they hold, each a range of the rep's own rows.
CREATE INDEX leads_owner_assigned_at ON leads(tenant_id, owner_id, assigned_at) WHERE assigned_at IS NOT NULL;
CREATE INDEX leads_owner_status ON leads(tenant_id, owner_id, status) WHERE pool_id IS NULL;
