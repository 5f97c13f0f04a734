// The app manifest turns every command into a permission; capabilities/default.json grants
// the main window exactly the ones the UI calls.
const COMMANDS: &[&str] = &[
    "profile_list",
    "profile_add",
    "profile_edit",
    "profile_remove",
    "profile_test",
    "profile_import_aws",
    "profile_restore_local",
    "bucket_index",
    "bucket_list",
    "bucket_refresh",
    "bucket_create",
    "bucket_delete",
    "job_cancel",
    "job_pause",
    "job_resume",
    "job_to_front",
    "job_list",
    "upload_choose",
    "upload_dropped",
    "uploads_open",
    "upload_abort",
    "provider_presets",
    "object_list",
    "object_list_recent",
    "object_head",
    "objects_download",
    "download_folder",
    "download_folder_choose",
    "objects_delete",
    "objects_copy",
    "folder_create",
    "object_presign",
    "object_usage",
    "activity_list",
    "object_edit",
    "object_tags",
    "object_tags_set",
    "object_thumbnail",
    "object_public_url",
    "profile_public_base",
    "profile_public_base_set",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri build configuration");
}
