//! Desktop notifications, as the user's settings allow: a transfer, a sync, an archive or a
//! restore that failed; the end of a bulk upload (a dropped folder, a sync's new files); and
//! a project's restore, which can take hours, once all of it is readable. Events are gathered for a
//! moment and said in one notification, so a hundred failures make one, not a hundred.

use std::time::Duration;

use strata_core::Engine;
use strata_core::jobs::{Event, JobState};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

/// Uploads that finish together from this many on are a bulk upload worth a notification.
const BULK: u32 = 10;

/// How long events are gathered before they are said.
const GATHER: Duration = Duration::from_secs(1);

/// What happened since the last notification.
#[derive(Default)]
struct Gathered {
    failures: Vec<String>,
    uploaded: u32,
    /// Restore jobs that ended well.
    restored: Vec<strata_core::jobs::JobId>,
}

pub fn follow(app: &AppHandle) {
    use tokio::sync::broadcast::error::RecvError;
    let engine = app.state::<Engine>().inner().clone();
    let mut events = engine.events();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut gathered = Gathered::default();
        loop {
            let event = match tokio::time::timeout(GATHER, events.recv()).await {
                Ok(Ok(event)) => Some(event),
                Ok(Err(RecvError::Lagged(_))) => continue,
                Ok(Err(RecvError::Closed)) => break,
                Err(_) => None,
            };
            match event {
                Some(Event::JobState {
                    job_kind,
                    state: JobState::Failed,
                    error,
                    ..
                }) if matches!(
                    job_kind.as_str(),
                    "upload" | "download" | "sync" | "archive" | "restore"
                ) =>
                {
                    let why = error.map_or_else(String::new, |e| e.message);
                    gathered
                        .failures
                        .push(format!("{} failed: {why}", kind_words(&job_kind)));
                }
                Some(Event::JobState {
                    job_kind,
                    state: JobState::Done,
                    ..
                }) if job_kind == "upload" => gathered.uploaded += 1,
                Some(Event::JobState {
                    job,
                    job_kind,
                    state: JobState::Done,
                    ..
                }) if job_kind == "restore" => gathered.restored.push(job),
                Some(_) => {}
                None => say(&app, &engine, &mut gathered).await,
            }
        }
    });
}

fn kind_words(kind: &str) -> &'static str {
    match kind {
        "upload" => "An upload",
        "download" => "A download",
        "archive" => "An archive",
        "restore" => "A restore",
        _ => "A sync",
    }
}

/// Says what was gathered, once things went quiet, if the user wants it said.
async fn say(app: &AppHandle, engine: &Engine, gathered: &mut Gathered) {
    if gathered.failures.is_empty() && gathered.uploaded == 0 && gathered.restored.is_empty() {
        return;
    }
    let wanted = engine.notifications().await.unwrap_or_default();
    for job in std::mem::take(&mut gathered.restored) {
        if let Some(words) = restored_words(engine, job).await
            && (wanted.errors || wanted.bulk_uploads)
        {
            show(app, "Strata: restore finished", &words);
        }
    }
    if !gathered.failures.is_empty() {
        let failures = std::mem::take(&mut gathered.failures);
        if wanted.errors {
            let title = match failures.len() {
                1 => "Strata: something failed".to_string(),
                n => format!("Strata: {n} things failed"),
            };
            show(app, &title, &failures[0]);
        }
    }
    // A bulk upload is said when it all ended, not when a pause in it came.
    let still_going = engine.transfer_totals().await.is_ok_and(|t| t.active > 0);
    if gathered.uploaded > 0 && !still_going {
        let uploaded = std::mem::take(&mut gathered.uploaded);
        if wanted.bulk_uploads && uploaded >= BULK {
            show(
                app,
                "Strata: uploads finished",
                &format!("{uploaded} files uploaded and verified."),
            );
        }
    }
}

/// `text` as plain text in a notification body, which the desktop reads as markup: a key or a
/// server's message never becomes a link or formatting.
fn plain(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What a finished restore job brought back, in words.
async fn restored_words(engine: &Engine, job: strata_core::jobs::JobId) -> Option<String> {
    let spec = engine.job_get(job).await.ok()?.spec;
    let strata_core::jobs::JobSpec::Restore { project, path, .. } = spec else {
        return None;
    };
    Some(match project {
        Some(id) => {
            let project = engine.archive_get(id).await.ok()?;
            let detail = project.detail.unwrap_or_default();
            format!("{}: {detail}", project.name)
        }
        None => format!("{path} is readable."),
    })
}

fn show(app: &AppHandle, title: &str, body: &str) {
    let body = plain(body);
    if let Err(err) = app.notification().builder().title(title).body(body).show() {
        tracing::info!("a notification could not be shown: {err}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_text_is_never_markup_in_a_notification() {
        assert_eq!(
            super::plain("<a href=\"x\">IMG & 1</a>.jpg failed"),
            "&lt;a href=\"x\"&gt;IMG &amp; 1&lt;/a&gt;.jpg failed"
        );
    }
}
