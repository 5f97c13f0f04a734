//! Strata's desktop shell: a window, a tray icon, and typed commands that call the engine.
//! Nothing here is worth testing on its own: the engine holds the logic, and the end-to-end
//! test drives this shell through the real window.

mod commands;
#[cfg(target_os = "linux")]
mod drag_out;
mod notices;
mod tray;

use std::process::ExitCode;

use strata_core::{DataDir, Engine};
use tauri::Manager;

/// The typed command set; `bindings.ts` is generated from it.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    // Each type crosses in one direction only, so one TypeScript type per Rust type suffices.
    tauri_specta::Builder::<tauri::Wry>::new()
        .disable_serde_phases()
        .commands(tauri_specta::collect_commands![
            commands::profiles::provider_presets,
            commands::profiles::profile_list,
            commands::profiles::profile_add,
            commands::profiles::profile_edit,
            commands::profiles::profile_remove,
            commands::profiles::profile_test,
            commands::profiles::profile_import_aws,
            commands::profiles::profile_restore_local,
            commands::buckets::bucket_index,
            commands::buckets::bucket_list,
            commands::buckets::bucket_refresh,
            commands::buckets::bucket_create,
            commands::buckets::bucket_delete,
            commands::buckets::job_cancel,
            commands::buckets::job_pause,
            commands::buckets::job_resume,
            commands::buckets::job_to_front,
            commands::buckets::job_list,
            commands::transfers::upload_choose,
            commands::transfers::upload_dropped,
            commands::transfers::uploads_open,
            commands::transfers::upload_abort,
            commands::objects::object_list,
            commands::objects::object_list_recent,
            commands::objects::object_head,
            commands::objects::objects_download,
            commands::objects::object_drag_out,
            commands::objects::download_folder,
            commands::objects::download_folder_choose,
            commands::objects::objects_delete,
            commands::objects::objects_copy,
            commands::objects::folder_create,
            commands::objects::object_presign,
            commands::objects::object_usage,
            commands::objects::activity_list,
            commands::objects::object_edit,
            commands::objects::object_tags,
            commands::objects::object_tags_set,
            commands::objects::object_thumbnail,
            commands::objects::object_public_url,
            commands::objects::profile_public_base,
            commands::objects::profile_public_base_set,
            commands::sync::sync_add_choose,
            commands::sync::sync_default_ignores,
            commands::sync::sync_list,
            commands::archive::archive_choices,
            commands::archive::archive_start,
            commands::archive::archive_list,
            commands::archive::archive_verify,
            commands::archive::restore_preview,
            commands::archive::restore_start,
            commands::archive::lifecycle_get,
            commands::archive::lifecycle_set,
            commands::sync::sync_edit,
            commands::sync::sync_remove,
            commands::sync::sync_set_active,
            commands::sync::sync_plan,
            commands::sync::sync_start,
            commands::sync::sync_conflicts,
            commands::sync::sync_conflict_resolve,
            commands::sync::sync_settings,
            commands::sync::sync_settings_set,
            commands::transfers::transfer_settings,
            commands::transfers::transfer_settings_set,
            commands::desktop::notifications,
            commands::desktop::notifications_set,
            commands::desktop::start_at_login,
            commands::desktop::start_at_login_set,
        ])
        .typ::<strata_core::jobs::Event>()
}

pub fn run() -> ExitCode {
    init_logging();
    let started =
        DataDir::resolve(None).map(|home| tauri::async_runtime::block_on(Engine::start(home)));
    let engine = match started.and_then(|engine| engine) {
        Ok(engine) => engine,
        Err(err) => {
            eprintln!("error: {}\nhint: {}", err.message, err.hint);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(home = %engine.home().path().display(), "data folder");
    let builder = specta_builder();
    let outcome = tauri::Builder::default()
        .manage(engine)
        .manage(commands::transfers::Dropped::default())
        .manage(tray::Shown::default())
        .on_window_event(|window, event| match event {
            // Remember what was dropped: the window may upload only those paths, once.
            tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) => {
                let dropped = window.state::<commands::transfers::Dropped>();
                *dropped.0.lock().unwrap_or_else(|p| p.into_inner()) = paths.clone();
            }
            // With a tray to come back from, closing the window keeps syncs and transfers
            // going; Quit is in the tray's menu.
            tauri::WindowEvent::CloseRequested { api, .. }
                if window
                    .state::<tray::Shown>()
                    .0
                    .load(std::sync::atomic::Ordering::Relaxed) =>
            {
                api.prevent_close();
                let _ = window.hide();
            }
            _ => {}
        })
        // Used from Rust only (the download folder picker): the window is granted none of
        // the plugin's own commands.
        .plugin(tauri_plugin_dialog::init())
        // Used from Rust only, like the dialog: the window is granted none of their commands.
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            tray::install(app.handle());
            serve_local_endpoint(app.handle());
            forward_events(app.handle());
            resume_unfinished_jobs(app.handle());
            watch_sync_pairs(app.handle());
            notices::follow(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!());
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: the window could not be opened: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the built-in endpoint in this process, so the `local` profile answers at once.
fn serve_local_endpoint(app: &tauri::AppHandle) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        match engine.local_endpoint().await {
            Ok(endpoint) => tracing::info!(url = %endpoint.url(), "built-in endpoint ready"),
            Err(err) => tracing::warn!(
                "the built-in endpoint is not running: {} {}",
                err.message,
                err.hint
            ),
        }
    });
}

/// Runs again the jobs a Strata process that ended (a crash, `kill -9`) left unfinished.
fn resume_unfinished_jobs(app: &tauri::AppHandle) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        match engine.jobs_resume_unfinished().await {
            Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "resumed unfinished jobs"),
            Ok(_) => {}
            Err(err) => tracing::warn!("unfinished jobs could not be resumed: {}", err.message),
        }
    });
}

/// Watches the sync pairs' folders for as long as the app runs.
fn watch_sync_pairs(app: &tauri::AppHandle) {
    let engine = app.state::<Engine>().inner().clone();
    tauri::async_runtime::spawn(async move {
        if let Err(err) = engine.sync_watch(std::future::pending()).await {
            tracing::warn!("the sync pairs are not watched: {}", err.message);
        }
    });
}

/// The name under which engine events reach the UI.
const ENGINE_EVENT: &str = "engine-event";

/// Forwards the engine's event stream (job progress, job ends, catalog changes) to the UI.
fn forward_events(app: &tauri::AppHandle) {
    use tauri::Emitter;
    use tokio::sync::broadcast::error::RecvError;
    let mut events = app.state::<Engine>().events();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(err) = app.emit(ENGINE_EVENT, &event) {
                        tracing::warn!("an engine event could not reach the window: {err}");
                    }
                }
                // Progress is superseded by the next event; a lagging window loses nothing
                // it cannot re-read from the catalog.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            }
        }
    });
}

/// Log lines go to stderr; `STRATA_LOG` sets the filter (default: info for Strata).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STRATA_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,strata_app=info,strata_core=info,s3s=off")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    /// The committed `ui/src/bindings.ts` must equal what the commands generate now.
    #[test]
    fn bindings_are_up_to_date() {
        let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings.ts");
        let fresh = tempfile_path();
        super::specta_builder()
            .export(specta_typescript::Typescript::default(), &fresh)
            .expect("exporting the TypeScript bindings failed");
        let fresh_text = std::fs::read_to_string(&fresh).unwrap();
        if std::env::var_os("STRATA_UPDATE_BINDINGS").is_some() {
            std::fs::write(committed_path, &fresh_text).unwrap();
        }
        let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
        assert!(
            committed == fresh_text,
            "ui/src/bindings.ts is out of date: run `STRATA_UPDATE_BINDINGS=1 cargo test -p strata-app bindings` and commit it"
        );
    }

    fn tempfile_path() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("strata-bindings-{}.ts", std::process::id()))
    }
}
