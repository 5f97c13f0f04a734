-- Multipart uploads completed in the last day: a client that crashed after sending Complete,
-- or lost the answer, sends it again and must hear success with the same object, not
-- NoSuchUpload (S3 answers a repeated Complete this way).
CREATE TABLE completed_uploads (
    upload_id    TEXT PRIMARY KEY,
    bucket       TEXT NOT NULL,
    key          BLOB NOT NULL,
    etag         TEXT NOT NULL,
    completed_ms INTEGER NOT NULL
);
