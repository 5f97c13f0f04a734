//! The archive job. Each step can be killed and run again:
//!
//! 1. Copy every source object to the archive (skipping copies already there and verified
//!    by an earlier, interrupted run), verifying each copy's size, ETag and class.
//! 2. Check the whole archived copy again in one listing: a copy that went missing or changed
//!    since it verified stops the archive here, before any source is deleted.
//! 3. Write the manifest and read it back; the catalog records that it was written, and from
//!    then on the manifest, not the source listing, says what the project holds.
//! 4. Delete the sources still as they were copied (an archive to another bucket). A source
//!    that changed since, or one added meanwhile, is kept and named in the project's words.

use std::collections::HashMap;

use futures_util::StreamExt;

use super::manifest::{Manifest, ManifestEntry};
use super::{MANIFEST_NAME, ProjectState, store};
use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::objects::remove::Doomed;
use crate::objects::{CopyItem, Entry};
use crate::remote::RemotePath;

/// Whether `entry` is already the archived copy of `source` (an earlier run copied it): same
/// size, an ETag that says the same bytes, and the class asked for.
fn already_archived(source: &Entry, there: &Entry, class: Option<&str>) -> bool {
    let comparable = |e: &Option<String>| e.as_deref().map(|e| e.to_ascii_lowercase());
    let class_kept = class.is_none_or(|c| there.class() == c);
    there.size == source.size
        && comparable(&there.etag).is_some()
        && comparable(&there.etag) == comparable(&source.etag)
        && class_kept
}

impl Engine {
    /// Runs (or goes on with) archiving project `id`.
    pub(crate) async fn archive_run(&self, id: u32, job: &JobHandle) -> Result<()> {
        let project = self.archive_get(id).await?;
        if project.state == ProjectState::Archived {
            return Ok(());
        }
        self.project_state(id, ProjectState::Archiving, None)
            .await?;
        let outcome = self.archive_steps(id, job).await;
        match &outcome {
            Ok(words) => {
                self.project_state(id, ProjectState::Archived, words.clone())
                    .await?;
            }
            Err(err) if err.code == ErrorCode::Cancelled && job.pausing() => {}
            Err(err) => {
                let written = self
                    .reading(move |conn| store::manifest_written(conn, id))
                    .await?;
                // Before the manifest nothing was deleted: the project is still hot.
                let state = if written {
                    ProjectState::Archiving
                } else {
                    ProjectState::Hot
                };
                self.project_state(id, state, Some(err.message.clone()))
                    .await?;
            }
        }
        outcome.map(drop)
    }

    /// The four steps; returns the project's words when something was kept.
    async fn archive_steps(&self, id: u32, job: &JobHandle) -> Result<Option<String>> {
        let project = self.archive_get(id).await?;
        let source = RemotePath::parse(&project.source)?;
        let location = RemotePath::parse(&project.location)?;
        let to = self.account(&location.profile).await?;
        let written = self
            .reading(move |conn| store::manifest_written(conn, id))
            .await?;
        let manifest = match written {
            // Sources may be deleted already: a new listing would record only what is left,
            // and the manifest written from it would shrink the archive.
            true => Some(self.manifest_read(&location).await?.ok_or_else(|| {
                Error::new(
                    ErrorCode::NoSuchKey,
                    format!(
                        "The manifest of this archive ({location}{MANIFEST_NAME}) is gone, \
                         and some sources may already be deleted; nothing more was done."
                    ),
                    "Put the manifest back (from a backup, or an earlier version of the \
                     object) and resume; archiving from what is left would lose track of \
                     the rest.",
                )
            })?),
            false => None,
        };
        let manifest = match manifest {
            Some(manifest) => manifest,
            None => {
                let manifest = self
                    .archive_copies(&source, &location, project.class.clone(), job)
                    .await?;
                let report = self
                    .check_copies(&to, &location, &manifest.entries, job)
                    .await?;
                if !report.intact() {
                    return Err(Error::new(
                        ErrorCode::S3,
                        format!(
                            "The archived copy at {location} does not hold what was copied ({}); no source was deleted.",
                            report.summary()
                        ),
                        "Archive again: the missing and changed copies are made again.",
                    ));
                }
                crate::failpoint::hit("archive:before-manifest");
                self.manifest_write(&location, &manifest).await?;
                let (objects, bytes) = (manifest.objects, manifest.bytes);
                self.blocking(move |conn, _| store::set_manifest_written(conn, id, objects, bytes))
                    .await?;
                self.log_activity(
                    Record::new("manifest", &format!("{location}{MANIFEST_NAME}"))
                        .counts(u64::from(objects), bytes)
                        .detail(format!("every copy of {source} verified")),
                )
                .await;
                crate::failpoint::hit("archive:before-deletes");
                manifest
            }
        };
        if location == source {
            return Ok(None);
        }
        let kept = self.archive_delete_sources(&source, &manifest, job).await?;
        let synced = self.archive_keep_out_of_sync(&source).await?;
        let words: Vec<String> = kept.into_iter().chain(synced).collect();
        Ok((!words.is_empty()).then(|| words.join(" ")))
    }

    /// Step 1: copies what is not archived yet, verifying each copy; returns the manifest of
    /// everything archived.
    async fn archive_copies(
        &self,
        source: &RemotePath,
        location: &RemotePath,
        class: Option<String>,
        job: &JobHandle,
    ) -> Result<Manifest> {
        let from = self.account(&source.profile).await?;
        let to = self.account(&location.profile).await?;
        let in_place = location == source;
        let sources: Vec<Entry> = self
            .objects_under(&from, &source.bucket, &source.key, job)
            .await?
            .into_iter()
            .filter(|e| !(in_place && e.name == MANIFEST_NAME))
            .collect();
        if sources.is_empty() {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("There is nothing to archive under {source}."),
                "Check the folder's path; archive a folder that holds objects.",
            ));
        }
        // In place, a source is its own archived copy once it is in the class.
        let there: HashMap<String, Entry> = if in_place {
            HashMap::new()
        } else {
            self.objects_under(&to, &location.bucket, &location.key, job)
                .await?
                .into_iter()
                .map(|e| (e.name.clone(), e))
                .collect()
        };
        let total: u64 = sources.iter().map(|e| e.size).sum();
        let mut manifest = Manifest::new(source, location, class.clone());
        // Made as the stream asks for them, so only the few in flight exist at once whatever
        // the object count. By index: a stream of futures of a closure that takes a reference
        // is not provably Send.
        let copies = (0..sources.len()).map(|at| {
            let (entry, from, to, class, there) =
                (&sources[at], &from, &to, class.as_deref(), &there);
            async move {
                job.check()?;
                let archived = if in_place {
                    Some(entry).filter(|e| class == Some(e.class()))
                } else {
                    there
                        .get(&entry.name)
                        .filter(|copy| already_archived(entry, copy, class))
                };
                let etag = match archived {
                    Some(copy) => copy.etag.clone(),
                    None => {
                        let item = CopyItem {
                            source_key: entry.key.clone(),
                            target_key: format!("{}{}", location.key, entry.name),
                            size: entry.size,
                            etag: entry.etag.clone(),
                        };
                        self.copy_one(from, to, source, location, &item, class, job)
                            .await?
                    }
                };
                Ok::<_, Error>(ManifestEntry {
                    key: entry.name.clone(),
                    size: entry.size,
                    etag,
                    source_etag: entry.etag.clone(),
                    modified: entry.last_modified.clone(),
                })
            }
        });
        let mut copied =
            futures_util::stream::iter(copies).buffered(super::in_flight(source, location));
        while let Some(entry) = copied.next().await {
            let entry = entry?;
            manifest.bytes += entry.size;
            manifest.objects += 1;
            manifest.entries.push(entry);
            job.report(Event::JobProgress {
                job: job.id,
                profile: source.profile.clone(),
                action: "archive".into(),
                done: manifest.objects,
                items: Some(sources.len() as u32),
                bytes: manifest.bytes,
                total: Some(total),
            });
        }
        manifest.archived_at = crate::buckets::rfc3339(crate::catalog::now());
        self.log_activity(
            Record::new("archive", &source.to_string())
                .target(&location.to_string())
                .counts(u64::from(manifest.objects), manifest.bytes)
                .detail(match &class {
                    Some(class) => format!("copied and verified, in {class}"),
                    None => "copied and verified".to_string(),
                }),
        )
        .await;
        Ok(manifest)
    }

    /// Keeps sync pairs from uploading an archived project again: a pair around the project
    /// ignores its folder from now on; a pair inside it is paused. Returns what was done.
    async fn archive_keep_out_of_sync(&self, source: &RemotePath) -> Result<Option<String>> {
        let mut done = Vec::new();
        for pair in self.sync_list().await? {
            if pair.profile != source.profile || pair.bucket != source.bucket {
                continue;
            }
            if let Some(below) = source
                .key
                .strip_prefix(&pair.prefix)
                .filter(|b| !b.is_empty())
            {
                let ignore = format!("/{below}");
                if !pair.ignore.contains(&ignore) {
                    let mut patterns = pair.ignore.clone();
                    patterns.push(ignore.clone());
                    let patch = crate::sync::SyncPairPatch {
                        mirror_deletes: None,
                        ignore: Some(patterns),
                    };
                    self.sync_edit(pair.id, patch).await?;
                }
                done.push(format!("Sync pair {} now ignores {ignore}.", pair.id));
            } else if pair.prefix.starts_with(&source.key) && pair.active {
                self.sync_set_active(pair.id, false).await?;
                done.push(format!(
                    "Sync pair {} is paused: its prefix is archived.",
                    pair.id
                ));
            }
        }
        Ok((!done.is_empty()).then(|| done.join(" ")))
    }

    /// Step 4: deletes the sources that are still as they were archived.
    async fn archive_delete_sources(
        &self,
        source: &RemotePath,
        manifest: &Manifest,
        job: &JobHandle,
    ) -> Result<Option<String>> {
        let from = self.account(&source.profile).await?;
        let mut now: HashMap<String, Entry> = self
            .objects_under(&from, &source.bucket, &source.key, job)
            .await?
            .into_iter()
            .map(|e| (e.name.clone(), e))
            .collect();
        let (mut doomed, mut changed) = (Vec::new(), 0usize);
        for entry in &manifest.entries {
            let Some(current) = now.remove(&entry.key) else {
                continue; // deleted by an earlier, interrupted run
            };
            let same = current.size == entry.size
                && match (&current.etag, &entry.source_etag) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => current.last_modified == entry.modified,
                };
            if same {
                // And deleted only if it is still so when the delete arrives.
                doomed.push(Doomed::key(current.key, Some(current.size)).if_still(current.etag));
            } else {
                changed += 1;
            }
        }
        let added = now.len();
        let mut deleted = self.delete_exact(&from, source, doomed, job).await?;
        // Rewritten by another writer between the listing and the delete: kept, as above.
        let rewritten = deleted.failed.len();
        deleted.failed.retain(|f| f.code != "PreconditionFailed");
        changed += rewritten - deleted.failed.len();
        self.log_activity(
            Record::new("delete", &source.to_string())
                .counts(u64::from(deleted.deleted), deleted.bytes)
                .detail("sources of a verified archive")
                .partial(deleted.failed.len()),
        )
        .await;
        self.jobs().emit(Event::ObjectsChanged {
            profile: source.profile.clone(),
            bucket: source.bucket.clone(),
        });
        if let Some(first) = deleted.failed.first() {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "Every object was archived and verified, but {} source object(s) could not be deleted (first: {} {}).",
                    deleted.failed.len(),
                    first.key,
                    first.code
                ),
                "Archive again to delete them, or delete them by hand.",
            ));
        }
        let kept: Vec<String> = [
            (changed > 0).then(|| format!("{changed} source(s) changed after they were archived")),
            (added > 0).then(|| format!("{added} object(s) added during the archive")),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok((!kept.is_empty()).then(|| format!("Kept in place: {}.", kept.join("; "))))
    }
}

#[cfg(test)]
mod tests {
    use super::already_archived;
    use crate::objects::Entry;

    fn entry(size: u64, etag: Option<&str>, class: Option<&str>) -> Entry {
        Entry {
            name: "a.raw".into(),
            key: "p/a.raw".into(),
            folder: false,
            size,
            last_modified: None,
            storage_class: class.map(str::to_string),
            etag: etag.map(str::to_string),
        }
    }

    #[test]
    fn a_copy_counts_as_archived_only_when_size_etag_and_class_agree() {
        let source = entry(5, Some("ABC"), None);
        assert!(already_archived(
            &source,
            &entry(5, Some("abc"), None),
            None
        ));
        assert!(!already_archived(
            &source,
            &entry(6, Some("abc"), None),
            None
        ));
        assert!(!already_archived(
            &source,
            &entry(5, Some("abd"), None),
            None
        ));
        assert!(!already_archived(&source, &entry(5, None, None), None));
        assert!(!already_archived(
            &source,
            &entry(5, Some("abc"), None),
            Some("GLACIER")
        ));
        assert!(already_archived(
            &source,
            &entry(5, Some("abc"), Some("GLACIER")),
            Some("GLACIER")
        ));
    }
}
