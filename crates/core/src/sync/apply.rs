//! A sync run: the plan, applied. New and changed files go up as upload jobs tied to the
//! index (a row is written only once its object landed); a conflict's file goes up beside
//! the object; moves are server-side copies verified before the old key is deleted; deletes
//! (mirror pairs only) take only objects that are still what was uploaded. Two processes never
//! run the same pair at once: a run holds the pair's lock file.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::plan::{PlanAction, PlanItem, SyncPlan};
use super::store::{self, PairRow};
use super::{IndexLink, IndexedFile, KeyHeld};
use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle, JobId, JobSpec, JobState, UploadOptions};
use crate::remote::{RemotePath, display};

/// How a sync run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type)]
pub struct SyncReport {
    pub pair: u32,
    pub uploaded: u32,
    pub moved: u32,
    pub deleted: u32,
    /// Files that went up beside a changed object, under a conflict name.
    pub conflicts: u32,
    pub already_there: u32,
    /// Files still being written, left for the next run.
    pub waiting: u32,
    /// Milliseconds until the newest of the waiting files has rested for the settle time.
    #[serde(default)]
    pub settles_in_ms: u32,
    /// Files left alone, with the reason in the plan.
    pub kept: u32,
    /// Files and folders that cannot be read here, with the reason in the plan.
    #[serde(default)]
    pub unreadable: u32,
    pub failed: u32,
    pub unchanged: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// Requests the plan made to the server.
    pub requests: u32,
    /// The first failure, in words.
    pub error: Option<String>,
    /// The first failure, whole: what the run's job fails with.
    #[serde(skip)]
    first_failure: Option<Error>,
}

impl SyncReport {
    /// Objects the run changed on the server.
    fn changes(&self) -> u32 {
        self.uploaded + self.moved + self.deleted + self.conflicts
    }

    /// The run in words, for the activity log and the pair's status.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (count, what) in [
            (self.uploaded, "uploaded"),
            (self.moved, "moved"),
            (self.deleted, "deleted"),
            (self.conflicts, "kept as conflict copies"),
            (self.already_there, "already there"),
            (self.waiting, "still being written"),
            (self.kept, "left alone"),
            (self.unreadable, "cannot be read"),
            (self.failed, "failed"),
        ] {
            if count > 0 {
                parts.push(format!("{count} {what}"));
            }
        }
        if parts.is_empty() {
            return format!("up to date ({} files)", self.unchanged);
        }
        parts.join(", ")
    }

    fn fail(&mut self, error: &Error) {
        self.failed += 1;
        self.error.get_or_insert_with(|| error.message.clone());
        self.first_failure.get_or_insert_with(|| error.clone());
    }

    /// What the run's job fails with when files failed: their count and the first's reason.
    fn failure(&self) -> Option<Error> {
        let first = self.first_failure.as_ref()?;
        let mut failure = first.clone();
        failure.message = format!(
            "{} of the sync's files failed; the first: {}",
            self.failed, first.message
        );
        Some(failure)
    }
}

/// A lock file held while a pair is synced (`run`) or watched (`watch`) by this process.
pub(crate) fn pair_lock(engine: &Engine, pair: u32, what: &str) -> Result<std::fs::File> {
    let folder = engine.home().path().join("sync");
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(folder.display(), &e))?;
    let path = folder.join(format!("pair-{pair}.{what}.lock"));
    let file = std::fs::File::create(&path).map_err(|e| Error::io(path.display(), &e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            ErrorCode::InUse,
            format!("Another Strata process is syncing pair {pair} right now."),
            "Wait for it to finish (the app, or a `strata sync watch`), then try again.",
        )),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(path.display(), &e)),
    }
}

impl Engine {
    /// Starts a sync of pair `id` as a job (joined with one that runs already); `full`
    /// compares every object with the index too, which a sync does by itself every
    /// `reconcile_secs`.
    pub async fn sync_start(&self, id: u32, full: bool) -> Result<JobId> {
        let pair = self.sync_get(id).await?;
        self.job_start(JobSpec::Sync {
            pair: id,
            target: pair.remote,
            full,
        })
        .await
    }

    /// Whether the pair's objects are due to be compared with the index: never yet, or not
    /// for `reconcile_secs`.
    pub(crate) async fn reconcile_due(&self, row: &PairRow) -> Result<bool> {
        let every = i64::from(self.sync_settings().await?.reconcile_secs) * 1000;
        Ok(row
            .reconciled_at
            .is_none_or(|at| crate::catalog::now_ms() - at >= every))
    }

    /// A sync job's work: plan, apply, record how it ended.
    pub(crate) async fn sync_run(
        &self,
        id: u32,
        full: bool,
        job: &JobHandle,
    ) -> Result<SyncReport> {
        let row = self.reading(move |conn| store::get(conn, id)).await?;
        // The pair reads as syncing while its job runs: say so as it starts, not only at its end.
        self.sync_changed(id);
        let outcome = match pair_lock(self, id, "run") {
            Ok(_lock) => {
                let full = full || self.reconcile_due(&row).await?;
                self.sync_apply(&row, full, job).await
            }
            Err(err) => Err(err),
        };
        let (status, detail) = match &outcome {
            Ok(report) if report.failed > 0 => ("failed", report.describe()),
            Ok(report) if report.unreadable > 0 => ("attention", report.describe()),
            Ok(report) if report.waiting > 0 => ("waiting", report.describe()),
            Ok(report) => ("idle", report.describe()),
            Err(err) if err.code == ErrorCode::Cancelled => ("idle", "sync stopped".into()),
            Err(err) if err.code == ErrorCode::FolderMissing => ("missing", err.message.clone()),
            Err(err) if err.code == ErrorCode::InUse => ("busy", err.message.clone()),
            Err(err) => ("failed", err.message.clone()),
        };
        let report = outcome.as_ref().ok().cloned();
        let written = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                store::set_status(&tx, id, status, &detail)?;
                if let Some(report) = &report {
                    store::set_synced(&tx, id, report)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await;
        if let Err(err) = written {
            tracing::warn!(
                pair = id,
                "the pair's status could not be written: {}",
                err.message
            );
        }
        let worth_logging = match &outcome {
            Ok(report) => report.changes() > 0 || report.failed > 0,
            // A folder still missing, or a pair still busy, was logged when it became so.
            Err(err) => err.code != ErrorCode::Cancelled && row.pair.status != status,
        };
        if worth_logging {
            let record = Record::new("sync", &row.pair.local).target(&row.pair.remote);
            let record = match &outcome {
                Ok(report) => record
                    .counts(u64::from(report.changes()), report.bytes)
                    .detail(report.describe())
                    .partial(report.failed as usize),
                Err(_) => record.counts(0, 0).outcome_of(&outcome),
            };
            self.log_activity(record).await;
        }
        self.sync_changed(id);
        // A run with failed files is no success: its job ends failed, with the first reason.
        match outcome {
            Ok(report) => report.failure().map_or(Ok(report), Err),
            Err(err) => Err(err),
        }
    }

    async fn sync_apply(&self, row: &PairRow, full: bool, job: &JobHandle) -> Result<SyncReport> {
        let plan = self.plan_pair(row, full).await?;
        let pair = &row.pair;
        let mut report = SyncReport {
            pair: pair.id,
            unchanged: plan.unchanged,
            requests: plan.requests,
            waiting: plan.count(PlanAction::Waiting) as u32,
            settles_in_ms: plan.settles_in_ms,
            kept: plan.count(PlanAction::Kept) as u32,
            unreadable: plan.count(PlanAction::Unreadable) as u32,
            already_there: plan.count(PlanAction::AlreadyThere) as u32,
            ..SyncReport::default()
        };
        self.record_plan(pair.id, &plan).await?;
        if full {
            let id = pair.id;
            self.blocking(move |conn, _| store::set_reconciled(conn, id))
                .await?;
        }
        let work: Vec<&PlanItem> = plan
            .items
            .iter()
            .filter(|i| {
                matches!(
                    i.action,
                    PlanAction::Upload
                        | PlanAction::Conflict
                        | PlanAction::Move
                        | PlanAction::Delete
                )
            })
            .collect();
        let progress = |done: usize, bytes: u64| {
            job.report(Event::JobProgress {
                job: job.id,
                profile: pair.profile.clone(),
                action: "sync".into(),
                done: done as u32,
                items: Some(work.len() as u32),
                bytes,
                total: None,
            });
        };
        progress(0, 0);
        let mut events = self.events();
        let mut uploads = Vec::new();
        let id = pair.id;
        let mut stopped = self
            .reading(move |conn| store::unfinished_uploads(conn, id))
            .await?;
        let options = self
            .transfer_settings()
            .await?
            .fill(UploadOptions::default());
        for item in work
            .iter()
            .filter(|i| matches!(i.action, PlanAction::Upload | PlanAction::Conflict))
        {
            job.check()?;
            let conflict = item.action == PlanAction::Conflict;
            let key_path = if conflict {
                item.other.as_deref().unwrap_or(&item.path)
            } else {
                &item.path
            };
            let spec = JobSpec::Upload {
                local: Path::new(&pair.local)
                    .join(&item.path)
                    .display()
                    .to_string(),
                target: display(
                    &pair.profile,
                    &pair.bucket,
                    &format!("{}{key_path}", pair.prefix),
                ),
                options: options.clone(),
                sync: Some(IndexLink {
                    pair: pair.id,
                    path: item.path.clone(),
                    etag: if conflict {
                        item.remote_etag.clone()
                    } else {
                        None
                    },
                    // A conflict's copy goes to a key of its own, which nothing holds.
                    key_held: match &item.remote_etag {
                        Some(etag) if !conflict => KeyHeld::Object(etag.clone()),
                        _ => KeyHeld::Nothing,
                    },
                }),
            };
            match self.sync_upload_start(spec, &mut stopped).await {
                Ok(id) => uploads.push((id, *item)),
                Err(err) => report.fail(&err),
            }
        }
        let mut done = 0;
        for item in work.iter().filter(|i| i.action == PlanAction::Move) {
            job.check()?;
            match self.sync_move(row, item, job).await {
                Ok(()) => report.moved += 1,
                Err(err) => report.fail(&err),
            }
            done += 1;
            progress(done, report.bytes);
        }
        let doomed: Vec<&PlanItem> = work
            .iter()
            .copied()
            .filter(|i| i.action == PlanAction::Delete)
            .collect();
        if !doomed.is_empty() {
            job.check()?;
            self.sync_delete(row, &doomed, job, &mut report).await;
            done += doomed.len();
            progress(done, report.bytes);
        }
        let ids: Vec<JobId> = uploads.iter().map(|(id, _)| *id).collect();
        let ended = self.jobs_wait(&mut events, &ids, job).await?;
        for (id, item) in uploads {
            match ended.iter().find(|j| j.id == id) {
                Some(ended_job) if ended_job.state == JobState::Done => {
                    report.bytes += item.size;
                    if item.action == PlanAction::Conflict {
                        report.conflicts += 1;
                        self.sync_conflict(row, item).await;
                    } else {
                        report.uploaded += 1;
                    }
                }
                Some(ended_job) => {
                    let error = ended_job.error.clone().unwrap_or_else(|| {
                        Error::new(
                            ErrorCode::Cancelled,
                            format!(
                                "The upload of {} was {}.",
                                item.path,
                                ended_job.state.as_str()
                            ),
                            "Resume it in the transfers panel, or sync again.",
                        )
                    });
                    report.fail(&error);
                }
                None => {}
            }
        }
        progress(work.len(), report.bytes);
        Ok(report)
    }

    /// Writes what the plan decided without sending anything: files already there, index
    /// rows of files gone, objects that changed on the server while the file did not.
    async fn record_plan(&self, pair: u32, plan: &SyncPlan) -> Result<()> {
        let forget = plan.forget.clone();
        let known: Vec<(String, IndexedFile)> = plan
            .items
            .iter()
            .filter(|i| matches!(i.action, PlanAction::AlreadyThere | PlanAction::Kept))
            .filter_map(|i| {
                let local = i.local?;
                Some((
                    i.path.clone(),
                    IndexedFile {
                        size: local.size,
                        mtime_ns: local.mtime_ns,
                        etag: i.remote_etag.clone()?,
                    },
                ))
            })
            .collect();
        if forget.is_empty() && known.is_empty() {
            return Ok(());
        }
        self.blocking(move |conn, _| {
            let tx = crate::catalog::write(conn)?;
            for path in &forget {
                store::index_remove(&tx, pair, path)?;
            }
            for (path, file) in &known {
                store::index_put(&tx, pair, path, file)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Starts a sync's upload, or resumes the same upload a stopped run left unfinished
    /// (`stopped`: by spec), keeping its parts, so a stopped sync never doubles its transfers.
    async fn sync_upload_start(
        &self,
        spec: JobSpec,
        stopped: &mut HashMap<String, JobId>,
    ) -> Result<JobId> {
        let text = serde_json::to_string(&spec).unwrap_or_default();
        if let Some(id) = stopped.remove(&text)
            && self.job_resume(id).await.is_ok()
        {
            return Ok(id);
        }
        self.job_start(spec).await
    }

    /// A file renamed here: the object is copied to its new key on the server (verified), the
    /// old key deleted, and the index follows.
    async fn sync_move(&self, row: &PairRow, item: &PlanItem, job: &JobHandle) -> Result<()> {
        let pair = &row.pair;
        let from = item.other.clone().unwrap_or_default();
        let at = |path: &str| RemotePath {
            profile: pair.profile.clone(),
            bucket: pair.bucket.clone(),
            key: format!("{}{path}", pair.prefix),
        };
        let (source, target) = (at(&from), at(&item.path));
        self.objects_copy(&source, &target, true, job).await?;
        let head = self
            .object_head(&pair.profile, &pair.bucket, &target.key)
            .await?;
        let (id, path, local) = (pair.id, item.path.clone(), item.local);
        let file = IndexedFile {
            size: local.map_or(head.size, |l| l.size),
            mtime_ns: local.map_or(0, |l| l.mtime_ns),
            etag: head.etag.unwrap_or_default(),
        };
        self.blocking(move |conn, _| {
            let tx = crate::catalog::write(conn)?;
            store::index_remove(&tx, id, &from)?;
            store::index_put(&tx, id, &path, &file)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Files deleted here, deleted there in one batch; their index rows go with them.
    async fn sync_delete(
        &self,
        row: &PairRow,
        doomed: &[&PlanItem],
        job: &JobHandle,
        report: &mut SyncReport,
    ) {
        let pair = &row.pair;
        let folder = RemotePath {
            profile: pair.profile.clone(),
            bucket: pair.bucket.clone(),
            key: pair.prefix.clone(),
        };
        let keys = doomed
            .iter()
            .map(|i| {
                crate::objects::remove::Doomed::key(
                    format!("{}{}", pair.prefix, i.path),
                    Some(i.size),
                )
                // Only the object the index recorded: one written since by another tool stays.
                .if_still(i.remote_etag.clone())
            })
            .collect();
        let mut deleted = crate::objects::DeleteReport::default();
        let outcome = match self.account(&pair.profile).await {
            Ok(account) => {
                self.delete_keys(&account, &folder, keys, job, &mut deleted)
                    .await
            }
            Err(err) => Err(err),
        };
        let refused: Vec<String> = deleted.failed.iter().map(|f| f.key.clone()).collect();
        if let Err(err) = &outcome {
            report.fail(err);
        }
        // An object rewritten on the server since the plan stays, as the plan would have
        // kept it had it seen the new version; the next run plans it so.
        for failure in deleted
            .failed
            .iter()
            .filter(|f| f.code != "PreconditionFailed")
        {
            report.fail(&Error::new(ErrorCode::S3, failure.message.clone(), ""));
        }
        report.deleted += deleted.deleted;
        let gone: Vec<String> = doomed
            .iter()
            .filter(|i| outcome.is_ok() && !refused.contains(&format!("{}{}", pair.prefix, i.path)))
            .map(|i| i.path.clone())
            .collect();
        let id = pair.id;
        let forgotten = self
            .blocking(move |conn, _| {
                let tx = crate::catalog::write(conn)?;
                for path in &gone {
                    store::index_remove(&tx, id, path)?;
                }
                tx.commit()?;
                Ok(())
            })
            .await;
        if let Err(err) = forgotten {
            report.fail(&err);
        }
        let record = Record::new("delete", &folder.to_string())
            .counts(u64::from(deleted.deleted), deleted.bytes)
            .detail("sync: deleted here, so deleted there")
            .outcome_of(&outcome)
            .partial(deleted.failed.len());
        self.log_activity(record).await;
        self.jobs().emit(Event::ObjectsChanged {
            profile: pair.profile.clone(),
            bucket: pair.bucket.clone(),
        });
    }

    /// Records a conflict kept: the file's copy is beside the object.
    async fn sync_conflict(&self, row: &PairRow, item: &PlanItem) {
        let pair = &row.pair;
        let (id, path, copy) = (
            pair.id,
            item.path.clone(),
            format!("{}{}", pair.prefix, item.other.clone().unwrap_or_default()),
        );
        let record = Record::new(
            "sync_conflict",
            &Path::new(&pair.local).join(&path).display().to_string(),
        )
        .target(&display(&pair.profile, &pair.bucket, &copy))
        .counts(1, item.size)
        .detail(format!(
            "{path} changed here and on the server; this file went up beside it"
        ));
        let written = self
            .blocking(move |conn, _| store::conflict_add(conn, id, &path, &copy))
            .await;
        if let Err(err) = written {
            tracing::warn!(
                pair = id,
                "a conflict could not be recorded: {}",
                err.message
            );
        }
        self.log_activity(record).await;
    }
}
