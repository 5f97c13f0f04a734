-- Archived projects: a prefix moved from hot to cold storage (another bucket, or a colder
-- storage class in place), with a manifest beside the archived data.
CREATE TABLE archives (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The source's profile: a project goes when its profile goes.
    profile_id  INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    -- Where the project was, and comes back to: PROFILE:BUCKET/PREFIX/.
    source      TEXT NOT NULL,
    -- Where the archived copy lives: PROFILE:BUCKET/PREFIX/ (the source itself for a class
    -- change in place).
    location    TEXT NOT NULL,
    -- The archived copies' storage class; NULL: the target bucket's default.
    class       TEXT,
    -- archiving, archived, restoring, restored, or hot (an archive stopped before any
    -- source was deleted).
    state       TEXT NOT NULL,
    -- The state in words: why it stopped, what was kept, the last verification.
    detail      TEXT,
    objects     INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    -- Milliseconds since the Unix epoch.
    created_at  INTEGER NOT NULL,
    -- Set once every copy verified and the manifest was written: from then on the manifest,
    -- not the source listing, says what the project holds, and sources may be deleted.
    manifest_at INTEGER,
    archived_at INTEGER,
    restored_at INTEGER,
    -- A restore without copy back: readable until then.
    readable_until INTEGER
);
CREATE INDEX archives_by_source ON archives (source);
