//! Checking an archived copy against its manifest: one listing for sizes and ETags, a HEAD
//! only where the server's listing carries no ETag. Nothing is downloaded.

use std::collections::HashMap;

use serde::Serialize;

use super::{ManifestEntry, ProjectState};
use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::JobHandle;
use crate::remote::RemotePath;
use crate::s3::Account;

/// What a verification found.
#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct VerifyReport {
    /// The archived copy checked: `PROFILE:BUCKET/PREFIX/`.
    pub location: String,
    /// Objects the manifest lists, and their bytes.
    pub objects: u32,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// Objects found as the manifest says.
    pub matched: u32,
    /// Keys (below the prefix) the manifest lists and the server does not have.
    pub missing: Vec<String>,
    pub changed: Vec<ChangedObject>,
    /// Objects whose ETag took a HEAD, as the listing had none.
    pub heads: u32,
}

impl VerifyReport {
    pub fn intact(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty()
    }

    /// The outcome in words, for the project's detail and the activity log.
    pub fn summary(&self) -> String {
        if self.intact() {
            format!("All {} objects match the manifest.", self.objects)
        } else {
            format!(
                "{} of {} objects missing, {} changed.",
                self.missing.len(),
                self.objects,
                self.changed.len()
            )
        }
    }
}

/// An object that is there but not as the manifest says.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ChangedObject {
    pub key: String,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub expected_size: u64,
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub size: u64,
    pub expected_etag: Option<String>,
    pub etag: Option<String>,
}

/// Whether two ETags name the same bytes, where both are known.
fn same_etag(expected: Option<&str>, found: Option<&str>) -> bool {
    match (expected, found) {
        (Some(a), Some(b)) => a
            .trim_matches('"')
            .eq_ignore_ascii_case(b.trim_matches('"')),
        _ => true,
    }
}

impl Engine {
    /// Checks the objects under `location` against `entries`.
    pub(crate) async fn check_copies(
        &self,
        account: &Account,
        location: &RemotePath,
        entries: &[ManifestEntry],
        job: &JobHandle,
    ) -> Result<VerifyReport> {
        let listed: HashMap<String, crate::objects::Entry> = self
            .objects_under(account, &location.bucket, &location.key, job)
            .await?
            .into_iter()
            .map(|entry| (entry.name.clone(), entry))
            .collect();
        let mut report = VerifyReport {
            location: location.to_string(),
            objects: entries.len() as u32,
            bytes: entries.iter().map(|e| e.size).sum(),
            ..VerifyReport::default()
        };
        for entry in entries {
            job.check()?;
            let Some(found) = listed.get(&entry.key) else {
                report.missing.push(entry.key.clone());
                continue;
            };
            let mut etag = found.etag.clone();
            if etag.is_none() && entry.etag.is_some() && found.size == entry.size {
                report.heads += 1;
                let key = format!("{}{}", location.key, entry.key);
                etag = self
                    .object_head(&location.profile, &location.bucket, &key)
                    .await?
                    .etag;
            }
            if found.size != entry.size || !same_etag(entry.etag.as_deref(), etag.as_deref()) {
                report.changed.push(ChangedObject {
                    key: entry.key.clone(),
                    expected_size: entry.size,
                    size: found.size,
                    expected_etag: entry.etag.clone(),
                    etag,
                });
                continue;
            }
            report.matched += 1;
        }
        Ok(report)
    }

    /// Re-checks archived project `id` against its manifest, and records the outcome in the
    /// project and the activity log.
    pub async fn archive_verify(&self, id: u32, job: &JobHandle) -> Result<VerifyReport> {
        let project = self.archive_get(id).await?;
        let location = RemotePath::parse(&project.location)?;
        let Some(manifest) = self.manifest_read(&location).await? else {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("There is no manifest in {location}: the archive never finished."),
                "Archive the project again; it goes on where it stopped.",
            ));
        };
        let account = self.account(&location.profile).await?;
        let outcome = self
            .check_copies(&account, &location, &manifest.entries, job)
            .await;
        let record = Record::new("verify", &project.location);
        let record = match &outcome {
            Ok(report) => record
                .counts(u64::from(report.matched), report.bytes)
                .detail(report.summary()),
            Err(_) => record,
        };
        self.log_activity(record.outcome_of(&outcome)).await;
        let report = outcome?;
        if project.state == ProjectState::Archived {
            let at = crate::buckets::rfc3339(crate::catalog::now());
            let words = format!(
                "Verified {} UTC: {}",
                at.trim_end_matches('Z').replace('T', " "),
                report.summary()
            );
            self.blocking(move |conn, _| super::store::set_detail(conn, id, &words))
                .await?;
            self.jobs()
                .emit(crate::jobs::Event::ProjectChanged { project: id });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::same_etag;

    #[test]
    fn etags_compare_without_quotes_or_case() {
        assert!(same_etag(Some("\"ABC\""), Some("abc")));
        assert!(!same_etag(Some("abc"), Some("abd")));
        assert!(same_etag(None, Some("abc")));
    }
}
