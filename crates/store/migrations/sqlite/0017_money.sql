-- Money as integers of each currency's minor unit (CNY and USD 2 places, JPY 0), a company
-- currency, and dated exchange rates kept by the administrator.

ALTER TABLE tenants ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';

-- Opportunity amounts were cents whatever the currency: yen become whole yen (a fraction of
-- a yen, which the old rule let through, rounds half away from zero).
ALTER TABLE opportunities RENAME COLUMN amount_cents TO amount_minor;
DROP INDEX opportunities_amount_cents;
UPDATE opportunities SET amount_minor = CAST(round(amount_minor / 100.0) AS INTEGER)
    WHERE currency IN ('JPY', 'KRW') AND amount_minor IS NOT NULL;
CREATE INDEX opportunities_amount_minor ON opportunities(tenant_id, amount_minor, id);

-- Custom money values were JSON floats of the major unit: they become integers of the minor
-- unit (the record's currency on opportunities, the company's, CNY, elsewhere).
UPDATE accounts SET custom = (
    SELECT json_group_object(e.key, CASE
        WHEN e.type IN ('integer', 'real') AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = accounts.tenant_id AND cf.object = 'account'
              AND json_extract(cf.definition, '$.field_type') = 'money')
            THEN CAST(round(e.value * 100) AS INTEGER)
        WHEN e.type IN ('true', 'false', 'null', 'array', 'object')
            THEN json(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                WHEN 'null' THEN 'null' ELSE e.value END)
        ELSE e.value END)
    FROM json_each(accounts.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = accounts.tenant_id AND cf.object = 'account'
      AND json_extract(cf.definition, '$.field_type') = 'money'
      AND json_type(accounts.custom, '$.' || cf.key) IN ('integer', 'real'));
UPDATE contacts SET custom = (
    SELECT json_group_object(e.key, CASE
        WHEN e.type IN ('integer', 'real') AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = contacts.tenant_id AND cf.object = 'contact'
              AND json_extract(cf.definition, '$.field_type') = 'money')
            THEN CAST(round(e.value * 100) AS INTEGER)
        WHEN e.type IN ('true', 'false', 'null', 'array', 'object')
            THEN json(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                WHEN 'null' THEN 'null' ELSE e.value END)
        ELSE e.value END)
    FROM json_each(contacts.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = contacts.tenant_id AND cf.object = 'contact'
      AND json_extract(cf.definition, '$.field_type') = 'money'
      AND json_type(contacts.custom, '$.' || cf.key) IN ('integer', 'real'));
UPDATE leads SET custom = (
    SELECT json_group_object(e.key, CASE
        WHEN e.type IN ('integer', 'real') AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = leads.tenant_id AND cf.object = 'lead'
              AND json_extract(cf.definition, '$.field_type') = 'money')
            THEN CAST(round(e.value * 100) AS INTEGER)
        WHEN e.type IN ('true', 'false', 'null', 'array', 'object')
            THEN json(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                WHEN 'null' THEN 'null' ELSE e.value END)
        ELSE e.value END)
    FROM json_each(leads.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = leads.tenant_id AND cf.object = 'lead'
      AND json_extract(cf.definition, '$.field_type') = 'money'
      AND json_type(leads.custom, '$.' || cf.key) IN ('integer', 'real'));
UPDATE opportunities SET custom = (
    SELECT json_group_object(e.key, CASE
        WHEN e.type IN ('integer', 'real') AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = opportunities.tenant_id AND cf.object = 'opportunity'
              AND json_extract(cf.definition, '$.field_type') = 'money')
            THEN CAST(round(e.value * CASE WHEN opportunities.currency IN ('JPY', 'KRW') THEN 1 ELSE 100 END) AS INTEGER)
        WHEN e.type IN ('true', 'false', 'null', 'array', 'object')
            THEN json(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                WHEN 'null' THEN 'null' ELSE e.value END)
        ELSE e.value END)
    FROM json_each(opportunities.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = opportunities.tenant_id AND cf.object = 'opportunity'
      AND json_extract(cf.definition, '$.field_type') = 'money'
      AND json_type(opportunities.custom, '$.' || cf.key) IN ('integer', 'real'));
UPDATE activities SET custom = (
    SELECT json_group_object(e.key, CASE
        WHEN e.type IN ('integer', 'real') AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = activities.tenant_id AND cf.object = 'activity'
              AND json_extract(cf.definition, '$.field_type') = 'money')
            THEN CAST(round(e.value * 100) AS INTEGER)
        WHEN e.type IN ('true', 'false', 'null', 'array', 'object')
            THEN json(CASE e.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'
                WHEN 'null' THEN 'null' ELSE e.value END)
        ELSE e.value END)
    FROM json_each(activities.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = activities.tenant_id AND cf.object = 'activity'
      AND json_extract(cf.definition, '$.field_type') = 'money'
      AND json_type(activities.custom, '$.' || cf.key) IN ('integer', 'real'));

-- How many units of the company currency one unit of `currency` is worth from `valid_from`
-- on (a decimal in text, kept exactly); the latest rate on or before a day applies.
CREATE TABLE exchange_rates (
    tenant_id BLOB NOT NULL REFERENCES tenants(id),
    currency TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    rate TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by BLOB NOT NULL,
    PRIMARY KEY (tenant_id, currency, valid_from)
);
