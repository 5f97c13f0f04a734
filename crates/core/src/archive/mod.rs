//! Project archiving: a finished project (a prefix) leaves hot storage for a cold bucket or a
//! colder storage class, with proof that every object arrived intact, and comes back.
//!
//! An archive is a job ([`run`]): every object is copied (on the server where it can be; a
//! class change is a copy in place) and verified, the whole project is checked again, a
//! manifest (`.strata-manifest.json`: every key, size, checksum, source, date) is written
//! beside the archived data, and only then are the sources deleted. A restore ([`restore`])
//! asks for every object in an archival class to be made readable, waits for them as one job,
//! and copies them back. [`verify`] re-checks an archive against its manifest at any time;
//! [`lifecycle`] edits a bucket's rules and keeps the ones Strata did not write.

mod lifecycle;
mod manifest;
mod restore;
mod run;
mod store;
mod verify;

use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobId, JobSpec};
use crate::profile::Provider;
use crate::remote::RemotePath;

pub use lifecycle::{LifecycleRule, LifecycleRules};
pub use manifest::{MANIFEST_NAME, Manifest, ManifestEntry};
pub use restore::{RestorePreview, RestoreRequest, Tier, TierWait};
pub use verify::{ChangedObject, VerifyReport};

/// Where a project is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    /// In hot storage: an archive stopped before any source was deleted.
    Hot,
    Archiving,
    Archived,
    Restoring,
    Restored,
}

impl ProjectState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot => "hot",
            Self::Archiving => "archiving",
            Self::Archived => "archived",
            Self::Restoring => "restoring",
            Self::Restored => "restored",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "archiving" => Self::Archiving,
            "archived" => Self::Archived,
            "restoring" => Self::Restoring,
            "restored" => Self::Restored,
            _ => Self::Hot,
        }
    }
}

/// An archived (or archiving) project as the catalog knows it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Project {
    /// The source folder's own name.
    pub name: String,
    pub id: u32,
    /// Where the project was, and comes back to: `PROFILE:BUCKET/PREFIX/`.
    pub source: String,
    /// Where the archived copy lives (the source itself for a class change).
    pub location: String,
    /// The archived copies' storage class; `None`: the target bucket's default.
    pub class: Option<String>,
    pub state: ProjectState,
    /// The state in words: why it stopped, what was kept, the last verification.
    pub detail: Option<String>,
    pub objects: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// The manifest object, `PROFILE:BUCKET/KEY`.
    pub manifest: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub archived_at: Option<String>,
    pub restored_at: Option<String>,
    /// A restore without copy back stays readable until then.
    pub readable_until: Option<String>,
    /// The archive or restore job running for it, if one is.
    pub job: Option<JobId>,
}

/// Where a profile's projects go: another bucket (of any profile) with an optional prefix,
/// a storage class, or both (a cold bucket, in a class).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ArchiveTarget {
    /// `PROFILE:BUCKET[/PREFIX]`; `None`: the same bucket, in place.
    pub to: Option<String>,
    /// A storage class (`GLACIER`, `DEEP_ARCHIVE`...); `None`: the target bucket's default.
    pub class: Option<String>,
}

/// An archive just started: its project and its job.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ArchiveStarted {
    pub project: Project,
    pub job: JobId,
}

/// A storage class a provider offers for archiving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct StorageClassOffer {
    /// As S3 names it: `STANDARD_IA`, `GLACIER`...
    pub class: String,
    pub label: String,
    /// Objects in it must be restored before they are read.
    pub archival: bool,
}

/// Every class Strata can archive to, coldest last: (name, label, archival).
const CLASSES: [(&str, &str, bool); 6] = [
    ("STANDARD_IA", "Infrequent Access", false),
    ("ONEZONE_IA", "One Zone Infrequent Access", false),
    ("INTELLIGENT_TIERING", "Intelligent-Tiering", false),
    ("GLACIER_IR", "Glacier Instant Retrieval", false),
    ("GLACIER", "Glacier Flexible Retrieval", true),
    ("DEEP_ARCHIVE", "Glacier Deep Archive", true),
];

/// Whether objects in `class` must be restored before they are read.
pub(crate) fn is_archival(class: &str) -> bool {
    CLASSES
        .iter()
        .any(|&(name, _, archival)| archival && name == class)
}

/// The classes `provider` offers: R2 has Infrequent Access only, MinIO and SeaweedFS none of
/// S3's names (their tiers are set up on the server), the built-in endpoint all but the
/// single-zone and tiering ones; AWS and unknown servers all of them (a server that does not
/// keep one is caught when the copy is verified).
pub fn classes_for(provider: Provider) -> Vec<StorageClassOffer> {
    let offered: &[&str] = match provider {
        Provider::Aws | Provider::Other => &[
            "STANDARD_IA",
            "ONEZONE_IA",
            "INTELLIGENT_TIERING",
            "GLACIER_IR",
            "GLACIER",
            "DEEP_ARCHIVE",
        ],
        Provider::R2 => &["STANDARD_IA"],
        Provider::Local => &["STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"],
        Provider::Minio | Provider::Seaweedfs => &[],
    };
    CLASSES
        .iter()
        .filter(|(name, ..)| offered.contains(name))
        .map(|&(class, label, archival)| StorageClassOffer {
            class: class.into(),
            label: format!("{label} ({class})"),
            archival,
        })
        .collect()
}

/// Copies in flight at once between `from` and `to`: more where the server copies (each is a
/// request and a HEAD), fewer where the bytes pass through Strata (a part's buffer each).
pub(crate) fn in_flight(from: &RemotePath, to: &RemotePath) -> usize {
    if from.profile == to.profile { 8 } else { 4 }
}

/// Checks a class name (any case) and gives it as S3 writes it.
pub(crate) fn check_class(class: &str) -> Result<String> {
    let upper = class.trim().to_ascii_uppercase();
    if upper == "STANDARD" || CLASSES.iter().any(|(name, ..)| *name == upper) {
        return Ok(upper);
    }
    Err(Error::invalid(
        "class",
        format!("\"{class}\" is not a storage class Strata archives to."),
        "Use one of STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE.",
    ))
}

/// The setting holding a profile's archive target.
fn target_setting(profile_id: u32) -> String {
    format!("archive_target.{profile_id}")
}

pub(crate) fn forget_profile_settings(conn: &rusqlite::Connection, profile_id: u32) -> Result<()> {
    crate::catalog::set_setting(conn, &target_setting(profile_id), None)
}

/// Where the archived copy of `source` lives for `target`: in place for a class alone, else
/// under the target prefix, by the source's bucket and path, so projects of several buckets
/// and folders never meet in one cold bucket.
fn location_for(source: &RemotePath, target: &ArchiveTarget) -> Result<RemotePath> {
    let Some(to) = &target.to else {
        return Ok(source.clone());
    };
    let to = RemotePath::parse(to)?;
    crate::buckets::check_name(&to.bucket, false)?;
    let location = RemotePath {
        key: format!(
            "{}{}/{}",
            to.folder_prefix(),
            source.bucket,
            source.folder_prefix()
        ),
        ..to
    };
    let same_bucket = location.profile == source.profile && location.bucket == source.bucket;
    if same_bucket
        && (location.key.starts_with(&source.key) || source.key.starts_with(&location.key))
    {
        return Err(Error::invalid(
            "to",
            format!("{location} overlaps the project {source}."),
            "Archive to another bucket, or to a prefix outside the project.",
        ));
    }
    Ok(location)
}

fn no_target() -> Error {
    Error::invalid(
        "to",
        "An archive needs a target: another bucket, a storage class, or both.",
        "Give --to PROFILE:BUCKET[/PREFIX] or --class CLASS (e.g. GLACIER).",
    )
}

impl Engine {
    /// The storage classes `profile`'s provider offers for archiving.
    pub async fn archive_classes(&self, profile: &str) -> Result<Vec<StorageClassOffer>> {
        let profile = self.profile_get(profile).await?;
        Ok(classes_for(profile.provider))
    }

    /// The target `profile`'s projects went to last, offered for the next one.
    pub async fn archive_target(&self, profile: &str) -> Result<Option<ArchiveTarget>> {
        let id = self.profile_get(profile).await?.id;
        self.reading(move |conn| crate::catalog::json_setting(conn, &target_setting(id)))
            .await
    }

    /// Starts archiving the folder `source` to `target`, or goes on with the unfinished
    /// archive of the same project. Refuses a target that holds other data.
    pub async fn archive_start(
        &self,
        source: &RemotePath,
        target: &ArchiveTarget,
    ) -> Result<ArchiveStarted> {
        crate::buckets::check_name(&source.bucket, false)?;
        let target = ArchiveTarget {
            to: target.to.clone().filter(|to| !to.trim().is_empty()),
            class: target.class.as_deref().map(check_class).transpose()?,
        };
        if target.to.is_none() && target.class.is_none() {
            return Err(no_target());
        }
        let source = RemotePath {
            key: source.folder_prefix(),
            ..source.clone()
        };
        let location = location_for(&source, &target)?;
        if target.to.is_none() && target.class.as_deref() == Some("STANDARD") {
            return Err(Error::invalid(
                "class",
                "STANDARD is hot storage; archiving in place needs a colder class.",
                "Choose a class such as GLACIER, or archive to another bucket.",
            ));
        }
        let account = self.account(&source.profile).await?;
        let known = {
            let (source, location) = (source.to_string(), location.to_string());
            self.reading(move |conn| store::find(conn, &source, &location))
                .await?
        };
        let project = match known {
            Some(project) => {
                if matches!(
                    project.state,
                    ProjectState::Archived | ProjectState::Restoring
                ) {
                    return Err(Error::new(
                        ErrorCode::AlreadyExists,
                        format!(
                            "{source} is archived already (project {}, {}).",
                            project.id,
                            project.state.as_str()
                        ),
                        "Restore it first to archive it again.",
                    ));
                }
                if project.class != target.class {
                    if project.state == ProjectState::Archiving {
                        return Err(Error::invalid(
                            "class",
                            format!(
                                "The unfinished archive of {source} is in {}.",
                                project
                                    .class
                                    .as_deref()
                                    .unwrap_or("the bucket's default class")
                            ),
                            "Run it again with the same class; change the class once it is done.",
                        ));
                    }
                    let (id, class) = (project.id, target.class.clone());
                    self.blocking(move |conn, _| store::set_class(conn, id, class.as_deref()))
                        .await?;
                }
                project
            }
            None => {
                self.check_archivable(&source, &location).await?;
                let (written, class, profile_id) = (
                    (source.to_string(), location.to_string()),
                    target.class.clone(),
                    account.profile.id,
                );
                self.blocking(move |conn, _| {
                    store::insert(conn, profile_id, &written.0, &written.1, class.as_deref())
                })
                .await?
            }
        };
        let (remembered, profile_id) = (target.clone(), account.profile.id);
        self.blocking(move |conn, _| {
            crate::catalog::set_json_setting(conn, &target_setting(profile_id), &remembered)
        })
        .await?;
        let job = self
            .job_start_or_resume(JobSpec::Archive {
                project: project.id,
                source: source.to_string(),
            })
            .await?;
        self.jobs().emit(Event::ProjectChanged {
            project: project.id,
        });
        let project = self.archive_get(project.id).await?;
        Ok(ArchiveStarted { project, job })
    }

    /// Refuses an empty source, and a target prefix holding anything but an earlier archive
    /// of the same source.
    async fn check_archivable(&self, source: &RemotePath, location: &RemotePath) -> Result<()> {
        let first = self
            .object_list(
                &source.profile,
                &source.bucket,
                &source.key,
                true,
                None,
                Some(1),
            )
            .await?;
        if first.entries.is_empty() {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("There is nothing to archive under {source}."),
                "Check the folder's path; archive a folder that holds objects.",
            ));
        }
        if location == source {
            return Ok(());
        }
        let there = self
            .object_list(
                &location.profile,
                &location.bucket,
                &location.key,
                true,
                None,
                Some(1),
            )
            .await?;
        if there.entries.is_empty() {
            return Ok(());
        }
        let earlier = self.manifest_read(location).await?;
        if earlier.is_some_and(|m| m.source == source.to_string()) {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("{location} holds other objects already; nothing was copied."),
            "Archive to an empty prefix (another --to), or move those objects away first.",
        ))
    }

    /// Every project, newest first.
    pub async fn archive_list(&self) -> Result<Vec<Project>> {
        self.reading(store::list).await
    }

    pub async fn archive_get(&self, id: u32) -> Result<Project> {
        self.reading(move |conn| store::get(conn, id)).await
    }

    /// The project archived from, or archived at, `path`.
    pub async fn archive_find(&self, path: &RemotePath) -> Result<Option<Project>> {
        let folder = RemotePath {
            key: path.folder_prefix(),
            ..path.clone()
        }
        .to_string();
        self.reading(move |conn| store::at(conn, &folder)).await
    }

    /// Saves a project's state (and words), and tells the views.
    async fn project_state(
        &self,
        id: u32,
        state: ProjectState,
        detail: Option<String>,
    ) -> Result<()> {
        self.blocking(move |conn, _| store::set_state(conn, id, state, detail.as_deref()))
            .await?;
        self.jobs().emit(Event::ProjectChanged { project: id });
        Ok(())
    }
}
