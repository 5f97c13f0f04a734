use strata_core::buckets::{Bucket, BucketFilter, BucketIndex};
use strata_core::jobs::{Job, JobId, JobSpec};
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
    engine.job_start(JobSpec::BucketRefresh { profile }).await
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
    engine
        .job_start(JobSpec::BucketDelete {
            profile,
            bucket,
            force,
        })
        .await
}

/// Stops a running job as cancelled, or marks a paused or failed one cancelled.
#[tauri::command]
#[specta::specta]
pub async fn job_cancel(engine: State<'_, Engine>, job: JobId) -> Result<(), Error> {
    engine.job_cancel(job).await
}

/// Stops a running job at its next safe point, to be resumed later.
#[tauri::command]
#[specta::specta]
pub async fn job_pause(engine: State<'_, Engine>, job: JobId) -> Result<(), Error> {
    engine.job_pause(job).await
}

/// Makes a queued job the next of its kind to start.
#[tauri::command]
#[specta::specta]
pub async fn job_to_front(engine: State<'_, Engine>, job: JobId) -> Result<(), Error> {
    engine.job_to_front(job).await
}

/// Runs a paused, failed or cancelled job again.
#[tauri::command]
#[specta::specta]
pub async fn job_resume(engine: State<'_, Engine>, job: JobId) -> Result<(), Error> {
    engine.job_resume(job).await
}

/// The newest jobs, newest first, as the catalog holds them.
#[tauri::command]
#[specta::specta]
pub async fn job_list(engine: State<'_, Engine>, limit: u32) -> Result<Vec<Job>, Error> {
    engine.job_list(limit).await
}
