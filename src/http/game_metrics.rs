//! `GET /metrics/game`: per-character game figures in Prometheus text for an existing
//! Grafana (read token or session). Rendering and the cardinality bound are
//! `metrics::render_game`'s; this picks the characters (online, or seen within
//! `live_window_s`) from the hub.

use super::{AppState, now_ms};
use crate::metrics::{CONTENT_TYPE, GameCharacter, render_game};
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics/game", get(game))
}

async fn game(State(app): State<AppState>) -> impl IntoResponse {
    let since = now_ms() - app.settings.live_window_s as i64 * 1000;
    let chars: Vec<GameCharacter> = app
        .hub
        .characters_since(since)
        .into_iter()
        .map(|c| {
            let t = c.telemetry.as_ref().map(|(_, _, t)| t);
            GameCharacter {
                name: c.name.clone(),
                online: c.online,
                last_seen_ms: c.last_seen_ms,
                kills: t.and_then(|t| t.kills),
                kills_per_hour: t.and_then(|t| t.kills_per_hour),
                total_xp: t.and_then(|t| t.total_xp),
                xp_per_hour: t.and_then(|t| t.xp_per_hour),
                level: t.and_then(|t| t.level),
                deaths: t.and_then(|t| t.deaths),
                total_deaths: t.and_then(|t| t.total_deaths),
                rares_found: t.and_then(|t| t.rares_found),
                prismatic_tapers: t.and_then(|t| t.prismatic_taper_count),
            }
        })
        .collect();
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], render_game(&chars))
}
