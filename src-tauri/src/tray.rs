//! The tray icon: Open and Quit now; idle / syncing / paused / error states arrive with sync.
//!
//! On Linux the icon shows only where a StatusNotifier host runs; without one the app says so
//! in the log and works on. Building the tray is also guarded against the indicator library's
//! loader panicking when libayatana-appindicator is missing at run time.

use std::panic::AssertUnwindSafe;

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager};

const IDLE_ICON: &[u8] = include_bytes!("../../icons/tray-idle.png");

pub fn install(app: &AppHandle) {
    if !tray_host_running() {
        tracing::warn!(
            "no system tray host is running: the tray icon will not be shown; the window works as usual"
        );
    }
    match std::panic::catch_unwind(AssertUnwindSafe(|| build(app))) {
        Ok(Ok(tray)) => {
            // The tray lives as long as the app; managing it keeps it from being dropped.
            app.manage(tray);
        }
        Ok(Err(err)) => tracing::warn!("the tray icon could not be created: {err}"),
        Err(_) => {
            tracing::warn!("the tray icon could not be created: the indicator library is missing")
        }
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Strata", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &quit])?;
    TrayIconBuilder::with_id("strata")
        .icon(Image::from_bytes(IDLE_ICON)?)
        .tooltip("Strata")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.show();
                    let _ = window.unminimize();
                    let _ = window.set_focus();
                }
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)
}

#[cfg(target_os = "linux")]
fn tray_host_running() -> bool {
    let has_watcher = || -> zbus::Result<bool> {
        let bus = zbus::blocking::Connection::session()?;
        let dbus = zbus::blocking::fdo::DBusProxy::new(&bus)?;
        let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher")?;
        Ok(dbus.name_has_owner(name)?)
    };
    has_watcher().unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn tray_host_running() -> bool {
    true
}
