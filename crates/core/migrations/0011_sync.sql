-- Sync pairs: a local folder kept uploaded to a bucket prefix.
CREATE TABLE sync_pairs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The local folder, absolute.
    local          TEXT NOT NULL,
    -- The device the folder was on when the pair was made: a folder now on another device
    -- is an unmounted drive's empty mount point, never "everything was deleted".
    device         INTEGER,
    profile_id     INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    bucket         TEXT NOT NULL,
    -- '' or ending in '/'.
    prefix         TEXT NOT NULL,
    -- 1: a file deleted here is deleted there too.
    mirror_deletes INTEGER NOT NULL DEFAULT 0,
    -- JSON array of ignore patterns.
    ignore         TEXT NOT NULL,
    -- 0: paused by the user; the watcher leaves it alone.
    active         INTEGER NOT NULL DEFAULT 1,
    -- The last sync's end: idle, waiting, missing, busy or failed, and its words.
    status         TEXT NOT NULL DEFAULT 'new',
    status_detail  TEXT,
    -- The last run's numbers (JSON), as `strata sync run` prints them.
    report         TEXT,
    -- Milliseconds since the Unix epoch.
    created_at     INTEGER NOT NULL,
    synced_at      INTEGER,
    reconciled_at  INTEGER,
    UNIQUE (local, profile_id, bucket, prefix)
);

-- What was uploaded of each file of a pair: the file as it was (size, mtime) and the object
-- it became (its ETag). A file that still matches its row needs no request at all.
CREATE TABLE sync_index (
    pair_id   INTEGER NOT NULL REFERENCES sync_pairs (id) ON DELETE CASCADE,
    -- '/'-separated, below the pair's folder and prefix.
    path      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    -- Nanoseconds since the Unix epoch.
    mtime_ns  INTEGER NOT NULL,
    etag      TEXT NOT NULL,
    synced_at INTEGER NOT NULL,
    PRIMARY KEY (pair_id, path)
) WITHOUT ROWID;

-- Conflicts kept: the remote object changed since it was uploaded and the file changed too;
-- the file went up under another key beside it.
CREATE TABLE sync_conflicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    pair_id     INTEGER NOT NULL REFERENCES sync_pairs (id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    copy_key    TEXT NOT NULL,
    detected_at INTEGER NOT NULL
);
