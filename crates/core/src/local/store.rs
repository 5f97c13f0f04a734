//! The store: the index and the blobs together, and the one way bytes become visible.
//!
//! [`Store::commit`] is write-ahead: (1) the new blobs are recorded as pending, (2) their bytes
//! are moved (or hard-linked) into place, (3) one transaction writes the rows that name them and
//! records every blob they replaced as pending, (4) replaced blobs are unlinked. Completing a
//! multipart upload places no bytes: one transaction hands the parts' blobs to the object. A crash at any point leaves no
//! row without its bytes; bytes without a row stay recorded as pending under the dead
//! writer's name, and [`Store::open`] removes them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use s3s::{S3Error, S3ErrorCode, S3Result};

use super::blobs::{BlobStore, random_id};
use super::index;

pub(crate) struct Store {
    index: Mutex<Connection>,
    pub blobs: BlobStore,
}

/// Where a commit's new blobs come from.
pub(crate) enum Source {
    /// A finished temporary file, moved into place as one blob.
    Temp(PathBuf),
    /// Existing blobs, each hard-linked as a new one (blobs are immutable).
    Link(Vec<String>),
}

/// Begins a transaction that takes the index's write lock at once. Several processes share
/// one store: a transaction that read first and wrote later would fail at once ("database is
/// locked") when another process wrote in between, where this one waits its turn (up to the
/// connection's busy timeout).
fn write(conn: &mut Connection) -> S3Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(internal)
}

pub(crate) fn internal(err: impl std::fmt::Display) -> S3Error {
    tracing::error!("local endpoint: {err}");
    S3Error::with_message(S3ErrorCode::InternalError, err.to_string())
}

impl Store {
    /// Opens (creating) the store at `root` and repairs what crashed writers left.
    pub fn open(root: &Path) -> crate::Result<Arc<Self>> {
        let blobs = BlobStore::open(root).map_err(|e| {
            crate::Error::io(
                format!("Cannot open the local store at {}", root.display()),
                &e,
            )
        })?;
        let conn = crate::catalog::open_sqlite(
            &root.join("index.sqlite"),
            index::MIGRATIONS,
            "local endpoint index",
        )?;
        let store = Arc::new(Self {
            index: Mutex::new(conn),
            blobs,
        });
        store.repair()?;
        Ok(store)
    }

    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Settles the pending blobs of writers that no longer run: a blob no row names is
    /// unlinked. Blobs of live writers are left alone.
    fn repair(&self) -> crate::Result<()> {
        let dead = self.blobs.reap_dead_writers().map_err(|e| {
            crate::Error::io("Cannot inspect the local store's temporary folder", &e)
        })?;
        if !dead.is_empty() {
            tracing::info!(
                writers = dead.len(),
                "local store: cleaned up after stopped processes"
            );
        }
        let conn = self.conn();
        for (blob, writer) in index::pending(&conn)? {
            if self.blobs.is_alive(&writer) {
                continue;
            }
            if !index::blob_in_use(&conn, &blob)? {
                self.blobs.remove(&blob);
            }
            index::remove_pending(&conn, &blob)?;
        }
        Ok(())
    }

    /// Makes `source` visible as new blobs through the rows `write_rows` writes (given the
    /// new blobs' ids, in order); `write_rows` returns the blobs its rows replaced, which are
    /// unlinked after the commit.
    pub fn commit<T>(
        &self,
        source: Source,
        failpoint_name: &str,
        write_rows: impl FnOnce(&Transaction<'_>, &[String]) -> S3Result<(T, Vec<String>)>,
    ) -> S3Result<T> {
        let count = match &source {
            Source::Temp(_) => 1,
            Source::Link(existing) => existing.len(),
        };
        let blobs: Vec<String> = (0..count).map(|_| random_id()).collect();
        let writer = self.blobs.writer().to_string();
        let mut conn = self.conn();
        for blob in &blobs {
            index::add_pending(&conn, blob, &writer).map_err(internal)?;
        }
        let placed = match &source {
            Source::Temp(temp) => self.blobs.install(temp, &blobs[0]),
            Source::Link(existing) => existing
                .iter()
                .zip(&blobs)
                .try_for_each(|(existing, blob)| self.blobs.link(existing, blob)),
        };
        if let Err(e) = placed {
            self.release(&conn, &blobs);
            if let Source::Temp(temp) = &source {
                let _ = std::fs::remove_file(temp);
            }
            // A blob to link that is gone was released by a writer that replaced or deleted
            // its object after the caller read the row: the caller reads it again.
            if matches!(source, Source::Link(_)) && e.kind() == std::io::ErrorKind::NotFound {
                return Err(S3Error::with_message(
                    S3ErrorCode::NoSuchKey,
                    "The source was replaced or deleted while it was being copied.",
                ));
            }
            return Err(internal(format!("cannot place a blob: {e}")));
        }
        crate::failpoint::hit(failpoint_name);
        let outcome = (|| {
            let tx = write(&mut conn)?;
            let (value, replaced) = write_rows(&tx, &blobs)?;
            for old in &replaced {
                index::add_pending(&tx, old, &writer).map_err(internal)?;
            }
            for blob in &blobs {
                index::remove_pending(&tx, blob).map_err(internal)?;
            }
            tx.commit().map_err(internal)?;
            Ok((value, replaced))
        })();
        match outcome {
            Ok((value, replaced)) => {
                self.release(&conn, &replaced);
                Ok(value)
            }
            Err(e) => {
                self.release(&conn, &blobs);
                Err(e)
            }
        }
    }

    /// Unlinks blobs no row names any more and forgets them.
    pub fn release(&self, conn: &Connection, blobs: &[String]) {
        for blob in blobs {
            self.blobs.remove(blob);
            if let Err(e) = index::remove_pending(conn, blob) {
                tracing::warn!("local store: {e}");
            }
        }
    }

    /// Runs `f` with the index inside one transaction; `f` returns blobs to release after it.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> S3Result<(T, Vec<String>)>,
    ) -> S3Result<T> {
        let writer = self.blobs.writer().to_string();
        let mut conn = self.conn();
        let tx = write(&mut conn)?;
        let (value, released) = f(&tx)?;
        for blob in &released {
            index::add_pending(&tx, blob, &writer).map_err(internal)?;
        }
        tx.commit().map_err(internal)?;
        self.release(&conn, &released);
        Ok(value)
    }
}
