-- The bucket catalog: each profile's buckets as last listed, so lists and searches never wait
-- on S3. A refresh replaces a profile's rows in one transaction.
CREATE TABLE buckets (
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- The bucket's own region once known (from ListBuckets or discovered); requests to the
    -- bucket are signed for it.
    region     TEXT,
    -- Seconds since the Unix epoch, as the server reported it.
    created_at INTEGER,
    -- 1 public, 0 private, NULL not known (the provider does not say, or not checked yet).
    public     INTEGER,
    -- The A–Z index: 'a'..'z' from the first character, '#' for digits and anything else.
    letter     TEXT NOT NULL,
    -- The table is stored in list order, so a letter's page is one range read, and a page at
    -- any offset steps through rows without a lookup per row.
    PRIMARY KEY (profile_id, letter, name)
) WITHOUT ROWID;

-- One bucket by name: the region cache, create, delete.
CREATE UNIQUE INDEX buckets_by_name ON buckets (profile_id, name);

-- When the profile's bucket list was last replaced from S3 (seconds since the epoch).
ALTER TABLE profiles ADD COLUMN buckets_refreshed_at INTEGER;
