//! Events and world: rares, portals, the spawn heatmap, leaderboards, raw event export.

use super::{ApiError, AppState, clamp_limit, now_ms, time_range};
use crate::telemetry::{EventKind, portals};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const RARES_MAX: usize = 1_000;
pub const PORTALS_MAX: usize = 1_000;
pub const EVENTS_MAX: usize = 10_000;
/// Rows a heatmap or an all-characters export may scan before answering with what it has.
const SCAN_CAP: usize = 500_000;
const DAY: i64 = 86_400_000;

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

async fn rares(State(app): State<AppState>, Query(q): Query<RaresQuery>) -> Result<Json<Value>, ApiError> {
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref(), 400 * DAY)?;
    let limit = clamp_limit(q.limit, 100, RARES_MAX);
    let id = match &q.character {
        Some(n) => {
            Some(app.characters.id_of(n).ok_or_else(|| ApiError::NotFound(format!("no character named '{n}'")))?)
        }
        None => None,
    };
    let app2 = app.clone();
    let mut rows = tokio::task::spawn_blocking(move || {
        let mut rows = Vec::new();
        app2.days.events(EventKind::Rare, id, from, to, SCAN_CAP, |key, bytes| {
            if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
                rows.push((key, v));
            }
            true
        })?;
        Ok::<_, crate::telemetry::StoreError>(rows)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    rows.sort_by(|a, b| b.0.1.cmp(&a.0.1).then(b.0.2.cmp(&a.0.2)));
    rows.truncate(limit);
    let out: Vec<Value> = rows
        .into_iter()
        .map(|((cid, t, _), v)| {
            let name = app.characters.get(cid).map(|c| c.name).unwrap_or_default();
            json!({"t": t, "character_name": name, "rare_name": v["rare_name"], "ew": v["place"]["ew"], "ns": v["place"]["ns"],
                   "landcell": v["place"]["landcell"], "is_dungeon": v["place"]["is_dungeon"], "wcid": v["wcid"]})
        })
        .collect();
    Ok(Json(json!({"rares": out})))
}

#[derive(Deserialize)]
struct PortalsQuery {
    q: Option<String>,
    limit: Option<usize>,
}

async fn portals_list(State(app): State<AppState>, Query(q): Query<PortalsQuery>) -> Result<Json<Value>, ApiError> {
    let limit = clamp_limit(q.limit, 100, PORTALS_MAX);
    let list = portals::list(&app.state_db, q.q.as_deref(), limit).map_err(ApiError::internal)?;
    Ok(Json(json!({"portals": list})))
}

#[derive(Deserialize)]
struct HeatmapQuery {
    from: Option<String>,
    to: Option<String>,
    monster: Option<String>,
    cell: Option<f64>,
}

async fn heatmap(State(app): State<AppState>, Query(q): Query<HeatmapQuery>) -> Result<Json<Value>, ApiError> {
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref(), 7 * DAY)?;
    let cell = q.cell.unwrap_or(0.1);
    if !cell.is_finite() || !(0.05..=50.0).contains(&cell) {
        return Err(ApiError::BadRequest("parameter 'cell': must be between 0.05 and 50 map units".into()));
    }
    let monster = q.monster.map(|m| m.trim().to_lowercase()).filter(|m| !m.is_empty());
    let app2 = app.clone();
    let bins = tokio::task::spawn_blocking(move || {
        let mut bins: HashMap<(i64, i64), u64> = HashMap::new();
        app2.days.events(EventKind::Spawn, None, from, to, SCAN_CAP, |_, bytes| {
            let Ok(v) = serde_json::from_slice::<Value>(bytes) else { return true };
            if v["place"]["is_dungeon"].as_bool() == Some(true) {
                return true;
            }
            if let Some(m) = &monster
                && !v["monster_name"].as_str().unwrap_or("").to_lowercase().contains(m.as_str())
            {
                return true;
            }
            if let (Some(ew), Some(ns)) = (v["place"]["ew"].as_f64(), v["place"]["ns"].as_f64()) {
                *bins.entry(((ew / cell).floor() as i64, (ns / cell).floor() as i64)).or_default() += 1;
            }
            true
        })?;
        Ok::<_, crate::telemetry::StoreError>(bins)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let mut out: Vec<Value> = bins
        .into_iter()
        .map(|((x, y), count)| json!({"ew": (x as f64 + 0.5) * cell, "ns": (y as f64 + 0.5) * cell, "count": count}))
        .collect();
    out.sort_by(|a, b| b["count"].as_u64().cmp(&a["count"].as_u64()));
    Ok(Json(json!({"cell": cell, "bins": out})))
}

#[derive(Deserialize)]
struct LeaderboardQuery {
    metric: Option<String>,
    period: Option<String>,
    limit: Option<usize>,
}

async fn leaderboard(State(app): State<AppState>, Query(q): Query<LeaderboardQuery>) -> Result<Json<Value>, ApiError> {
    let metric = q.metric.as_deref().unwrap_or("kills");
    let period = q.period.as_deref().unwrap_or("day");
    let now = now_ms();
    let from = match period {
        "day" => now - DAY,
        "week" => now - 7 * DAY,
        "month" => now - 30 * DAY,
        "all" => 0,
        other => {
            return Err(ApiError::BadRequest(format!(
                "parameter 'period': '{other}' is not one of day, week, month, all"
            )));
        }
    };
    if !["kills", "rares", "deaths", "xp"].contains(&metric) {
        return Err(ApiError::BadRequest(format!(
            "parameter 'metric': '{metric}' is not one of kills, rares, deaths, xp"
        )));
    }
    let totals = app.days.rollup_totals(from, now).map_err(ApiError::internal)?;
    let mut rows: Vec<(String, i64)> = totals
        .into_iter()
        .filter_map(|(id, r)| {
            let v = match metric {
                "kills" => r.kills as i64,
                "rares" => r.rares as i64,
                "deaths" => r.deaths as i64,
                _ => r.xp,
            };
            (v > 0).then(|| (app.characters.get(id).map(|c| c.name).unwrap_or_default(), v))
        })
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(clamp_limit(q.limit, 100, 1_000));
    let rows: Vec<Value> = rows.into_iter().map(|(n, v)| json!({"character_name": n, "value": v})).collect();
    Ok(Json(json!({"metric": metric, "period": period, "rows": rows})))
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
async fn events(State(app): State<AppState>, Query(q): Query<EventsQuery>) -> Result<Json<Value>, ApiError> {
    let limit = clamp_limit(q.limit, 100, EVENTS_MAX);
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref(), DAY)?;
    let id = match &q.character {
        Some(n) => {
            Some(app.characters.id_of(n).ok_or_else(|| ApiError::NotFound(format!("no character named '{n}'")))?)
        }
        None => None,
    };
    // The cursor is "t.character_id.seq" of the last event returned.
    let after: Option<(i64, u32, u32)> = match &q.cursor {
        None => None,
        Some(c) => {
            let parts: Vec<&str> = c.split('.').collect();
            let bad = || ApiError::BadRequest("parameter 'cursor': not a cursor this server returned".into());
            if parts.len() != 3 {
                return Err(bad());
            }
            Some((
                parts[0].parse().map_err(|_| bad())?,
                parts[1].parse().map_err(|_| bad())?,
                parts[2].parse().map_err(|_| bad())?,
            ))
        }
    };
    let from = after.map(|a| a.0).unwrap_or(from).max(from);
    let app2 = app.clone();
    let kind_name = q.kind.clone();
    let mut rows: Vec<((i64, u32, u32), Value)> = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let mut rows = Vec::new();
        if kind_name == "telemetry" {
            let id = id.ok_or_else(|| ApiError::BadRequest("telemetry export needs 'character'".into()))?;
            // Read only as far as one page needs (plus the rest of its last millisecond),
            // so an export of a long range never holds more than a page.
            let after_t = after.map_or(i64::MIN, |a| a.0);
            let mut past_cursor = 0;
            let mut raw = Vec::new();
            app2.days
                .trail_for_each(id, from, to, |r| {
                    if past_cursor > limit && raw.last().is_some_and(|l: &crate::telemetry::block::Row| l.t != r.t) {
                        return false;
                    }
                    if r.t > after_t {
                        past_cursor += 1;
                    }
                    raw.push(r);
                    true
                })
                .map_err(ApiError::internal)?;
            raw.sort_by_key(|r| r.t);
            for r in raw {
                let mut v = crate::live::render::telemetry_body(&r.tel);
                if let Value::Object(m) = &mut v {
                    m.insert("client_time_ms".into(), r.client_time_ms.into());
                    m.insert("plugin_version".into(), r.plugin_version.clone().into());
                }
                rows.push(((r.t, id, 0u32), v));
            }
            // Rows of one character share a millisecond only in bursts; number them.
            let mut last = (i64::MIN, 0u32);
            for row in rows.iter_mut() {
                let seq = if row.0.0 == last.0 { last.1 + 1 } else { 0 };
                row.0.2 = seq;
                last = (row.0.0, seq);
            }
            return Ok(rows);
        }
        let kind = EventKind::parse(&kind_name).ok_or_else(|| {
            ApiError::BadRequest(format!("parameter 'type': '{kind_name}' is not one of telemetry, spawn, rare, portal, character_stats, combat_stats"))
        })?;
        // Day by day, keep the page's `limit + 1` earliest events after the cursor (a
        // bounded max-heap: tables are ordered by character, not time), and stop at the
        // first day that fills it — later days only hold later events.
        let mut page: std::collections::BinaryHeap<((i64, u32, u32), Vec<u8>)> = Default::default();
        let existing = app2.days.days();
        for day in existing.into_iter().filter(|d| (from.div_euclid(DAY)..=to.div_euclid(DAY)).contains(d)) {
            if page.len() > limit {
                break;
            }
            let (a, b) = ((day * DAY).max(from), ((day + 1) * DAY - 1).min(to));
            app2.days
                .events(kind, id, a, b, usize::MAX, |(cid, t, seq), bytes| {
                    let key = (t, cid, seq);
                    if after.is_some_and(|c| key <= c) {
                        return true;
                    }
                    if page.len() <= limit {
                        page.push((key, bytes.to_vec()));
                    } else if page.peek().is_some_and(|(top, _)| key < *top) {
                        page.pop();
                        page.push((key, bytes.to_vec()));
                    }
                    true
                })
                .map_err(ApiError::internal)?;
        }
        for (key, bytes) in page {
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                rows.push((key, v));
            }
        }
        Ok(rows)
    })
    .await
    .map_err(ApiError::internal)??;
    rows.sort_by_key(|r| r.0);
    if let Some(a) = after {
        rows.retain(|r| r.0 > a);
    }
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(|r| format!("{}.{}.{}", r.0.0, r.0.1, r.0.2)) } else { None };
    let events: Vec<Value> = rows
        .into_iter()
        .map(|((t, cid, _), mut v)| {
            if let Value::Object(m) = &mut v {
                m.insert("t".into(), t.into());
                m.insert("type".into(), q.kind.clone().into());
                m.insert("character_name".into(), app.characters.get(cid).map(|c| c.name).unwrap_or_default().into());
            }
            v
        })
        .collect();
    Ok(Json(json!({"events": events, "next_cursor": next_cursor})))
}
