//! The catalog: one SQLite file in the data folder holding everything that must survive a
//! restart (never a secret).
//!
//! Migrations are numbered SQL files applied in order at open, inside an immediate transaction
//! so that two processes opening a fresh folder at once (the app and the CLI) migrate it once.
//! `PRAGMA user_version` records how many have run; a catalog written by a newer Strata is
//! refused rather than misread.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, ErrorCode, Result};

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_profiles.sql"),
    include_str!("../migrations/0002_buckets.sql"),
    include_str!("../migrations/0003_objects.sql"),
    include_str!("../migrations/0004_bucket_versions.sql"),
    include_str!("../migrations/0005_jobs.sql"),
    include_str!("../migrations/0006_transfers.sql"),
    include_str!("../migrations/0007_downloads.sql"),
    include_str!("../migrations/0008_job_totals.sql"),
    include_str!("../migrations/0009_transfer_checksums.sql"),
    include_str!("../migrations/0010_job_places.sql"),
    include_str!("../migrations/0011_sync.sql"),
    include_str!("../migrations/0012_archives.sql"),
    include_str!("../migrations/0013_part_checks.sql"),
    include_str!("../migrations/0014_download_etag_kind.sql"),
];

/// Opens the catalog of a data folder.
pub fn open(path: &Path) -> Result<Connection> {
    open_sqlite(path, MIGRATIONS, "catalog")
}

/// Opens a connection to a data folder's catalog that only reads (the catalog exists: the
/// writer made it).
pub fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", "ON")?;
    conn.pragma_update(None, "cache_size", -32_768)?;
    Ok(conn)
}

/// How many prepared statements a connection keeps (rusqlite keeps 16 by default).
const STATEMENT_CACHE: usize = 64;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens (creating if needed) a SQLite file in WAL mode and brings it to `migrations`' schema.
/// `what` names the file in messages ("catalog", "local endpoint index").
pub fn open_sqlite(path: &Path, migrations: &[&str], what: &str) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Searches scan a profile's whole bucket list (100,000 rows are a few MiB): kept in
    // SQLite's own cache rather than re-read from the OS on every keystroke.
    conn.pragma_update(None, "cache_size", -32_768)?;
    // Each transfer runs some twenty statements: kept parsed, not parsed again per file.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    migrate(&mut conn, migrations, what)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection, migrations: &[&str], what: &str) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > migrations.len() {
        return Err(Error::new(
            ErrorCode::CatalogTooNew,
            format!(
                "The {what} was written by a newer version of Strata (schema {applied}, this version knows {}).",
                migrations.len()
            ),
            "Update Strata, or point --home / STRATA_HOME at another data folder.",
        ));
    }
    for (index, sql) in migrations.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
    }
    tx.commit()?;
    Ok(())
}

/// A transaction that takes the write lock at once. A deferred one that reads first and
/// writes later fails at once with SQLITE_BUSY when another process committed in between
/// (WAL cannot upgrade a stale snapshot), whatever the busy timeout: every write uses this.
pub fn write(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// A setting stored as JSON; the type's default when it is unset (or unreadable, as an older
/// or newer Strata may have written it).
pub fn json_setting<T: serde::de::DeserializeOwned + Default>(
    conn: &Connection,
    key: &str,
) -> Result<T> {
    Ok(setting(conn, key)?
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default())
}

pub fn set_json_setting<T: serde::Serialize>(
    conn: &Connection,
    key: &str,
    value: &T,
) -> Result<()> {
    let text = serde_json::to_string(value).unwrap_or_default();
    set_setting(conn, key, Some(&text))
}

pub fn set_setting(conn: &Connection, key: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(value) => conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            [key, value],
        )?,
        None => conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Seconds since the Unix epoch, for `created_at` / `updated_at` columns.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        drop(open(&path).unwrap());
        // Opening again must not re-run migration 1 (it would fail on CREATE TABLE).
        let conn = open(&path).unwrap();
        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");

        conn.pragma_update(None, "user_version", MIGRATIONS.len() + 1)
            .unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        assert_eq!(err.code, ErrorCode::CatalogTooNew);
        assert!(err.hint.contains("Update Strata"), "{}", err.hint);
    }
}
