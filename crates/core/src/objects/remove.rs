//! Deleting objects and whole folders, in DeleteObjects batches of up to 1,000 keys. A key
//! the server refuses is reported with its reason; the others are still deleted.

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde::Serialize;

use super::{Scope, check_key, list_page};
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// Keys per DeleteObjects request (S3's maximum).
const BATCH: usize = 1000;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DeleteFailure {
    pub key: String,
    pub code: String,
    pub message: String,
}

/// An object (or one version of it) to delete, with its size where known.
#[derive(Debug, Clone)]
pub(crate) struct Doomed {
    pub key: String,
    pub version: Option<String>,
    pub size: Option<u64>,
    /// Delete only while the object still has this ETag (`If-Match`; the `ETag` of a
    /// DeleteObjects entry): a version written since it was read is kept.
    pub etag: Option<String>,
}

impl Doomed {
    pub fn key(key: String, size: Option<u64>) -> Self {
        Self {
            key,
            version: None,
            size,
            etag: None,
        }
    }

    /// The same, deleted only while it still has `etag` (where one is known).
    pub fn if_still(self, etag: Option<String>) -> Self {
        Self {
            etag: etag.map(|e| e.trim_matches('"').to_string()),
            ..self
        }
    }
}

/// A key the server refused to delete: kept because it changed since it was read, or for the
/// server's reason.
fn refusal(key: &str, code: &str, message: &str) -> DeleteFailure {
    DeleteFailure {
        key: key.to_string(),
        code: code.to_string(),
        message: if code == "PreconditionFailed" {
            "it changed since it was read, so it was kept".to_string()
        } else {
            message.to_string()
        },
    }
}

#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct DeleteReport {
    pub deleted: u32,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub bytes: u64,
    pub failed: Vec<DeleteFailure>,
}

impl DeleteReport {
    /// The keys the server refused, as one error; `None` when every key went.
    pub fn failure(&self) -> Option<Error> {
        let first = self.failed.first()?;
        Some(Error::new(
            ErrorCode::S3,
            format!(
                "{} of {} objects could not be deleted (first: {} — {} {}).",
                self.failed.len(),
                self.failed.len() as u32 + self.deleted,
                first.key,
                first.code,
                first.message
            ),
            "Check the key's permissions (or object lock) and try again; the rest were deleted.",
        ))
    }
}

impl Engine {
    /// Deletes each path: an object, or with `recursive` a folder and everything under it. A
    /// folder without `recursive` is refused before anything is deleted.
    pub async fn objects_delete(
        &self,
        paths: &[RemotePath],
        recursive: bool,
        job: &JobHandle,
    ) -> Result<DeleteReport> {
        for path in paths {
            check_name(&path.bucket, false)?;
            if path.is_folder() && !recursive {
                return Err(Error::invalid(
                    "path",
                    format!("{path} is a folder."),
                    "Pass --recursive to delete it with everything under it.",
                ));
            }
        }
        let mut report = DeleteReport::default();
        for path in paths {
            let account = self.account(&path.profile).await?;
            let before = (report.deleted, report.bytes, report.failed.len());
            let outcome = if path.is_folder() {
                self.delete_folder(&account, path, job, &mut report).await
            } else {
                self.delete_keys(
                    &account,
                    path,
                    vec![Doomed::key(path.key.clone(), None)],
                    job,
                    &mut report,
                )
                .await
            };
            let record = Record::new("delete", &path.to_string())
                .counts(
                    u64::from(report.deleted - before.0),
                    report.bytes - before.1,
                )
                .outcome_of(&outcome)
                .partial(report.failed.len() - before.2);
            self.log_activity(record).await;
            self.jobs().emit(Event::ObjectsChanged {
                profile: path.profile.clone(),
                bucket: path.bucket.clone(),
            });
            outcome?;
        }
        Ok(report)
    }

    async fn delete_folder(
        &self,
        account: &Account,
        path: &RemotePath,
        job: &JobHandle,
        report: &mut DeleteReport,
    ) -> Result<()> {
        let scope = Scope {
            bucket: &path.bucket,
            prefix: &path.key,
            delimiter: None,
        };
        // Deleting while listing would move the listing's ground; each round lists the first
        // page again until nothing is left (or only refused keys are).
        let mut token = None;
        loop {
            job.check()?;
            let page = self
                .on_bucket(account, &path.bucket, |client| {
                    let (scope, token) = (&scope, token.clone());
                    async move { list_page(&client, account, scope, token, BATCH as i32).await }
                })
                .await?;
            let keys: Vec<Doomed> = page
                .entries
                .iter()
                .map(|e| Doomed::key(e.key.clone(), Some(e.size)))
                .collect();
            let refused_before = report.failed.len();
            self.delete_keys(account, path, keys, job, report).await?;
            // Refused keys stay listed: step past them instead of listing them forever.
            if report.failed.len() > refused_before {
                token = page.next.clone();
                if token.is_none() {
                    return Ok(());
                }
            } else if page.next.is_none() {
                return Ok(());
            }
        }
    }

    /// Deletes `keys` (objects, or versions of them) from `path`'s bucket in batches; keys the
    /// server refuses are added to the report's failures.
    pub(crate) async fn delete_keys(
        &self,
        account: &Account,
        path: &RemotePath,
        keys: Vec<Doomed>,
        job: &JobHandle,
        report: &mut DeleteReport,
    ) -> Result<()> {
        // DeleteObjects names keys in an XML body, which cannot carry control characters:
        // those keys go one by one (DeleteObject names the key in the URL).
        let (keys, unsafe_keys): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .partition(|d| !d.key.chars().any(char::is_control));
        for Doomed {
            key,
            version,
            size,
            etag,
        } in unsafe_keys
        {
            job.check()?;
            check_key(&key)?;
            let deleted = self
                .on_bucket(account, &path.bucket, |client| {
                    let (key, version) = (key.clone(), version.clone());
                    let if_match = etag.as_ref().map(|e| format!("\"{e}\""));
                    async move {
                        match client
                            .delete_object()
                            .bucket(&path.bucket)
                            .key(key)
                            .set_version_id(version)
                            .set_if_match(if_match)
                            .send()
                            .await
                        {
                            Ok(_) => Ok(Ok(())),
                            Err(err) => match s3::service_code(&err) {
                                Some(code @ ("PreconditionFailed" | "NoSuchKey")) => {
                                    Ok(Err(code.to_string()))
                                }
                                _ => Err(s3::error_from_sdk(&err, &account.label())),
                            },
                        }
                    }
                })
                .await?;
            match deleted {
                Ok(()) => {
                    report.deleted += 1;
                    report.bytes += size.unwrap_or(0);
                }
                // Asked to delete only a version that another writer already deleted: gone.
                Err(code) if code == "NoSuchKey" => {}
                Err(code) => report.failed.push(refusal(&key, &code, "")),
            }
        }
        for batch in keys.chunks(BATCH) {
            job.check()?;
            for doomed in batch {
                check_key(&doomed.key)?;
            }
            let objects: Vec<ObjectIdentifier> = batch
                .iter()
                .map(|d| {
                    ObjectIdentifier::builder()
                        .key(&d.key)
                        .set_version_id(d.version.clone())
                        .set_e_tag(d.etag.clone())
                        .build()
                })
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::invalid("key", e.to_string(), "Check the key."))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| Error::invalid("key", e.to_string(), "Check the key."))?;
            let answer = self
                .on_bucket(account, &path.bucket, |client| {
                    let delete = delete.clone();
                    async move {
                        client
                            .delete_objects()
                            .bucket(&path.bucket)
                            .delete(delete)
                            .send()
                            .await
                            .map_err(|e| s3::error_from_sdk(&e, &account.label()))
                    }
                })
                .await?;
            let refused: Vec<DeleteFailure> = answer
                .errors()
                .iter()
                .map(|e| {
                    let key = e.key().unwrap_or_default();
                    refusal(
                        key,
                        e.code().unwrap_or("Unknown"),
                        e.message().unwrap_or_default(),
                    )
                })
                .collect();
            for doomed in batch {
                if !refused.iter().any(|r| r.key == doomed.key) {
                    report.deleted += 1;
                    report.bytes += doomed.size.unwrap_or(0);
                }
            }
            // Asked to delete only a version that another writer already deleted: gone.
            report
                .failed
                .extend(refused.into_iter().filter(|r| r.code != "NoSuchKey"));
            job.report(Event::JobProgress {
                job: job.id,
                profile: path.profile.clone(),
                action: "delete".into(),
                done: report.deleted,
                items: None,
                bytes: report.bytes,
                total: None,
            });
        }
        Ok(())
    }
}
