//! Generates the app's permissions: one per command, granted in
//! `capabilities/default.json`, so the window can call only these.

fn main() {
    let commands = &[
        "get_status",
        "get_usage",
        "get_preview",
        "get_recent_calls",
        "get_uploads",
        "get_upload_payload",
        "get_about",
        "get_setup",
        "set_upload",
        "set_granularity",
        "pause",
        "resume",
        "export_data",
        "delete_data",
        "get_access_log",
    ];
    let attributes = tauri_build::Attributes::new()
        .app_manifest(tauri_build::AppManifest::new().commands(commands));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build script: {e}");
    }
}
