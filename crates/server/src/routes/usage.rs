//! `POST /v1/usage`: a batch of buckets, upserted in one transaction.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use tokentally_wire::{UsageAck, UsageBatch};

use super::{device, parse_json, read_body};
use crate::app::{self, ApiError};
use crate::secret::{new_id, now_ms};

pub(crate) async fn upload(
    State(state): app::State,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<UsageAck>, ApiError> {
    // Who first, then how often, then what: an unknown caller learns
    // nothing about limits or the format, and costs no body read.
    let device_id = device(&state, &headers).await?;
    state.rate.check(&device_id).map_err(ApiError::too_many)?;
    let bytes = read_body(&headers, body, state.max_body_bytes).await?;
    // deny_unknown_fields on every level: a field that could carry text is
    // refused here, before anything is written.
    let mut batch: UsageBatch = parse_json(&bytes)?;
    let problems = batch.problems();
    if !problems.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            problems.join("; "),
        ));
    }
    // One lock order for every batch: two concurrent uploads of one device
    // cannot deadlock on PostgreSQL's row locks.
    batch.buckets.sort_by_cached_key(|b| b.key());
    let ack = new_id("ack_")?;
    let done = state
        .store
        .upsert(device_id, batch.buckets, ack.clone(), now_ms())
        .await?;
    Ok(Json(UsageAck {
        ack,
        stored: done.stored,
        unchanged: done.unchanged,
    }))
}
