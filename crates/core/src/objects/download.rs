//! Downloads to a folder the user chose, planned here as one job per object (the bytes move in
//! `transfer::download`). Keys become local paths safely: a key can never write outside the
//! chosen folder, whatever it holds (`..`, a leading `/`, backslashes, NUL, names the file
//! system refuses); such names are changed and reported.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::{Scope, check_key, list_page};
use crate::activity::Record;
use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{JobHandle, JobId, JobSpec};
use crate::remote::RemotePath;

/// A key that could not keep its name on disk, and why.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Renamed {
    pub key: String,
    pub path: String,
    pub reason: String,
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
    (
        with_suffix(&cleaned, "~"),
        Some("the name was longer than 255 bytes and was shortened"),
    )
}

/// `name` with `suffix` before its extension (one of under 16 bytes), the rest shortened so
/// the whole stays within [`NAME_MAX`] bytes.
fn with_suffix(name: &str, suffix: &str) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && extension.len() < 16 => {
            (stem, format!(".{extension}"))
        }
        _ => (name, String::new()),
    };
    let mut cut = stem
        .len()
        .min(NAME_MAX.saturating_sub(suffix.len() + extension.len()));
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}{extension}", &stem[..cut])
}

/// `name` followed by `tail`, the name shortened so the whole stays within [`NAME_MAX`]
/// bytes.
fn with_tail(name: &str, tail: &str) -> String {
    let mut cut = name.len().min(NAME_MAX.saturating_sub(tail.len()));
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{tail}", &name[..cut])
}

/// Gives every planned object a file of its own. Two keys can make one safe path (`a\\b`
/// and `a_b`; two long names cut to one), and a key can name a file where another key needs
/// a folder (`a` and `a/b`): the later one lands beside, as `NAME (2).EXT`, or as
/// `NAME~file` where a folder needs the name, and says so.
fn unique_paths(planned: &mut [Planned]) {
    let folders: HashSet<PathBuf> = planned
        .iter()
        .flat_map(|p| p.relative.ancestors().skip(1).map(Path::to_path_buf))
        .collect();
    let mut taken = HashSet::new();
    for plan in planned.iter_mut() {
        let mut why = None;
        let mut candidate = plan.relative.clone();
        if folders.contains(&candidate) {
            let name = candidate.file_name().unwrap_or_default().to_string_lossy();
            candidate.set_file_name(with_tail(&name, "~file"));
            why = Some("a folder of the download has its name");
        }
        let base = candidate
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mut n = 1;
        while taken.contains(&candidate) || folders.contains(&candidate) {
            n += 1;
            candidate.set_file_name(with_suffix(&base, &format!(" ({n})")));
            why = Some("another key of the download has the same name on disk");
        }
        taken.insert(candidate.clone());
        if let Some(why) = why {
            plan.relative = candidate;
            plan.reason = Some(match plan.reason.take() {
                Some(earlier) => format!("{earlier}; {why}"),
                None => why.to_string(),
            });
        }
    }
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

/// The file an object planned as `path` below `into` lands in: beside a folder of its name
/// (`NAME~file`), never in place of it.
pub(crate) async fn landing(into: &Path, path: &Path) -> Result<PathBuf> {
    let mut target = inside(into, path)?;
    if tokio::fs::metadata(&target).await.is_ok_and(|m| m.is_dir()) {
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        target.set_file_name(with_tail(&name, "~file"));
    }
    Ok(target)
}

/// The setting that remembers the folder the app downloads into.
const DOWNLOAD_FOLDER_SETTING: &str = "download_folder";

impl Engine {
    /// Where the app downloads to: the folder the user chose last, else the platform's
    /// downloads folder. A chosen folder that is gone (an unplugged drive) is an error rather
    /// than made again on the disk it was mounted on.
    pub async fn download_folder(&self) -> Result<PathBuf> {
        let chosen = self
            .reading(|conn| crate::catalog::setting(conn, DOWNLOAD_FOLDER_SETTING))
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
        let folder = real_folder(folder).await?;
        if !folder.is_dir() {
            return Err(Error::invalid(
                "folder",
                format!("{} is not a folder.", folder.display()),
                "Choose a folder to download into.",
            ));
        }
        let text = utf8(&folder, "folder")?;
        self.blocking(move |conn, _| {
            crate::catalog::set_setting(conn, DOWNLOAD_FOLDER_SETTING, Some(&text))
        })
        .await?;
        Ok(folder)
    }

    /// Starts downloading objects and folders into the folder `into`: an object as
    /// `into/NAME`, a folder (a path ending in `/`, or a bucket's root) with its structure as
    /// `into/FOLDER/...`. One job per object, written before its first byte moves; a folder's
    /// empty subfolders are made at once. Names that had to change on disk are listed.
    pub async fn download_start(
        &self,
        sources: &[RemotePath],
        into: &Path,
    ) -> Result<DownloadStarted> {
        tokio::fs::create_dir_all(into).await.map_err(|e| {
            Error::io(
                format!("The folder {} could not be made", into.display()),
                &e,
            )
        })?;
        let root = real_folder(into).await?;
        let mut planned = Vec::new();
        for source in sources {
            check_name(&source.bucket, false)?;
            if source.is_folder() {
                self.plan_folder(source, &root, &mut planned).await?;
            } else {
                check_key(&source.key)?;
                let (relative, reason) = safe_relative(source.name());
                planned.push(Planned {
                    source: source.clone(),
                    relative,
                    reason,
                });
            }
        }
        self.download_planned(&root, planned).await
    }

    /// Starts downloading one object to exactly `file` (its folder must exist).
    pub async fn download_start_to(
        &self,
        source: &RemotePath,
        file: &Path,
    ) -> Result<DownloadStarted> {
        check_name(&source.bucket, false)?;
        check_key(&source.key)?;
        let parent = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let root = real_folder(&parent).await?;
        let name = file.file_name().ok_or_else(|| {
            Error::invalid(
                "path",
                "The download path has no file name.",
                "Name a file or a folder.",
            )
        })?;
        let planned = vec![Planned {
            source: source.clone(),
            relative: PathBuf::from(name),
            reason: None,
        }];
        self.download_planned(&root, planned).await
    }

    /// Writes one download job per planned object.
    async fn download_planned(
        &self,
        root: &Path,
        mut planned: Vec<Planned>,
    ) -> Result<DownloadStarted> {
        unique_paths(&mut planned);
        let folder = utf8(root, "folder")?;
        let mut started = DownloadStarted {
            jobs: Vec::with_capacity(planned.len()),
            folder: folder.clone(),
            renamed: Vec::new(),
        };
        for Planned {
            source,
            relative,
            reason,
        } in planned
        {
            let path = utf8(&relative, "path")?;
            if let Some(reason) = reason {
                started.renamed.push(Renamed {
                    key: source.key.clone(),
                    path: root.join(&relative).display().to_string(),
                    reason,
                });
            }
            let spec = JobSpec::Download {
                source: source.to_string(),
                into: folder.clone(),
                path,
            };
            started.jobs.push(self.job_start(spec).await?);
        }
        Ok(started)
    }

    /// Lists a folder's objects into `planned`; its folder markers are made as folders.
    async fn plan_folder(
        &self,
        source: &RemotePath,
        root: &Path,
        planned: &mut Vec<Planned>,
    ) -> Result<()> {
        let account = self.account(&source.profile).await?;
        let (base, base_reason) = safe_relative(source.name());
        let scope = Scope {
            bucket: &source.bucket,
            prefix: &source.key,
            delimiter: None,
        };
        let mut token = None;
        loop {
            let page = self
                .on_bucket(&account, &source.bucket, |client| {
                    let (scope, token, account) = (&scope, token.clone(), &account);
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
                inside(root, &relative)?;
                planned.push(Planned {
                    source: RemotePath {
                        profile: source.profile.clone(),
                        bucket: source.bucket.clone(),
                        key: entry.key.clone(),
                    },
                    relative,
                    reason,
                });
            }
            match page.next {
                Some(next) => token = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// A download job's work: `source` to `into/path`, never outside `into`, whatever links
    /// appeared there since the job was planned.
    pub(crate) async fn download_object(
        &self,
        source: &RemotePath,
        into: &Path,
        path: &Path,
        job: &JobHandle,
    ) -> Result<()> {
        let target = landing(into, path).await?;
        let dir = target.parent().unwrap_or(into).to_path_buf();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| {
            Error::io(
                format!("The folder {} could not be made", dir.display()),
                &e,
            )
        })?;
        // A link inside the chosen folder must not lead the file out of it.
        if !real_folder(&dir).await?.starts_with(into) {
            return Err(Error::new(
                ErrorCode::Io,
                format!(
                    "{} leads outside the download folder (a symbolic link).",
                    dir.display()
                ),
                "Remove the link from the download folder, or choose another folder.",
            ));
        }
        let outcome = self.download(source, &target, job).await;
        let record =
            Record::new("download", &source.to_string()).target(&target.display().to_string());
        self.log_transfer(record, &outcome, job).await;
        outcome.map(drop)
    }
}

/// One object to download, and where below the download folder.
struct Planned {
    source: RemotePath,
    relative: PathBuf,
    /// Why the name on disk differs from the key's, if it does.
    reason: Option<String>,
}

/// Downloads started: one job per object.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DownloadStarted {
    pub jobs: Vec<JobId>,
    /// The folder they go to, as an absolute path.
    pub folder: String,
    /// Objects whose keys could not be file names as they are.
    pub renamed: Vec<Renamed>,
}

async fn real_folder(folder: &Path) -> Result<PathBuf> {
    tokio::fs::canonicalize(folder).await.map_err(|e| {
        Error::io(
            format!("The folder {} cannot be used", folder.display()),
            &e,
        )
    })
}

fn utf8(path: &Path, field: &'static str) -> Result<String> {
    path.to_str().map(str::to_string).ok_or_else(|| {
        Error::invalid(
            field,
            format!("The path {} is not valid UTF-8.", path.display()),
            "Choose a folder whose path is valid text.",
        )
    })
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
