//! Request and response bodies: streaming an upload into a verified temporary file, the
//! checksums a client claims, GET preconditions, and streaming an object back from its blobs.

use super::*;

/// Which checksums a request asks the server to verify: the ones given as headers, the
/// declared algorithm, and those announced as trailers.
pub(super) fn requested_checksums(
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
    // Computed asked or not, as S3 does for every body it stores: each object, and each part
    // a multipart object is made of, then has a whole-object checksum a download can verify.
    hasher.crc64nvme = Some(Default::default());
    hasher
}

/// What was received of a body, written to a temporary file.
pub(super) struct Received {
    pub(super) temp: PathBuf,
    pub(super) size: i64,
    pub(super) md5: [u8; 16],
    /// algorithm -> base64 value, verified against what the client sent.
    pub(super) checksums: HashMap<String, String>,
}

impl Received {
    pub(super) fn etag(&self) -> String {
        hex_simd::encode_to_string(self.md5, hex_simd::AsciiCase::Lower)
    }

    pub(super) fn checksums_json(&self) -> Option<String> {
        (!self.checksums.is_empty())
            .then(|| serde_json::to_string(&self.checksums).unwrap_or_default())
    }
}

/// The checksums a client sent for a body, by algorithm.
pub(super) struct ClaimedChecksums {
    pub(super) content_md5: Option<String>,
    pub(super) values: [Option<String>; 5],
    pub(super) trailers: Option<s3s::TrailingHeaders>,
    pub(super) content_length: Option<i64>,
}

pub(super) const ALGORITHMS: [&str; 5] = ["crc32", "crc32c", "sha1", "sha256", "crc64nvme"];

/// A hasher's results in the order of [`ALGORITHMS`].
pub(super) fn by_algorithm(sums: Checksum) -> [Option<String>; 5] {
    [
        sums.checksum_crc32,
        sums.checksum_crc32c,
        sums.checksum_sha1,
        sums.checksum_sha256,
        sums.checksum_crc64nvme,
    ]
}

/// Stored checksums (algorithm -> base64 value) as a map; empty when there are none.
pub(super) fn checksums_of(json: Option<&str>) -> HashMap<String, String> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// The type S3 reports beside a checksum: COMPOSITE for a checksum of the parts' checksums
/// (its value ends in `-N`), FULL_OBJECT for one of the bytes themselves.
pub(super) fn checksum_type(sums: &HashMap<String, String>) -> Option<ChecksumType> {
    let composite = sums.values().next()?.contains('-');
    Some(ChecksumType::from_static(if composite {
        ChecksumType::COMPOSITE
    } else {
        ChecksumType::FULL_OBJECT
    }))
}
/// Streams `body` into a temporary file, fsyncs it, and verifies its MD5 and checksums.
pub(super) async fn receive(
    store: &Store,
    idle: Duration,
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
            loop {
                let Ok(next) = tokio::time::timeout(idle, body.next()).await else {
                    return Err(s3_error!(
                        RequestTimeout,
                        "Your socket connection to the server was not read from or written to within the timeout period."
                    ));
                };
                let Some(chunk) = next else { break };
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
        let computed = by_algorithm(hasher.finalize());
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

pub(super) fn etag_matches(condition: &ETagCondition, etag: &str) -> bool {
    match condition {
        ETagCondition::Any => true,
        ETagCondition::ETag(tag) => tag.value() == etag,
    }
}

/// A write's conditions on what its key holds (PutObject, CompleteMultipartUpload), as S3
/// has them: `If-None-Match: *` wants no object there; `If-Match` the object with that ETag
/// (with none there, the key is missing).
pub(super) fn check_write(
    existing: Option<&ObjectRow>,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<()> {
    if let Some(cond) = if_none_match
        && existing.is_some_and(|row| etag_matches(cond, &row.etag))
    {
        return Err(s3_error!(
            PreconditionFailed,
            "The object exists and If-None-Match was given."
        ));
    }
    if let Some(cond) = if_match {
        let existing = existing.ok_or_else(|| s3_error!(NoSuchKey))?;
        if !etag_matches(cond, &existing.etag) {
            return Err(s3_error!(
                PreconditionFailed,
                "The object is not the one If-Match names."
            ));
        }
    }
    Ok(())
}

/// A copy's preconditions on its source (CopyObject, UploadPartCopy): a copy that names the
/// ETag it expects never copies another version of the source.
pub(super) fn check_copy_source(
    source: &ObjectRow,
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
) -> S3Result<()> {
    if let Some(cond) = if_match
        && !etag_matches(cond, &source.etag)
    {
        return Err(s3_error!(
            PreconditionFailed,
            "The source's ETag does not match x-amz-copy-source-if-match."
        ));
    }
    if let Some(cond) = if_none_match
        && etag_matches(cond, &source.etag)
    {
        return Err(s3_error!(
            PreconditionFailed,
            "The source's ETag matches x-amz-copy-source-if-none-match."
        ));
    }
    Ok(())
}

/// GET/HEAD preconditions (RFC 9110 order): If-Match, If-Unmodified-Since, If-None-Match,
/// If-Modified-Since.
pub(super) fn check_preconditions(
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

pub(super) fn wants_checksums(mode: Option<&ChecksumMode>) -> bool {
    mode.is_some_and(|m| m.as_str().eq_ignore_ascii_case("ENABLED"))
}

/// Reads the object row, following one concurrent replacement if its blob vanished between
/// the lookup and the open.
pub(super) async fn open_object(
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

/// One blob's share of a read: `len` bytes from `offset`.
struct Segment {
    path: PathBuf,
    /// Which of the object's blobs (0 is the one `open_object` opened).
    index: usize,
    offset: u64,
    len: u64,
}

/// Where a read of the object is: the segments left, and the one being read.
struct Reading {
    segments: std::collections::VecDeque<Segment>,
    current: Option<tokio::io::Take<tokio::fs::File>>,
    first: Option<tokio::fs::File>,
}

/// `len` bytes of the object from `start`, across the blobs it is kept in; `first` is its
/// first blob, already open. Later blobs are opened as the read reaches them.
pub(super) fn object_range(
    store: &Store,
    row: &ObjectRow,
    first: tokio::fs::File,
    start: u64,
    len: u64,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let (end, mut at) = (start + len, 0);
    let mut segments = std::collections::VecDeque::new();
    for (index, (blob, size)) in row.blobs().into_iter().enumerate() {
        let (low, high) = (at, at + size);
        at = high;
        if high <= start || low >= end {
            continue;
        }
        let from = start.max(low);
        segments.push_back(Segment {
            path: store.blobs.path(&blob),
            index,
            offset: from - low,
            len: end.min(high) - from,
        });
    }
    let reading = Reading {
        segments,
        current: None,
        first: Some(first),
    };
    futures_util::stream::unfold(reading, |mut reading| async move {
        loop {
            if reading.current.is_none() {
                let segment = reading.segments.pop_front()?;
                let opened = match (segment.index, reading.first.take()) {
                    (0, Some(file)) => Ok(file),
                    _ => tokio::fs::File::open(&segment.path).await,
                };
                let placed = match opened {
                    Ok(mut file) => file
                        .seek(std::io::SeekFrom::Start(segment.offset))
                        .await
                        .map(|_| file),
                    Err(e) => Err(e),
                };
                match placed {
                    Ok(file) => reading.current = Some(file.take(segment.len)),
                    Err(e) => {
                        reading.segments.clear();
                        return Some((Err(e), reading));
                    }
                }
            }
            let mut buf = vec![0u8; READ_CHUNK];
            let Some(current) = reading.current.as_mut() else {
                continue;
            };
            match current.read(&mut buf).await {
                Ok(0) => reading.current = None,
                Ok(n) => {
                    buf.truncate(n);
                    return Some((Ok(bytes::Bytes::from(buf)), reading));
                }
                Err(e) => {
                    reading.segments.clear();
                    reading.current = None;
                    return Some((Err(e), reading));
                }
            }
        }
    })
}
