-- What an upload job has done so far, so it resumes where it stopped: the source file as it
-- was when the upload began, the multipart upload's id (saved before the first part is sent),
-- and each part S3 acknowledged. The job's own row holds its spec, state, bytes and error.
CREATE TABLE transfers (
    job_id     INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    size       INTEGER NOT NULL,
    -- Nanoseconds since the Unix epoch.
    mtime_ns   INTEGER NOT NULL,
    part_size  INTEGER NOT NULL,
    upload_id  TEXT NOT NULL,
    -- The finished object's ETag, once completed and verified.
    etag       TEXT
);

-- A part is written only after the server acknowledged it.
CREATE TABLE transfer_parts (
    job_id      INTEGER NOT NULL REFERENCES transfers (job_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    -- The part's MD5 (hex), to check the local file still holds the same bytes on resume.
    md5         TEXT NOT NULL,
    PRIMARY KEY (job_id, part_number)
) WITHOUT ROWID;
