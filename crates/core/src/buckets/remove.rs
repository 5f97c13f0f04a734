//! Deleting a bucket: refused while it holds objects, unless forced, which empties it first
//! (object versions and unfinished multipart uploads included where the server lists them).

use aws_sdk_s3::types::EncodingType;
use serde::Serialize;

use super::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::objects::remove::{DeleteReport, Doomed};
use crate::objects::{Scope, list_page, listing_text};
use crate::remote::RemotePath;
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
                        empty(self, &client, account, bucket, job).await
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

/// Removes every object version, object and unfinished upload; returns how many. Keys are
/// listed URL-encoded and decoded, so every key a server holds (control characters included)
/// is deleted; a key that stays after its delete stops the loop with its name.
async fn empty(
    engine: &Engine,
    client: &aws_sdk_s3::Client,
    account: &Account,
    bucket: &str,
    job: &JobHandle,
) -> Result<u32> {
    let label = account.label();
    let path = RemotePath {
        profile: account.profile.name.clone(),
        bucket: bucket.to_string(),
        key: String::new(),
    };
    let mut report = DeleteReport::default();
    let progress = |deleted| {
        job.report(Event::JobProgress {
            job: job.id,
            profile: account.profile.name.clone(),
            action: "emptying".into(),
            done: deleted,
            items: None,
            bytes: 0,
            total: None,
        })
    };
    // Versions first: on a versioned bucket, deleting plain keys only adds delete markers.
    // Each round lists from the start, since what was listed is gone.
    let mut versions_listable = true;
    let mut previous_first: Option<(String, Option<String>)> = None;
    loop {
        job.check()?;
        let batch = if versions_listable {
            match versions(client, account, bucket).await {
                Ok(batch) => batch,
                Err(err) if s3::is_not_implemented(&err) => {
                    tracing::info!(bucket, endpoint = %label, "the server cannot list object versions; deleting the objects it lists");
                    versions_listable = false;
                    continue;
                }
                Err(err) => return Err(s3::error_from_sdk(&err, &label)),
            }
        } else {
            let scope = Scope {
                bucket,
                prefix: "",
                delimiter: None,
            };
            list_page(client, account, &scope, None, DELETE_BATCH)
                .await?
                .entries
                .into_iter()
                .map(|e| Doomed::key(e.key, Some(e.size)))
                .collect()
        };
        let Some(first) = batch.first().map(|d| (d.key.clone(), d.version.clone())) else {
            break;
        };
        if previous_first.as_ref() == Some(&first) {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "{label} kept \"{}\" in \"{bucket}\" after deleting it.",
                    first.0
                ),
                "Check that the key may delete objects in this bucket (and that no object lock holds them).",
            ));
        }
        previous_first = Some(first);
        engine
            .delete_keys(account, &path, batch, job, &mut report)
            .await?;
        if let Some(failed) = report.failed.first() {
            return Err(Error::new(
                ErrorCode::S3,
                format!(
                    "{label} refused to delete \"{}\" from \"{bucket}\" ({}: {}).",
                    failed.key, failed.code, failed.message
                ),
                "Check that the key may delete objects in this bucket (and that no object lock holds them).",
            ));
        }
        progress(report.deleted);
    }
    let mut deleted = report.deleted;
    // Unfinished multipart uploads keep a bucket from being deleted on most servers.
    loop {
        job.check()?;
        let page = match client
            .list_multipart_uploads()
            .bucket(bucket)
            .encoding_type(EncodingType::Url)
            .send()
            .await
        {
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
        let text = listing_text(client, account, bucket, page.encoding_type()).await;
        for upload in page.uploads() {
            let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
                continue;
            };
            match client
                .abort_multipart_upload()
                .bucket(bucket)
                .key(text(key)?)
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
        progress(deleted);
    }
    Ok(deleted)
}

/// The first page of object versions and delete markers, keys decoded.
async fn versions(
    client: &aws_sdk_s3::Client,
    account: &Account,
    bucket: &str,
) -> std::result::Result<
    Vec<Doomed>,
    aws_sdk_s3::error::SdkError<
        aws_sdk_s3::operation::list_object_versions::ListObjectVersionsError,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
> {
    let page = client
        .list_object_versions()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(DELETE_BATCH)
        .send()
        .await?;
    let text = listing_text(client, account, bucket, page.encoding_type()).await;
    let versions = page
        .versions()
        .iter()
        .map(|v| (v.key(), v.version_id(), v.size()));
    let markers = page
        .delete_markers()
        .iter()
        .map(|m| (m.key(), m.version_id(), None));
    Ok(versions
        .chain(markers)
        .filter_map(|(key, version, size)| {
            Some(Doomed {
                key: text(key?).ok()?,
                version: version.map(str::to_string),
                size: size.map(|s| s.max(0) as u64),
                etag: None,
            })
        })
        .collect())
}
