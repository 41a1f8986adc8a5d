-- Child rows a record owns, written with it in one transaction: an opportunity's product
-- lines. Each line belongs to one opportunity of the same company and goes with it.
CREATE TABLE opportunity_lines (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    opportunity_id UUID NOT NULL,
    position INTEGER NOT NULL,
    product TEXT COLLATE "C" NOT NULL,
    -- Exact decimals as text: a quantity or a discount is never rounded through a float.
    quantity TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    discount TEXT,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id)
        ON DELETE CASCADE
);
-- A record's lines in order (the only way they are read).
CREATE UNIQUE INDEX opportunity_lines_parent
    ON opportunity_lines(tenant_id, opportunity_id, position);

-- Computed fields kept by the record engine on every write: the sum of the lines' amounts
-- (minor units of the opportunity's currency) and how many lines there are.
ALTER TABLE opportunities ADD COLUMN products_total_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN products_count DOUBLE PRECISION NOT NULL DEFAULT 0;
CREATE INDEX opportunities_products_total_minor
    ON opportunities(tenant_id, products_total_minor, id);
