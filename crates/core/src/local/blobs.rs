//! Object and part bytes on disk.
//!
//! Layout under the store root:
//! - `blobs/ab/abcdef…`: immutable files, one per object or part version (an object completed
//!   from a multipart upload keeps its parts' files, in order), named by random ids.
//!   A blob is never written in place, so a reader that opened one reads it whole even if the
//!   object is replaced meanwhile, and a copy can be a hard link.
//! - `tmp/<writer>/`: where the process `<writer>` writes new bytes before committing them;
//!   `tmp/<writer>.lock` is held (an exclusive file lock) for as long as that process runs.
//!
//! Several processes may serve one store at once (the app and a CLI command). What a crash
//! leaves behind is repaired by the next process to open the store, which touches only the
//! leftovers of writers whose lock is free, i.e. of processes that no longer run.

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

pub(crate) struct BlobStore {
    root: PathBuf,
    writer: String,
    tmp: PathBuf,
    /// Held for the life of the process; dropping it releases the lock.
    _lock: File,
}

/// 128 random bits as hex: blob ids, upload ids, writer ids.
pub(crate) fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source failed");
    hex_simd::encode_to_string(bytes, hex_simd::AsciiCase::Lower)
}

impl BlobStore {
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join("blobs"))?;
        fs::create_dir_all(root.join("tmp"))?;
        let writer = format!("{}-{}", std::process::id(), &random_id()[..8]);
        // Locked under a name reapers ignore, then renamed: no reaper ever sees it unlocked.
        let fresh = root.join("tmp").join(format!("{writer}.new"));
        let lock = File::create(&fresh)?;
        lock.try_lock().map_err(|e| match e {
            TryLockError::Error(e) => e,
            TryLockError::WouldBlock => {
                io::Error::other("a fresh writer lock is held by someone else")
            }
        })?;
        fs::rename(&fresh, root.join("tmp").join(format!("{writer}.lock")))?;
        let tmp = root.join("tmp").join(&writer);
        fs::create_dir_all(&tmp)?;
        Ok(Self {
            root: root.to_path_buf(),
            writer,
            tmp,
            _lock: lock,
        })
    }

    pub fn writer(&self) -> &str {
        &self.writer
    }

    pub fn path(&self, blob: &str) -> PathBuf {
        self.root.join("blobs").join(&blob[..2]).join(blob)
    }

    /// A fresh path in this writer's temporary folder.
    pub fn temp_path(&self) -> PathBuf {
        self.tmp.join(random_id())
    }

    /// Moves a finished temporary file into place as `blob`.
    pub fn install(&self, temp: &Path, blob: &str) -> io::Result<()> {
        let target = self.path(blob);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::rename(temp, target)
    }

    /// Makes `blob` a second name for the bytes of `source` (blobs are immutable).
    pub fn link(&self, source: &str, blob: &str) -> io::Result<()> {
        let target = self.path(blob);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::hard_link(self.path(source), target)
    }

    pub fn remove(&self, blob: &str) {
        match fs::remove_file(self.path(blob)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                tracing::warn!(blob, "could not remove a blob: {e}")
            }
            _ => {}
        }
    }

    /// Writers whose lock is free: processes that ended, cleanly or not. Their temporary
    /// folders are removed here; their pending blobs are for the caller to settle.
    pub fn reap_dead_writers(&self) -> io::Result<Vec<String>> {
        let mut dead = Vec::new();
        for entry in fs::read_dir(self.root.join("tmp"))? {
            let path = entry?.path();
            let Some(writer) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".lock"))
            else {
                continue;
            };
            if writer == self.writer {
                continue;
            }
            let lock = File::options().write(true).open(&path)?;
            if lock.try_lock().is_ok() {
                let _ = fs::remove_dir_all(self.root.join("tmp").join(writer));
                dead.push(writer.to_string());
                drop(lock);
                let _ = fs::remove_file(&path);
            }
        }
        Ok(dead)
    }

    /// Whether `writer` still runs (its lock file exists and is held).
    pub fn is_alive(&self, writer: &str) -> bool {
        if writer == self.writer {
            return true;
        }
        let path = self.root.join("tmp").join(format!("{writer}.lock"));
        match File::options().write(true).open(path) {
            Ok(lock) => matches!(lock.try_lock(), Err(TryLockError::WouldBlock)),
            Err(_) => false,
        }
    }
}

impl Drop for BlobStore {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.tmp);
        let _ = fs::remove_file(self.root.join("tmp").join(format!("{}.lock", self.writer)));
    }
}
