//! `GET /api/replay/hours`: which hours hold stored telemetry (`telemetry::activity`), so
//! replay opens on the newest hour with data and can show a strip of the others.

use super::{ApiError, AppState, time_range};
use crate::telemetry::activity::MAX_HOURS;
use crate::telemetry::query::ReplayHours;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

const HOUR_MS: i64 = 3_600_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/replay/hours", get(hours))
}

#[derive(Deserialize)]
struct HoursQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn hours(State(app): State<AppState>, Query(q): Query<HoursQuery>) -> Result<Json<ReplayHours>, ApiError> {
    let crate::telemetry::TimeRange { from, to } = time_range(q.from.as_deref(), q.to.as_deref(), 48 * HOUR_MS)?;
    if to - from > MAX_HOURS * HOUR_MS {
        return Err(ApiError::BadRequest(format!("the range is longer than {MAX_HOURS} hours; ask for a shorter one")));
    }
    let query = app.telemetry_query();
    let hours =
        tokio::task::spawn_blocking(move || query.replay_hours(from, to)).await.map_err(ApiError::internal)??;
    Ok(Json(hours))
}
