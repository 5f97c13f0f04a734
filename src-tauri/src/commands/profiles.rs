use strata_core::aws_import::ImportReport;
use strata_core::profile::{Profile, ProfileInput, ProfilePatch, Provider, ProviderPreset};
use strata_core::{ConnectionReport, Engine, Error};
use tauri::State;

/// What each provider usually needs, for the add form (the engine's defaults, so the app and
/// the CLI make the same profile from the same answers).
#[tauri::command]
#[specta::specta]
pub async fn provider_presets() -> Vec<ProviderPreset> {
    Provider::ALL.iter().map(|p| p.preset()).collect()
}

#[tauri::command]
#[specta::specta]
pub async fn profile_list(engine: State<'_, Engine>) -> Result<Vec<Profile>, Error> {
    engine.profile_list().await
}

#[tauri::command]
#[specta::specta]
pub async fn profile_add(engine: State<'_, Engine>, input: ProfileInput) -> Result<Profile, Error> {
    engine.profile_add(input).await
}

#[tauri::command]
#[specta::specta]
pub async fn profile_edit(
    engine: State<'_, Engine>,
    name: String,
    patch: ProfilePatch,
) -> Result<Profile, Error> {
    engine.profile_edit(&name, patch).await
}

#[tauri::command]
#[specta::specta]
pub async fn profile_remove(engine: State<'_, Engine>, name: String) -> Result<(), Error> {
    engine.profile_remove(&name).await
}

#[tauri::command]
#[specta::specta]
pub async fn profile_test(
    engine: State<'_, Engine>,
    name: String,
) -> Result<ConnectionReport, Error> {
    engine.profile_test(&name).await
}

/// Imports `~/.aws/config` (or `AWS_CONFIG_FILE`). The page names no file: a profile it
/// could import from a file of its choosing might run a `credential_process` of its choosing.
#[tauri::command]
#[specta::specta]
pub async fn profile_import_aws(engine: State<'_, Engine>) -> Result<ImportReport, Error> {
    engine.profile_import_aws(None).await
}

/// Brings back the built-in `local` profile after it was removed.
#[tauri::command]
#[specta::specta]
pub async fn profile_restore_local(engine: State<'_, Engine>) -> Result<Profile, Error> {
    engine.profile_restore_local().await
}
