//! A download's bytes on their way to the temporary file: gathered in one buffer per stream,
//! each full buffer written (and, when asked, synced) on the blocking pool. The buffer goes to
//! the blocking thread and comes back, so a stream holds its bytes once; tokio's `File` behind
//! a `BufWriter` would copy each write into a second buffer of its own.

use std::io::Write;

/// Writes at the file's position (set by whoever opened it), through a buffer of
/// `capacity` bytes mapped for it alone, so it is given back to the system when the stream
/// ends rather than kept in an allocator's arena.
pub(crate) struct FileWriter {
    /// Taken while a write runs on the blocking pool; `None` after a failed one.
    file: Option<std::fs::File>,
    buffer: Option<memmap2::MmapMut>,
    filled: usize,
}

impl FileWriter {
    pub(crate) fn new(file: std::fs::File, capacity: usize) -> std::io::Result<Self> {
        Ok(Self {
            file: Some(file),
            buffer: Some(memmap2::MmapMut::map_anon(capacity)?),
            filled: 0,
        })
    }

    /// Adds `bytes`, writing the buffer out each time it fills.
    pub(crate) async fn write_all(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let buffer = self.buffer.as_mut().ok_or_else(broken)?;
            let room = (buffer.len() - self.filled).min(bytes.len());
            buffer[self.filled..self.filled + room].copy_from_slice(&bytes[..room]);
            self.filled += room;
            bytes = &bytes[room..];
            if self.filled == buffer.len() {
                self.flush().await?;
            }
        }
        Ok(())
    }

    /// Writes out what the buffer holds.
    async fn flush(&mut self) -> std::io::Result<()> {
        self.on_file(false).await
    }

    /// Writes out what the buffer holds and puts the file's data on the disk.
    pub(crate) async fn sync(&mut self) -> std::io::Result<()> {
        self.on_file(true).await
    }

    async fn on_file(&mut self, sync: bool) -> std::io::Result<()> {
        let (mut file, buffer) = (
            self.file.take().ok_or_else(broken)?,
            self.buffer.take().ok_or_else(broken)?,
        );
        let filled = std::mem::take(&mut self.filled);
        let (file, buffer) = tokio::task::spawn_blocking(move || {
            file.write_all(&buffer[..filled])?;
            if sync {
                file.sync_data()?;
            }
            Ok::<_, std::io::Error>((file, buffer))
        })
        .await
        .map_err(std::io::Error::other)??;
        (self.file, self.buffer) = (Some(file), Some(buffer));
        Ok(())
    }
}

fn broken() -> std::io::Error {
    std::io::Error::other("an earlier write to the file failed")
}
