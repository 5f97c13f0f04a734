-- Long work (a bucket refresh, emptying a bucket, a download, a delete, a copy; later
-- transfers, sync and archiving), written before it starts and kept after it ends as its
-- history. A job left running by a process that died is found by its owner's lock file.
CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    -- The profile it works on; its jobs go with it.
    profile_id  INTEGER REFERENCES profiles (id) ON DELETE CASCADE,
    -- What to do, as JSON (remote paths as users write them): enough to run it again.
    spec        TEXT NOT NULL,
    -- queued, running, paused, failed, cancelled or done.
    state       TEXT NOT NULL,
    -- Progress as last saved (a few times a second while it runs): items done (buckets,
    -- objects) and the bytes they hold.
    done        INTEGER NOT NULL DEFAULT 0,
    bytes       INTEGER NOT NULL DEFAULT 0,
    -- Why it failed or stopped, as JSON ({code, message, hint, retry}); never a secret.
    error       TEXT,
    -- The process running it: the name of a lock file that process holds under jobs/.
    owner       TEXT,
    -- Milliseconds since the Unix epoch.
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running');
