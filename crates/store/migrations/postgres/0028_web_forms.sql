-- Web forms (网站表单, web-to-lead): a form an administrator designs and pastes on the
-- company website. `public_key` is the unguessable part of its public address (/f/<key>);
-- `fields` lists the lead fields it collects in order, each with its labels and whether it
-- is required (JSON); `target` is 'rules' (the company's assignment rules), 'rule:<id>' or
-- 'pool:<id>'; `owner_id` holds what no rule assigns.
CREATE TABLE web_forms (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    id UUID NOT NULL,
    public_key TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    fields JSONB NOT NULL DEFAULT '[]',
    target TEXT NOT NULL DEFAULT 'rules',
    owner_id UUID NOT NULL,
    source TEXT,
    thanks_zh TEXT NOT NULL DEFAULT '',
    thanks_en TEXT NOT NULL DEFAULT '',
    redirect_url TEXT,
    allowed_origins JSONB NOT NULL DEFAULT '[]',
    rate_limit BIGINT NOT NULL,
    submissions BIGINT NOT NULL DEFAULT 0,
    spam BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id)
);
CREATE INDEX web_forms_name ON web_forms (tenant_id, name, id);
-- The public address carries the company's id in clear and a random part (like API tokens),
-- so a submission finds its form within one company.
CREATE UNIQUE INDEX web_forms_public_key ON web_forms (tenant_id, public_key);

-- Posts per form, client address and rate-limit window, shared by every app server.
CREATE TABLE web_form_hits (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    form_id UUID NOT NULL,
    client TEXT COLLATE "C" NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    hits BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, form_id, client, window_start),
    FOREIGN KEY (tenant_id, form_id) REFERENCES web_forms(tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX web_form_hits_window ON web_form_hits (tenant_id, form_id, window_start);
