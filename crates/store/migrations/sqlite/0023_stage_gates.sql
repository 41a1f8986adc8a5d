-- The sales process on stage sets: each stage's expected duration and gate (key activities,
-- milestone, buying-process step, required fields, checklist, stages of other sets mapping
-- onto it) as JSON; the stages each deal went through with their times; the checklist ticked
-- per deal and stage; and indexes for the board.

ALTER TABLE stages ADD COLUMN duration_days INTEGER;
ALTER TABLE stages ADD COLUMN gate TEXT NOT NULL DEFAULT '{}';

-- One row per stage a deal entered: left_at NULL while it is there. soon_at and due_at come
-- from the stage's expected duration when it was entered; warned is the warning level sent
-- (0 none, 1 due soon, 2 overdue), so each is sent once per deal and stage entry.
CREATE TABLE stage_entries (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    id BLOB NOT NULL,
    opportunity_id BLOB NOT NULL,
    stage TEXT NOT NULL,
    from_stage TEXT,
    entered_at TEXT NOT NULL,
    left_at TEXT,
    entered_by BLOB,
    soon_at TEXT,
    due_at TEXT,
    warned INTEGER NOT NULL DEFAULT 0,
    -- The gate items unmet when the deal left its previous stage by a skip (JSON), or NULL.
    skipped TEXT,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX stage_entries_deal ON stage_entries(tenant_id, opportunity_id, entered_at, id);
CREATE INDEX stage_entries_due ON stage_entries(tenant_id, left_at, soon_at);

-- Existing deals are in their stage since their last change (the entry takes the deal's id).
INSERT INTO stage_entries (tenant_id, id, opportunity_id, stage, entered_at, warned)
    SELECT tenant_id, id, id, stage, updated_at, 0 FROM opportunities;

CREATE TABLE stage_checklist (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    opportunity_id BLOB NOT NULL,
    stage TEXT NOT NULL,
    item TEXT NOT NULL,
    checked_by BLOB NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, opportunity_id, stage, item),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id)
        ON DELETE CASCADE
);

-- The board: a column's cards by type and stage, newest first, and its sums read from the
-- index alone.
CREATE INDEX opportunities_board ON opportunities(tenant_id, record_type, stage, id);
CREATE INDEX opportunities_board_sums
    ON opportunities(tenant_id, record_type, stage, currency, amount_minor, win_rate);
CREATE INDEX opportunities_owner_stage ON opportunities(tenant_id, owner_id, stage, id);
