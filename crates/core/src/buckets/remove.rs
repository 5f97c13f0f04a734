//! Deleting a bucket: refused while it holds objects, unless forced, which empties it first
//! (object versions and unfinished multipart uploads included where the server lists them).

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use serde::Serialize;

use super::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle, JobId};
use crate::s3::{self, Account};

/// Keys per DeleteObjects request (S3's maximum).
const DELETE_BATCH: i32 = 1000;

/// What a delete did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct BucketDeleted {
    pub profile: String,
    pub bucket: String,
    /// Objects, versions and unfinished uploads removed first (with `force`).
    pub emptied: u32,
}

impl Engine {
    /// Starts a delete as a job (emptying a big bucket takes a while) and returns its id.
    pub fn bucket_delete_start(&self, profile: &str, bucket: &str, force: bool) -> Result<JobId> {
        check_name(bucket, false)?;
        let (engine, name, bucket) = (self.clone(), profile.to_string(), bucket.to_string());
        Ok(self.jobs().spawn(
            format!("delete:{profile}:{bucket}:{force}"),
            name.clone(),
            |job| async move {
                engine
                    .bucket_delete(&name, &bucket, force, &job)
                    .await
                    .map(drop)
            },
        ))
    }

    /// Deletes `bucket`. Without `force` a bucket holding objects is refused with how many it
    /// holds at least; with it, the bucket is emptied first. Listed or not, the catalog
    /// follows.
    pub async fn bucket_delete(
        &self,
        profile: &str,
        bucket: &str,
        force: bool,
        job: &JobHandle,
    ) -> Result<BucketDeleted> {
        check_name(bucket, false)?;
        let account = self.account(profile).await?;
        let label = account.label();
        let emptied = self
            .on_bucket(&account, bucket, |client| {
                let (label, account) = (label.clone(), &account);
                async move {
                    if force {
                        empty(&client, account, bucket, job).await
                    } else {
                        refuse_if_holding_objects(&client, bucket, &label).await?;
                        Ok(0)
                    }
                }
            })
            .await?;
        self.on_bucket(&account, bucket, |client| {
            let label = label.clone();
            async move {
                client
                    .delete_bucket()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| s3::error_from_sdk(&e, &label))
            }
        })
        .await?;
        self.forget_bucket(&account, bucket).await?;
        Ok(BucketDeleted {
            profile: account.profile.name.clone(),
            bucket: bucket.to_string(),
            emptied,
        })
    }
}

async fn refuse_if_holding_objects(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    label: &str,
) -> Result<()> {
    let page = first_objects(client, bucket, label).await?;
    let count = page.contents().len();
    if count == 0 {
        return Ok(());
    }
    let at_least = if page.is_truncated() == Some(true) {
        "at least "
    } else {
        ""
    };
    let plural = if count == 1 { "" } else { "s" };
    Err(Error::new(
        ErrorCode::BucketNotEmpty,
        format!("The bucket \"{bucket}\" is not empty: it holds {at_least}{count} object{plural}."),
        "Delete its objects first, or delete with --force (in the app: type the bucket's name to confirm) to empty it, then delete it.",
    ))
}

/// The first page (up to a delete batch) of the bucket's objects.
async fn first_objects(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    label: &str,
) -> Result<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output> {
    client
        .list_objects_v2()
        .bucket(bucket)
        .max_keys(DELETE_BATCH)
        .send()
        .await
        .map_err(|e| s3::error_from_sdk(&e, label))
}

/// Removes every object version, object and unfinished upload; returns how many.
async fn empty(
    client: &aws_sdk_s3::Client,
    account: &Account,
    bucket: &str,
    job: &JobHandle,
) -> Result<u32> {
    let label = account.label();
    let mut deleted = 0u32;
    let report = |deleted| {
        job.report(Event::BucketEmptyProgress {
            job: job.id,
            profile: account.profile.name.clone(),
            bucket: bucket.to_string(),
            deleted,
        })
    };
    // Versions first: on a versioned bucket, deleting plain keys only adds delete markers.
    // Each round lists from the start, since what was listed is gone.
    let mut versions_listable = true;
    loop {
        job.check()?;
        let batch = if versions_listable {
            match client
                .list_object_versions()
                .bucket(bucket)
                .max_keys(DELETE_BATCH)
                .send()
                .await
            {
                Ok(page) => page
                    .versions()
                    .iter()
                    .map(|v| (v.key(), v.version_id()))
                    .chain(
                        page.delete_markers()
                            .iter()
                            .map(|m| (m.key(), m.version_id())),
                    )
                    .filter_map(|(key, version)| Some(identifier(key?, version)))
                    .collect(),
                Err(err) if s3::is_not_implemented(&err) => {
                    tracing::info!(bucket, endpoint = %label, "the server cannot list object versions; deleting the objects it lists");
                    versions_listable = false;
                    continue;
                }
                Err(err) => return Err(s3::error_from_sdk(&err, &label)),
            }
        } else {
            first_objects(client, bucket, &label)
                .await?
                .contents()
                .iter()
                .filter_map(|o| Some(identifier(o.key()?, None)))
                .collect::<Vec<_>>()
        };
        if batch.is_empty() {
            break;
        }
        deleted += delete_batch(client, bucket, batch, &label).await?;
        report(deleted);
    }
    // Unfinished multipart uploads keep a bucket from being deleted on most servers.
    loop {
        job.check()?;
        let page = match client.list_multipart_uploads().bucket(bucket).send().await {
            Ok(page) => page,
            Err(err) if s3::is_not_implemented(&err) => {
                tracing::info!(bucket, endpoint = %label, "the server cannot list multipart uploads; none aborted");
                break;
            }
            Err(err) => return Err(s3::error_from_sdk(&err, &label)),
        };
        if page.uploads().is_empty() {
            break;
        }
        for upload in page.uploads() {
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                continue;
            };
            match client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(id)
                .send()
                .await
            {
                Ok(_) => deleted += 1,
                // Gone meanwhile: what we wanted.
                Err(err) if s3::service_code(&err) == Some("NoSuchUpload") => {}
                Err(err) => return Err(s3::error_from_sdk(&err, &label)),
            }
        }
        report(deleted);
    }
    Ok(deleted)
}

fn identifier(key: &str, version: Option<&str>) -> ObjectIdentifier {
    ObjectIdentifier::builder()
        .key(key)
        .set_version_id(version.map(str::to_string))
        .build()
        .expect("key is set")
}

/// Deletes one batch with DeleteObjects; a key the server refuses fails the whole delete,
/// naming it (so emptying never loops on an undeletable key).
async fn delete_batch(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    batch: Vec<ObjectIdentifier>,
    label: &str,
) -> Result<u32> {
    let count = batch.len() as u32;
    let delete = Delete::builder()
        .set_objects(Some(batch))
        .quiet(true)
        .build()
        .map_err(|e| {
            Error::new(
                ErrorCode::S3,
                format!("The delete request could not be built: {e}."),
                "Report this as a bug.",
            )
        })?;
    let out = client
        .delete_objects()
        .bucket(bucket)
        .delete(delete)
        .send()
        .await
        .map_err(|e| s3::error_from_sdk(&e, label))?;
    if let Some(failed) = out.errors().first() {
        return Err(Error::new(
            ErrorCode::S3,
            format!(
                "{label} refused to delete \"{}\" from \"{bucket}\" ({}: {}).",
                failed.key().unwrap_or("?"),
                failed.code().unwrap_or("?"),
                failed.message().unwrap_or("")
            ),
            "Check that the key may delete objects in this bucket (and that no object lock holds them).",
        ));
    }
    Ok(count)
}
