//! Uploads and downloads as jobs: one job per file, written before the first byte moves.
//! Small files go up in one request each (several jobs at once); larger ones as multipart
//! uploads whose id and acknowledged parts are recorded ([`checkpoint`]), so an upload stopped
//! in any way (a crash, `kill -9`, a lost network, a pause) resumes with the parts the server
//! still holds. Downloads ([`download`]) resume the same way from the parts on disk.

mod checkpoint;
mod content_type;
mod crc_servers;
mod download;
mod file_writer;
mod orphans;
mod settings;
mod totals;
mod upload;

use std::path::{Path, PathBuf};

use crate::activity::Record;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::jobs::{JobHandle, JobId, JobSpec, UploadOptions};
use crate::objects::checksum::Crc;
use crate::remote::RemotePath;

pub use content_type::content_type;
pub(crate) use download::DOWNLOAD_MEMORY;
pub use orphans::OpenUpload;
pub use settings::TransferSettings;
pub use totals::TransferTotals;

const MIB: u64 = 1024 * 1024;

/// Files up to this size go up in one PutObject; larger ones in parts.
pub const MULTIPART_FROM: u64 = 16 * MIB;

/// Tries per request: parts are worth retrying harder than a listing.
const TRANSFER_ATTEMPTS: u32 = 6;

/// Parts in flight per upload, at most, unless the user asks for more.
const PARALLEL_PARTS: u64 = 4;

/// Part bytes one upload holds in memory at once (parts in flight × part size), at most,
/// unless the user asks for more parts at once.
const PART_MEMORY: u64 = 64 * MIB;

/// The memory the transfers running at once hold together, unless the user sets how many
/// run: four large uploads' parts in flight (4 × 4 parts of 8 MiB), or many small files.
pub(crate) const MEMORY_BUDGET: u64 = 4 * PARALLEL_PARTS * 8 * MIB;

/// S3's most parts per upload.
const MAX_PARTS: u64 = 10_000;

/// How a finished transfer showed that the bytes at both ends are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verified {
    /// The server's whole-object CRC (the CRC64NVME S3 keeps of every object, or the CRC32C or
    /// CRC32 a client asked for) matched the bytes'.
    Crc(Crc),
    /// The ETag matched the MD5 of the bytes, or of the parts' MD5s.
    Etag,
    /// Only the length: the server keeps no CRC and its ETag is not an MD5 (an encrypted object).
    Length,
}

impl Verified {
    /// What the activity log says of it.
    fn describe(self) -> String {
        match self {
            Self::Crc(crc) => format!("verified: {} matches", crc.name().to_uppercase()),
            Self::Etag => "verified: ETag (MD5) matches".into(),
            Self::Length => "length checked; the server gives no checksum to verify".into(),
        }
    }
}

/// The part size for a file of `size` bytes: `wanted` MiB (default 8), or larger (in whole
/// MiB) when 10,000 such parts would not hold it, so any file up to S3's 5 TiB fits.
pub fn part_size_for(size: u64, wanted: Option<u32>) -> u64 {
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    needed.max(u64::from(wanted.unwrap_or(8)) * MIB)
}

/// Parts an upload in parts of `part_size` sends at once: as many as the user asked for, else
/// as many as [`PART_MEMORY`] holds, up to [`PARALLEL_PARTS`].
fn parts_in_flight(options: &UploadOptions, part_size: u64) -> u64 {
    match options.parts_in_flight {
        // Asked for: the memory is the user's to spend.
        Some(n) => u64::from(n),
        None => (PART_MEMORY / part_size).clamp(1, PARALLEL_PARTS),
    }
}

/// The memory an upload of the file at `local` holds while it runs: the whole file when it
/// goes in one request, else its parts in flight.
pub(crate) fn upload_memory(local: &Path, options: &UploadOptions) -> u64 {
    let size = std::fs::metadata(local).map_or(0, |meta| meta.len());
    let part_size = part_size_for(size, options.part_size_mib);
    size.min(part_size * parts_in_flight(options, part_size))
}

impl UploadOptions {
    /// Refuses a part size or metadata S3 would refuse, or a parallelism that makes no sense.
    pub fn check(&self) -> Result<()> {
        crate::objects::edit::check_metadata(&self.metadata)?;
        within(
            self.part_size_mib,
            5..=5120,
            "part_size",
            |mib| format!("A part of {mib} MiB is outside what S3 accepts (5 MiB to 5 GiB)."),
            "Give a part size from 5MiB to 5GiB, or leave it out.",
        )?;
        within(
            self.parts_in_flight,
            1..=32,
            "concurrency",
            |n| format!("{n} parts at once is outside 1 to 32."),
            "Give a concurrency from 1 to 32, or leave it out (4).",
        )
    }
}

/// Refuses a `value` given outside `range`: an invalid `field`, the value in `words`, and
/// what to do.
fn within(
    value: Option<u32>,
    range: std::ops::RangeInclusive<u32>,
    field: &'static str,
    words: impl FnOnce(u32) -> String,
    hint: &str,
) -> Result<()> {
    match value {
        Some(value) if !range.contains(&value) => Err(Error::invalid(field, words(value), hint)),
        _ => Ok(()),
    }
}

impl Engine {
    /// Writes a transfer's end to the activity log, with how its bytes were verified. A pause
    /// is not an end: the resumed job writes its own.
    pub(crate) async fn log_transfer(
        &self,
        record: Record,
        outcome: &Result<(u64, Verified)>,
        job: &JobHandle,
    ) {
        let paused = outcome
            .as_ref()
            .is_err_and(|e| e.code == ErrorCode::Cancelled && job.pausing());
        if paused {
            return;
        }
        let record = match outcome {
            Ok((bytes, verified)) => record.counts(1, *bytes).detail(verified.describe()),
            Err(_) => record.outcome_of(outcome),
        };
        self.log_activity(record).await;
    }

    /// Clears what transfer job `id` leaves behind when it is cancelled while no process
    /// runs it (paused, failed, or left by a process that died): a download's temporary file,
    /// an upload's parts on the server. Best effort: what stays is logged, and an upload's
    /// parts are listed by `strata uploads ls`.
    pub(crate) async fn transfer_leftovers_clear(&self, id: JobId, spec: &JobSpec) {
        match spec {
            JobSpec::Download { into, path, .. } => {
                let Ok(target) =
                    crate::objects::download_landing(Path::new(into), Path::new(path)).await
                else {
                    return;
                };
                let partial = download::temporary_path(&target, id);
                match tokio::fs::remove_file(&partial).await {
                    Ok(()) => tracing::info!(job = id, "removed {}", partial.display()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => tracing::warn!(job = id, "{} stays: {e}", partial.display()),
                }
            }
            JobSpec::Upload { target, .. } => {
                if let Ok(target) = RemotePath::parse(target) {
                    self.upload_abandon(id, &target).await;
                }
            }
            _ => {}
        }
    }

    /// Starts uploading files and folders into the folder `target` (`PROFILE:BUCKET[/PREFIX]`):
    /// a file as `PREFIX/NAME`, a folder with its structure as `PREFIX/FOLDER/...`. One job per
    /// file; returns their ids. Names that are not valid Unicode are refused, listed. What
    /// `options` leave unset comes from the transfer settings.
    pub async fn upload_start(
        &self,
        sources: &[PathBuf],
        target: &RemotePath,
        options: UploadOptions,
    ) -> Result<Vec<JobId>> {
        options.check()?;
        let options = self.transfer_settings().await?.fill(options);
        let prefix = target.folder_prefix();
        let mut files = Vec::new();
        for source in sources {
            let walked = walk(source.clone()).await?;
            files.extend(walked);
        }
        let mut ids = Vec::with_capacity(files.len());
        for (path, relative) in files {
            let local = path
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| not_unicode(&path))?;
            let key = format!("{prefix}{relative}");
            let spec = JobSpec::Upload {
                local,
                target: crate::remote::display(&target.profile, &target.bucket, &key),
                options: options.clone(),
                sync: None,
            };
            ids.push(self.job_start(spec).await?);
        }
        Ok(ids)
    }
}

/// The files under `source` (itself if a file) with their keys relative to its parent,
/// `/`-separated. Symbolic links to files are followed; links to folders are not (no loops).
async fn walk(source: PathBuf) -> Result<Vec<(PathBuf, String)>> {
    tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&source)
            .map_err(|e| Error::io(format!("{} cannot be read", source.display()), &e))?;
        let name = source
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| not_unicode(&source))?
            .to_string();
        if !meta.is_dir() {
            uploadable(&source, &meta)?;
            return Ok(vec![(source, name)]);
        }
        let mut files = Vec::new();
        let mut folders = vec![(source, name)];
        while let Some((folder, relative)) = folders.pop() {
            let entries = std::fs::read_dir(&folder).map_err(|e| {
                Error::io(
                    format!("The folder {} cannot be read", folder.display()),
                    &e,
                )
            })?;
            for entry in entries {
                let entry = entry.map_err(|e| {
                    Error::io(
                        format!("The folder {} cannot be read", folder.display()),
                        &e,
                    )
                })?;
                let path = entry.path();
                let name = entry.file_name();
                let name = name.to_str().ok_or_else(|| not_unicode(&path))?;
                let child = format!("{relative}/{name}");
                let kind = entry
                    .file_type()
                    .map_err(|e| Error::io(format!("{} cannot be read", path.display()), &e))?;
                if kind.is_dir() {
                    folders.push((path, child));
                } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
                    files.push((path, child));
                }
            }
        }
        files.sort();
        Ok(files)
    })
    .await
    .map_err(|e| {
        Error::new(
            crate::error::ErrorCode::Io,
            format!("Listing the files failed: {e}."),
            "Try again.",
        )
    })?
}

/// Bytes free for an ordinary user on the file system holding `path`, where the platform
/// tells.
pub(crate) fn free_space(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let stat = rustix::fs::statvfs(path).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// `bytes` in MiB (one decimal place below 10 MiB), for messages.
pub(crate) fn mib(bytes: u64) -> String {
    let mib = bytes as f64 / MIB as f64;
    if mib < 10.0 {
        format!("{mib:.1} MiB")
    } else {
        format!("{mib:.0} MiB")
    }
}

/// Refuses what is not a regular file with an end: a device, a pipe or a socket (read
/// forever, or never), and a file that claims to be empty but is made up as it is read (those
/// under `/proc`), whose bytes a size of 0 would silently drop.
pub(crate) fn uploadable(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::io::Read;
    let refuse = |what: &str, hint: &str| {
        Err(Error::new(
            ErrorCode::Io,
            format!(
                "{} is {what}, not a file that can be uploaded.",
                path.display()
            ),
            hint,
        ))
    };
    if !meta.is_file() {
        return refuse(
            special_kind(meta),
            "Upload regular files; to send what a device or a pipe gives, save it to a file first.",
        );
    }
    if meta.len() == 0 {
        let mut first = [0u8; 1];
        let read = std::fs::File::open(path)
            .and_then(|mut file| file.read(&mut first))
            .map_err(|e| Error::io(format!("{} cannot be read", path.display()), &e))?;
        if read > 0 {
            return refuse(
                "a file the system makes up as it is read (it reports no size)",
                "Copy it to a regular file, then upload the copy.",
            );
        }
    }
    Ok(())
}

/// What a path that is neither a file nor a folder is, in words.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    "neither a file nor a folder"
}

fn not_unicode(path: &Path) -> Error {
    Error::invalid(
        "path",
        format!(
            "The name of {} is not valid Unicode, so it cannot be a key.",
            path.display()
        ),
        "Rename the file, then upload it.",
    )
}

#[cfg(test)]
mod tests {
    use super::{MEMORY_BUDGET, MIB, UploadOptions, part_size_for, upload_memory};

    #[test]
    fn an_upload_holds_its_file_or_its_parts_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, size: u64| {
            let path = dir.path().join(name);
            std::fs::File::create(&path).unwrap().set_len(size).unwrap();
            path
        };
        let (small, large) = (file("small", 300 * 1024), file("large", 100 * MIB));
        let default = UploadOptions::default();
        assert_eq!(upload_memory(&small, &default), 300 * 1024);
        assert_eq!(upload_memory(&large, &default), 4 * 8 * MIB);
        let asked = UploadOptions {
            part_size_mib: Some(16),
            parts_in_flight: Some(6),
            ..UploadOptions::default()
        };
        assert_eq!(upload_memory(&large, &asked), 96 * MIB);
        assert_eq!(upload_memory(&dir.path().join("gone"), &default), 0);
        // Four large uploads fill the budget; many small files fit beside one.
        assert_eq!(MEMORY_BUDGET, 4 * upload_memory(&large, &default));
    }

    #[test]
    fn parts_are_8_mib_until_5_tib_needs_more_and_never_exceed_10000() {
        assert_eq!(part_size_for(0, None), 8 * MIB);
        assert_eq!(part_size_for(80_000 * MIB, None), 8 * MIB);
        assert_eq!(part_size_for(80_000 * MIB + 1, None), 9 * MIB);
        let five_tib = 5 * 1024 * 1024 * MIB;
        let part = part_size_for(five_tib, None);
        assert!(five_tib.div_ceil(part) <= 10_000);
        assert_eq!(part % MIB, 0);
        assert_eq!(part_size_for(100 * MIB, Some(64)), 64 * MIB);
        assert_eq!(
            part_size_for(five_tib, Some(5)),
            part,
            "raised to fit 10,000 parts"
        );
    }
}
