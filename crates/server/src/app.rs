//! The router, the state every route shares, and how refusals are written.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tokentally_wire::ErrorReply;

use crate::rate::RateLimiter;
use crate::routes;
use crate::store::Store;
use crate::{ServerConfig, ServerError};

pub(crate) struct AppState {
    pub store: Store,
    pub rate: RateLimiter,
    pub max_body_bytes: usize,
    pub k_anonymity: usize,
}

pub(crate) type State = axum::extract::State<Arc<AppState>>;

pub(crate) fn router(store: Store, config: &ServerConfig) -> Router {
    let state = Arc::new(AppState {
        store,
        rate: RateLimiter::new(config.device_requests_per_minute),
        max_body_bytes: config.max_body_bytes,
        k_anonymity: config.k_anonymity,
    });
    Router::new()
        .route("/v1/health", get(routes::health::health))
        .route("/v1/enroll", post(routes::enroll::enroll))
        .route("/v1/usage", post(routes::usage::upload))
        .route(
            "/v1/devices/{id}/usage",
            delete(routes::devices::delete_usage),
        )
        .route(
            "/v1/devices/{id}/access-log",
            get(routes::devices::access_log),
        )
        .route("/v1/reports", get(routes::reports::report))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such endpoint") })
        .with_state(state)
}

/// A refusal: its status and an `ErrorReply` body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(crate) fn too_many(retry_after_s: u64) -> Self {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!("rate limit exceeded; retry in {retry_after_s} s"),
            retry_after: Some(retry_after_s),
        }
    }
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        // The detail goes to the operator's log, not to the client.
        tracing::error!(error = %e, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorReply {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}
