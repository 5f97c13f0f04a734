//! One file up to one key, resumably. The multipart upload's id is recorded before the first
//! part is sent and each part only after the server acknowledged it; on resume ListParts is
//! the truth, the file must be as it was (size, mtime, and the CRC of every part kept), and
//! only the missing parts are sent.
//!
//! Every body carries a digest the server checks before it keeps the bytes: its CRC64NVME
//! where the server checks one (a multipart upload offers the algorithm at Create and the
//! answer to its first part says; a single PUT uses it where that was shown before, see
//! [`super::crc_servers`]), else its Content-MD5, which costs several times more to compute.
//! The finished object is checked by the whole-object CRC64NVME the server reports (S3 keeps
//! one of every object), against the one combined here from the parts', else by its ETag
//! against the parts' MD5s where the server's ETags are MD5-based.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
};
use bytes::Bytes;
use futures_util::TryStreamExt;
use md5::{Digest, Md5};

use super::checkpoint::{self, BodyCheck, Checkpoint, Part};
use super::{
    MULTIPART_FROM, TRANSFER_ATTEMPTS, Verified, content_type, part_size_for, parts_in_flight,
};
use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result, Retry};
use crate::jobs::{Event, JobHandle, JobId, UploadOptions};
use crate::objects::checksum::Crc;
use crate::objects::etag::{etag_is_digest, is_md5, md5_hex, multipart_etag_of_hex};
use crate::remote::RemotePath;
use crate::s3::moving::{BodySigning, send_body, server_work, unbounded};
use crate::s3::{self, Account};
use crate::sync::{IndexLink, IndexedFile, KeyHeld};

/// The source file as it is now.
#[derive(Clone, Copy)]
struct Source {
    size: u64,
    mtime_ns: i64,
}

async fn stat(local: &Path) -> Result<Source> {
    let path = local.to_path_buf();
    on_blocking_pool(move || stat_now(&path)).await
}

fn stat_now(local: &Path) -> Result<Source> {
    let meta = std::fs::metadata(local)
        .map_err(|e| Error::io(format!("{} cannot be read", local.display()), &e))?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "path",
            format!("{} is not a file.", local.display()),
            "Upload files, or folders with the files in them.",
        ));
    }
    super::uploadable(local, &meta)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    Ok(Source {
        size: meta.len(),
        mtime_ns,
    })
}

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Error::new(
            ErrorCode::Io,
            format!("Reading the file failed: {e}."),
            "Try again.",
        )
    })?
}

/// Whether the file at `local` is gone or differs from `source` (its size or mtime).
async fn source_moved_on(local: &Path, source: &Source) -> bool {
    !stat(local)
        .await
        .is_ok_and(|now| now.size == source.size && now.mtime_ns == source.mtime_ns)
}

fn changed(local: &Path) -> Error {
    Error::new(
        ErrorCode::Io,
        format!("{} changed while it was uploading.", local.display()),
        "Resume when the file is complete: it is uploaded again from its start.",
    )
    .with_retry(Retry::Transient)
}

/// Pieces from this size are read into memory mapped for them alone, not taken from the
/// allocator: unmapped as soon as the server has them, they never stay behind in malloc's
/// per-thread arenas (four 8 MiB parts in flight peaked at 130 MiB that way, 58 MiB mapped).
const MAPPED_FROM: u64 = 1024 * 1024;

/// Bytes of the file in memory, with their CRC64NVME, and their MD5 where that is their check.
struct Piece {
    data: Bytes,
    md5: Option<[u8; 16]>,
    crc: u64,
    /// The file as it was once the bytes were read.
    after: Source,
}

impl Piece {
    /// The `Content-MD5` the bytes go up with, when an MD5 is their check.
    fn content_md5(&self) -> Option<String> {
        self.md5
            .map(|digest| base64_simd::STANDARD.encode_to_string(digest))
    }

    /// The `x-amz-checksum-crc64nvme` they go up with, when their CRC is their check.
    fn claimed_crc(&self) -> Option<String> {
        self.md5.is_none().then(|| Crc::Crc64Nvme.encode(self.crc))
    }
}

/// Reads `len` bytes at `offset` and digests them in one go on the blocking pool, so the
/// async workers neither wait on the disk nor hash megabytes, and a read costs one hand-off.
async fn read_piece(local: &Path, offset: u64, len: u64, check: BodyCheck) -> Result<Piece> {
    use std::io::{Read, Seek};
    let path = local.to_path_buf();
    on_blocking_pool(move || {
        let unreadable =
            |e: std::io::Error| Error::io(format!("{} cannot be read", path.display()), &e);
        let mut file = std::fs::File::open(&path).map_err(unreadable)?;
        file.seek(std::io::SeekFrom::Start(offset))
            .map_err(unreadable)?;
        let mut read_into = |buffer: &mut [u8]| {
            file.read_exact(buffer).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    changed(&path)
                } else {
                    unreadable(e)
                }
            })
        };
        let data = if len >= MAPPED_FROM {
            let mut mapped = memmap2::MmapMut::map_anon(len as usize).map_err(unreadable)?;
            read_into(&mut mapped)?;
            Bytes::from_owner(mapped)
        } else {
            let mut buffer = vec![0; len as usize];
            read_into(&mut buffer)?;
            Bytes::from(buffer)
        };
        Ok(Piece {
            md5: (check == BodyCheck::Md5).then(|| Md5::digest(&data).into()),
            crc: Crc::Crc64Nvme.of(&data),
            after: stat_now(&path)?,
            data,
        })
    })
    .await
}

/// Whether a server's ETag matches the one the bytes sent imply; `None` for ETags that are
/// not MD5-based (encrypted objects, some providers), or no MD5 sent, which say nothing.
fn etag_matches(stored: Option<&str>, expected: Option<&str>) -> Option<bool> {
    let (stored, expected) = (stored?.trim_matches('"').to_ascii_lowercase(), expected?);
    let md5_like = |e: &str| is_md5(e.split('-').next().unwrap_or_default());
    (md5_like(&stored) && md5_like(expected)).then(|| stored == expected)
}

/// What the server's answer shows of the object it now holds: its whole-object CRC64NVME
/// against `ours` (the bytes sent), else its ETag against `expected`. An answer that
/// contradicts either means the server holds other bytes.
fn verify(
    crc: Option<&str>,
    checksum_type: Option<&aws_sdk_s3::types::ChecksumType>,
    ours: Option<u64>,
    etag: Option<&str>,
    expected: Option<&str>,
    target: &RemotePath,
) -> Result<Verified> {
    let theirs = Crc::Crc64Nvme.reported(crc, checksum_type.map(|t| t.as_str()));
    let by_crc = theirs.zip(ours).map(|(theirs, ours)| theirs == ours);
    match (by_crc, etag_matches(etag, expected)) {
        (Some(false), _) | (_, Some(false)) => Err(altered(target)),
        (Some(true), _) => Ok(Verified::Crc(Crc::Crc64Nvme)),
        (None, Some(true)) => Ok(Verified::Etag),
        (None, None) => Ok(Verified::Length),
    }
}

fn altered(target: &RemotePath) -> Error {
    Error::new(
        ErrorCode::S3,
        format!("The server's copy of {target} does not match the bytes sent."),
        "Upload it again; if it persists, the server may be altering objects.",
    )
}

/// What landed: the file as it was read, the object's ETag, and how the two were compared.
struct Landed {
    source: Source,
    etag: String,
    verified: Verified,
}

impl Engine {
    /// Uploads `local` to `target` as job `job`, resuming what an earlier run of the job did,
    /// and logs how it ended. A sync's upload (`sync`) is then written to the pair's index.
    pub(crate) async fn upload(
        &self,
        local: &Path,
        target: &RemotePath,
        options: &UploadOptions,
        sync: Option<&IndexLink>,
        job: &JobHandle,
    ) -> Result<()> {
        let held = sync.map_or(&KeyHeld::Unchecked, |link| &link.key_held);
        let outcome = self.upload_file(local, target, options, held, job).await;
        let record =
            Record::new("upload", &local.display().to_string()).target(&target.to_string());
        let summary = outcome
            .as_ref()
            .map(|landed| (landed.source.size, landed.verified))
            .map_err(Clone::clone);
        self.log_transfer(record, &summary, job).await;
        let landed = outcome?;
        if let Some(link) = sync {
            let indexed = IndexedFile {
                size: landed.source.size,
                mtime_ns: landed.source.mtime_ns,
                etag: link.etag.clone().unwrap_or(landed.etag),
            };
            self.sync_indexed(link, indexed).await;
        }
        Ok(())
    }

    /// The upload itself.
    async fn upload_file(
        &self,
        local: &Path,
        target: &RemotePath,
        options: &UploadOptions,
        held: &KeyHeld,
        job: &JobHandle,
    ) -> Result<Landed> {
        crate::objects::check_key(&target.key)?;
        let source = stat(local).await?;
        let account = self.account(&target.profile).await?;
        let client = self
            .bucket_client(&account, &target.bucket, TRANSFER_ATTEMPTS)
            .await?;
        let upload = Upload {
            engine: self,
            account: &account,
            client,
            local,
            target,
            options,
            held,
            job,
            size: source.size,
        };
        let (verified, etag) = if source.size <= MULTIPART_FROM {
            upload.whole(&source).await?
        } else {
            upload.in_parts(&source).await?
        };
        self.jobs().emit(Event::ObjectsChanged {
            profile: target.profile.clone(),
            bucket: target.bucket.clone(),
        });
        Ok(Landed {
            source,
            etag,
            verified,
        })
    }
}

impl Engine {
    /// Aborts the multipart upload job `id` began at `target` and forgets its checkpoint: the
    /// job was cancelled while no process ran it, so its parts would only be billed.
    pub(super) async fn upload_abandon(&self, id: JobId, target: &RemotePath) {
        let Ok(Some(held)) = self
            .blocking(move |conn, _| checkpoint::load(conn, id))
            .await
        else {
            return;
        };
        let reached = async {
            let account = self.account(&target.profile).await?;
            let client = self
                .bucket_client(&account, &target.bucket, TRANSFER_ATTEMPTS)
                .await?;
            Ok::<_, Error>((account, client))
        }
        .await;
        match reached {
            Ok((account, client)) => {
                self.upload_abort(&client, &account, target, &held.upload_id, id)
                    .await
            }
            Err(err) => {
                tracing::warn!(
                    job = id,
                    "the cancelled upload's parts stay: {}",
                    err.message
                );
                let _ = self
                    .blocking(move |conn, _| checkpoint::forget(conn, id))
                    .await;
            }
        }
    }

    /// Aborts multipart upload `upload_id` of job `id` at `target` and forgets the job's
    /// checkpoint. Best effort: one left behind is listed with its age by `strata uploads ls`
    /// and expires by the bucket's lifecycle rules.
    async fn upload_abort(
        &self,
        client: &aws_sdk_s3::Client,
        account: &Account,
        target: &RemotePath,
        upload_id: &str,
        id: JobId,
    ) {
        let aborted = client
            .abort_multipart_upload()
            .bucket(&target.bucket)
            .key(&target.key)
            .upload_id(upload_id)
            .send()
            .await;
        if let Err(err) = aborted {
            tracing::info!(
                job = id,
                "a multipart upload could not be aborted: {}",
                s3::error_from_sdk(&err, &account.label()).message
            );
        }
        let _ = self
            .blocking(move |conn, _| checkpoint::forget(conn, id))
            .await;
    }
}

struct Upload<'a> {
    engine: &'a Engine,
    account: &'a Account,
    client: aws_sdk_s3::Client,
    local: &'a Path,
    target: &'a RemotePath,
    options: &'a UploadOptions,
    /// What must be at the key for the upload to land.
    held: &'a KeyHeld,
    job: &'a JobHandle,
    /// The file's size when the upload began.
    size: u64,
}

impl Upload<'_> {
    fn report(&self, objects: u32, bytes: u64) {
        self.job.report(Event::JobProgress {
            job: self.job.id,
            profile: self.target.profile.clone(),
            action: "upload".into(),
            done: objects,
            items: None,
            bytes,
            total: Some(self.size),
        });
    }

    fn sdk_error<E>(&self, err: &aws_sdk_s3::error::SdkError<E>) -> Error
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        if self.lost_key(err) {
            return Error::new(
                ErrorCode::S3,
                format!(
                    "{} changed on the server after the sync looked at it; nothing was overwritten.",
                    self.target
                ),
                "The pair's next sync sees both versions and keeps both.",
            );
        }
        s3::error_from_sdk(err, &self.account.label())
    }

    /// Whether the server refused the write for its conditions: the key no longer holds what
    /// the sync saw (another object, or none where one was).
    fn lost_key<E>(&self, err: &aws_sdk_s3::error::SdkError<E>) -> bool
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata,
    {
        match (self.held, s3::service_code(err)) {
            (KeyHeld::Unchecked, _) => false,
            (KeyHeld::Object(_), Some("NoSuchKey")) => true,
            (_, code) => code == Some("PreconditionFailed"),
        }
    }

    /// The write's conditions: `If-Match` and `If-None-Match`.
    fn conditions(&self) -> (Option<String>, Option<String>) {
        match self.held {
            KeyHeld::Unchecked => (None, None),
            KeyHeld::Nothing => (None, Some("*".into())),
            KeyHeld::Object(etag) => (Some(format!("\"{}\"", etag.trim_matches('"'))), None),
        }
    }

    /// The user metadata the object gets, if any.
    fn metadata(&self) -> Option<std::collections::HashMap<String, String>> {
        (!self.options.metadata.is_empty())
            .then(|| crate::objects::edit::metadata_headers(&self.options.metadata))
    }

    fn content_type(&self, head: &[u8]) -> &'static str {
        content_type(self.target.name(), head)
    }

    /// A small file in one request; returns how it was checked and its ETag.
    async fn whole(&self, source: &Source) -> Result<(Verified, String)> {
        let profile = &self.account.profile;
        let check = if self.engine.checks_crc64nvme(profile).await? {
            BodyCheck::Crc64Nvme
        } else {
            BodyCheck::Md5
        };
        let piece = read_piece(self.local, 0, source.size, check).await?;
        if piece.after.mtime_ns != source.mtime_ns {
            return Err(changed(self.local));
        }
        let content_type = self.content_type(&piece.data);
        self.job.check()?;
        let signing = BodySigning::of(&piece.data, profile.bodies_arrive_intact()).await;
        let (md5, crc) = (piece.content_md5(), piece.claimed_crc());
        let (if_match, if_none_match) = self.conditions();
        let put = send_body(&self.account.label(), piece.data.clone(), |body| {
            let request = self
                .client
                .put_object()
                .bucket(&self.target.bucket)
                .key(&self.target.key)
                .content_type(content_type)
                .set_metadata(self.metadata())
                .set_content_md5(md5.clone())
                .set_checksum_crc64_nvme(crc.clone())
                .set_if_match(if_match.clone())
                .set_if_none_match(if_none_match.clone())
                .body(body)
                .customize();
            let request = unbounded(request, &signing);
            async move { request.send().await.map_err(|e| self.sdk_error(&e)) }
        })
        .await?;
        let expected = match piece.md5 {
            Some(digest) => Some(md5_hex(&digest)),
            // Sent with its CRC to a server whose answer names none: it did not check it, so
            // the ETag is checked against the bytes' MD5 instead, and the server forgotten.
            None if put.checksum_crc64_nvme().is_none() => {
                self.engine.learned_crc64nvme(profile, false).await?;
                let data = piece.data;
                Some(on_blocking_pool(move || Ok(md5_hex(&Md5::digest(&data)))).await?)
            }
            None => None,
        };
        let verified = verify(
            put.checksum_crc64_nvme(),
            put.checksum_type(),
            Some(piece.crc),
            put.e_tag(),
            expected.as_deref().filter(|_| {
                etag_is_digest(put.server_side_encryption(), put.sse_customer_algorithm())
            }),
            self.target,
        )?;
        self.report(1, source.size);
        let etag = put.e_tag().or(expected.as_deref()).unwrap_or_default();
        Ok((verified, etag.trim_matches('"').to_string()))
    }

    /// A large file as a multipart upload, resumed from the job's checkpoint where it holds.
    async fn in_parts(&self, source: &Source) -> Result<(Verified, String)> {
        let id = self.job.id;
        let held = self
            .engine
            .blocking(move |conn, _| checkpoint::load(conn, id))
            .await?;
        let resumed = match held {
            Some(held) if held.size == source.size && held.mtime_ns == source.mtime_ns => {
                match self.reconcile(held.clone()).await? {
                    None if let Some((etag, verified)) =
                        self.completed_before(source, &held.parts).await =>
                    {
                        tracing::info!(job = id, "the upload was completed before the stop");
                        return self.finished(source, etag, verified).await;
                    }
                    reconciled => reconciled,
                }
            }
            Some(stale) => {
                tracing::info!(
                    job = id,
                    "the source changed since the upload began; starting over"
                );
                self.abort(&stale.upload_id).await;
                None
            }
            None => None,
        };
        let mut checkpoint = match resumed {
            Some(checkpoint) => checkpoint,
            None => self.begin(source, true).await?,
        };
        let outcome = async {
            if checkpoint.check == BodyCheck::Crc64Nvme && checkpoint.parts.is_empty() {
                self.first_part_proves_crc(source, &mut checkpoint).await?;
            }
            self.send_parts(source, &checkpoint).await
        }
        .await;
        match outcome {
            Err(err) if err.code == ErrorCode::Cancelled && !self.job.pausing() => {
                // Cancelled, not paused: nothing is left behind to be billed.
                self.abort(&checkpoint.upload_id).await;
                Err(err)
            }
            // The file is gone, or is no longer the one whose parts were sent: any retry
            // starts over, so the parts are aborted now rather than billed until then.
            Err(err) if !self.job.pausing() && source_moved_on(self.local, source).await => {
                self.abort(&checkpoint.upload_id).await;
                Err(err)
            }
            Err(err) if err.code == ErrorCode::NoSuchUpload => {
                let _ = self
                    .engine
                    .blocking(move |conn, _| checkpoint::forget(conn, id))
                    .await;
                Err(err.with_retry(Retry::Transient))
            }
            other => other,
        }
    }

    /// Keeps the recorded parts that the server still holds (ListParts is the truth) and whose
    /// bytes the file still has; `None` when the server no longer knows the upload.
    async fn reconcile(&self, mut held: Checkpoint) -> Result<Option<Checkpoint>> {
        let id = self.job.id;
        let listed = super::orphans::listed_parts(
            &self.client,
            &self.target.bucket,
            &self.target.key,
            &held.upload_id,
            &self.account.label(),
        )
        .await;
        let listed = match listed {
            Ok(listed) => listed,
            // The caller begins a new upload, which replaces the job's checkpoint.
            Err(err) if err.code == ErrorCode::NoSuchUpload => {
                tracing::info!(
                    job = id,
                    "the server no longer holds the upload; starting over"
                );
                return Ok(None);
            }
            // A server whose ListParts answer cannot be read (moto 5 names its root element
            // wrongly) cannot say which parts it holds: the file goes up again, whole.
            Err(err) if err.code == ErrorCode::S3 && !err.retryable() => {
                tracing::warn!(
                    job = id,
                    "the server's list of parts is unreadable ({}); starting over",
                    err.message
                );
                self.abort(&held.upload_id).await;
                return Ok(None);
            }
            Err(err) => return Err(err),
        };
        let mut dropped = Vec::new();
        for (&number, part) in &held.parts {
            let offset = u64::from(number - 1) * held.part_size;
            let same_on_server = listed.get(&number).is_some_and(|(etag, size)| {
                *size == part.size && etag.trim_matches('"') == part.etag.trim_matches('"')
            });
            let same_here = same_on_server && {
                // The CRC shows a changed file as surely as the MD5, at a fraction of the cost.
                let check = match part.crc64nvme {
                    Some(_) => BodyCheck::Crc64Nvme,
                    None => BodyCheck::Md5,
                };
                let here = read_piece(self.local, offset, part.size, check).await?;
                match part.crc64nvme {
                    Some(crc) => crc == here.crc,
                    None => here.md5.map(|digest| md5_hex(&digest)) == part.md5,
                }
            };
            if !same_here {
                dropped.push(number);
            }
        }
        for number in &dropped {
            held.parts.remove(number);
        }
        if !dropped.is_empty() {
            self.engine
                .blocking(move |conn, _| {
                    dropped
                        .iter()
                        .try_for_each(|&n| checkpoint::drop_part(conn, id, n))
                })
                .await?;
        }
        Ok(Some(held))
    }

    /// Starts a multipart upload and records it before any part is sent. With `offer_crc`
    /// the upload asks for a full-object CRC64NVME; a server that takes it says so in its
    /// answer, and the parts then carry their CRC in place of an MD5. One that refuses the
    /// request outright (an older server that does not know the algorithm) is asked again
    /// without it.
    async fn begin(&self, source: &Source, offer_crc: bool) -> Result<Checkpoint> {
        let head = read_piece(self.local, 0, 64.min(source.size), BodyCheck::Crc64Nvme)
            .await?
            .data;
        let create = |offer_crc: bool| {
            let request = self
                .client
                .create_multipart_upload()
                .bucket(&self.target.bucket)
                .key(&self.target.key)
                .content_type(self.content_type(&head))
                .set_metadata(self.metadata());
            if offer_crc {
                request
                    .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
                    .checksum_type(ChecksumType::FullObject)
            } else {
                request
            }
        };
        let created = match create(offer_crc).send().await {
            Err(err) if offer_crc && s3::refuses_checksum_algorithm(&err) => {
                create(false).send().await
            }
            other => other,
        }
        .map_err(|e| self.sdk_error(&e))?;
        let check = match created.checksum_algorithm() {
            Some(ChecksumAlgorithm::Crc64Nvme) => BodyCheck::Crc64Nvme,
            _ => BodyCheck::Md5,
        };
        let checkpoint = Checkpoint {
            size: source.size,
            mtime_ns: source.mtime_ns,
            part_size: part_size_for(source.size, self.options.part_size_mib),
            upload_id: created.upload_id().unwrap_or_default().to_string(),
            check,
            parts: BTreeMap::new(),
        };
        let (id, written) = (self.job.id, checkpoint.clone());
        self.engine
            .blocking(move |conn, _| checkpoint::begin(conn, id, &written))
            .await?;
        Ok(checkpoint)
    }

    /// Sends the first part alone where the server took CRC64NVME at Create: a server that
    /// checks a part's CRC names it in its answer (S3, the built-in endpoint). One that took
    /// the algorithm without checking it (moto 5 keeps a CRC32 under its name) gets the file
    /// as a new upload whose parts carry MD5s, and this one is aborted.
    async fn first_part_proves_crc(
        &self,
        source: &Source,
        checkpoint: &mut Checkpoint,
    ) -> Result<()> {
        let (first, checked) = self.send_part(source, checkpoint, 1).await?;
        self.engine
            .learned_crc64nvme(&self.account.profile, checked)
            .await?;
        if checked {
            checkpoint.parts.insert(1, first);
            return Ok(());
        }
        tracing::info!(
            job = self.job.id,
            "the server took CRC64NVME without checking it; the parts carry MD5s"
        );
        self.abort(&checkpoint.upload_id).await;
        *checkpoint = self.begin(source, false).await?;
        Ok(())
    }

    /// Sends part `number` and records it once the server acknowledged it; returns it, and
    /// whether the server's answer names the CRC it carried (a server that checked it does).
    async fn send_part(
        &self,
        source: &Source,
        checkpoint: &Checkpoint,
        number: u32,
    ) -> Result<(Part, bool)> {
        self.job.check()?;
        let offset = u64::from(number - 1) * checkpoint.part_size;
        let len = checkpoint.part_size.min(source.size - offset);
        let piece = read_piece(self.local, offset, len, checkpoint.check).await?;
        let claimed = piece.claimed_crc();
        let intact = self.account.profile.bodies_arrive_intact();
        let signing = BodySigning::of(&piece.data, intact).await;
        let md5 = piece.content_md5();
        let answer = send_body(&self.account.label(), piece.data, |body| {
            let request = self
                .client
                .upload_part()
                .bucket(&self.target.bucket)
                .key(&self.target.key)
                .upload_id(&checkpoint.upload_id)
                .part_number(number as i32)
                .set_content_md5(md5.clone())
                .set_checksum_crc64_nvme(claimed.clone())
                .body(body)
                .customize();
            let request = unbounded(request, &signing);
            async move { request.send().await.map_err(|e| self.sdk_error(&e)) }
        })
        .await?;
        let part = Part {
            size: len,
            etag: answer.e_tag().unwrap_or_default().to_string(),
            md5: piece.md5.map(|digest| md5_hex(&digest)),
            crc64nvme: Some(piece.crc),
        };
        let (id, recorded) = (self.job.id, part.clone());
        self.engine
            .blocking(move |conn, _| checkpoint::add_part(conn, id, number, &recorded))
            .await?;
        let checked = claimed.is_some() && answer.checksum_crc64_nvme() == claimed.as_deref();
        Ok((part, checked))
    }

    /// Sends the parts the checkpoint lacks, several at once, then completes and verifies.
    async fn send_parts(
        &self,
        source: &Source,
        checkpoint: &Checkpoint,
    ) -> Result<(Verified, String)> {
        let part_size = checkpoint.part_size;
        let count = source.size.div_ceil(part_size) as u32;
        let done = AtomicU64::new(checkpoint.parts.values().map(|p| p.size).sum());
        self.report(0, done.load(Ordering::Relaxed));
        let missing: Vec<u32> = (1..=count)
            .filter(|n| !checkpoint.parts.contains_key(n))
            .collect();
        let parallel = parts_in_flight(self.options, part_size) as usize;
        let sent = std::sync::Mutex::new(BTreeMap::new());
        futures_util::stream::iter(missing.into_iter().map(Ok))
            .try_for_each_concurrent(parallel, |number| {
                let (sent, done) = (&sent, &done);
                async move {
                    let (part, _) = self.send_part(source, checkpoint, number).await?;
                    let len = part.size;
                    sent.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(number, part);
                    self.report(0, done.fetch_add(len, Ordering::Relaxed) + len);
                    Ok::<_, Error>(())
                }
            })
            .await?;
        let now = stat(self.local).await?;
        if now.size != source.size || now.mtime_ns != source.mtime_ns {
            return Err(changed(self.local));
        }
        let mut parts = checkpoint.parts.clone();
        parts.extend(sent.into_inner().unwrap_or_else(|p| p.into_inner()));
        let expected = etag_of_part_md5s(&parts);
        let ours = whole_crc(&parts);
        // Where the parts carried CRCs, Complete names them and the whole object's, which
        // S3 checks once more against what it assembled.
        let by_crc = checkpoint.check == BodyCheck::Crc64Nvme;
        let claimed = |crc: Option<u64>| crc.filter(|_| by_crc).map(|c| Crc::Crc64Nvme.encode(c));
        let completed: Vec<CompletedPart> = parts
            .iter()
            .map(|(number, part)| {
                CompletedPart::builder()
                    .part_number(*number as i32)
                    .e_tag(&part.etag)
                    .set_checksum_crc64_nvme(claimed(part.crc64nvme))
                    .build()
            })
            .collect();
        self.job.check()?;
        let (if_match, if_none_match) = self.conditions();
        let complete = self
            .client
            .complete_multipart_upload()
            .bucket(&self.target.bucket)
            .key(&self.target.key)
            .upload_id(&checkpoint.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .set_checksum_crc64_nvme(claimed(ours))
            .set_checksum_type(by_crc.then_some(ChecksumType::FullObject))
            .set_if_match(if_match)
            .set_if_none_match(if_none_match)
            .customize();
        let finished = server_work(complete).send().await;
        if let Err(err) = &finished
            && self.lost_key(err)
        {
            // The key changed since the sync looked: the parts would only be billed.
            self.abort(&checkpoint.upload_id).await;
        }
        let finished = finished.map_err(|e| self.sdk_error(&e));
        let finished = match finished {
            // A Complete retried after the first one landed (its answer was lost).
            Err(err) if err.code == ErrorCode::NoSuchUpload => {
                match self.completed_before(source, &parts).await {
                    Some((etag, verified)) => return self.finished(source, etag, verified).await,
                    None => return Err(err),
                }
            }
            other => other?,
        };
        let verified = verify(
            finished.checksum_crc64_nvme(),
            finished.checksum_type(),
            ours,
            finished.e_tag(),
            expected
                .as_deref()
                .filter(|_| etag_is_digest(finished.server_side_encryption(), None)),
            self.target,
        )?;
        crate::failpoint::hit("upload:after-complete");
        let etag = finished.e_tag().or(expected.as_deref()).unwrap_or_default();
        self.finished(source, etag.to_string(), verified).await
    }

    /// Records the object's ETag: the upload is done.
    async fn finished(
        &self,
        source: &Source,
        etag: String,
        verified: Verified,
    ) -> Result<(Verified, String)> {
        let id = self.job.id;
        let etag = etag.trim_matches('"').to_string();
        let recorded = etag.clone();
        self.engine
            .blocking(move |conn, _| checkpoint::finish(conn, id, &recorded))
            .await?;
        self.report(1, source.size);
        Ok((verified, etag))
    }

    /// The object's ETag, and how it was shown, when the upload the server no longer knows
    /// was completed already: every part was acknowledged and the object at the key is the
    /// one they make (a stop after Complete landed, before it was recorded), by its CRC or
    /// else its ETag. `None` when that cannot be shown.
    async fn completed_before(
        &self,
        source: &Source,
        parts: &BTreeMap<u32, Part>,
    ) -> Option<(String, Verified)> {
        let count = source.size.div_ceil(parts.get(&1)?.size) as u32;
        if !parts.keys().copied().eq(1..=count) {
            return None;
        }
        let head = self
            .client
            .head_object()
            .bucket(&self.target.bucket)
            .key(&self.target.key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .ok()?;
        if head.content_length() != Some(source.size as i64) {
            return None;
        }
        // Parts that carried CRCs have no MD5 here: the server's own part ETags (the parts'
        // MD5s on S3) say which object they make.
        let expected = etag_of_part_md5s(parts).or_else(|| etag_of_part_etags(parts));
        let verified = verify(
            head.checksum_crc64_nvme(),
            head.checksum_type(),
            whole_crc(parts),
            head.e_tag(),
            expected.as_deref().filter(|_| {
                etag_is_digest(head.server_side_encryption(), head.sse_customer_algorithm())
            }),
            self.target,
        )
        .ok()
        .filter(|verified| *verified != Verified::Length)?;
        Some((head.e_tag()?.trim_matches('"').to_string(), verified))
    }

    /// Aborts a multipart upload of this job (see [`Engine::upload_abort`]).
    async fn abort(&self, upload_id: &str) {
        self.engine
            .upload_abort(
                &self.client,
                self.account,
                self.target,
                upload_id,
                self.job.id,
            )
            .await;
    }
}

/// The multipart ETag the parts' MD5s make; `None` when parts carried CRCs instead.
fn etag_of_part_md5s(parts: &BTreeMap<u32, Part>) -> Option<String> {
    let md5s: Option<Vec<&str>> = parts.values().map(|p| p.md5.as_deref()).collect();
    Some(multipart_etag_of_hex(md5s?))
}

/// The multipart ETag the server's part ETags make, where they are MD5s.
fn etag_of_part_etags(parts: &BTreeMap<u32, Part>) -> Option<String> {
    let etags: Vec<&str> = parts.values().map(|p| p.etag.trim_matches('"')).collect();
    etags
        .iter()
        .all(|etag| is_md5(etag))
        .then(|| multipart_etag_of_hex(etags))
}

/// The whole file's CRC64NVME from its parts'; `None` when a part was recorded before parts
/// kept a CRC.
fn whole_crc(parts: &BTreeMap<u32, Part>) -> Option<u64> {
    let pieces: Option<Vec<_>> = parts
        .values()
        .map(|p| p.crc64nvme.map(|crc| (crc, p.size)))
        .collect();
    Crc::Crc64Nvme.combine_all(pieces?)
}

#[cfg(test)]
mod tests {
    use super::{etag_matches, multipart_etag_of_hex};

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_part_md5s() {
        // Two parts: MD5("a") and MD5("b"), as S3 computes it.
        let parts = [
            "0cc175b9c0f1b6a831c399e269772661",
            "92eb5ffee6ae2fec3ad71c777531578f",
        ];
        let etag = multipart_etag_of_hex(parts);
        // S3's ETag of a two-part upload whose parts are "a" and "b".
        assert_eq!(etag, "96e024ba2074fe77e8e965ba43a704be-2");
        let expected = Some(etag.as_str());
        assert_eq!(
            etag_matches(Some(&format!("\"{etag}\"")), expected),
            Some(true)
        );
        assert_eq!(
            etag_matches(Some("\"00000000000000000000000000000000-2\""), expected),
            Some(false)
        );
        assert_eq!(
            etag_matches(Some("\"not-an-md5\""), expected),
            None,
            "opaque ETags say nothing"
        );
        assert_eq!(etag_matches(None, expected), None);
        assert_eq!(
            etag_matches(Some(&etag), None),
            None,
            "with no MD5 sent, an ETag says nothing"
        );
    }
}
