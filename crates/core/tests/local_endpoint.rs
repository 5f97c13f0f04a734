//! The built-in endpoint, operation by operation, driven by the AWS SDK for Rust (an
//! independent client) over real HTTP on 127.0.0.1, with S3's error codes checked.

use std::path::Path;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload,
    CompletedPart, CreateBucketConfiguration, Delete, MetadataDirective, ObjectIdentifier,
    StorageClass,
};
mod common;

use common::serve_local;
use strata_core::local::{self, LocalCredentials, LocalEndpoint};
use strata_testkit::{ACCESS_KEY, SECRET_KEY, count_files, http_request, sdk_client};

/// The files (by inode) holding the store's blobs.
fn blob_files(root: &Path) -> std::collections::BTreeSet<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut found = std::collections::BTreeSet::new();
    let mut folders = vec![root.join("blobs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.insert(std::fs::metadata(&path).unwrap().ino());
            }
        }
    }
    found
}

struct Local {
    _dir: tempfile::TempDir,
    endpoint: LocalEndpoint,
    client: Client,
}

impl Local {
    async fn start() -> Self {
        let (dir, endpoint) = serve_local().await;
        let client = sdk_client(&endpoint.url(), ACCESS_KEY, SECRET_KEY);
        Self {
            _dir: dir,
            endpoint,
            client,
        }
    }

    fn root(&self) -> &Path {
        self._dir.path()
    }

    /// A client signing for `region` instead of us-east-1.
    fn client_in(&self, region: &'static str) -> Client {
        let config = self
            .client
            .config()
            .to_builder()
            .region(aws_sdk_s3::config::Region::new(region))
            .build();
        Client::from_conf(config)
    }

    async fn bucket(&self, name: &str) {
        self.client
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .unwrap();
    }

    async fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let body = ByteStream::from(body.to_vec());
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body)
            .send()
            .await
            .unwrap();
    }

    async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap();
        out.body.collect().await.unwrap().to_vec()
    }

    /// Files under blobs/: what the store holds on disk.
    fn blob_count(&self) -> usize {
        count_files(&self.root().join("blobs"))
    }
}

/// The S3 error code of a failed call.
fn code<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    result: Result<impl Sized, SdkError<E, R>>,
) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(SdkError::ServiceError(e)) => e.err().code().unwrap_or("(no code)").to_string(),
        Err(other) => panic!("not a service error: {other:?}"),
    }
}

fn status<T, E>(
    result: Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>,
) -> (u16, Option<String>) {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(err) => {
            let raw = err.raw_response().expect("a response");
            (
                raw.status().as_u16(),
                raw.headers().get("x-amz-bucket-region").map(str::to_string),
            )
        }
    }
}

#[tokio::test]
async fn buckets_are_created_listed_with_pagination_and_deleted() {
    let s3 = Local::start().await;
    for name in ["delta", "alpha", "echo", "charlie", "bravo"] {
        s3.bucket(name).await;
    }
    assert_eq!(
        code(s3.client.create_bucket().bucket("alpha").send().await),
        "BucketAlreadyOwnedByYou"
    );
    for bad in ["ab", "Upper", "a..b", "192.168.1.1", "xn--abc", "-dash"] {
        assert_eq!(
            code(s3.client.create_bucket().bucket(bad).send().await),
            "InvalidBucketName",
            "{bad}"
        );
    }

    // Pages of two, with continuation tokens, in name order.
    let mut names = Vec::new();
    let mut token = None;
    let mut pages = 0;
    loop {
        let page = s3
            .client
            .list_buckets()
            .max_buckets(2)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        assert!(page.buckets().len() <= 2);
        names.extend(page.buckets().iter().map(|b| b.name().unwrap().to_string()));
        pages += 1;
        token = page.continuation_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["alpha", "bravo", "charlie", "delta", "echo"]);
    assert_eq!(pages, 3);
    let all = s3.client.list_buckets().send().await.unwrap();
    assert_eq!(all.buckets().len(), 5, "no max-buckets: everything");
    let prefixed = s3.client.list_buckets().prefix("ch").send().await.unwrap();
    assert_eq!(
        prefixed
            .buckets()
            .iter()
            .map(|b| b.name().unwrap())
            .collect::<Vec<_>>(),
        ["charlie"]
    );

    s3.put("alpha", "photo.raw", b"raw").await;
    assert_eq!(
        code(s3.client.delete_bucket().bucket("alpha").send().await),
        "BucketNotEmpty"
    );
    s3.client
        .delete_object()
        .bucket("alpha")
        .key("photo.raw")
        .send()
        .await
        .unwrap();
    s3.client
        .delete_bucket()
        .bucket("alpha")
        .send()
        .await
        .unwrap();
    let (status, _) = status(s3.client.head_bucket().bucket("alpha").send().await);
    assert_eq!(status, 404);
    assert_eq!(
        code(s3.client.get_object().bucket("alpha").key("x").send().await),
        "NoSuchBucket"
    );
}

#[tokio::test]
async fn a_bucket_keeps_its_region_and_says_so_to_clients_in_another() {
    let s3 = Local::start().await;
    let eu = s3.client_in("eu-west-1");
    let config = CreateBucketConfiguration::builder()
        .location_constraint(BucketLocationConstraint::EuWest1)
        .build();
    eu.create_bucket()
        .bucket("eu-photos")
        .create_bucket_configuration(config)
        .send()
        .await
        .unwrap();
    s3.bucket("us-photos").await;

    let location = s3
        .client
        .get_bucket_location()
        .bucket("eu-photos")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location.location_constraint(),
        Some(&BucketLocationConstraint::EuWest1)
    );
    let location = s3
        .client
        .get_bucket_location()
        .bucket("us-photos")
        .send()
        .await
        .unwrap();
    let us = location.location_constraint().map_or("", |c| c.as_str());
    assert_eq!(us, "", "us-east-1 is reported as empty, as AWS does");

    let head = eu.head_bucket().bucket("eu-photos").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("eu-west-1"));
    // Signed for the wrong region: HEAD answers 301, others AuthorizationHeaderMalformed,
    // both naming the bucket's region.
    assert_eq!(
        status(s3.client.head_bucket().bucket("eu-photos").send().await),
        (301, Some("eu-west-1".into()))
    );
    let wrong = s3
        .client
        .get_object()
        .bucket("eu-photos")
        .key("k")
        .send()
        .await;
    assert_eq!(status(wrong), (400, Some("eu-west-1".into())));
    assert_eq!(
        code(s3.client.list_objects_v2().bucket("eu-photos").send().await),
        "AuthorizationHeaderMalformed"
    );
    eu.put_object()
        .bucket("eu-photos")
        .key("k")
        .body(ByteStream::from_static(b"v"))
        .send()
        .await
        .unwrap();

    let listed = s3.client.list_buckets().send().await.unwrap();
    let regions: Vec<_> = listed
        .buckets()
        .iter()
        .map(|b| (b.name().unwrap(), b.bucket_region().unwrap()))
        .collect();
    assert_eq!(
        regions,
        [("eu-photos", "eu-west-1"), ("us-photos", "us-east-1")]
    );
}

#[tokio::test]
async fn objects_keep_their_bytes_headers_metadata_and_storage_class() {
    let s3 = Local::start().await;
    s3.bucket("shoot").await;
    let body: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    s3.client
        .put_object()
        .bucket("shoot")
        .key("raw/IMG 0001 — köln.CR3")
        .body(ByteStream::from(body.clone()))
        .content_type("image/x-canon-cr3")
        .cache_control("max-age=60")
        .metadata("camera", "R5")
        .storage_class(StorageClass::GlacierIr)
        .send()
        .await
        .unwrap();
    let out = s3
        .client
        .get_object()
        .bucket("shoot")
        .key("raw/IMG 0001 — köln.CR3")
        .send()
        .await
        .unwrap();
    assert_eq!(out.content_type(), Some("image/x-canon-cr3"));
    assert_eq!(out.cache_control(), Some("max-age=60"));
    assert_eq!(
        out.metadata().unwrap().get("camera").map(String::as_str),
        Some("R5")
    );
    assert_eq!(out.storage_class(), Some(&StorageClass::GlacierIr));
    assert_eq!(out.content_length(), Some(100_000));
    let etag = out.e_tag().unwrap().to_string();
    assert_eq!(out.body.collect().await.unwrap().to_vec(), body);

    // Ranges: first-last, and the last N bytes.
    let part = s3
        .client
        .get_object()
        .bucket("shoot")
        .key("raw/IMG 0001 — köln.CR3")
        .range("bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(part.content_range(), Some("bytes 10-19/100000"));
    assert_eq!(part.body.collect().await.unwrap().to_vec(), body[10..20]);
    let tail = s3
        .client
        .get_object()
        .bucket("shoot")
        .key("raw/IMG 0001 — köln.CR3")
        .range("bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        tail.body.collect().await.unwrap().to_vec(),
        body[body.len() - 5..]
    );
    let beyond = s3
        .client
        .get_object()
        .bucket("shoot")
        .key("raw/IMG 0001 — köln.CR3")
        .range("bytes=200000-")
        .send()
        .await;
    assert_eq!(code(beyond), "InvalidRange");

    // Conditional requests.
    let key = "raw/IMG 0001 — köln.CR3";
    let not_modified = s3
        .client
        .get_object()
        .bucket("shoot")
        .key(key)
        .if_none_match(&etag)
        .send()
        .await;
    assert_eq!(status(not_modified).0, 304);
    let failed = s3
        .client
        .get_object()
        .bucket("shoot")
        .key(key)
        .if_match("\"other\"")
        .send()
        .await;
    assert_eq!(status(failed).0, 412);
    s3.client
        .get_object()
        .bucket("shoot")
        .key(key)
        .if_match(&etag)
        .send()
        .await
        .unwrap();

    let listed = s3
        .client
        .list_objects_v2()
        .bucket("shoot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.contents()[0].storage_class().map(|c| c.as_str()),
        Some("GLACIER_IR")
    );
    assert_eq!(listed.contents()[0].key(), Some(key));

    // A 0-byte object, a key that looks like a folder, and a key one byte too long.
    s3.put("shoot", "empty", b"").await;
    assert_eq!(s3.get("shoot", "empty").await, b"");
    s3.put("shoot", "folder/", b"").await;
    let head = s3
        .client
        .head_object()
        .bucket("shoot")
        .key("folder/")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(0));
    let too_long = "k".repeat(1025);
    let result = s3
        .client
        .put_object()
        .bucket("shoot")
        .key(&too_long)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(code(result), "KeyTooLongError");
    s3.put("shoot", &"k".repeat(1024), b"x").await;
    assert_eq!(
        code(
            s3.client
                .get_object()
                .bucket("shoot")
                .key("missing")
                .send()
                .await
        ),
        "NoSuchKey"
    );
}

#[tokio::test]
async fn replacing_and_deleting_objects_frees_their_bytes() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    s3.put("bkt", "k", b"first").await;
    s3.put("bkt", "k", b"second").await;
    assert_eq!(s3.get("bkt", "k").await, b"second");
    assert_eq!(s3.blob_count(), 1, "the replaced version's file is gone");

    s3.put("bkt", "other", b"x").await;
    let delete = Delete::builder()
        .objects(ObjectIdentifier::builder().key("k").build().unwrap())
        .objects(ObjectIdentifier::builder().key("other").build().unwrap())
        .objects(
            ObjectIdentifier::builder()
                .key("never-existed")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = s3
        .client
        .delete_objects()
        .bucket("bkt")
        .delete(delete)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.deleted().len(),
        3,
        "deleting a missing key succeeds, as in S3"
    );
    assert_eq!(s3.blob_count(), 0);
    s3.client
        .delete_object()
        .bucket("bkt")
        .key("never-existed")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn checksums_are_verified_on_upload_and_returned_on_request() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    for algorithm in [
        ChecksumAlgorithm::Crc32C,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Sha256,
    ] {
        let key = format!("with-{}", algorithm.as_str());
        let put = s3
            .client
            .put_object()
            .bucket("bkt")
            .key(&key)
            .body(ByteStream::from_static(b"hello checksums"))
            .checksum_algorithm(algorithm.clone())
            .send()
            .await
            .unwrap();
        let head = s3
            .client
            .head_object()
            .bucket("bkt")
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        let (sent, returned) = match algorithm {
            ChecksumAlgorithm::Crc32C => (put.checksum_crc32_c(), head.checksum_crc32_c()),
            ChecksumAlgorithm::Crc32 => (put.checksum_crc32(), head.checksum_crc32()),
            _ => (put.checksum_sha256(), head.checksum_sha256()),
        };
        assert!(sent.is_some(), "{algorithm:?}");
        assert_eq!(sent, returned, "{algorithm:?}");
        let plain = s3
            .client
            .head_object()
            .bucket("bkt")
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            plain.checksum_crc32_c(),
            None,
            "only returned when asked for"
        );
    }
    // A checksum that does not match the bytes is refused and nothing is stored.
    let wrong = s3
        .client
        .put_object()
        .bucket("bkt")
        .key("bad")
        .body(ByteStream::from_static(b"hello"))
        .checksum_crc32_c("AAAAAA==")
        .send()
        .await;
    assert_eq!(code(wrong), "BadDigest");
    let wrong_md5 = s3
        .client
        .put_object()
        .bucket("bkt")
        .key("bad")
        .body(ByteStream::from_static(b"hello"))
        .content_md5("1B2M2Y8AsgTpgAmY7PhCfg==")
        .send()
        .await;
    assert_eq!(code(wrong_md5), "BadDigest");
    assert_eq!(
        code(
            s3.client
                .head_object()
                .bucket("bkt")
                .key("bad")
                .send()
                .await
        ),
        "NotFound"
    );
    assert_eq!(s3.blob_count(), 3);
}

/// Uploads `parts` as one multipart object (with `algorithm`'s part checksums, if any) and
/// completes it.
async fn multipart_object(
    c: &Client,
    key: &str,
    parts: &[&[u8]],
    algorithm: Option<ChecksumAlgorithm>,
) -> aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput {
    let id = c
        .create_multipart_upload()
        .bucket("bkt")
        .key(key)
        .set_checksum_algorithm(algorithm.clone())
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let mut completed = Vec::new();
    for (number, bytes) in (1..).zip(parts) {
        let sent = c
            .upload_part()
            .bucket("bkt")
            .key(key)
            .upload_id(&id)
            .part_number(number)
            .set_checksum_algorithm(algorithm.clone())
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .unwrap();
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(sent.e_tag().unwrap())
                .set_checksum_sha256(sent.checksum_sha256().map(str::to_string))
                .build(),
        );
    }
    c.complete_multipart_upload()
        .bucket("bkt")
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_whole_object_crc_named_at_complete_must_be_the_one_the_parts_make() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    let c = &s3.client;
    let crc = |bytes: &[u8]| crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, bytes);
    let encode = |value: u64| base64_simd::STANDARD.encode_to_string(value.to_be_bytes());
    let created = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("k")
        .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
        .checksum_type(aws_sdk_s3::types::ChecksumType::FullObject)
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.checksum_algorithm(),
        Some(&ChecksumAlgorithm::Crc64Nvme),
        "a client learns the server took the algorithm"
    );
    let id = created.upload_id().unwrap();
    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let mut completed = Vec::new();
    for (number, bytes) in [(1, &first[..]), (2, &b"the end"[..])] {
        let sent = c
            .upload_part()
            .bucket("bkt")
            .key("k")
            .upload_id(id)
            .part_number(number)
            .checksum_crc64_nvme(encode(crc(bytes)))
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.checksum_crc64_nvme(),
            Some(encode(crc(bytes)).as_str()),
            "the answer names the CRC it checked"
        );
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .e_tag(sent.e_tag().unwrap())
                .build(),
        );
    }
    let complete = |whole: u64| {
        c.complete_multipart_upload()
            .bucket("bkt")
            .key("k")
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed.clone()))
                    .build(),
            )
            .checksum_crc64_nvme(encode(whole))
            .send()
    };
    let wrong = complete(crc(b"other bytes")).await.unwrap_err();
    assert_eq!(wrong.code(), Some("BadDigest"), "{wrong:?}");
    let whole = [&first[..], b"the end"].concat();
    let done = complete(crc(&whole)).await.unwrap();
    assert_eq!(
        done.checksum_crc64_nvme(),
        Some(encode(crc(&whole)).as_str())
    );
}

#[tokio::test]
async fn every_object_has_a_whole_crc64nvme_and_multipart_ones_their_attributes() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    let c = &s3.client;
    let crc64 = |bytes: &[u8]| {
        let value = crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, bytes);
        base64_simd::STANDARD.encode_to_string(value.to_be_bytes())
    };
    // Asked for nothing, as most clients send: S3 keeps a CRC64NVME of the whole object anyway.
    let put = c
        .put_object()
        .bucket("bkt")
        .key("plain")
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_crc64_nvme(), Some(crc64(b"hello").as_str()));

    let first: Vec<u8> = (0..5 * MIB).map(|i| (i % 253) as u8).collect();
    let done = multipart_object(c, "two-parts", &[&first, b"the end"], None).await;
    let mut whole = first.clone();
    whole.extend_from_slice(b"the end");
    // Combined from the parts' CRCs, it is the CRC of the bytes read in one pass.
    assert_eq!(done.checksum_crc64_nvme(), Some(crc64(&whole).as_str()));
    assert_eq!(
        done.checksum_type().map(|t| t.as_str()),
        Some("FULL_OBJECT")
    );
    let head = c
        .head_object()
        .bucket("bkt")
        .key("two-parts")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_crc64_nvme(), done.checksum_crc64_nvme());
    assert_eq!(
        head.checksum_type().map(|t| t.as_str()),
        Some("FULL_OBJECT")
    );
    // The SDK checks a whole GET against the checksum when asked to: it must agree.
    let got = c
        .get_object()
        .bucket("bkt")
        .key("two-parts")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_crc64_nvme(), done.checksum_crc64_nvme());
    assert_eq!(got.body.collect().await.unwrap().to_vec(), whole);

    use aws_sdk_s3::types::ObjectAttributes;
    let attributes = |max: Option<i32>| {
        c.get_object_attributes()
            .bucket("bkt")
            .key("two-parts")
            .object_attributes(ObjectAttributes::Etag)
            .object_attributes(ObjectAttributes::Checksum)
            .object_attributes(ObjectAttributes::ObjectParts)
            .object_attributes(ObjectAttributes::ObjectSize)
            .set_max_parts(max)
            .send()
    };
    let all = attributes(None).await.unwrap();
    assert_eq!(all.object_size(), Some(whole.len() as i64));
    assert_eq!(
        all.e_tag().map(|e| e.trim_matches('"')),
        done.e_tag().map(|e| e.trim_matches('"'))
    );
    let checksum = all.checksum().unwrap();
    assert_eq!(checksum.checksum_crc64_nvme(), done.checksum_crc64_nvme());
    let parts = all.object_parts().unwrap();
    let sizes: Vec<_> = parts
        .parts()
        .iter()
        .map(|p| (p.part_number().unwrap(), p.size().unwrap()))
        .collect();
    assert_eq!(
        (parts.total_parts_count(), sizes),
        (Some(2), vec![(1, 5 * MIB as i64), (2, 7)])
    );
    let page = attributes(Some(1)).await.unwrap();
    let page = page.object_parts().unwrap();
    assert_eq!(
        (
            page.is_truncated(),
            page.next_part_number_marker(),
            page.parts().len()
        ),
        (Some(true), Some("1"), 1)
    );

    // An upload that asked for SHA-256 gets S3's composite: the SHA-256 of the parts' SHA-256s.
    let done = multipart_object(
        c,
        "composite",
        &[&first, b"the end"],
        Some(ChecksumAlgorithm::Sha256),
    )
    .await;
    let sha256 = |bytes: &[u8]| {
        let mut hasher = s3s::checksum::ChecksumHasher {
            sha256: Some(Default::default()),
            ..Default::default()
        };
        hasher.update(bytes);
        hasher.finalize().checksum_sha256.unwrap()
    };
    let raw = |b64: String| base64_simd::STANDARD.decode_to_vec(b64).unwrap();
    let mut of_parts = raw(sha256(&first));
    of_parts.extend(raw(sha256(b"the end")));
    let expected = format!("{}-2", sha256(&of_parts));
    assert_eq!(done.checksum_sha256(), Some(expected.as_str()));
    assert_eq!(done.checksum_type().map(|t| t.as_str()), Some("COMPOSITE"));
}

#[tokio::test]
async fn copies_keep_or_replace_metadata_and_change_storage_class_in_place() {
    let s3 = Local::start().await;
    s3.bucket("hot").await;
    s3.bucket("cold").await;
    s3.client
        .put_object()
        .bucket("hot")
        .key("a.raw")
        .body(ByteStream::from_static(b"bytes"))
        .content_type("image/x-raw")
        .metadata("shoot", "wedding")
        .send()
        .await
        .unwrap();
    s3.client
        .copy_object()
        .bucket("cold")
        .key("a.raw")
        .copy_source("hot/a.raw")
        .send()
        .await
        .unwrap();
    let copied = s3
        .client
        .head_object()
        .bucket("cold")
        .key("a.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(copied.content_type(), Some("image/x-raw"));
    assert_eq!(
        copied.metadata().unwrap().get("shoot").map(String::as_str),
        Some("wedding")
    );
    assert_eq!(s3.get("cold", "a.raw").await, b"bytes");

    s3.client
        .copy_object()
        .bucket("cold")
        .key("b.raw")
        .copy_source("hot/a.raw")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("application/octet-stream")
        .metadata("state", "archived")
        .send()
        .await
        .unwrap();
    let replaced = s3
        .client
        .head_object()
        .bucket("cold")
        .key("b.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.content_type(), Some("application/octet-stream"));
    assert_eq!(replaced.metadata().unwrap().get("shoot"), None);

    // Copying onto itself needs a change; a new storage class is one (hot -> cold in place).
    let same = s3
        .client
        .copy_object()
        .bucket("hot")
        .key("a.raw")
        .copy_source("hot/a.raw")
        .send()
        .await;
    assert_eq!(code(same), "InvalidRequest");
    s3.client
        .copy_object()
        .bucket("hot")
        .key("a.raw")
        .copy_source("hot/a.raw")
        .storage_class(StorageClass::DeepArchive)
        .send()
        .await
        .unwrap();
    let archived = s3
        .client
        .head_object()
        .bucket("hot")
        .key("a.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(archived.storage_class(), Some(&StorageClass::DeepArchive));
    let refused = s3
        .client
        .get_object()
        .bucket("hot")
        .key("a.raw")
        .send()
        .await;
    assert_eq!(
        code(refused),
        "InvalidObjectState",
        "archived: restored before it is read"
    );
    let missing = s3
        .client
        .copy_object()
        .bucket("cold")
        .key("x")
        .copy_source("hot/missing")
        .send()
        .await;
    assert_eq!(code(missing), "NoSuchKey");
}

async fn list_all(
    client: &Client,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    page: i32,
) -> (Vec<String>, Vec<String>, usize) {
    let (mut keys, mut prefixes, mut pages) = (Vec::new(), Vec::new(), 0);
    let mut token = None;
    loop {
        let out = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .max_keys(page)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        keys.extend(out.contents().iter().map(|o| o.key().unwrap().to_string()));
        prefixes.extend(
            out.common_prefixes()
                .iter()
                .map(|p| p.prefix().unwrap().to_string()),
        );
        pages += 1;
        if !out.is_truncated().unwrap_or(false) {
            return (keys, prefixes, pages);
        }
        token = out.next_continuation_token().map(str::to_string);
    }
}

#[tokio::test]
async fn listings_roll_up_folders_and_page_through_unicode_keys() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    let keys = [
        "2024/",
        "2024/a.jpg",
        "2024/b.jpg",
        "2024/raw/c.cr3",
        "2025/d.jpg",
        "a b/ü.txt",
        "a+b",
        "top.txt",
        "zz/ä/ö",
    ];
    for key in keys {
        s3.put("bkt", key, b"x").await;
    }
    let (all, prefixes, _) = list_all(&s3.client, "bkt", "", None, 1000).await;
    assert_eq!(all, keys, "byte order, everything");
    assert!(prefixes.is_empty());

    let (top, folders, pages) = list_all(&s3.client, "bkt", "", Some("/"), 2).await;
    assert_eq!(top, ["a+b", "top.txt"]);
    assert_eq!(folders, ["2024/", "2025/", "a b/", "zz/"]);
    assert_eq!(pages, 3, "six entries in pages of two");

    let (inside, sub, _) = list_all(&s3.client, "bkt", "2024/", Some("/"), 1000).await;
    assert_eq!(inside, ["2024/", "2024/a.jpg", "2024/b.jpg"]);
    assert_eq!(sub, ["2024/raw/"]);

    // An empty delimiter is no delimiter.
    let (flat, none, _) = list_all(&s3.client, "bkt", "2024/", Some(""), 1000).await;
    assert_eq!(flat.len(), 4);
    assert!(none.is_empty());

    let after = s3
        .client
        .list_objects_v2()
        .bucket("bkt")
        .start_after("2025/d.jpg")
        .send()
        .await
        .unwrap();
    let after: Vec<_> = after.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(after, ["a b/ü.txt", "a+b", "top.txt", "zz/ä/ö"]);

    // ListObjects (v1), with markers, as older tools use it.
    let v1 = s3
        .client
        .list_objects()
        .bucket("bkt")
        .delimiter("/")
        .max_keys(3)
        .send()
        .await
        .unwrap();
    assert!(v1.is_truncated().unwrap());
    assert_eq!(v1.common_prefixes().len(), 3);
    let next = s3
        .client
        .list_objects()
        .bucket("bkt")
        .delimiter("/")
        .marker(v1.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    let rest: Vec<_> = next.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(rest, ["a+b", "top.txt"]);
    assert_eq!(
        next.common_prefixes()
            .iter()
            .map(|p| p.prefix().unwrap())
            .collect::<Vec<_>>(),
        ["zz/"]
    );
}

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn multipart_uploads_list_copy_complete_and_abort() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    s3.put("bkt", "source", &[7u8; 100]).await;
    let c = &s3.client;
    let upload = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("big.raw")
        .content_type("image/x-raw")
        .send()
        .await
        .unwrap();
    let id = upload.upload_id().unwrap().to_string();

    let part1: Vec<u8> = (0..5 * MIB).map(|i| (i % 251) as u8).collect();
    let e1 = c
        .upload_part()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from(part1.clone()))
        .send()
        .await
        .unwrap();
    let e3 = c
        .upload_part()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .part_number(3)
        .body(ByteStream::from_static(b"tail"))
        .send()
        .await
        .unwrap();
    let e2 = c
        .upload_part_copy()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .part_number(2)
        .copy_source("bkt/source")
        .copy_source_range("bytes=0-9")
        .send()
        .await
        .unwrap();
    let etag = |s: Option<&str>| s.unwrap().to_string();
    let (e1, e2, e3) = (
        etag(e1.e_tag()),
        etag(e2.copy_part_result().unwrap().e_tag()),
        etag(e3.e_tag()),
    );

    // ListParts: sorted and paginated.
    let first = c
        .list_parts()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .max_parts(2)
        .send()
        .await
        .unwrap();
    assert_eq!(
        first
            .parts()
            .iter()
            .map(|p| p.part_number().unwrap())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(first.is_truncated().unwrap());
    let rest = c
        .list_parts()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .part_number_marker(first.next_part_number_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rest.parts()
            .iter()
            .map(|p| (p.part_number().unwrap(), p.size().unwrap()))
            .collect::<Vec<_>>(),
        [(3, 4)]
    );
    let uploads = c
        .list_multipart_uploads()
        .bucket("bkt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        uploads
            .uploads()
            .iter()
            .map(|u| u.upload_id().unwrap())
            .collect::<Vec<_>>(),
        [id.as_str()]
    );
    // With a delimiter, uploads under a folder roll up into its common prefix.
    let nested = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("dir/in.raw")
        .send()
        .await
        .unwrap();
    let rolled = c
        .list_multipart_uploads()
        .bucket("bkt")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let folders: Vec<_> = rolled
        .common_prefixes()
        .iter()
        .map(|p| p.prefix().unwrap())
        .collect();
    assert_eq!(folders, ["dir/"]);
    let keys: Vec<_> = rolled.uploads().iter().map(|u| u.key().unwrap()).collect();
    assert_eq!(keys, ["big.raw"]);
    let nested_id = nested.upload_id().unwrap();
    c.abort_multipart_upload()
        .bucket("bkt")
        .key("dir/in.raw")
        .upload_id(nested_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.list_parts()
                .bucket("bkt")
                .key("big.raw")
                .upload_id("nope")
                .send()
                .await
        ),
        "NoSuchUpload"
    );

    let part = |n: i32, e: &str| CompletedPart::builder().part_number(n).e_tag(e).build();
    let complete = |parts: Vec<CompletedPart>| {
        c.complete_multipart_upload()
            .bucket("bkt")
            .key("big.raw")
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
    };
    assert_eq!(
        code(complete(vec![part(1, "\"wrong\""), part(3, &e3)]).await),
        "InvalidPart"
    );
    assert_eq!(
        code(complete(vec![part(3, &e3), part(1, &e1)]).await),
        "InvalidPartOrder"
    );
    assert_eq!(
        code(complete(vec![part(1, &e1), part(2, &e2), part(3, &e3)]).await),
        "EntityTooSmall"
    );
    let before = blob_files(s3.root());
    let done = complete(vec![part(1, &e1), part(3, &e3)]).await.unwrap();
    let after = blob_files(s3.root());
    assert!(
        !after.is_empty() && after.is_subset(&before),
        "completing copies no bytes: the object is its parts' files ({before:?} → {after:?})"
    );
    assert!(
        done.e_tag().unwrap().ends_with("-2\""),
        "{:?}",
        done.e_tag()
    );
    // A client that lost the answer completes again: the same object, not NoSuchUpload.
    let again = complete(vec![part(1, &e1), part(3, &e3)]).await.unwrap();
    assert_eq!(again.e_tag(), done.e_tag());

    let mut expected = part1;
    expected.extend_from_slice(b"tail");
    assert_eq!(s3.get("bkt", "big.raw").await, expected);
    let head = c
        .head_object()
        .bucket("bkt")
        .key("big.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(
        (head.content_type(), head.parts_count()),
        (Some("image/x-raw"), Some(2))
    );
    // partNumber: each part's own bytes and place, as S3 answers it.
    let second = c
        .get_object()
        .bucket("bkt")
        .key("big.raw")
        .part_number(2)
        .send()
        .await
        .unwrap();
    let place = format!("bytes {}-{}/{}", 5 * MIB, 5 * MIB + 3, 5 * MIB + 4);
    assert_eq!(
        (second.content_range(), second.parts_count()),
        (Some(place.as_str()), Some(2))
    );
    assert_eq!(second.body.collect().await.unwrap().to_vec(), b"tail");
    let first_head = c
        .head_object()
        .bucket("bkt")
        .key("big.raw")
        .part_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first_head.content_length(), Some(5 * MIB as i64));
    let beyond = c
        .get_object()
        .bucket("bkt")
        .key("big.raw")
        .part_number(3)
        .send()
        .await;
    assert_eq!(code(beyond), "InvalidPartNumber");
    // A copy of an object kept as its parts reads whole, and outlives the original.
    c.copy_object()
        .bucket("bkt")
        .key("copy.raw")
        .copy_source("bkt/big.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(s3.get("bkt", "copy.raw").await, expected);
    // Once the object is replaced, the upload no longer answers for it.
    s3.put("bkt", "big.raw", b"replaced").await;
    assert_eq!(s3.get("bkt", "copy.raw").await, expected);
    assert_eq!(s3.get("bkt", "big.raw").await, b"replaced");
    assert_eq!(
        code(complete(vec![part(1, &e1), part(3, &e3)]).await),
        "NoSuchUpload"
    );
    assert_eq!(
        code(
            c.list_parts()
                .bucket("bkt")
                .key("big.raw")
                .upload_id(&id)
                .send()
                .await
        ),
        "NoSuchUpload"
    );
    assert_eq!(
        s3.blob_count(),
        4,
        "the part copy's source, copy.raw (its two parts) and the new big.raw; \
         the replaced object's and the unused part's blobs are freed"
    );

    // Abort frees the parts and forgets the upload.
    let aborted = c
        .create_multipart_upload()
        .bucket("bkt")
        .key("x")
        .send()
        .await
        .unwrap();
    let aborted = aborted.upload_id().unwrap();
    c.upload_part()
        .bucket("bkt")
        .key("x")
        .upload_id(aborted)
        .part_number(1)
        .body(ByteStream::from_static(b"p"))
        .send()
        .await
        .unwrap();
    c.abort_multipart_upload()
        .bucket("bkt")
        .key("x")
        .upload_id(aborted)
        .send()
        .await
        .unwrap();
    assert_eq!(
        code(
            c.list_parts()
                .bucket("bkt")
                .key("x")
                .upload_id(aborted)
                .send()
                .await
        ),
        "NoSuchUpload"
    );
    let again = c
        .upload_part()
        .bucket("bkt")
        .key("x")
        .upload_id(aborted)
        .part_number(1)
        .body(ByteStream::from_static(b"p"))
        .send()
        .await;
    assert_eq!(code(again), "NoSuchUpload");
    assert_eq!(s3.blob_count(), 4, "the aborted upload's part is freed");
    let bad_number = c
        .upload_part()
        .bucket("bkt")
        .key("big.raw")
        .upload_id(&id)
        .part_number(10_001)
        .body(ByteStream::from_static(b"p"))
        .send()
        .await;
    assert!(matches!(
        code(bad_number).as_str(),
        "InvalidArgument" | "NoSuchUpload"
    ));
}

#[tokio::test]
async fn presigned_urls_work_until_they_expire_and_unsigned_requests_are_refused() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    s3.put("bkt", "shared.jpg", b"jpeg bytes").await;
    let presign = |secs| PresigningConfig::expires_in(Duration::from_secs(secs)).unwrap();
    let url = s3
        .client
        .get_object()
        .bucket("bkt")
        .key("shared.jpg")
        .presigned(presign(300))
        .await
        .unwrap();
    let (code_ok, body) = http_request("GET", url.uri()).await;
    assert_eq!((code_ok, body.as_slice()), (200, &b"jpeg bytes"[..]));

    let short = s3
        .client
        .get_object()
        .bucket("bkt")
        .key("shared.jpg")
        .presigned(presign(1))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (expired, body) = http_request("GET", short.uri()).await;
    assert_eq!(expired, 403);
    assert!(
        String::from_utf8_lossy(&body).contains("expired"),
        "{}",
        String::from_utf8_lossy(&body)
    );

    let (anonymous, body) =
        http_request("GET", &format!("{}/bkt/shared.jpg", s3.endpoint.url())).await;
    assert_eq!(anonymous, 403);
    assert!(String::from_utf8_lossy(&body).contains("AccessDenied"));
}

#[tokio::test]
async fn wrong_keys_are_refused_with_s3_codes() {
    let s3 = Local::start().await;
    let wrong_secret = sdk_client(&s3.endpoint.url(), ACCESS_KEY, "not-the-secret");
    assert_eq!(
        code(wrong_secret.list_buckets().send().await),
        "SignatureDoesNotMatch"
    );
    let unknown = sdk_client(&s3.endpoint.url(), "AKUNKNOWN", SECRET_KEY);
    assert_eq!(
        code(unknown.list_buckets().send().await),
        "InvalidAccessKeyId"
    );
}

#[tokio::test]
async fn a_second_process_can_serve_the_same_store_at_once() {
    let s3 = Local::start().await;
    s3.bucket("shared").await;
    let credentials = LocalCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
    };
    let second = local::serve(s3.root(), "127.0.0.1:0".parse().unwrap(), credentials)
        .await
        .unwrap();
    let other = sdk_client(&second.url(), ACCESS_KEY, SECRET_KEY);
    other
        .put_object()
        .bucket("shared")
        .key("from-second")
        .body(ByteStream::from_static(b"2"))
        .send()
        .await
        .unwrap();
    assert_eq!(s3.get("shared", "from-second").await, b"2");
    drop(second);
    assert_eq!(
        s3.get("shared", "from-second").await,
        b"2",
        "the first one is unaffected"
    );
}

#[tokio::test]
async fn keys_that_look_like_paths_never_reach_the_file_system() {
    let s3 = Local::start().await;
    s3.bucket("bkt").await;
    for key in ["../../escape.txt", "/absolute", "a/../../b", "..", "./."] {
        s3.put("bkt", key, key.as_bytes()).await;
        assert_eq!(s3.get("bkt", key).await, key.as_bytes(), "{key}");
    }
    let parent = s3.root().parent().unwrap();
    assert!(!parent.join("escape.txt").exists());
    assert!(!s3.root().join("escape.txt").exists());
    assert_eq!(
        s3.blob_count(),
        5,
        "every key is a blob with a random name under blobs/"
    );
    let listed = s3
        .client
        .list_objects_v2()
        .bucket("bkt")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = listed.contents().iter().map(|o| o.key().unwrap()).collect();
    assert_eq!(
        keys,
        ["..", "../../escape.txt", "./.", "/absolute", "a/../../b"]
    );
}

/// A key XML cannot carry is sent URL-encoded even to a client that did not ask, with
/// `EncodingType=url` saying so, so the page is well-formed XML; the listing's edges follow S3.
#[tokio::test]
async fn listings_are_always_well_formed_and_follow_s3_at_the_edges() {
    let s3 = Local::start().await;
    s3.bucket("edges").await;
    s3.put("edges", "ctl\u{1}key", b"x").await;
    s3.put("edges", "plain", b"y").await;
    let page = s3
        .client
        .list_objects_v2()
        .bucket("edges")
        .send()
        .await
        .unwrap();
    assert_eq!(page.encoding_type().map(|e| e.as_str()), Some("url"));
    let keys: Vec<&str> = page.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["ctl%01key", "plain"]);
    let v1 = s3
        .client
        .list_objects()
        .bucket("edges")
        .send()
        .await
        .unwrap();
    assert_eq!(v1.contents().len(), 2);

    // max-keys=0: an empty page that claims nothing more; negative: refused.
    let none = s3
        .client
        .list_objects_v2()
        .bucket("edges")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (none.contents().len(), none.is_truncated()),
        (0, Some(false))
    );
    assert_eq!(
        code(
            s3.client
                .list_objects_v2()
                .bucket("edges")
                .max_keys(-1)
                .send()
                .await
        ),
        "InvalidArgument"
    );
    // An empty delimiter is no delimiter, and is not echoed as one.
    let plain = s3
        .client
        .list_objects_v2()
        .bucket("edges")
        .delimiter("")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.delimiter(), None);

    // And so a bucket holding such a key can be emptied and deleted.
    let (_home, engine) = common::engine();
    engine
        .profile_add(common::input(
            "e",
            &s3.endpoint.url(),
            ACCESS_KEY,
            SECRET_KEY,
        ))
        .await
        .unwrap();
    let deleted = engine
        .bucket_delete("e", "edges", true, &engine.new_job())
        .await
        .unwrap();
    assert_eq!(deleted.emptied, 2);
}

/// Sends `request` as raw bytes and returns what came back before the server closed the
/// connection or `wait` passed (`None`: still open then).
async fn raw_exchange(url: &str, request: &[u8], wait: Duration) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    match tokio::time::timeout(wait, socket.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

/// S3's behaviour at the HTTP edges, as boto3 and curl see it on AWS.
#[tokio::test]
async fn the_endpoint_answers_like_s3_at_the_http_edges() {
    let s3 = Local::start().await;
    s3.bucket("edges").await;
    s3.put("edges", "k", b"0123456789").await;

    // Every answer has a request id; an error's body carries the same one.
    let missing = s3
        .client
        .get_object()
        .bucket("edges")
        .key("none")
        .send()
        .await
        .unwrap_err();
    let raw = missing.raw_response().unwrap();
    let id = raw.headers().get("x-amz-request-id").unwrap().to_string();
    let body = String::from_utf8_lossy(raw.body().bytes().unwrap()).into_owned();
    assert!(
        body.contains(&format!("<RequestId>{id}</RequestId>")),
        "{body}"
    );

    // Several ranges, or a range that is not one, from a browser on a presigned link:
    // ignored, the whole object comes back.
    let config = PresigningConfig::expires_in(Duration::from_secs(600)).unwrap();
    let link = s3
        .client
        .get_object()
        .bucket("edges")
        .key("k")
        .presigned(config)
        .await
        .unwrap();
    let target = link
        .uri()
        .trim_start_matches(&s3.endpoint.url())
        .to_string();
    let host = s3.endpoint.url().trim_start_matches("http://").to_string();
    for range in ["bytes=0-1,3-4", "bytes=abc"] {
        let request = format!(
            "GET {target} HTTP/1.1\r\nhost: {host}\r\nrange: {range}\r\nconnection: close\r\n\r\n"
        );
        let answer = raw_exchange(
            &s3.endpoint.url(),
            request.as_bytes(),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("0123456789"), "{answer}");
    }
    // A range past the end cannot be served: 416 InvalidRange, as on S3.
    assert_eq!(
        code(
            s3.client
                .get_object()
                .bucket("edges")
                .key("k")
                .range("bytes=100-200")
                .send()
                .await
        ),
        "InvalidRange"
    );

    // fetch-owner=true returns owners; by default ListObjectsV2 does not.
    let with = s3
        .client
        .list_objects_v2()
        .bucket("edges")
        .fetch_owner(true)
        .send()
        .await
        .unwrap();
    assert!(with.contents()[0].owner().is_some());
    let without = s3
        .client
        .list_objects_v2()
        .bucket("edges")
        .send()
        .await
        .unwrap();
    assert!(without.contents()[0].owner().is_none());

    // Non-ASCII metadata as S3 clients encode it (RFC 2047) comes back as sent.
    s3.client
        .put_object()
        .bucket("edges")
        .key("meta")
        .metadata("photographer", "=?UTF-8?B?SsO8cmdlbg==?=")
        .body(ByteStream::from_static(b"m"))
        .send()
        .await
        .unwrap();
    let head = s3
        .client
        .head_object()
        .bucket("edges")
        .key("meta")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().unwrap()["photographer"],
        "=?UTF-8?B?SsO8cmdlbg==?="
    );

    // A presigned URL claiming more than 7 days is refused before its signature is checked.
    let config = PresigningConfig::expires_in(Duration::from_secs(3600)).unwrap();
    let url = s3
        .client
        .get_object()
        .bucket("edges")
        .key("k")
        .presigned(config)
        .await
        .unwrap();
    let long = url
        .uri()
        .replace("X-Amz-Expires=3600", "X-Amz-Expires=604801");
    let (status, body) = http_request("GET", &long).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("AuthorizationQueryParametersError"));

    // A PUT with Transfer-Encoding: chunked and no Content-Length is taken.
    let config = PresigningConfig::expires_in(Duration::from_secs(600)).unwrap();
    let put = s3
        .client
        .put_object()
        .bucket("edges")
        .key("chunked")
        .presigned(config)
        .await
        .unwrap();
    let target = put.uri().trim_start_matches(&s3.endpoint.url()).to_string();
    let request = format!(
        "PUT {target} HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    );
    let answer = raw_exchange(
        &s3.endpoint.url(),
        request.as_bytes(),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let got = s3
        .client
        .get_object()
        .bucket("edges")
        .key("chunked")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"hello world"
    );
}

/// A client that sends half its headers, or half its body, and stalls is let go after the idle
/// timeout: the connection is closed and nothing is stored.
#[tokio::test]
async fn a_stalled_connection_is_closed_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let credentials = LocalCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
    };
    let endpoint = local::serve_with(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        credentials,
        Duration::from_secs(1),
    )
    .await
    .unwrap();
    let client = sdk_client(&endpoint.url(), ACCESS_KEY, SECRET_KEY);
    client.create_bucket().bucket("stall").send().await.unwrap();

    let half_headers = b"GET /stall HTTP/1.1\r\nhost: x\r\nx-amz-date: 2026";
    let closed = raw_exchange(&endpoint.url(), half_headers, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "the connection was held open");

    let config = PresigningConfig::expires_in(Duration::from_secs(600)).unwrap();
    let put = client
        .put_object()
        .bucket("stall")
        .key("half")
        .presigned(config)
        .await
        .unwrap();
    let target = put.uri().trim_start_matches(&endpoint.url()).to_string();
    let host = endpoint.url().trim_start_matches("http://").to_string();
    let request =
        format!("PUT {target} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 100\r\n\r\n0123456789");
    let answer = raw_exchange(&endpoint.url(), request.as_bytes(), Duration::from_secs(10))
        .await
        .expect("the connection was held open");
    assert!(answer.contains("RequestTimeout"), "{answer}");
    let listed = client
        .list_objects_v2()
        .bucket("stall")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.key_count(), Some(0), "no half object");
}

#[tokio::test]
async fn archived_objects_are_read_only_after_a_restore_that_takes_a_while() {
    use aws_sdk_s3::types::{GlacierJobParameters, RestoreRequest, Tier};
    let s3 = Local::start().await;
    s3.bucket("cold").await;
    let put = |class: StorageClass, body: &'static [u8]| {
        s3.client
            .put_object()
            .bucket("cold")
            .key("wedding/IMG_1.CR3")
            .storage_class(class)
            .body(ByteStream::from_static(body))
            .send()
    };
    let read = || {
        s3.client
            .get_object()
            .bucket("cold")
            .key("wedding/IMG_1.CR3")
            .send()
    };
    let head = || {
        s3.client
            .head_object()
            .bucket("cold")
            .key("wedding/IMG_1.CR3")
            .send()
    };
    let restore = || {
        let tier = GlacierJobParameters::builder()
            .tier(Tier::Expedited)
            .build()
            .unwrap();
        s3.client
            .restore_object()
            .bucket("cold")
            .key("wedding/IMG_1.CR3")
            .restore_request(
                RestoreRequest::builder()
                    .days(2)
                    .glacier_job_parameters(tier)
                    .build(),
            )
            .send()
    };
    put(StorageClass::Glacier, b"raw bytes").await.unwrap();
    assert_eq!(code(read().await), "InvalidObjectState");
    let before = head().await.unwrap();
    assert_eq!(
        (before.storage_class(), before.restore()),
        (Some(&StorageClass::Glacier), None)
    );

    restore().await.unwrap();
    assert_eq!(code(restore().await), "RestoreAlreadyInProgress");
    assert_eq!(
        head().await.unwrap().restore(),
        Some("ongoing-request=\"true\"")
    );
    assert_eq!(
        code(read().await),
        "InvalidObjectState",
        "not while it is restoring"
    );

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let restored = loop {
        let now = head().await.unwrap();
        if now
            .restore()
            .is_some_and(|r| r.starts_with("ongoing-request=\"false\""))
        {
            break now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the restore never finished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(
        restored.restore().unwrap().contains("expiry-date=\""),
        "{:?}",
        restored.restore()
    );
    assert!(
        restored.restore().unwrap().ends_with(" GMT\""),
        "{:?}",
        restored.restore()
    );
    assert_eq!(s3.get("cold", "wedding/IMG_1.CR3").await, b"raw bytes");
    restore()
        .await
        .expect("a restored object's restore only changes its days");

    // A copy out of the archive once restored; a new object at the key is archived afresh.
    s3.client
        .copy_object()
        .bucket("cold")
        .key("wedding/IMG_1-hot.CR3")
        .copy_source("cold/wedding/IMG_1.CR3")
        .storage_class(StorageClass::Standard)
        .send()
        .await
        .unwrap();
    assert_eq!(s3.get("cold", "wedding/IMG_1-hot.CR3").await, b"raw bytes");
    put(StorageClass::DeepArchive, b"new raw").await.unwrap();
    assert_eq!(code(read().await), "InvalidObjectState");
    assert_eq!(head().await.unwrap().restore(), None);
    put(StorageClass::Standard, b"hot again").await.unwrap();
    assert_eq!(
        code(restore().await),
        "InvalidObjectState",
        "only archived objects restore"
    );
}

#[tokio::test]
async fn lifecycle_rules_round_trip_whole_and_bad_ones_are_refused() {
    use aws_sdk_s3::types::{
        AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus,
        LifecycleRule, LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration,
        Tag, Transition, TransitionStorageClass,
    };
    let s3 = Local::start().await;
    s3.bucket("studio").await;
    let missing = s3
        .client
        .get_bucket_lifecycle_configuration()
        .bucket("studio")
        .send()
        .await;
    assert_eq!(code(missing), "NoSuchLifecycleConfiguration");

    let archive = LifecycleRule::builder()
        .id("strata: clients/ to GLACIER after 30 days")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("clients/").build())
        .transitions(
            Transition::builder()
                .days(30)
                .storage_class(TransitionStorageClass::Glacier)
                .build(),
        )
        .build()
        .unwrap();
    // A rule another tool wrote, with parts Strata never writes: kept as it was.
    let foreign = LifecycleRule::builder()
        .id("ops: tidy")
        .status(ExpirationStatus::Disabled)
        .filter(
            LifecycleRuleFilter::builder()
                .and(
                    LifecycleRuleAndOperator::builder()
                        .prefix("tmp/")
                        .tags(Tag::builder().key("team").value("ops").build().unwrap())
                        .build(),
                )
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(7)
                .build(),
        )
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(90)
                .build(),
        )
        .build()
        .unwrap();
    let rules = vec![archive, foreign];
    let config = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules.clone()))
        .build()
        .unwrap();
    s3.client
        .put_bucket_lifecycle_configuration()
        .bucket("studio")
        .lifecycle_configuration(config)
        .send()
        .await
        .unwrap();
    let got = s3
        .client
        .get_bucket_lifecycle_configuration()
        .bucket("studio")
        .send()
        .await
        .unwrap();
    assert_eq!(got.rules(), rules.as_slice());

    let refused = |rule: LifecycleRule| {
        let config = BucketLifecycleConfiguration::builder()
            .rules(rule)
            .build()
            .unwrap();
        s3.client
            .put_bucket_lifecycle_configuration()
            .bucket("studio")
            .lifecycle_configuration(config)
            .send()
    };
    let idle = LifecycleRule::builder()
        .id("no action")
        .status(ExpirationStatus::Enabled)
        .build()
        .unwrap();
    assert_eq!(code(refused(idle).await), "MalformedXML");
    let got = s3
        .client
        .get_bucket_lifecycle_configuration()
        .bucket("studio")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.rules(),
        rules.as_slice(),
        "a refused configuration changes nothing"
    );

    s3.client
        .delete_bucket_lifecycle()
        .bucket("studio")
        .send()
        .await
        .unwrap();
    let gone = s3
        .client
        .get_bucket_lifecycle_configuration()
        .bucket("studio")
        .send()
        .await;
    assert_eq!(code(gone), "NoSuchLifecycleConfiguration");
    s3.client
        .delete_bucket()
        .bucket("studio")
        .send()
        .await
        .unwrap();
}
