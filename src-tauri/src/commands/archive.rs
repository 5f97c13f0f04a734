//! Archived projects from the window: archive a folder, the projects view's verify and
//! restore, and a bucket's lifecycle rules.

use strata_core::archive::{
    ArchiveStarted, ArchiveTarget, LifecycleRule, LifecycleRules, Project, RestorePreview,
    RestoreRequest, StorageClassOffer, VerifyReport,
};
use strata_core::jobs::JobId;
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error};
use tauri::State;

/// The classes the profile's provider offers, and where its last project went.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct ArchiveChoices {
    pub classes: Vec<StorageClassOffer>,
    pub last_target: Option<ArchiveTarget>,
}

#[tauri::command]
#[specta::specta]
pub async fn archive_choices(
    engine: State<'_, Engine>,
    profile: String,
) -> Result<ArchiveChoices, Error> {
    Ok(ArchiveChoices {
        classes: engine.archive_classes(&profile).await?,
        last_target: engine.archive_target(&profile).await?,
    })
}

/// Starts archiving the folder `source` (`PROFILE:BUCKET/PREFIX/`).
#[tauri::command]
#[specta::specta]
pub async fn archive_start(
    engine: State<'_, Engine>,
    source: String,
    target: ArchiveTarget,
) -> Result<ArchiveStarted, Error> {
    engine
        .archive_start(&RemotePath::parse(&source)?, &target)
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn archive_list(engine: State<'_, Engine>) -> Result<Vec<Project>, Error> {
    engine.archive_list().await
}

#[tauri::command]
#[specta::specta]
pub async fn archive_verify(engine: State<'_, Engine>, id: u32) -> Result<VerifyReport, Error> {
    engine.archive_verify(id, &engine.new_job()).await
}

#[tauri::command]
#[specta::specta]
pub async fn restore_preview(
    engine: State<'_, Engine>,
    project: u32,
) -> Result<RestorePreview, Error> {
    engine
        .restore_preview(Some(project), None, &engine.new_job())
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn restore_start(
    engine: State<'_, Engine>,
    project: u32,
    request: RestoreRequest,
) -> Result<JobId, Error> {
    engine.restore_start(Some(project), None, request).await
}

/// The rules of `bucket` (`PROFILE:BUCKET`).
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_get(
    engine: State<'_, Engine>,
    bucket: String,
) -> Result<LifecycleRules, Error> {
    engine
        .lifecycle_get(&RemotePath::parse_bucket(&bucket)?)
        .await
}

/// Replaces Strata's rules of `bucket`; the others stay as they are.
#[tauri::command]
#[specta::specta]
pub async fn lifecycle_set(
    engine: State<'_, Engine>,
    bucket: String,
    rules: Vec<LifecycleRule>,
) -> Result<LifecycleRules, Error> {
    engine
        .lifecycle_set(&RemotePath::parse_bucket(&bucket)?, &rules)
        .await
}
