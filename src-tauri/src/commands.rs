//! The window's commands: each calls the core and maps its error to
//! `{code, message}`.

use jiff::{Timestamp, tz::TimeZone};
use serde::Serialize;
use serde_json::{Value, json};
use tauri::State;
use tokentally_agent::status::AgentStatus;
use tokentally_desk as desk;
use tokentally_store::Receipt;
use tokentally_upload::Plan;

use crate::state::AppState;

/// What a failed command returns to the window.
#[derive(Debug, Serialize)]
pub struct UiError {
    code: &'static str,
    message: String,
}

impl UiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        UiError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for UiError {}

impl From<desk::DeskError> for UiError {
    fn from(e: desk::DeskError) -> Self {
        UiError::new(e.code(), e.to_string())
    }
}

impl From<tokentally_store::StoreError> for UiError {
    fn from(e: tokentally_store::StoreError) -> Self {
        UiError::new("store", e.to_string())
    }
}

impl From<tokentally_upload::UploadError> for UiError {
    fn from(e: tokentally_upload::UploadError) -> Self {
        desk::DeskError::from(e).into()
    }
}

type Reply<T> = Result<T, UiError>;

fn now() -> Timestamp {
    Timestamp::now()
}

fn zone(state: &AppState) -> Reply<TimeZone> {
    state.with_agent(|a| a.policy().resolved.zone())
}

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        get_status,
        get_usage,
        get_preview,
        get_recent_calls,
        get_uploads,
        get_upload_payload,
        get_about,
        get_setup,
        set_upload,
        set_granularity,
        pause,
        resume,
        export_data,
        delete_data,
        get_access_log,
    ]
}

#[tauri::command]
fn get_status(state: State<'_, AppState>) -> Reply<AgentStatus> {
    state.with_agent(|a| a.status())
}

#[tauri::command]
fn get_usage(state: State<'_, AppState>, days: u32) -> Reply<desk::UsageView> {
    let tz = zone(&state)?;
    Ok(desk::usage(&state.store(), days, &tz, now())?)
}

#[tauri::command]
fn get_preview(state: State<'_, AppState>) -> Reply<desk::Preview> {
    let policy = state.with_agent(|a| a.policy())?;
    Ok(desk::preview(
        &state.store(),
        &policy.resolved,
        now().as_millisecond(),
    )?)
}

#[tauri::command]
fn get_recent_calls(state: State<'_, AppState>) -> Reply<Vec<desk::RecentCallView>> {
    let policy = state.with_agent(|a| a.policy())?;
    let plan = Plan::from_policy(&policy.resolved)?;
    Ok(desk::recent_calls(&state.store(), &plan, 25)?)
}

#[tauri::command]
fn get_uploads(state: State<'_, AppState>) -> Reply<Vec<Receipt>> {
    let mut receipts = state.store().receipts()?;
    receipts.reverse();
    Ok(receipts)
}

#[tauri::command]
fn get_upload_payload(state: State<'_, AppState>, id: i64) -> Reply<String> {
    let receipt = state.store().receipt(id)?;
    let receipt = receipt.ok_or_else(|| UiError::new("not_found", format!("no upload #{id}")))?;
    Ok(String::from_utf8_lossy(&receipt.payload).into_owned())
}

#[tauri::command]
fn get_about(state: State<'_, AppState>) -> Reply<Value> {
    let (policy, dir) = state.with_agent(|a| (a.policy(), a.policy_inputs().state_dir.clone()))?;
    let doc = desk::about(&policy, &dir);
    // The window reads the effective keys at the top level.
    Ok(json!({
        "keys": doc["effective"]["keys"],
        "problems": doc["effective"]["problems"],
        "managed_source": doc["effective"]["managed_source"],
        "since_ms": doc["since_ms"],
        "changes": doc["changes"],
    }))
}

#[tauri::command]
fn get_setup(state: State<'_, AppState>) -> Reply<Value> {
    let policy = state.with_agent(|a| a.policy())?;
    Ok(json!({
        "proxy": desk::proxy_lines(&policy.resolved),
        "otel": desk::otel_lines(&policy.resolved),
    }))
}

#[tauri::command]
fn set_upload(state: State<'_, AppState>, enabled: bool, include_past: bool) -> Reply<()> {
    let now = now().as_millisecond();
    let from = (!include_past).then_some(now);
    desk::set_consent(&mut state.store(), enabled, from, now)?;
    if enabled {
        state.with_agent(|a| a.upload_now())?;
    }
    Ok(())
}

#[tauri::command]
fn set_granularity(state: State<'_, AppState>, granularity: String) -> Reply<()> {
    let settings = state.with_agent(|a| a.policy_inputs().employee.clone())?;
    desk::set_employee_key(&settings, "granularity", Value::String(granularity))?;
    state.with_agent(|a| a.reload_policy())
}

#[tauri::command]
fn pause(state: State<'_, AppState>, minutes: Option<u32>, until_tomorrow: bool) -> Reply<()> {
    let tz = zone(&state)?;
    let until = desk::pause_end(now(), minutes, until_tomorrow, &tz)?;
    Ok(state.with_agent(|a| a.pause(until))??)
}

#[tauri::command]
fn resume(state: State<'_, AppState>) -> Reply<()> {
    Ok(state.with_agent(|a| a.resume())??)
}

#[tauri::command]
fn export_data(state: State<'_, AppState>, format: String) -> Reply<String> {
    let store = state.store();
    Ok(match format.as_str() {
        "csv" => desk::export_csv(&store)?,
        _ => desk::export_json(&store)?,
    })
}

#[tauri::command]
fn delete_data(state: State<'_, AppState>) -> Reply<desk::DeletedView> {
    let policy = state.with_agent(|a| a.policy())?;
    let vault = state.vault.as_deref();
    let now = now().as_millisecond();
    Ok(desk::delete_data(
        &mut state.store(),
        &policy.resolved,
        vault,
        &state.http,
        now,
    )?)
}

#[tauri::command]
fn get_access_log(state: State<'_, AppState>) -> Reply<desk::AccessView> {
    let policy = state.with_agent(|a| a.policy())?;
    let vault = state.vault.as_deref();
    Ok(desk::access_log(
        &state.store(),
        &policy.resolved,
        vault,
        &state.http,
    )?)
}
