//! Long work owned by the engine, and the one event stream that reports it.
//!
//! A job (a bucket refresh, emptying a bucket, a download, a delete, a copy; later transfers,
//! sync and archiving) is a row in the catalog's `jobs` table, written before it starts
//! ([`JobSpec`] says what to do, enough to run it again), then run on a tokio task under a
//! per-kind limit ([`runner`]), so no command call and no UI thread waits on it. It reports
//! progress and each change of [`JobState`] as [`Event`]s on one broadcast stream that the
//! desktop shell forwards to the UI and the CLI prints on stderr, and it stops at the next
//! safe point when cancelled or paused. A job left running by a process that died is found
//! at the next start and runs again.

mod queue;
mod runner;
mod store;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};

pub use runner::Job;

pub type JobId = u32;

/// Ids of work that is not a catalog job (what the CLI awaits itself, a folder count) start
/// here, so they never meet the catalog's ids on the event stream.
const UNRECORDED_IDS: u32 = 1 << 31;

/// Where a job is in its life. `paused`, `failed` and `cancelled` jobs can be resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Written, waiting for its kind's limit.
    Queued,
    Running,
    Paused,
    Failed,
    Cancelled,
    Done,
}

impl JobState {
    /// The state as it is stored and sent: `queued`, `running`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Done => "done",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "cancelled" => Self::Cancelled,
            "done" => Self::Done,
            _ => Self::Failed,
        }
    }
}

/// How an upload sends its parts, and the metadata it sets; unset fields take the engine's
/// choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct UploadOptions {
    /// Part size in MiB (5 to 5,120), raised where 10,000 parts would not hold the file.
    pub part_size_mib: Option<u32>,
    /// Parts in flight at once (1 to 32).
    pub parts_in_flight: Option<u32>,
    /// User metadata the object gets (names without `x-amz-meta-`).
    #[serde(default)]
    pub metadata: Vec<(String, String)>,
}

/// What a job does: enough to run it again after a restart. Remote paths are written as
/// users write them (`PROFILE:BUCKET/KEY`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobSpec {
    BucketRefresh {
        profile: String,
    },
    /// Deleting a bucket; with `force`, emptying it first.
    BucketDelete {
        profile: String,
        bucket: String,
        force: bool,
    },
    /// One object to the file `path` (relative, made safe when planned) below the local
    /// folder `into`.
    Download {
        source: String,
        into: String,
        path: String,
    },
    /// Objects and folders, with everything under them.
    Delete {
        paths: Vec<String>,
    },
    /// A copy, or with `remove_source` a move or rename.
    Copy {
        source: String,
        target: String,
        remove_source: bool,
    },
    /// One local file to one key.
    Upload {
        local: String,
        target: String,
        #[serde(default)]
        options: UploadOptions,
        /// Set for a sync's upload: the file's row in the pair's index, written once the
        /// object landed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sync: Option<crate::sync::IndexLink>,
    },
    /// One sync of a pair (`target`, its remote side as users write it): plan, then apply.
    /// `full`: compare every object with the index too, as the periodic reconcile does.
    Sync {
        pair: u32,
        target: String,
        #[serde(default)]
        full: bool,
    },
    /// Archiving project `project` (from `source`, as users write it): copy, verify, write
    /// the manifest, then delete the sources.
    Archive {
        project: u32,
        source: String,
    },
    /// Making the archived objects under `path` readable again: RestoreObject for those in
    /// an archival class, waiting until they are, then (with `copy_back`) copying them back
    /// to hot storage: to the project's source, or in place.
    Restore {
        project: Option<u32>,
        path: String,
        tier: crate::archive::Tier,
        days: u32,
        copy_back: bool,
    },
}

impl JobSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BucketRefresh { .. } => "bucket_refresh",
            Self::BucketDelete { .. } => "bucket_delete",
            Self::Download { .. } => "download",
            Self::Delete { .. } => "delete",
            Self::Copy { .. } => "copy",
            Self::Upload { .. } => "upload",
            Self::Sync { .. } => "sync",
            Self::Archive { .. } => "archive",
            Self::Restore { .. } => "restore",
        }
    }

    /// The profile the job works on (the source's, for a copy between profiles).
    pub fn profile(&self) -> String {
        let path_profile = |path: &str| path.split(':').next().unwrap_or_default().to_string();
        match self {
            Self::BucketRefresh { profile } | Self::BucketDelete { profile, .. } => profile.clone(),
            Self::Delete { paths } => paths.first().map(|p| path_profile(p)).unwrap_or_default(),
            Self::Copy { source, .. }
            | Self::Download { source, .. }
            | Self::Upload { target: source, .. }
            | Self::Sync { target: source, .. }
            | Self::Archive { source, .. }
            | Self::Restore { path: source, .. } => path_profile(source),
        }
    }

    /// How many jobs of this kind run at once, and the memory they may hold together; the
    /// rest wait, queued.
    fn limits(kind: &str) -> queue::Limits {
        let count = |count| queue::Limits {
            count,
            memory: None,
        };
        match kind {
            // Small files are one request each: many at once keep the line busy, while the
            // budget holds large files to a few at once (four of 8 MiB parts × 4).
            "upload" | "download" => queue::Limits {
                count: 16,
                memory: Some(crate::transfer::MEMORY_BUDGET),
            },
            "bucket_refresh" => count(4),
            _ => count(2),
        }
    }

    /// The memory (bytes) the job holds while it runs, where that is worth counting.
    fn memory(&self) -> u64 {
        match self {
            Self::Upload { local, options, .. } => {
                crate::transfer::upload_memory(Path::new(local), options)
            }
            Self::Download { .. } => crate::transfer::DOWNLOAD_MEMORY,
            _ => 0,
        }
    }
}

/// Everything the engine reports while it works. Serialized as `{"kind": "...", ...}`.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A job moved on, the one progress event of every kind of job: `done` items so far, of
    /// `items` where known; `bytes` so far, of `total` where known (a transfer's size).
    /// `action` names the items: a bucket refresh's `listing` (buckets listed) then `details`
    /// (buckets whose region and public status were read); `emptying` (objects, versions and
    /// uploads deleted before a bucket's delete); `upload`, `download`, `delete`, `copy`,
    /// `move`, `usage` (objects); `archive` (objects copied and verified), `deleting`
    /// (an archive's sources deleted), `restore` (objects readable), `copy_back`.
    JobProgress {
        job: JobId,
        profile: String,
        action: String,
        done: u32,
        items: Option<u32>,
        #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
        bytes: u64,
        #[specta(type = Option<u32>)]
        total: Option<u64>,
    },
    /// Objects under a bucket changed (a delete, copy, move, new folder); folders showing
    /// them should reload.
    ObjectsChanged { profile: String, bucket: String },
    /// A profile's rows in the bucket catalog changed; lists showing them should reload.
    BucketsChanged { profile: String },
    /// A sync pair was added, changed, removed, or ended a sync; views of it should reload.
    SyncChanged { pair: u32 },
    /// An archived project changed state; the projects view should reload.
    ProjectChanged { project: u32 },
    /// A job changed state. `error` says why a job failed or was cancelled.
    JobState {
        job: JobId,
        profile: String,
        /// The [`JobSpec`]'s kind: `bucket_refresh`, `download`, ...
        job_kind: String,
        state: JobState,
        error: Option<Error>,
    },
}

/// The engine's running jobs and the event stream.
pub(crate) struct Jobs {
    events: broadcast::Sender<Event>,
    next_unrecorded: AtomicU32,
    running: Mutex<HashMap<JobId, Running>>,
    queues: Mutex<HashMap<&'static str, Arc<queue::Queue>>>,
    /// Jobs this process took over but has not launched yet, asked meanwhile to pause (true)
    /// or to be cancelled (false): they stop so as they launch.
    stop_on_launch: Mutex<HashMap<JobId, bool>>,
    /// This process's claim on the jobs it runs, made when the first one starts.
    owner: std::sync::OnceLock<runner::Owner>,
}

struct Running {
    spec: JobSpec,
    handle: JobHandle,
}

/// What a running job holds: its id, a way to report, and its cancellation.
#[derive(Clone)]
pub struct JobHandle {
    pub id: JobId,
    events: broadcast::Sender<Event>,
    cancel: CancellationToken,
    /// Items and bytes done (of a total, if known) as last reported, for the runner to save.
    progress: Arc<Mutex<Progress>>,
    /// Set when the job is being stopped to be resumed later, not cancelled.
    pause: Arc<std::sync::atomic::AtomicBool>,
    /// When a progress event was last sent: they go out a few times a second at most.
    last_progress: Arc<Mutex<Option<std::time::Instant>>>,
}

/// How far a job got: items and bytes done, of a total where known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Progress {
    done: u32,
    bytes: u64,
    total: Option<u64>,
}

/// The least time between two progress events of one job. The last progress before a job
/// ends may go unsent: its state event follows, and the saved job has the final numbers.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

impl JobHandle {
    /// A handle for work a caller awaits itself (the CLI): reported, cancellable by nothing
    /// but the caller, not recorded.
    pub(crate) fn detached(jobs: &Jobs) -> Self {
        Self::new(jobs.next_unrecorded.fetch_add(1, Ordering::Relaxed), jobs)
    }

    fn new(id: JobId, jobs: &Jobs) -> Self {
        Self {
            id,
            events: jobs.events.clone(),
            cancel: CancellationToken::new(),
            progress: Arc::default(),
            pause: Arc::default(),
            last_progress: Arc::default(),
        }
    }

    /// Whether the job is stopping to be resumed later (its work should stay resumable)
    /// rather than cancelled (its leftovers should go).
    pub fn pausing(&self) -> bool {
        self.pause.load(Ordering::Relaxed)
    }

    pub fn report(&self, event: Event) {
        let done = match &event {
            Event::JobProgress {
                done, bytes, total, ..
            } => Some(Progress {
                done: *done,
                bytes: *bytes,
                total: *total,
            }),
            _ => None,
        };
        if let Some(done) = done {
            *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = done;
            let mut last = self.last_progress.lock().unwrap_or_else(|p| p.into_inner());
            let now = std::time::Instant::now();
            if last.is_some_and(|at| now.duration_since(at) < PROGRESS_EVERY) {
                return;
            }
            *last = Some(now);
        }
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
    }

    fn progress(&self) -> Progress {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Err(cancelled)` once the job was cancelled: call it between steps.
    pub fn check(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        Ok(())
    }

    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Sleeps for `time`, or until the job is stopped (then `Err(cancelled)`).
    pub async fn wait(&self, time: std::time::Duration) -> Result<()> {
        tokio::select! {
            () = tokio::time::sleep(time) => Ok(()),
            () = self.cancel.cancelled() => Err(cancelled()),
        }
    }
}

pub fn cancelled() -> Error {
    Error::new(
        ErrorCode::Cancelled,
        "Cancelled; nothing was changed by the unfinished step.",
        "Start it again when you are ready.",
    )
}

/// Events held for a slow receiver before it starts losing the oldest (progress only; a
/// receiver that lags re-reads the catalog).
const EVENT_BUFFER: usize = 1024;

impl Jobs {
    pub(crate) fn new() -> Self {
        Self {
            events: broadcast::channel(EVENT_BUFFER).0,
            next_unrecorded: AtomicU32::new(UNRECORDED_IDS),
            running: Mutex::new(HashMap::new()),
            queues: Mutex::new(HashMap::new()),
            stop_on_launch: Mutex::new(HashMap::new()),
            owner: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    fn queue(&self, kind: &'static str) -> Arc<queue::Queue> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            queues
                .entry(kind)
                .or_insert_with(|| Arc::new(queue::Queue::new(JobSpec::limits(kind)))),
        )
    }

    /// Runs at most `count` jobs of `kind` at once from now on in this process.
    pub(crate) fn set_limit(&self, kind: &'static str, count: usize) {
        self.queue(kind).set_count(count);
    }

    /// Runs jobs of `kind` within their usual limits again (see [`JobSpec::limits`]).
    pub(crate) fn reset_limit(&self, kind: &'static str) {
        self.queue(kind).set_limits(JobSpec::limits(kind));
    }

    /// The id of the job running `spec` in this process, if one is.
    fn running_as(&self, spec: &JobSpec) -> Option<JobId> {
        self.running_where(|running| running == spec)
            .into_iter()
            .next()
    }

    /// The jobs of this process whose spec passes `wanted`.
    pub(crate) fn running_where(&self, wanted: impl Fn(&JobSpec) -> bool) -> Vec<JobId> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running
            .iter()
            .filter(|(_, r)| wanted(&r.spec))
            .map(|(&id, _)| id)
            .collect()
    }

    /// Whether job `id` runs (or waits for its turn) in this process.
    pub(crate) fn runs(&self, id: JobId) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.contains_key(&id)
    }

    /// Stops a job of this process (paused, or cancelled) as soon as it launches, or at
    /// once if it just did.
    fn stop_when_launched(&self, id: JobId, pause: bool) {
        self.stop_on_launch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, pause);
        self.stop_if_asked(id);
    }

    /// Stops a launched job that was asked to stop before it launched.
    fn stop_if_asked(&self, id: JobId) {
        let mut asked = self
            .stop_on_launch
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(&pause) = asked.get(&id)
            && self.stop(id, pause)
        {
            asked.remove(&id);
        }
    }

    /// Asks a job running in this process to stop, as paused or cancelled; `false` when no
    /// such job runs here.
    fn stop(&self, id: JobId, pause: bool) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.get(&id) {
            Some(job) => {
                job.handle.pause.store(pause, Ordering::Relaxed);
                job.handle.cancel();
                true
            }
            None => false,
        }
    }
}
