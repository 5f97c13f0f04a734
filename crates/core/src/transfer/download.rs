//! One object to one file, resumably. Bytes go to a temporary file beside the target, named
//! after the job (`.NAME.strata-JOB.part`), and reach the final name only whole, checked and
//! synced.
//!
//! An object uploaded in parts is fetched one GET per part (`partNumber`), several at once,
//! each written at its place and recorded only after its bytes are synced. A large object the
//! server sends whole (one uploaded in one piece, or a server that ignores `partNumber`) is
//! fetched the same way in ranges of 16 MiB; a smaller one streams, its synced length recorded
//! every 8 MiB. Every request after the first asks
//! for the ETag the download began with (If-Match), so bytes of two versions never meet in one
//! file: an object replaced meanwhile starts over. A resume fetches only the parts it lacks, or
//! the rest of the stream with a ranged GET. At the end the length is checked, and the bytes:
//! against the server's whole-object CRC where it keeps one (S3 keeps a CRC64NVME of every
//! object; parts' CRCs combine into the whole's, so parts fetched in parallel need no second
//! pass), else against the MD5 (or the multipart ETag made from the parts' MD5s) wherever the
//! ETag is made from them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::checkpoint::download::{self as checkpoint, Checkpoint, Part};
use super::file_writer::FileWriter;
use super::{TRANSFER_ATTEMPTS, Verified, mib};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result, Retry};
use crate::jobs::{Event, JobHandle};
use crate::objects::checksum::Crc;
use crate::objects::etag::{etag_is_digest, is_md5, md5_hex, multipart_etag_of_hex, part_count};
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// A stream's synced length is recorded after this many bytes.
const DURABLE_EVERY: u64 = 8 * 1024 * 1024;

/// Bytes gathered before each write to the temporary file.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Parts or ranges one download fetches at once.
const PARALLEL_RANGES: u64 = 8;

/// The memory one download holds while it runs: a write buffer per range in flight.
pub(crate) const DOWNLOAD_MEMORY: u64 = PARALLEL_RANGES * WRITE_BUFFER as u64;

/// A size not known yet.
const UNKNOWN: u64 = u64::MAX;

/// Times a download starts over because the object was replaced while it ran.
const RESTARTS: u32 = 3;

/// Objects from this size that the server sends whole are fetched in ranges of
/// [`RANGE_SIZE`], several at once, rather than in one stream.
const RANGED_FROM: u64 = 2 * RANGE_SIZE;

const RANGE_SIZE: u64 = 16 * 1024 * 1024;

/// Objects from this size are checked by the server's CRC where it keeps one: it costs a
/// HEAD, and saves computing an MD5, several times slower than a CRC.
const CRC_FROM: u64 = 8 * 1024 * 1024;

/// The whole-object CRC a download checks against, from its recorded `NAME:BASE64`.
fn expected_crc(checkpoint: &Checkpoint) -> Option<(Crc, u64)> {
    let (name, value) = checkpoint.checksum.as_deref()?.split_once(':')?;
    let crc = Crc::parse(name)?;
    Some((crc, crc.decode(value)?))
}

/// What a download computes of the bytes it writes: their CRC where the server's whole-object
/// CRC is what they are checked against, else their MD5; nothing for a range, whose MD5 would
/// prove nothing (the object's MD5 is taken from the file once every range is in).
enum Hasher {
    Md5(Md5),
    Crc(Box<crc_fast::Digest>),
    Nothing,
}

impl Hasher {
    /// For a stream (`ranged` false) or a range of the download `checkpoint`.
    fn new(checkpoint: &Checkpoint, ranged: bool) -> Self {
        match expected_crc(checkpoint) {
            Some((crc, _)) => Self::Crc(Box::new(crc.digest())),
            None if ranged => Self::Nothing,
            None => Self::Md5(Md5::new()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Md5(md5) => md5.update(bytes),
            Self::Crc(crc) => crc.update(bytes),
            Self::Nothing => {}
        }
    }

    /// The digest in hex: an MD5's 32 digits, a CRC's 16, or nothing.
    fn hex(self) -> String {
        match self {
            Self::Md5(md5) => md5_hex(&md5.finalize()),
            Self::Crc(crc) => format!("{:016x}", crc.finalize()),
            Self::Nothing => String::new(),
        }
    }
}

/// The longest file name most file systems take (ext4, APFS, NTFS: 255 bytes or units).
const NAME_MAX: usize = 255;

/// The temporary file a job downloads `target` into: `.NAME.strata-JOB.part`, with NAME cut
/// short (at a character boundary) where the whole would pass [`NAME_MAX`].
pub(crate) fn temporary_path(target: &Path, job: crate::jobs::JobId) -> PathBuf {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let suffix = format!(".strata-{job}.part");
    let room = NAME_MAX - 1 - suffix.len();
    let mut end = name.len().min(room);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    target.with_file_name(format!(".{}{suffix}", &name[..end]))
}

impl Engine {
    /// Downloads `source` to the file `target` as job `job`, resuming what an earlier run of
    /// the job did; returns the object's size. The temporary file stays for a resume when the
    /// job is paused or fails on the way; it goes when cancelled or when its bytes are wrong.
    pub(crate) async fn download(
        &self,
        source: &RemotePath,
        target: &Path,
        job: &JobHandle,
    ) -> Result<(u64, Verified)> {
        let account = self.account(&source.profile).await?;
        let client = self
            .bucket_client(&account, &source.bucket, TRANSFER_ATTEMPTS)
            .await?;
        let fetch = Fetch {
            engine: self,
            account: &account,
            client,
            source,
            temporary: temporary_path(target, job.id),
            job,
            done: AtomicU64::new(0),
            size: AtomicU64::new(UNKNOWN),
            replaced: AtomicBool::new(false),
            untrusted: AtomicBool::new(false),
        };
        let (mut restarts, mut retries) = (0, 0);
        let outcome = loop {
            match fetch.run().await {
                Err(_) if restarts < RESTARTS && fetch.replaced.swap(false, Ordering::Relaxed) => {
                    tracing::info!(
                        job = job.id,
                        "the object was replaced; downloading it again"
                    );
                    fetch.discard().await;
                    restarts += 1;
                }
                // A connection lost mid-body: the SDK retried the request, not the body. The
                // next run goes on from what is synced.
                Err(err)
                    if err.retryable()
                        && !fetch.untrusted.load(Ordering::Relaxed)
                        && !fetch.replaced.load(Ordering::Relaxed)
                        && retries + 1 < TRANSFER_ATTEMPTS =>
                {
                    retries += 1;
                    tracing::info!(
                        job = job.id,
                        "download interrupted ({}); going on",
                        err.message
                    );
                    tokio::time::sleep(backoff(retries)).await;
                }
                Ok(done) => break fetch.place(target).await.map(|()| done),
                Err(err) => break Err(err),
            }
        };
        let keep = match &outcome {
            Ok(_) => true,
            Err(err) if err.code == ErrorCode::Cancelled => job.pausing(),
            Err(err) => {
                err.code != ErrorCode::NoSuchKey
                    && !fetch.replaced.load(Ordering::Relaxed)
                    && !fetch.untrusted.load(Ordering::Relaxed)
            }
        };
        if !keep {
            fetch.discard().await;
        }
        outcome
    }
}

struct Fetch<'a> {
    engine: &'a Engine,
    account: &'a Account,
    client: aws_sdk_s3::Client,
    source: &'a RemotePath,
    temporary: PathBuf,
    job: &'a JobHandle,
    /// Bytes on disk so far, for progress.
    done: AtomicU64,
    /// The object's size, once the first answer told it ([`UNKNOWN`] before).
    size: AtomicU64,
    /// Set when the server said the object is no longer the one the download began with.
    replaced: AtomicBool,
    /// Set when the bytes fetched proved wrong: they are never resumed from.
    untrusted: AtomicBool,
}

/// What was fetched, for the final check.
enum Fetched {
    /// In one stream, with its digest (see [`Hasher`]).
    Whole { digest: String },
    /// In parts, each with its digest.
    Parts(BTreeMap<u32, Part>),
}

/// `bytes FIRST-LAST/TOTAL` as (first, last, total).
fn content_range(text: &str) -> Option<(u64, u64, u64)> {
    let (range, total) = text.strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?, total.parse().ok()?))
}

impl Fetch<'_> {
    fn corrupt(&self, what: &str) -> Error {
        self.untrusted.store(true, Ordering::Relaxed);
        Error::new(
            ErrorCode::S3,
            format!("The downloaded bytes do not match the object ({what})."),
            "Try again; nothing was written under the final name.",
        )
        .with_retry(Retry::Transient)
    }

    fn io(&self, e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return self.disk_full();
        }
        Error::io(
            format!("{} could not be written", self.temporary.display()),
            &e,
        )
    }

    /// The disk took no more: how much more the download needs, what is free, and that the
    /// bytes fetched so far wait in the temporary file for a resume (a cancel removes them).
    fn disk_full(&self) -> Error {
        let folder = self.temporary.parent().unwrap_or(Path::new("."));
        let done = self.done.load(Ordering::Relaxed);
        let size = self.size.load(Ordering::Relaxed);
        let needs = match size {
            UNKNOWN => String::new(),
            size => format!(
                " {} needs {} more;",
                self.source,
                mib(size.saturating_sub(done))
            ),
        };
        let free = super::free_space(folder)
            .map(|free| format!(" {} is free there.", mib(free)))
            .unwrap_or_default();
        Error::new(
            ErrorCode::DiskFull,
            format!(
                "The disk holding {} is full:{needs}{free}",
                folder.display()
            ),
            format!(
                "Free space on that disk, then resume: the {} fetched so far wait in {}. \
                 Cancel the download to remove them.",
                mib(done),
                self.temporary.display()
            ),
        )
    }

    fn report(&self, objects: u32) {
        self.job.report(Event::JobProgress {
            job: self.job.id,
            profile: self.source.profile.clone(),
            action: "download".into(),
            done: objects,
            items: None,
            bytes: self.done.load(Ordering::Relaxed),
            total: Some(self.size.load(Ordering::Relaxed)).filter(|&n| n != UNKNOWN),
        });
    }

    /// GETs the object: part `part` of it, or its bytes `first..=last`, the version `etag`
    /// only.
    async fn send(
        &self,
        part: Option<u32>,
        bytes: Option<(u64, u64)>,
        etag: Option<&str>,
    ) -> Result<GetObjectOutput, SdkError<GetObjectError, HttpResponse>> {
        self.client
            .get_object()
            .bucket(&self.source.bucket)
            .key(&self.source.key)
            .set_part_number(part.map(|n| n as i32))
            .set_range(bytes.map(|(first, last)| format!("bytes={first}-{last}")))
            .set_if_match(etag.map(|e| format!("\"{e}\"")))
            .send()
            .await
    }

    fn error(&self, err: &SdkError<GetObjectError, HttpResponse>) -> Error {
        if s3::service_code(err) == Some("PreconditionFailed") {
            self.replaced.store(true, Ordering::Relaxed);
            return Error::new(
                ErrorCode::S3,
                format!(
                    "{} was replaced while it was downloading, again and again.",
                    self.source
                ),
                "Try again when nothing is writing to it.",
            )
            .with_retry(Retry::Transient);
        }
        let err = s3::error_from_sdk(err, &self.account.label());
        if err.code == ErrorCode::NoSuchKey {
            let RemotePath {
                profile,
                bucket,
                key,
            } = self.source;
            return crate::objects::no_such_key(profile, bucket, key);
        }
        err
    }

    async fn get(
        &self,
        part: Option<u32>,
        bytes: Option<(u64, u64)>,
        etag: &str,
    ) -> Result<GetObjectOutput> {
        self.job.check()?;
        let etag = (!etag.is_empty()).then_some(etag);
        self.send(part, bytes, etag)
            .await
            .map_err(|e| self.error(&e))
    }

    /// GETs piece `number` of a download in pieces: a part, or a range.
    async fn get_piece(&self, checkpoint: &Checkpoint, number: u32) -> Result<GetObjectOutput> {
        let etag = &checkpoint.etag;
        if checkpoint.range_size == 0 {
            return self.get(Some(number), None, etag).await;
        }
        let first = u64::from(number - 1) * checkpoint.range_size;
        let last = (first + checkpoint.range_size).min(checkpoint.size) - 1;
        self.get(None, Some((first, last)), etag).await
    }

    /// The first GET asks for part 1, which says whether the object has parts (and how many)
    /// or comes whole; a server (or an empty object) that takes no part number is asked for
    /// the object.
    async fn get_first(&self) -> Result<GetObjectOutput> {
        self.job.check()?;
        match self.send(Some(1), None, None).await {
            Ok(answer) => Ok(answer),
            Err(err) if s3::part_number_refused(&err) => self.get(None, None, "").await,
            Err(err) => Err(self.error(&err)),
        }
    }

    /// Fetches what the temporary file lacks and checks it all; returns the object's size and
    /// how it was checked.
    async fn run(&self) -> Result<(u64, Verified)> {
        let id = self.job.id;
        let held = self
            .engine
            .blocking(move |conn, _| checkpoint::load(conn, id))
            .await?;
        let on_disk = tokio::fs::metadata(&self.temporary)
            .await
            .map(|m| m.len())
            .ok();
        let usable = held.filter(|held| match on_disk {
            Some(len) if held.parts > 0 => len == held.size,
            Some(len) => len >= held.durable,
            None => false,
        });
        if let Some(held) = &usable {
            self.size.store(held.size, Ordering::Relaxed);
        }
        let (checkpoint, fetched) = match usable {
            Some(held) if held.parts > 0 => {
                let missing = (1..=held.parts)
                    .filter(|n| !held.synced.contains_key(n))
                    .collect();
                let done: u64 = held.synced.values().map(|p| p.size).sum();
                self.done.store(done, Ordering::Relaxed);
                let mut parts = held.synced.clone();
                parts.extend(self.fetch_parts(&held, None, missing).await?);
                (held, Fetched::Parts(parts))
            }
            Some(held) => {
                let digest = self.continue_stream(&held, None).await?;
                (held, Fetched::Whole { digest })
            }
            None => self.begin().await?,
        };
        let mut verified = self.check(&checkpoint, &fetched)?;
        if verified == Verified::Length
            && checkpoint.range_size > 0
            && checkpoint.etag_is_digest
            && is_md5(&checkpoint.etag)
        {
            verified = self.check_file_md5(&checkpoint).await?;
        }
        self.report(1);
        Ok((checkpoint.size, verified))
    }

    /// Starts the download afresh: the first GET asks for part 1, which says whether the object
    /// has parts (and how many) or comes whole.
    async fn begin(&self) -> Result<(Checkpoint, Fetched)> {
        self.done.store(0, Ordering::Relaxed);
        let first = self.get_first().await?;
        let etag = first
            .e_tag()
            .map(|e| e.trim_matches('"').to_string())
            .unwrap_or_default();
        let range = first.content_range().and_then(content_range);
        let size = match range {
            Some((_, _, total)) => total,
            None => first.content_length().unwrap_or(0).max(0) as u64,
        };
        let parts = first.parts_count().unwrap_or(0).max(0) as u32;
        let whole_range = range.is_none_or(|(first, last, total)| first == 0 && last + 1 == total);
        let checksum = self.server_crc(&etag, size).await?;
        let mut checkpoint = Checkpoint {
            etag,
            etag_is_digest: etag_is_digest(
                first.server_side_encryption(),
                first.sse_customer_algorithm(),
            ),
            size,
            parts: 0,
            durable: 0,
            range_size: 0,
            checksum,
            synced: BTreeMap::new(),
        };
        if parts > 1 && range.is_some() {
            checkpoint.parts = parts;
            self.start_file(&checkpoint).await?;
            let fetched = self
                .fetch_parts(&checkpoint, Some(first), (2..=parts).collect())
                .await?;
            return Ok((checkpoint, Fetched::Parts(fetched)));
        }
        // Large, and not in parts: the answer goes unread, and the object comes in ranges.
        if size >= RANGED_FROM {
            drop(first);
            checkpoint.range_size = RANGE_SIZE;
            checkpoint.parts = size.div_ceil(RANGE_SIZE) as u32;
            self.start_file(&checkpoint).await?;
            let fetched = self
                .fetch_parts(&checkpoint, None, (1..=checkpoint.parts).collect())
                .await?;
            return Ok((checkpoint, Fetched::Parts(fetched)));
        }
        // Without a part count, an answer to `partNumber=1` is the whole object only when it
        // says so (its range) or when the object has no parts (its ETag).
        let whole = if whole_range
            && (range.is_some() || part_count(&checkpoint.etag).is_none_or(|n| n <= 1))
        {
            first
        } else {
            self.get(None, None, &checkpoint.etag).await?
        };
        self.start_file(&checkpoint).await?;
        let digest = self.continue_stream(&checkpoint, Some(whole)).await?;
        Ok((checkpoint, Fetched::Whole { digest }))
    }

    /// The server's whole-object CRC of version `etag` (`NAME:BASE64`), for an object large
    /// enough to be worth a HEAD; `None` where the server keeps none, or only a composite one
    /// (a checksum of the parts' checksums).
    async fn server_crc(&self, etag: &str, size: u64) -> Result<Option<String>> {
        if size < CRC_FROM {
            return Ok(None);
        }
        self.job.check()?;
        let head = self
            .client
            .head_object()
            .bucket(&self.source.bucket)
            .key(&self.source.key)
            .set_if_match((!etag.is_empty()).then(|| format!("\"{etag}\"")))
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await;
        // A HEAD refused says nothing the GETs that follow would not: the MD5 is checked.
        let Ok(head) = head else { return Ok(None) };
        let checksum_type = head.checksum_type().map(|t| t.as_str());
        Ok([
            (Crc::Crc64Nvme, head.checksum_crc64_nvme()),
            (Crc::Crc32c, head.checksum_crc32_c()),
            (Crc::Crc32, head.checksum_crc32()),
        ]
        .into_iter()
        .find_map(|(crc, value)| {
            crc.reported(value, checksum_type)?;
            Some(format!("{}:{}", crc.name(), value?))
        }))
    }

    /// Records the download and makes an empty temporary file for it (of the object's size
    /// when its parts are written at their places).
    async fn start_file(&self, checkpoint: &Checkpoint) -> Result<()> {
        self.size.store(checkpoint.size, Ordering::Relaxed);
        let (id, written) = (self.job.id, checkpoint.clone());
        self.engine
            .blocking(move |conn, _| checkpoint::begin(conn, id, &written))
            .await?;
        let file = tokio::fs::File::create(&self.temporary)
            .await
            .map_err(|e| self.io(e))?;
        if checkpoint.parts > 0 {
            file.set_len(checkpoint.size)
                .await
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    /// Streams the object into the temporary file from its synced length on (`first` is the
    /// answer already received, else a ranged GET asks for the rest); returns the digest of
    /// it all (see [`Hasher`]).
    async fn continue_stream(
        &self,
        checkpoint: &Checkpoint,
        first: Option<GetObjectOutput>,
    ) -> Result<String> {
        let from = checkpoint.durable;
        let mut file = tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.temporary)
            .await
            .map_err(|e| self.io(e))?;
        file.set_len(from).await.map_err(|e| self.io(e))?;
        // The digest covers the bytes kept from before, read back.
        let mut digest = Hasher::new(checkpoint, false);
        self.read_into(&mut file, from, &mut digest).await?;
        self.done.store(from, Ordering::Relaxed);
        let body = match first {
            Some(answer) => answer.body,
            None if from < checkpoint.size => {
                let rest = Some((from, checkpoint.size - 1));
                let answer = self.get(None, rest, &checkpoint.etag).await?;
                // A server that ignored the range would send the object from its start, to be
                // written after the bytes kept.
                let starts = answer.content_range().and_then(content_range);
                if starts.is_none_or(|(first, _, total)| first != from || total != checkpoint.size)
                {
                    return Err(self.corrupt(&format!(
                        "the rest from byte {from} came as {}",
                        answer.content_range().unwrap_or("the whole object")
                    )));
                }
                answer.body
            }
            None => ByteStream::from_static(b""),
        };
        let mut file = self.writer(file).await?;
        let (mut at, mut synced, mut body) = (from, from, body);
        loop {
            let written = match self.append(&mut file, &mut digest, &mut body).await {
                Ok(Some(written)) => written,
                Ok(None) => break,
                Err(err) => {
                    // What arrived stays: the next try asks for the rest from here.
                    if err.retryable() {
                        let _ = self.keep(&mut file, at).await;
                    }
                    return Err(err);
                }
            };
            at += written;
            if at - synced >= DURABLE_EVERY {
                self.keep(&mut file, at).await?;
                synced = at;
            }
        }
        if at != checkpoint.size {
            return Err(interrupted(format!("{at} of {} bytes", checkpoint.size)));
        }
        self.sync(&mut file).await?;
        Ok(digest.hex())
    }

    /// Writes the body's next chunk to `file` and into `digest`; its length, or `None` at the
    /// end.
    async fn append(
        &self,
        file: &mut FileWriter,
        digest: &mut Hasher,
        body: &mut ByteStream,
    ) -> Result<Option<u64>> {
        let Some(chunk) = body.next().await else {
            return Ok(None);
        };
        self.job.check()?;
        let chunk = chunk.map_err(interrupted)?;
        digest.update(&chunk);
        file.write_all(&chunk).await.map_err(|e| self.io(e))?;
        self.done.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        self.report(0);
        Ok(Some(chunk.len() as u64))
    }

    /// Syncs the stream's first `at` bytes and records them: a resume goes on from there.
    async fn keep(&self, file: &mut FileWriter, at: u64) -> Result<()> {
        self.sync(file).await?;
        let id = self.job.id;
        self.engine
            .blocking(move |conn, _| checkpoint::set_durable(conn, id, at))
            .await
    }

    /// Puts what `file` holds on the disk.
    async fn sync(&self, file: &mut FileWriter) -> Result<()> {
        file.sync().await.map_err(|e| self.io(e))
    }

    /// A writer at `file`'s position.
    async fn writer(&self, file: tokio::fs::File) -> Result<FileWriter> {
        FileWriter::new(file.into_std().await, WRITE_BUFFER).map_err(|e| self.io(e))
    }

    /// Fetches the parts `numbers`, several at once (`first` is part 1's answer, already
    /// received), each written at its place, synced, then recorded.
    async fn fetch_parts(
        &self,
        checkpoint: &Checkpoint,
        first: Option<GetObjectOutput>,
        numbers: Vec<u32>,
    ) -> Result<BTreeMap<u32, Part>> {
        use futures_util::{StreamExt, TryStreamExt};
        let parallel = PARALLEL_RANGES as usize - usize::from(first.is_some());
        let rest = futures_util::stream::iter(numbers)
            .map(|number| self.fetch_part(checkpoint, number, None))
            .buffer_unordered(parallel)
            .try_collect::<BTreeMap<u32, Part>>();
        match first {
            Some(first) => {
                let ((number, part), mut rest) =
                    tokio::try_join!(self.fetch_part(checkpoint, 1, Some(first)), rest)?;
                rest.insert(number, part);
                Ok(rest)
            }
            None => rest.await,
        }
    }

    /// Fetches one part; a part whose body broke off is fetched again, on its own.
    async fn fetch_part(
        &self,
        checkpoint: &Checkpoint,
        number: u32,
        mut answer: Option<GetObjectOutput>,
    ) -> Result<(u32, Part)> {
        let mut attempt = 0;
        loop {
            let received = match answer.take() {
                Some(answer) => answer,
                None => self.get_piece(checkpoint, number).await?,
            };
            match self.write_part(checkpoint, number, received).await {
                Err(err)
                    if err.retryable()
                        && !self.untrusted.load(Ordering::Relaxed)
                        && attempt + 1 < TRANSFER_ATTEMPTS =>
                {
                    attempt += 1;
                    tokio::time::sleep(backoff(attempt)).await;
                }
                written => return written.map(|part| (number, part)),
            }
        }
    }

    /// Writes one part's answer at its place in the temporary file, syncs and records it.
    async fn write_part(
        &self,
        checkpoint: &Checkpoint,
        number: u32,
        answer: GetObjectOutput,
    ) -> Result<Part> {
        let Some((first, last, total)) = answer.content_range().and_then(content_range) else {
            return Err(self.corrupt(&format!("part {number} came without its place")));
        };
        if total != checkpoint.size || last < first || last >= total {
            return Err(self.corrupt(&format!("part {number} does not fit the object")));
        }
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&self.temporary)
            .await
            .map_err(|e| self.io(e))?;
        file.seek(std::io::SeekFrom::Start(first))
            .await
            .map_err(|e| self.io(e))?;
        let mut file = self.writer(file).await?;
        let (mut digest, mut size, mut body) = (
            Hasher::new(checkpoint, checkpoint.range_size > 0),
            0u64,
            answer.body,
        );
        let announced = last - first + 1;
        while let Some(written) = self.append(&mut file, &mut digest, &mut body).await? {
            size += written;
            if size > announced {
                return Err(self.corrupt(&format!("part {number} is longer than announced")));
            }
        }
        if size != announced {
            return Err(interrupted(format!(
                "part {number}: {size} of {announced} bytes"
            )));
        }
        self.sync(&mut file).await?;
        let part = Part {
            offset: first,
            size,
            digest: digest.hex(),
        };
        let (id, recorded) = (self.job.id, part.clone());
        self.engine
            .blocking(move |conn, _| checkpoint::add_part(conn, id, number, &recorded))
            .await?;
        Ok(part)
    }

    /// The bytes fetched are the object's: its length, then its whole-object CRC where the
    /// server keeps one, else its MD5 or multipart ETag wherever the ETag is made from them
    /// (other ETags, of encrypted objects, say nothing).
    fn check(&self, checkpoint: &Checkpoint, fetched: &Fetched) -> Result<Verified> {
        let digests: Vec<(&str, u64)> = match fetched {
            Fetched::Whole { digest } => vec![(digest.as_str(), checkpoint.size)],
            Fetched::Parts(parts) => {
                let mut next = 0;
                for part in parts.values() {
                    if part.offset != next {
                        return Err(self.corrupt("its parts leave a gap"));
                    }
                    next += part.size;
                }
                if next != checkpoint.size || parts.len() as u32 != checkpoint.parts {
                    return Err(self.corrupt("its parts do not add up to the object"));
                }
                parts
                    .values()
                    .map(|p| (p.digest.as_str(), p.size))
                    .collect()
            }
        };
        if let Some((crc, expected)) = expected_crc(checkpoint) {
            let pieces = digests
                .iter()
                .map(|(hex, len)| u64::from_str_radix(hex, 16).ok().map(|crc| (crc, *len)))
                .collect::<Option<Vec<_>>>();
            if pieces.and_then(|p| crc.combine_all(p)) != Some(expected) {
                let name = crc.name().to_uppercase();
                return Err(self.corrupt(&format!("its {name} differs from the server's")));
            }
            return Ok(Verified::Crc(crc));
        }
        let etag = checkpoint.etag.to_ascii_lowercase();
        // A stream of an object that has several parts (a server that ignores `partNumber`)
        // has no MD5 per part to rebuild its ETag from: only its length is checked.
        let expected = match fetched {
            _ if !checkpoint.etag_is_digest => None,
            Fetched::Whole { digest } if is_md5(&etag) => Some(digest.clone()),
            Fetched::Whole { digest } if part_count(&etag) == Some(1) => {
                Some(multipart_etag_of_hex([digest.as_str()]))
            }
            Fetched::Parts(_) if checkpoint.range_size == 0 && part_count(&etag).is_some() => {
                Some(multipart_etag_of_hex(digests.iter().map(|(md5, _)| *md5)))
            }
            _ => None,
        };
        match expected {
            Some(expected) if expected != etag => {
                Err(self.corrupt("its MD5 differs from the ETag"))
            }
            Some(_) => Ok(Verified::Etag),
            None => Ok(Verified::Length),
        }
    }

    /// Checks the MD5 of the whole temporary file against the ETag: for an object fetched in
    /// ranges whose ETag is its MD5 and which has no CRC to combine.
    async fn check_file_md5(&self, checkpoint: &Checkpoint) -> Result<Verified> {
        let mut file = tokio::fs::File::open(&self.temporary)
            .await
            .map_err(|e| self.unreadable(e))?;
        let mut md5 = Hasher::Md5(Md5::new());
        self.read_into(&mut file, checkpoint.size, &mut md5).await?;
        if md5.hex() != checkpoint.etag.to_ascii_lowercase() {
            return Err(self.corrupt("its MD5 differs from the ETag"));
        }
        Ok(Verified::Etag)
    }

    /// Reads the next `len` bytes of the temporary file into `digest`.
    async fn read_into(
        &self,
        file: &mut tokio::fs::File,
        len: u64,
        digest: &mut Hasher,
    ) -> Result<()> {
        let mut buffer = vec![0; WRITE_BUFFER];
        let mut left = len;
        while left > 0 {
            let n = file
                .read(&mut buffer[..WRITE_BUFFER.min(left as usize)])
                .await
                .map_err(|e| self.unreadable(e))?;
            if n == 0 {
                return Err(self.corrupt("the temporary file is shorter than recorded"));
            }
            digest.update(&buffer[..n]);
            left -= n as u64;
        }
        Ok(())
    }

    fn unreadable(&self, e: std::io::Error) -> Error {
        Error::io(
            format!("{} could not be read", self.temporary.display()),
            &e,
        )
    }

    /// Renames the checked, synced temporary file over the target and syncs the folder: the
    /// final name never shows a part of the object.
    async fn place(&self, target: &Path) -> Result<()> {
        let id = self.job.id;
        tokio::fs::rename(&self.temporary, target)
            .await
            .map_err(|e| Error::io(format!("{} could not be written", target.display()), &e))?;
        if let Some(folder) = target.parent()
            && let Ok(folder) = tokio::fs::File::open(folder).await
        {
            let _ = folder.sync_all().await;
        }
        let _ = self
            .engine
            .blocking(move |conn, _| checkpoint::forget(conn, id))
            .await;
        Ok(())
    }

    /// Removes the temporary file and the record of it.
    async fn discard(&self) {
        let _ = tokio::fs::remove_file(&self.temporary).await;
        let id = self.job.id;
        let _ = self
            .engine
            .blocking(move |conn, _| checkpoint::forget(conn, id))
            .await;
    }
}

/// The wait before try `attempt` + 1: 200 ms, doubling.
fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(100 << attempt.min(6))
}

fn interrupted(err: impl std::fmt::Display) -> Error {
    crate::objects::body_interrupted(
        "The download",
        err,
        "Resume it: the parts already on disk are kept.",
    )
    .with_retry(Retry::Transient)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::content_range;
    use crate::objects::etag::part_count;

    #[test]
    fn a_temporary_name_never_passes_255_bytes() {
        let long = "ü".repeat(127) + ".CR3";
        assert_eq!(long.len(), 258);
        let partial = super::temporary_path(Path::new("/d").join(&long).as_path(), 4242);
        let name = partial.file_name().unwrap().to_str().unwrap();
        assert!(name.len() <= 255, "{} bytes", name.len());
        assert!(
            name.starts_with(".üü") && name.ends_with(".strata-4242.part"),
            "{name}"
        );
        let short = super::temporary_path(Path::new("/d/a.jpg"), 7);
        assert_eq!(short, Path::new("/d/.a.jpg.strata-7.part"));
    }

    #[test]
    fn ranges_and_part_counts_are_read_from_the_answer() {
        assert_eq!(content_range("bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(content_range("bytes */1000"), None);
        assert_eq!(part_count("0cc175b9c0f1b6a831c399e269772661-12"), Some(12));
        assert_eq!(part_count("0cc175b9c0f1b6a831c399e269772661"), None);
        assert_eq!(part_count("opaque-etag"), None);
    }
}
