//! The activity log: every change Strata made to remote data (delete, copy, move, rename, new
//! folder), every link it created, and every transfer's end with how its bytes were verified,
//! with time, paths, counts and outcome. Sync adds its own actions to the same table. No secret ever enters it: a link is
//! recorded by its path and expiry, never its signed URL.

use rusqlite::Connection;
use serde::Serialize;

use crate::engine::Engine;
use crate::error::{Error, Result};

/// One line of the log, as `strata log` and the activity view show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Activity {
    pub id: u32,
    /// RFC 3339, UTC.
    pub at: String,
    /// `delete`, `copy`, `move`, `rename`, `new_folder`, `edit_metadata`, `edit_tags`,
    /// `presign_get`, `presign_put`, `upload`, `download`, `sync`; an archive's `archive`,
    /// `manifest`, `delete`; `verify`, `restore` (requests sent), `copy_back`, `lifecycle`.
    pub action: String,
    /// The remote path acted on (`PROFILE:BUCKET/KEY`); for an upload, the local file.
    pub source: String,
    /// Where a copy, move or transfer went.
    pub target: Option<String>,
    pub objects: u32,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub bytes: u64,
    /// `done`, `partial`, `failed` or `cancelled`.
    pub outcome: String,
    /// The error, a link's expiry, or how a transfer was verified.
    pub detail: Option<String>,
}

/// What an operation writes to the log.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    action: &'static str,
    source: String,
    target: Option<String>,
    objects: u64,
    bytes: u64,
    outcome: &'static str,
    detail: Option<String>,
}

impl Record {
    pub fn new(action: &'static str, source: &str) -> Self {
        Self {
            action,
            source: source.to_string(),
            target: None,
            objects: 1,
            bytes: 0,
            outcome: "done",
            detail: None,
        }
    }

    pub fn target(mut self, target: &str) -> Self {
        self.target = Some(target.to_string());
        self
    }

    pub fn counts(mut self, objects: u64, bytes: u64) -> Self {
        self.objects = objects;
        self.bytes = bytes;
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// `done`, or `failed` / `cancelled` with the error's message.
    pub fn outcome_of<T>(mut self, outcome: &Result<T>) -> Self {
        if let Err(err) = outcome {
            self.outcome = if err.code == crate::ErrorCode::Cancelled {
                "cancelled"
            } else {
                "failed"
            };
            self.detail = Some(err.message.clone());
        }
        self
    }

    /// `partial` when some of the work failed.
    pub fn partial(mut self, failed: usize) -> Self {
        if failed > 0 && self.outcome == "done" {
            self.outcome = "partial";
            self.detail = Some(format!("{failed} failed"));
        }
        self
    }
}

fn insert(conn: &Connection, record: &Record) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO activity (at, action, source, target, objects, bytes, outcome, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(rusqlite::params![
        crate::catalog::now_ms(),
        record.action,
        record.source,
        record.target,
        record.objects as i64,
        record.bytes as i64,
        record.outcome,
        record.detail,
    ])?;
    Ok(())
}

fn list(conn: &Connection, limit: Option<u32>) -> Result<Vec<Activity>> {
    let mut stmt = conn.prepare(
        "SELECT id, at, action, source, target, objects, bytes, outcome, detail
         FROM activity ORDER BY id DESC LIMIT ?1",
    )?;
    let limit = limit.map_or(-1, i64::from);
    let rows = stmt.query_map([limit], |row| {
        let at: i64 = row.get(1)?;
        Ok(Activity {
            id: row.get(0)?,
            at: crate::buckets::rfc3339(at / 1000),
            action: row.get(2)?,
            source: row.get(3)?,
            target: row.get(4)?,
            objects: row.get(5)?,
            bytes: row.get::<_, i64>(6)?.max(0) as u64,
            outcome: row.get(7)?,
            detail: row.get(8)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Engine {
    /// Writes `record` to the log. A log that cannot be written does not undo or fail the
    /// change it describes (that happened already); it is reported in the process log.
    pub(crate) async fn log_activity(&self, record: Record) {
        let written = self.blocking(move |conn, _| insert(conn, &record)).await;
        if let Err(Error { message, .. }) = written {
            tracing::warn!("the activity log could not be written: {message}");
        }
    }

    /// The newest entries first; all of them when `limit` is `None`.
    pub async fn activity_list(&self, limit: Option<u32>) -> Result<Vec<Activity>> {
        self.reading(move |conn| list(conn, limit)).await
    }
}
