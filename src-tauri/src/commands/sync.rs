//! Sync pairs from the window. The local folder of a new pair comes from the system's folder
//! picker, never from the page, like every local path the window uses.

use strata_core::jobs::JobId;
use strata_core::sync::{
    Resolution, SyncConflict, SyncPair, SyncPairInput, SyncPairPatch, SyncPlan, SyncSettings,
};
use strata_core::{Engine, Error};
use tauri::State;

/// A new pair as the window describes it: everything but the folder, which the user picks.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct NewPair {
    /// `PROFILE:BUCKET[/PREFIX]`.
    pub remote: String,
    pub mirror_deletes: bool,
    pub ignore: Vec<String>,
}

/// Asks for a folder with the system's picker and pairs it with `pair.remote`, then syncs it;
/// `None` when the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn sync_add_choose(
    app: tauri::AppHandle,
    engine: State<'_, Engine>,
    pair: NewPair,
) -> Result<Option<SyncPair>, Error> {
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut picker = app.dialog().file().set_title("Folder to sync");
    // Opened on a real folder, not on "Recent", where a typed path cannot be chosen.
    if let Ok(home) = app.path().home_dir() {
        picker = picker.set_directory(home);
    }
    picker.pick_folder(move |picked| {
        let _ = tx.send(picked);
    });
    let Some(folder) = rx.await.ok().flatten().and_then(|f| f.into_path().ok()) else {
        return Ok(None);
    };
    let added = engine
        .sync_add(SyncPairInput {
            local: folder.display().to_string(),
            remote: pair.remote,
            mirror_deletes: pair.mirror_deletes,
            ignore: Some(pair.ignore),
        })
        .await?;
    engine.sync_start(added.id, false).await?;
    Ok(Some(added))
}

/// What a new pair ignores unless the user changes it.
#[tauri::command]
#[specta::specta]
pub fn sync_default_ignores() -> Vec<String> {
    strata_core::sync::default_ignores()
}

#[tauri::command]
#[specta::specta]
pub async fn sync_list(engine: State<'_, Engine>) -> Result<Vec<SyncPair>, Error> {
    engine.sync_list().await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_edit(
    engine: State<'_, Engine>,
    id: u32,
    patch: SyncPairPatch,
) -> Result<SyncPair, Error> {
    engine.sync_edit(id, patch).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_remove(engine: State<'_, Engine>, id: u32) -> Result<(), Error> {
    engine.sync_remove(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_set_active(
    engine: State<'_, Engine>,
    id: u32,
    active: bool,
) -> Result<(), Error> {
    engine.sync_set_active(id, active).await
}

/// What a sync would do now; `mirror_deletes` shows it as if the pair did (or did not)
/// mirror deletes, for the confirmation before turning that on.
#[tauri::command]
#[specta::specta]
pub async fn sync_plan(
    engine: State<'_, Engine>,
    id: u32,
    mirror_deletes: Option<bool>,
) -> Result<SyncPlan, Error> {
    engine.sync_plan(id, mirror_deletes).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_start(engine: State<'_, Engine>, id: u32, full: bool) -> Result<JobId, Error> {
    engine.sync_start(id, full).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_conflicts(
    engine: State<'_, Engine>,
    id: u32,
) -> Result<Vec<SyncConflict>, Error> {
    engine.sync_conflicts(id).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_conflict_resolve(
    engine: State<'_, Engine>,
    id: u32,
    resolution: Resolution,
) -> Result<(), Error> {
    engine.sync_conflict_resolve(id, resolution).await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_settings(engine: State<'_, Engine>) -> Result<SyncSettings, Error> {
    engine.sync_settings().await
}

#[tauri::command]
#[specta::specta]
pub async fn sync_settings_set(
    engine: State<'_, Engine>,
    settings: SyncSettings,
) -> Result<(), Error> {
    engine.sync_settings_set(settings).await
}
