//! The local side of a pair: its folder, checked to be the one the pair was made on, and the
//! files in it.

use std::collections::BTreeMap;
use std::path::Path;

use super::ignore::Ignore;
use crate::error::{Error, ErrorCode, Result};

/// A file as the folder holds it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocalFile {
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
}

/// The folder's files by `/`-separated path, and the names that cannot be keys.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub files: BTreeMap<String, LocalFile>,
    /// Paths (lossily shown) skipped because their names are not Unicode.
    pub unnamed: Vec<String>,
}

/// `local` made absolute, and the device it is on: a pair's folder must exist when made.
pub(crate) fn folder_of(local: &str) -> Result<(String, Option<u64>)> {
    let path = Path::new(local);
    let absolute = std::fs::canonicalize(path).map_err(|e| {
        Error::new(
            ErrorCode::NotFound,
            format!("The folder {local} cannot be opened: {e}."),
            "Give a folder that exists.",
        )
    })?;
    let meta = std::fs::metadata(&absolute).map_err(|e| Error::io(absolute.display(), &e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(
            "local",
            format!("{local} is not a folder."),
            "Sync a folder; to send one file, use `strata put`.",
        ));
    }
    let text = absolute.to_str().ok_or_else(|| {
        Error::invalid(
            "local",
            format!(
                "The folder name {} is not valid Unicode.",
                absolute.display()
            ),
            "Rename the folder, or sync a folder above it.",
        )
    })?;
    Ok((text.to_string(), device_of(&meta)))
}

#[cfg(unix)]
fn device_of(meta: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(meta.dev())
}

#[cfg(not(unix))]
fn device_of(_: &std::fs::Metadata) -> Option<u64> {
    None
}

/// Refuses to read a folder that is gone, or that is on another device than when the pair
/// was made (the empty mount point of an unmounted drive): read as empty, it would look
/// like every file was deleted.
pub(crate) fn check_folder(local: &str, device: Option<u64>) -> Result<()> {
    let missing = |why: String| {
        Error::new(
            ErrorCode::FolderMissing,
            format!("The folder {local} {why}; the pair waits for it and nothing is deleted."),
            "Reconnect the drive or restore the folder; the sync goes on by itself.",
        )
    };
    match std::fs::metadata(local) {
        Ok(meta) if !meta.is_dir() => Err(missing("is no longer a folder".into())),
        Ok(meta) if device.is_some() && device_of(&meta) != device => Err(missing(
            "is on another drive than before (is its drive unmounted?)".into(),
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(missing(format!("cannot be opened ({e})"))),
    }
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The files under `root` that `ignore` lets through. Links to files are followed, links to
/// folders are not (no loops); sockets and pipes are not files to upload.
pub(crate) fn scan(root: &Path, ignore: &Ignore) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, relative)) = folders.pop() {
        let unreadable = |e: std::io::Error| {
            Error::io(
                format!("The folder {} cannot be read", folder.display()),
                &e,
            )
        };
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            // A folder removed while it was being read holds nothing any more.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !relative.is_empty() => continue,
            Err(e) => return Err(unreadable(e)),
        };
        for entry in entries {
            let entry = entry.map_err(unreadable)?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                scan.unnamed.push(path.display().to_string());
                continue;
            };
            let child = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if !ignore.ignores(&child, true) {
                    folders.push((path, child));
                }
                continue;
            }
            if ignore.ignores(&child, false) {
                continue;
            }
            // Gone since it was listed: it is simply not there.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_file() {
                scan.files.insert(
                    child,
                    LocalFile {
                        size: meta.len(),
                        mtime_ns: mtime_ns(&meta),
                    },
                );
            }
        }
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_on_another_device_than_before_reads_as_missing_not_empty() {
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().to_str().unwrap();
        let (_, device) = folder_of(local).unwrap();
        assert!(check_folder(local, device).is_ok());
        // What an unmounted drive leaves: the mount point, on the device below it.
        let elsewhere = device.map(|d| d.wrapping_add(1));
        let err = check_folder(local, elsewhere).unwrap_err();
        assert_eq!(err.code, ErrorCode::FolderMissing);
        assert!(err.message.contains("unmounted"), "{}", err.message);
        let gone = dir.path().join("gone");
        let err = check_folder(gone.to_str().unwrap(), device).unwrap_err();
        assert_eq!(err.code, ErrorCode::FolderMissing);
    }
}
