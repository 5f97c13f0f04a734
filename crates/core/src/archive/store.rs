//! The `archives` table's SQL.

use rusqlite::{Connection, OptionalExtension, params};

use super::{MANIFEST_NAME, Project, ProjectState};
use crate::catalog::now_ms;
use crate::error::{Error, ErrorCode, Result};

const COLUMNS: &str = "a.id, a.source, a.location, a.class, a.state, a.detail, a.objects, a.bytes,
     a.created_at, a.archived_at, a.restored_at, a.readable_until,
     (SELECT max(j.id) FROM jobs j WHERE j.kind IN ('archive', 'restore')
             AND j.state IN ('queued', 'running')
             AND json_extract(j.spec, '$.project') = a.id)";

fn project(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    let time = |ms: Option<i64>| ms.map(|ms| crate::buckets::rfc3339(ms / 1000));
    let source: String = r.get(1)?;
    let location: String = r.get(2)?;
    let state: String = r.get(4)?;
    Ok(Project {
        id: r.get(0)?,
        name: source
            .trim_end_matches('/')
            .rsplit(['/', ':'])
            .next()
            .unwrap_or_default()
            .to_string(),
        manifest: format!("{location}{MANIFEST_NAME}"),
        source,
        location,
        class: r.get(3)?,
        state: ProjectState::parse(&state),
        detail: r.get(5)?,
        objects: r.get(6)?,
        bytes: r.get::<_, i64>(7)?.max(0) as u64,
        created_at: time(r.get(8)?).unwrap_or_default(),
        archived_at: time(r.get(9)?),
        restored_at: time(r.get(10)?),
        readable_until: time(r.get(11)?),
        job: r.get(12)?,
    })
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<Project>> {
    let sql = format!("SELECT {COLUMNS} FROM archives a ORDER BY a.id DESC");
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([], project)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn get(conn: &Connection, id: u32) -> Result<Project> {
    let sql = format!("SELECT {COLUMNS} FROM archives a WHERE a.id = ?1");
    conn.query_row(&sql, [id], project)
        .optional()?
        .ok_or_else(|| {
            Error::new(
                ErrorCode::NotFound,
                format!("There is no archived project {id}."),
                "List the projects (strata archive list) to see their ids.",
            )
        })
}

/// The project of `source` archived to `location`.
pub(crate) fn find(conn: &Connection, source: &str, location: &str) -> Result<Option<Project>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM archives a WHERE a.source = ?1 AND a.location = ?2
         ORDER BY a.id DESC LIMIT 1"
    );
    Ok(conn
        .query_row(&sql, params![source, location], project)
        .optional()?)
}

/// The newest project whose source or archived copy is the folder `folder`.
pub(crate) fn at(conn: &Connection, folder: &str) -> Result<Option<Project>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM archives a WHERE a.location = ?1 OR a.source = ?1
         ORDER BY a.id DESC LIMIT 1"
    );
    Ok(conn.query_row(&sql, [folder], project).optional()?)
}

pub(crate) fn insert(
    conn: &Connection,
    profile_id: u32,
    source: &str,
    location: &str,
    class: Option<&str>,
) -> Result<Project> {
    conn.execute(
        "INSERT INTO archives (profile_id, source, location, class, state, created_at)
         VALUES (?1, ?2, ?3, ?4, 'archiving', ?5)",
        params![profile_id, source, location, class, now_ms()],
    )?;
    get(conn, conn.last_insert_rowid() as u32)
}

pub(crate) fn set_state(
    conn: &Connection,
    id: u32,
    state: ProjectState,
    detail: Option<&str>,
) -> Result<()> {
    // Dated when reached from the step before, not when a failed restore falls back.
    let stamp = match state {
        ProjectState::Archived => {
            Some("archived_at = ?2, readable_until = NULL WHERE id = ?1 AND state = 'archiving'")
        }
        ProjectState::Restored => Some("restored_at = ?2 WHERE id = ?1 AND state = 'restoring'"),
        _ => None,
    };
    let tx = conn.unchecked_transaction()?;
    if let Some(stamp) = stamp {
        tx.execute(
            &format!("UPDATE archives SET {stamp}"),
            params![id, now_ms()],
        )?;
    }
    if state == ProjectState::Archiving {
        // A new round of archiving trusts no manifest of an earlier round.
        tx.execute(
            "UPDATE archives SET manifest_at = NULL WHERE id = ?1 AND state != 'archiving'",
            [id],
        )?;
    }
    tx.execute(
        "UPDATE archives SET state = ?2, detail = ?3 WHERE id = ?1",
        params![id, state.as_str(), detail],
    )?;
    tx.commit()?;
    Ok(())
}

/// Records that every copy verified and the manifest was written, with the totals.
pub(crate) fn set_manifest_written(
    conn: &Connection,
    id: u32,
    objects: u32,
    bytes: u64,
) -> Result<()> {
    conn.execute(
        "UPDATE archives SET manifest_at = ?2, objects = ?3, bytes = ?4 WHERE id = ?1",
        params![id, now_ms(), objects, bytes as i64],
    )?;
    Ok(())
}

/// Whether the manifest of the current round of archiving was written.
pub(crate) fn manifest_written(conn: &Connection, id: u32) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT manifest_at IS NOT NULL FROM archives WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false))
}

pub(crate) fn set_readable_until(conn: &Connection, id: u32, until_ms: Option<i64>) -> Result<()> {
    conn.execute(
        "UPDATE archives SET readable_until = ?2 WHERE id = ?1",
        params![id, until_ms],
    )?;
    Ok(())
}

/// The class a new round of archiving puts the copies in.
pub(crate) fn set_class(conn: &Connection, id: u32, class: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE archives SET class = ?2 WHERE id = ?1",
        params![id, class],
    )?;
    Ok(())
}

pub(crate) fn set_detail(conn: &Connection, id: u32, detail: &str) -> Result<()> {
    conn.execute(
        "UPDATE archives SET detail = ?2 WHERE id = ?1",
        params![id, detail],
    )?;
    Ok(())
}
