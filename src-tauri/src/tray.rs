//! Draws the tray the core decides (`tokentally_desk::tray_model`) and
//! routes its clicks.

use tauri::{
    AppHandle, Manager,
    image::Image,
    menu::{Menu, MenuBuilder, MenuItemBuilder},
    tray::TrayIconBuilder,
};
use tokentally_desk::{TrayAction, TrayItem, TrayModel, TrayState, tray_model};
use tokentally_policy::UploadMode;

use crate::{state::AppState, window};

const TRAY_ID: &str = "tokentally";

fn icon(state: TrayState) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match state {
        TrayState::Counting => include_bytes!("../icons/tray-counting.png"),
        TrayState::Paused => include_bytes!("../icons/tray-paused.png"),
        TrayState::Problem => include_bytes!("../icons/tray-problem.png"),
    })
}

fn model(app: &AppHandle) -> Option<TrayModel> {
    let state = app.try_state::<AppState>()?;
    state
        .with_agent(|a| {
            let allowed = a.policy().resolved.upload != UploadMode::Disabled;
            tray_model(&a.status(), allowed)
        })
        .ok()
}

fn menu(app: &AppHandle, model: &TrayModel) -> tauri::Result<Menu<tauri::Wry>> {
    let mut builder = MenuBuilder::new(app);
    for item in &model.items {
        builder = match item {
            TrayItem::Action { id, label, enabled } => builder.item(
                &MenuItemBuilder::with_id(*id, label)
                    .enabled(*enabled)
                    .build(app)?,
            ),
            TrayItem::Info { label } => {
                builder.item(&MenuItemBuilder::new(label).enabled(false).build(app)?)
            }
            TrayItem::Separator => builder.separator(),
        };
    }
    builder.build()
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let Some(model) = model(app) else {
        return Ok(());
    };
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(model.state)?)
        .tooltip(&model.tooltip)
        .title(&model.title)
        .menu(&menu(app, &model)?)
        .on_menu_event(|app, event| clicked(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

/// Redraws icon, tooltip, title and menu from the agent's status.
pub fn refresh(app: &AppHandle) {
    let (Some(model), Some(tray)) = (model(app), app.tray_by_id(TRAY_ID)) else {
        return;
    };
    let _ = tray.set_icon(icon(model.state).ok());
    let _ = tray.set_tooltip(Some(&model.tooltip));
    let _ = tray.set_title(Some(&model.title));
    if let Ok(menu) = menu(app, &model) {
        let _ = tray.set_menu(Some(menu));
    }
}

fn clicked(app: &AppHandle, id: &str) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    if let Err(e) = act(app, &state, id) {
        tracing::warn!("Tray action {id} failed: {e}");
    }
    refresh(app);
}

fn act(app: &AppHandle, state: &AppState, id: &str) -> Result<(), Box<dyn std::error::Error>> {
    let zone = state.with_agent(|a| a.policy().resolved.zone())?;
    let now = jiff::Timestamp::now();
    let Some(action) = tokentally_desk::tray_action(id, now, &zone)? else {
        return Ok(());
    };
    match action {
        TrayAction::OpenWindow => window::show(app),
        TrayAction::Quit => app.exit(0),
        core => {
            let mut store = state.store();
            state.with_agent(|a| {
                tokentally_desk::apply_tray_action(core, a, &mut store, now.as_millisecond())
            })??;
        }
    }
    Ok(())
}
