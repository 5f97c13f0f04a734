//! Uploads from the window, and the transfers panel's jobs. The window never names a local
//! file itself: a path must come from the system's file picker or from a drop on the window
//! that the shell saw, so a compromised page cannot upload what the user did not give it.

use std::path::PathBuf;
use std::sync::Mutex;

use strata_core::jobs::{JobId, UploadOptions};
use strata_core::remote::RemotePath;
use strata_core::transfer::{OpenUpload, TransferSettings};
use strata_core::{Engine, Error};
use tauri::State;

/// The paths of the last drop on the window, as the shell received them.
#[derive(Default)]
pub struct Dropped(pub Mutex<Vec<PathBuf>>);

/// Where uploads from the window go, and the user metadata each object gets.
#[derive(Debug, Clone, serde::Deserialize, specta::Type)]
pub struct UploadFolder {
    pub profile: String,
    pub bucket: String,
    pub prefix: String,
    pub metadata: Vec<(String, String)>,
}

impl UploadFolder {
    /// The folder as a remote path, and the checked upload options.
    fn split(self) -> Result<(RemotePath, UploadOptions), Error> {
        let options = UploadOptions {
            metadata: self.metadata,
            ..UploadOptions::default()
        };
        options.check()?;
        let folder = RemotePath {
            profile: self.profile,
            bucket: self.bucket,
            key: self.prefix,
        };
        Ok((folder, options))
    }
}

/// Asks for files with the system's picker and uploads them into the folder; no jobs when
/// the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn upload_choose(
    app: tauri::AppHandle,
    engine: State<'_, Engine>,
    folder: UploadFolder,
) -> Result<Vec<JobId>, Error> {
    use tauri_plugin_dialog::DialogExt;
    // Refused metadata is said before the picker opens.
    let (folder, options) = folder.split()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Upload")
        .pick_files(move |picked| {
            let _ = tx.send(picked);
        });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(Vec::new());
    };
    let paths: Vec<PathBuf> = picked
        .into_iter()
        .filter_map(|file| file.into_path().ok())
        .collect();
    engine.upload_start(&paths, &folder, options).await
}

/// Uploads files and folders dropped on the window into the folder.
#[tauri::command]
#[specta::specta]
pub async fn upload_dropped(
    dropped: State<'_, Dropped>,
    engine: State<'_, Engine>,
    paths: Vec<String>,
    folder: UploadFolder,
) -> Result<Vec<JobId>, Error> {
    let (folder, options) = folder.split()?;
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    {
        let mut seen = dropped.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(unseen) = paths.iter().find(|p| !seen.contains(p)) {
            return Err(Error::invalid(
                "paths",
                format!("{} was not dropped on the window.", unseen.display()),
                "Drop the files on the window, or use Upload….",
            ));
        }
        // A drop uploads once: the page cannot send the same files again later.
        seen.clear();
    }
    engine.upload_start(&paths, &folder, options).await
}

/// The multipart uploads left open in a bucket, by any tool: key, parts, bytes, age, and the
/// Strata job that resumes each (none for one Strata does not own).
#[tauri::command]
#[specta::specta]
pub async fn uploads_open(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
) -> Result<Vec<OpenUpload>, Error> {
    let bucket = RemotePath {
        profile,
        bucket,
        key: String::new(),
    };
    engine.uploads_open(&bucket).await
}

/// Aborts one open multipart upload; its parts are deleted (and no longer billed).
#[tauri::command]
#[specta::specta]
pub async fn upload_abort(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
    upload_id: String,
) -> Result<(), Error> {
    let object = RemotePath {
        profile,
        bucket,
        key,
    };
    engine
        .uploads_abort(&object, Some(&upload_id))
        .await
        .map(drop)
}

#[tauri::command]
#[specta::specta]
pub async fn transfer_settings(engine: State<'_, Engine>) -> Result<TransferSettings, Error> {
    engine.transfer_settings().await
}

#[tauri::command]
#[specta::specta]
pub async fn transfer_settings_set(
    engine: State<'_, Engine>,
    settings: TransferSettings,
) -> Result<(), Error> {
    engine.transfer_settings_set(settings).await
}
