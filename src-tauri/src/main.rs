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

// The agent's allocator, as in the CLI: jemalloc hands the memory a large
// first scan freed back to the OS (glibc kept it resident); tuned in
// .cargo/config.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The argument of every start at login.
const AUTOSTART_FLAG: &str = "--autostart";

fn main() {
    #[cfg(target_os = "linux")]
    without_gdk_gl();
    if let Err(e) = run() {
        eprintln!("TokenTally could not start: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    // The packages start the app at every login (XDG autostart, a
    // LaunchAgent); the policy decides whether it stays.
    if std::env::args().any(|a| a == AUTOSTART_FLAG) && !state::starts_at_login()? {
        return Ok(());
    }
    let app = tauri::Builder::default()
        // First: a second launch only opens the first one's window, unless
        // it is a login start (both the per-user and the package's system
        // autostart entries may fire; neither should pop the window up).
        .plugin(tauri_plugin_single_instance::init(|app, args, _| {
            if !args.iter().any(|a| a == AUTOSTART_FLAG) {
                window::show(app)
            }
        }))
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![AUTOSTART_FLAG]),
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
        while let Ok(first) = events.recv() {
            // What else is already queued is the same burst: the tray is
            // redrawn once for it, not once per call of a backlog.
            let burst = std::iter::once(first).chain(events.try_iter()).collect();
            for event in tokentally_desk::coalesce(burst) {
                let _ = app.emit("tokentally://event", &event);
            }
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

/// GDK sets up OpenGL when it opens the display; where GL is Mesa's
/// software renderer that maps about 50 MiB of LLVM into a tray app that
/// may never show a window (measured: 137 MiB resident against 82 without).
/// The window draws without it, so the app starts again with GDK's GL off,
/// unless `GDK_GL` was set by the user.
#[cfg(target_os = "linux")]
fn without_gdk_gl() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GDK_GL").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // `exec` returns only when it failed; then the app goes on with GL.
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GDK_GL", "disable")
        .exec();
    eprintln!("TokenTally: starting without GDK's OpenGL failed ({error}); going on with it");
}
