-- What a download job has done so far, so it resumes where it stopped. Downloads became one
-- job per object (the job names the object and the file); the earlier jobs that named several
-- objects cannot resume and are dropped from the history.
DELETE FROM jobs WHERE kind = 'download' AND json_extract(spec, '$.path') IS NULL;

-- The object as it was when the download began: a resume asks the server for that ETag only
-- (If-Match), so bytes of two versions are never mixed in one file.
CREATE TABLE downloads (
    job_id   INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    etag     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    -- How many parts the object was uploaded in, fetched one GET per part; 0 when it comes
    -- in one stream.
    parts    INTEGER NOT NULL,
    -- In one stream: the first bytes of the temporary file that are synced to disk.
    durable  INTEGER NOT NULL DEFAULT 0
);

-- A part is written only after its bytes are synced to the temporary file.
CREATE TABLE download_parts (
    job_id      INTEGER NOT NULL REFERENCES downloads (job_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    offset      INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    -- The part's MD5 (hex): the object's multipart ETag is checked from them at the end.
    md5         TEXT NOT NULL,
    PRIMARY KEY (job_id, part_number)
) WITHOUT ROWID;
