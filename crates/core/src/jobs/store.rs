//! The `jobs` table's SQL.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::{JobId, JobSpec, JobState, Progress};
use crate::error::{Error, ErrorCode, Result, Retry};

/// A job as the catalog holds it.
pub(crate) struct Row {
    pub id: JobId,
    pub spec: JobSpec,
    pub state: JobState,
    pub done: u32,
    pub bytes: u64,
    pub total: Option<u64>,
    pub error: Option<Error>,
    pub owner: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Its place in its kind's queue: waiting jobs start in this order.
    pub place: i64,
}

/// An error as stored: the wire shape without the input field name.
#[derive(Deserialize)]
struct StoredError {
    code: ErrorCode,
    message: String,
    hint: String,
    retry: Retry,
}

const COLUMNS: &str = "id, spec, state, done, bytes, error, owner, created_at, started_at, finished_at, total, \
     coalesce(place, id)";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    let spec: String = r.get(1)?;
    let state: String = r.get(2)?;
    let error: Option<String> = r.get(5)?;
    let spec = serde_json::from_str(&spec).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(Row {
        id: r.get(0)?,
        spec,
        state: JobState::parse(&state),
        done: r.get(3)?,
        bytes: r.get::<_, i64>(4)?.max(0) as u64,
        error: error
            .and_then(|text| serde_json::from_str::<StoredError>(&text).ok())
            .map(|e| Error::new(e.code, e.message, e.hint).with_retry(e.retry)),
        owner: r.get(6)?,
        created_at: r.get(7)?,
        started_at: r.get(8)?,
        finished_at: r.get(9)?,
        total: r.get::<_, Option<i64>>(10)?.map(|t| t.max(0) as u64),
        place: r.get(11)?,
    })
}

/// The newest job doing exactly `spec`, and its state.
pub(crate) fn last_with_spec(
    conn: &Connection,
    spec: &JobSpec,
) -> Result<Option<(JobId, JobState)>> {
    let spec_json = serde_json::to_string(spec).unwrap_or_default();
    let found = conn
        .prepare_cached(
            "SELECT id, state FROM jobs WHERE kind = ?1 AND spec = ?2 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![spec.kind(), spec_json], |r| {
            Ok((r.get::<_, JobId>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(found.map(|(id, state)| (id, JobState::parse(&state))))
}

/// Writes a new job, queued under `owner`.
pub(crate) fn insert(
    conn: &Connection,
    spec: &JobSpec,
    profile_id: u32,
    owner: &str,
) -> Result<JobId> {
    let spec_json = serde_json::to_string(spec).map_err(|e| {
        Error::new(
            ErrorCode::Catalog,
            format!("A job could not be written: {e}."),
            "Report this.",
        )
    })?;
    conn.prepare_cached(
        "INSERT INTO jobs (kind, profile_id, spec, state, owner, created_at)
         VALUES (?1, ?2, ?3, 'queued', ?4, ?5)",
    )?
    .execute(params![
        spec.kind(),
        profile_id,
        spec_json,
        owner,
        crate::catalog::now_ms()
    ])?;
    Ok(conn.last_insert_rowid() as JobId)
}

/// Moves a job to `state`, stamping when it started or finished.
pub(crate) fn set_state(
    conn: &Connection,
    id: JobId,
    state: JobState,
    error: Option<&Error>,
) -> Result<()> {
    let error = error.and_then(|e| serde_json::to_string(e).ok());
    let now = crate::catalog::now_ms();
    conn.prepare_cached(
        "UPDATE jobs SET state = ?2, error = ?3,
             started_at = CASE WHEN ?2 = 'running' THEN ?4 ELSE started_at END,
             finished_at = CASE WHEN ?2 IN ('queued', 'running') THEN NULL ELSE ?4 END
         WHERE id = ?1",
    )?
    .execute(params![id, state.as_str(), error, now])?;
    Ok(())
}

pub(crate) fn set_progress(conn: &Connection, id: JobId, progress: Progress) -> Result<()> {
    conn.prepare_cached(
        "UPDATE jobs SET done = ?2, bytes = ?3, total = coalesce(?4, total) WHERE id = ?1",
    )?
    .execute(params![
        id,
        progress.done,
        progress.bytes as i64,
        progress.total.map(|t| t as i64)
    ])?;
    Ok(())
}

/// Takes a job over for `owner` and queues it again, if it is still owned by `from` and in
/// one of `states` (another process may have taken it first).
pub(crate) fn claim(
    conn: &Connection,
    id: JobId,
    from: Option<&str>,
    owner: &str,
    states: &[JobState],
) -> Result<bool> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let changed = conn
        .prepare_cached(
            "UPDATE jobs SET owner = ?3, state = 'queued', error = NULL, finished_at = NULL
         WHERE id = ?1 AND owner IS ?2 AND state IN (SELECT value FROM json_each(?4))",
        )?
        .execute(params![
            id,
            from,
            owner,
            serde_json::to_string(&states).unwrap_or_default()
        ])?;
    Ok(changed == 1)
}

pub(crate) fn get(conn: &Connection, id: JobId) -> Result<Option<Row>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"))?
        .query_row([id], row)
        .optional()?)
}

/// The newest `limit` jobs, newest first.
pub(crate) fn list(conn: &Connection, limit: u32) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The place before which a job goes to the front of the queue: the first queued job's.
pub(crate) fn first_queued_place(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT coalesce(min(coalesce(place, id)), 0) FROM jobs WHERE state = 'queued'",
        )?
        .query_row([], |r| r.get(0))?)
}

pub(crate) fn set_place(conn: &Connection, id: JobId, place: i64) -> Result<()> {
    conn.prepare_cached("UPDATE jobs SET place = ?2 WHERE id = ?1")?
        .execute(params![id, place])?;
    Ok(())
}

/// Jobs some process meant to run: queued or running, in their queue's order.
pub(crate) fn unfinished(conn: &Connection) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE state IN ('queued', 'running')
         ORDER BY coalesce(place, id)"
    ))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
