-- Bumped by every change to a profile's bucket rows, in any process: the engine keeps each
-- profile's list in memory for searching as the user types, and re-reads it when this moves.
ALTER TABLE profiles ADD COLUMN buckets_version INTEGER NOT NULL DEFAULT 0;
