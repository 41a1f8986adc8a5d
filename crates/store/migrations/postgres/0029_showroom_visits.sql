-- The showroom register (三表一卡): one row per walk-in or phone-in visitor, with the lead
-- the visit found or created by its phone (NULL when the visitor left no details), the
-- consultant who received them, and the stay once they left (stay_seconds and its bucket,
-- `domain::showroom::stay_bucket`, written with left_at so the statistics group on it).
CREATE TABLE showroom_visits (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    visitor_name TEXT COLLATE "C" NOT NULL,
    salutation TEXT COLLATE "C",
    phone TEXT COLLATE "C",
    arrived_at TIMESTAMPTZ NOT NULL,
    left_at TIMESTAMPTZ,
    stay_seconds BIGINT,
    stay_bucket TEXT COLLATE "C",
    consultant_id UUID NOT NULL,
    intent TEXT COLLATE "C",
    heard_from TEXT COLLATE "C",
    area TEXT COLLATE "C",
    party_size BIGINT,
    notes TEXT COLLATE "C",
    lost_reason TEXT COLLATE "C",
    lead_id UUID,
    first_visit BOOLEAN NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
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
