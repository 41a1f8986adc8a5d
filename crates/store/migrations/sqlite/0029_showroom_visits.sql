-- The showroom register (三表一卡): one row per walk-in or phone-in visitor, with the lead
-- the visit found or created by its phone (NULL when the visitor left no details), the
-- consultant who received them, and the stay once they left (stay_seconds and its bucket,
-- `domain::showroom::stay_bucket`, written with left_at so the statistics group on it).
CREATE TABLE showroom_visits (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    visitor_name TEXT NOT NULL,
    salutation TEXT,
    phone TEXT,
    arrived_at TEXT NOT NULL,
    left_at TEXT,
    stay_seconds INTEGER,
    stay_bucket TEXT,
    consultant_id BLOB NOT NULL,
    intent TEXT,
    heard_from TEXT,
    area TEXT,
    party_size INTEGER,
    notes TEXT,
    lost_reason TEXT,
    lead_id BLOB,
    first_visit INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by BLOB NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, consultant_id) REFERENCES users(tenant_id, id),
    FOREIGN KEY (tenant_id, created_by) REFERENCES users(tenant_id, id)
);
-- The statistics and the day's list read a date range, of the company or of consultants.
CREATE INDEX showroom_visits_arrived ON showroom_visits (tenant_id, arrived_at, id);
CREATE INDEX showroom_visits_consultant ON showroom_visits (tenant_id, consultant_id, arrived_at);
-- A lead's follow-up card lists its visits; a returning visitor is found by them.
CREATE INDEX showroom_visits_lead ON showroom_visits (tenant_id, lead_id, arrived_at) WHERE lead_id IS NOT NULL;
-- A returning visitor's lead is found by the phone number the visit gives, as mobile or phone.
CREATE INDEX leads_phone ON leads (tenant_id, phone, id);
