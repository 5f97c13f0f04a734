-- Bumped by every change to a profile, so engines in other processes notice an edit and
-- rebuild their S3 clients and credentials for it.
ALTER TABLE profiles ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;

-- The activity log: every change Strata made to remote data and every link it created. It
-- names remote paths as users write them (PROFILE:BUCKET/KEY) and never holds a secret:
-- a presigned URL's signature is not recorded, only that a link was made and until when.
CREATE TABLE activity (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Milliseconds since the Unix epoch.
    at       INTEGER NOT NULL,
    action   TEXT NOT NULL,
    source   TEXT NOT NULL,
    target   TEXT,
    objects  INTEGER NOT NULL,
    bytes    INTEGER NOT NULL,
    -- done, partial, failed or cancelled.
    outcome  TEXT NOT NULL,
    detail   TEXT
);

-- The first page of each folder listed lately, so going back to a folder shows it at once
-- while a fresh listing loads. Bounded: the oldest are dropped past a few hundred.
CREATE TABLE listings (
    profile_id INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    bucket     TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    -- Milliseconds since the Unix epoch.
    fetched_at INTEGER NOT NULL,
    -- The page as JSON (entries and the next token).
    page       TEXT NOT NULL,
    PRIMARY KEY (profile_id, bucket, prefix)
);
CREATE INDEX listings_by_age ON listings (fetched_at);
