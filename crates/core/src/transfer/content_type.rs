//! The Content-Type an upload is sent with: from the file's extension, else from its first
//! bytes, else `application/octet-stream`.

/// Types by extension (lowercase), for what Strata's users upload most: photos (camera RAW
/// included), video, documents, web files.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("heic", "image/heic"),
    ("heif", "image/heif"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("bmp", "image/bmp"),
    ("svg", "image/svg+xml"),
    ("dng", "image/x-adobe-dng"),
    ("cr2", "image/x-canon-cr2"),
    ("cr3", "image/x-canon-cr3"),
    ("nef", "image/x-nikon-nef"),
    ("arw", "image/x-sony-arw"),
    ("raf", "image/x-fuji-raf"),
    ("orf", "image/x-olympus-orf"),
    ("rw2", "image/x-panasonic-rw2"),
    ("mp4", "video/mp4"),
    ("mov", "video/quicktime"),
    ("m4v", "video/x-m4v"),
    ("webm", "video/webm"),
    ("mkv", "video/x-matroska"),
    ("mp3", "audio/mpeg"),
    ("m4a", "audio/mp4"),
    ("wav", "audio/wav"),
    ("flac", "audio/flac"),
    ("pdf", "application/pdf"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("txt", "text/plain; charset=utf-8"),
    ("md", "text/markdown; charset=utf-8"),
    ("csv", "text/csv; charset=utf-8"),
    ("html", "text/html; charset=utf-8"),
    ("htm", "text/html; charset=utf-8"),
    ("css", "text/css; charset=utf-8"),
    ("js", "text/javascript; charset=utf-8"),
    ("xmp", "application/rdf+xml"),
];

/// Signatures of the first bytes, for files without a known extension.
const BY_CONTENT: &[(&[u8], &str)] = &[
    (b"\xFF\xD8\xFF", "image/jpeg"),
    (b"\x89PNG\r\n\x1A\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1F\x8B", "application/gzip"),
];

/// The Content-Type for a file named `name` whose first bytes are `head`.
pub fn content_type(name: &str, head: &[u8]) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(found) = extension
        .as_deref()
        .and_then(|ext| BY_EXTENSION.iter().find(|(e, _)| *e == ext))
    {
        return found.1;
    }
    if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return "image/webp";
    }
    BY_CONTENT
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map_or("application/octet-stream", |(_, kind)| kind)
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn the_extension_decides_then_the_first_bytes() {
        assert_eq!(content_type("IMG_0001.CR3", b""), "image/x-canon-cr3");
        assert_eq!(content_type("a.JPG", b"not a jpeg"), "image/jpeg");
        assert_eq!(
            content_type("export", b"\xFF\xD8\xFF\xE0rest"),
            "image/jpeg"
        );
        assert_eq!(content_type("scan", b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(content_type("notes.", b"plain"), "application/octet-stream");
        assert_eq!(content_type("", b""), "application/octet-stream");
    }
}
