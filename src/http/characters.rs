//! `/api/live`, `/api/characters`, one character's detail, trail and series.

use super::{ApiError, AppState, blocking, now_ms, time_range};
use crate::live::{render, telemetry_json, vitals_json};
use crate::telemetry::EventKind;
use crate::telemetry::query::{Series, SeriesMetric, TRAIL_DEFAULT_POINTS, Trail};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// Default windows: a trail shows the last hour, a series the last day.
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// How far back character pages look for the latest stats.
const LATEST_LOOKBACK_DAYS: usize = 31;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/live", get(live))
        .route("/api/characters", get(list))
        .route("/api/characters/{name}", get(detail))
        .route("/api/characters/{name}/trail", get(trail))
        .route("/api/characters/{name}/series", get(series))
}

async fn live(State(app): State<AppState>) -> Json<Value> {
    let now = now_ms();
    let since = now - app.settings.live_window_s as i64 * 1000;
    let characters: Vec<Value> = app
        .hub
        .characters_since(since)
        .iter()
        .map(|c| {
            let t = c.telemetry.as_ref();
            json!({
                "character_name": c.name,
                "online": c.online,
                "last_seen_ms": c.last_seen_ms,
                "telemetry": t.map(|(recv, client, tel)| telemetry_json(&c.name, *recv, *client, tel)),
                "vitals": c.vitals.as_ref().map(vitals_json),
                "session": render::session_json(t.map(|x| &x.2)),
            })
        })
        .collect();
    Json(json!({"server_time_ms": now, "characters": characters}))
}

async fn list(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = app.characters.all();
    let totals = app.days.rollup_totals(0, i64::MAX / 2).map_err(ApiError::internal)?;
    let item_counts: std::collections::HashMap<String, u64> = {
        use redb::ReadableDatabase;
        let txn = app.state_db.begin_read().map_err(ApiError::internal)?;
        let counts = crate::inventory::InventoryStore::new().counts_by_owner(&txn).map_err(ApiError::internal)?;
        counts.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect()
    };
    let mut out = Vec::with_capacity(all.len());
    for c in all {
        let live = app.hub.character(&c.name);
        let tel = live.as_ref().and_then(|l| l.telemetry.as_ref().map(|t| t.2.clone()));
        let stats = match live.as_ref().and_then(|l| l.character_stats.clone()) {
            Some(s) => Some(s),
            None if tel.is_none() => latest_json(&app, EventKind::CharacterStats, c.id, 2)?,
            None => None,
        };
        let level = tel
            .as_ref()
            .and_then(|t| t.level)
            .map(Value::from)
            .or_else(|| stats.as_ref().and_then(|s| s.get("level").cloned()));
        let total_deaths = tel
            .as_ref()
            .and_then(|t| t.total_deaths)
            .map(Value::from)
            .or_else(|| stats.as_ref().and_then(|s| s.get("total_deaths").cloned()));
        out.push(json!({
            "character_name": c.name,
            "online": live.as_ref().is_some_and(|l| l.online),
            "first_seen_ms": c.first_seen_ms,
            "last_seen_ms": live.as_ref().map(|l| l.last_seen_ms).unwrap_or(c.last_seen_ms).max(c.last_seen_ms),
            "level": level,
            "total_deaths": total_deaths,
            "rares_total": totals.get(&c.id).map(|r| r.rares).unwrap_or(0),
            "items": item_counts.get(&c.name.to_lowercase()).copied().unwrap_or(0),
        }));
    }
    Ok(Json(json!({"characters": out})))
}

fn latest_json(app: &AppState, kind: EventKind, id: u32, days: usize) -> Result<Option<Value>, ApiError> {
    Ok(app.days.latest(kind, id, days).map_err(ApiError::internal)?.and_then(|(t, bytes)| {
        let mut v: Value = serde_json::from_slice(&bytes).ok()?;
        if let Value::Object(m) = &mut v {
            m.insert("received_at".into(), t.into());
        }
        Some(v)
    }))
}

async fn detail(State(app): State<AppState>, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let live = app.hub.character(&name);
    let info = app.characters.by_name(&name);
    if live.is_none() && info.is_none() {
        return Err(ApiError::NotFound(format!("no character named '{name}' has been seen")));
    }
    let display =
        live.as_ref().map(|l| l.name.clone()).or_else(|| info.as_ref().map(|i| i.name.clone())).unwrap_or(name);
    let mut telemetry =
        live.as_ref().and_then(|l| l.telemetry.as_ref()).map(|(r, c, t)| telemetry_json(&display, *r, *c, t));
    let (mut stats, mut combat) =
        (live.as_ref().and_then(|l| l.character_stats.clone()), live.as_ref().and_then(|l| l.combat_stats.clone()));
    let mut lifetime = json!(null);
    if let Some(info) = &info {
        if telemetry.is_none() {
            let now = now_ms();
            let rows = app.days.trail(info.id, info.last_seen_ms - 3_600_000, now).map_err(ApiError::internal)?;
            telemetry = rows.last().map(|r| telemetry_json(&display, r.t, r.client_time_ms, &r.tel));
        }
        if stats.is_none() {
            stats = latest_json(&app, EventKind::CharacterStats, info.id, LATEST_LOOKBACK_DAYS)?;
        }
        if combat.is_none() {
            combat = latest_json(&app, EventKind::CombatStats, info.id, LATEST_LOOKBACK_DAYS)?;
        }
        let totals = app.days.rollup_totals(0, i64::MAX / 2).map_err(ApiError::internal)?;
        let r = totals.get(&info.id).cloned().unwrap_or_default();
        lifetime = json!({"kills": r.kills, "deaths": r.deaths, "xp": r.xp, "rares": r.rares,
            "distance_m": r.distance_m.round(), "online_s": r.online_s,
            "first_seen_ms": info.first_seen_ms, "last_seen_ms": info.last_seen_ms});
    }
    let session = telemetry.as_ref().map(|t| {
        json!({"kills": t["kills"], "kills_per_hour": t["kills_per_hour"], "deaths": t["deaths"],
               "rares_found": t["rares_found"], "session_seconds": t["session_seconds"]})
    });
    Ok(Json(json!({
        "character_name": display,
        "online": live.as_ref().is_some_and(|l| l.online),
        "last_seen_ms": live.as_ref().map(|l| l.last_seen_ms).or(info.as_ref().map(|i| i.last_seen_ms)),
        "plugin_version": live.as_ref().and_then(|l| l.plugin_version.clone()),
        "telemetry": telemetry,
        "character_stats": stats,
        "combat_stats": combat,
        "vitals": live.as_ref().and_then(|l| l.vitals.as_ref()).map(vitals_json),
        "cantrips": live.as_ref().and_then(|l| l.cantrips.clone()),
        "quests": live.as_ref().and_then(|l| l.quests.clone()),
        "nearby_objects": live.as_ref().and_then(|l| l.nearby_objects.clone()),
        "session": session,
        "lifetime": lifetime,
    })))
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
