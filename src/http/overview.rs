//! `GET /api/overview`: the landing page's server-side figures — recent deaths and
//! level-ups (`telemetry::milestones`) and what the alerts sent. Live figures (who is
//! online, vitals, kills/h) come from the live socket; stuck and disconnected characters
//! from `GET /api/attention`.

use super::{ApiError, AppState, clamp_limit, now_ms};
use crate::telemetry::milestones::{self, MilestoneKind};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

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

async fn overview(State(app): State<AppState>, Query(q): Query<OverviewQuery>) -> Result<Json<Value>, ApiError> {
    let hours = q.hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(ApiError::BadRequest(format!("parameter 'hours': must be between 1 and {MAX_HOURS}")));
    }
    let limit = clamp_limit(q.limit, 20, MILESTONES_MAX);
    let to = now_ms();
    let from = to - hours * HOUR_MS;
    let ids: Vec<u32> = app.characters.all().into_iter().filter(|c| c.last_seen_ms >= from).map(|c| c.id).collect();
    let app2 = app.clone();
    let (found, partial) =
        tokio::task::spawn_blocking(move || milestones::recent_milestones(&app2.days, &ids, from, to, limit))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    let name = |id: u32| app.characters.get(id).map(|c| c.name).unwrap_or_default();
    let pick = |kind: MilestoneKind| -> Vec<Value> {
        found
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| json!({"t": m.t, "character_name": name(m.character_id), "value": m.value}))
            .collect()
    };
    let stats = app.alerts.stats();
    Ok(Json(json!({
        "from_ms": from,
        "to_ms": to,
        "deaths": pick(MilestoneKind::Death),
        "level_ups": pick(MilestoneKind::LevelUp),
        "partial": partial,
        "alerts": {"active": app.alerts.is_active(), "sent": stats.alerts_sent, "raised": stats.alerts_raised, "failures": stats.failures},
    })))
}
