//! `/api/live`, `/api/characters`, one character's detail, trail and series.

use super::{ApiError, AppState, blocking, now_ms, time_range};
use crate::character_view::{self, CharacterDetail, CharacterList, LiveView};
use crate::telemetry::query::{Series, SeriesMetric, TRAIL_DEFAULT_POINTS, Trail};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

/// Default windows: a trail shows the last hour, a series the last day.
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/live", get(live))
        .route("/api/characters", get(list))
        .route("/api/characters/{name}", get(detail))
        .route("/api/characters/{name}/trail", get(trail))
        .route("/api/characters/{name}/series", get(series))
}

async fn live(State(app): State<AppState>) -> Json<LiveView> {
    let now = now_ms();
    let since = now - app.settings.live_window_s as i64 * 1000;
    Json(character_view::live(&app, now, since))
}

async fn list(State(app): State<AppState>) -> Result<Json<CharacterList>, ApiError> {
    Ok(Json(blocking(move || character_view::list(&app)).await?))
}

async fn detail(State(app): State<AppState>, Path(name): Path<String>) -> Result<Json<CharacterDetail>, ApiError> {
    let now = now_ms();
    match blocking(move || character_view::detail(&app, &name, now).map(|d| d.ok_or(name))).await? {
        Ok(detail) => Ok(Json(detail)),
        Err(name) => Err(ApiError::NotFound(format!("no character named '{name}' has been seen"))),
    }
}

#[derive(Deserialize)]
struct TrailQuery {
    from: Option<String>,
    to: Option<String>,
    max_points: Option<usize>,
}

async fn trail(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<TrailQuery>,
) -> Result<Json<Trail>, ApiError> {
    let range = time_range(q.from.as_deref(), q.to.as_deref(), HOUR_MS)?;
    let max_points = q.max_points.unwrap_or(TRAIL_DEFAULT_POINTS);
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.trail(&name, range, max_points)).await?))
}

#[derive(Deserialize)]
struct SeriesQuery {
    metric: String,
    from: Option<String>,
    to: Option<String>,
    step_s: Option<i64>,
}

async fn series(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<Series>, ApiError> {
    let metric = SeriesMetric::parse(&q.metric)?;
    let range = time_range(q.from.as_deref(), q.to.as_deref(), DAY_MS)?;
    let query = app.telemetry_query();
    Ok(Json(blocking(move || query.series(&name, metric, range, q.step_s)).await?))
}
