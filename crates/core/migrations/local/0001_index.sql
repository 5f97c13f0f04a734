-- The local endpoint's index: every bucket, object, upload and part, so that listings are
-- index range scans. Keys are BLOBs (their UTF-8 bytes) so that ordering is S3's byte order
-- and prefix ranges can end at a byte successor that need not be valid UTF-8.
CREATE TABLE buckets (
    name       TEXT PRIMARY KEY,
    region     TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);

CREATE TABLE objects (
    bucket              TEXT NOT NULL REFERENCES buckets (name),
    key                 BLOB NOT NULL,
    blob                TEXT NOT NULL,
    size                INTEGER NOT NULL,
    etag                TEXT NOT NULL,
    modified_ms         INTEGER NOT NULL,
    storage_class       TEXT NOT NULL,
    content_type        TEXT,
    content_encoding    TEXT,
    content_disposition TEXT,
    content_language    TEXT,
    cache_control       TEXT,
    user_metadata       TEXT, -- JSON object
    checksums           TEXT, -- JSON object: algorithm -> base64 value
    parts_count         INTEGER,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

CREATE TABLE uploads (
    upload_id           TEXT PRIMARY KEY,
    bucket              TEXT NOT NULL REFERENCES buckets (name),
    key                 BLOB NOT NULL,
    initiated_ms        INTEGER NOT NULL,
    storage_class       TEXT NOT NULL,
    content_type        TEXT,
    content_encoding    TEXT,
    content_disposition TEXT,
    content_language    TEXT,
    cache_control       TEXT,
    user_metadata       TEXT,
    checksum_algorithm  TEXT
);
CREATE INDEX uploads_by_key ON uploads (bucket, key, initiated_ms, upload_id);

CREATE TABLE parts (
    upload_id   TEXT NOT NULL REFERENCES uploads (upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    blob        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    modified_ms INTEGER NOT NULL,
    checksums   TEXT,
    PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;

-- Blob files that may exist without a row naming them: a blob being committed, or one
-- replaced and about to be unlinked. A row whose writer died is repaired at the next open.
CREATE TABLE pending_blobs (
    blob   TEXT PRIMARY KEY,
    writer TEXT NOT NULL
);
