use strata_core::buckets::{Bucket, BucketFilter, BucketIndex};
use strata_core::jobs::JobId;
use strata_core::{Engine, Error};
use tauri::State;

/// The size and A–Z index of a profile's filtered bucket list.
#[tauri::command]
#[specta::specta]
pub async fn bucket_index(
    engine: State<'_, Engine>,
    profile: String,
    filter: BucketFilter,
) -> Result<BucketIndex, Error> {
    engine.bucket_index(&profile, filter).await
}

/// One page of a profile's filtered bucket list, for the virtual list.
#[tauri::command]
#[specta::specta]
pub async fn bucket_list(
    engine: State<'_, Engine>,
    profile: String,
    filter: BucketFilter,
    offset: u32,
    limit: u32,
) -> Result<Vec<Bucket>, Error> {
    engine
        .bucket_list(&profile, filter, offset, Some(limit))
        .await
}

/// Starts a refresh; progress and the end arrive as engine events. (Async so that the job is
/// spawned on the runtime, not the main thread.)
#[tauri::command]
#[specta::specta]
pub async fn bucket_refresh(engine: State<'_, Engine>, profile: String) -> Result<JobId, Error> {
    Ok(engine.bucket_refresh_start(&profile))
}

#[tauri::command]
#[specta::specta]
pub async fn bucket_create(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    region: Option<String>,
) -> Result<Bucket, Error> {
    engine.bucket_create(&profile, &bucket, region).await
}

/// Starts a delete (emptying first with `force`); the end arrives as an engine event.
#[tauri::command]
#[specta::specta]
pub async fn bucket_delete(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    force: bool,
) -> Result<JobId, Error> {
    engine.bucket_delete_start(&profile, &bucket, force)
}

/// Asks a running job to stop; `false` when it already ended.
#[tauri::command]
#[specta::specta]
pub async fn job_cancel(engine: State<'_, Engine>, job: JobId) -> Result<bool, Error> {
    Ok(engine.job_cancel(job))
}
