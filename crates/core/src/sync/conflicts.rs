//! Conflicts kept by syncs, and their resolution: keep both (the record goes), or make the
//! file's version the object (its conflict copy is moved over the original key, verified).

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::store;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::remote::RemotePath;

/// A conflict a sync kept: the object at `original` changed on the server while the file
/// changed here, so the file went up to `copy`, beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncConflict {
    pub id: u32,
    pub pair: u32,
    /// The file, below the pair's folder.
    pub path: String,
    /// `PROFILE:BUCKET/KEY` of the object the server had (left as it was).
    pub original: String,
    /// `PROFILE:BUCKET/KEY` of the file's copy.
    pub copy: String,
    /// RFC 3339.
    pub detected_at: String,
}

/// How a conflict ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Both objects stay; the conflict is dismissed.
    KeepBoth,
    /// The file's version replaces the server's: the copy is moved over the original key.
    UseMine,
}

impl Engine {
    /// The conflicts of pair `pair` not resolved yet, oldest first.
    pub async fn sync_conflicts(&self, pair: u32) -> Result<Vec<SyncConflict>> {
        self.reading(move |conn| {
            let row = store::get(conn, pair)?;
            let mut statement = conn.prepare(
                "SELECT id, path, copy_key, detected_at FROM sync_conflicts
                 WHERE pair_id = ?1 ORDER BY id",
            )?;
            let at = |key: &str| crate::remote::display(&row.pair.profile, &row.pair.bucket, key);
            let rows = statement.query_map([pair], |r| {
                let path: String = r.get(1)?;
                let copy: String = r.get(2)?;
                Ok(SyncConflict {
                    id: r.get(0)?,
                    pair,
                    original: at(&format!("{}{path}", row.pair.prefix)),
                    copy: at(&copy),
                    path,
                    detected_at: crate::buckets::rfc3339(r.get::<_, i64>(3)? / 1000),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    /// Ends conflict `id` as `resolution` says.
    pub async fn sync_conflict_resolve(&self, id: u32, resolution: Resolution) -> Result<()> {
        let pair = self
            .reading(move |conn| {
                conn.query_row(
                    "SELECT pair_id FROM sync_conflicts WHERE id = ?1",
                    [id],
                    |r| r.get::<_, u32>(0),
                )
                .map_err(|_| {
                    Error::new(
                        ErrorCode::NotFound,
                        format!("There is no conflict {id}."),
                        "It was resolved already; reload the list.",
                    )
                })
            })
            .await?;
        let conflict = self
            .sync_conflicts(pair)
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::NotFound,
                    format!("There is no conflict {id}."),
                    "",
                )
            })?;
        let mut etag = None;
        if resolution == Resolution::UseMine {
            let (copy, original) = (
                RemotePath::parse(&conflict.copy)?,
                RemotePath::parse(&conflict.original)?,
            );
            self.objects_copy(&copy, &original, true, &self.new_job())
                .await?;
            etag = self
                .object_head(&original.profile, &original.bucket, &original.key)
                .await?
                .etag;
        }
        let path = conflict.path.clone();
        self.blocking(move |conn, _| {
            let tx = crate::catalog::write(conn)?;
            if let Some(etag) = &etag {
                tx.execute(
                    "UPDATE sync_index SET etag = ?3 WHERE pair_id = ?1 AND path = ?2",
                    params![pair, path, etag],
                )?;
            }
            tx.execute("DELETE FROM sync_conflicts WHERE id = ?1", [id])?;
            tx.commit()?;
            Ok(())
        })
        .await?;
        self.sync_changed(pair);
        Ok(())
    }
}
