-- Related lists (an account's contacts, opportunities and activities; a contact's
-- opportunities and reports; the activities of a contact, lead or opportunity) read
-- `<lookup> = ? ORDER BY updated_at DESC, id DESC LIMIT 11`. With the lookup indexes ending in
-- `id` only, SQLite walked the whole `updated_at` index and checked the lookup row by row
-- (12 s for an account's activities among five million). Ending them in `updated_at, id`
-- serves the lookup and the order at once; sorting by id alone never used them.
DROP INDEX contacts_account_id;
CREATE INDEX contacts_account_id ON contacts(tenant_id, account_id, updated_at, id);
DROP INDEX contacts_reports_to_id;
CREATE INDEX contacts_reports_to_id ON contacts(tenant_id, reports_to_id, updated_at, id);
DROP INDEX opportunities_account_id;
CREATE INDEX opportunities_account_id ON opportunities(tenant_id, account_id, updated_at, id);
DROP INDEX opportunities_contact_id;
CREATE INDEX opportunities_contact_id ON opportunities(tenant_id, contact_id, updated_at, id);
DROP INDEX activities_account_id;
CREATE INDEX activities_account_id ON activities(tenant_id, account_id, updated_at, id);
DROP INDEX activities_contact_id;
CREATE INDEX activities_contact_id ON activities(tenant_id, contact_id, updated_at, id);
DROP INDEX activities_lead_id;
CREATE INDEX activities_lead_id ON activities(tenant_id, lead_id, updated_at, id);
DROP INDEX activities_opportunity_id;
CREATE INDEX activities_opportunity_id ON activities(tenant_id, opportunity_id, updated_at, id);

-- "My open tasks", "My day" and reminders read one owner's activities in due, start or
-- reminder order; ending these indexes in `id` serves the lists' `ORDER BY …, id` without a
-- sort, so the planner no longer walks the company-wide due-time index instead.
DROP INDEX activities_owner_status_due;
CREATE INDEX activities_owner_status_due ON activities(tenant_id, owner_id, status, due_at, id);
DROP INDEX activities_owner_starts;
CREATE INDEX activities_owner_starts ON activities(tenant_id, owner_id, starts_at, id);
DROP INDEX activities_owner_remind;
CREATE INDEX activities_owner_remind ON activities(tenant_id, owner_id, remind_at, id);
