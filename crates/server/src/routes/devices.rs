//! What a device may do about its own data: delete it, and see who read it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use tokentally_wire::{AccessLog, DeleteReply};

use super::device;
use crate::app::{self, ApiError};

/// The device named in the URL must be the token's own.
async fn own_device(
    state: &crate::app::AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<String, ApiError> {
    let device_id = device(state, headers).await?;
    if device_id != id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "a device token may only act on its own device",
        ));
    }
    state.rate.check(&device_id).map_err(ApiError::too_many)?;
    Ok(device_id)
}

/// `DELETE /v1/devices/{id}/usage`: every bucket and receipt of the device;
/// the device stays enrolled.
pub(crate) async fn delete_usage(
    State(state): app::State,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<DeleteReply>, ApiError> {
    let device_id = own_device(&state, &headers, &id).await?;
    let deleted = state.store.delete_usage(device_id).await?;
    Ok(Json(DeleteReply { deleted }))
}

/// `GET /v1/devices/{id}/access-log`: every admin read of the device's data.
pub(crate) async fn access_log(
    State(state): app::State,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<AccessLog>, ApiError> {
    let device_id = own_device(&state, &headers, &id).await?;
    let entries = state.store.access_log(device_id).await?;
    Ok(Json(AccessLog { entries }))
}
