//! Runs catalog jobs: writes each before it starts, waits for its kind's limit, runs it,
//! saves its progress a few times a second and its end state; pauses, resumes and cancels;
//! and at start takes over the jobs a process that died left unfinished.
//!
//! Which process runs a job is recorded as its `owner`: the name of a lock file under the data
//! folder's `jobs/` that the process holds while it lives. The operating system releases the
//! lock when the process ends in any way (`kill -9` included), so a job whose owner's file can
//! be locked by another process was left behind, and no clock or heartbeat is involved.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::{Event, JobHandle, JobId, JobSpec, JobState, Running, store};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::remote::RemotePath;

/// How often a running job's progress is saved to the catalog.
const SAVE_EVERY: Duration = Duration::from_millis(500);

/// The longest pause between tries to save a job's end: with the catalog's 10 s busy timeout
/// per try, a job's end is tried for about a minute (0.5, 1, 2, 4 and 8 s apart).
const SAVE_END_PAUSE_MAX: Duration = Duration::from_secs(8);

/// A job as the UI and the CLI see it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Job {
    pub id: JobId,
    pub spec: JobSpec,
    pub state: JobState,
    /// Items done (buckets, objects) as last saved.
    pub done: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// The bytes the job moves in all, where known (a transfer's size).
    #[specta(type = Option<u32>)]
    pub total: Option<u64>,
    pub error: Option<Error>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Its place in its kind's queue: queued jobs start in this order.
    #[specta(type = i32)] // a TS number: places stay near the ids
    pub place: i64,
}

impl From<store::Row> for Job {
    fn from(row: store::Row) -> Self {
        let time = |ms: i64| crate::buckets::rfc3339(ms / 1000);
        Self {
            id: row.id,
            spec: row.spec,
            state: row.state,
            done: row.done,
            bytes: row.bytes,
            total: row.total,
            error: row.error,
            created_at: time(row.created_at),
            started_at: row.started_at.map(time),
            finished_at: row.finished_at.map(time),
            place: row.place,
        }
    }
}

/// This process's claim on the jobs it runs: a lock file it holds until it ends.
pub(crate) struct Owner {
    name: String,
    _lock: std::fs::File,
}

impl Owner {
    fn claim(folder: &Path) -> Result<Self> {
        std::fs::create_dir_all(folder).map_err(|e| {
            Error::io(
                format!("The jobs folder {} could not be made", folder.display()),
                &e,
            )
        })?;
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| {
            Error::new(
                ErrorCode::Io,
                format!("No randomness for a job owner name: {e}."),
                "Try again.",
            )
        })?;
        let name = format!(
            "{}-{}.lock",
            std::process::id(),
            hex_simd::encode_to_string(nonce, hex_simd::AsciiCase::Lower)
        );
        let path = folder.join(&name);
        // Locked under a name no sweep looks at, then renamed into place (the lock goes with
        // the file), so a sweeping process can never remove a live owner's file.
        let unplaced = folder.join(format!("{name}.new"));
        let lock = std::fs::File::create(&unplaced)
            .and_then(|file| file.try_lock().map(|()| file).map_err(std::io::Error::from))
            .and_then(|file| std::fs::rename(&unplaced, &path).map(|()| file))
            .map_err(|e| {
                Error::io(
                    format!("The job lock {} could not be held", path.display()),
                    &e,
                )
            })?;
        sweep(folder, &name);
        Ok(Self { name, _lock: lock })
    }
}

/// Removes the lock files of processes that have ended (every `strata put` leaves one).
fn sweep(folder: &Path, own: &str) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if let Some(name) = name.to_str()
            && name.ends_with(".lock")
            && name != own
        {
            abandoned(folder, name);
        }
    }
}

/// Whether the process that owns `owner` has ended: its lock file is gone or can be locked.
/// A lock file found abandoned is removed.
fn abandoned(folder: &Path, owner: &str) -> bool {
    let path: PathBuf = folder.join(owner);
    match std::fs::File::open(&path) {
        Err(_) => true,
        Ok(file) => match file.try_lock() {
            Ok(()) => {
                let _ = std::fs::remove_file(&path);
                true
            }
            Err(_) => false,
        },
    }
}

/// Whether a job is queued or running for a process that has ended.
fn left_behind(folder: &Path, row: &store::Row) -> bool {
    matches!(row.state, JobState::Queued | JobState::Running)
        && row.owner.as_deref().is_none_or(|o| abandoned(folder, o))
}

impl JobSpec {
    /// Refuses a spec that cannot run (a malformed path, a bucket name S3 refuses) before it
    /// is written.
    fn check(&self) -> Result<()> {
        let paths: Vec<&String> = match self {
            Self::BucketRefresh { .. } => Vec::new(),
            Self::BucketDelete { bucket, .. } => {
                return crate::buckets::check_name(bucket, false);
            }
            Self::Download { source, .. } => vec![source],
            Self::Delete { paths } => paths.iter().collect(),
            Self::Copy { source, target, .. } => vec![source, target],
            Self::Upload { target, .. } | Self::Sync { target, .. } => vec![target],
            Self::Archive { source, .. } => vec![source],
            Self::Restore { path, .. } => vec![path],
        };
        for path in paths {
            crate::buckets::check_name(&RemotePath::parse(path)?.bucket, false)?;
        }
        Ok(())
    }
}

fn parse_all(paths: &[String]) -> Result<Vec<RemotePath>> {
    paths.iter().map(|p| RemotePath::parse(p)).collect()
}

impl Engine {
    fn jobs_folder(&self) -> PathBuf {
        self.home().path().join("jobs")
    }

    fn job_owner(&self) -> Result<&str> {
        let jobs = self.jobs();
        if let Some(owner) = jobs.owner.get() {
            return Ok(&owner.name);
        }
        let owner = Owner::claim(&self.jobs_folder())?;
        Ok(&jobs.owner.get_or_init(|| owner).name)
    }

    /// Writes a job and starts it; returns its id at once. The same work already running in
    /// this process is joined instead of doubled.
    pub async fn job_start(&self, spec: JobSpec) -> Result<JobId> {
        spec.check()?;
        if let Some(id) = self.jobs().running_as(&spec) {
            return Ok(id);
        }
        let owner = self.job_owner()?.to_string();
        let (written, profile) = (spec.clone(), spec.profile());
        let id = self
            .blocking(move |conn, _| {
                let profile_id = crate::profile::get(conn, &profile)?.id;
                store::insert(conn, &written, profile_id, &owner)
            })
            .await?;
        self.job_launch(id, i64::from(id), spec);
        Ok(id)
    }

    /// Starts `spec`, or resumes the unfinished job doing the same (paused, failed, or left
    /// by a process that ended). A job of it running in another process is refused.
    pub(crate) async fn job_start_or_resume(&self, spec: JobSpec) -> Result<JobId> {
        let wanted = spec.clone();
        let last = self
            .reading(move |conn| store::last_with_spec(conn, &wanted))
            .await?;
        match last {
            Some((id, state)) if state != JobState::Done && state != JobState::Cancelled => {
                self.job_resume(id).await.map_err(|err| {
                    if err.code == ErrorCode::InvalidInput {
                        Error::new(
                            ErrorCode::InUse,
                            format!("Job {id} is doing this in another Strata process."),
                            "Wait for it to end, or stop it there.",
                        )
                    } else {
                        err
                    }
                })?;
                Ok(id)
            }
            _ => self.job_start(spec).await,
        }
    }

    /// Runs a written, queued job on a task of its own when its turn comes (`place`: its
    /// place in its kind's queue).
    fn job_launch(&self, id: JobId, place: i64, spec: JobSpec) {
        let jobs = Arc::clone(self.jobs());
        let handle = JobHandle::new(id, &jobs);
        jobs.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                id,
                Running {
                    spec: spec.clone(),
                    handle: handle.clone(),
                },
            );
        self.job_announce(id, &spec, JobState::Queued, None);
        jobs.stop_if_asked(id);
        let waiting = jobs.queue(spec.kind()).enter(id, place, spec.memory());
        let engine = self.clone();
        tokio::spawn(async move {
            // Held until the end is saved and announced, so no more jobs of a kind than its
            // limit are ever running, in the catalog or on the event stream.
            let turn = tokio::select! {
                turn = waiting.turn() => Some(turn),
                () = handle.cancel.cancelled() => None,
            };
            let outcome = match turn {
                Some(_) => engine.job_run(id, &spec, &handle).await,
                None => Err(super::cancelled()),
            };
            let (state, error) = match outcome {
                Ok(()) => (JobState::Done, None),
                Err(err) if err.code == ErrorCode::Cancelled && handle.pausing() => {
                    (JobState::Paused, None)
                }
                Err(err) if err.code == ErrorCode::Cancelled => (JobState::Cancelled, Some(err)),
                Err(err) => {
                    tracing::warn!(job = id, "job failed: {} {}", err.message, err.hint);
                    (JobState::Failed, Some(err))
                }
            };
            let written = engine
                .job_save_end(id, handle.progress(), state, error.clone())
                .await;
            if let Err(err) = written {
                tracing::warn!(
                    job = id,
                    "the job's end could not be saved: {}",
                    err.message
                );
            }
            jobs.running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            engine.job_announce(id, &spec, state, error);
            drop(turn);
        });
    }

    /// Saves a job's end, trying again for a while when the catalog stays busy past its busy
    /// timeout (another process's long write): the end must not be lost, or the job would
    /// show as running until this process ends.
    async fn job_save_end(
        &self,
        id: JobId,
        progress: super::Progress,
        state: JobState,
        error: Option<Error>,
    ) -> Result<()> {
        let mut pause = Duration::from_millis(500);
        loop {
            let saved = error.clone();
            let written = self
                .blocking(move |conn, _| {
                    let tx = crate::catalog::write(conn)?;
                    store::set_progress(&tx, id, progress)?;
                    store::set_state(&tx, id, state, saved.as_ref())?;
                    tx.commit()?;
                    Ok(())
                })
                .await;
            match written {
                Err(err) if pause <= SAVE_END_PAUSE_MAX => {
                    tracing::warn!(
                        job = id,
                        "the job's end could not be saved yet: {}",
                        err.message
                    );
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                other => return other,
            }
        }
    }

    /// Runs the job's body on a task of its own, so that a bug that panics in it ends the job
    /// as failed, saying so, instead of leaving it running for ever (and every later start
    /// of the same work joined to it).
    async fn job_run(&self, id: JobId, spec: &JobSpec, handle: &JobHandle) -> Result<()> {
        let (engine, spec, handle) = (self.clone(), spec.clone(), handle.clone());
        // Boxed when its turn comes: the body of every kind of job is a large state machine,
        // and thousands of queued tasks would each hold one while waiting.
        let body = tokio::spawn(async move { Box::pin(engine.job_body(&spec, &handle)).await });
        match body.await {
            Ok(outcome) => outcome,
            Err(ended) => {
                let why = match ended.try_into_panic() {
                    Ok(panic) => panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into()),
                    Err(_) => "its task was stopped".into(),
                };
                tracing::error!(job = id, "job {id} stopped on a bug: {why}");
                Err(Error::new(
                    ErrorCode::Internal,
                    format!("Job {id} stopped on a bug in Strata ({why})."),
                    "Retry it; if it stops again, report it with the log (strata log).",
                ))
            }
        }
    }

    fn job_announce(&self, id: JobId, spec: &JobSpec, state: JobState, error: Option<Error>) {
        self.jobs().emit(Event::JobState {
            job: id,
            profile: spec.profile(),
            job_kind: spec.kind().to_string(),
            state,
            error,
        });
    }

    /// Marks the job running and runs it, saving its progress as it goes.
    async fn job_body(&self, spec: &JobSpec, job: &JobHandle) -> Result<()> {
        let id = job.id;
        self.blocking(move |conn, _| store::set_state(conn, id, JobState::Running, None))
            .await?;
        self.job_announce(id, spec, JobState::Running, None);
        crate::failpoint::hit("job:running");
        let work = self.job_work(spec, job);
        tokio::pin!(work);
        let mut save = tokio::time::interval(SAVE_EVERY);
        let mut saved = super::Progress::default();
        // Saved beside the work, one save at a time: a catalog busy with another process's
        // write must not hold the transfer up.
        let mut saving: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            tokio::select! {
                outcome = &mut work => {
                    // The end's own save comes after, so no older progress lands over it.
                    if let Some(saving) = saving {
                        let _ = saving.await;
                    }
                    return outcome;
                }
                _ = save.tick() => {
                    let progress = job.progress();
                    if progress != saved && saving.as_ref().is_none_or(|s| s.is_finished()) {
                        saved = progress;
                        let engine = self.clone();
                        // A progress save that fails is retried at the next change.
                        saving = Some(tokio::spawn(async move {
                            let _ = engine
                                .blocking(move |conn, _| store::set_progress(conn, id, progress))
                                .await;
                        }));
                    }
                }
            }
        }
    }

    /// What each kind of job does.
    async fn job_work(&self, spec: &JobSpec, job: &JobHandle) -> Result<()> {
        match spec {
            JobSpec::BucketRefresh { profile } => self
                .bucket_refresh(profile, crate::buckets::DEFAULT_PAGE_SIZE, job)
                .await
                .map(drop),
            JobSpec::BucketDelete {
                profile,
                bucket,
                force,
            } => self
                .bucket_delete(profile, bucket, *force, job)
                .await
                .map(drop),
            JobSpec::Download { source, into, path } => {
                self.download_object(
                    &RemotePath::parse(source)?,
                    Path::new(into),
                    Path::new(path),
                    job,
                )
                .await
            }
            // Keys the server refused make the job fail, though the others went.
            JobSpec::Delete { paths } => self
                .objects_delete(&parse_all(paths)?, true, job)
                .await?
                .failure()
                .map_or(Ok(()), Err),
            JobSpec::Copy {
                source,
                target,
                remove_source,
            } => self
                .objects_copy(
                    &RemotePath::parse(source)?,
                    &RemotePath::parse(target)?,
                    *remove_source,
                    job,
                )
                .await
                .map(drop),
            JobSpec::Upload {
                local,
                target,
                options,
                sync,
            } => {
                let target = RemotePath::parse(target)?;
                self.upload(Path::new(local), &target, options, sync.as_ref(), job)
                    .await
            }
            JobSpec::Sync { pair, full, .. } => self.sync_run(*pair, *full, job).await.map(drop),
            JobSpec::Archive { project, .. } => self.archive_run(*project, job).await,
            JobSpec::Restore {
                project,
                path,
                tier,
                days,
                copy_back,
            } => {
                let request = crate::archive::RestoreRequest {
                    tier: *tier,
                    days: *days,
                    copy_back: *copy_back,
                };
                self.restore_run(*project, &RemotePath::parse(path)?, request, job)
                    .await
            }
        }
    }

    /// Waits until every job in `ids` has ended (done, failed, paused or cancelled) and
    /// returns them. `events` must be subscribed before the jobs started, so no end is missed;
    /// a receiver that lagged reads the catalog instead. Stopping `waiter` stops them the same
    /// way (paused, or cancelled).
    pub(crate) async fn jobs_wait(
        &self,
        events: &mut tokio::sync::broadcast::Receiver<Event>,
        ids: &[JobId],
        waiter: &JobHandle,
    ) -> Result<Vec<Job>> {
        let ongoing = |state: JobState| matches!(state, JobState::Queued | JobState::Running);
        let mut ended = Vec::new();
        let mut pending: Vec<JobId> = ids.to_vec();
        let mut reread = true;
        while !pending.is_empty() {
            if reread {
                reread = false;
                for id in pending.clone() {
                    let job = self.job_get(id).await?;
                    if !ongoing(job.state) {
                        pending.retain(|&p| p != id);
                        ended.push(job);
                    }
                }
                continue;
            }
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::JobState { job, state, .. }) if pending.contains(&job) && !ongoing(state) => {
                        pending.retain(|&p| p != job);
                        ended.push(self.job_get(job).await?);
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => reread = true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                () = waiter.cancel.cancelled() => {
                    for &id in &pending {
                        let _ = if waiter.pausing() {
                            self.job_pause(id).await
                        } else {
                            self.job_cancel(id).await
                        };
                    }
                    return Err(super::cancelled());
                }
            }
        }
        Ok(ended)
    }

    /// Stops a job at its next safe point, as paused: resume runs it again (an upload sends
    /// the parts it lacks; a refresh reads the list again; a delete, download or copy goes
    /// over its paths again, which finds done what was done). A job a process that ended left
    /// behind is marked paused.
    pub async fn job_pause(&self, id: JobId) -> Result<()> {
        if self.jobs().stop(id, true) {
            return Ok(());
        }
        self.job_mark_idle(id, JobState::Paused, &[]).await
    }

    /// Stops a running job as cancelled, or marks a paused or failed one cancelled.
    pub async fn job_cancel(&self, id: JobId) -> Result<()> {
        if self.jobs().stop(id, false) {
            return Ok(());
        }
        self.job_mark_idle(
            id,
            JobState::Cancelled,
            &[JobState::Paused, JobState::Failed],
        )
        .await
    }

    /// Moves a job no process runs to `state` (paused or cancelled): one in `from`, or one a
    /// process that ended left queued or running. A job this process took over a moment ago
    /// (a resume at start) and has not launched yet stops so as it launches.
    async fn job_mark_idle(&self, id: JobId, state: JobState, from: &[JobState]) -> Result<()> {
        let folder = self.jobs_folder();
        let owner = self.job_owner()?.to_string();
        let from = from.to_vec();
        let marked = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                let row = store::get(&tx, id)?.ok_or_else(|| no_such_job(id))?;
                let launching = matches!(row.state, JobState::Queued | JobState::Running)
                    && row.owner.as_deref() == Some(owner.as_str());
                if launching {
                    return Ok(None);
                }
                if !from.contains(&row.state) && !left_behind(&folder, &row) {
                    return Err(not_stoppable(&row));
                }
                store::set_state(&tx, id, state, None)?;
                tx.commit()?;
                Ok(Some(row))
            })
            .await?;
        match marked {
            Some(row) => {
                if state == JobState::Cancelled {
                    self.transfer_leftovers_clear(id, &row.spec).await;
                }
                self.job_announce(id, &row.spec, state, None)
            }
            None => self
                .jobs()
                .stop_when_launched(id, state == JobState::Paused),
        }
        Ok(())
    }

    /// Runs up to `count` jobs of `kind` (`upload`, `download`, ...) at once in this
    /// process, whatever memory they hold: `strata put --jobs N`.
    pub fn set_job_limit(&self, kind: &'static str, count: usize) {
        self.jobs().set_limit(kind, count);
    }

    /// Runs a paused, failed or cancelled job again, or one a process that died left behind.
    pub async fn job_resume(&self, id: JobId) -> Result<()> {
        if self.jobs().runs(id) {
            return Ok(());
        }
        let owner = self.job_owner()?.to_string();
        let folder = self.jobs_folder();
        let (place, spec) = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                let row = store::get(&tx, id)?.ok_or_else(|| no_such_job(id))?;
                let resumable = matches!(
                    row.state,
                    JobState::Paused | JobState::Failed | JobState::Cancelled
                ) || left_behind(&folder, &row);
                if !resumable || !store::claim(&tx, id, row.owner.as_deref(), &owner, &[row.state])?
                {
                    return Err(not_stoppable(&row));
                }
                tx.commit()?;
                Ok((row.place, row.spec))
            })
            .await?;
        self.job_launch(id, place, spec);
        Ok(())
    }

    /// Takes over and runs every job that a process which has ended left queued or running
    /// (a crash, `kill -9`, a power cut); returns their ids. The app calls it at start.
    pub async fn jobs_resume_unfinished(&self) -> Result<Vec<JobId>> {
        let owner = self.job_owner()?.to_string();
        let folder = self.jobs_folder();
        let taken = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                let mut taken = Vec::new();
                for row in store::unfinished(&tx)? {
                    if left_behind(&folder, &row)
                        && store::claim(
                            &tx,
                            row.id,
                            row.owner.as_deref(),
                            &owner,
                            &[JobState::Queued, JobState::Running],
                        )?
                    {
                        taken.push((row.id, row.place, row.spec));
                    }
                }
                tx.commit()?;
                Ok(taken)
            })
            .await?;
        let ids = taken.iter().map(|(id, ..)| *id).collect();
        for (id, place, spec) in taken {
            tracing::info!(
                job = id,
                kind = spec.kind(),
                "resuming a job left unfinished"
            );
            self.job_launch(id, place, spec);
        }
        Ok(ids)
    }

    /// Makes a queued job the next of its kind to start: its place in the queue goes before
    /// every other queued job's, in the catalog and, if it waits in this process, at once.
    pub async fn job_to_front(&self, id: JobId) -> Result<()> {
        let (kind, place) = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                let row = store::get(&tx, id)?.ok_or_else(|| no_such_job(id))?;
                if row.state != JobState::Queued {
                    return Err(Error::new(
                        ErrorCode::InvalidInput,
                        format!("Job {id} is {}, not waiting its turn.", row.state.as_str()),
                        "Only a queued job can be moved to the front.",
                    ));
                }
                let place = store::first_queued_place(&tx)? - 1;
                store::set_place(&tx, id, place)?;
                tx.commit()?;
                Ok((row.spec.kind(), place))
            })
            .await?;
        self.jobs().queue(kind).move_to(id, place);
        Ok(())
    }

    /// The newest `limit` jobs, newest first: running, queued and finished.
    pub async fn job_list(&self, limit: u32) -> Result<Vec<Job>> {
        self.reading(move |conn| {
            Ok(store::list(conn, limit)?
                .into_iter()
                .map(Job::from)
                .collect())
        })
        .await
    }

    pub async fn job_get(&self, id: JobId) -> Result<Job> {
        self.reading(move |conn| {
            store::get(conn, id)?
                .map(Job::from)
                .ok_or_else(|| no_such_job(id))
        })
        .await
    }
}

fn no_such_job(id: JobId) -> Error {
    Error::new(
        ErrorCode::NotFound,
        format!("There is no job {id}."),
        "List the jobs to see their ids.",
    )
}

fn not_stoppable(row: &store::Row) -> Error {
    let state = row.state.as_str();
    Error::new(
        ErrorCode::InvalidInput,
        format!("Job {} is {state}, so that cannot be done now.", row.id),
        match row.state {
            JobState::Done => "It finished; start the work again as a new job if needed.",
            JobState::Queued | JobState::Running => {
                "It runs in another Strata process (the app or a command): act on it there."
            }
            JobState::Paused | JobState::Failed => "It is not running: resume it, or cancel it.",
            JobState::Cancelled => "It was cancelled: resume it to run it again.",
        },
    )
}
