//! What an ETag says about the bytes behind it, where the server makes it from their MD5.

use md5::{Digest, Md5};

/// Whether an ETag (quotes trimmed) is a plain MD5: 32 hex digits.
pub(crate) fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ETag S3 gives a multipart object: the MD5 of the parts' MD5s, a dash, the part count.
pub(crate) fn multipart_etag<D: AsRef<[u8]>>(part_md5s: impl IntoIterator<Item = D>) -> String {
    let mut of_parts = Md5::new();
    let mut count = 0;
    for md5 in part_md5s {
        of_parts.update(md5);
        count += 1;
    }
    format!(
        "{}-{count}",
        hex_simd::encode_to_string(of_parts.finalize(), hex_simd::AsciiCase::Lower)
    )
}
