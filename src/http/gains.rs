//! `GET /api/leaderboard/gains`: per character, what they gained in the last day, week or
//! month, ranked by one metric, with rank change (`telemetry::gains` holds the definition).

use super::{ApiError, AppState, clamp_limit, now_ms};
use crate::telemetry::gains::{self, Metric, Period};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

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

async fn gains_table(State(app): State<AppState>, Query(q): Query<GainsQuery>) -> Result<Json<Value>, ApiError> {
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
    let now = now_ms();
    let app2 = app.clone();
    let mut rows = tokio::task::spawn_blocking(move || gains::gains(&app2.days, period, metric, now))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    rows.truncate(clamp_limit(q.limit, 100, GAINS_MAX));
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            let name = app.characters.get(r.character_id).map(|c| c.name).unwrap_or_default();
            json!({"character_name": name, "rank": r.rank, "previous_rank": r.previous_rank, "rank_change": r.rank_change,
                   "kills": r.kills, "xp": r.xp, "levels": r.levels, "level": r.level, "rares": r.rares, "deaths": r.deaths, "online_s": r.online_s})
        })
        .collect();
    Ok(Json(
        json!({"metric": metric_name, "period": period_name, "from_ms": now - period.span_ms(), "to_ms": now, "rows": rows}),
    ))
}
