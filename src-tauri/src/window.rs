//! The self-view window: made when asked, focused if already open, freed
//! (webview and all) when closed.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, "main", WebviewUrl::App("index.html".into()))
        .title("TokenTally")
        .inner_size(1040.0, 760.0)
        .min_inner_size(720.0, 520.0)
        .build();
    if let Err(e) = built {
        tracing::warn!("Cannot open the window: {e}");
    }
}
