//! `GET /api/leaderboard/gains`: per character, what they gained in the last day, week or
//! month, ranked by one metric, with rank change (`telemetry::gains` holds the definition).

use super::{ApiError, AppState, clamp_limit, now_ms};
use crate::telemetry::gains::{Metric, Period};
use crate::telemetry::query::GainsTable;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub const GAINS_MAX: usize = 1_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/leaderboard/gains", get(gains_table))
}

#[derive(Deserialize)]
struct GainsQuery {
    metric: Option<String>,
    period: Option<String>,
    limit: Option<usize>,
}

async fn gains_table(State(app): State<AppState>, Query(q): Query<GainsQuery>) -> Result<Json<GainsTable>, ApiError> {
    let metric_name = q.metric.as_deref().unwrap_or("kills");
    let period_name = q.period.as_deref().unwrap_or("day");
    let metric = Metric::parse(metric_name).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "parameter 'metric': '{metric_name}' is not one of kills, xp, level, rares, deaths"
        ))
    })?;
    let period = Period::parse(period_name).ok_or_else(|| {
        ApiError::BadRequest(format!("parameter 'period': '{period_name}' is not one of day, week, month"))
    })?;
    let limit = clamp_limit(q.limit, 100, GAINS_MAX);
    let query = app.telemetry_query();
    let table = tokio::task::spawn_blocking(move || query.gains(metric, period, limit, now_ms()))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(table))
}
