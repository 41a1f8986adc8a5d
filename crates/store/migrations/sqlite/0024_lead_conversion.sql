-- Lead conversion and disqualification: what a converted lead became (its account, contact
-- and opportunity), when and by whom; why a disqualified lead was disqualified (a standard
-- picklist each company edits) and a note. The lookups are indexed so that the delete
-- protection of an account, contact or opportunity (what still refers to it) is a range, and
-- a related list of them walks its index in the list's order (updated_at, id).
ALTER TABLE leads ADD COLUMN disqualify_reason TEXT;
ALTER TABLE leads ADD COLUMN disqualify_note TEXT;
ALTER TABLE leads ADD COLUMN converted_account_id BLOB;
ALTER TABLE leads ADD COLUMN converted_contact_id BLOB;
ALTER TABLE leads ADD COLUMN converted_opportunity_id BLOB;
ALTER TABLE leads ADD COLUMN converted_at TEXT;
ALTER TABLE leads ADD COLUMN converted_by BLOB;
CREATE INDEX leads_disqualify_reason ON leads(tenant_id, disqualify_reason, id);
CREATE INDEX leads_converted_account_id ON leads(tenant_id, converted_account_id, updated_at, id);
CREATE INDEX leads_converted_contact_id ON leads(tenant_id, converted_contact_id, updated_at, id);
CREATE INDEX leads_converted_opportunity_id ON leads(tenant_id, converted_opportunity_id, updated_at, id);
CREATE INDEX leads_converted_at ON leads(tenant_id, converted_at, id);
