//! How much a folder or bucket holds, counted by listing every key under it.

use serde::Serialize;

use crate::buckets::check_name;
use crate::engine::Engine;
use crate::error::Result;
use crate::jobs::{Event, JobHandle};
use crate::remote::RemotePath;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Usage {
    /// The remote path counted (`PROFILE:BUCKET/PREFIX`).
    pub name: String,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub objects: u64,
    #[specta(type = u32)] // a TS number: counts and sizes stay far below 2^53
    pub bytes: u64,
}

impl Engine {
    /// Counts the objects and bytes under `path` (a folder, a bucket, or a key prefix),
    /// reporting progress per page; cancellable between pages.
    pub async fn usage(&self, path: &RemotePath, job: &JobHandle) -> Result<Usage> {
        check_name(&path.bucket, false)?;
        let account = self.account(&path.profile).await?;
        let (mut objects, mut bytes) = (0u64, 0u64);
        self.each_object_page(&account, &path.bucket, &path.key, job, |page| {
            objects += page.len() as u64;
            bytes += page.iter().map(|e| e.size).sum::<u64>();
            job.report(Event::JobProgress {
                job: job.id,
                profile: path.profile.clone(),
                action: "usage".into(),
                done: u32::try_from(objects).unwrap_or(u32::MAX),
                items: None,
                bytes,
                total: None,
            });
            Ok(())
        })
        .await?;
        Ok(Usage {
            name: path.to_string(),
            objects,
            bytes,
        })
    }
}
