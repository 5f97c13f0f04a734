-- Profiles: everything about an S3 account except its secret, which lives in the OS secret store
-- under the account named by `id`. AUTOINCREMENT so a removed profile's id (and so a stale
-- secret-store entry) is never reused.
CREATE TABLE profiles (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    name                 TEXT NOT NULL UNIQUE,
    provider             TEXT NOT NULL,
    endpoint             TEXT,
    account_id           TEXT,
    region               TEXT NOT NULL,
    path_style           INTEGER NOT NULL,
    access_key_id        TEXT,
    -- When set, credentials are resolved at use from this profile of the AWS shared config
    -- (SSO, assume-role, credential_process, static keys in the file); nothing is copied.
    aws_profile          TEXT,
    aws_config_file      TEXT,
    aws_credentials_file TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
