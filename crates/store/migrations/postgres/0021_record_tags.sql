-- Tags of any object's tags fields (standard or custom), one row per tag, for filtering by a
-- tag through an index. Replaces account_tags, whose rows it takes over.
CREATE TABLE record_tags (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    object TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    tag TEXT COLLATE "C" NOT NULL,
    record_id UUID NOT NULL,
    PRIMARY KEY (tenant_id, object, field, tag, record_id)
);
CREATE INDEX record_tags_record ON record_tags(tenant_id, object, record_id);

INSERT INTO record_tags (tenant_id, object, field, tag, record_id)
    SELECT tenant_id, 'account', 'tags', tag, account_id FROM account_tags;
DROP TABLE account_tags;
