//! The first page of the folders listed lately, kept in the catalog so that going back to a
//! folder (or opening the app again) shows it at once while a fresh listing loads.

use crate::engine::Engine;
use crate::error::Result;

use super::ObjectPage;

/// Folders kept; the least recently listed go first.
const KEPT: i64 = 300;

impl Engine {
    /// Stores a folder's first page; a failure only costs the shortcut, so it is logged.
    pub(super) async fn remember_listing(
        &self,
        profile_id: u32,
        bucket: &str,
        prefix: &str,
        page: &ObjectPage,
    ) {
        let Ok(json) = serde_json::to_string(page) else {
            return;
        };
        let (bucket, prefix) = (bucket.to_string(), prefix.to_string());
        let stored = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                tx.execute(
                    "INSERT INTO listings (profile_id, bucket, prefix, fetched_at, page) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (profile_id, bucket, prefix) DO UPDATE SET fetched_at = ?4, page = ?5",
                    rusqlite::params![profile_id, bucket, prefix, crate::catalog::now_ms(), json],
                )?;
                tx.execute(
                    "DELETE FROM listings WHERE rowid IN
                     (SELECT rowid FROM listings ORDER BY fetched_at DESC, rowid DESC LIMIT -1 OFFSET ?1)",
                    [KEPT],
                )?;
                tx.commit()?;
                Ok(())
            })
            .await;
        if let Err(err) = stored {
            tracing::warn!("a listing could not be kept: {}", err.message);
        }
    }

    /// The last first page listed of `prefix`, if any (from the catalog; no request).
    pub async fn object_list_recent(
        &self,
        profile: &str,
        bucket: &str,
        prefix: &str,
    ) -> Result<Option<ObjectPage>> {
        let (name, bucket, prefix) = (profile.to_string(), bucket.to_string(), prefix.to_string());
        self.reading(move |conn| {
            use rusqlite::OptionalExtension;
            let id = crate::profile::get(conn, &name)?.id;
            let json: Option<String> = conn
                .query_row(
                    "SELECT page FROM listings WHERE profile_id = ?1 AND bucket = ?2 AND prefix = ?3",
                    rusqlite::params![id, bucket, prefix],
                    |r| r.get(0),
                )
                .optional()?;
            Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
        })
        .await
    }
}
