//! Copy, move and rename, within a bucket, across buckets and across profiles.
//!
//! Within one profile the server copies (CopyObject; UploadPartCopy above 5 GiB), naming the
//! listed ETag (`x-amz-copy-source-if-match`) so a source replaced meanwhile is never copied
//! half old, half new. Across profiles the bytes stream through Strata, one part at a time, so
//! memory stays bounded whatever the size, and are checked against the source's ETag on the
//! way (see [`SourceReader`]). Every copy is then checked at the target (its size, and its
//! ETag against what was written) before anything else happens; a move deletes its sources
//! only after every copy of the move verified, so a failed copy never loses a source.

use std::sync::OnceLock;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, MetadataDirective, StorageClass};
use md5::{Digest, Md5};
use serde::Serialize;

use super::etag::{etag_is_digest, is_md5, md5_hex, multipart_etag, multipart_etag_of_hex};
use super::remove::Doomed;
use super::source_reader::{SourceReader, source_error};
use super::{check_key, head_error};
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::remote::RemotePath;
use crate::s3::moving::{BodySigning, send_body, server_work, unbounded};
use crate::s3::{self, Account};

/// Where a copy changes its way.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CopyLimits {
    /// The largest object CopyObject copies in one request; larger ones go in parts.
    single_copy_max: u64,
    /// Part size for server-side copies of larger objects.
    copy_part: u64,
    /// Part size (and so the memory held) for copies streamed through Strata; a source no
    /// larger goes up in one PUT.
    stream_part: u64,
}

impl CopyLimits {
    const S3: Self = Self {
        single_copy_max: 5 << 30,
        copy_part: 512 << 20,
        stream_part: 16 << 20,
    };

    /// S3's limits, or the ones `STRATA_COPY_LIMITS=SINGLE,PART,STREAM` names in MiB: how a
    /// test takes the paths of objects of many GiB with objects of a few MiB.
    fn get() -> Self {
        static LIMITS: OnceLock<CopyLimits> = OnceLock::new();
        *LIMITS.get_or_init(|| {
            std::env::var("STRATA_COPY_LIMITS")
                .ok()
                .and_then(|text| Self::parse(&text))
                .unwrap_or(Self::S3)
        })
    }

    fn parse(text: &str) -> Option<Self> {
        let mib: Vec<u64> = text
            .split(',')
            .map(|n| {
                n.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n >= 5)
                    .map(|n| n << 20)
            })
            .collect::<Option<_>>()?;
        let [single_copy_max, copy_part, stream_part] = mib[..] else {
            return None;
        };
        Some(Self {
            single_copy_max,
            copy_part,
            stream_part,
        })
    }
}

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
            // Each source only while it is the version that was copied.
            let sources = pairs
                .iter()
                .map(|p| Doomed::key(p.source_key.clone(), None).if_still(p.etag.clone()))
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
        keys: Vec<Doomed>,
        job: &JobHandle,
    ) -> Result<super::DeleteReport> {
        let mut report = super::DeleteReport::default();
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
        let limits = CopyLimits::get();
        let from_header = copy_source(&source.bucket, &pair.source_key);
        let if_match = pair
            .etag
            .as_ref()
            .map(|e| format!("\"{}\"", e.trim_matches('"')));
        let from = RemotePath {
            key: pair.source_key.clone(),
            ..source.clone()
        };
        let written = self
            .on_bucket(to, &target.bucket, |client| {
                let (from_header, if_match, from) = (from_header.clone(), if_match.clone(), &from);
                async move {
                    if pair.size <= limits.single_copy_max {
                        let copy = client
                            .copy_object()
                            .bucket(&target.bucket)
                            .key(&pair.target_key)
                            .copy_source(from_header)
                            .set_copy_source_if_match(if_match)
                            .metadata_directive(MetadataDirective::Copy)
                            .set_storage_class(class.map(StorageClass::from))
                            .customize();
                        let copied = server_work(copy)
                            .send()
                            .await
                            .map_err(|e| source_error(&e, to, from))?;
                        let etag = copied.copy_object_result().and_then(|r| r.e_tag());
                        return Ok(Written {
                            etag: etag.map(str::to_string),
                            content: None,
                        });
                    }
                    let part_size = limits.copy_part.max(pair.size.div_ceil(10_000));
                    let create = client
                        .create_multipart_upload()
                        .bucket(&target.bucket)
                        .key(&pair.target_key)
                        .set_storage_class(class.map(StorageClass::from));
                    let sent = multipart(
                        create,
                        &client,
                        to,
                        &target.bucket,
                        &pair.target_key,
                        job,
                        |number, upload_id| {
                            let client = client.clone();
                            let (from_header, if_match) = (from_header.clone(), if_match.clone());
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
                                    .set_copy_source_if_match(if_match)
                                    .customize();
                                let part = server_work(copy)
                                    .send()
                                    .await
                                    .map_err(|e| source_error(&e, to, from))?;
                                Ok(part
                                    .copy_part_result()
                                    .and_then(|r| r.e_tag())
                                    .map(str::to_string))
                            }
                        },
                    )
                    .await?;
                    // Each part's ETag is the MD5 of the bytes the server copied into it (where
                    // it makes ETags from MD5s): the copy must be the object those parts make,
                    // whatever part layout the source had.
                    let part_etags: Vec<&str> =
                        sent.parts.iter().map(|e| e.trim_matches('"')).collect();
                    let content = part_etags
                        .iter()
                        .all(|e| is_md5(e))
                        .then(|| multipart_etag_of_hex(part_etags));
                    Ok(Written {
                        etag: sent.etag,
                        content,
                    })
                }
            })
            .await?;
        self.verify(to, target, pair, written, class).await
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
        let stream_part = CopyLimits::get().stream_part;
        let reading = self
            .bucket_client(from, &source.bucket, crate::s3::region::BUCKET_ATTEMPTS)
            .await?;
        let from_path = RemotePath {
            key: pair.source_key.clone(),
            ..source.clone()
        };
        let mut reader = SourceReader::open(reading, from, from_path, pair.etag.as_deref()).await?;
        let content_type = reader.content_type.clone();
        let metadata = reader.metadata.clone();
        let written = if pair.size <= stream_part {
            let data = reader.take(stream_part as usize + 1, job).await?;
            reader.check(pair.size)?;
            let content = md5_hex(&Md5::digest(&data));
            let signing = BodySigning::of(&data, to.profile.bodies_arrive_intact()).await;
            let label = to.label();
            let put = self
                .on_bucket(to, &target.bucket, |client| {
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
            Written {
                etag: put.e_tag().map(str::to_string),
                content: Some(content),
            }
        } else {
            let client = self
                .bucket_client(to, &target.bucket, crate::s3::region::BUCKET_ATTEMPTS)
                .await?;
            let state = tokio::sync::Mutex::new((reader, Vec::<[u8; 16]>::new()));
            let create = client
                .create_multipart_upload()
                .bucket(&target.bucket)
                .key(&pair.target_key)
                .set_content_type(content_type)
                .set_metadata(metadata)
                .set_storage_class(class.map(StorageClass::from));
            let sent = multipart(
                create,
                &client,
                to,
                &target.bucket,
                &pair.target_key,
                job,
                |number, upload_id| {
                    let (client, state) = (client.clone(), &state);
                    async move {
                        let mut state = state.lock().await;
                        let data = state.0.take(stream_part as usize, job).await?;
                        if data.is_empty() {
                            // Checked before the upload completes: bytes that are not the
                            // source's never become an object.
                            state.0.check(pair.size)?;
                            return Ok(None);
                        }
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
            Written {
                etag: sent.etag,
                content: Some(multipart_etag(&state.into_inner().1)),
            }
        };
        self.verify(to, target, pair, written, class).await
    }

    /// Checks the copy at `target`: its size; its ETag against the one the write was answered
    /// with (another write since replaced it) and against the ETag the bytes written make,
    /// where the server makes ETags from MD5s; the storage class where one was asked for.
    async fn verify(
        &self,
        to: &Account,
        target: &RemotePath,
        pair: &CopyItem,
        written: Written,
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
        let trimmed = |etag: &str| etag.trim_matches('"').to_ascii_lowercase();
        // Of one form (plain, or multipart): a server may answer a write and a HEAD in two.
        let comparable =
            |a: &str, b: &str| is_md5(a) && is_md5(b) || a.contains('-') && b.contains('-');
        let stored = head.e_tag().map(trimmed);
        if let (Some(stored), Some(answered)) = (&stored, written.etag.as_deref().map(trimmed))
            && comparable(stored, &answered)
            && *stored != answered
        {
            return Err(mismatch(target, pair, "another write replaced it"));
        }
        if let (Some(stored), Some(content)) = (&stored, written.content.as_deref().map(trimmed))
            && etag_is_digest(head.server_side_encryption(), head.sse_customer_algorithm())
            && comparable(stored, &content)
            && *stored != content
        {
            return Err(mismatch(
                target,
                pair,
                "its ETag differs from the bytes written",
            ));
        }
        let kept = head.storage_class().map_or("STANDARD", |c| c.as_str());
        if let Some(class) = class.filter(|&class| class != kept) {
            return Err(class_not_kept(to, class, kept));
        }
        Ok(head.e_tag().map(|e| e.trim_matches('"').to_string()))
    }
}

/// What a copy's write says the target must be.
struct Written {
    /// The ETag the server answered the write (or its Complete) with.
    etag: Option<String>,
    /// The ETag the bytes written make where ETags are MD5s: their MD5, or the MD5 of the
    /// parts' MD5s.
    content: Option<String>,
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

/// What a multipart upload's server answered: each part's ETag, and the object's.
struct Sent {
    parts: Vec<String>,
    etag: Option<String>,
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
) -> Result<Sent>
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
        let mut parts = Vec::new();
        for number in 1..=10_000u32 {
            job.check()?;
            match part(number, upload_id.clone()).await? {
                Some(etag) => {
                    completed.push(
                        CompletedPart::builder()
                            .part_number(number as i32)
                            .e_tag(&etag)
                            .build(),
                    );
                    parts.push(etag);
                }
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
        let finished = server_work(complete)
            .send()
            .await
            .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
        Ok(Sent {
            parts,
            etag: finished.e_tag().map(str::to_string),
        })
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
    use super::{CopyLimits, copy_source, target_base};
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
    fn copy_limits_are_mib_and_never_below_a_part() {
        let limits = CopyLimits::parse("8, 6,5").unwrap();
        assert_eq!(
            (limits.single_copy_max, limits.copy_part, limits.stream_part),
            (8 << 20, 6 << 20, 5 << 20)
        );
        assert_eq!(CopyLimits::parse("8,4,5"), None);
        assert_eq!(CopyLimits::parse("8,6"), None);
    }

    #[test]
    fn copy_sources_are_percent_encoded() {
        assert_eq!(copy_source("b", "a b/ü+%.jpg"), "b/a%20b/%C3%BC%2B%25.jpg");
    }
}
