//! Thumbnails of images and camera RAW files, made by the engine from a bounded ranged GET and
//! kept in the data folder under a size cap. A 60 MB RAW is never downloaded to draw one: its
//! embedded JPEG preview sits near the start of the file, and only that much is read.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::ImageReader;
use md5::{Digest, Md5};
use serde::Serialize;

use super::{check_key, head_error};
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::remote::RemotePath;
use crate::s3;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_PX: u32 = 320;
/// Bytes read from the start of a file to find an embedded preview (RAW files, large JPEGs).
const HEAD_BYTES: u64 = 4 << 20;
/// Whole images up to this size are read and scaled down when they embed no preview.
const WHOLE_MAX: u64 = 24 << 20;
/// The thumbnail cache's size cap; the least recently made are removed past it.
const CACHE_CAP: u64 = 256 << 20;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Thumbnail {
    /// `image/jpeg`.
    pub mime: String,
    /// The image, base64 (for a `data:` URL).
    pub data: String,
    pub width: u32,
    pub height: u32,
}

/// What a file name says about previewing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Image,
    Raw,
}

fn kind_of(key: &str) -> Option<Kind> {
    let extension = key.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "jpg" | "jpeg" | "png" | "gif" | "webp" => Some(Kind::Image),
        "cr2" | "cr3" | "nef" | "nrw" | "arw" | "srf" | "sr2" | "dng" | "raf" | "orf" | "rw2"
        | "pef" | "srw" | "3fr" | "iiq" | "x3f" => Some(Kind::Raw),
        _ => None,
    }
}

/// The JPEGs embedded in `bytes` (a RAW file's previews, a JPEG's EXIF thumbnail), largest
/// picture first. Each runs from its start marker to the end of `bytes`: a decoder stops at
/// the image's own end, so what follows does not matter.
pub(crate) fn embedded_jpegs(bytes: &[u8]) -> Vec<&[u8]> {
    let mut found: Vec<(u64, &[u8])> = Vec::new();
    let mut start = 0;
    while let Some(at) = find(&bytes[start..], &[0xFF, 0xD8, 0xFF]).map(|i| i + start) {
        let candidate = &bytes[at..];
        let size = ImageReader::with_format(Cursor::new(candidate), image::ImageFormat::Jpeg)
            .into_dimensions()
            .ok()
            .filter(|&(w, h)| w >= 32 && h >= 32);
        if let Some((w, h)) = size {
            found.push((u64::from(w) * u64::from(h), candidate));
        }
        start = at + 3;
    }
    found.sort_by_key(|(area, _)| std::cmp::Reverse(*area));
    found.into_iter().map(|(_, jpeg)| jpeg).collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Scales an encoded image down to a thumbnail, as JPEG.
pub(crate) fn thumbnail_of(encoded: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    let image = ImageReader::new(Cursor::new(encoded))
        .with_guessed_format()
        .ok()?
        .decode()
        .ok()?;
    let small = image.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX).to_rgb8();
    let (width, height) = small.dimensions();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&small)
        .ok()?;
    Some((out, width, height))
}

fn no_preview(path: &RemotePath) -> Error {
    Error::new(
        ErrorCode::InvalidInput,
        format!("{path} has no preview."),
        "Previews are made for JPEG, PNG, GIF, WebP and camera RAW files with an embedded preview.",
    )
    .with_field("key")
}

/// Removes the oldest thumbnails until the folder is under the cap.
fn trim_cache(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, size, path) in files {
        if total <= CACHE_CAP {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= size;
        }
    }
}

impl Engine {
    /// A thumbnail of an image or RAW file: from the cache when the object is unchanged (same
    /// ETag and size), else made from at most the first 4 MiB (or the whole image up to
    /// 24 MiB when it embeds no preview).
    pub async fn object_thumbnail(&self, path: &RemotePath) -> Result<Thumbnail> {
        check_name(&path.bucket, false)?;
        check_key(&path.key)?;
        let kind = kind_of(&path.key).ok_or_else(|| no_preview(path))?;
        let account = self.account(&path.profile).await?;
        let head = self
            .on_bucket(&account, &path.bucket, |client| {
                let account = &account;
                async move {
                    client
                        .head_object()
                        .bucket(&path.bucket)
                        .key(&path.key)
                        .send()
                        .await
                        .map_err(|e| head_error(&e, account, &path.bucket, &path.key))
                }
            })
            .await?;
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let identity = format!(
            "{}\n{}\n{}\n{}\n{size}",
            account.profile.id,
            path.bucket,
            path.key,
            head.e_tag().unwrap_or_default()
        );
        let name = hex_simd::encode_to_string(
            Md5::digest(identity.as_bytes()),
            hex_simd::AsciiCase::Lower,
        );
        let dir = self.home().path().join("thumbnails");
        let cached = dir.join(format!("{name}.jpg"));
        if let Ok(bytes) = tokio::fs::read(&cached).await
            && let Ok((width, height)) =
                ImageReader::with_format(Cursor::new(&bytes), image::ImageFormat::Jpeg)
                    .into_dimensions()
        {
            return Ok(thumbnail(bytes, width, height));
        }
        let range_end = if kind == Kind::Image && size <= WHOLE_MAX {
            size
        } else {
            HEAD_BYTES.min(size)
        };
        let bytes = self
            .on_bucket(&account, &path.bucket, |client| {
                let account = &account;
                async move {
                    let mut request = client.get_object().bucket(&path.bucket).key(&path.key);
                    if range_end > 0 && range_end < size {
                        request = request.range(format!("bytes=0-{}", range_end - 1));
                    }
                    let answer = request
                        .send()
                        .await
                        .map_err(|e| s3::error_from_sdk(&e, &account.label()))?;
                    let body = answer.body.collect().await.map_err(|e| {
                        super::body_interrupted("Reading the preview", e, "Try again.")
                    })?;
                    Ok(body.into_bytes())
                }
            })
            .await?;
        let made = tokio::task::spawn_blocking(move || {
            let whole = (range_end == size).then(|| thumbnail_of(&bytes)).flatten();
            whole.or_else(|| embedded_jpegs(&bytes).into_iter().find_map(thumbnail_of))
        })
        .await
        .ok()
        .flatten();
        let (jpeg, width, height) = made.ok_or_else(|| no_preview(path))?;
        // The cache is a convenience: a failure to write it costs a later re-read, nothing more.
        if tokio::fs::create_dir_all(&dir).await.is_ok() {
            let temporary = dir.join(format!(".{name}.part"));
            if tokio::fs::write(&temporary, &jpeg).await.is_ok() {
                let _ = tokio::fs::rename(&temporary, &cached).await;
            }
            let _ = tokio::task::spawn_blocking(move || trim_cache(&dir)).await;
        }
        Ok(thumbnail(jpeg, width, height))
    }
}

fn thumbnail(jpeg: Vec<u8>, width: u32, height: u32) -> Thumbnail {
    Thumbnail {
        mime: "image/jpeg".into(),
        data: base64_simd::STANDARD.encode_to_string(jpeg),
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::{embedded_jpegs, kind_of, thumbnail_of};

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new(&mut out)
            .encode_image(&image)
            .unwrap();
        out
    }

    #[test]
    fn finds_the_largest_embedded_jpeg_in_a_raw_like_file() {
        let (small, large) = (jpeg(160, 120), jpeg(1200, 800));
        let mut raw = b"II*\0fake raw header".to_vec();
        raw.extend_from_slice(&small);
        raw.extend_from_slice(&[0u8; 1000]);
        raw.extend_from_slice(&large);
        raw.extend_from_slice(&[0xAB; 5000]);
        let found = embedded_jpegs(&raw);
        assert_eq!(found.len(), 2);
        assert!(found[0].starts_with(&large));
        let (thumb, w, h) = thumbnail_of(found[0]).unwrap();
        assert_eq!((w, h), (320, 213));
        assert!(thumb.starts_with(&[0xFF, 0xD8]));
        assert!(embedded_jpegs(b"no image at all").is_empty());
    }

    #[test]
    fn knows_what_it_can_preview() {
        assert!(kind_of("a/IMG_0001.CR3").is_some());
        assert!(kind_of("a/b.jpeg").is_some());
        assert!(kind_of("notes.txt").is_none());
        assert!(kind_of("noextension").is_none());
    }
}
