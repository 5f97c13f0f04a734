//! The S3 operations of the local endpoint, with S3's semantics and error codes.
//!
//! s3s parses requests, checks SigV4 (headers and presigned URLs) and writes responses; this
//! file maps each operation onto the [`Store`]. Index work runs on the blocking pool; bytes
//! stream between the socket and files without being held in memory.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::index::{self, ContentHeaders, ObjectRow, PartRow, UploadRow};
use super::listing::{self, Entry};
use super::store::{Source, Store, internal};

pub const DEFAULT_REGION: &str = "us-east-1";
const MAX_KEY_BYTES: usize = 1024;
const MIN_PART_SIZE: i64 = 5 * 1024 * 1024;
const MAX_PART_NUMBER: i32 = 10_000;
const STANDARD: &str = "STANDARD";
/// Bytes read from a file per chunk of a response body.
const READ_CHUNK: usize = 256 * 1024;
/// Bytes gathered before each write of an incoming body to its temporary file.
const WRITE_BUFFER: usize = 1024 * 1024;

pub(crate) struct LocalS3 {
    store: Arc<Store>,
}

impl LocalS3 {
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    /// Runs index work on the blocking pool.
    async fn index<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(internal)?
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn timestamp(ms: i64) -> Timestamp {
    Timestamp::from(UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64))
}

fn system_time(t: &Timestamp) -> SystemTime {
    time::OffsetDateTime::from(t.clone()).into()
}

fn db<T>(result: rusqlite::Result<T>) -> S3Result<T> {
    result.map_err(internal)
}

fn check_key(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(s3_error!(
            KeyTooLongError,
            "Object keys are at most 1024 bytes; this one has {}.",
            key.len()
        ));
    }
    Ok(())
}

/// The bucket's region, after checking that the request was signed for it. AWS answers a
/// request signed for the wrong region with AuthorizationHeaderMalformed (HEAD: a 301), both
/// with `x-amz-bucket-region`, which is what clients use to discover a bucket's region.
fn bucket_for(
    store: &Store,
    bucket: &str,
    signed_region: Option<&str>,
    head: bool,
) -> S3Result<String> {
    let region = db(index::bucket_region(&store.conn(), bucket))?
        .ok_or_else(|| s3_error!(NoSuchBucket, "The bucket {bucket} does not exist."))?;
    match signed_region {
        Some(signed) if signed != region => {
            let mut err = if head {
                let mut e = S3Error::with_message(
                    S3ErrorCode::PermanentRedirect,
                    "The bucket is in another region.",
                );
                e.set_status_code(http::StatusCode::MOVED_PERMANENTLY);
                e
            } else {
                S3Error::with_message(
                    S3ErrorCode::AuthorizationHeaderMalformed,
                    format!(
                        "The authorization header is malformed; the region '{signed}' is wrong; expecting '{region}'"
                    ),
                )
            };
            let mut headers = http::HeaderMap::new();
            if let Ok(value) = http::HeaderValue::from_str(&region) {
                headers.insert("x-amz-bucket-region", value);
            }
            err.set_headers(headers);
            Err(err)
        }
        _ => Ok(region),
    }
}

fn signed_region<T>(req: &S3Request<T>) -> Option<String> {
    req.region.as_ref().map(|r| r.as_str().to_string())
}

/// Which checksums a request asks the server to verify: the ones given as headers, the
/// declared algorithm, and those announced as trailers.
fn requested_checksums(
    headers: &http::HeaderMap,
    algorithm: Option<&ChecksumAlgorithm>,
    given: &[Option<String>; 5],
) -> s3s::checksum::ChecksumHasher {
    let mut hasher = s3s::checksum::ChecksumHasher::default();
    let trailer = headers
        .get("x-amz-trailer")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let algorithm = algorithm
        .map(|a| a.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    let wants = |name: &str, index: usize| {
        given[index].is_some()
            || algorithm == name
            || trailer.contains(&format!("x-amz-checksum-{name}"))
    };
    if wants("crc32", 0) {
        hasher.crc32 = Some(Default::default());
    }
    if wants("crc32c", 1) {
        hasher.crc32c = Some(Default::default());
    }
    if wants("sha1", 2) {
        hasher.sha1 = Some(Default::default());
    }
    if wants("sha256", 3) {
        hasher.sha256 = Some(Default::default());
    }
    if wants("crc64nvme", 4) {
        hasher.crc64nvme = Some(Default::default());
    }
    hasher
}

/// What was received of a body, written to a temporary file.
struct Received {
    temp: PathBuf,
    size: i64,
    md5: [u8; 16],
    /// algorithm -> base64 value, verified against what the client sent.
    checksums: HashMap<String, String>,
}

impl Received {
    fn etag(&self) -> String {
        hex_simd::encode_to_string(self.md5, hex_simd::AsciiCase::Lower)
    }

    fn checksums_json(&self) -> Option<String> {
        (!self.checksums.is_empty())
            .then(|| serde_json::to_string(&self.checksums).unwrap_or_default())
    }
}

/// The checksums a client sent for a body, by algorithm.
struct ClaimedChecksums {
    content_md5: Option<String>,
    values: [Option<String>; 5],
    trailers: Option<s3s::TrailingHeaders>,
    content_length: Option<i64>,
}

const ALGORITHMS: [&str; 5] = ["crc32", "crc32c", "sha1", "sha256", "crc64nvme"];

/// Streams `body` into a temporary file, fsyncs it, and verifies its MD5 and checksums.
async fn receive(
    store: &Store,
    body: Option<StreamingBlob>,
    mut hasher: s3s::checksum::ChecksumHasher,
    claimed: ClaimedChecksums,
) -> S3Result<Received> {
    let temp = store.blobs.temp_path();
    let outcome = async {
        // Bodies arrive in small chunks: buffer them so each blocking write is large.
        let mut file = tokio::io::BufWriter::with_capacity(
            WRITE_BUFFER,
            tokio::fs::File::create(&temp).await.map_err(internal)?,
        );
        let mut md5 = Md5::new();
        let mut size: i64 = 0;
        if let Some(mut body) = body {
            while let Some(chunk) = body.next().await {
                let chunk = chunk
                    .map_err(|e| s3_error!(IncompleteBody, "The body could not be read: {e}"))?;
                md5.update(&chunk);
                hasher.update(&chunk);
                size += chunk.len() as i64;
                file.write_all(&chunk).await.map_err(internal)?;
            }
        }
        file.flush().await.map_err(internal)?;
        file.get_ref().sync_all().await.map_err(internal)?;
        if let Some(expected) = claimed.content_length
            && expected != size
        {
            return Err(s3_error!(
                IncompleteBody,
                "Expected {expected} bytes, received {size}."
            ));
        }
        let md5: [u8; 16] = md5.finalize().into();
        if let Some(content_md5) = &claimed.content_md5 {
            let expected = base64_simd::STANDARD
                .decode_to_vec(content_md5)
                .map_err(|_| s3_error!(InvalidDigest, "Content-MD5 is not base64."))?;
            if expected != md5 {
                return Err(s3_error!(
                    BadDigest,
                    "The Content-MD5 you specified did not match what was received."
                ));
            }
        }
        let computed = hasher.finalize();
        let computed = [
            computed.checksum_crc32,
            computed.checksum_crc32c,
            computed.checksum_sha1,
            computed.checksum_sha256,
            computed.checksum_crc64nvme,
        ];
        let trailers = claimed.trailers.and_then(|t| t.take());
        let mut checksums = HashMap::new();
        for ((name, computed), given) in ALGORITHMS.iter().zip(computed).zip(claimed.values) {
            let Some(computed) = computed else { continue };
            let given = given.or_else(|| {
                trailers
                    .as_ref()
                    .and_then(|t| t.get(format!("x-amz-checksum-{name}")))
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            });
            if let Some(given) = given
                && given != computed
            {
                return Err(s3_error!(
                    BadDigest,
                    "The {} you specified did not match the calculated checksum.",
                    name.to_uppercase()
                ));
            }
            checksums.insert((*name).to_string(), computed);
        }
        Ok(Received {
            temp: temp.clone(),
            size,
            md5,
            checksums,
        })
    }
    .await;
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    outcome
}

fn storage_class_of(class: Option<&StorageClass>) -> S3Result<String> {
    let class = class.map_or(STANDARD, |c| c.as_str());
    const KNOWN: [&str; 9] = [
        "STANDARD",
        "REDUCED_REDUNDANCY",
        "STANDARD_IA",
        "ONEZONE_IA",
        "INTELLIGENT_TIERING",
        "GLACIER",
        "DEEP_ARCHIVE",
        "GLACIER_IR",
        "EXPRESS_ONEZONE",
    ];
    if KNOWN.contains(&class) {
        Ok(class.to_string())
    } else {
        Err(s3_error!(
            InvalidStorageClass,
            "The storage class {class} is not known."
        ))
    }
}

fn metadata_json(metadata: Option<&Metadata>) -> Option<String> {
    metadata
        .filter(|m| !m.is_empty())
        .map(|m| serde_json::to_string(m).unwrap_or_default())
}

fn metadata_of(json: Option<&str>) -> Option<Metadata> {
    json.and_then(|j| serde_json::from_str(j).ok())
}

fn quoted(etag: &str) -> ETag {
    ETag::Strong(etag.to_string())
}

fn etag_matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(tag) => tag.value() == etag,
    }
}

/// GET/HEAD preconditions (RFC 9110 order): If-Match, If-Unmodified-Since, If-None-Match,
/// If-Modified-Since.
fn check_preconditions(
    row: &ObjectRow,
    if_match: Option<&ETagCondition>,
    if_unmodified_since: Option<&Timestamp>,
    if_none_match: Option<&ETagCondition>,
    if_modified_since: Option<&Timestamp>,
) -> S3Result<()> {
    // HTTP dates have whole seconds: compare at that precision.
    let modified = UNIX_EPOCH + Duration::from_secs((row.modified_ms / 1000).max(0) as u64);
    if let Some(cond) = if_match {
        if !etag_matches(cond, &row.etag) {
            return Err(s3_error!(
                PreconditionFailed,
                "At least one of the preconditions you specified did not hold."
            ));
        }
    } else if let Some(since) = if_unmodified_since
        && modified > system_time(since)
    {
        return Err(s3_error!(
            PreconditionFailed,
            "At least one of the preconditions you specified did not hold."
        ));
    }
    if let Some(cond) = if_none_match {
        if etag_matches(cond, &row.etag) {
            return Err(S3Error::new(S3ErrorCode::NotModified));
        }
    } else if let Some(since) = if_modified_since
        && modified <= system_time(since)
    {
        return Err(S3Error::new(S3ErrorCode::NotModified));
    }
    Ok(())
}

/// What a PutObject or UploadPart request claims about its body, and the hasher that checks it:
/// `(hasher, claimed)` from an input with the usual checksum fields.
macro_rules! claimed_checksums {
    ($input:ident, $req_headers:expr, $trailers:expr) => {{
        let values = [
            $input.checksum_crc32.clone(),
            $input.checksum_crc32c.clone(),
            $input.checksum_sha1.clone(),
            $input.checksum_sha256.clone(),
            $input.checksum_crc64nvme.clone(),
        ];
        let hasher = requested_checksums($req_headers, $input.checksum_algorithm.as_ref(), &values);
        let claimed = ClaimedChecksums {
            content_md5: $input.content_md5.clone(),
            values,
            trailers: $trailers,
            content_length: $input.content_length,
        };
        (hasher, claimed)
    }};
}

/// Sets an output's checksum fields from an algorithm -> value map.
macro_rules! set_checksums {
    ($out:ident, $sums:expr) => {{
        let sums: &HashMap<String, String> = $sums;
        $out.checksum_crc32 = sums.get("crc32").cloned();
        $out.checksum_crc32c = sums.get("crc32c").cloned();
        $out.checksum_sha1 = sums.get("sha1").cloned();
        $out.checksum_sha256 = sums.get("sha256").cloned();
        $out.checksum_crc64nvme = sums.get("crc64nvme").cloned();
    }};
}

/// Fills the fields GET and HEAD answers share.
macro_rules! describe_object {
    ($out:ident, $row:expr, $with_checksums:expr) => {{
        let row: &ObjectRow = $row;
        $out.e_tag = Some(quoted(&row.etag));
        $out.last_modified = Some(timestamp(row.modified_ms));
        $out.content_type = row
            .headers
            .content_type
            .clone()
            .and_then(|t| t.parse().ok());
        $out.content_encoding = row.headers.content_encoding.clone();
        $out.content_disposition = row.headers.content_disposition.clone();
        $out.content_language = row.headers.content_language.clone();
        $out.cache_control = row.headers.cache_control.clone();
        $out.metadata = metadata_of(row.user_metadata.as_deref());
        $out.accept_ranges = Some("bytes".into());
        $out.parts_count = row.parts_count.map(|n| n as i32);
        if row.storage_class != STANDARD {
            $out.storage_class = Some(StorageClass::from(row.storage_class.clone()));
        }
        if $with_checksums {
            let sums: HashMap<String, String> = row
                .checksums
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            set_checksums!($out, &sums);
        }
    }};
}

/// Response header overrides (`response-content-type=…` on presigned downloads).
macro_rules! apply_overrides {
    ($out:ident, $input:ident) => {{
        if let Some(v) = $input.response_content_type.clone() {
            $out.content_type = v.parse().ok();
        }
        if let Some(v) = $input.response_content_disposition.clone() {
            $out.content_disposition = Some(v);
        }
        if let Some(v) = $input.response_content_encoding.clone() {
            $out.content_encoding = Some(v);
        }
        if let Some(v) = $input.response_content_language.clone() {
            $out.content_language = Some(v);
        }
        if let Some(v) = $input.response_cache_control.clone() {
            $out.cache_control = Some(v);
        }
    }};
}

fn content_headers(
    content_type: Option<&ContentType>,
    content_encoding: Option<&String>,
    content_disposition: Option<&String>,
    content_language: Option<&String>,
    cache_control: Option<&String>,
) -> ContentHeaders {
    ContentHeaders {
        content_type: content_type.map(ToString::to_string),
        content_encoding: content_encoding.cloned(),
        content_disposition: content_disposition.cloned(),
        content_language: content_language.cloned(),
        cache_control: cache_control.cloned(),
    }
}

fn wants_checksums(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// Reads the object row, following one concurrent replacement if its blob vanished between
/// the lookup and the open.
async fn open_object(
    store: &Arc<Store>,
    bucket: &str,
    key: &str,
) -> S3Result<(ObjectRow, tokio::fs::File)> {
    for _ in 0..2 {
        let (bucket_name, key_bytes) = (bucket.to_string(), key.as_bytes().to_vec());
        let s = Arc::clone(store);
        let row = tokio::task::spawn_blocking(move || {
            db(index::get_object(&s.conn(), &bucket_name, &key_bytes))
        })
        .await
        .map_err(internal)??
        .ok_or_else(|| s3_error!(NoSuchKey, "The key {key} does not exist."))?;
        match tokio::fs::File::open(store.blobs.path(&row.blob)).await {
            Ok(file) => return Ok((row, file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(internal(e)),
        }
    }
    Err(s3_error!(NoSuchKey, "The key {key} does not exist."))
}

/// A response body of `len` bytes of `file` from `start`.
async fn file_body(mut file: tokio::fs::File, start: u64, len: u64) -> S3Result<StreamingBlob> {
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(internal)?;
    let reader = file.take(len);
    let stream = futures_util::stream::unfold(reader, |mut reader| async move {
        let mut buf = vec![0u8; READ_CHUNK];
        match reader.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), reader))
            }
            Err(e) => Some((Err(e), reader)),
        }
    });
    Ok(StreamingBlob::wrap(stream))
}

/// Percent-encodes like S3's `encoding-type=url`: all but unreserved characters and `/`.
fn url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Listing keys as text, URL-encoded when the client asked for it, or when a key holds a
/// character that XML 1.0 cannot carry at all (NUL and most control characters, even as
/// `&#x..;`). AWS writes such keys raw and sends XML no parser accepts; this endpoint encodes
/// the whole page instead and says so in `EncodingType`, so every response is well-formed and
/// a client that decodes by that element gets every key back exactly.
struct KeyText {
    url: bool,
}

/// Whether `bytes` hold a character XML 1.0 forbids (or that a parser would normalize away).
fn xml_unsafe(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.chars().any(|c| {
        (c < ' ' && c != '\t' && c != '\n') || c == '\r' || c == '\u{FFFE}' || c == '\u{FFFF}'
    })
}

impl KeyText {
    /// URL-encoding when asked for, or when one of `values` needs it.
    fn for_values<'a>(
        encoding: Option<&EncodingType>,
        mut values: impl Iterator<Item = &'a [u8]>,
    ) -> Self {
        Self {
            url: encoding.is_some_and(|e| e.as_str() == "url") || values.any(xml_unsafe),
        }
    }
    fn of_page<'a>(
        encoding: Option<&EncodingType>,
        entries: &'a [Entry],
        asked: &'a [Option<&'a String>],
    ) -> Self {
        let keys = entries.iter().map(|e| match e {
            Entry::Object(row) => row.key.as_slice(),
            Entry::Prefix(cp) => cp.as_slice(),
        });
        let asked = asked.iter().flatten().map(|v| v.as_bytes());
        Self::for_values(encoding, keys.chain(asked))
    }
    /// The `EncodingType` element of the answer.
    fn declared(&self) -> Option<EncodingType> {
        self.url
            .then(|| EncodingType::from_static(EncodingType::URL))
    }
    fn text(&self, bytes: &[u8]) -> String {
        if self.url {
            url_encode(bytes)
        } else {
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
    fn opt(&self, value: Option<&String>) -> Option<String> {
        value.map(|v| self.text(v.as_bytes()))
    }
}

fn listed_object(row: &ObjectRow, keys: &KeyText) -> Object {
    Object {
        key: Some(keys.text(&row.key)),
        size: Some(row.size),
        e_tag: Some(quoted(&row.etag)),
        last_modified: Some(timestamp(row.modified_ms)),
        storage_class: Some(ObjectStorageClass::from(row.storage_class.clone())),
        ..Default::default()
    }
}

fn split_entries(entries: Vec<Entry>, keys: &KeyText) -> (Vec<Object>, Vec<CommonPrefix>) {
    let mut objects = Vec::new();
    let mut prefixes = Vec::new();
    for entry in entries {
        match entry {
            Entry::Object(row) => objects.push(listed_object(&row, keys)),
            Entry::Prefix(cp) => prefixes.push(CommonPrefix {
                prefix: Some(keys.text(&cp)),
            }),
        }
    }
    (objects, prefixes)
}

/// A listing's prefix and delimiter as bytes; an empty delimiter is none.
fn listing_scope(
    prefix: Option<&String>,
    delimiter: Option<&String>,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let prefix = prefix.cloned().unwrap_or_default().into_bytes();
    let delimiter = delimiter
        .filter(|d| !d.is_empty())
        .map(|d| d.clone().into_bytes());
    (prefix, delimiter)
}

/// A page limit (`max-keys`, `max-uploads`, `max-parts`): 1,000 at most, never negative.
fn page_size(max: Option<i32>) -> S3Result<usize> {
    match max {
        Some(n) if n < 0 => Err(s3_error!(
            InvalidArgument,
            "The page size must be between 0 and 2147483647."
        )),
        Some(n) => Ok(n.min(1000) as usize),
        None => Ok(1000),
    }
}

/// Writes `row` as naming `blob`; returns the replaced version's blob, to be released.
fn put_row(
    tx: &rusqlite::Transaction<'_>,
    bucket: &str,
    row: ObjectRow,
    blob: &str,
) -> S3Result<Vec<String>> {
    let replaced = db(index::put_object(
        tx,
        bucket,
        &ObjectRow {
            blob: blob.to_string(),
            ..row
        },
    ))?;
    Ok(replaced.into_iter().collect())
}

fn owner() -> Owner {
    Owner {
        display_name: Some("strata".into()),
        id: Some("strata-local".into()),
    }
}

/// The final ETag of a multipart object: MD5 of the parts' MD5s, then `-N`.
fn multipart_etag(part_etags: &[String]) -> S3Result<String> {
    let mut md5 = Md5::new();
    for etag in part_etags {
        md5.update(hex_simd::decode_to_vec(etag).map_err(internal)?);
    }
    let digest: [u8; 16] = md5.finalize().into();
    Ok(format!(
        "{}-{}",
        hex_simd::encode_to_string(digest, hex_simd::AsciiCase::Lower),
        part_etags.len()
    ))
}

fn upload_not_found(upload_id: &str) -> S3Error {
    s3_error!(
        NoSuchUpload,
        "The upload {upload_id} does not exist; it may have been completed or aborted."
    )
}

fn check_part_number(n: i32) -> S3Result<()> {
    if (1..=MAX_PART_NUMBER).contains(&n) {
        Ok(())
    } else {
        Err(s3_error!(
            InvalidArgument,
            "Part numbers go from 1 to 10000; {n} is outside."
        ))
    }
}

/// `bytes=first-last` of an UploadPartCopy, checked against the source's size.
fn copy_range(range: Option<&str>, size: i64) -> S3Result<(u64, u64)> {
    let Some(range) = range else {
        return Ok((0, size as u64));
    };
    let bad = || {
        s3_error!(
            InvalidArgument,
            "The x-amz-copy-source-range {range} is not bytes=first-last within the source."
        )
    };
    let (first, last) = range
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .ok_or_else(bad)?;
    let (first, last): (u64, u64) = (
        first.parse().map_err(|_| bad())?,
        last.parse().map_err(|_| bad())?,
    );
    if first > last || last >= size as u64 {
        return Err(bad());
    }
    Ok((first, last - first + 1))
}

fn copy_source(source: &CopySource) -> S3Result<(String, String)> {
    match source {
        CopySource::Bucket { bucket, key, .. } => Ok((bucket.to_string(), key.to_string())),
        _ => Err(s3_error!(
            NotImplemented,
            "Only bucket/key copy sources are supported."
        )),
    }
}

#[async_trait::async_trait]
impl S3 for LocalS3 {
    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        let input = req.input;
        let limit = match input.max_buckets {
            Some(n) if !(1..=10_000).contains(&n) => {
                return Err(s3_error!(
                    InvalidArgument,
                    "max-buckets must be between 1 and 10000."
                ));
            }
            Some(n) => n as usize,
            None => usize::MAX - 1,
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let after = input.continuation_token.clone().unwrap_or_default();
        let rows = self
            .index(move |s| db(index::list_buckets(&s.conn(), &prefix, &after, limit + 1)))
            .await?;
        let truncated = rows.len() > limit;
        let rows = &rows[..rows.len().min(limit)];
        let buckets = rows
            .iter()
            .map(|b| Bucket {
                name: Some(b.name.clone()),
                creation_date: Some(timestamp(b.created_ms)),
                bucket_region: Some(b.region.clone()),
            })
            .collect();
        let output = ListBucketsOutput {
            buckets: Some(buckets),
            continuation_token: truncated
                .then(|| rows.last().map(|b| b.name.clone()))
                .flatten(),
            owner: Some(owner()),
            prefix: input.prefix,
        };
        Ok(S3Response::new(output))
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        let bucket = req.input.bucket.clone();
        crate::bucket_name::check(&bucket).map_err(|rule| {
            s3_error!(
                InvalidBucketName,
                "The bucket name \"{bucket}\" is not valid: it {rule}."
            )
        })?;
        let constraint = req
            .input
            .create_bucket_configuration
            .as_ref()
            .and_then(|c| c.location_constraint.as_ref())
            .map(|c| c.as_str().to_string())
            .filter(|c| !c.is_empty());
        let signed = signed_region(&req);
        let region = constraint
            .clone()
            .unwrap_or_else(|| signed.clone().unwrap_or_else(|| DEFAULT_REGION.into()));
        if let (Some(constraint), Some(signed)) = (&constraint, &signed)
            && constraint != signed
            && signed != DEFAULT_REGION
        {
            return Err(s3_error!(
                IllegalLocationConstraintException,
                "The {constraint} location constraint is incompatible with the region ({signed}) this request was sent to."
            ));
        }
        let name = bucket.clone();
        let created = self
            .index(move |s| db(index::insert_bucket(&s.conn(), &name, &region, now_ms())))
            .await?;
        if !created {
            return Err(s3_error!(
                BucketAlreadyOwnedByYou,
                "You already own the bucket {bucket}."
            ));
        }
        Ok(S3Response::new(CreateBucketOutput {
            location: Some(format!("/{bucket}")),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
        let region = self
            .index(move |s| bucket_for(s, &bucket, signed.as_deref(), true))
            .await?;
        Ok(S3Response::new(HeadBucketOutput {
            bucket_region: Some(region),
            ..Default::default()
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        let bucket = req.input.bucket.clone();
        // Answered whatever region the request was signed for: it is how clients find out.
        let region = self
            .index(move |s| bucket_for(s, &bucket, None, false))
            .await?;
        let location_constraint =
            (region != DEFAULT_REGION).then(|| BucketLocationConstraint::from(region));
        Ok(S3Response::new(GetBucketLocationOutput {
            location_constraint,
        }))
    }

    /// Nothing here is ever public: every request must be signed with the endpoint's key.
    async fn get_bucket_policy_status(
        &self,
        req: S3Request<GetBucketPolicyStatusInput>,
    ) -> S3Result<S3Response<GetBucketPolicyStatusOutput>> {
        let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
        self.index(move |s| bucket_for(s, &bucket, signed.as_deref(), false))
            .await?;
        Ok(S3Response::new(GetBucketPolicyStatusOutput {
            policy_status: Some(PolicyStatus {
                is_public: Some(false),
            }),
        }))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            let conn = s.conn();
            if !db(index::bucket_is_empty(&conn, &bucket))? {
                return Err(s3_error!(
                    BucketNotEmpty,
                    "The bucket {bucket} is not empty: delete its objects and uploads first."
                ));
            }
            db(index::delete_bucket(&conn, &bucket))
        })
        .await?;
        Ok(S3Response::new(DeleteBucketOutput {}))
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let input = req.input;
        check_key(&input.key)?;
        let (bucket, signed) = (
            input.bucket.clone(),
            req.region.as_ref().map(|r| r.as_str().to_string()),
        );
        self.index(move |s| bucket_for(s, &bucket, signed.as_deref(), false))
            .await?;
        let storage_class = storage_class_of(input.storage_class.as_ref())?;
        let (hasher, claimed) = claimed_checksums!(input, &req.headers, req.trailing_headers);
        let received = receive(&self.store, input.body, hasher, claimed).await?;
        let row = ObjectRow {
            key: input.key.as_bytes().to_vec(),
            blob: String::new(),
            size: received.size,
            etag: received.etag(),
            modified_ms: now_ms(),
            storage_class,
            headers: content_headers(
                input.content_type.as_ref(),
                input.content_encoding.as_ref(),
                input.content_disposition.as_ref(),
                input.content_language.as_ref(),
                input.cache_control.as_ref(),
            ),
            user_metadata: metadata_json(input.metadata.as_ref()),
            checksums: received.checksums_json(),
            parts_count: None,
        };
        let (bucket, if_none_match) = (input.bucket.clone(), input.if_none_match.clone());
        let temp = received.temp.clone();
        let etag = row.etag.clone();
        self.index(move |s| {
            s.commit(Source::Temp(temp), "put:after-install", |tx, blob| {
                if let Some(cond) = &if_none_match
                    && let Some(existing) = db(index::get_object(tx, &bucket, &row.key))?
                    && etag_matches(cond, &existing.etag)
                {
                    return Err(s3_error!(
                        PreconditionFailed,
                        "The object exists and If-None-Match was given."
                    ));
                }
                let replaced = put_row(tx, &bucket, row, blob)?;
                Ok(((), replaced))
            })
        })
        .await?;
        let mut output = PutObjectOutput {
            e_tag: Some(quoted(&etag)),
            size: Some(received.size),
            ..Default::default()
        };
        set_checksums!(output, &received.checksums);
        Ok(S3Response::new(output))
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let signed = signed_region(&req);
        let input = req.input;
        let bucket = input.bucket.clone();
        self.index(move |s| bucket_for(s, &bucket, signed.as_deref(), false))
            .await?;
        let (row, file) = open_object(&self.store, &input.bucket, &input.key).await?;
        check_preconditions(
            &row,
            input.if_match.as_ref(),
            input.if_unmodified_since.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
        )?;
        let size = row.size as u64;
        let (start, len, content_range) = match &input.range {
            None => (0, size, None),
            Some(range) => {
                let r = range.check(size)?;
                (
                    r.start,
                    r.end - r.start,
                    Some(format!(
                        "bytes {}-{}/{size}",
                        r.start,
                        r.end.saturating_sub(1)
                    )),
                )
            }
        };
        let mut out = GetObjectOutput::default();
        describe_object!(
            out,
            &row,
            content_range.is_none() && wants_checksums(input.checksum_mode.as_ref())
        );
        apply_overrides!(out, input);
        out.content_length = Some(len as i64);
        out.content_range = content_range;
        out.body = Some(file_body(file, start, len).await?);
        Ok(S3Response::new(out))
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let signed = signed_region(&req);
        let input = req.input;
        let bucket = input.bucket.clone();
        let key = input.key.as_bytes().to_vec();
        let row = self
            .index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                db(index::get_object(&s.conn(), &bucket, &key))
            })
            .await?
            .ok_or_else(|| s3_error!(NoSuchKey, "The key does not exist."))?;
        check_preconditions(
            &row,
            input.if_match.as_ref(),
            input.if_unmodified_since.as_ref(),
            input.if_none_match.as_ref(),
            input.if_modified_since.as_ref(),
        )?;
        let mut out = HeadObjectOutput::default();
        describe_object!(out, &row, wants_checksums(input.checksum_mode.as_ref()));
        apply_overrides!(out, input);
        out.content_length = Some(row.size);
        Ok(S3Response::new(out))
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
        let key = req.input.key.as_bytes().to_vec();
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            s.write(|tx| {
                Ok((
                    (),
                    db(index::delete_object(tx, &bucket, &key))?
                        .into_iter()
                        .collect(),
                ))
            })
        })
        .await?;
        Ok(S3Response::new(DeleteObjectOutput::default()))
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let (bucket, signed) = (req.input.bucket.clone(), signed_region(&req));
        let quiet = req.input.delete.quiet.unwrap_or(false);
        let keys: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|o| o.key.clone())
            .collect();
        if keys.len() > 1000 {
            return Err(s3_error!(
                MalformedXML,
                "DeleteObjects takes at most 1000 keys."
            ));
        }
        let (deleted, errors) = self
            .index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                s.write(|tx| {
                    let (mut deleted, mut errors, mut released) =
                        (Vec::new(), Vec::new(), Vec::new());
                    for key in keys {
                        if key.len() > MAX_KEY_BYTES {
                            errors.push(Error {
                                code: Some("KeyTooLongError".into()),
                                key: Some(key),
                                message: Some("Object keys are at most 1024 bytes.".into()),
                                version_id: None,
                            });
                            continue;
                        }
                        released.extend(db(index::delete_object(tx, &bucket, key.as_bytes()))?);
                        deleted.push(DeletedObject {
                            key: Some(key),
                            ..Default::default()
                        });
                    }
                    Ok(((deleted, errors), released))
                })
            })
            .await?;
        let output = DeleteObjectsOutput {
            deleted: (!quiet).then_some(deleted),
            errors: Some(errors),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let input = req.input;
        check_key(&input.key)?;
        let (source_bucket, source_key) = copy_source(&input.copy_source)?;
        let (bucket, signed) = (
            input.bucket.clone(),
            req.region.as_ref().map(|r| r.as_str().to_string()),
        );
        let source = {
            let (sb, sk) = (source_bucket.clone(), source_key.as_bytes().to_vec());
            self.index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                db(index::bucket_region(&s.conn(), &sb))?.ok_or_else(|| {
                    s3_error!(NoSuchBucket, "The source bucket {sb} does not exist.")
                })?;
                db(index::get_object(&s.conn(), &sb, &sk))
            })
            .await?
            .ok_or_else(|| s3_error!(NoSuchKey, "The source key {source_key} does not exist."))?
        };
        if let Some(cond) = &input.copy_source_if_match
            && !etag_matches(cond, &source.etag)
        {
            return Err(s3_error!(
                PreconditionFailed,
                "The source's ETag does not match x-amz-copy-source-if-match."
            ));
        }
        if let Some(cond) = &input.copy_source_if_none_match
            && etag_matches(cond, &source.etag)
        {
            return Err(s3_error!(
                PreconditionFailed,
                "The source's ETag matches x-amz-copy-source-if-none-match."
            ));
        }
        let replace = input
            .metadata_directive
            .as_ref()
            .is_some_and(|d| d.as_str() == "REPLACE");
        let storage_class = storage_class_of(input.storage_class.as_ref())?;
        let same_object = source_bucket == input.bucket && source_key == input.key;
        if same_object && !replace && input.storage_class.is_none() {
            return Err(s3_error!(
                InvalidRequest,
                "This copy request is illegal because it is trying to copy an object to itself without changing the \
                 object's metadata, storage class, website redirect location or encryption attributes."
            ));
        }
        let (headers, user_metadata) = if replace {
            let headers = content_headers(
                input.content_type.as_ref(),
                input.content_encoding.as_ref(),
                input.content_disposition.as_ref(),
                input.content_language.as_ref(),
                input.cache_control.as_ref(),
            );
            (headers, metadata_json(input.metadata.as_ref()))
        } else {
            (source.headers.clone(), source.user_metadata.clone())
        };
        let row = ObjectRow {
            key: input.key.as_bytes().to_vec(),
            modified_ms: now_ms(),
            storage_class,
            headers,
            user_metadata,
            ..source.clone()
        };
        let (bucket, source_blob) = (input.bucket.clone(), source.blob.clone());
        let result_row = row.clone();
        self.index(move |s| {
            s.commit(
                Source::Link(source_blob),
                "copy:after-install",
                |tx, blob| {
                    let replaced = put_row(tx, &bucket, row, blob)?;
                    Ok(((), replaced))
                },
            )
        })
        .await?;
        let output = CopyObjectOutput {
            copy_object_result: Some(CopyObjectResult {
                e_tag: Some(quoted(&result_row.etag)),
                last_modified: Some(timestamp(result_row.modified_ms)),
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        let signed = signed_region(&req);
        let input = req.input;
        let bucket = input.bucket.clone();
        let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
        let start = match (&input.continuation_token, &input.start_after) {
            (Some(token), _) => listing::parse_token(token).ok_or_else(|| {
                s3_error!(InvalidArgument, "The continuation token is not valid.")
            })?,
            (None, Some(after)) => {
                listing::resume_after(after.as_bytes(), &prefix, delimiter.as_deref())
            }
            (None, None) => Bound::Unbounded,
        };
        let max = page_size(input.max_keys)?;
        let page = self
            .list_page(bucket, signed, prefix, delimiter, start, max)
            .await?;
        let next = page
            .truncated
            .then(|| page.entries.last().map(listing::token_for))
            .flatten();
        let keys = KeyText::of_page(
            input.encoding_type.as_ref(),
            &page.entries,
            &[
                input.prefix.as_ref(),
                input.delimiter.as_ref(),
                input.start_after.as_ref(),
            ],
        );
        let count = page.entries.len() as i32;
        let (contents, prefixes) = split_entries(page.entries, &keys);
        let output = ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(keys.opt(input.prefix.as_ref()).unwrap_or_default()),
            delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
            start_after: keys.opt(input.start_after.as_ref()),
            max_keys: Some(max as i32),
            key_count: Some(count),
            is_truncated: Some(page.truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: next,
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            encoding_type: keys.declared(),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        let signed = signed_region(&req);
        let input = req.input;
        let bucket = input.bucket.clone();
        let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
        let start = input.marker.as_ref().map_or(Bound::Unbounded, |m| {
            listing::resume_after(m.as_bytes(), &prefix, delimiter.as_deref())
        });
        let max = page_size(input.max_keys)?;
        let has_delimiter = delimiter.is_some();
        let page = self
            .list_page(bucket, signed, prefix, delimiter, start, max)
            .await?;
        let keys = KeyText::of_page(
            input.encoding_type.as_ref(),
            &page.entries,
            &[
                input.prefix.as_ref(),
                input.delimiter.as_ref(),
                input.marker.as_ref(),
            ],
        );
        // NextMarker is returned only with a delimiter; without one, clients use the last key.
        let next_marker = (page.truncated && has_delimiter)
            .then(|| {
                page.entries.last().map(|e| match e {
                    Entry::Object(row) => keys.text(&row.key),
                    Entry::Prefix(cp) => keys.text(cp),
                })
            })
            .flatten();
        let (contents, prefixes) = split_entries(page.entries, &keys);
        let output = ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(keys.opt(input.prefix.as_ref()).unwrap_or_default()),
            delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
            marker: Some(keys.opt(input.marker.as_ref()).unwrap_or_default()),
            max_keys: Some(max as i32),
            is_truncated: Some(page.truncated),
            next_marker,
            contents: Some(contents),
            common_prefixes: Some(prefixes),
            encoding_type: keys.declared(),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let input = req.input;
        check_key(&input.key)?;
        let upload = UploadRow {
            upload_id: super::blobs::random_id(),
            bucket: input.bucket.clone(),
            key: input.key.as_bytes().to_vec(),
            initiated_ms: now_ms(),
            storage_class: storage_class_of(input.storage_class.as_ref())?,
            headers: content_headers(
                input.content_type.as_ref(),
                input.content_encoding.as_ref(),
                input.content_disposition.as_ref(),
                input.content_language.as_ref(),
                input.cache_control.as_ref(),
            ),
            user_metadata: metadata_json(input.metadata.as_ref()),
            checksum_algorithm: input
                .checksum_algorithm
                .as_ref()
                .map(|a| a.as_str().to_string()),
        };
        let upload_id = upload.upload_id.clone();
        let signed = req.region.as_ref().map(|r| r.as_str().to_string());
        self.index(move |s| {
            bucket_for(s, &upload.bucket, signed.as_deref(), false)?;
            db(index::insert_upload(&s.conn(), &upload))
        })
        .await?;
        let output = CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(upload_id),
            checksum_algorithm: input.checksum_algorithm,
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let input = req.input;
        check_part_number(input.part_number)?;
        let (bucket, key, upload_id) = (
            input.bucket.clone(),
            input.key.as_bytes().to_vec(),
            input.upload_id.clone(),
        );
        let signed = req.region.as_ref().map(|r| r.as_str().to_string());
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            db(index::get_upload(&s.conn(), &bucket, &key, &upload_id))?
                .ok_or_else(|| upload_not_found(&upload_id))
        })
        .await?;
        let (hasher, claimed) = claimed_checksums!(input, &req.headers, req.trailing_headers);
        let received = receive(&self.store, input.body, hasher, claimed).await?;
        let mut output = UploadPartOutput {
            e_tag: Some(quoted(&received.etag())),
            ..Default::default()
        };
        set_checksums!(output, &received.checksums);
        let part = PartRow {
            part_number: input.part_number,
            blob: String::new(),
            size: received.size,
            etag: received.etag(),
            modified_ms: now_ms(),
            checksums: received.checksums_json(),
        };
        self.commit_part(
            input.bucket,
            input.key,
            input.upload_id,
            Source::Temp(received.temp),
            part,
        )
        .await?;
        Ok(S3Response::new(output))
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        let input = req.input;
        check_part_number(input.part_number)?;
        let (source_bucket, source_key) = copy_source(&input.copy_source)?;
        let (bucket, key, upload_id) = (
            input.bucket.clone(),
            input.key.as_bytes().to_vec(),
            input.upload_id.clone(),
        );
        let signed = req.region.as_ref().map(|r| r.as_str().to_string());
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            db(index::get_upload(&s.conn(), &bucket, &key, &upload_id))?
                .ok_or_else(|| upload_not_found(&upload_id))
        })
        .await?;
        let (source, mut file) = open_object(&self.store, &source_bucket, &source_key).await?;
        let (start, len) = copy_range(input.copy_source_range.as_deref(), source.size)?;
        file.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(internal)?;
        let temp = self.store.blobs.temp_path();
        let copied = async {
            let mut out = tokio::fs::File::create(&temp).await.map_err(internal)?;
            let mut reader = file.take(len);
            let mut md5 = Md5::new();
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                let n = reader.read(&mut buf).await.map_err(internal)?;
                if n == 0 {
                    break;
                }
                md5.update(&buf[..n]);
                out.write_all(&buf[..n]).await.map_err(internal)?;
            }
            out.sync_all().await.map_err(internal)?;
            let digest: [u8; 16] = md5.finalize().into();
            Ok::<_, S3Error>(hex_simd::encode_to_string(
                digest,
                hex_simd::AsciiCase::Lower,
            ))
        }
        .await;
        let etag = match copied {
            Ok(etag) => etag,
            Err(e) => {
                let _ = tokio::fs::remove_file(&temp).await;
                return Err(e);
            }
        };
        let part = PartRow {
            part_number: input.part_number,
            blob: String::new(),
            size: len as i64,
            etag: etag.clone(),
            modified_ms: now_ms(),
            checksums: None,
        };
        let modified = part.modified_ms;
        self.commit_part(
            input.bucket,
            input.key,
            input.upload_id,
            Source::Temp(temp),
            part,
        )
        .await?;
        let output = UploadPartCopyOutput {
            copy_part_result: Some(CopyPartResult {
                e_tag: Some(quoted(&etag)),
                last_modified: Some(timestamp(modified)),
                ..Default::default()
            }),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let input = req.input;
        let limit = page_size(input.max_parts)?;
        let after = input.part_number_marker.unwrap_or(0);
        let (bucket, key, upload_id) = (
            input.bucket.clone(),
            input.key.as_bytes().to_vec(),
            input.upload_id.clone(),
        );
        let signed = req.region.as_ref().map(|r| r.as_str().to_string());
        let (upload, mut parts) = self
            .index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                let conn = s.conn();
                let upload = db(index::get_upload(&conn, &bucket, &key, &upload_id))?
                    .ok_or_else(|| upload_not_found(&upload_id))?;
                Ok((
                    upload,
                    db(index::parts(&conn, &upload_id, after, limit + 1))?,
                ))
            })
            .await?;
        let truncated = parts.len() > limit;
        parts.truncate(limit);
        let output = ListPartsOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(input.upload_id),
            max_parts: Some(limit as i32),
            part_number_marker: input.part_number_marker,
            next_part_number_marker: parts.last().map(|p| p.part_number),
            is_truncated: Some(truncated),
            storage_class: Some(StorageClass::from(upload.storage_class)),
            owner: Some(owner()),
            initiator: Some(Initiator {
                display_name: Some("strata".into()),
                id: Some("strata-local".into()),
            }),
            parts: Some(
                parts
                    .into_iter()
                    .map(|p| Part {
                        part_number: Some(p.part_number),
                        size: Some(p.size),
                        e_tag: Some(quoted(&p.etag)),
                        last_modified: Some(timestamp(p.modified_ms)),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let input = req.input;
        let limit = page_size(input.max_uploads)?;
        let (prefix, delimiter) = listing_scope(input.prefix.as_ref(), input.delimiter.as_ref());
        let key_marker = input.key_marker.clone().unwrap_or_default().into_bytes();
        // Without a key marker the upload-id marker is ignored, as S3 does.
        let id_marker = if key_marker.is_empty() {
            String::new()
        } else {
            input.upload_id_marker.clone().unwrap_or_default()
        };
        let (bucket, signed) = (
            input.bucket.clone(),
            req.region.as_ref().map(|r| r.as_str().to_string()),
        );
        let (uploads, prefixes, truncated) = self
            .index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                let conn = s.conn();
                let (mut uploads, mut prefixes): (Vec<UploadRow>, Vec<Vec<u8>>) =
                    (Vec::new(), Vec::new());
                let (mut after_key, mut after_id) = (key_marker, id_marker);
                loop {
                    let batch = db(index::list_uploads(
                        &conn, &bucket, &after_key, &after_id, 256,
                    ))?;
                    let Some(last) = batch.last() else {
                        return Ok((uploads, prefixes, false));
                    };
                    (after_key, after_id) = (last.key.clone(), last.upload_id.clone());
                    for upload in batch {
                        if !upload.key.starts_with(&prefix) {
                            continue;
                        }
                        let rolled =
                            listing::common_prefix(&upload.key, &prefix, delimiter.as_deref());
                        if uploads.len() + prefixes.len() == limit {
                            return Ok((uploads, prefixes, true));
                        }
                        match rolled {
                            Some(cp) if prefixes.last() == Some(&cp) => {}
                            Some(cp) => prefixes.push(cp),
                            None => uploads.push(upload),
                        }
                    }
                }
            })
            .await?;
        let keys = KeyText::for_values(
            input.encoding_type.as_ref(),
            uploads
                .iter()
                .map(|u| u.key.as_slice())
                .chain(prefixes.iter().map(Vec::as_slice))
                .chain(
                    [&input.prefix, &input.delimiter, &input.key_marker]
                        .into_iter()
                        .flatten()
                        .map(|v| v.as_bytes()),
                ),
        );
        let output = ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: keys.opt(input.prefix.as_ref()),
            delimiter: keys.opt(input.delimiter.as_ref().filter(|d| !d.is_empty())),
            key_marker: keys.opt(input.key_marker.as_ref()),
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(limit as i32),
            is_truncated: Some(truncated),
            next_key_marker: truncated
                .then(|| uploads.last().map(|u| keys.text(&u.key)))
                .flatten(),
            next_upload_id_marker: truncated
                .then(|| uploads.last().map(|u| u.upload_id.clone()))
                .flatten(),
            common_prefixes: Some(
                prefixes
                    .iter()
                    .map(|p| CommonPrefix {
                        prefix: Some(keys.text(p)),
                    })
                    .collect(),
            ),
            uploads: Some(
                uploads
                    .iter()
                    .map(|u| MultipartUpload {
                        key: Some(keys.text(&u.key)),
                        upload_id: Some(u.upload_id.clone()),
                        initiated: Some(timestamp(u.initiated_ms)),
                        storage_class: Some(StorageClass::from(u.storage_class.clone())),
                        owner: Some(owner()),
                        initiator: Some(Initiator {
                            display_name: Some("strata".into()),
                            id: Some("strata-local".into()),
                        }),
                        ..Default::default()
                    })
                    .collect(),
            ),
            encoding_type: keys.declared(),
            request_charged: None,
        };
        Ok(S3Response::new(output))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let input = req.input;
        let listed: Vec<CompletedPart> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default();
        if listed.is_empty() {
            return Err(s3_error!(
                MalformedXML,
                "CompleteMultipartUpload needs at least one part."
            ));
        }
        let (bucket, key, upload_id) = (
            input.bucket.clone(),
            input.key.as_bytes().to_vec(),
            input.upload_id.clone(),
        );
        let signed = req.region.as_ref().map(|r| r.as_str().to_string());
        let (upload, stored) = self
            .index(move |s| {
                bucket_for(s, &bucket, signed.as_deref(), false)?;
                let conn = s.conn();
                let upload = db(index::get_upload(&conn, &bucket, &key, &upload_id))?
                    .ok_or_else(|| upload_not_found(&upload_id))?;
                Ok((upload, db(index::parts(&conn, &upload_id, 0, usize::MAX))?))
            })
            .await?;
        let stored: HashMap<i32, PartRow> =
            stored.into_iter().map(|p| (p.part_number, p)).collect();
        let numbers = listed
            .iter()
            .map(|p| {
                p.part_number
                    .ok_or_else(|| s3_error!(MalformedXML, "A part has no PartNumber."))
            })
            .collect::<S3Result<Vec<i32>>>()?;
        if numbers.windows(2).any(|w| w[0] >= w[1]) {
            return Err(s3_error!(
                InvalidPartOrder,
                "The parts must be listed in ascending order of part number."
            ));
        }
        let mut chosen = Vec::with_capacity(listed.len());
        for (i, (part, number)) in listed.iter().zip(numbers).enumerate() {
            let row = stored
                .get(&number)
                .filter(|row| part.e_tag.as_ref().is_none_or(|e| e.value() == row.etag))
                .ok_or_else(|| {
                    s3_error!(
                        InvalidPart,
                        "Part {number} was not uploaded, or its ETag does not match the one given."
                    )
                })?;
            if i + 1 < listed.len() && row.size < MIN_PART_SIZE {
                return Err(s3_error!(
                    EntityTooSmall,
                    "Part {number} is smaller than 5 MiB and is not the last part."
                ));
            }
            chosen.push(row.clone());
        }
        let etag = multipart_etag(&chosen.iter().map(|p| p.etag.clone()).collect::<Vec<_>>())?;
        let temp = self.store.blobs.temp_path();
        // One blocking job: std::io::copy between files is an in-kernel copy on Linux.
        let part_paths: Vec<PathBuf> = chosen
            .iter()
            .map(|p| self.store.blobs.path(&p.blob))
            .collect();
        let target = temp.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let mut out = std::fs::File::create(&target)?;
            for path in part_paths {
                std::io::copy(&mut std::fs::File::open(path)?, &mut out)?;
            }
            out.sync_all()
        })
        .await
        .map_err(internal)
        .and_then(|written| written.map_err(internal));
        if let Err(e) = joined {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
        let row = ObjectRow {
            key: upload.key.clone(),
            blob: String::new(),
            size: chosen.iter().map(|p| p.size).sum(),
            etag: etag.clone(),
            modified_ms: now_ms(),
            storage_class: upload.storage_class.clone(),
            headers: upload.headers.clone(),
            user_metadata: upload.user_metadata.clone(),
            checksums: None,
            parts_count: Some(chosen.len() as i64),
        };
        let (bucket, upload_id) = (input.bucket.clone(), input.upload_id.clone());
        self.index(move |s| {
            s.commit(Source::Temp(temp), "complete:after-install", |tx, blob| {
                let mut replaced: Vec<String> = put_row(tx, &bucket, row, blob)?;
                replaced.extend(db(index::delete_upload(tx, &upload_id))?);
                Ok(((), replaced))
            })
        })
        .await?;
        let output = CompleteMultipartUploadOutput {
            bucket: Some(input.bucket.clone()),
            key: Some(input.key.clone()),
            e_tag: Some(quoted(&etag)),
            location: Some(format!("/{}/{}", input.bucket, input.key)),
            ..Default::default()
        };
        Ok(S3Response::new(output))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let (bucket, key, upload_id) = (
            req.input.bucket.clone(),
            req.input.key.as_bytes().to_vec(),
            req.input.upload_id.clone(),
        );
        let signed = signed_region(&req);
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            s.write(|tx| {
                db(index::get_upload(tx, &bucket, &key, &upload_id))?
                    .ok_or_else(|| upload_not_found(&upload_id))?;
                Ok(((), db(index::delete_upload(tx, &upload_id))?))
            })
        })
        .await?;
        Ok(S3Response::new(AbortMultipartUploadOutput::default()))
    }
}

impl LocalS3 {
    /// One page of a listing, after checking the bucket and the signing region.
    async fn list_page(
        &self,
        bucket: String,
        signed: Option<String>,
        prefix: Vec<u8>,
        delimiter: Option<Vec<u8>>,
        start: Bound<Vec<u8>>,
        max: usize,
    ) -> S3Result<listing::Page> {
        self.index(move |s| {
            bucket_for(s, &bucket, signed.as_deref(), false)?;
            db(listing::list(
                &s.conn(),
                &bucket,
                &prefix,
                delimiter.as_deref(),
                start,
                max,
            ))
        })
        .await
    }

    /// Commits a part's bytes, checking in the same transaction that the upload still exists
    /// (it may have been completed or aborted while the part was arriving).
    async fn commit_part(
        &self,
        bucket: String,
        key: String,
        upload_id: String,
        source: Source,
        part: PartRow,
    ) -> S3Result<()> {
        self.index(move |s| {
            s.commit(source, "part:after-install", |tx, blob| {
                db(index::get_upload(tx, &bucket, key.as_bytes(), &upload_id))?
                    .ok_or_else(|| upload_not_found(&upload_id))?;
                let replaced = db(index::put_part(
                    tx,
                    &upload_id,
                    &PartRow {
                        blob: blob.to_string(),
                        ..part
                    },
                ))?;
                Ok(((), replaced.into_iter().collect()))
            })
        })
        .await
    }
}
