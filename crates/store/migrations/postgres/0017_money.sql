-- Money as integers of each currency's minor unit (CNY and USD 2 places, JPY 0), a company
-- currency, and dated exchange rates kept by the administrator.

ALTER TABLE tenants ADD COLUMN currency TEXT NOT NULL DEFAULT 'CNY';

-- Opportunity amounts were cents whatever the currency: yen become whole yen (a fraction of
-- a yen, which the old rule let through, rounds half away from zero).
ALTER TABLE opportunities RENAME COLUMN amount_cents TO amount_minor;
DROP INDEX opportunities_amount_cents;
UPDATE opportunities SET amount_minor = round(amount_minor / 100.0)::bigint
    WHERE currency IN ('JPY', 'KRW') AND amount_minor IS NOT NULL;
CREATE INDEX opportunities_amount_minor ON opportunities(tenant_id, amount_minor, id);

-- Custom money values were JSON floats of the major unit: they become integers of the minor
-- unit (the record's currency on opportunities, the company's, CNY, elsewhere).
UPDATE accounts t SET custom = (
    SELECT jsonb_object_agg(e.key, CASE
        WHEN jsonb_typeof(e.value) = 'number' AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = t.tenant_id AND cf.object = 'account'
              AND cf.definition::jsonb ->> 'field_type' = 'money')
            THEN to_jsonb(round((e.value #>> '{}')::numeric * 100)::bigint)
        ELSE e.value END)
    FROM jsonb_each(t.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = t.tenant_id AND cf.object = 'account'
      AND cf.definition::jsonb ->> 'field_type' = 'money'
      AND jsonb_typeof(t.custom -> cf.key) = 'number');
UPDATE contacts t SET custom = (
    SELECT jsonb_object_agg(e.key, CASE
        WHEN jsonb_typeof(e.value) = 'number' AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = t.tenant_id AND cf.object = 'contact'
              AND cf.definition::jsonb ->> 'field_type' = 'money')
            THEN to_jsonb(round((e.value #>> '{}')::numeric * 100)::bigint)
        ELSE e.value END)
    FROM jsonb_each(t.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = t.tenant_id AND cf.object = 'contact'
      AND cf.definition::jsonb ->> 'field_type' = 'money'
      AND jsonb_typeof(t.custom -> cf.key) = 'number');
UPDATE leads t SET custom = (
    SELECT jsonb_object_agg(e.key, CASE
        WHEN jsonb_typeof(e.value) = 'number' AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = t.tenant_id AND cf.object = 'lead'
              AND cf.definition::jsonb ->> 'field_type' = 'money')
            THEN to_jsonb(round((e.value #>> '{}')::numeric * 100)::bigint)
        ELSE e.value END)
    FROM jsonb_each(t.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = t.tenant_id AND cf.object = 'lead'
      AND cf.definition::jsonb ->> 'field_type' = 'money'
      AND jsonb_typeof(t.custom -> cf.key) = 'number');
UPDATE opportunities t SET custom = (
    SELECT jsonb_object_agg(e.key, CASE
        WHEN jsonb_typeof(e.value) = 'number' AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = t.tenant_id AND cf.object = 'opportunity'
              AND cf.definition::jsonb ->> 'field_type' = 'money')
            THEN to_jsonb(round((e.value #>> '{}')::numeric * CASE WHEN t.currency IN ('JPY', 'KRW') THEN 1 ELSE 100 END)::bigint)
        ELSE e.value END)
    FROM jsonb_each(t.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = t.tenant_id AND cf.object = 'opportunity'
      AND cf.definition::jsonb ->> 'field_type' = 'money'
      AND jsonb_typeof(t.custom -> cf.key) = 'number');
UPDATE activities t SET custom = (
    SELECT jsonb_object_agg(e.key, CASE
        WHEN jsonb_typeof(e.value) = 'number' AND e.key IN (SELECT cf.key FROM custom_fields cf
            WHERE cf.tenant_id = t.tenant_id AND cf.object = 'activity'
              AND cf.definition::jsonb ->> 'field_type' = 'money')
            THEN to_jsonb(round((e.value #>> '{}')::numeric * 100)::bigint)
        ELSE e.value END)
    FROM jsonb_each(t.custom) e)
WHERE EXISTS (SELECT 1 FROM custom_fields cf
    WHERE cf.tenant_id = t.tenant_id AND cf.object = 'activity'
      AND cf.definition::jsonb ->> 'field_type' = 'money'
      AND jsonb_typeof(t.custom -> cf.key) = 'number');

-- How many units of the company currency one unit of `currency` is worth from `valid_from`
-- on (kept exactly); the latest rate on or before a day applies.
CREATE TABLE exchange_rates (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    currency TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    rate TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID NOT NULL,
    PRIMARY KEY (tenant_id, currency, valid_from)
);
