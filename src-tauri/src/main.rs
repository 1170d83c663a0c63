//! TokenTally's tray app: the agent runs in this process; the tray shows
//! today's tokens and the state; the self-view window is opened on demand
//! and freed when closed. Everything it shows or does is a call into the
//! core (`tokentally-desk`, `tokentally-agent`); this crate only translates.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod state;
mod tray;
mod window;

use tauri::{Emitter, Manager, RunEvent};

fn main() {
    if let Err(e) = run() {
        eprintln!("TokenTally could not start: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        // First: a second launch only opens the first one's window.
        .plugin(tauri_plugin_single_instance::init(|app, _, _| {
            window::show(app)
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(commands::handler())
        .setup(|app| {
            let state = state::AppState::start()?;
            autostart(app.handle(), state.autostart());
            let events = state.with_agent(|a| a.subscribe())?;
            app.manage(state);
            tray::create(app.handle())?;
            forward(app.handle().clone(), events);
            // Started at login: the tray only. Started by hand with
            // `--open` (the desktop entry, tests): the window too.
            if std::env::args().any(|a| a == "--open") {
                window::show(app.handle());
            }
            Ok(())
        })
        .build(tauri::generate_context!())?;
    app.run(|app, event| match event {
        // Closing the window keeps the agent running in the tray.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => {
            if let Some(state) = app.try_state::<state::AppState>() {
                state.shutdown();
            }
        }
        _ => {}
    });
    Ok(())
}

/// Core events go to the window as they happen, and redraw the tray.
fn forward(
    app: tauri::AppHandle,
    events: std::sync::mpsc::Receiver<tokentally_agent::status::AgentEvent>,
) {
    let tick = app.clone();
    std::thread::spawn(move || {
        for event in events {
            let _ = app.emit("tokentally://event", &event);
            tray::refresh(&app);
        }
    });
    // The day can change with nothing counted: redraw once a minute.
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
            tray::refresh(&tick);
        }
    });
}

/// Start at login as the policy says.
fn autostart(app: &tauri::AppHandle, wanted: bool) {
    use tauri_plugin_autostart::ManagerExt;
    let launcher = app.autolaunch();
    let result = if wanted {
        launcher.enable()
    } else {
        launcher.disable()
    };
    if let Err(e) = result {
        tracing::warn!("Cannot change start at login: {e}");
    }
}
