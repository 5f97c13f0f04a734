//! The S3 operations of the local endpoint, with S3's semantics and error codes.
//!
//! s3s parses requests, checks SigV4 (headers and presigned URLs) and writes responses; the
//! modules below map each operation onto the [`Store`], one module per family (buckets,
//! objects, listings, multipart; bodies for what they share). Index work runs on the blocking
//! pool; bytes stream between the socket and files without being held in memory.

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
    /// How long an arriving body may stall before the request fails with RequestTimeout.
    idle: Duration,
}

impl LocalS3 {
    pub fn new(store: Arc<Store>, idle: Duration) -> Self {
        Self { store, idle }
    }

    /// The bucket's region, once the bucket is known to exist and the request was signed for
    /// that region (see [`bucket_for`]).
    async fn bucket_region(
        &self,
        bucket: &str,
        signed: Option<String>,
        head: bool,
    ) -> S3Result<String> {
        let bucket = bucket.to_string();
        self.index(move |s| bucket_for(s, &bucket, signed.as_deref(), head))
            .await
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
            let sums = checksums_of(row.checksums.as_deref());
            set_checksums!($out, &sums);
            $out.checksum_type = checksum_type(&sums);
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

/// S3's limits on object tags.
const MAX_TAGS: usize = 10;
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;

/// Checks `(key, value)` pairs against S3's tag rules and stores them as a JSON object
/// (`None` for no tags).
fn tags_json(pairs: Vec<(String, String)>) -> S3Result<Option<String>> {
    if pairs.len() > MAX_TAGS {
        return Err(s3_error!(
            InvalidTag,
            "Object tags cannot be greater than 10"
        ));
    }
    let mut tags = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        if key.is_empty()
            || key.chars().count() > MAX_TAG_KEY
            || value.chars().count() > MAX_TAG_VALUE
        {
            return Err(s3_error!(
                InvalidTag,
                "The TagKey or TagValue you have provided is invalid."
            ));
        }
        if tags.insert(key, value).is_some() {
            return Err(s3_error!(
                InvalidTag,
                "Cannot provide multiple Tags with the same key"
            ));
        }
    }
    Ok((!tags.is_empty()).then(|| serde_json::to_string(&tags).unwrap_or_default()))
}

/// The `x-amz-tagging` header's tags: a URL-encoded query string (`a=1&b=2`).
fn tags_of_header(header: Option<&str>) -> S3Result<Option<String>> {
    let Some(header) = header.filter(|h| !h.is_empty()) else {
        return Ok(None);
    };
    let decode = |text: &str| {
        crate::objects::url_decode(text)
            .map_err(|_| s3_error!(InvalidArgument, "The x-amz-tagging header is not valid."))
    };
    let pairs = header
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect::<S3Result<Vec<_>>>()?;
    tags_json(pairs)
}

/// The stored tags as S3's tag set.
fn tag_set(json: Option<&str>) -> TagSet {
    let tags: std::collections::BTreeMap<String, String> = json
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    tags.into_iter()
        .map(|(key, value)| Tag {
            key: Some(key),
            value: Some(value),
        })
        .collect()
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

mod archive;
mod bodies;
mod buckets;
mod lifecycle;
mod listings;
mod multipart;
mod objects;

/// The operations S3 clients call, each answered by its family's module.
macro_rules! operations {
    ($($family:ident :: $op:ident($input:ident) -> $output:ident;)*) => {
        #[async_trait::async_trait]
        impl S3 for LocalS3 {
            $(
                async fn $op(&self, req: S3Request<$input>) -> S3Result<S3Response<$output>> {
                    $family::$op(self, req).await
                }
            )*
        }
    };
}

operations! {
    buckets::list_buckets(ListBucketsInput) -> ListBucketsOutput;
    buckets::create_bucket(CreateBucketInput) -> CreateBucketOutput;
    buckets::head_bucket(HeadBucketInput) -> HeadBucketOutput;
    buckets::get_bucket_location(GetBucketLocationInput) -> GetBucketLocationOutput;
    buckets::get_bucket_policy_status(GetBucketPolicyStatusInput) -> GetBucketPolicyStatusOutput;
    buckets::delete_bucket(DeleteBucketInput) -> DeleteBucketOutput;
    objects::put_object(PutObjectInput) -> PutObjectOutput;
    objects::get_object(GetObjectInput) -> GetObjectOutput;
    objects::head_object(HeadObjectInput) -> HeadObjectOutput;
    objects::get_object_attributes(GetObjectAttributesInput) -> GetObjectAttributesOutput;
    objects::delete_object(DeleteObjectInput) -> DeleteObjectOutput;
    objects::delete_objects(DeleteObjectsInput) -> DeleteObjectsOutput;
    objects::copy_object(CopyObjectInput) -> CopyObjectOutput;
    objects::get_object_tagging(GetObjectTaggingInput) -> GetObjectTaggingOutput;
    objects::put_object_tagging(PutObjectTaggingInput) -> PutObjectTaggingOutput;
    objects::delete_object_tagging(DeleteObjectTaggingInput) -> DeleteObjectTaggingOutput;
    archive::restore_object(RestoreObjectInput) -> RestoreObjectOutput;
    lifecycle::put_bucket_lifecycle_configuration(PutBucketLifecycleConfigurationInput) -> PutBucketLifecycleConfigurationOutput;
    lifecycle::get_bucket_lifecycle_configuration(GetBucketLifecycleConfigurationInput) -> GetBucketLifecycleConfigurationOutput;
    lifecycle::delete_bucket_lifecycle(DeleteBucketLifecycleInput) -> DeleteBucketLifecycleOutput;
    listings::list_objects_v2(ListObjectsV2Input) -> ListObjectsV2Output;
    listings::list_objects(ListObjectsInput) -> ListObjectsOutput;
    multipart::create_multipart_upload(CreateMultipartUploadInput) -> CreateMultipartUploadOutput;
    multipart::upload_part(UploadPartInput) -> UploadPartOutput;
    multipart::upload_part_copy(UploadPartCopyInput) -> UploadPartCopyOutput;
    multipart::list_parts(ListPartsInput) -> ListPartsOutput;
    multipart::list_multipart_uploads(ListMultipartUploadsInput) -> ListMultipartUploadsOutput;
    multipart::complete_multipart_upload(CompleteMultipartUploadInput) -> CompleteMultipartUploadOutput;
    multipart::abort_multipart_upload(AbortMultipartUploadInput) -> AbortMultipartUploadOutput;
}
