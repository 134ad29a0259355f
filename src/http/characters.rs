//! `/api/live`, `/api/characters`, one character's detail, trail and series.

use super::{ApiError, AppState, clamp_limit, now_ms, time_range};
use crate::live::{render, telemetry_json, vitals_json};
use crate::telemetry::block::Row;
use crate::telemetry::{CharacterInfo, EventKind};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Trail points returned at most (api.md: default 5,000, at most 100,000).
pub const TRAIL_DEFAULT_POINTS: usize = 5_000;
pub const TRAIL_MAX_POINTS: usize = 100_000;
/// Series buckets at most (a chart has no use for more).
pub const SERIES_MAX_BUCKETS: i64 = 10_000;
/// A query may span at most this long (retention is the real bound).
const MAX_RANGE_MS: i64 = 400 * 86_400_000;
/// protocol.md §2.1: fixes more than ~1 map unit apart start a new trail segment.
pub const TELEPORT_UNITS: f64 = 1.0;
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

fn resolve(app: &AppState, name: &str) -> Result<CharacterInfo, ApiError> {
    app.characters.by_name(name).ok_or_else(|| ApiError::NotFound(format!("no character named '{name}' has been seen")))
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
) -> Result<Json<Value>, ApiError> {
    let info = resolve(&app, &name)?;
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref(), 3_600_000)?;
    if to - from > MAX_RANGE_MS {
        return Err(ApiError::BadRequest("the time range is longer than 400 days".into()));
    }
    let max_points = clamp_limit(q.max_points, TRAIL_DEFAULT_POINTS, TRAIL_MAX_POINTS);
    let rows = tokio::task::spawn_blocking({
        let app = app.clone();
        move || thin_trail(&app.days, info.id, from, to, max_points)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let (points, segments) = trail_points(&rows, max_points);
    Ok(Json(json!({"character_name": info.name, "points": points, "segments": segments})))
}

/// The fields of a telemetry row a trail needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TrailPoint {
    pub t: i64,
    pub ew: f64,
    pub ns: f64,
    pub z: Option<f64>,
    pub landcell: Option<u32>,
    pub is_dungeon: bool,
}

impl TrailPoint {
    pub fn of(r: &Row) -> TrailPoint {
        TrailPoint {
            t: r.t,
            ew: r.tel.ew,
            ns: r.tel.ns,
            z: r.tel.z,
            landcell: r.tel.landcell,
            is_dungeon: r.tel.is_dungeon,
        }
    }
}

/// A teleport or a dungeon change between consecutive fixes starts a new segment.
fn is_break(a: &TrailPoint, b: &TrailPoint) -> bool {
    let jump = ((a.ew - b.ew).powi(2) + (a.ns - b.ns).powi(2)).sqrt();
    jump > TELEPORT_UNITS || a.is_dungeon != b.is_dungeon
}

/// Reads a trail in bounded memory, however long the range. Every fix is kept until more
/// than `4 × max_points` are held; then the kept fixes are thinned to a minimum time gap
/// (doubled each time the budget fills again), except the two fixes around each segment
/// break, which are pinned, so the down-sampling that follows still sees every segment
/// whole. (A year at one fix a second is 31 M rows; this holds ≤ 4 × max plus the breaks.)
pub fn thin_trail(
    days: &crate::telemetry::DayFiles,
    id: u32,
    from: i64,
    to: i64,
    max_points: usize,
) -> Result<Vec<TrailPoint>, crate::telemetry::StoreError> {
    let budget = max_points.saturating_mul(4).max(16);
    let mut gap = 0i64;
    // (fix, pinned)
    let mut kept: Vec<(TrailPoint, bool)> = Vec::new();
    let mut prev: Option<(TrailPoint, bool)> = None;
    days.trail_for_each(id, from, to, |r| {
        let p = TrailPoint::of(&r);
        let broke = prev.as_ref().is_some_and(|(q, _)| is_break(q, &p));
        if broke {
            match prev.take() {
                Some((q, false)) => kept.push((q, true)),
                Some((_, true)) => {
                    if let Some(last) = kept.last_mut() {
                        last.1 = true;
                    }
                }
                None => {}
            }
        }
        let keep = broke || kept.last().is_none_or(|(k, _)| p.t - k.t >= gap);
        if keep {
            kept.push((p.clone(), broke));
        }
        prev = Some((p, keep));
        if kept.len() > budget {
            gap = (gap * 2).max((to - from) / budget as i64).max(1);
            let mut last_t = i64::MIN;
            kept.retain(|(k, pinned)| {
                let stay = *pinned || k.t.saturating_sub(last_t) >= gap;
                if stay {
                    last_t = k.t;
                }
                stay
            });
            // The newest fix may have been thinned away; the next keep test uses what is left.
            if let Some((q, kept_it)) = prev.as_mut() {
                *kept_it = kept.last().is_some_and(|(k, _)| k.t == q.t);
            }
        }
        true
    })?;
    if let Some((q, false)) = prev {
        kept.push((q, false));
    }
    let mut out: Vec<TrailPoint> = kept.into_iter().map(|(p, _)| p).collect();
    out.sort_by_key(|p| p.t);
    Ok(out)
}

/// Splits fixes into segments at teleports and dungeon changes, then down-samples each
/// segment evenly, always keeping its first and last point so the shape survives.
pub fn trail_points(rows: &[TrailPoint], max_points: usize) -> (Vec<Value>, Vec<[usize; 2]>) {
    let mut bounds = Vec::new();
    let mut start = 0;
    for i in 1..rows.len() {
        if is_break(&rows[i - 1], &rows[i]) {
            bounds.push((start, i - 1));
            start = i;
        }
    }
    if !rows.is_empty() {
        bounds.push((start, rows.len() - 1));
    }
    let total = rows.len().max(1);
    let mut points = Vec::new();
    let mut segments = Vec::new();
    for (s, e) in bounds {
        let len = e - s + 1;
        let budget = ((len as f64 / total as f64) * max_points as f64).floor().max(2.0) as usize;
        let first_index = points.len();
        let picks: Vec<usize> = if len <= budget {
            (s..=e).collect()
        } else {
            let step = (len - 1) as f64 / (budget - 1) as f64;
            let mut v: Vec<usize> = (0..budget).map(|k| s + (k as f64 * step).round() as usize).collect();
            v.dedup();
            v
        };
        for i in picks {
            let r = &rows[i];
            points.push(
                json!({"t": r.t, "ew": r.ew, "ns": r.ns, "z": r.z, "landcell": r.landcell, "is_dungeon": r.is_dungeon}),
            );
        }
        segments.push([first_index, points.len() - 1]);
    }
    (points, segments)
}

#[derive(Deserialize)]
struct SeriesQuery {
    metric: String,
    from: Option<String>,
    to: Option<String>,
    step_s: Option<i64>,
}

const SERIES_METRICS: &[&str] =
    &["kills", "kills_per_hour", "deaths", "xp_per_hour", "total_xp", "level", "luminance", "prismatic_taper_count"];

/// Steps of an hour or more answer the two rates from the hourly rollups — kills or XP per
/// hour online in each step — so long-range charts stay cheap and outlive the day files
/// that retention deletes. Everything else is the last reported value in each step, read
/// block by block so memory holds one value per step.
fn series_points(
    days: &crate::telemetry::DayFiles,
    id: u32,
    metric: &str,
    from: i64,
    to: i64,
    step_ms: i64,
) -> Result<Vec<(i64, f64)>, crate::telemetry::StoreError> {
    let bucket_of = |t: i64| from + (t - from).div_euclid(step_ms) * step_ms;
    if step_ms >= 3_600_000 && (metric == "kills_per_hour" || metric == "xp_per_hour") {
        let first_hour = from - from.rem_euclid(3_600_000);
        let mut sums: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
        for (hour, r) in days.rollup_hours(id, first_hour, to)? {
            let e = sums.entry(bucket_of(hour.max(from))).or_default();
            e.0 += if metric == "kills_per_hour" { r.kills as f64 } else { r.xp as f64 };
            e.1 += r.online_s;
        }
        // Under a minute online says nothing about a rate.
        return Ok(sums
            .into_iter()
            .filter(|(_, (_, online))| *online >= 60)
            .map(|(b, (n, online))| (b, (n * 3600.0 / online as f64).round()))
            .collect());
    }
    let mut last: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
    days.trail_for_each(id, from, to, |r| {
        if let Some(v) = metric_value(&r, metric) {
            let e = last.entry(bucket_of(r.t)).or_insert((r.t, v));
            if r.t >= e.0 {
                *e = (r.t, v);
            }
        }
        true
    })?;
    Ok(last.into_iter().map(|(b, (_, v))| (b, v)).collect())
}

fn metric_value(r: &Row, metric: &str) -> Option<f64> {
    let t = &r.tel;
    match metric {
        "kills" => t.kills.map(f64::from),
        "kills_per_hour" => t.kills_per_hour,
        "deaths" => t.deaths.map(f64::from),
        "xp_per_hour" => t.xp_per_hour.map(|v| v as f64),
        "total_xp" => t.total_xp.map(|v| v as f64),
        "level" => t.level.map(f64::from),
        "luminance" => t.luminance.map(|v| v as f64),
        "prismatic_taper_count" => t.prismatic_taper_count.map(f64::from),
        _ => None,
    }
}

async fn series(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<Value>, ApiError> {
    if !SERIES_METRICS.contains(&q.metric.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "parameter 'metric': '{}' is not one of {}",
            q.metric,
            SERIES_METRICS.join(", ")
        )));
    }
    let info = resolve(&app, &name)?;
    let (from, to) = time_range(q.from.as_deref(), q.to.as_deref(), 86_400_000)?;
    if to - from > MAX_RANGE_MS {
        return Err(ApiError::BadRequest("the time range is longer than 400 days".into()));
    }
    let span_s = ((to - from) / 1000).max(1);
    let step_s = q.step_s.unwrap_or((span_s / 300).max(10)).max(1).max(span_s / SERIES_MAX_BUCKETS);
    let step_ms = step_s * 1000;
    let metric = q.metric.clone();
    let points = tokio::task::spawn_blocking({
        let app = app.clone();
        move || series_points(&app.days, info.id, &metric, from, to, step_ms)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let points: Vec<Value> = points.into_iter().map(|(t, v)| json!([t, v])).collect();
    Ok(Json(json!({"metric": q.metric, "step_s": step_s, "points": points})))
}
