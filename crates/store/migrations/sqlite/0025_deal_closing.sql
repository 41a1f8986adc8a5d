-- How a deal ends or pauses: its status (open, suspended, won, lost, terminated), the reason
-- and resume date of a suspension (or the reason of a termination), and the close review a
-- won or lost stage requires (reason from the company's managed lists, for a loss the
-- competitor who won and their price in the deal's currency, lessons).

ALTER TABLE opportunities ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
ALTER TABLE opportunities ADD COLUMN status_reason TEXT;
ALTER TABLE opportunities ADD COLUMN resume_on TEXT;
-- The resume date the owner was reminded of (a moved date is due again).
ALTER TABLE opportunities ADD COLUMN resume_reminded_for TEXT;
ALTER TABLE opportunities ADD COLUMN win_reason TEXT;
ALTER TABLE opportunities ADD COLUMN loss_reason TEXT;
ALTER TABLE opportunities ADD COLUMN lost_to_id BLOB;
ALTER TABLE opportunities ADD COLUMN lost_price_minor INTEGER;
ALTER TABLE opportunities ADD COLUMN close_lessons TEXT;

-- Deals already in a closing stage are won or lost.
UPDATE opportunities SET status = COALESCE((SELECT MIN(s.closed) FROM stages s
    WHERE s.tenant_id = opportunities.tenant_id AND s.object = 'opportunity'
      AND s.key = opportunities.stage AND s.closed IS NOT NULL), 'open')
WHERE closed_on IS NOT NULL;

CREATE INDEX opportunities_status ON opportunities(tenant_id, status, id);
CREATE INDEX opportunities_owner_status ON opportunities(tenant_id, owner_id, status, id);
CREATE INDEX opportunities_lost_to_id ON opportunities(tenant_id, lost_to_id, updated_at, id);
-- Suspended deals due to be resumed.
CREATE INDEX opportunities_resume ON opportunities(tenant_id, status, resume_on);

-- The board's open columns show open deals only: the status joins its indexes.
DROP INDEX opportunities_board;
CREATE INDEX opportunities_board ON opportunities(tenant_id, record_type, stage, status, id);
DROP INDEX opportunities_board_sums;
CREATE INDEX opportunities_board_sums
    ON opportunities(tenant_id, record_type, stage, status, currency, amount_minor, win_rate);

-- The stage clock stops while a deal is not open: paused_at is when it stopped; reactivating
-- moves the entry's due times on by the time it was stopped. Paused entries are not warned.
ALTER TABLE stage_entries ADD COLUMN paused_at TEXT;
