-- A job's place in its kind's queue: waiting jobs start in this order. NULL keeps the order
-- the jobs were written in (their id); a job moved to the front gets a place before all.
ALTER TABLE jobs ADD COLUMN place INTEGER;
