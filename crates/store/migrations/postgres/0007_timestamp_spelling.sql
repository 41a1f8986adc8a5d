-- SQLite only normalises how timestamps are spelled (see the SQLite migration of this
-- number); PostgreSQL stores `timestamptz`, one value per instant. Kept so that both
-- backends have the same migration numbers.
SELECT 1;
