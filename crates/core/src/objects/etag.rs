//! What an ETag says about the bytes behind it, where the server makes it from their MD5.

use aws_sdk_s3::types::ServerSideEncryption;
use md5::{Digest, Md5};

/// Whether the server made an object's ETag from its bytes' MD5, by the encryption its answer
/// names: S3 does for plain and SSE-S3 (`AES256`) objects, but the ETag of an object encrypted
/// with KMS (`aws:kms`, `aws:kms:dsse`) or a customer's key (SSE-C) is opaque, so comparing it
/// with an MD5 would call every such object corrupt.
pub(crate) fn etag_is_digest(
    encryption: Option<&ServerSideEncryption>,
    customer_key_algorithm: Option<&str>,
) -> bool {
    customer_key_algorithm.is_none()
        && encryption.is_none_or(|e| matches!(e, ServerSideEncryption::Aes256))
}

/// Whether an ETag (quotes trimmed) is a plain MD5: 32 hex digits.
pub(crate) fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The part count a multipart ETag (`MD5-N`) names; `None` for any other ETag.
pub(crate) fn part_count(etag: &str) -> Option<u32> {
    let (md5, count) = etag.split_once('-')?;
    is_md5(md5).then(|| count.parse().ok()).flatten()
}

/// An MD5 digest as ETags write it: 32 lowercase hex digits.
pub(crate) fn md5_hex(digest: &[u8]) -> String {
    hex_simd::encode_to_string(digest, hex_simd::AsciiCase::Lower)
}

/// [`multipart_etag`] of parts whose MD5s are written in hex.
pub(crate) fn multipart_etag_of_hex<'a>(part_md5s: impl IntoIterator<Item = &'a str>) -> String {
    multipart_etag(
        part_md5s
            .into_iter()
            .map(|md5| hex_simd::decode_to_vec(md5).unwrap_or_default()),
    )
}

/// The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, a dash, the part count.
pub(crate) fn multipart_etag<D: AsRef<[u8]>>(part_md5s: impl IntoIterator<Item = D>) -> String {
    let mut of_parts = Md5::new();
    let mut count = 0;
    for md5 in part_md5s {
        of_parts.update(md5);
        count += 1;
    }
    format!("{}-{count}", md5_hex(&of_parts.finalize()))
}
