//! Bringing an archive back: RestoreObject for every object in an archival class (with the
//! tier and days chosen), one job that waits until all are readable (HeadObject's
//! `x-amz-restore`), then, when asked, a verified copy back to hot storage: to the project's
//! source for an archive in another bucket, in place (to STANDARD) for a class change.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;

use aws_sdk_s3::types::{
    GlacierJobParameters, RestoreRequest as SdkRestoreRequest, Tier as SdkTier,
};
use serde::{Deserialize, Serialize};

use super::{MANIFEST_NAME, Project, ProjectState, is_archival};
use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle, JobId, JobSpec};
use crate::objects::{CopyItem, Entry};
use crate::profile::Provider;
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// How fast (and how dear) a restore is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Expedited,
    Standard,
    Bulk,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Expedited, Tier::Standard, Tier::Bulk];

    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|tier| tier.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    "tier",
                    format!("\"{text}\" is not a restore tier."),
                    "Use Expedited, Standard or Bulk.",
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expedited => "Expedited",
            Self::Standard => "Standard",
            Self::Bulk => "Bulk",
        }
    }
}

/// What a restore does once the objects are readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct RestoreRequest {
    pub tier: Tier,
    /// How long the restored copies stay readable.
    pub days: u32,
    /// Copy them back to hot storage (else they are readable for `days`, then cold again).
    pub copy_back: bool,
}

/// A tier's usual wait for the coldest class in a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct TierWait {
    pub tier: Tier,
    /// `None` when the class has no such tier (Deep Archive has no Expedited).
    pub wait: Option<String>,
}

/// What a restore would do, shown before it starts.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RestorePreview {
    /// The archived objects: `PROFILE:BUCKET/PREFIX/`.
    pub path: String,
    pub project: Option<u32>,
    pub objects: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// Objects in an archival class, which need a restore request, and their bytes.
    pub archived_objects: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub archived_bytes: u64,
    /// The coldest class among them.
    pub coldest: Option<String>,
    /// Each tier's usual wait; empty when nothing needs a restore request.
    pub waits: Vec<TierWait>,
    /// Where a copy back goes.
    pub copy_back_to: String,
    /// Objects at the copy back's target (names below it) that differ from the archived ones:
    /// written since the archive, they stay, and the restored copies go beside them.
    pub kept_beside: Vec<String>,
}

/// The usual wait of each tier for `class` at `provider`.
fn waits(provider: Provider, class: &str) -> Vec<TierWait> {
    let text = |s: &str| Some(s.to_string());
    Tier::ALL
        .into_iter()
        .map(|tier| TierWait {
            tier,
            wait: match (provider, class, tier) {
                (Provider::Local, _, Tier::Expedited) => text("about a second (built-in endpoint)"),
                (Provider::Local, _, Tier::Standard) => text("about 5 seconds (built-in endpoint)"),
                (Provider::Local, _, Tier::Bulk) => text("about 10 seconds (built-in endpoint)"),
                (_, "DEEP_ARCHIVE", Tier::Expedited) => None,
                (_, "DEEP_ARCHIVE", Tier::Standard) => text("within 12 hours"),
                (_, "DEEP_ARCHIVE", Tier::Bulk) => text("within 48 hours"),
                (_, _, Tier::Expedited) => text("1–5 minutes"),
                (_, _, Tier::Standard) => text("3–5 hours"),
                (_, _, Tier::Bulk) => text("5–12 hours"),
            },
        })
        .collect()
}

/// Where a restore of `path` copies back to: the project's source, else in place.
fn copy_back_target(project: Option<&Project>, path: &RemotePath) -> Result<RemotePath> {
    match project {
        Some(project) => RemotePath::parse(&project.source),
        None => Ok(path.clone()),
    }
}

/// The objects among `objects` in an archival class: those a restore asks for.
fn needing_restore(objects: &[Entry]) -> Vec<&Entry> {
    objects.iter().filter(|e| is_archival(e.class())).collect()
}

/// Where an archived object's restore stands, from `x-amz-restore`.
#[derive(Debug, PartialEq, Eq)]
enum Standing {
    NotAsked,
    Ongoing,
    Readable,
}

fn standing(restore: Option<&str>) -> Standing {
    match restore {
        None => Standing::NotAsked,
        Some(header) if header.replace(' ', "").contains("ongoing-request=\"true\"") => {
            Standing::Ongoing
        }
        Some(_) => Standing::Readable,
    }
}

/// The longest wait between two looks at a pending restore.
const MAX_POLL: Duration = Duration::from_secs(300);

impl Engine {
    /// The objects of a restore: everything under `path` but the manifest.
    async fn restore_objects(
        &self,
        account: &Account,
        path: &RemotePath,
        job: &JobHandle,
    ) -> Result<Vec<Entry>> {
        let objects: Vec<Entry> = self
            .objects_under(account, &path.bucket, &path.key, job)
            .await?
            .into_iter()
            .filter(|e| e.name != MANIFEST_NAME)
            .collect();
        if objects.is_empty() {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("There is nothing to restore under {path}."),
                "Check the path, or pick the project from strata archive list.",
            ));
        }
        Ok(objects)
    }

    /// The archived objects of project `project`, or under `path`: where they are, and the
    /// project.
    pub async fn restore_locate(
        &self,
        project: Option<u32>,
        path: Option<&RemotePath>,
    ) -> Result<(Option<Project>, RemotePath)> {
        let project = match (project, path) {
            (Some(id), _) => Some(self.archive_get(id).await?),
            (None, Some(path)) => self
                .archive_find(path)
                .await?
                .filter(|p| p.state != ProjectState::Hot),
            (None, None) => {
                return Err(Error::invalid(
                    "path",
                    "A restore needs a project or a path.",
                    "Give a project id (strata archive list) or PROFILE:BUCKET/PREFIX.",
                ));
            }
        };
        let path = match (&project, path) {
            (Some(project), _) => RemotePath::parse(&project.location)?,
            (None, Some(path)) => RemotePath {
                key: path.folder_prefix(),
                ..path.clone()
            },
            (None, None) => unreachable!("refused above"),
        };
        Ok((project, path))
    }

    /// What restoring project `project` (or the objects under `path`) involves: objects,
    /// bytes, those needing a restore request, each tier's usual wait, and the objects at the
    /// copy back's target that it would keep.
    pub async fn restore_preview(
        &self,
        project: Option<u32>,
        path: Option<&RemotePath>,
        job: &JobHandle,
    ) -> Result<RestorePreview> {
        let (mut preview, objects) = self.restore_summary(project, path, job).await?;
        let path = RemotePath::parse(&preview.path)?;
        let target = RemotePath::parse(&preview.copy_back_to)?;
        let there = self.copy_back_there(&path, &target, job).await?;
        preview.kept_beside = objects
            .iter()
            .filter(|e| matches!(landing(e, &there), Landing::Beside))
            .map(|e| e.name.clone())
            .collect();
        Ok(preview)
    }

    /// The preview without the copy back's target (`kept_beside` empty), which `restore_start`
    /// needs no listing of; and the objects under the archive.
    async fn restore_summary(
        &self,
        project: Option<u32>,
        path: Option<&RemotePath>,
        job: &JobHandle,
    ) -> Result<(RestorePreview, Vec<Entry>)> {
        let (project, path) = self.restore_locate(project, path).await?;
        let account = self.account(&path.profile).await?;
        let objects = self.restore_objects(&account, &path, job).await?;
        let target = copy_back_target(project.as_ref(), &path)?;
        let archived = needing_restore(&objects);
        let coldest = if archived.iter().any(|e| e.class() == "DEEP_ARCHIVE") {
            Some("DEEP_ARCHIVE")
        } else {
            archived.first().map(|e| e.class())
        };
        let preview = RestorePreview {
            path: path.to_string(),
            project: project.as_ref().map(|p| p.id),
            objects: objects.len() as u32,
            bytes: objects.iter().map(|e| e.size).sum(),
            archived_objects: archived.len() as u32,
            archived_bytes: archived.iter().map(|e| e.size).sum(),
            coldest: coldest.map(str::to_string),
            waits: coldest
                .map(|class| waits(account.profile.provider, class))
                .unwrap_or_default(),
            copy_back_to: target.to_string(),
            kept_beside: Vec::new(),
        };
        Ok((preview, objects))
    }

    /// Starts restoring project `project` (or the objects under `path`).
    pub async fn restore_start(
        &self,
        project: Option<u32>,
        path: Option<&RemotePath>,
        request: RestoreRequest,
    ) -> Result<JobId> {
        if !(1..=36_500).contains(&request.days) {
            return Err(Error::invalid(
                "days",
                format!("{} days is not a restore's length.", request.days),
                "Give between 1 and 36500 days.",
            ));
        }
        let (preview, _) = self.restore_summary(project, path, &self.new_job()).await?;
        if preview
            .waits
            .iter()
            .any(|w| w.tier == request.tier && w.wait.is_none())
        {
            return Err(Error::invalid(
                "tier",
                format!(
                    "{} has no {} restores.",
                    preview.coldest.as_deref().unwrap_or_default(),
                    request.tier.as_str()
                ),
                "Choose the Standard or Bulk tier.",
            ));
        }
        if let Some(id) = preview.project {
            let project = self.archive_get(id).await?;
            if matches!(project.state, ProjectState::Archiving | ProjectState::Hot) {
                return Err(Error::invalid(
                    "project",
                    format!(
                        "Project {id} is {}: its sources were not deleted.",
                        project.state.as_str()
                    ),
                    "Archive it again to finish the archive; nothing needs restoring.",
                ));
            }
        }
        self.job_start_or_resume(JobSpec::Restore {
            project: preview.project,
            path: preview.path.clone(),
            tier: request.tier,
            days: request.days,
            copy_back: request.copy_back,
        })
        .await
    }

    /// The restore job.
    pub(crate) async fn restore_run(
        &self,
        project: Option<u32>,
        path: &RemotePath,
        request: RestoreRequest,
        job: &JobHandle,
    ) -> Result<()> {
        if let Some(id) = project {
            self.project_state(id, ProjectState::Restoring, None)
                .await?;
        }
        let outcome = self.restore_steps(project, path, request, job).await;
        if let Some(id) = project {
            match &outcome {
                Ok(words) => {
                    self.project_state(id, ProjectState::Restored, Some(words.clone()))
                        .await?
                }
                Err(err) if err.code == ErrorCode::Cancelled && job.pausing() => {}
                Err(err) => {
                    self.project_state(id, ProjectState::Archived, Some(err.message.clone()))
                        .await?
                }
            }
        }
        outcome.map(drop)
    }

    async fn restore_steps(
        &self,
        project_id: Option<u32>,
        path: &RemotePath,
        request: RestoreRequest,
        job: &JobHandle,
    ) -> Result<String> {
        let project = match project_id {
            Some(id) => Some(self.archive_get(id).await?),
            None => None,
        };
        let account = self.account(&path.profile).await?;
        let objects = self.restore_objects(&account, path, job).await?;
        let archived = needing_restore(&objects);
        self.restore_request_all(&account, path, &archived, request, job)
            .await?;
        if !request.copy_back {
            let until = crate::catalog::now_ms() + i64::from(request.days) * 86_400_000;
            if let Some(id) = project_id {
                self.blocking(move |conn, _| {
                    super::store::set_readable_until(conn, id, Some(until))
                })
                .await?;
            }
            return Ok(format!(
                "Readable where it is archived for {} day(s); then it is cold again.",
                request.days
            ));
        }
        let target = copy_back_target(project.as_ref(), path)?;
        let beside = self
            .copy_back(&account, path, &target, &objects, job)
            .await?;
        Ok(match beside {
            0 => format!("Back in hot storage at {target}."),
            n => format!(
                "Back in hot storage at {target}; {n} object(s) written there since the archive \
                 were kept, with the restored copies beside them as conflict copies."
            ),
        })
    }

    /// Asks for every archived object to be made readable, and waits until all are.
    async fn restore_request_all(
        &self,
        account: &Account,
        path: &RemotePath,
        archived: &[&Entry],
        request: RestoreRequest,
        job: &JobHandle,
    ) -> Result<()> {
        // Looked at (and asked for) several at once, each made as the stream asks for it. By
        // index: a stream of futures of a closure that takes a reference is not provably Send.
        let looks = (0..archived.len()).map(|at| {
            let entry = &archived[at];
            async move {
                job.check()?;
                let head = self
                    .object_head(&path.profile, &path.bucket, &entry.key)
                    .await?;
                Ok::<_, Error>(match standing(head.restore.as_deref()) {
                    Standing::Readable => None,
                    Standing::Ongoing => Some((entry.key.clone(), false)),
                    Standing::NotAsked => {
                        self.restore_object(account, &path.bucket, &entry.key, request)
                            .await?;
                        Some((entry.key.clone(), true))
                    }
                })
            }
        });
        let mut looked = futures_util::stream::iter(looks).buffered(super::in_flight(path, path));
        let (mut pending, mut asked) = (Vec::new(), 0u64);
        while let Some(look) = looked.next().await {
            if let Some((key, now)) = look? {
                asked += u64::from(now);
                pending.push(key);
            }
        }
        let total = archived.len() as u32;
        if asked > 0 {
            self.log_activity(
                Record::new("restore", &path.to_string())
                    .counts(asked, 0)
                    .detail(format!(
                        "{} tier, readable for {} day(s)",
                        request.tier.as_str(),
                        request.days
                    )),
            )
            .await;
        }
        let mut poll = Duration::from_secs(1);
        loop {
            let readable = total - pending.len() as u32;
            job.report(Event::JobProgress {
                job: job.id,
                profile: path.profile.clone(),
                action: "restore".into(),
                done: readable,
                items: Some(total),
                bytes: 0,
                total: None,
            });
            // The first pending object is looked at until it is readable; the rest were
            // asked for at about the same time, so they are looked at only then.
            while let Some(key) = pending.first() {
                job.check()?;
                let head = self.object_head(&path.profile, &path.bucket, key).await?;
                match standing(head.restore.as_deref()) {
                    Standing::Readable => {
                        pending.remove(0);
                    }
                    Standing::Ongoing => break,
                    // Expired or lost meanwhile: asked again.
                    Standing::NotAsked => {
                        self.restore_object(account, &path.bucket, key, request)
                            .await?;
                        break;
                    }
                }
            }
            if pending.is_empty() {
                return Ok(());
            }
            job.wait(poll).await?;
            poll = (poll * 2).min(MAX_POLL);
        }
    }

    async fn restore_object(
        &self,
        account: &Account,
        bucket: &str,
        key: &str,
        request: RestoreRequest,
    ) -> Result<()> {
        let asked = SdkRestoreRequest::builder()
            .days(request.days as i32)
            .glacier_job_parameters(
                GlacierJobParameters::builder()
                    .tier(SdkTier::from(request.tier.as_str()))
                    .build()
                    .map_err(|e| Error::invalid("tier", e.to_string(), "Choose another tier."))?,
            )
            .build();
        self.on_bucket(account, bucket, |client| {
            let asked = asked.clone();
            async move {
                match client
                    .restore_object()
                    .bucket(bucket)
                    .key(key)
                    .restore_request(asked)
                    .send()
                    .await
                {
                    Ok(_) => Ok(()),
                    Err(e) if s3::service_code(&e) == Some("RestoreAlreadyInProgress") => Ok(()),
                    Err(e) => Err(s3::error_from_sdk(&e, &account.label())),
                }
            }
        })
        .await
    }

    /// The objects at a copy back's `target`, by name below it; none when it is in place.
    async fn copy_back_there(
        &self,
        path: &RemotePath,
        target: &RemotePath,
        job: &JobHandle,
    ) -> Result<HashMap<String, Entry>> {
        if target == path {
            return Ok(HashMap::new());
        }
        let to = self.account(&target.profile).await?;
        Ok(self
            .objects_under(&to, &target.bucket, &target.key, job)
            .await?
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect())
    }

    /// Copies the restored objects under `path` back to `target` (in place: to STANDARD),
    /// each verified; objects already there as they are archived are skipped, and an object
    /// there that differs (written since the archive) is kept, the restored copy put beside
    /// it. Returns how many were put beside.
    async fn copy_back(
        &self,
        account: &Account,
        path: &RemotePath,
        target: &RemotePath,
        objects: &[Entry],
        job: &JobHandle,
    ) -> Result<u64> {
        let to = self.account(&target.profile).await?;
        let in_place = target == path;
        let there = self.copy_back_there(path, target, job).await?;
        let total: u64 = objects.iter().map(|e| e.size).sum();
        // Each made as the stream asks for it, so only the few in flight exist at once. By
        // index: a stream of futures of a closure that takes a reference is not provably Send.
        let copies = (0..objects.len()).map(|at| {
            let (entry, to, there) = (&objects[at], &to, &there);
            async move {
                job.check()?;
                let landing = if in_place {
                    match entry.class() {
                        "STANDARD" => Landing::AlreadyThere,
                        _ => Landing::Own,
                    }
                } else {
                    landing(entry, there)
                };
                let target_key = format!("{}{}", target.key, entry.name);
                let target_key = match landing {
                    Landing::AlreadyThere => return Ok::<_, Error>((entry.size, false, false)),
                    Landing::Own => target_key,
                    Landing::Beside => crate::objects::conflict_copy_key(&target_key),
                };
                let item = CopyItem {
                    source_key: entry.key.clone(),
                    target_key,
                    size: entry.size,
                    etag: entry.etag.clone(),
                };
                let class = in_place.then_some("STANDARD");
                self.copy_one(account, to, path, target, &item, class, job)
                    .await?;
                Ok((entry.size, true, matches!(landing, Landing::Beside)))
            }
        });
        let mut copying =
            futures_util::stream::iter(copies).buffered(super::in_flight(path, target));
        let (mut done, mut bytes, mut copied, mut beside) = (0u32, 0u64, 0u64, 0u64);
        while let Some(outcome) = copying.next().await {
            let (size, was_copied, put_beside) = outcome?;
            done += 1;
            bytes += size;
            copied += u64::from(was_copied);
            beside += u64::from(put_beside);
            job.report(Event::JobProgress {
                job: job.id,
                profile: target.profile.clone(),
                action: "copy_back".into(),
                done,
                items: Some(objects.len() as u32),
                bytes,
                total: Some(total),
            });
        }
        self.log_activity(
            Record::new("copy_back", &path.to_string())
                .target(&target.to_string())
                .counts(copied, bytes)
                .detail(match beside {
                    0 => "restored to hot storage, each copy verified".to_string(),
                    n => format!(
                        "restored to hot storage, each copy verified; {n} newer object(s) \
                         kept, the restored copies beside them"
                    ),
                }),
        )
        .await;
        self.jobs().emit(Event::ObjectsChanged {
            profile: target.profile.clone(),
            bucket: target.bucket.clone(),
        });
        Ok(beside)
    }
}

/// Where a restored object goes at a copy back's target.
enum Landing {
    /// The target holds the archived object already: nothing to copy.
    AlreadyThere,
    /// Under its own name.
    Own,
    /// Beside another object at its name (written since the archive), which stays.
    Beside,
}

/// Where `entry` goes, given the objects `there` at the target by name.
fn landing(entry: &Entry, there: &HashMap<String, Entry>) -> Landing {
    match there.get(&entry.name) {
        None => Landing::Own,
        Some(t) if t.size == entry.size && t.etag.is_some() && t.etag == entry.etag => {
            Landing::AlreadyThere
        }
        Some(_) => Landing::Beside,
    }
}

#[cfg(test)]
mod tests {
    use super::{Standing, Tier, standing, waits};
    use crate::profile::Provider;

    #[test]
    fn restore_headers_read_as_s3_writes_them() {
        assert_eq!(standing(None), Standing::NotAsked);
        assert_eq!(
            standing(Some("ongoing-request=\"true\"")),
            Standing::Ongoing
        );
        assert_eq!(
            standing(Some(
                "ongoing-request=\"false\", expiry-date=\"Fri, 21 Dec 2012 00:00:00 GMT\""
            )),
            Standing::Readable
        );
    }

    #[test]
    fn deep_archive_has_no_expedited_tier() {
        let deep = waits(Provider::Aws, "DEEP_ARCHIVE");
        assert_eq!(deep[0].tier, Tier::Expedited);
        assert_eq!(deep[0].wait, None);
        assert!(
            waits(Provider::Aws, "GLACIER")
                .iter()
                .all(|w| w.wait.is_some())
        );
        assert_eq!(Tier::parse("bulk").unwrap(), Tier::Bulk);
        assert!(Tier::parse("fast").is_err());
    }
}
