-- Lead qualification (MAN: money, authority, need, each judged with a note, and the state
-- derived from them) and the next follow-up, due a deadline after the last contact by
-- intent level; business lines (lead record types) may change the deadlines.
ALTER TABLE leads ADD COLUMN man_money TEXT;
ALTER TABLE leads ADD COLUMN man_money_note TEXT;
ALTER TABLE leads ADD COLUMN man_authority TEXT;
ALTER TABLE leads ADD COLUMN man_authority_note TEXT;
ALTER TABLE leads ADD COLUMN man_need TEXT;
ALTER TABLE leads ADD COLUMN man_need_note TEXT;
ALTER TABLE leads ADD COLUMN qualification TEXT;
ALTER TABLE leads ADD COLUMN next_follow_up_at TEXT;
CREATE INDEX leads_qualification ON leads(tenant_id, qualification, id);
CREATE INDEX leads_next_follow_up_at ON leads(tenant_id, next_follow_up_at, id);
-- A rep's follow-ups due (My day): a range of the rep's own rows.
CREATE INDEX leads_owner_next_follow_up_at ON leads(tenant_id, owner_id, next_follow_up_at) WHERE next_follow_up_at IS NOT NULL;

ALTER TABLE record_types ADD COLUMN follow_up_days TEXT NOT NULL DEFAULT '{}';

-- Leads worked before: due by the default deadlines from their latest contact.
UPDATE leads SET next_follow_up_at = strftime(
        '%Y-%m-%dT%H:%M:%S+00:00',
        max(created_at, coalesce(last_contacted_at, created_at), coalesce(assigned_at, created_at)),
        CASE intent WHEN 'H' THEN '+5 days' WHEN 'A' THEN '+15 days' WHEN 'B' THEN '+30 days' ELSE '+60 days' END)
    WHERE intent IN ('H', 'A', 'B', 'C') AND status NOT IN ('converted', 'disqualified');
