//! The tray icon: the transfers' state at a glance (an icon for idle, transferring, paused or
//! failed, and the state in words), and a menu to open Strata, pause or resume every
//! transfer, and quit. Sync pairs join it with sync.
//!
//! On Linux the icon shows only where a StatusNotifier host runs; without one the app says so
//! in the log and works on. AppIndicator has no tooltip there, so the state in words is also
//! the icon's label and the first menu line. Building the tray is guarded against the
//! indicator library's loader panicking when libayatana-appindicator is missing at run time.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use strata_core::Engine;
use strata_core::jobs::Event;
use strata_core::transfer::TransferTotals;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

const IDLE_ICON: &[u8] = include_bytes!("../../icons/tray-idle.png");
const ACTIVE_ICON: &[u8] = include_bytes!("../../icons/tray-syncing.png");
const PAUSED_ICON: &[u8] = include_bytes!("../../icons/tray-paused.png");
const ERROR_ICON: &[u8] = include_bytes!("../../icons/tray-error.png");

/// The least time between two updates of the tray while transfers report progress.
const UPDATE_EVERY: Duration = Duration::from_millis(500);

/// The tray and the menu line that says the state.
struct Tray {
    icon: TrayIcon,
    status: MenuItem<Wry>,
}

pub fn install(app: &AppHandle) {
    if !tray_host_running() {
        tracing::warn!(
            "no system tray host is running: the tray icon will not be shown; the window works as usual"
        );
    }
    match std::panic::catch_unwind(AssertUnwindSafe(|| build(app))) {
        Ok(Ok(tray)) => follow_transfers(app, tray),
        Ok(Err(err)) => tracing::warn!("the tray icon could not be created: {err}"),
        Err(_) => {
            tracing::warn!("the tray icon could not be created: the indicator library is missing")
        }
    }
}

fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open Strata", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "Up to date", false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause_all", "Pause all transfers", true, None::<&str>)?;
    let resume = MenuItem::with_id(
        app,
        "resume_all",
        "Resume all transfers",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &status, &pause, &resume, &quit])?;
    let icon = TrayIconBuilder::with_id("strata")
        .icon(Image::from_bytes(IDLE_ICON)?)
        .tooltip("Strata: up to date")
        .title("Up to date")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => {
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.show();
                    let _ = window.unminimize();
                    let _ = window.set_focus();
                }
            }
            "pause_all" => all_transfers(app, false),
            "resume_all" => all_transfers(app, true),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    Ok(Tray { icon, status })
}

/// Pauses (or resumes) every transfer; the tray follows from the jobs' state events.
fn all_transfers(app: &AppHandle, resume: bool) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let done = if resume {
            engine.transfers_resume_all().await
        } else {
            engine.transfers_pause_all().await
        };
        match done {
            Ok(ids) => tracing::info!(?ids, resume, "all transfers, from the tray"),
            Err(err) => tracing::warn!("the transfers could not be changed: {}", err.message),
        }
    });
}

/// Keeps the tray showing the transfers' totals: read again after a transfer changes state
/// or moves on, a few times a second at most.
fn follow_transfers(app: &AppHandle, tray: Tray) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let engine = app.state::<Engine>().inner().clone();
    let mut events = engine.events();
    tauri::async_runtime::spawn(async move {
        let mut shown = None;
        show(&engine, &tray, &mut shown).await;
        loop {
            match events.recv().await {
                Ok(event) if concerns_transfers(&event) => {}
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
            tokio::time::sleep(UPDATE_EVERY).await;
            // What arrived meanwhile is covered by the read below.
            while let Ok(_) | Err(TryRecvError::Lagged(_)) = events.try_recv() {}
            show(&engine, &tray, &mut shown).await;
        }
    });
}

fn concerns_transfers(event: &Event) -> bool {
    match event {
        Event::JobState { job_kind, .. } => job_kind == "upload" || job_kind == "download",
        Event::JobProgress { action, .. } => action == "upload" || action == "download",
        _ => false,
    }
}

/// Shows the totals as they are now, if they changed since `shown`.
async fn show(engine: &Engine, tray: &Tray, shown: &mut Option<TransferTotals>) {
    let totals = match engine.transfer_totals().await {
        Ok(totals) => totals,
        Err(err) => {
            tracing::warn!("the tray could not read the transfers: {}", err.message);
            return;
        }
    };
    if *shown == Some(totals) {
        return;
    }
    let words = totals.describe();
    let was = shown.map(icon_for);
    let icon = icon_for(totals);
    *shown = Some(totals);
    let _ = tray.icon.set_title(Some(&words));
    let _ = tray.icon.set_tooltip(Some(format!("Strata: {words}")));
    let _ = tray.status.set_text(&words);
    // A new icon is a new file for the indicator: only when it changes.
    if was != Some(icon)
        && let Ok(image) = Image::from_bytes(icon)
    {
        let _ = tray.icon.set_icon(Some(image));
    }
}

fn icon_for(totals: TransferTotals) -> &'static [u8] {
    if totals.active > 0 {
        ACTIVE_ICON
    } else if totals.failed > 0 {
        ERROR_ICON
    } else if totals.paused > 0 {
        PAUSED_ICON
    } else {
        IDLE_ICON
    }
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
