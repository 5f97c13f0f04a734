//! The tray icon: transfers and sync pairs at a glance (an icon for idle, syncing, paused or
//! error, and the state in words), and a menu to open Strata, see each pair's state and the
//! recent activity, pause or resume everything, and quit.
//!
//! On Linux the icon shows only where a StatusNotifier host runs; without one the app says so
//! in the log and works on (and closing the window quits, as there is no tray to come back
//! from). AppIndicator has no tooltip there, so the state in words is also the icon's label
//! and the first menu line. Building the tray is guarded against the indicator library's
//! loader panicking when libayatana-appindicator is missing at run time.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use strata_core::Engine;
use strata_core::jobs::Event;
use strata_core::status::Glance;
use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

const IDLE_ICON: &[u8] = include_bytes!("../../icons/tray-idle.png");
const ACTIVE_ICON: &[u8] = include_bytes!("../../icons/tray-syncing.png");
const PAUSED_ICON: &[u8] = include_bytes!("../../icons/tray-paused.png");
const ERROR_ICON: &[u8] = include_bytes!("../../icons/tray-error.png");

/// The least time between two updates of the tray while work reports progress.
const UPDATE_EVERY: Duration = Duration::from_millis(500);

/// Activity lines the menu shows.
const RECENT: u32 = 5;

/// Whether the tray icon is shown: then closing the window keeps the app running in it.
#[derive(Default)]
pub struct Shown(pub std::sync::atomic::AtomicBool);

/// What the menu says, to rebuild it only when that changes.
#[derive(PartialEq, Eq)]
struct MenuText {
    words: String,
    pairs: Vec<String>,
    recent: Vec<String>,
}

/// What the tray shows now: its icon, and its menu with what that says.
#[derive(Default)]
struct Showing {
    glance: Option<Glance>,
    menu: Option<(Menu<Wry>, MenuText)>,
}

pub fn install(app: &AppHandle) {
    let host = tray_host_running();
    if !host {
        tracing::warn!(
            "no system tray host is running: the tray icon will not be shown; the window works as usual"
        );
    }
    match std::panic::catch_unwind(AssertUnwindSafe(|| build(app))) {
        Ok(Ok(icon)) => {
            app.state::<Shown>()
                .0
                .store(host, std::sync::atomic::Ordering::Relaxed);
            follow(app, icon);
        }
        Ok(Err(err)) => tracing::warn!("the tray icon could not be created: {err}"),
        Err(_) => {
            tracing::warn!("the tray icon could not be created: the indicator library is missing")
        }
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let text = MenuText {
        words: "Up to date".into(),
        pairs: Vec::new(),
        recent: Vec::new(),
    };
    TrayIconBuilder::with_id("strata")
        .icon(Image::from_bytes(IDLE_ICON)?)
        .tooltip("Strata: up to date")
        .title("Up to date")
        .menu(&menu(app, &text)?)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_window(app),
            "pause_all" => everything(app, false),
            "resume_all" => everything(app, true),
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)
}

/// Open Strata; the state; each pair's line; recent activity; pause, resume; quit.
fn menu(app: &AppHandle, text: &MenuText) -> tauri::Result<Menu<Wry>> {
    let line = |id: &str, words: &str| MenuItem::with_id(app, id, words, false, None::<&str>);
    let mut items: Vec<Box<dyn IsMenuItem<Wry>>> = vec![
        Box::new(MenuItem::with_id(
            app,
            "open",
            "Open Strata",
            true,
            None::<&str>,
        )?),
        Box::new(line("status", &text.words)?),
    ];
    if !text.pairs.is_empty() {
        items.push(Box::new(PredefinedMenuItem::separator(app)?));
        for (n, pair) in text.pairs.iter().enumerate() {
            items.push(Box::new(line(&format!("pair-{n}"), pair)?));
        }
    }
    if !text.recent.is_empty() {
        let recent: Vec<MenuItem<Wry>> = text
            .recent
            .iter()
            .enumerate()
            .map(|(n, words)| line(&format!("recent-{n}"), words))
            .collect::<tauri::Result<_>>()?;
        let refs: Vec<&dyn IsMenuItem<Wry>> =
            recent.iter().map(|i| i as &dyn IsMenuItem<Wry>).collect();
        items.push(Box::new(Submenu::with_id_and_items(
            app,
            "recent",
            "Recent activity",
            true,
            &refs,
        )?));
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(MenuItem::with_id(
        app,
        "pause_all",
        "Pause all",
        true,
        None::<&str>,
    )?));
    items.push(Box::new(MenuItem::with_id(
        app,
        "resume_all",
        "Resume all",
        true,
        None::<&str>,
    )?));
    items.push(Box::new(MenuItem::with_id(
        app,
        "quit",
        "Quit",
        true,
        None::<&str>,
    )?));
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(app, &refs)
}

pub fn show_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Pauses (or resumes) every transfer and every sync pair; the tray follows from the events.
fn everything(app: &AppHandle, resume: bool) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        let done = if resume {
            engine.resume_all().await
        } else {
            engine.pause_all().await
        };
        match done {
            Ok(()) => tracing::info!(resume, "everything, from the tray"),
            Err(err) => tracing::warn!("transfers and pairs could not be changed: {}", err.message),
        }
    });
}

/// Keeps the tray showing the state: read again after a job or a pair changes, a few times
/// a second at most.
fn follow(app: &AppHandle, icon: TrayIcon) {
    use tokio::sync::broadcast::error::{RecvError, TryRecvError};
    let engine = app.state::<Engine>().inner().clone();
    let mut events = engine.events();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut shown = Showing::default();
        show(&app, &engine, &icon, &mut shown).await;
        loop {
            match events.recv().await {
                Ok(event) if concerns_the_tray(&event) => {}
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
            tokio::time::sleep(UPDATE_EVERY).await;
            // What arrived meanwhile is covered by the read below.
            while let Ok(_) | Err(TryRecvError::Lagged(_)) = events.try_recv() {}
            show(&app, &engine, &icon, &mut shown).await;
        }
    });
}

fn concerns_the_tray(event: &Event) -> bool {
    match event {
        Event::JobState { .. } | Event::SyncChanged { .. } => true,
        Event::JobProgress { action, .. } => {
            matches!(action.as_str(), "upload" | "download" | "sync")
        }
        _ => false,
    }
}

/// Shows the state as it is now, where it changed since `shown` (the icon, the menu).
async fn show(app: &AppHandle, engine: &Engine, icon: &TrayIcon, shown: &mut Showing) {
    let (status, recent) = match (
        engine.status().await,
        engine.activity_list(Some(RECENT)).await,
    ) {
        (Ok(status), Ok(recent)) => (status, recent),
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!("the tray could not read the state: {}", err.message);
            return;
        }
    };
    let text = MenuText {
        words: status.words.clone(),
        pairs: status.pairs.iter().map(|p| p.tray_line()).collect(),
        recent: recent
            .iter()
            .map(|a| {
                let name = a.source.rsplit(['/', ':']).next().unwrap_or(&a.source);
                format!("{} {name}: {}", a.action.replace('_', " "), a.outcome)
            })
            .collect(),
    };
    // The icon first: whoever sees the new words finds the icon that goes with them.
    // A new icon is a new file for the indicator, so only when it changes.
    if shown.glance != Some(status.glance)
        && let Ok(image) = Image::from_bytes(icon_for(status.glance))
    {
        let _ = icon.set_icon(Some(image));
        shown.glance = Some(status.glance);
    }
    if shown.menu.as_ref().is_some_and(|(_, said)| *said == text) {
        return;
    }
    let _ = icon.set_title(Some(&status.words));
    let _ = icon.set_tooltip(Some(format!("Strata: {}", status.words)));
    // Progress changes only the status line: it is changed in place, so a menu held open
    // keeps its items (a rebuilt menu's items are new ones, and a click on an old one is lost).
    if let Some((menu, said)) = &mut shown.menu
        && said.pairs == text.pairs
        && said.recent == text.recent
        && let Some(status_line) = menu.get("status").and_then(|i| i.as_menuitem().cloned())
        && status_line.set_text(&text.words).is_ok()
    {
        said.words = text.words;
        return;
    }
    match menu(app, &text) {
        Ok(menu) => {
            let _ = icon.set_menu(Some(menu.clone()));
            shown.menu = Some((menu, text));
        }
        Err(err) => tracing::warn!("the tray menu could not be rebuilt: {err}"),
    }
}

fn icon_for(glance: Glance) -> &'static [u8] {
    match glance {
        Glance::Syncing => ACTIVE_ICON,
        Glance::Error => ERROR_ICON,
        Glance::Paused => PAUSED_ICON,
        Glance::Idle => IDLE_ICON,
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
