//! `POST /v1/enroll`: a one-time code for a device id and token.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokentally_wire::{EnrollReply, EnrollRequest};

use super::{parse_json, read_body};
use crate::app::{self, ApiError};
use crate::secret::{DEVICE_TOKEN_PREFIX, hash, new_id, new_secret, now_ms};

/// Codes are short JSON; anything longer is not an enrollment.
const MAX_ENROLL_BYTES: usize = 4096;

pub(crate) async fn enroll(
    State(state): app::State,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<EnrollReply>, ApiError> {
    let bytes = read_body(&headers, body, MAX_ENROLL_BYTES).await?;
    let request: EnrollRequest = parse_json(&bytes)?;
    let device_id = new_id("dev_")?;
    let token = new_secret(DEVICE_TOKEN_PREFIX)?;
    let enrolled = state
        .store
        .enroll(
            hash(&request.code),
            now_ms(),
            device_id.clone(),
            hash(&token),
        )
        .await?;
    if !enrolled {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "enrollment code is unknown, already used or expired",
        ));
    }
    Ok(Json(EnrollReply { device_id, token }))
}
