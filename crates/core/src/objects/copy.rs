//! Copy, move and rename, within a bucket, across buckets and across profiles.
//!
//! Within one profile the server copies (CopyObject; UploadPartCopy above 5 GiB). Across
//! profiles the bytes stream through Strata, one part at a time, so memory stays bounded
//! whatever the size. Every copy is verified against the source (size, and the MD5 ETag where
//! both sides have one) before anything else happens; a move deletes its sources only after
//! every copy of the move verified, so a failed copy never loses a source.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective, StorageClass};
use md5::{Digest, Md5};
use serde::Serialize;

use super::etag::{is_md5, md5_hex, multipart_etag};
use super::{check_key, head_error};
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::remote::RemotePath;
use crate::s3::moving::{BodySigning, send_body, server_work, unbounded};
use crate::s3::{self, Account};

/// The largest object CopyObject copies in one request.
const SINGLE_COPY_MAX: u64 = 5 << 30;
/// Part size for server-side copies of larger objects.
const COPY_PART: u64 = 512 << 20;
/// Part size (and so the memory held) for copies streamed through Strata.
const STREAM_PART: u64 = 16 << 20;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CopyReport {
    pub source: String,
    pub target: String,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub objects: u64,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub bytes: u64,
    /// The sources were deleted after every copy verified.
    pub moved: bool,
}

/// One object to copy: where from, where to, and what the source listing said.
pub(crate) struct CopyItem {
    pub source_key: String,
    pub target_key: String,
    pub size: u64,
    pub etag: Option<String>,
}

/// The folder a key (or a folder's key) is in.
fn parent(key: &str) -> &str {
    key.trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(folder, _)| folder)
}

/// `bucket/key`, percent-encoded, for the x-amz-copy-source header.
pub(super) fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", super::url_encode(key.as_bytes()))
}

/// Where a copy of `source` lands when the target is `target`: inside it when the target is
/// a folder (ends with `/`, or is a bucket root), else under the target's exact name.
fn target_base(source: &RemotePath, target: &RemotePath) -> String {
    let name = source.name();
    let folder = if source.is_folder() { "/" } else { "" };
    if target.is_folder() {
        format!("{}{name}{folder}", target.key)
    } else {
        format!("{}{folder}", target.key)
    }
}

impl Engine {
    /// Copies `source` (an object, or a folder with everything under it) to `target`; with
    /// `remove_source`, a move: the sources are deleted once every copy verified. Renaming is
    /// a move within one folder.
    pub async fn objects_copy(
        &self,
        source: &RemotePath,
        target: &RemotePath,
        remove_source: bool,
        job: &JobHandle,
    ) -> Result<CopyReport> {
        check_name(&source.bucket, false)?;
        check_name(&target.bucket, false)?;
        let base = target_base(source, target);
        let landing = RemotePath {
            key: base.clone(),
            ..target.clone()
        };
        let same_place = source.profile == target.profile && source.bucket == target.bucket;
        if same_place && source.key == base {
            return Err(Error::invalid(
                "path",
                format!("{source} would be copied onto itself."),
                "Choose another target folder or name.",
            ));
        }
        if same_place && source.is_folder() && base.starts_with(&source.key) {
            return Err(Error::invalid(
                "path",
                format!("{source} cannot be copied into itself ({landing})."),
                "Choose a target outside the folder.",
            ));
        }
        let from = self.account(&source.profile).await?;
        let to = self.account(&target.profile).await?;
        let renamed = same_place && parent(&source.key) == parent(&base);
        let action = match (remove_source, renamed) {
            (true, true) => "rename",
            (true, false) => "move",
            (false, _) => "copy",
        };
        let outcome = self
            .copy_all(&from, &to, source, target, &base, remove_source, job)
            .await;
        let record = Record::new(action, &source.to_string()).target(&landing.to_string());
        let record = match &outcome {
            Ok(report) => record.counts(report.objects, report.bytes),
            Err(_) => record.counts(0, 0),
        };
        self.log_activity(record.outcome_of(&outcome)).await;
        for path in [source, target] {
            self.jobs().emit(Event::ObjectsChanged {
                profile: path.profile.clone(),
                bucket: path.bucket.clone(),
            });
        }
        let mut report = outcome?;
        report.source = source.to_string();
        report.target = landing.to_string();
        Ok(report)
    }

    #[allow(clippy::too_many_arguments)]
    async fn copy_all(
        &self,
        from: &Account,
        to: &Account,
        source: &RemotePath,
        target: &RemotePath,
        base: &str,
        remove_source: bool,
        job: &JobHandle,
    ) -> Result<CopyReport> {
        let pairs = self.pairs(from, source, base, job).await?;
        if pairs.is_empty() {
            return Err(super::no_such_key(
                &source.profile,
                &source.bucket,
                &source.key,
            ));
        }
        let mut report = CopyReport {
            source: String::new(),
            target: String::new(),
            objects: 0,
            bytes: 0,
            moved: false,
        };
        for pair in &pairs {
            job.check()?;
            check_key(&pair.target_key)?;
            self.copy_one(from, to, source, target, pair, None, job)
                .await?;
            report.objects += 1;
            report.bytes += pair.size;
            job.report(Event::JobProgress {
                job: job.id,
                profile: target.profile.clone(),
                action: if remove_source { "move" } else { "copy" }.into(),
                done: u32::try_from(report.objects).unwrap_or(u32::MAX),
                items: None,
                bytes: report.bytes,
                total: None,
            });
        }
        if remove_source {
            let sources: Vec<RemotePath> = pairs
                .iter()
                .map(|p| RemotePath {
                    key: p.source_key.clone(),
                    ..source.clone()
                })
                .collect();
            let deleted = self.delete_exact(from, source, sources, job).await?;
            if !deleted.failed.is_empty() {
                return Err(Error::new(
                    ErrorCode::S3,
                    format!(
                        "Every object was copied, but {} source object(s) could not be deleted (first: {} {}).",
                        deleted.failed.len(),
                        deleted.failed[0].key,
                        deleted.failed[0].code
                    ),
                    "The copies are complete; delete the sources by hand or try the move again.",
                ));
            }
            report.moved = true;
        }
        Ok(report)
    }

    /// Deletes exactly these keys (a move's sources), never a whole prefix.
    pub(crate) async fn delete_exact(
        &self,
        account: &Account,
        source: &RemotePath,
        keys: Vec<RemotePath>,
        job: &JobHandle,
    ) -> Result<super::DeleteReport> {
        let mut report = super::DeleteReport::default();
        let keys = keys
            .into_iter()
            .map(|p| super::remove::Doomed::key(p.key, None))
            .collect();
        self.delete_keys(account, source, keys, job, &mut report)
            .await?;
        Ok(report)
    }

    /// The objects to copy: the one object, or every key under the folder.
    async fn pairs(
        &self,
        account: &Account,
        source: &RemotePath,
        base: &str,
        job: &JobHandle,
    ) -> Result<Vec<CopyItem>> {
        if !source.is_folder() {
            let head = self
                .object_head(&source.profile, &source.bucket, &source.key)
                .await?;
            return Ok(vec![CopyItem {
                source_key: source.key.clone(),
                target_key: base.to_string(),
                size: head.size,
                etag: head.etag,
            }]);
        }
        Ok(self
            .objects_under(account, &source.bucket, &source.key, job)
            .await?
            .into_iter()
            .map(|entry| CopyItem {
                target_key: format!("{base}{}", entry.name),
                source_key: entry.key,
                size: entry.size,
                etag: entry.etag,
            })
            .collect())
    }

    /// Copies one object from `source`'s bucket to `target`'s (on the server within one
    /// profile, streamed through Strata across profiles), in storage class `class` where
    /// given, and verifies the copy before it returns the ETag it got.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn copy_one(
        &self,
        from: &Account,
        to: &Account,
        source: &RemotePath,
        target: &RemotePath,
        item: &CopyItem,
        class: Option<&str>,
        job: &JobHandle,
    ) -> Result<Option<String>> {
        if source.profile == target.profile {
            self.copy_on_server(to, source, target, item, class, job)
                .await
        } else {
            self.copy_streamed(from, to, source, target, item, class, job)
                .await
        }
    }

    async fn copy_on_server(
        &self,
        to: &Account,
        source: &RemotePath,
        target: &RemotePath,
        pair: &CopyItem,
        class: Option<&str>,
        job: &JobHandle,
    ) -> Result<Option<String>> {
        let from_header = copy_source(&source.bucket, &pair.source_key);
        self.on_bucket(to, &target.bucket, |client| {
            let from_header = from_header.clone();
            async move {
                if pair.size <= SINGLE_COPY_MAX {
                    let copy = client
                        .copy_object()
                        .bucket(&target.bucket)
                        .key(&pair.target_key)
                        .copy_source(from_header)
                        .metadata_directive(MetadataDirective::Copy)
                        .set_storage_class(class.map(StorageClass::from))
                        .customize();
                    server_work(copy)
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &to.label()))?;
                    return Ok(());
                }
                let parts = pair
                    .size
                    .div_ceil(COPY_PART.max(pair.size.div_ceil(10_000)));
                let part_size = pair.size.div_ceil(parts);
                let create = client
                    .create_multipart_upload()
                    .bucket(&target.bucket)
                    .key(&pair.target_key)
                    .set_storage_class(class.map(StorageClass::from));
                multipart(
                    create,
                    &client,
                    to,
                    &target.bucket,
                    &pair.target_key,
                    job,
                    |number, upload_id| {
                        let client = client.clone();
                        let from_header = from_header.clone();
                        let start = (u64::from(number) - 1) * part_size;
                        let end = (start + part_size).min(pair.size) - 1;
                        async move {
                            if start >= pair.size {
                                return Ok(None);
                            }
                            let copy = client
                                .upload_part_copy()
                                .bucket(&target.bucket)
                                .key(&pair.target_key)
                                .upload_id(upload_id)
                                .part_number(number as i32)
                                .copy_source(from_header)
                                .copy_source_range(format!("bytes={start}-{end}"))
                                .customize();
                            let part = server_work(copy)
                                .send()
                                .await
                                .map_err(|e| s3::error_from_sdk(&e, &to.label()))?;
                            Ok(part
                                .copy_part_result()
                                .and_then(|r| r.e_tag())
                                .map(str::to_string))
                        }
                    },
                )
                .await
            }
        })
        .await?;
        self.verify(to, target, pair, pair.etag.clone(), class)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn copy_streamed(
        &self,
        from: &Account,
        to: &Account,
        source: &RemotePath,
        target: &RemotePath,
        pair: &CopyItem,
        class: Option<&str>,
        job: &JobHandle,
    ) -> Result<Option<String>> {
        let object = self
            .on_bucket(from, &source.bucket, |client| async move {
                client
                    .get_object()
                    .bucket(&source.bucket)
                    .key(&pair.source_key)
                    .send()
                    .await
                    .map_err(|e| s3::error_from_sdk(&e, &from.label()))
            })
            .await?;
        let content_type = object.content_type().map(str::to_string);
        let metadata = object.metadata().cloned();
        let mut reader = PartReader {
            body: object.body,
            pending: bytes::BytesMut::new(),
        };
        let whole = Md5::new();
        let expected_etag = if pair.size <= STREAM_PART {
            let data = reader.take(STREAM_PART as usize, job).await?;
            check_length(data.len() as u64, pair.size)?;
            let digest = md5_hex(&Md5::digest(&data));
            let signing = BodySigning::of(&data, to.profile.bodies_arrive_intact()).await;
            let label = to.label();
            self.on_bucket(to, &target.bucket, |client| {
                let (data, content_type, metadata) =
                    (data.clone(), content_type.clone(), metadata.clone());
                let signing = &signing;
                send_body(&label, data, move |body| {
                    let put = client
                        .put_object()
                        .bucket(&target.bucket)
                        .key(&pair.target_key)
                        .set_content_type(content_type.clone())
                        .set_metadata(metadata.clone())
                        .set_storage_class(class.map(StorageClass::from))
                        .body(body)
                        .customize();
                    let put = unbounded(put, signing);
                    async move {
                        put.send()
                            .await
                            .map_err(|e| s3::error_from_sdk(&e, &to.label()))
                    }
                })
            })
            .await?;
            digest
        } else {
            let client = self
                .bucket_client(to, &target.bucket, crate::s3::region::BUCKET_ATTEMPTS)
                .await?;
            let reader = tokio::sync::Mutex::new((reader, Vec::<[u8; 16]>::new(), whole, 0u64));
            let create = client
                .create_multipart_upload()
                .bucket(&target.bucket)
                .key(&pair.target_key)
                .set_content_type(content_type)
                .set_metadata(metadata)
                .set_storage_class(class.map(StorageClass::from));
            multipart(
                create,
                &client,
                to,
                &target.bucket,
                &pair.target_key,
                job,
                |number, upload_id| {
                    let (client, reader) = (client.clone(), &reader);
                    async move {
                        let mut state = reader.lock().await;
                        let data = state.0.take(STREAM_PART as usize, job).await?;
                        if data.is_empty() {
                            return Ok(None);
                        }
                        state.3 += data.len() as u64;
                        state.1.push(Md5::digest(&data).into());
                        let intact = to.profile.bodies_arrive_intact();
                        let signing = BodySigning::of(&data, intact).await;
                        let part = send_body(&to.label(), data, |body| {
                            let part = client
                                .upload_part()
                                .bucket(&target.bucket)
                                .key(&pair.target_key)
                                .upload_id(&upload_id)
                                .part_number(number as i32)
                                .body(body)
                                .customize();
                            let part = unbounded(part, &signing);
                            async move {
                                part.send()
                                    .await
                                    .map_err(|e| s3::error_from_sdk(&e, &to.label()))
                            }
                        })
                        .await?;
                        Ok(part.e_tag().map(str::to_string))
                    }
                },
            )
            .await?;
            let state = reader.into_inner();
            check_length(state.3, pair.size)?;
            multipart_etag(&state.1)
        };
        // The bytes read must be the source's (where its ETag is their MD5)...
        if let Some(etag) = pair.etag.as_deref().filter(|e| is_md5(e))
            && pair.size <= STREAM_PART
            && !etag.eq_ignore_ascii_case(&expected_etag)
        {
            return Err(mismatch(
                target,
                pair,
                "the bytes read differ from the source's MD5",
            ));
        }
        // ...and the target must hold exactly the bytes sent.
        self.verify(to, target, pair, Some(expected_etag), class)
            .await
    }

    /// Checks the copy at `target`: the size, the ETag where `expected` is comparable, and
    /// the storage class where one was asked for.
    async fn verify(
        &self,
        to: &Account,
        target: &RemotePath,
        pair: &CopyItem,
        expected: Option<String>,
        class: Option<&str>,
    ) -> Result<Option<String>> {
        let head = self
            .on_bucket(to, &target.bucket, |client| async move {
                client
                    .head_object()
                    .bucket(&target.bucket)
                    .key(&pair.target_key)
                    .send()
                    .await
                    .map_err(|e| head_error(&e, to, &target.bucket, &pair.target_key))
            })
            .await
            .map_err(|err| match err.code {
                ErrorCode::NoSuchKey => mismatch(target, pair, "the copy is missing"),
                _ => err,
            })?;
        let size = head.content_length().unwrap_or(-1).max(0) as u64;
        if size != pair.size {
            return Err(mismatch(
                target,
                pair,
                &format!("{size} bytes instead of {}", pair.size),
            ));
        }
        let stored = head
            .e_tag()
            .map(|e| e.trim_matches('"').to_ascii_lowercase());
        if let (Some(stored), Some(expected)) = (stored, expected.map(|e| e.to_ascii_lowercase()))
            && (is_md5(&stored) && is_md5(&expected)
                || stored.contains('-') && expected.contains('-'))
            && stored != expected
        {
            return Err(mismatch(target, pair, "its ETag differs"));
        }
        let kept = head.storage_class().map_or("STANDARD", |c| c.as_str());
        if let Some(class) = class.filter(|&class| class != kept) {
            return Err(class_not_kept(to, class, kept));
        }
        Ok(head.e_tag().map(|e| e.trim_matches('"').to_string()))
    }
}

/// The server stored a copy in another class than asked: it does not have that class.
fn class_not_kept(to: &Account, class: &str, kept: &str) -> Error {
    Error::new(
        ErrorCode::Unsupported,
        format!(
            "{} did not keep the storage class {class} (the copy is {kept}); no source was deleted.",
            to.label()
        ),
        "This server does not offer that class: archive to another bucket, or choose a class it lists.",
    )
}

fn check_length(read: u64, size: u64) -> Result<()> {
    if read == size {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::S3,
        format!("The source sent {read} bytes of {size}; nothing was deleted."),
        "The source may have changed during the copy; try again.",
    )
    .with_retry(crate::error::Retry::Transient))
}

fn mismatch(target: &RemotePath, pair: &CopyItem, what: &str) -> Error {
    Error::new(
        ErrorCode::S3,
        format!(
            "The copy at {} does not match its source ({what}); no source was deleted.",
            crate::remote::display(&target.profile, &target.bucket, &pair.target_key)
        ),
        "Try again; if it persists, the target server may be altering objects.",
    )
}

/// Reads a streamed body in parts of a fixed size.
struct PartReader {
    body: ByteStream,
    pending: bytes::BytesMut,
}

impl PartReader {
    /// Up to `size` bytes (fewer only at the end of the body).
    async fn take(&mut self, size: usize, job: &JobHandle) -> Result<bytes::Bytes> {
        while self.pending.len() < size {
            job.check()?;
            match self.body.next().await {
                Some(Ok(chunk)) => self.pending.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(super::body_interrupted(
                        "Reading the source",
                        e,
                        "Try again; no source was deleted.",
                    ));
                }
                None => break,
            }
        }
        let n = size.min(self.pending.len());
        Ok(self.pending.split_to(n).freeze())
    }
}

/// Runs the multipart upload `create` starts: `part(number, upload_id)` sends part `number`
/// and returns its ETag, or `None` when there is nothing left. Completes, or aborts on any
/// failure.
async fn multipart<F, Fut>(
    create: aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder,
    client: &aws_sdk_s3::Client,
    account: &Account,
    bucket: &str,
    key: &str,
    job: &JobHandle,
    mut part: F,
) -> Result<()>
where
    F: FnMut(u32, String) -> Fut,
    Fut: Future<Output = Result<Option<String>>>,
{
    let upload = create
        .send()
        .await
        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
    let upload_id = upload.upload_id().unwrap_or_default().to_string();
    let sent = async {
        let mut completed = Vec::new();
        for number in 1..=10_000u32 {
            job.check()?;
            match part(number, upload_id.clone()).await? {
                Some(etag) => completed.push(
                    CompletedPart::builder()
                        .part_number(number as i32)
                        .e_tag(etag)
                        .build(),
                ),
                None => break,
            }
        }
        let complete = client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .customize();
        server_work(complete)
            .send()
            .await
            .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
        Ok(())
    }
    .await;
    if sent.is_err() {
        // Best effort: an upload left behind is listed by `strata uploads ls`.
        let _ = client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .send()
            .await;
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::{copy_source, target_base};
    use crate::remote::RemotePath;

    fn p(text: &str) -> RemotePath {
        RemotePath::parse(text).unwrap()
    }

    #[test]
    fn targets_follow_the_trailing_slash() {
        assert_eq!(target_base(&p("a:b/x/y.jpg"), &p("a:c/")), "y.jpg");
        assert_eq!(target_base(&p("a:b/x/y.jpg"), &p("a:c/in/")), "in/y.jpg");
        assert_eq!(target_base(&p("a:b/x/y.jpg"), &p("a:b/x/z.jpg")), "x/z.jpg");
        assert_eq!(target_base(&p("a:b/x/"), &p("a:c/in/")), "in/x/");
        assert_eq!(target_base(&p("a:b/x/"), &p("a:b/renamed")), "renamed/");
        assert_eq!(target_base(&p("a:b"), &p("a:c/")), "b/");
    }

    #[test]
    fn copy_sources_are_percent_encoded() {
        assert_eq!(copy_source("b", "a b/ü+%.jpg"), "b/a%20b/%C3%BC%2B%25.jpg");
    }
}
