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

/// The folder's files by `/`-separated path, and what was passed over.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub files: BTreeMap<String, LocalFile>,
    /// Paths (lossily shown) skipped because their names are not Unicode.
    pub unnamed: Vec<String>,
    /// Paths passed over, each with why: links, pipes, what cannot be read.
    pub skipped: Vec<Skipped>,
}

/// A path the scan passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// `/`-separated below the pair's folder.
    pub path: String,
    pub why: String,
    /// It could not be read (the user must act), rather than passed over by rule.
    pub unreadable: bool,
}

impl Scan {
    /// Whether `path` is, or lies in, something the scan passed over: what it holds is
    /// unknown, so it is never taken for deleted.
    pub(crate) fn passed_over(&self, path: &str) -> bool {
        self.skipped.iter().any(|s| {
            path == s.path
                || path
                    .strip_prefix(s.path.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    fn skip(&mut self, path: &str, why: String, unreadable: bool) {
        self.skipped.push(Skipped {
            path: path.to_string(),
            why,
            unreadable,
        });
    }
}

/// Refuses a pair whose folder holds Strata's data folder, or lies inside it: it would
/// upload the store's own files, which grow with every upload.
pub(crate) fn check_apart(local: &str, data: &Path) -> Result<()> {
    let data = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf());
    let local = Path::new(local);
    if data.starts_with(local) || local.starts_with(&data) {
        return Err(Error::invalid(
            "local",
            format!(
                "{} and Strata's data folder {} hold one another: the pair would upload \
                 Strata's own store, which grows with every upload.",
                local.display(),
                data.display()
            ),
            "Sync a folder outside the data folder, or move the data folder (STRATA_HOME).",
        ));
    }
    Ok(())
}

/// Why the file at `path` cannot be uploaded, if it cannot be opened for reading.
pub(crate) fn unreadable(path: &Path) -> Option<String> {
    std::fs::File::open(path)
        .err()
        .map(|e| format!("cannot be read ({e}); the rest of the folder syncs"))
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

/// The files under `root` that `ignore` lets through. Symbolic links are not followed, to
/// files or folders alike (a link can lead out of the folder, or in a loop); each is listed
/// in `skipped`, as are pipes, sockets and devices, and subfolders that cannot be read.
pub(crate) fn scan(root: &Path, ignore: &Ignore) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut folders = vec![(root.to_path_buf(), String::new())];
    while let Some((folder, relative)) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            // A folder removed while it was being read holds nothing any more.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !relative.is_empty() => continue,
            Err(e) if relative.is_empty() => {
                return Err(Error::io(
                    format!("The folder {} cannot be read", folder.display()),
                    &e,
                ));
            }
            Err(e) => {
                scan.skip(&relative, unreadable_folder(&e), true);
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    scan.skip(&relative, unreadable_folder(&e), true);
                    break;
                }
            };
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
            // Gone since it was listed: it is simply not there. Neither call follows links.
            let (Ok(kind), Ok(meta)) = (entry.file_type(), entry.metadata()) else {
                continue;
            };
            if ignore.ignores(&child, kind.is_dir()) {
                continue;
            }
            if kind.is_dir() {
                folders.push((path, child));
            } else if kind.is_symlink() {
                let to = std::fs::read_link(&path)
                    .map(|to| format!(" to {}", to.display()))
                    .unwrap_or_default();
                let why = format!("a symbolic link{to}; links are not followed");
                scan.skip(&child, why, false);
            } else if meta.is_file() {
                scan.files.insert(
                    child,
                    LocalFile {
                        size: meta.len(),
                        mtime_ns: mtime_ns(&meta),
                    },
                );
            } else {
                let why = "not a file (a pipe, socket or device); it has no bytes to upload";
                scan.skip(&child, why.into(), false);
            }
        }
    }
    Ok(scan)
}

fn unreadable_folder(e: &std::io::Error) -> String {
    format!("a folder that cannot be read ({e}); the rest of the folder syncs")
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
