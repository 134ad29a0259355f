//! Builds every plugin → server frame of docs/protocol.md §3 from a character's state, in the
//! wire shape a real (C#/.NET, Decal) plugin produces, including the §1 quirks a given
//! plugin build shows: numbers sent as strings, comma decimals, signed or hex landcells and
//! object ids, .NET 7-digit timestamps with or without an offset, old type aliases.
//!
//! Owns JSON shapes and quirk rendering only. Never changes character state and never
//! does I/O; the per-character `WireStyle` (`wire_style`) is rolled once so a socket stays
//! consistent.

use rand::Rng;
use rand::seq::IndexedRandom;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::character::{Character, Hit, Monster, Place};
use super::items::wire_id;
pub use super::quests::QuestEntry;
use super::roster::ChatLine;
pub use super::wire_style::{LandcellForm, WireStyle};
use super::world::{self, DUNGEONS, RareItem};

/// Enchantments listed in one `cantrips` frame at most (keeps it within 1–3 KB).
pub const MAX_ENCHANTMENTS: usize = 60;
/// Objects listed in one `nearby_objects` frame at most.
pub const MAX_NEARBY_OBJECTS: usize = 24;

/// One plugin → server frame, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// Built as a JSON tree: every frame type except telemetry, where clarity wins.
    Json(Value),
    /// Serialized directly without a tree: telemetry, the hot path at load-test rates
    /// (building a `Value` map costs several times more than the text itself).
    Text { kind: &'static str, text: String },
}

impl Frame {
    /// The frame's `type`.
    pub fn kind(&self) -> &str {
        match self {
            Frame::Json(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
            Frame::Text { kind, .. } => kind,
        }
    }

    /// The JSON text to put on the wire.
    pub fn into_text(self) -> Result<String, serde_json::Error> {
        match self {
            Frame::Json(v) => serde_json::to_string(&v),
            Frame::Text { text, .. } => Ok(text),
        }
    }

    /// The frame as a JSON value (parses pre-serialized text; for tests and tools).
    pub fn to_value(&self) -> Value {
        match self {
            Frame::Json(v) => v.clone(),
            Frame::Text { text, .. } => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

impl From<Value> for Frame {
    fn from(v: Value) -> Frame {
        Frame::Json(v)
    }
}

/// A scalar the plugin writes as a number or as a string, depending on the build.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum Wire {
    U(u32),
    I(i64),
    S(String),
    F(f64),
    Null,
}

impl Wire {
    fn into_value(self) -> Value {
        match self {
            Wire::U(v) => json!(v),
            Wire::I(v) => json!(v),
            Wire::S(v) => json!(v),
            Wire::F(v) => json!(v),
            Wire::Null => Value::Null,
        }
    }
}

// ---- envelope and quirk helpers ----

fn envelope(c: &Character, ty: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    let key = if c.style.old_build { "player_name" } else { "character_name" };
    m.insert(key.into(), json!(c.name));
    m
}

fn timed_envelope(c: &Character, ty: &str) -> Map<String, Value> {
    let mut m = envelope(c, ty);
    m.insert("timestamp".into(), json!(timestamp(c)));
    m.insert("plugin_version".into(), json!(c.style.plugin_version));
    m
}

/// The client's clock reading at the character's current simulated time, in .NET's `"o"`
/// format (7 fractional digits, `Z` or a local offset) for quirky builds.
pub fn timestamp(c: &Character) -> String {
    let ticks_100ns = (c.cfg.start_unix_ms + c.style.clock_skew_ms) * 10_000 + (c.t * 1e7) as i64;
    format_dotnet_time(ticks_100ns, c.style.utc_offset_min, c.style.fraction_digits)
}

/// Formats unix time in 100 ns ticks as RFC 3339 with `digits` fractional digits.
pub fn format_dotnet_time(ticks_100ns: i64, offset_min: Option<i32>, digits: u32) -> String {
    use chrono::{Datelike, Timelike};
    let offset_s = i64::from(offset_min.unwrap_or(0)) * 60;
    let secs = ticks_100ns.div_euclid(10_000_000) + offset_s;
    let frac = ticks_100ns.rem_euclid(10_000_000);
    let dt = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    let digits = digits.clamp(1, 7);
    let frac = frac / 10i64.pow(7 - digits);
    // Field by field rather than strftime: this runs for every telemetry frame.
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:0width$}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        frac,
        width = digits as usize
    );
    match offset_min {
        None => out.push('Z'),
        Some(m) => {
            let sign = if m < 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
        }
    }
    out
}

fn landcell_wire(c: &Character, landcell: u32) -> Wire {
    match c.style.landcell {
        LandcellForm::Signed => Wire::I(i64::from(landcell as i32)),
        LandcellForm::Hex => Wire::S(format!("0x{landcell:08X}")),
        LandcellForm::Unsigned => Wire::U(landcell),
    }
}

fn landcell_value(c: &Character, landcell: u32) -> Value {
    landcell_wire(c, landcell).into_value()
}

fn object_id_value(c: &Character, id: u32) -> Value {
    if c.style.hex_ids { json!(format!("0x{id:08X}")) } else { wire_id(id, c.style.signed_ids) }
}

/// A counter the plugin is known to send as a string (docs/protocol.md §1.1).
fn stringy_u32(c: &Character, v: u32) -> Wire {
    if c.style.strings_for_numbers { Wire::S(v.to_string()) } else { Wire::U(v) }
}

/// A rate the plugin sends as a string; `None` (zero elapsed) is .NET's `"NaN"`.
fn stringy_rate(c: &Character, v: Option<f64>) -> Wire {
    match (v, c.style.strings_for_numbers) {
        (Some(x), true) => {
            let s = format!("{x:.1}");
            Wire::S(if c.style.comma_decimal { s.replace('.', ",") } else { s })
        }
        (Some(x), false) => Wire::F((x * 10.0).round() / 10.0),
        (None, true) => Wire::S("NaN".into()),
        (None, false) => Wire::Null,
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Position fields shared by portal, rare and spawn frames.
fn put_position(m: &mut Map<String, Value>, c: &Character, d_east: f64, d_north: f64) {
    let p = c.land_pos();
    let (landcell, coords) = match c.place {
        Place::Outdoor { gx, gy } => {
            let (x, y) = (gx + d_east, gy + d_north);
            let lc = world::land_pos_at_global(x, y).map(|l| l.landcell).unwrap_or(p.landcell);
            (lc, world::map_from_global(x, y))
        }
        Place::Dungeon { .. } => (p.landcell, world::map_coords(p.landcell, p.x + d_east, p.y + d_north)),
    };
    m.insert("ew".into(), json!(r3(coords.ew)));
    m.insert("ns".into(), json!(r3(coords.ns)));
    m.insert("z".into(), json!(r2(c.z)));
    m.insert("landcell".into(), landcell_value(c, landcell));
    m.insert("is_dungeon".into(), json!(c.in_dungeon()));
}

// ---- frames ----

/// §3.1 telemetry, field order as the plugin writes it.
#[derive(Serialize)]
struct TelemetryWire<'a> {
    #[serde(rename = "type")]
    ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    character_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    player_name: Option<&'a str>,
    timestamp: String,
    plugin_version: &'static str,
    landcell: Wire,
    local_x: f64,
    local_y: f64,
    z: f64,
    ew: f64,
    ns: f64,
    heading: f64,
    is_dungeon: bool,
    kills: u32,
    kills_per_hour: Wire,
    deaths: Wire,
    total_deaths: Wire,
    rares_found: u32,
    prismatic_taper_count: Wire,
    session_seconds: u64,
    xp_per_hour: i64,
    level: u16,
    total_xp: i64,
    luminance: Option<i64>,
    vt_state: &'static str,
}

fn telemetry_wire(c: &Character) -> TelemetryWire<'_> {
    let p = c.land_pos();
    let coords = world::map_coords(p.landcell, p.x, p.y);
    let (character_name, player_name) =
        if c.style.old_build { (None, Some(c.name.as_str())) } else { (Some(c.name.as_str()), None) };
    TelemetryWire {
        ty: "telemetry",
        character_name,
        player_name,
        timestamp: timestamp(c),
        plugin_version: c.style.plugin_version,
        landcell: landcell_wire(c, p.landcell),
        local_x: r2(p.x),
        local_y: r2(p.y),
        z: r2(c.z),
        ew: r3(coords.ew),
        ns: r3(coords.ns),
        heading: r2(c.heading).rem_euclid(360.0),
        is_dungeon: c.in_dungeon(),
        kills: c.kills,
        kills_per_hour: stringy_rate(c, c.kills_per_hour()),
        deaths: stringy_u32(c, c.deaths),
        total_deaths: stringy_u32(c, c.total_deaths),
        rares_found: c.rares_found,
        prismatic_taper_count: stringy_u32(c, c.inventory.taper_count()),
        session_seconds: c.t as u64,
        xp_per_hour: c.xp_per_hour(),
        level: c.level,
        total_xp: c.total_xp,
        luminance: c.luminance.map(|l| l.0),
        vt_state: c.vt_state(),
    }
}

/// §3.1 telemetry as a JSON value.
pub fn telemetry(c: &Character) -> Value {
    serde_json::to_value(telemetry_wire(c)).unwrap_or(Value::Null)
}

/// §3.1 telemetry serialized straight to text (the load-test hot path).
pub fn telemetry_frame(c: &Character) -> Frame {
    match serde_json::to_string(&telemetry_wire(c)) {
        Ok(text) => Frame::Text { kind: "telemetry", text },
        Err(_) => Frame::Json(telemetry(c)),
    }
}

/// §3.2 vitals.
pub fn vitals(c: &Character) -> Value {
    let mut m = envelope(c, "vitals");
    m.insert("health".into(), json!(c.health.0));
    m.insert("health_max".into(), json!(c.health.1));
    m.insert("stamina".into(), json!(c.stamina.0));
    m.insert("stamina_max".into(), json!(c.stamina.1));
    m.insert("mana".into(), json!(c.mana.0));
    m.insert("mana_max".into(), json!(c.mana.1));
    let vitae = r2(c.vitae);
    m.insert("vitae".into(), if c.style.vitae_as_string { json!(format!("{vitae:.2}")) } else { json!(vitae) });
    Value::Object(m)
}

/// §3.3 inventory, mode full.
pub fn inventory_full(c: &Character) -> Value {
    let items = c.inventory.render_all();
    let mut m = timed_envelope(c, "inventory");
    m.insert("mode".into(), json!("full"));
    m.insert("complete".into(), json!(true));
    m.insert("item_count".into(), json!(items.len()));
    m.insert("items".into(), Value::Array(items));
    Value::Object(m)
}

/// §3.3 inventory, mode delta (old builds send the `inventory_delta` alias).
pub fn inventory_delta(c: &Character, added: Vec<Value>, updated: Vec<Value>, removed: Vec<Value>) -> Value {
    let mut m = if c.style.old_build {
        envelope(c, "inventory_delta")
    } else {
        let mut m = envelope(c, "inventory");
        m.insert("mode".into(), json!("delta"));
        m
    };
    m.insert("added".into(), Value::Array(added));
    m.insert("updated".into(), Value::Array(updated));
    m.insert("removed".into(), Value::Array(removed));
    Value::Object(m)
}

/// §3.4 portal seen near the character.
pub fn portal(c: &mut Character) -> Value {
    let name = world::PORTAL_NAMES.choose(&mut c.rng).copied().unwrap_or("Tie Portal");
    // World portals are static objects (0x7…); summoned ones (tie portals) are dynamic.
    let id = if name == "Tie Portal" {
        0x8000_0000 | c.rng.random_range(0..0x7FFF_FFFFu32)
    } else {
        0x7000_0000 | (u32::from(name.len() as u8) << 16) | c.rng.random_range(0..0xFFFFu32)
    };
    let destination = name.strip_prefix("Portal to ").filter(|_| c.rng.random_bool(0.4)).map(str::to_string);
    let (de, dn) = (c.rng.random_range(-30.0..30.0), c.rng.random_range(-30.0..30.0));
    let mut m = envelope(c, "portal");
    m.insert("portal_name".into(), json!(name));
    m.insert("object_id".into(), object_id_value(c, id));
    put_position(&mut m, c, de, dn);
    m.insert("destination".into(), json!(destination));
    Value::Object(m)
}

/// §3.5 rare found.
pub fn rare(c: &Character, rare: &RareItem, object_id: Option<u32>) -> Value {
    let mut m = envelope(c, "rare");
    m.insert("rare_name".into(), json!(rare.name));
    if let Some(w) = rare.wcid {
        m.insert("wcid".into(), json!(w));
    }
    if let Some(id) = object_id {
        m.insert("object_id".into(), object_id_value(c, id));
    }
    put_position(&mut m, c, 0.0, 0.0);
    m.insert("chat_text".into(), json!(format!("{} has discovered the {}!", c.name, rare.name)));
    Value::Object(m)
}

/// §3.6 combat batch.
pub(super) fn combat(c: &Character, hits: &[Hit]) -> Value {
    let mut m = envelope(c, "combat");
    m.insert("window_s".into(), json!(5));
    let hits: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({
                "dir": if h.given { "given" } else { "received" },
                "other": h.other, "attack": h.attack, "element": h.element, "damage": h.damage,
                "crit": h.crit, "overpower": false, "sneak": false, "reckless": false,
                "killing_blow": h.killing_blow, "failed": h.failed,
            })
        })
        .collect();
    m.insert("hits".into(), Value::Array(hits));
    Value::Object(m)
}

/// §3.7 combat_stats (session aggregates).
pub fn combat_stats(c: &Character) -> Value {
    let side = |s: &super::character::CombatSide, kills: Option<u32>| {
        let by: Map<String, Value> = s.by_element.iter().map(|(e, d)| ((*e).to_string(), json!(d))).collect();
        let mut o = json!({
            "attacks": s.attacks, "failed": s.failed, "crits": s.crits, "damage": s.damage,
            "max_hit": s.max_hit, "by_element": by,
        });
        if let (Some(k), Some(obj)) = (kills, o.as_object_mut()) {
            obj.insert("kills".into(), json!(k));
        }
        o
    };
    let mut top: Vec<_> = c.top_targets.clone();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)));
    let top: Vec<Value> =
        top.iter().take(5).map(|(n, k, d)| json!({"name": n, "kills": k, "damage_given": d})).collect();
    let mut m = envelope(c, "combat_stats");
    m.insert("session_seconds".into(), json!(c.t as u64));
    m.insert("given".into(), side(&c.given, Some(c.kills)));
    m.insert("received".into(), side(&c.received, None));
    m.insert("top_targets".into(), Value::Array(top));
    Value::Object(m)
}

/// §3.8 quest timers.
pub fn quest(c: &Character) -> Value {
    let mut m = envelope(c, "quest");
    let q: Vec<Value> = c
        .quests
        .iter()
        .map(|q| {
            json!({"name": q.name, "solves": q.solves, "last_completed": q.last_completed,
                   "max_solves": q.max_solves, "repeat_seconds": q.repeat_seconds,
                   "description": q.description})
        })
        .collect();
    m.insert("quests".into(), Value::Array(q));
    Value::Object(m)
}

/// §3.9 allegiance chat: the same line from every member's plugin.
pub fn chat(c: &Character, line: &ChatLine) -> Value {
    let raw = if line.sender == c.name {
        format!("[Allegiance] You say, \"{}\"", line.text)
    } else {
        format!("[Allegiance] {} says, \"{}\"", line.sender, line.text)
    };
    let mut m = envelope(c, "chat");
    m.insert("channel".into(), json!("allegiance"));
    m.insert("chat_type".into(), json!(18));
    m.insert("sender".into(), json!(line.sender));
    m.insert("text".into(), json!(line.text));
    m.insert("raw".into(), json!(raw));
    Value::Object(m)
}

/// §3.10 character_stats.
pub fn character_stats(c: &Character) -> Value {
    use super::character::{CharacterKind, LEVEL_CAP, xp_for_level};
    let l = u32::from(c.level);
    let (str_, end, coord, quick, focus, self_) = match c.kind {
        CharacterKind::Melee => (290, 200, 200, 200, 100, 100),
        CharacterKind::Archer => (150, 200, 290, 200, 100, 100),
        _ => (100, 150, 100, 100, 290, 290),
    };
    let attr = |base: u32| {
        let b = base.min(10 + base * l / 275 + 10);
        json!({"base": b, "current": b + 66})
    };
    let strength = str_.min(10 + str_ * l / 275 + 10) + 66;
    let capacity = 150 * strength + 30 * strength * c.augmentations.min(5);
    let skill = |id: u32, training: &str, base: u32| {
        let b = base * l / 275 + 50;
        json!({"id": id, "training": training, "base": b, "current": b + 82})
    };
    let mut skills = Map::new();
    match c.kind {
        CharacterKind::Melee => {
            skills.insert("heavy_weapons".into(), skill(44, "Specialized", 560));
            skills.insert("shield".into(), skill(48, "Trained", 300));
        }
        CharacterKind::Archer => {
            skills.insert("missile_weapons".into(), skill(47, "Specialized", 540));
        }
        _ => {
            skills.insert("war_magic".into(), skill(34, "Specialized", 520));
            skills.insert("life_magic".into(), skill(33, "Specialized", 500));
            skills.insert("creature_enchantment".into(), skill(31, "Specialized", 480));
            skills.insert("item_enchantment".into(), skill(32, "Trained", 450));
            skills.insert("mana_conversion".into(), skill(16, "Trained", 400));
            skills.insert("arcane_lore".into(), skill(14, "Trained", 300));
        }
    }
    skills.insert("melee_defense".into(), skill(6, "Specialized", 520));
    skills.insert("missile_defense".into(), skill(7, "Trained", 420));
    skills.insert("magic_defense".into(), skill(15, "Specialized", 450));
    let unassigned = if c.level >= LEVEL_CAP { c.session_xp.min(5_000_000_000) } else { c.session_xp / 20 };
    let to_next = if c.level >= LEVEL_CAP { 0 } else { xp_for_level(c.level + 1) - c.total_xp };
    let mut m = envelope(c, "character_stats");
    m.insert("server".into(), json!("Coldeve"));
    m.insert("account_hash".into(), json!(c.account_hash));
    m.insert("level".into(), json!(c.level));
    m.insert("total_xp".into(), json!(c.total_xp));
    m.insert("unassigned_xp".into(), json!(unassigned));
    m.insert("xp_to_next_level".into(), json!(to_next.max(0)));
    m.insert("luminance".into(), json!(c.luminance.map(|l| l.0)));
    m.insert("luminance_max".into(), json!(c.luminance.map(|l| l.1)));
    m.insert("race".into(), json!(c.race));
    m.insert("gender".into(), json!(c.gender));
    m.insert("burden".into(), json!(c.inventory.burden()));
    m.insert("burden_capacity".into(), json!(capacity));
    m.insert("pyreals".into(), json!(c.inventory.pyreals()));
    m.insert("total_deaths".into(), json!(c.total_deaths));
    m.insert("vitae".into(), json!(r2(c.vitae)));
    let birth = chrono::DateTime::from_timestamp(c.birth_unix_s, 0).unwrap_or_default();
    m.insert("birth".into(), json!(birth.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
    m.insert("age_seconds".into(), json!((c.cfg.start_unix_ms / 1000 - c.birth_unix_s) / 4 + c.t as i64));
    m.insert(
        "allegiance".into(),
        json!({"name": c.allegiance_name, "monarch": c.monarch, "patron": c.patron,
               "rank": (l / 40).clamp(1, 10), "followers": c.index % 4}),
    );
    m.insert(
        "attributes".into(),
        json!({"strength": attr(str_), "endurance": attr(end), "coordination": attr(coord),
               "quickness": attr(quick), "focus": attr(focus), "self": attr(self_)}),
    );
    m.insert("vitals_max".into(), json!({"health": c.health.1, "stamina": c.stamina.1, "mana": c.mana.1}));
    m.insert("skills".into(), Value::Object(skills));
    let rating = |scale: u32| l * scale / 275;
    m.insert(
        "ratings".into(),
        json!({"damage": rating(20), "damage_resist": rating(12), "crit": rating(5), "crit_resist": 0,
               "crit_damage": rating(18), "crit_damage_resist": rating(6), "heal_boost": rating(4),
               "vitality": rating(3)}),
    );
    m.insert("augmentations".into(), json!(c.augmentations));
    Value::Object(m)
}

/// §3.11 spawn: a monster seen for the first time.
pub(super) fn spawn(c: &Character, monster: &Monster) -> Value {
    let mut m = envelope(c, "spawn");
    m.insert("monster_name".into(), json!(monster.name));
    m.insert("object_id".into(), object_id_value(c, monster.id));
    m.insert("wcid".into(), Value::Null);
    put_position(&mut m, c, monster.d_east, monster.d_north);
    Value::Object(m)
}

/// §3.12 active enchantments: worn-item cantrips (-1) and cast buffs.
pub fn cantrips(c: &Character) -> Value {
    let mut list: Vec<Value> = Vec::new();
    let mut summary = [0u32; 4];
    for (id, name) in c.inventory.worn_cantrips().iter().take(MAX_ENCHANTMENTS) {
        for (i, tier) in ["Minor ", "Major ", "Epic ", "Legendary "].iter().enumerate() {
            if name.starts_with(tier) {
                summary[i] += 1;
            }
        }
        list.push(json!({"spell_id": id, "name": name, "source": "item", "remaining_s": -1}));
    }
    for (id, name, expires) in &c.buffs {
        if list.len() >= MAX_ENCHANTMENTS {
            break;
        }
        let remaining = (expires - c.t).round();
        if remaining > 0.0 {
            list.push(json!({"spell_id": id, "name": name, "source": "cast", "remaining_s": remaining as i64}));
        }
    }
    let mut m = envelope(c, "cantrips");
    m.insert("enchantments".into(), Value::Array(list));
    m.insert(
        "summary".into(),
        json!({"legendary": summary[3], "epic": summary[2], "major": summary[1], "minor": summary[0]}),
    );
    Value::Object(m)
}

/// §3.13 radar list: tracked monsters plus allegiance mates parked nearby.
pub fn nearby_objects(c: &mut Character) -> Value {
    let here = c.coords();
    let mut objects: Vec<Value> = c
        .monsters
        .iter()
        .take(MAX_NEARBY_OBJECTS)
        .map(|mon| {
            let dist = (mon.d_east * mon.d_east + mon.d_north * mon.d_north).sqrt();
            json!({
                "object_id": object_id_value(c, mon.id), "name": mon.name, "object_class": "Monster",
                "ew": r2(here.ew + mon.d_east / world::MAP_UNIT_M),
                "ns": r2(here.ns + mon.d_north / world::MAP_UNIT_M),
                "z": r2(c.z), "distance_m": r2(dist), "health_pct": r2(mon.health_pct),
            })
        })
        .collect();
    let mate_near = c.kind.is_idle() || c.rng.random_bool(0.2);
    if mate_near && let Some(f) = c.fellows.first() {
        let d = c.rng.random_range(2.0..30.0);
        objects.push(json!({
            "object_id": 0x5000_0001u32 + (c.index as u32 + 1) % 0x0FFF_FFFF, "name": f,
            "object_class": "Player", "ew": r2(here.ew), "ns": r2(here.ns), "z": r2(c.z),
            "distance_m": r2(d), "health_pct": Value::Null,
        }));
    }
    let mut m = envelope(c, "nearby_objects");
    m.insert("radius_m".into(), json!(75));
    m.insert("objects".into(), Value::Array(objects));
    Value::Object(m)
}

/// §3.14 dungeon geometry of `DUNGEONS[index]`, echoing `request_id` when asked.
pub fn dungeon_map(c: &Character, index: usize, request_id: Option<Value>) -> Value {
    let d = DUNGEONS[index % DUNGEONS.len()];
    let cells = world::dungeon_cells(index);
    let side = world::DUNGEON_CELL_SIDE_M;
    let (mut lo, mut hi) = ([f64::MAX; 3], [f64::MIN; 3]);
    let cell_values: Vec<Value> = cells
        .iter()
        .map(|cell| {
            for (i, v) in [cell.x, cell.y, cell.z].into_iter().enumerate() {
                lo[i] = lo[i].min(v);
                hi[i] = hi[i].max(v + if i < 2 { side } else { 6.0 });
            }
            let id = (u32::from(d.landblock) << 16) | u32::from(cell.cell);
            json!({
                "cell": format!("0x{id:08X}"), "x": cell.x, "y": cell.y, "z": cell.z, "rot": cell.rot,
                "floor": [[[0, 0], [10, 0], [10, 10], [0, 10]]],
            })
        })
        .collect();
    if cells.is_empty() {
        lo = [0.0; 3];
        hi = [0.0; 3];
    }
    let mut m = envelope(c, "dungeon_map");
    if let Some(r) = request_id {
        m.insert("request_id".into(), r);
    }
    m.insert("landblock".into(), json!(format!("0x{:04X}", d.landblock)));
    m.insert("name".into(), json!(d.name));
    m.insert("cell_count".into(), json!(cells.len()));
    m.insert("bounds".into(), json!({"min": lo, "max": hi}));
    m.insert("cells".into(), Value::Array(cell_values));
    Value::Object(m)
}

/// §3.15 a peer-to-peer relay: vitals to fellows, or the current target to everyone.
pub fn share(c: &mut Character) -> Value {
    let target_share = c.rng.random_bool(0.5);
    if let (Some(mon), true) = (c.monsters.first(), target_share) {
        let mut m = envelope(c, "share_target");
        m.insert("to".into(), json!("*"));
        m.insert("payload".into(), json!({"object_id": object_id_value(c, mon.id), "name": mon.name}));
        return Value::Object(m);
    }
    let n = c.fellows.len().min(c.rng.random_range(1..=2));
    let to: Vec<&String> = c.fellows.iter().take(n).collect();
    let pct = |v: (u32, u32)| r2(f64::from(v.0) / f64::from(v.1.max(1)));
    let mut m = envelope(c, "share_vitals");
    m.insert("to".into(), json!(to));
    m.insert(
        "payload".into(),
        json!({"health_pct": pct(c.health), "stamina_pct": pct(c.stamina), "mana_pct": pct(c.mana)}),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_text_and_value_forms_agree() {
        use crate::sim::character::CharacterConfig;
        use crate::sim::roster::Roster;
        for quirks in [true, false] {
            let cfg = CharacterConfig { quirks, ..CharacterConfig::default() };
            let roster = Roster::generate(3, 30);
            for e in &roster.entries {
                let mut c = Character::new(e, ("A", "B", None, Vec::new()), &cfg);
                let mut out = Vec::new();
                c.login(&mut out, true);
                c.advance(42.0, &mut out);
                let text = telemetry_frame(&c).into_text().expect("serializes");
                let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
                assert_eq!(parsed, telemetry(&c));
                assert!(text.starts_with(r#"{"type":"telemetry","#), "{text}");
            }
        }
    }

    #[test]
    fn dotnet_timestamps_have_seven_digits_and_parse() {
        let ticks = 17_488_021_251_234_567_i64;
        let s = format_dotnet_time(ticks, None, 7);
        assert_eq!(s, "2025-06-01T18:22:05.1234567Z");
        assert_eq!(crate::protocol::lenient::parse_rfc3339_ms(&s), Some(1_748_802_125_123));
        let local = format_dotnet_time(ticks, Some(120), 7);
        assert_eq!(local, "2025-06-01T20:22:05.1234567+02:00");
        assert_eq!(crate::protocol::lenient::parse_rfc3339_ms(&local), Some(1_748_802_125_123));
        let west = format_dotnet_time(ticks, Some(-300), 3);
        assert_eq!(west, "2025-06-01T13:22:05.123-05:00");
    }
}
