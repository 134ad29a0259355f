//! `GET /api/overview`: the landing page's server-side figures — recent deaths and
//! level-ups (`TelemetryQuery::recent_milestones`) and what the alerts sent. Live figures (who is
//! online, vitals, kills/h) come from the live socket; stuck and disconnected characters
//! from `GET /api/attention`.

use super::{ApiError, AppState, clamp_limit, now_ms};
use crate::telemetry::query::RecentMilestones;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;
/// Hours of telemetry the milestones look back by default, and at most.
const DEFAULT_HOURS: i64 = 6;
const MAX_HOURS: i64 = 24;
const MILESTONES_MAX: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/overview", get(overview))
}

#[derive(Deserialize)]
struct OverviewQuery {
    hours: Option<i64>,
    limit: Option<usize>,
}

/// `GET /api/overview`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Overview {
    #[serde(flatten)]
    pub milestones: RecentMilestones,
    pub alerts: AlertCounts,
}

/// What the alerts did since the server started.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct AlertCounts {
    /// A webhook is configured and detection runs.
    pub active: bool,
    pub sent: u64,
    pub raised: u64,
    pub failures: u64,
}

async fn overview(State(app): State<AppState>, Query(q): Query<OverviewQuery>) -> Result<Json<Overview>, ApiError> {
    let hours = q.hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(ApiError::BadRequest(format!("parameter 'hours': must be between 1 and {MAX_HOURS}")));
    }
    let limit = clamp_limit(q.limit, 20, MILESTONES_MAX);
    let to = now_ms();
    let from = to - hours * HOUR_MS;
    let query = app.telemetry_query();
    let milestones = tokio::task::spawn_blocking(move || query.recent_milestones(from, to, limit))
        .await
        .map_err(ApiError::internal)??;
    let stats = app.alerts.stats();
    let alerts = AlertCounts {
        active: app.alerts.is_active(),
        sent: stats.alerts_sent,
        raised: stats.alerts_raised,
        failures: stats.failures,
    };
    Ok(Json(Overview { milestones, alerts }))
}
