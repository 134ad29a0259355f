//! Events and world: rares, portals, the spawn heatmap, leaderboards, raw event export.
//! Each handler extracts its parameters and asks `telemetry::query` (or the portal
//! registry) one question.

use super::{ApiError, AppState, blocking, clamp_limit, now_ms, time_range};
use crate::telemetry::portals;
use crate::telemetry::query::{Cursor, EventsPage, Heatmap, Leaderboard, LeaderboardMetric, Period, Rares};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub const PORTALS_MAX: usize = 1_000;
const DAY: i64 = 86_400_000;
/// Default windows when `from` is not given.
const RARES_DEFAULT_SPAN: i64 = 400 * DAY;
const HEATMAP_DEFAULT_SPAN: i64 = 7 * DAY;
const EVENTS_DEFAULT_SPAN: i64 = DAY;
/// Default rows per answer (docs/api.md: every list defaults to 100).
const DEFAULT_LIMIT: usize = 100;
const DEFAULT_HEATMAP_CELL: f64 = 0.1;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rares", get(rares))
        .route("/api/portals", get(portals_list))
        .route("/api/spawns/heatmap", get(heatmap))
        .route("/api/leaderboard", get(leaderboard))
        .route("/api/events", get(events))
}

#[derive(Deserialize)]
struct RaresQuery {
    from: Option<String>,
    to: Option<String>,
    character: Option<String>,
    limit: Option<usize>,
}

async fn rares(State(app): State<AppState>, Query(q): Query<RaresQuery>) -> Result<Json<Rares>, ApiError> {
    let range = time_range(q.from.as_deref(), q.to.as_deref(), RARES_DEFAULT_SPAN)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.rares(q.character.as_deref(), range, limit)).await?))
}

#[derive(Deserialize)]
struct PortalsQuery {
    q: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/portals`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PortalList {
    pub portals: Vec<portals::PortalRecord>,
}

async fn portals_list(
    State(app): State<AppState>,
    Query(q): Query<PortalsQuery>,
) -> Result<Json<PortalList>, ApiError> {
    let limit = clamp_limit(q.limit, DEFAULT_LIMIT, PORTALS_MAX);
    let portals = portals::list(&app.state_db, q.q.as_deref(), limit).map_err(ApiError::internal)?;
    Ok(Json(PortalList { portals }))
}

#[derive(Deserialize)]
struct HeatmapQuery {
    from: Option<String>,
    to: Option<String>,
    monster: Option<String>,
    cell: Option<f64>,
}

async fn heatmap(State(app): State<AppState>, Query(q): Query<HeatmapQuery>) -> Result<Json<Heatmap>, ApiError> {
    let range = time_range(q.from.as_deref(), q.to.as_deref(), HEATMAP_DEFAULT_SPAN)?;
    let cell = q.cell.unwrap_or(DEFAULT_HEATMAP_CELL);
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.heatmap(range, cell, q.monster.as_deref())).await?))
}

#[derive(Deserialize)]
struct LeaderboardQuery {
    metric: Option<String>,
    period: Option<String>,
    limit: Option<usize>,
}

async fn leaderboard(
    State(app): State<AppState>,
    Query(q): Query<LeaderboardQuery>,
) -> Result<Json<Leaderboard>, ApiError> {
    let period = Period::parse(q.period.as_deref().unwrap_or("day"))?;
    let metric = LeaderboardMetric::parse(q.metric.as_deref().unwrap_or("kills"))?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.leaderboard(metric, period, limit, now_ms())).await?))
}

#[derive(Deserialize)]
struct EventsQuery {
    #[serde(rename = "type")]
    kind: String,
    character: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

/// Raw persisted events of one type, ascending by time; `next_cursor` continues the export.
async fn events(State(app): State<AppState>, Query(q): Query<EventsQuery>) -> Result<Json<EventsPage>, ApiError> {
    let range = time_range(q.from.as_deref(), q.to.as_deref(), EVENTS_DEFAULT_SPAN)?;
    let cursor = q.cursor.as_deref().map(Cursor::parse).transpose()?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.events(&q.kind, q.character.as_deref(), range, limit, cursor)).await?))
}
