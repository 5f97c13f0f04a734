//! Long work owned by the engine, and the one event stream that reports it.
//!
//! A job (a bucket refresh, emptying a bucket; later transfers and sync) runs on a tokio task
//! the engine spawns, so no command call and no UI thread waits on it. It reports progress and
//! its end as [`Event`]s on one broadcast stream that the desktop shell forwards to the UI and
//! the CLI prints on stderr, and it stops at the next safe point when cancelled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};

pub type JobId = u32;

/// Everything the engine reports while it works. Serialized as `{"kind": "...", ...}`.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A bucket refresh moved on: `pages` ListBuckets pages read, `buckets` seen so far; in
    /// the `details` phase, `checked` buckets of `buckets` had their region and public
    /// status read.
    BucketRefreshProgress {
        job: JobId,
        profile: String,
        phase: RefreshPhase,
        pages: u32,
        buckets: u32,
        checked: u32,
    },
    /// Emptying a bucket before deleting it: `deleted` objects, versions and uploads so far.
    BucketEmptyProgress {
        job: JobId,
        profile: String,
        bucket: String,
        deleted: u32,
    },
    /// Work on objects moved on (`action`: download, delete, copy, move, usage): `objects`
    /// done so far, `bytes` they hold.
    ObjectsProgress {
        job: JobId,
        profile: String,
        action: String,
        objects: u32,
        #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
        bytes: u64,
    },
    /// Objects under a bucket changed (a delete, copy, move, new folder); folders showing
    /// them should reload.
    ObjectsChanged { profile: String, bucket: String },
    /// A profile's rows in the bucket catalog changed; lists showing them should reload.
    BucketsChanged { profile: String },
    /// A job ended: `error` is `None` on success, and a `cancelled` error when cancelled.
    JobFinished {
        job: JobId,
        profile: String,
        error: Option<Error>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RefreshPhase {
    /// Paging through ListBuckets.
    Listing,
    /// The list is saved; regions and public status are being read, bucket by bucket.
    Details,
}

/// The engine's running jobs and the event stream.
pub(crate) struct Jobs {
    events: broadcast::Sender<Event>,
    next_id: AtomicU32,
    running: Mutex<HashMap<JobId, Running>>,
}

struct Running {
    /// What the job does, so that a second request for the same work joins the first.
    key: String,
    cancel: CancellationToken,
}

/// What a running job holds: its id, a way to report, and its cancellation.
#[derive(Clone)]
pub struct JobHandle {
    pub id: JobId,
    events: broadcast::Sender<Event>,
    cancel: CancellationToken,
}

impl JobHandle {
    /// A handle for work a caller awaits itself (the CLI): reported, cancellable by nothing
    /// but the caller.
    pub(crate) fn detached(jobs: &Jobs) -> Self {
        Self {
            id: jobs.next_id.fetch_add(1, Ordering::Relaxed),
            events: jobs.events.clone(),
            cancel: CancellationToken::new(),
        }
    }

    pub fn report(&self, event: Event) {
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(event);
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
            next_id: AtomicU32::new(1),
            running: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    /// Runs `work` on a task of its own and returns its id at once; when a job with the same
    /// `key` is running, returns that job's id instead of starting a second.
    pub(crate) fn spawn<F, Fut>(self: &Arc<Self>, key: String, profile: String, work: F) -> JobId
    where
        F: FnOnce(JobHandle) -> Fut,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((&id, _)) = running.iter().find(|(_, r)| r.key == key) {
            return id;
        }
        let handle = JobHandle::detached(self);
        let id = handle.id;
        running.insert(
            id,
            Running {
                key,
                cancel: handle.cancel.clone(),
            },
        );
        drop(running);
        let future = work(handle.clone());
        let jobs = Arc::clone(self);
        tokio::spawn(async move {
            let error = future.await.err();
            if let Some(err) = &error {
                tracing::warn!(job = id, "job failed: {} {}", err.message, err.hint);
            }
            jobs.running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            handle.report(Event::JobFinished {
                job: id,
                profile,
                error,
            });
        });
        id
    }

    /// Asks a running job to stop; `false` when no such job runs (it may have just ended).
    pub(crate) fn cancel(&self, id: JobId) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.get(&id) {
            Some(job) => {
                job.cancel.cancel();
                true
            }
            None => false,
        }
    }
}
