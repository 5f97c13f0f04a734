-- Restores of objects in an archival storage class (GLACIER, DEEP_ARCHIVE): readable from
-- ready_ms until expiry_ms, as S3 makes them after RestoreObject. A new object at the key,
-- or its delete, ends its restore.
CREATE TABLE restores (
    bucket    TEXT NOT NULL,
    key       BLOB NOT NULL,
    ready_ms  INTEGER NOT NULL,
    expiry_ms INTEGER NOT NULL,
    PRIMARY KEY (bucket, key)
) WITHOUT ROWID;

-- Each bucket's lifecycle configuration, as the XML S3 takes and returns.
CREATE TABLE lifecycles (
    bucket TEXT PRIMARY KEY REFERENCES buckets (name) ON DELETE CASCADE,
    config TEXT NOT NULL
);
