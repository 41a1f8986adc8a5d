-- Accounts gain custom fields and the dates that activities and won deals keep current.
ALTER TABLE accounts ADD COLUMN custom TEXT NOT NULL DEFAULT '{}';
ALTER TABLE accounts ADD COLUMN last_contacted_at TEXT;
ALTER TABLE accounts ADD COLUMN last_deal_at TEXT;
CREATE INDEX accounts_last_contacted ON accounts(tenant_id, last_contacted_at, id);
CREATE INDEX accounts_last_deal ON accounts(tenant_id, last_deal_at, id);
-- Sub-account lists filter by parent and sort by update time.
CREATE INDEX accounts_parent_updated ON accounts(tenant_id, parent_id, updated_at, id);
CREATE INDEX accounts_owner_last_contacted ON accounts(tenant_id, owner_id, last_contacted_at, id);

CREATE TABLE contacts (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    account_id BLOB,
    title TEXT,
    department TEXT,
    customer_role TEXT,
    mobile TEXT,
    phone TEXT,
    email TEXT,
    wechat TEXT,
    reports_to_id BLOB,
    birthday TEXT,
    notes TEXT,
    last_contacted_at TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    owner_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id),
    FOREIGN KEY (tenant_id, reports_to_id) REFERENCES contacts(tenant_id, id)
);
CREATE INDEX contacts_updated_at ON contacts(tenant_id, updated_at, id);
CREATE INDEX contacts_created_at ON contacts(tenant_id, created_at, id);
CREATE INDEX contacts_name ON contacts(tenant_id, name, id);
CREATE INDEX contacts_account_id ON contacts(tenant_id, account_id, id);
CREATE INDEX contacts_customer_role ON contacts(tenant_id, customer_role, id);
CREATE INDEX contacts_mobile ON contacts(tenant_id, mobile, id);
CREATE INDEX contacts_email ON contacts(tenant_id, email, id);
CREATE INDEX contacts_reports_to_id ON contacts(tenant_id, reports_to_id, id);
CREATE INDEX contacts_last_contacted_at ON contacts(tenant_id, last_contacted_at, id);
CREATE INDEX contacts_owner_updated_at ON contacts(tenant_id, owner_id, updated_at, id);
CREATE INDEX contacts_owner_created_at ON contacts(tenant_id, owner_id, created_at, id);
CREATE INDEX contacts_owner_name ON contacts(tenant_id, owner_id, name, id);

CREATE TABLE leads (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    company TEXT,
    title TEXT,
    mobile TEXT,
    phone TEXT,
    email TEXT,
    wechat TEXT,
    province TEXT,
    city TEXT,
    industry TEXT,
    source TEXT,
    status TEXT NOT NULL,
    intent TEXT,
    notes TEXT,
    last_contacted_at TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    owner_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id)
);
CREATE INDEX leads_updated_at ON leads(tenant_id, updated_at, id);
CREATE INDEX leads_created_at ON leads(tenant_id, created_at, id);
CREATE INDEX leads_name ON leads(tenant_id, name, id);
CREATE INDEX leads_company ON leads(tenant_id, company, id);
CREATE INDEX leads_mobile ON leads(tenant_id, mobile, id);
CREATE INDEX leads_email ON leads(tenant_id, email, id);
CREATE INDEX leads_province ON leads(tenant_id, province, id);
CREATE INDEX leads_source ON leads(tenant_id, source, id);
CREATE INDEX leads_status ON leads(tenant_id, status, id);
CREATE INDEX leads_intent ON leads(tenant_id, intent, id);
CREATE INDEX leads_last_contacted_at ON leads(tenant_id, last_contacted_at, id);
CREATE INDEX leads_owner_updated_at ON leads(tenant_id, owner_id, updated_at, id);
CREATE INDEX leads_owner_created_at ON leads(tenant_id, owner_id, created_at, id);
CREATE INDEX leads_owner_name ON leads(tenant_id, owner_id, name, id);

CREATE TABLE opportunities (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    name TEXT NOT NULL,
    account_id BLOB NOT NULL,
    contact_id BLOB,
    amount_cents INTEGER,
    currency TEXT NOT NULL,
    expected_close TEXT,
    stage TEXT NOT NULL,
    win_rate REAL,
    source TEXT,
    closed_on TEXT,
    notes TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    owner_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts(tenant_id, id)
);
CREATE INDEX opportunities_updated_at ON opportunities(tenant_id, updated_at, id);
CREATE INDEX opportunities_created_at ON opportunities(tenant_id, created_at, id);
CREATE INDEX opportunities_name ON opportunities(tenant_id, name, id);
CREATE INDEX opportunities_account_id ON opportunities(tenant_id, account_id, id);
CREATE INDEX opportunities_contact_id ON opportunities(tenant_id, contact_id, id);
CREATE INDEX opportunities_amount_cents ON opportunities(tenant_id, amount_cents, id);
CREATE INDEX opportunities_expected_close ON opportunities(tenant_id, expected_close, id);
CREATE INDEX opportunities_stage ON opportunities(tenant_id, stage, id);
CREATE INDEX opportunities_source ON opportunities(tenant_id, source, id);
CREATE INDEX opportunities_closed_on ON opportunities(tenant_id, closed_on, id);
CREATE INDEX opportunities_owner_updated_at ON opportunities(tenant_id, owner_id, updated_at, id);
CREATE INDEX opportunities_owner_created_at ON opportunities(tenant_id, owner_id, created_at, id);
CREATE INDEX opportunities_owner_name ON opportunities(tenant_id, owner_id, name, id);

CREATE TABLE activities (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT,
    account_id BLOB,
    contact_id BLOB,
    lead_id BLOB,
    opportunity_id BLOB,
    starts_at TEXT,
    ends_at TEXT,
    due_at TEXT,
    remind_at TEXT,
    status TEXT NOT NULL,
    location TEXT,
    completed_at TEXT,
    checkin_at TEXT,
    checkin_lat REAL,
    checkin_lng REAL,
    checkin_accuracy REAL,
    custom TEXT NOT NULL DEFAULT '{}',
    owner_id BLOB NOT NULL,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts(tenant_id, id),
    FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id)
);
CREATE INDEX activities_updated_at ON activities(tenant_id, updated_at, id);
CREATE INDEX activities_created_at ON activities(tenant_id, created_at, id);
CREATE INDEX activities_kind ON activities(tenant_id, kind, id);
CREATE INDEX activities_name ON activities(tenant_id, name, id);
CREATE INDEX activities_account_id ON activities(tenant_id, account_id, id);
CREATE INDEX activities_contact_id ON activities(tenant_id, contact_id, id);
CREATE INDEX activities_lead_id ON activities(tenant_id, lead_id, id);
CREATE INDEX activities_opportunity_id ON activities(tenant_id, opportunity_id, id);
CREATE INDEX activities_starts_at ON activities(tenant_id, starts_at, id);
CREATE INDEX activities_due_at ON activities(tenant_id, due_at, id);
CREATE INDEX activities_remind_at ON activities(tenant_id, remind_at, id);
CREATE INDEX activities_status ON activities(tenant_id, status, id);
CREATE INDEX activities_owner_updated_at ON activities(tenant_id, owner_id, updated_at, id);
CREATE INDEX activities_owner_created_at ON activities(tenant_id, owner_id, created_at, id);
CREATE INDEX activities_owner_name ON activities(tenant_id, owner_id, name, id);

-- My day: a user's open tasks by due time and pending reminders.
CREATE INDEX activities_owner_status_due ON activities(tenant_id, owner_id, status, due_at);
CREATE INDEX activities_owner_starts ON activities(tenant_id, owner_id, starts_at);
CREATE INDEX activities_owner_remind ON activities(tenant_id, owner_id, remind_at);
CREATE INDEX opportunities_account_stage ON opportunities(tenant_id, account_id, stage);


-- Relationships between two records of the same object (accounts: upstream/downstream,
-- partner, brand; contacts: reports to, ally, opponent…), shown on both sides.
CREATE TABLE record_links (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    from_id BLOB NOT NULL,
    to_id BLOB NOT NULL,
    kind TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX record_links_pair ON record_links(tenant_id, object, from_id, to_id, kind);
CREATE INDEX record_links_to ON record_links(tenant_id, object, to_id);

-- The 360° stream of an account: activities, opportunity changes and field changes,
-- written in the same transaction as the event.
CREATE TABLE account_timeline (
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    account_id BLOB NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    object TEXT NOT NULL,
    record_id BLOB NOT NULL,
    actor_id BLOB,
    summary TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX account_timeline_account ON account_timeline(tenant_id, account_id, at, id);
CREATE INDEX account_timeline_kind ON account_timeline(tenant_id, account_id, kind, at, id);
CREATE INDEX account_timeline_record ON account_timeline(tenant_id, object, record_id);

-- Custom fields (自定义字段): a FieldDef per company and object.
CREATE TABLE custom_fields (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    object TEXT NOT NULL,
    key TEXT NOT NULL,
    definition TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL,
    index_name TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object, key)
);

-- Saved list views: columns, filters and sort, private or shared.
CREATE TABLE list_views (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    object TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_id BLOB NOT NULL,
    shared_with TEXT NOT NULL,
    role_id BLOB,
    department_id BLOB,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id)
);
CREATE INDEX list_views_object ON list_views(tenant_id, object, name);

-- Roles created before contacts, leads, opportunities and activities existed get the same
-- grant on them as on accounts.
UPDATE roles SET permissions = json_set(permissions,
    '$.objects.contact', json(json_extract(permissions, '$.objects.account')),
    '$.objects.lead', json(json_extract(permissions, '$.objects.account')),
    '$.objects.opportunity', json(json_extract(permissions, '$.objects.account')),
    '$.objects.activity', json(json_extract(permissions, '$.objects.account')))
WHERE json_extract(permissions, '$.objects.account') IS NOT NULL;

-- Quick-search tokens of contacts, leads, opportunities and activities (same tokens as
-- account_search: CJK bigrams and word prefixes, computed by the application).
CREATE TABLE record_search (
    tenant_id BLOB NOT NULL,
    object TEXT NOT NULL,
    token TEXT NOT NULL,
    record_id BLOB NOT NULL,
    PRIMARY KEY (tenant_id, object, token, record_id)
);
CREATE INDEX record_search_record ON record_search(tenant_id, object, record_id);
