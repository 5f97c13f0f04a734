-- The bytes a job moves in all, where known (a transfer's file or object size), so a progress
-- bar, speed and time left can be shown from the catalog alone.
ALTER TABLE jobs ADD COLUMN total INTEGER;
