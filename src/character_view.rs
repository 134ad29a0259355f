//! What the dashboard shows of characters: the live list (`/api/live`), the character list
//! with lifetime figures (`/api/characters`) and one character's page
//! (`/api/characters/{name}`), each composed from live state (the hub), stored telemetry
//! (latest stats, rollups) and the item store, as typed responses.
//!
//! Owns the composition and which source wins (live state over stored rows). Never touches
//! HTTP types and never writes anything.

use crate::app::App;
use crate::live::{LiveCharacter, PluginJson, SessionCounters, TelemetryMessage};
use crate::protocol::Vitals;
use crate::telemetry::{EventKind, TelemetryError};
use serde::Serialize;
use serde_json::Value;

/// How far back a character's page looks for its latest stored stats.
pub const LATEST_LOOKBACK_DAYS: usize = 31;
/// The character list looks back this far for stats of a character with no live telemetry.
const LIST_LOOKBACK_DAYS: usize = 2;
/// A character with no live telemetry shows its last stored position from this far back.
const LAST_POSITION_LOOKBACK_MS: i64 = 3_600_000;

/// Why a view could not be read (stored data that cannot be read).
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("{0}")]
    Telemetry(#[from] TelemetryError),
    #[error("item store: {0}")]
    Items(String),
}

/// `GET /api/live`: characters seen within the live window.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LiveView {
    pub server_time_ms: i64,
    pub characters: Vec<LiveCharacter>,
}

/// `GET /api/characters`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CharacterList {
    pub characters: Vec<CharacterSummary>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CharacterSummary {
    pub character_name: String,
    pub online: bool,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// From live telemetry, else the latest stored character stats.
    pub level: Option<i64>,
    pub total_deaths: Option<i64>,
    pub rares_total: u64,
    /// Items stored for the character.
    pub items: u64,
}

/// `GET /api/characters/{name}`.
///
/// `character_stats`, `combat_stats`, `cantrips`, `quests` and `nearby_objects` are the
/// plugin's own objects (docs/protocol.md §3.7–3.13), normalized and passed through: the
/// plugin owns their shape, so the dashboard types them by hand (`frontend/src/api/plugin.ts`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CharacterDetail {
    pub character_name: String,
    pub online: bool,
    pub last_seen_ms: Option<i64>,
    pub plugin_version: Option<String>,
    /// The live frame, else the last stored one within the hour before the character was last seen.
    pub telemetry: Option<TelemetryMessage>,
    #[cfg_attr(feature = "bindings", ts(type = "CharacterStats | null"))]
    pub character_stats: Option<PluginJson>,
    #[cfg_attr(feature = "bindings", ts(type = "CombatStats | null"))]
    pub combat_stats: Option<PluginJson>,
    pub vitals: Option<Vitals>,
    #[cfg_attr(feature = "bindings", ts(type = "CantripsPayload | null"))]
    pub cantrips: Option<PluginJson>,
    #[cfg_attr(feature = "bindings", ts(type = "QuestsPayload | null"))]
    pub quests: Option<PluginJson>,
    #[cfg_attr(feature = "bindings", ts(type = "NearbyObjectsPayload | null"))]
    pub nearby_objects: Option<PluginJson>,
    /// This session's counters, from the telemetry shown.
    pub session: Option<SessionCounters>,
    /// Totals over every stored hour (`null` for a character only seen live).
    pub lifetime: Option<Lifetime>,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Lifetime {
    pub kills: u64,
    pub deaths: u64,
    pub xp: i64,
    pub rares: u64,
    pub distance_m: f64,
    pub online_s: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

/// Characters seen since `since_ms`.
pub fn live(app: &App, now_ms: i64, since_ms: i64) -> LiveView {
    let characters = app.hub.characters_since(since_ms).iter().map(LiveCharacter::of).collect();
    LiveView { server_time_ms: now_ms, characters }
}

/// Every character ever seen, with lifetime rares and stored item counts.
pub fn list(app: &App) -> Result<CharacterList, ViewError> {
    let all = app.characters.all();
    let totals = app.days.rollup_totals(0, i64::MAX / 2)?;
    let item_counts: std::collections::HashMap<String, u64> = {
        use redb::ReadableDatabase;
        let txn = app.state_db.begin_read().map_err(|e| ViewError::Items(e.to_string()))?;
        let counts = crate::inventory::InventoryStore::new()
            .counts_by_owner(&txn)
            .map_err(|e| ViewError::Items(e.to_string()))?;
        counts.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect()
    };
    let mut out = Vec::with_capacity(all.len());
    for c in all {
        let live = app.hub.character(&c.name);
        let tel = live.as_ref().and_then(|l| l.telemetry.as_ref().map(|t| t.2.clone()));
        // Stats are read only for what telemetry lacks (a character with no live frame).
        let stats: Option<Value> = match (&tel, live.as_ref().and_then(|l| l.character_stats.as_ref())) {
            (Some(_), _) => None,
            (None, Some(raw)) => Some(parse_kept(raw)?),
            (None, None) => latest_stored(app, EventKind::CharacterStats, c.id, LIST_LOOKBACK_DAYS)?,
        };
        let from_stats = |key: &str| stats.as_ref().and_then(|s| s.get(key)).and_then(whole_number);
        out.push(CharacterSummary {
            online: live.as_ref().is_some_and(|l| l.online),
            first_seen_ms: c.first_seen_ms,
            last_seen_ms: live.as_ref().map(|l| l.last_seen_ms).unwrap_or(c.last_seen_ms).max(c.last_seen_ms),
            level: tel.as_ref().and_then(|t| t.level).map(i64::from).or_else(|| from_stats("level")),
            total_deaths: tel
                .as_ref()
                .and_then(|t| t.total_deaths)
                .map(i64::from)
                .or_else(|| from_stats("total_deaths")),
            rares_total: totals.get(&c.id).map(|r| r.rares).unwrap_or(0),
            items: item_counts.get(&c.name.to_lowercase()).copied().unwrap_or(0),
            character_name: c.name,
        });
    }
    Ok(CharacterList { characters: out })
}

/// One character's page, or `None` when no character of that name was ever seen.
pub fn detail(app: &App, name: &str, now_ms: i64) -> Result<Option<CharacterDetail>, ViewError> {
    let live = app.hub.character(name);
    let info = app.characters.by_name(name);
    if live.is_none() && info.is_none() {
        return Ok(None);
    }
    let display = live
        .as_ref()
        .map(|l| l.name.clone())
        .or_else(|| info.as_ref().map(|i| i.name.clone()))
        .unwrap_or_else(|| name.to_string());
    let mut telemetry =
        live.as_ref().and_then(|l| l.telemetry.as_ref()).map(|(r, c, t)| TelemetryMessage::new(&display, *r, *c, t));
    let mut stats = live.as_ref().and_then(|l| l.character_stats.clone());
    let mut combat = live.as_ref().and_then(|l| l.combat_stats.clone());
    let mut lifetime = None;
    if let Some(info) = &info {
        if telemetry.is_none() {
            let rows = app.days.trail(info.id, info.last_seen_ms - LAST_POSITION_LOOKBACK_MS, now_ms)?;
            telemetry = rows.last().map(|r| TelemetryMessage::new(&display, r.t, r.client_time_ms, &r.tel));
        }
        if stats.is_none() {
            stats = latest_stored(app, EventKind::CharacterStats, info.id, LATEST_LOOKBACK_DAYS)?
                .and_then(|v| crate::live::plugin_json("character_stats", &v));
        }
        if combat.is_none() {
            combat = latest_stored(app, EventKind::CombatStats, info.id, LATEST_LOOKBACK_DAYS)?
                .and_then(|v| crate::live::plugin_json("combat_stats", &v));
        }
        let totals = app.days.rollup_totals(0, i64::MAX / 2)?;
        let r = totals.get(&info.id).cloned().unwrap_or_default();
        lifetime = Some(Lifetime {
            kills: r.kills,
            deaths: r.deaths,
            xp: r.xp,
            rares: r.rares,
            distance_m: r.distance_m.round(),
            online_s: r.online_s,
            first_seen_ms: info.first_seen_ms,
            last_seen_ms: info.last_seen_ms,
        });
    }
    let session = telemetry.as_ref().map(|t| SessionCounters::of(&t.body.frame));
    Ok(Some(CharacterDetail {
        character_name: display,
        online: live.as_ref().is_some_and(|l| l.online),
        last_seen_ms: live.as_ref().map(|l| l.last_seen_ms).or(info.as_ref().map(|i| i.last_seen_ms)),
        plugin_version: live.as_ref().and_then(|l| l.plugin_version.clone()),
        telemetry,
        character_stats: stats,
        combat_stats: combat,
        vitals: live.as_ref().and_then(|l| l.vitals.clone()),
        cantrips: live.as_ref().and_then(|l| l.cantrips.clone()),
        quests: live.as_ref().and_then(|l| l.quests.clone()),
        nearby_objects: live.as_ref().and_then(|l| l.nearby_objects.clone()),
        session,
        lifetime,
    }))
}

/// A kept plugin object as a value. The hub keeps only text it serialized itself, so this
/// fails only on damage, which fails the read rather than showing the object as absent.
fn parse_kept(raw: &PluginJson) -> Result<Value, ViewError> {
    serde_json::from_str(raw.get())
        .map_err(|e| ViewError::Telemetry(TelemetryError::Corrupt(format!("kept character_stats: {e}"))))
}

/// A count the plugin sent in a JSON object: an integer, or a float that holds one.
fn whole_number(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
}

/// The latest stored event of `kind` within `days`, with `received_at` added. A stored
/// value that is not JSON is damaged data and fails the read, never shown as absent.
fn latest_stored(app: &App, kind: EventKind, id: u32, days: usize) -> Result<Option<Value>, ViewError> {
    let Some((t, bytes)) = app.days.latest(kind, id, days)? else { return Ok(None) };
    let mut v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| TelemetryError::Corrupt(format!("stored {} of character {id}: {e}", kind.name())))?;
    if let Value::Object(m) = &mut v {
        m.insert("received_at".into(), t.into());
    }
    Ok(Some(v))
}
