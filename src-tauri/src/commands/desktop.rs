//! The desktop's side of the app: which notifications it shows, and whether it starts at login
//! (the OS's own autostart entry is the truth of that, not a copy in the catalog).

use strata_core::status::Notifications;
use strata_core::{Engine, Error, ErrorCode};
use tauri::State;
use tauri_plugin_autostart::ManagerExt;

#[tauri::command]
#[specta::specta]
pub async fn notifications(engine: State<'_, Engine>) -> Result<Notifications, Error> {
    engine.notifications().await
}

#[tauri::command]
#[specta::specta]
pub async fn notifications_set(
    engine: State<'_, Engine>,
    wanted: Notifications,
) -> Result<(), Error> {
    engine.notifications_set(wanted).await
}

fn autostart_error(err: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorCode::Io,
        format!("The login items could not be changed: {err}."),
        "Check that your autostart folder (~/.config/autostart on Linux) is writable.",
    )
}

#[tauri::command]
#[specta::specta]
pub fn start_at_login(app: tauri::AppHandle) -> Result<bool, Error> {
    app.autolaunch().is_enabled().map_err(autostart_error)
}

#[tauri::command]
#[specta::specta]
pub fn start_at_login_set(app: tauri::AppHandle, enabled: bool) -> Result<(), Error> {
    let launcher = app.autolaunch();
    if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    }
    .map_err(autostart_error)
}
