use strata_core::activity::Activity;
use strata_core::jobs::{JobId, JobSpec};
use strata_core::objects::{
    DownloadStarted, Link, ObjectDetails, ObjectEdit, ObjectPage, Thumbnail, Usage,
};
use strata_core::remote::RemotePath;
use strata_core::{Engine, Error};
use tauri::State;

/// One page of a folder's listing; pass `token` back from the previous page for the next.
#[tauri::command]
#[specta::specta]
pub async fn object_list(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    prefix: String,
    token: Option<String>,
) -> Result<ObjectPage, Error> {
    engine
        .object_list(&profile, &bucket, &prefix, false, token, None)
        .await
}

/// The folder's first page as last listed (from the catalog, no request), to show at once.
#[tauri::command]
#[specta::specta]
pub async fn object_list_recent(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    prefix: String,
) -> Result<Option<ObjectPage>, Error> {
    engine.object_list_recent(&profile, &bucket, &prefix).await
}

#[tauri::command]
#[specta::specta]
pub async fn object_head(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
) -> Result<ObjectDetails, Error> {
    engine.object_head(&profile, &bucket, &key).await
}

/// Starts downloading objects and folders (keys ending in `/`) of one bucket into the
/// download folder: one job per object.
#[tauri::command]
#[specta::specta]
pub async fn objects_download(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    keys: Vec<String>,
) -> Result<DownloadStarted, Error> {
    let into = engine.download_folder().await?;
    let sources = in_bucket(&profile, &bucket, keys)
        .iter()
        .map(|path| RemotePath::parse(path))
        .collect::<Result<Vec<_>, Error>>()?;
    engine.download_start(&sources, &into).await
}

/// Starts dragging an object or a folder (a key ending in `/`) out of the window, from the
/// pointer: a file manager it is dropped on gets it downloaded into the folder dropped on.
#[tauri::command]
#[specta::specta]
pub fn object_drag_out(
    app: tauri::AppHandle,
    profile: String,
    bucket: String,
    key: String,
) -> Result<(), Error> {
    let source = RemotePath::parse(&strata_core::remote::display(&profile, &bucket, &key))?;
    #[cfg(target_os = "linux")]
    return crate::drag_out::start(&app, source);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (app, source);
        Err(Error::new(
            strata_core::error::ErrorCode::Unsupported,
            "Dragging out of the window is not offered on this system yet.",
            "Use Download or Download to… instead.",
        ))
    }
}

/// The folder downloads go to: the one chosen last, else the platform's downloads folder.
#[tauri::command]
#[specta::specta]
pub async fn download_folder(engine: State<'_, Engine>) -> Result<String, Error> {
    Ok(engine.download_folder().await?.display().to_string())
}

/// Asks for a download folder with the system's folder picker and remembers it; `None` when
/// the user cancelled. The window never passes a path itself: only the picker chooses one.
#[tauri::command]
#[specta::specta]
pub async fn download_folder_choose(
    app: tauri::AppHandle,
    engine: State<'_, Engine>,
) -> Result<Option<String>, Error> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut picker = app.dialog().file().set_title("Download to");
    if let Ok(current) = engine.download_folder().await {
        picker = picker.set_directory(current);
    }
    picker.pick_folder(move |picked| {
        let _ = tx.send(picked);
    });
    let Some(picked) = rx.await.ok().flatten() else {
        return Ok(None);
    };
    let path = picked.into_path().map_err(|e| {
        Error::invalid(
            "folder",
            format!("The chosen folder cannot be used: {e}."),
            "Choose a folder on this computer.",
        )
    })?;
    let folder = engine.set_download_folder(&path).await?;
    Ok(Some(folder.display().to_string()))
}

/// Starts deleting objects and folders (keys ending in `/`, with everything under them).
#[tauri::command]
#[specta::specta]
pub async fn objects_delete(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    keys: Vec<String>,
) -> Result<JobId, Error> {
    let paths = in_bucket(&profile, &bucket, keys);
    engine.job_start(JobSpec::Delete { paths }).await
}

/// Starts a copy, or with `remove_source` a move or rename, of `source` to `target` (remote
/// paths as users write them).
#[tauri::command]
#[specta::specta]
pub async fn objects_copy(
    engine: State<'_, Engine>,
    source: String,
    target: String,
    remove_source: bool,
) -> Result<JobId, Error> {
    engine
        .job_start(JobSpec::Copy {
            source,
            target,
            remove_source,
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn folder_create(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
) -> Result<String, Error> {
    engine.folder_create(&profile, &bucket, &key).await
}

/// A presigned link that downloads the object, valid for `seconds` (at most 7 days). Links
/// that upload are for the command line only: the window never asks for one.
#[tauri::command]
#[specta::specta]
pub async fn object_presign(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
    seconds: u32,
) -> Result<Link, Error> {
    let path = RemotePath {
        profile,
        bucket,
        key,
    };
    let lifetime = std::time::Duration::from_secs(u64::from(seconds));
    engine.object_presign(&path, lifetime, false).await
}

/// Objects and bytes under a folder or bucket, counted by listing.
#[tauri::command]
#[specta::specta]
pub async fn object_usage(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    prefix: String,
) -> Result<Usage, Error> {
    let path = RemotePath {
        profile,
        bucket,
        key: prefix,
    };
    engine.usage(&path, &engine.new_job()).await
}

#[tauri::command]
#[specta::specta]
pub async fn activity_list(
    engine: State<'_, Engine>,
    limit: Option<u32>,
) -> Result<Vec<Activity>, Error> {
    engine.activity_list(limit).await
}

/// Replaces an object's content type, cache-control and user metadata (bytes kept).
#[tauri::command]
#[specta::specta]
pub async fn object_edit(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
    edit: ObjectEdit,
) -> Result<ObjectDetails, Error> {
    let path = RemotePath {
        profile,
        bucket,
        key,
    };
    engine.object_edit(&path, edit).await
}

#[tauri::command]
#[specta::specta]
pub async fn object_tags(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
) -> Result<Vec<(String, String)>, Error> {
    engine
        .object_tags(&RemotePath {
            profile,
            bucket,
            key,
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn object_tags_set(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
    tags: Vec<(String, String)>,
) -> Result<(), Error> {
    engine
        .object_tags_set(
            &RemotePath {
                profile,
                bucket,
                key,
            },
            tags,
        )
        .await
}

/// A thumbnail of an image or camera RAW file (cached by the engine).
#[tauri::command]
#[specta::specta]
pub async fn object_thumbnail(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
) -> Result<Thumbnail, Error> {
    engine
        .object_thumbnail(&RemotePath {
            profile,
            bucket,
            key,
        })
        .await
}

/// The plain URL of an object (works for anyone when it is public).
#[tauri::command]
#[specta::specta]
pub async fn object_public_url(
    engine: State<'_, Engine>,
    profile: String,
    bucket: String,
    key: String,
) -> Result<String, Error> {
    engine
        .object_public_url(&RemotePath {
            profile,
            bucket,
            key,
        })
        .await
}

/// The profile's public base URL (CDN, custom domain), if set.
#[tauri::command]
#[specta::specta]
pub async fn profile_public_base(
    engine: State<'_, Engine>,
    profile: String,
) -> Result<Option<String>, Error> {
    engine.profile_public_base(&profile).await
}

#[tauri::command]
#[specta::specta]
pub async fn profile_public_base_set(
    engine: State<'_, Engine>,
    profile: String,
    base: Option<String>,
) -> Result<(), Error> {
    engine.profile_public_base_set(&profile, base).await
}

/// Keys of one bucket as remote paths written as users write them.
fn in_bucket(profile: &str, bucket: &str, keys: Vec<String>) -> Vec<String> {
    keys.into_iter()
        .map(|key| strata_core::remote::display(profile, bucket, &key))
        .collect()
}
