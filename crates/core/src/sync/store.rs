//! The sync tables: pairs, the index of what was uploaded, and the conflicts kept.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{IndexedFile, SyncPair, SyncPairPatch, SyncReport};
use crate::error::{Error, ErrorCode, Result};

const PAIR_COLUMNS: &str = "sp.id, sp.local, sp.device, p.name, sp.bucket, sp.prefix,
     sp.mirror_deletes, sp.ignore, sp.active, sp.status, sp.status_detail, sp.synced_at,
     sp.reconciled_at, sp.report,
     (SELECT count(*) FROM sync_index i WHERE i.pair_id = sp.id),
     (SELECT count(*) FROM sync_conflicts c WHERE c.pair_id = sp.id),
     (SELECT max(j.id) FROM jobs j WHERE j.kind = 'sync' AND j.state IN ('queued', 'running')
             AND json_extract(j.spec, '$.pair') = sp.id)";

/// A pair as stored, with what the catalog knows of its state.
pub(crate) struct PairRow {
    pub pair: SyncPair,
    pub device: Option<u64>,
    pub reconciled_at: Option<i64>,
}

fn pair_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PairRow> {
    let ignore: String = r.get(7)?;
    let job: Option<u32> = r.get(16)?;
    let status: String = r.get(9)?;
    let (profile, bucket, prefix): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
    Ok(PairRow {
        pair: SyncPair {
            id: r.get(0)?,
            local: r.get(1)?,
            remote: crate::remote::display(&profile, &bucket, &prefix),
            profile,
            bucket,
            prefix,
            mirror_deletes: r.get(6)?,
            ignore: serde_json::from_str(&ignore).unwrap_or_default(),
            active: r.get(8)?,
            status: if job.is_some() {
                "syncing".into()
            } else {
                status
            },
            job,
            status_detail: r.get(10)?,
            synced_at: r
                .get::<_, Option<i64>>(11)?
                .map(|ms| crate::buckets::rfc3339(ms / 1000)),
            files: r.get(14)?,
            conflicts: r.get(15)?,
            last_run: r
                .get::<_, Option<String>>(13)?
                .and_then(|text| serde_json::from_str(&text).ok()),
        },
        device: r.get::<_, Option<i64>>(2)?.map(|d| d as u64),
        reconciled_at: r.get(12)?,
    })
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<PairRow>> {
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM sync_pairs sp JOIN profiles p ON p.id = sp.profile_id
         ORDER BY sp.id"
    );
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([], pair_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn get(conn: &Connection, id: u32) -> Result<PairRow> {
    let sql = format!(
        "SELECT {PAIR_COLUMNS} FROM sync_pairs sp JOIN profiles p ON p.id = sp.profile_id
         WHERE sp.id = ?1"
    );
    conn.query_row(&sql, [id], pair_row)
        .optional()?
        .ok_or_else(|| no_such_pair(id))
}

pub(crate) fn no_such_pair(id: u32) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("There is no sync pair {id}."),
        "List the pairs with `strata sync list`.",
    )
}

/// What a new pair is made of.
pub(crate) struct NewPair<'a> {
    pub local: &'a str,
    pub device: Option<u64>,
    pub profile_id: u32,
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub mirror_deletes: bool,
    pub ignore: &'a [String],
}

pub(crate) fn insert(conn: &Connection, new: &NewPair<'_>) -> Result<u32> {
    let ignore = serde_json::to_string(new.ignore).unwrap_or_else(|_| "[]".into());
    let written = conn.execute(
        "INSERT INTO sync_pairs (local, device, profile_id, bucket, prefix, mirror_deletes,
             ignore, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            new.local,
            new.device.map(|d| d as i64),
            new.profile_id,
            new.bucket,
            new.prefix,
            new.mirror_deletes,
            ignore,
            crate::catalog::now_ms()
        ],
    );
    match written {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("{} is synced to that place already.", new.local),
                "See it with `strata sync list`.",
            ))
        }
        other => {
            other?;
            Ok(conn.last_insert_rowid() as u32)
        }
    }
}

pub(crate) fn remove(conn: &Connection, id: u32) -> Result<()> {
    if conn.execute("DELETE FROM sync_pairs WHERE id = ?1", [id])? == 0 {
        return Err(no_such_pair(id));
    }
    Ok(())
}

pub(crate) fn edit(conn: &Connection, id: u32, patch: &SyncPairPatch) -> Result<()> {
    let ignore = patch
        .ignore
        .as_ref()
        .map(|patterns| serde_json::to_string(patterns).unwrap_or_else(|_| "[]".into()));
    if conn.execute(
        "UPDATE sync_pairs SET mirror_deletes = coalesce(?2, mirror_deletes),
             ignore = coalesce(?3, ignore)
         WHERE id = ?1",
        params![id, patch.mirror_deletes, ignore],
    )? == 0
    {
        return Err(no_such_pair(id));
    }
    Ok(())
}

pub(crate) fn set_active(conn: &Connection, id: u32, active: bool) -> Result<()> {
    if conn.execute(
        "UPDATE sync_pairs SET active = ?2 WHERE id = ?1",
        params![id, active],
    )? == 0
    {
        return Err(no_such_pair(id));
    }
    Ok(())
}

/// Records the pair's state in words.
pub(crate) fn set_status(conn: &Connection, id: u32, status: &str, detail: &str) -> Result<()> {
    conn.execute(
        "UPDATE sync_pairs SET status = ?2, status_detail = ?3 WHERE id = ?1",
        params![id, status, detail],
    )?;
    Ok(())
}

/// Records a run that went through, and its numbers.
pub(crate) fn set_synced(conn: &Connection, id: u32, report: &SyncReport) -> Result<()> {
    conn.execute(
        "UPDATE sync_pairs SET synced_at = ?2, report = ?3 WHERE id = ?1",
        params![
            id,
            crate::catalog::now_ms(),
            serde_json::to_string(report).ok()
        ],
    )?;
    Ok(())
}

/// Records that every object of the pair was compared with the index just now.
pub(crate) fn set_reconciled(conn: &Connection, id: u32) -> Result<()> {
    conn.execute(
        "UPDATE sync_pairs SET reconciled_at = ?2 WHERE id = ?1",
        params![id, crate::catalog::now_ms()],
    )?;
    Ok(())
}

pub(crate) fn index(conn: &Connection, pair: u32) -> Result<HashMap<String, IndexedFile>> {
    let mut statement =
        conn.prepare("SELECT path, size, mtime_ns, etag FROM sync_index WHERE pair_id = ?1")?;
    let rows = statement.query_map([pair], |r| {
        Ok((
            r.get::<_, String>(0)?,
            IndexedFile {
                size: r.get::<_, i64>(1)? as u64,
                mtime_ns: r.get(2)?,
                etag: r.get(3)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes a file's row; nothing when the pair is gone.
pub(crate) fn index_put(
    conn: &Connection,
    pair: u32,
    path: &str,
    file: &IndexedFile,
) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO sync_index (pair_id, path, size, mtime_ns, etag, synced_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM sync_pairs WHERE id = ?1)",
        params![
            pair,
            path,
            file.size as i64,
            file.mtime_ns,
            file.etag,
            crate::catalog::now_ms()
        ],
    )?;
    Ok(())
}

pub(crate) fn index_remove(conn: &Connection, pair: u32, path: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM sync_index WHERE pair_id = ?1 AND path = ?2",
        params![pair, path],
    )?;
    Ok(())
}

pub(crate) fn conflict_add(conn: &Connection, pair: u32, path: &str, copy_key: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_conflicts (pair_id, path, copy_key, detected_at)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM sync_pairs WHERE id = ?1)",
        params![pair, path, copy_key, crate::catalog::now_ms()],
    )?;
    Ok(())
}

/// The uploads of pair `pair`'s syncs that did not finish (paused with their sync, failed,
/// left by a process that died), by spec, newest kept: to be resumed rather than doubled.
/// Read once a run, not once a file: the spec column has no index.
pub(crate) fn unfinished_uploads(conn: &Connection, pair: u32) -> Result<HashMap<String, u32>> {
    let mut statement = conn.prepare(
        "SELECT spec, id FROM jobs WHERE kind = 'upload' AND state != 'done'
           AND json_extract(spec, '$.sync.pair') = ?1 ORDER BY id",
    )?;
    let rows = statement.query_map([pair], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
