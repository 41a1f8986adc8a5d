-- Each user's time zone (an IANA name such as Europe/Berlin): every time shown to them, and
-- relative date filters such as "today", follow it. NULL: the default, Asia/Shanghai.
ALTER TABLE users ADD COLUMN time_zone TEXT;

-- The version of the search tokens the records were indexed with. Tokens are computed by
-- the application (domain::search), so a migration cannot rebuild them: when the code's
-- version is newer, `store::search::rebuild_tokens` re-indexes the records whose tokens
-- changed and then records the new version. Version 2 indexes phone numbers by their digit
-- grams (and account phones at all); the databases made before this migration hold version 1.
CREATE TABLE search_tokens_state (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO search_tokens_state (id, version) VALUES (1, 1);
