//! Sync pairs: a local folder kept uploaded to a bucket prefix. A sync plans first ([`plan`]:
//! the folder against the pair's index of what was uploaded, and the server only for what
//! changed), then applies the plan through the transfer engine's jobs ([`apply`]); the
//! watcher ([`watch`]) runs it when files settle. Upload-only by default: a file deleted here
//! is deleted there only when the pair mirrors deletes. A conflict (the object changed since
//! it was uploaded, and the file too) keeps both.

mod apply;
mod conflicts;
mod ignore;
mod plan;
mod scan;
mod store;
mod watch;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::remote::RemotePath;

pub use apply::SyncReport;
pub use conflicts::{Resolution, SyncConflict};
pub use ignore::default_ignores;
pub use plan::{PlanAction, PlanItem, SyncPlan};

/// A local folder and the bucket prefix it is kept uploaded to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct SyncPair {
    pub id: u32,
    /// The folder, absolute.
    pub local: String,
    /// `PROFILE:BUCKET/PREFIX`.
    pub remote: String,
    pub profile: String,
    pub bucket: String,
    /// `''` or ending in `/`.
    pub prefix: String,
    /// A file deleted here is deleted there too.
    pub mirror_deletes: bool,
    pub ignore: Vec<String>,
    /// `false`: paused; the watcher leaves it alone.
    pub active: bool,
    /// `new` (never synced), `syncing`, `idle` (everything is up), `waiting` (files still being
    /// written go up once they settle), `missing` (the folder is gone or its drive unmounted;
    /// nothing is deleted), `busy` (another Strata process syncs it), `attention` (what could be
    /// read synced; some files or folders cannot be read, listed in the plan), or `failed`.
    pub status: String,
    /// The status in words.
    pub status_detail: Option<String>,
    /// The sync job running for it, if one is.
    pub job: Option<u32>,
    /// When a sync last ran through (RFC 3339).
    pub synced_at: Option<String>,
    /// Files uploaded and recorded in the index.
    pub files: u32,
    /// Conflicts kept (the local version was uploaded beside the remote one).
    pub conflicts: u32,
    /// The numbers of the last run that went through.
    pub last_run: Option<SyncReport>,
}

/// A new pair, as the user gives it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct SyncPairInput {
    /// The local folder.
    pub local: String,
    /// `PROFILE:BUCKET[/PREFIX]`.
    pub remote: String,
    #[serde(default)]
    pub mirror_deletes: bool,
    /// `None`: [`default_ignores`].
    pub ignore: Option<Vec<String>>,
}

/// Changes to a pair; unset fields stay.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct SyncPairPatch {
    pub mirror_deletes: Option<bool>,
    pub ignore: Option<Vec<String>>,
}

/// A sync's upload, tied to the file's row in the pair's index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct IndexLink {
    pub pair: u32,
    /// The file, `/`-separated below the pair's folder.
    pub path: String,
    /// For a conflict's copy: the ETag of the object left at the file's own key, which the
    /// index keeps instead of the copy's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// What the plan saw at the key written, which must still be there when the upload
    /// lands: another tool's write since is never overwritten.
    #[serde(default)]
    pub key_held: KeyHeld,
}

/// What an upload expects at its key (`If-None-Match: *`, `If-Match: ETAG`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum KeyHeld {
    /// Not checked: an upload begun before uploads carried conditions.
    #[default]
    Unchecked,
    /// No object.
    Nothing,
    /// The object with this ETag.
    Object(String),
}

/// A file as it was uploaded, and the object it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexedFile {
    pub size: u64,
    pub mtime_ns: i64,
    pub etag: String,
}

/// How syncs wait and check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct SyncSettings {
    /// A file changed this recently may still be being written: it goes up once it has not
    /// changed for this long (milliseconds, 0 to 600,000).
    pub settle_ms: u32,
    /// The watcher scans each folder this often even without file events (seconds, 10 to
    /// 86,400), catching what events can miss.
    pub rescan_secs: u32,
    /// A sync compares every object with the index this often (seconds, 60 to 604,800),
    /// catching changes made on the server side.
    pub reconcile_secs: u32,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            settle_ms: 3_000,
            rescan_secs: 600,
            reconcile_secs: 6 * 3600,
        }
    }
}

const SETTINGS_KEY: &str = "sync";

impl Engine {
    /// Makes a pair: `local` (an existing folder) kept uploaded to `remote`. It syncs when
    /// `sync_start` or the watcher runs it.
    pub async fn sync_add(&self, input: SyncPairInput) -> Result<SyncPair> {
        let remote = RemotePath::parse(&input.remote)?;
        crate::buckets::check_name(&remote.bucket, false)?;
        let ignore = match input.ignore {
            Some(patterns) => patterns,
            None => default_ignores(),
        };
        for pattern in &ignore {
            ignore::check(pattern)?;
        }
        let (local, device) = scan::folder_of(&input.local)?;
        scan::check_apart(&local, self.home().path())?;
        let prefix = remote.folder_prefix();
        if !prefix.is_empty() {
            crate::objects::check_key(&prefix)?;
        }
        let id = self
            .blocking(move |conn, _| {
                let profile_id = crate::profile::get(conn, &remote.profile)?.id;
                store::insert(
                    conn,
                    &store::NewPair {
                        local: &local,
                        device,
                        profile_id,
                        bucket: &remote.bucket,
                        prefix: &prefix,
                        mirror_deletes: input.mirror_deletes,
                        ignore: &ignore,
                    },
                )
            })
            .await?;
        self.sync_changed(id);
        self.sync_get(id).await
    }

    /// Every pair, oldest first, with its state.
    pub async fn sync_list(&self) -> Result<Vec<SyncPair>> {
        self.reading(|conn| Ok(store::list(conn)?.into_iter().map(|r| r.pair).collect()))
            .await
    }

    pub async fn sync_get(&self, id: u32) -> Result<SyncPair> {
        self.reading(move |conn| Ok(store::get(conn, id)?.pair))
            .await
    }

    /// Forgets a pair and its index; its objects stay where they are. A sync of it that is
    /// running stops first.
    pub async fn sync_remove(&self, id: u32) -> Result<()> {
        self.sync_stop_runs(id).await;
        self.blocking(move |conn, _| store::remove(conn, id))
            .await?;
        self.sync_changed(id);
        Ok(())
    }

    /// Changes whether a pair mirrors deletes, or what it ignores. Show the plan with
    /// mirrored deletes (`sync_plan`) before turning them on: the next sync deletes what it
    /// lists.
    pub async fn sync_edit(&self, id: u32, patch: SyncPairPatch) -> Result<SyncPair> {
        if let Some(patterns) = &patch.ignore {
            for pattern in patterns {
                ignore::check(pattern)?;
            }
        }
        self.blocking(move |conn, _| store::edit(conn, id, &patch))
            .await?;
        self.sync_changed(id);
        self.sync_get(id).await
    }

    /// Pauses (`false`) or resumes (`true`) a pair: a paused pair is not watched, and a sync
    /// of it that is running pauses.
    pub async fn sync_set_active(&self, id: u32, active: bool) -> Result<()> {
        self.blocking(move |conn, _| store::set_active(conn, id, active))
            .await?;
        if !active {
            self.sync_stop_runs(id).await;
        }
        self.sync_changed(id);
        Ok(())
    }

    /// Pauses the runs of pair `id` in this process.
    async fn sync_stop_runs(&self, id: u32) {
        for job in self.jobs().running_where(
            |spec| matches!(spec, crate::jobs::JobSpec::Sync { pair, .. } if *pair == id),
        ) {
            let _ = self.job_pause(job).await;
        }
    }

    pub async fn sync_settings(&self) -> Result<SyncSettings> {
        self.reading(|conn| crate::catalog::json_setting(conn, SETTINGS_KEY))
            .await
    }

    pub async fn sync_settings_set(&self, settings: SyncSettings) -> Result<()> {
        for (value, range, field, unit) in [
            (settings.settle_ms, 0..=600_000, "settle_ms", "milliseconds"),
            (settings.rescan_secs, 10..=86_400, "rescan_secs", "seconds"),
            (
                settings.reconcile_secs,
                60..=604_800,
                "reconcile_secs",
                "seconds",
            ),
        ] {
            if !range.contains(&value) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{value} {unit} is outside {} to {}.",
                        range.start(),
                        range.end()
                    ),
                    format!("Give {field} from {} to {}.", range.start(), range.end()),
                ));
            }
        }
        self.blocking(move |conn, _| {
            crate::catalog::set_json_setting(conn, SETTINGS_KEY, &settings)
        })
        .await
    }

    /// Tells the UI and the tray that pair `id` changed.
    fn sync_changed(&self, id: u32) {
        self.jobs()
            .emit(crate::jobs::Event::SyncChanged { pair: id });
    }

    /// Writes an uploaded file's row in its pair's index (after its object landed). A write
    /// that fails only costs a check at the next sync, which finds the object there already.
    pub(crate) async fn sync_indexed(&self, link: &IndexLink, file: IndexedFile) {
        let (pair, path) = (link.pair, link.path.clone());
        let written = self
            .blocking(move |conn, _| store::index_put(conn, pair, &path, &file))
            .await;
        if let Err(Error { message, .. }) = written {
            tracing::warn!(pair, "the sync index could not be written: {message}");
        }
    }
}
