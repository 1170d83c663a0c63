//! `GET /v1/reports`: the admin read API. Every call is logged against each
//! device whose buckets it read.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use tokentally_wire::Period;

use super::admin;
use crate::app::{self, ApiError};
use crate::reports::{Report, ReportParams, build};
use crate::secret::now_ms;
use crate::store::{Reader, RowQuery};

pub(crate) async fn report(
    State(state): app::State,
    headers: HeaderMap,
    params: Result<Query<ReportParams>, QueryRejection>,
) -> Result<Json<Report>, ApiError> {
    let who = admin(&state, &headers).await?;
    let Query(params) =
        params.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if params.from >= params.to {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "from must be before to",
        ));
    }
    let period = params.period.unwrap_or(Period::Day);
    let what = format!(
        "report by={} period={} from={} to={}",
        params.by.as_str(),
        period.as_str(),
        params.from,
        params.to
    );
    let query = RowQuery {
        by: params.by,
        period,
        from: params.from,
        to: params.to,
    };
    let reader = Reader {
        who,
        what,
        at_ms: now_ms(),
    };
    let rows = state.store.report_rows(query, reader).await?;
    let (groups, suppressed) = build(params.by, rows, state.k_anonymity);
    Ok(Json(Report {
        by: params.by,
        period,
        from: params.from,
        to: params.to,
        k: state.k_anonymity,
        groups,
        suppressed,
    }))
}
