//! Multipart uploads left open in a bucket: each holds parts the provider bills for until it
//! is completed or aborted. Listed with their size so far and age, and which (if any) a
//! Strata job will resume; aborted on request.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::JobId;
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// An incomplete multipart upload.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct OpenUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was started (RFC 3339, UTC), as the server says.
    pub initiated: Option<String>,
    pub parts: u32,
    /// Bytes of the parts uploaded so far.
    #[specta(type = u32)] // a TS number: sizes stay far below 2^53
    pub bytes: u64,
    /// The Strata job that resumes it; `None` for an upload Strata does not own.
    pub job: Option<JobId>,
}

/// An open upload as ListMultipartUploads names it.
struct Listed {
    key: String,
    upload_id: String,
    initiated: Option<String>,
}

impl Engine {
    /// The open multipart uploads under `path` (a bucket, or a bucket and a key prefix).
    pub async fn uploads_open(&self, path: &RemotePath) -> Result<Vec<OpenUpload>> {
        let account = self.account(&path.profile).await?;
        let listed = self.list_open(&account, path).await?;
        let ids: Vec<String> = listed.iter().map(|u| u.upload_id.clone()).collect();
        let owners = self
            .blocking(move |conn, _| super::checkpoint::owners(conn, &ids))
            .await?;
        let label = account.label();
        let mut open = Vec::with_capacity(listed.len());
        for upload in listed {
            let parts = self
                .on_bucket(&account, &path.bucket, |client| {
                    let (label, upload) = (label.clone(), &upload);
                    async move {
                        listed_parts(
                            &client,
                            &path.bucket,
                            &upload.key,
                            &upload.upload_id,
                            &label,
                        )
                        .await
                    }
                })
                .await?;
            open.push(OpenUpload {
                job: owners.get(&upload.upload_id).copied(),
                key: upload.key,
                upload_id: upload.upload_id,
                initiated: upload.initiated,
                parts: parts.len() as u32,
                bytes: parts.values().map(|(_, size)| size).sum(),
            });
        }
        Ok(open)
    }

    /// ListMultipartUploads under `path`, every page.
    async fn list_open(&self, account: &Account, path: &RemotePath) -> Result<Vec<Listed>> {
        crate::buckets::check_name(&path.bucket, false)?;
        let label = account.label();
        self.on_bucket(account, &path.bucket, |client| {
            let label = label.clone();
            async move {
                let mut uploads = Vec::new();
                let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
                loop {
                    let page = client
                        .list_multipart_uploads()
                        .bucket(&path.bucket)
                        .prefix(&path.key)
                        .set_key_marker(key_marker.clone())
                        .set_upload_id_marker(id_marker.clone())
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &label))?;
                    for upload in page.uploads() {
                        if let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) {
                            uploads.push(Listed {
                                key: key.to_string(),
                                upload_id: id.to_string(),
                                initiated: upload
                                    .initiated()
                                    .map(|t| crate::buckets::rfc3339(t.secs())),
                            });
                        }
                    }
                    let next = (
                        page.next_key_marker().map(str::to_string),
                        page.next_upload_id_marker().map(str::to_string),
                    );
                    if page.is_truncated() != Some(true)
                        || next.0.is_none()
                        || (next.0.clone(), next.1.clone())
                            == (key_marker.clone(), id_marker.clone())
                    {
                        return Ok(uploads);
                    }
                    (key_marker, id_marker) = next;
                }
            }
        })
        .await
    }

    /// Aborts the open uploads of exactly `path`'s key (only `upload_id` when given); returns
    /// how many. A job that owned one starts over when resumed.
    pub async fn uploads_abort(&self, path: &RemotePath, upload_id: Option<&str>) -> Result<u32> {
        let account = self.account(&path.profile).await?;
        let doomed: Vec<Listed> = self
            .list_open(&account, path)
            .await?
            .into_iter()
            .filter(|u| u.key == path.key && upload_id.is_none_or(|id| id == u.upload_id))
            .collect();
        if doomed.is_empty() {
            return Err(Error::new(
                ErrorCode::NoSuchUpload,
                format!(
                    "{path} has no open upload{}.",
                    upload_id.map(|id| format!(" {id}")).unwrap_or_default()
                ),
                "List them with `strata uploads ls PROFILE:BUCKET`.",
            ));
        }
        let label = account.label();
        for upload in &doomed {
            self.on_bucket(&account, &path.bucket, |client| {
                let label = label.clone();
                async move {
                    client
                        .abort_multipart_upload()
                        .bucket(&path.bucket)
                        .key(&upload.key)
                        .upload_id(&upload.upload_id)
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &label))
                }
            })
            .await?;
        }
        Ok(doomed.len() as u32)
    }
}

/// The parts an open upload holds, by number: ETag and size (ListParts, every page).
pub(super) async fn listed_parts(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    label: &str,
) -> Result<BTreeMap<u32, (String, u64)>> {
    let mut parts = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker.clone())
            .send()
            .await
            .map_err(|e| s3::error_from_sdk(&e, label))?;
        for part in page.parts() {
            if let Some(number) = part.part_number() {
                let etag = part.e_tag().unwrap_or_default().to_string();
                parts.insert(
                    number as u32,
                    (etag, part.size().unwrap_or(0).max(0) as u64),
                );
            }
        }
        match page
            .next_part_number_marker()
            .filter(|_| page.is_truncated() == Some(true))
        {
            Some(next) if Some(next) != marker.as_deref() => marker = Some(next.to_string()),
            _ => return Ok(parts),
        }
    }
}
