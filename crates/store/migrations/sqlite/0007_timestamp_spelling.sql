-- One spelling per instant: the application writes RFC 3339 with `+00:00` and fractional
-- seconds only when there are some (`…T09:00:00+00:00`), while data generated before this
-- migration spelled whole seconds `…T09:00:00.000+00:00`. Lists compare and sort the stored
-- text, so the two spellings of one instant broke keyset paging (rows skipped or repeated).

UPDATE contacts SET created_at = replace(created_at, '.000+00:00', '+00:00') WHERE created_at LIKE '%.000+00:00';
UPDATE contacts SET updated_at = replace(updated_at, '.000+00:00', '+00:00') WHERE updated_at LIKE '%.000+00:00';
UPDATE leads SET created_at = replace(created_at, '.000+00:00', '+00:00') WHERE created_at LIKE '%.000+00:00';
UPDATE leads SET updated_at = replace(updated_at, '.000+00:00', '+00:00') WHERE updated_at LIKE '%.000+00:00';
UPDATE opportunities SET created_at = replace(created_at, '.000+00:00', '+00:00') WHERE created_at LIKE '%.000+00:00';
UPDATE opportunities SET updated_at = replace(updated_at, '.000+00:00', '+00:00') WHERE updated_at LIKE '%.000+00:00';
UPDATE activities SET created_at = replace(created_at, '.000+00:00', '+00:00') WHERE created_at LIKE '%.000+00:00';
UPDATE activities SET updated_at = replace(updated_at, '.000+00:00', '+00:00') WHERE updated_at LIKE '%.000+00:00';
UPDATE activities SET starts_at = replace(starts_at, '.000+00:00', '+00:00') WHERE starts_at LIKE '%.000+00:00';
UPDATE activities SET due_at = replace(due_at, '.000+00:00', '+00:00') WHERE due_at LIKE '%.000+00:00';
UPDATE activities SET remind_at = replace(remind_at, '.000+00:00', '+00:00') WHERE remind_at LIKE '%.000+00:00';
UPDATE activities SET completed_at = replace(completed_at, '.000+00:00', '+00:00') WHERE completed_at LIKE '%.000+00:00';
