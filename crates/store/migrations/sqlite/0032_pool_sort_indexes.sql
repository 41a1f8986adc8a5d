-- A pool's records in each order a list offers every owner (name, created, updated):
-- a list arm reads the pool's records of one pool in list order instead of walking the
-- company's order index for the few pooled rows among a million.
CREATE INDEX leads_pool_name ON leads (tenant_id, pool_id, name, id) WHERE pool_id IS NOT NULL;
CREATE INDEX leads_pool_created_at ON leads (tenant_id, pool_id, created_at, id) WHERE pool_id IS NOT NULL;
CREATE INDEX accounts_pool_name ON accounts (tenant_id, pool_id, name, id) WHERE pool_id IS NOT NULL;
CREATE INDEX accounts_pool_created ON accounts (tenant_id, pool_id, created_at, id) WHERE pool_id IS NOT NULL;
