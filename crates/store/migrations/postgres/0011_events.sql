-- The change feed (outbox): one row per committed change of a record, written in the change's
-- own transaction. seq grows in commit order within a company: events are inserted at the end
-- of their transaction under the company's advisory lock (store::events::flush), which the
-- commit releases, so a reader's cursor never passes a row that is still to come.
CREATE TABLE events (
    tenant_id UUID NOT NULL REFERENCES tenants(id),
    seq BIGSERIAL NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    object TEXT COLLATE "C" NOT NULL,
    record_id UUID NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    -- The record's owner when the change was made: decides who may read the event, also
    -- after the record is gone.
    owner_id UUID,
    changes JSONB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE INDEX events_object ON events (tenant_id, object, seq);
CREATE INDEX events_at ON events (tenant_id, at);
