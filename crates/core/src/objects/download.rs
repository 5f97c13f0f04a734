//! Downloads to a folder the user chose. Keys become local paths safely: a key can never
//! write outside the chosen folder, whatever it holds (`..`, a leading `/`, backslashes, NUL,
//! names the file system refuses); such names are changed and reported. Every file lands
//! whole or not at all: bytes go to a hidden temporary file beside the target, are checked
//! (length, and MD5 where the ETag is one), synced, then renamed over the final name.

use std::path::{Component, Path, PathBuf};

use md5::{Digest, Md5};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::{Scope, check_key, list_page, no_such_key};
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{Event, JobHandle};
use crate::remote::RemotePath;
use crate::s3::{self, Account};

/// A file written by a download.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Downloaded {
    pub key: String,
    pub path: String,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub size: u64,
}

/// A key that could not keep its name on disk, and why.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Renamed {
    pub key: String,
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct DownloadReport {
    pub files: Vec<Downloaded>,
    pub renamed: Vec<Renamed>,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub bytes: u64,
}

/// The longest file name most file systems take, in bytes.
const NAME_MAX: usize = 255;

/// Turns the part of a key below the downloaded prefix into a relative path of safe names;
/// the second value says what had to change, if anything.
pub(crate) fn safe_relative(key_below: &str) -> (PathBuf, Option<String>) {
    let mut path = PathBuf::new();
    let mut changes = Vec::new();
    let segments: Vec<&str> = key_below.split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if segment.is_empty() {
            if !last && i > 0 || (i == 0 && segments.len() > 1) {
                changes.push("empty path segments were dropped");
            }
            continue;
        }
        let (name, why) = safe_name(segment);
        if let Some(why) = why {
            changes.push(why);
        }
        path.push(name);
    }
    changes.dedup();
    let reason = (!changes.is_empty()).then(|| changes.join("; "));
    (path, reason)
}

fn safe_name(segment: &str) -> (String, Option<&'static str>) {
    if segment == "." || segment == ".." {
        return (
            segment.replace('.', "_"),
            Some("'.' and '..' cannot be file names"),
        );
    }
    let mut why = None;
    let cleaned: String = segment
        .chars()
        .map(|c| {
            if c == '\\' || c == '\0' || c.is_control() {
                why = Some("backslashes and control characters were replaced with '_'");
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.len() <= NAME_MAX {
        return (cleaned, why);
    }
    // Too long for the file system: keep the start and the extension.
    let extension = Path::new(&cleaned)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() < 16)
        .map(|e| format!(".{e}"))
        .unwrap_or_default();
    let mut short = String::new();
    for c in cleaned.chars() {
        if short.len() + c.len_utf8() + extension.len() + 1 > NAME_MAX {
            break;
        }
        short.push(c);
    }
    (
        format!("{short}~{extension}"),
        Some("the name was longer than 255 bytes and was shortened"),
    )
}

/// `root/relative`, refusing anything that is not strictly below `root`.
fn inside(root: &Path, relative: &Path) -> Result<PathBuf> {
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(Error::invalid(
            "key",
            format!(
                "\"{}\" is not a path below the download folder.",
                relative.display()
            ),
            "Report this: Strata should have renamed it.",
        ));
    }
    Ok(root.join(relative))
}

/// The setting that remembers the folder the app downloads into.
const DOWNLOAD_FOLDER_SETTING: &str = "download_folder";

impl Engine {
    /// Where the app downloads to: the folder the user chose last, else the platform's
    /// downloads folder. A chosen folder that is gone (an unplugged drive) is an error rather
    /// than made again on the disk it was mounted on.
    pub async fn download_folder(&self) -> Result<PathBuf> {
        let chosen = self
            .blocking(|conn, _| crate::catalog::setting(conn, DOWNLOAD_FOLDER_SETTING))
            .await?;
        let Some(chosen) = chosen.map(PathBuf::from) else {
            return Ok(crate::home::downloads_folder());
        };
        match tokio::fs::metadata(&chosen).await {
            Ok(meta) if meta.is_dir() => Ok(chosen),
            _ => Err(Error::new(
                ErrorCode::NotFound,
                format!("The download folder {} is not there.", chosen.display()),
                "Connect the drive it is on, or choose another folder with Download to….",
            )),
        }
    }

    /// Remembers `folder`, an existing folder, for the app's next downloads; returns it as
    /// an absolute path.
    pub async fn set_download_folder(&self, folder: &Path) -> Result<PathBuf> {
        let folder = tokio::fs::canonicalize(folder).await.map_err(|e| {
            Error::io(
                format!("The folder {} cannot be used", folder.display()),
                &e,
            )
        })?;
        if !folder.is_dir() {
            return Err(Error::invalid(
                "folder",
                format!("{} is not a folder.", folder.display()),
                "Choose a folder to download into.",
            ));
        }
        let Some(text) = folder.to_str().map(str::to_string) else {
            return Err(Error::invalid(
                "folder",
                format!("The path {} is not valid UTF-8.", folder.display()),
                "Choose a folder whose path is valid text.",
            ));
        };
        self.blocking(move |conn, _| {
            crate::catalog::set_setting(conn, DOWNLOAD_FOLDER_SETTING, Some(&text))
        })
        .await?;
        Ok(folder)
    }

    /// Downloads objects and folders into the folder `into`: an object as `into/NAME`, a folder
    /// (a path ending in `/`, or a bucket's root) with its structure as `into/FOLDER/...`.
    pub async fn objects_download(
        &self,
        sources: &[RemotePath],
        into: &Path,
        job: &JobHandle,
    ) -> Result<DownloadReport> {
        tokio::fs::create_dir_all(into).await.map_err(|e| {
            Error::io(
                format!("The folder {} could not be made", into.display()),
                &e,
            )
        })?;
        let root = tokio::fs::canonicalize(into)
            .await
            .map_err(|e| Error::io(format!("The folder {} cannot be used", into.display()), &e))?;
        let mut report = DownloadReport::default();
        for source in sources {
            check_name(&source.bucket, false)?;
            let account = self.account(&source.profile).await?;
            if source.is_folder() {
                self.download_prefix(&account, source, &root, job, &mut report)
                    .await?;
            } else {
                let (relative, reason) = safe_relative(source.name());
                let target = inside(&root, &relative)?;
                self.download_one(&account, source, &target, &root, reason, job, &mut report)
                    .await?;
            }
        }
        Ok(report)
    }

    /// Downloads one object to exactly `file` (its folder must exist).
    pub async fn object_download_to(
        &self,
        source: &RemotePath,
        file: &Path,
        job: &JobHandle,
    ) -> Result<DownloadReport> {
        check_name(&source.bucket, false)?;
        check_key(&source.key)?;
        let account = self.account(&source.profile).await?;
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let root = tokio::fs::canonicalize(&parent).await.map_err(|e| {
            Error::io(
                format!("The folder {} cannot be used", parent.display()),
                &e,
            )
        })?;
        let name = file.file_name().ok_or_else(|| {
            Error::invalid(
                "path",
                "The download path has no file name.",
                "Name a file or a folder.",
            )
        })?;
        let mut report = DownloadReport::default();
        self.download_one(
            &account,
            source,
            &root.join(name),
            &root,
            None,
            job,
            &mut report,
        )
        .await?;
        Ok(report)
    }

    async fn download_prefix(
        &self,
        account: &Account,
        source: &RemotePath,
        root: &Path,
        job: &JobHandle,
        report: &mut DownloadReport,
    ) -> Result<()> {
        let (base, base_reason) = safe_relative(source.name());
        let scope = Scope {
            bucket: &source.bucket,
            prefix: &source.key,
            delimiter: None,
        };
        let mut token = None;
        loop {
            job.check()?;
            let page = self
                .on_bucket(account, &source.bucket, |client| {
                    let (scope, token) = (&scope, token.clone());
                    async move { list_page(&client, account, scope, token, super::PAGE_SIZE).await }
                })
                .await?;
            for entry in &page.entries {
                let (below, reason) = safe_relative(&entry.name);
                let reason = reason.or_else(|| base_reason.clone());
                let relative = base.join(&below);
                if entry.key.ends_with('/') {
                    // A folder marker: the folder exists locally too, even when empty.
                    let dir = inside(root, &relative).unwrap_or_else(|_| root.join(&base));
                    tokio::fs::create_dir_all(&dir).await.map_err(|e| {
                        Error::io(
                            format!("The folder {} could not be made", dir.display()),
                            &e,
                        )
                    })?;
                    continue;
                }
                let target = inside(root, &relative)?;
                let object = RemotePath {
                    profile: source.profile.clone(),
                    bucket: source.bucket.clone(),
                    key: entry.key.clone(),
                };
                self.download_one(account, &object, &target, root, reason, job, report)
                    .await?;
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn download_one(
        &self,
        account: &Account,
        source: &RemotePath,
        target: &Path,
        root: &Path,
        reason: Option<String>,
        job: &JobHandle,
        report: &mut DownloadReport,
    ) -> Result<()> {
        job.check()?;
        let mut target = target.to_path_buf();
        let mut reason = reason;
        if tokio::fs::metadata(&target).await.is_ok_and(|m| m.is_dir()) {
            let mut name = target.file_name().unwrap_or_default().to_os_string();
            name.push("~file");
            target.set_file_name(name);
            reason = Some("a folder has the same name".into());
        }
        let dir = target.parent().unwrap_or(root).to_path_buf();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| {
            Error::io(
                format!("The folder {} could not be made", dir.display()),
                &e,
            )
        })?;
        // A link inside the chosen folder must not lead the file out of it.
        let real_dir = tokio::fs::canonicalize(&dir)
            .await
            .map_err(|e| Error::io(format!("The folder {} cannot be used", dir.display()), &e))?;
        if !real_dir.starts_with(root) {
            return Err(Error::new(
                ErrorCode::Io,
                format!(
                    "{} leads outside the download folder (a symbolic link).",
                    dir.display()
                ),
                "Remove the link from the download folder, or choose another folder.",
            ));
        }
        let size = self
            .on_bucket(account, &source.bucket, |client| {
                let target = target.clone();
                async move { fetch(&client, account, source, &target, job).await }
            })
            .await?;
        report.bytes += size;
        job.report(Event::ObjectsProgress {
            job: job.id,
            profile: source.profile.clone(),
            action: "download".into(),
            objects: report.files.len() as u32 + 1,
            bytes: report.bytes,
        });
        let path = target.display().to_string();
        if let Some(reason) = reason {
            report.renamed.push(Renamed {
                key: source.key.clone(),
                path: path.clone(),
                reason,
            });
        }
        report.files.push(Downloaded {
            key: source.key.clone(),
            path,
            size,
        });
        Ok(())
    }
}

/// GETs one object into a temporary file beside `target`, checks it, and renames it into
/// place. On any failure the temporary file is removed and `target` is untouched.
async fn fetch(
    client: &aws_sdk_s3::Client,
    account: &Account,
    source: &RemotePath,
    target: &Path,
    job: &JobHandle,
) -> Result<u64> {
    let object = client
        .get_object()
        .bucket(&source.bucket)
        .key(&source.key)
        .send()
        .await
        .map_err(|e| {
            let err = s3::error_from_sdk(&e, &account.label());
            if err.code == ErrorCode::NoSuchKey {
                no_such_key(&source.profile, &source.bucket, &source.key)
            } else {
                err
            }
        })?;
    let expected = object.content_length().map(|n| n.max(0) as u64);
    let etag = object
        .e_tag()
        .map(|e| e.trim_matches('"').to_ascii_lowercase());
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let temporary = target.with_file_name(format!(
        ".{name}.strata-{}.part",
        crate::local::random_text(8, b"abcdefghijklmnopqrstuvwxyz0123456789")
    ));
    let written = write_checked(object.body, &temporary, expected, etag.as_deref(), job).await;
    let outcome = match written {
        Ok(size) => tokio::fs::rename(&temporary, target)
            .await
            .map(|()| size)
            .map_err(|e| Error::io(format!("{} could not be written", target.display()), &e)),
        Err(err) => Err(err),
    };
    if outcome.is_err() {
        let _ = tokio::fs::remove_file(&temporary).await;
    }
    outcome
}

async fn write_checked(
    mut body: aws_sdk_s3::primitives::ByteStream,
    temporary: &Path,
    expected: Option<u64>,
    etag: Option<&str>,
    job: &JobHandle,
) -> Result<u64> {
    let io =
        |e: std::io::Error| Error::io(format!("{} could not be written", temporary.display()), &e);
    let file = tokio::fs::File::create(temporary).await.map_err(io)?;
    let mut file = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut md5 = Md5::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        job.check()?;
        let chunk = chunk.map_err(|e| {
            super::body_interrupted(
                "The download",
                e,
                "Try again; nothing was written under the final name.",
            )
        })?;
        md5.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.get_ref().sync_all().await.map_err(io)?;
    let corrupt = |what: String| {
        Error::new(
            ErrorCode::S3,
            format!("The downloaded bytes do not match the object ({what})."),
            "Try again; nothing was written under the final name.",
        )
        .with_retry(crate::error::Retry::Transient)
    };
    if let Some(expected) = expected.filter(|&n| n != size) {
        return Err(corrupt(format!("{size} bytes received of {expected}")));
    }
    // A single-part upload's ETag is the MD5 of its bytes; multipart and encrypted ones are not.
    if let Some(etag) = etag.filter(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit())) {
        let digest = hex_simd::encode_to_string(md5.finalize(), hex_simd::AsciiCase::Lower);
        if digest != etag {
            return Err(corrupt("MD5 differs from the ETag".into()));
        }
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::safe_relative;
    use std::path::PathBuf;

    #[test]
    fn hostile_keys_become_names_below_the_folder() {
        let p = |k: &str| safe_relative(k).0;
        assert_eq!(p("a/b.jpg"), PathBuf::from("a/b.jpg"));
        assert_eq!(p("../../etc/passwd"), PathBuf::from("__/__/etc/passwd"));
        assert_eq!(p("/abs/x"), PathBuf::from("abs/x"));
        assert_eq!(p("a//b"), PathBuf::from("a/b"));
        assert_eq!(p("back\\slash"), PathBuf::from("back_slash"));
        assert_eq!(p("nul\0x"), PathBuf::from("nul_x"));
        assert_eq!(p("./x"), PathBuf::from("_/x"));
        assert!(safe_relative("a/b.jpg").1.is_none());
        assert!(safe_relative("../x").1.is_some());
        let long = format!("{}.jpg", "é".repeat(200));
        let name = p(&long);
        assert!(name.to_str().unwrap().len() <= 255 && name.to_str().unwrap().ends_with(".jpg"));
    }
}
