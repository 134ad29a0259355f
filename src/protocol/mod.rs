//! Wire types of the plugin and browser sockets (docs/protocol.md), decoded tolerantly and
//! validated once, here, at the boundary.
//!
//! Owns: frame size limits, envelope rules (type, character name), the typed events the
//! server computes on (telemetry, vitals, portal, rare, spawn, chat, share relays, command
//! results), and a key-driven normalizer for the nested kinds that are stored or forwarded
//! as JSON (character_stats, combat_stats, quest, cantrips, nearby_objects, dungeon_map,
//! combat). Never does storage or networking.

pub mod browser;
pub mod lenient;
mod normalize;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use normalize::normalize_tree;

/// Frames of these kinds may be large (a mule's full inventory, a dungeon's geometry).
pub const MAX_LARGE_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// Every other plugin frame: docs/protocol.md §1 suggests 64 KiB.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// docs/protocol.md §1: character names are capped at 64 bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Free-text fields we keep (monster, portal, rare names, chat) are cut to this.
pub const MAX_TEXT_BYTES: usize = 512;
/// A combat batch covers 5 s; more hits than this in one frame is not a real client.
pub const MAX_COMBAT_HITS: usize = 2_000;
/// Recipients named in one share_* frame.
pub const MAX_SHARE_RECIPIENTS: usize = 64;
/// share_* payloads are relayed opaquely; docs/protocol.md §3.15 caps them at 4 KiB.
pub const MAX_SHARE_PAYLOAD_BYTES: usize = 4 * 1024;

/// The size limit for a frame of the given `type` (unknown until parsed, so the socket
/// reader admits up to the large limit and this decides after reading `type`).
pub fn frame_limit_for(kind: &str) -> usize {
    match kind {
        "inventory" | "inventory_delta" | "dungeon_map" => MAX_LARGE_FRAME_BYTES,
        _ => MAX_FRAME_BYTES,
    }
}

/// Why a plugin frame was refused. The message names the field and what was wrong; it is
/// sent back to the plugin as `{"type":"error","code":"bad_request","message"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    NotJson(String),
    NotObject,
    MissingType,
    TooLarge {
        kind: String,
        bytes: usize,
        limit: usize,
    },
    /// A required field is missing or cannot be read.
    Field {
        field: &'static str,
        problem: String,
    },
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::NotJson(e) => write!(f, "frame is not valid JSON: {e}"),
            FrameError::NotObject => f.write_str("frame must be one JSON object"),
            FrameError::MissingType => f.write_str("frame has no string field 'type'"),
            FrameError::TooLarge { kind, bytes, limit } => {
                write!(f, "'{kind}' frame is {bytes} bytes; the limit for this type is {limit}")
            }
            FrameError::Field { field, problem } => write!(f, "field '{field}': {problem}"),
        }
    }
}

impl FrameError {
    fn field(field: &'static str, problem: impl Into<String>) -> Self {
        FrameError::Field { field, problem: problem.into() }
    }
}

/// A decoded plugin frame: its envelope and its body.
#[derive(Debug, Clone)]
pub struct PluginFrame {
    pub character_name: String,
    pub client_time_ms: Option<i64>,
    pub plugin_version: Option<String>,
    pub body: PluginEvent,
}

#[derive(Debug, Clone)]
pub enum PluginEvent {
    Telemetry(Telemetry),
    Vitals(Vitals),
    Portal(Portal),
    Rare(Rare),
    Spawn(Spawn),
    Chat(Chat),
    /// `inventory` or `inventory_delta`: the object is handed to the inventory module as is
    /// (it validates items itself and keeps the good ones of a dump).
    Inventory(Map<String, Value>),
    CharacterStats(Value),
    CombatStats(Value),
    Combat(Value),
    Quest(Value),
    Cantrips(Value),
    NearbyObjects(Value),
    DungeonMap {
        landblock: u16,
        map: Value,
    },
    Share(Share),
    CommandResult {
        request_id: String,
        ok: Option<bool>,
        message: Option<String>,
    },
    /// Logged and counted, never an error (docs/protocol.md §1.5).
    Unknown(String),
}

impl PluginEvent {
    /// The canonical `type` name (aliases resolved), used for metrics and forwarding.
    pub fn kind(&self) -> &str {
        match self {
            PluginEvent::Telemetry(_) => "telemetry",
            PluginEvent::Vitals(_) => "vitals",
            PluginEvent::Portal(_) => "portal",
            PluginEvent::Rare(_) => "rare",
            PluginEvent::Spawn(_) => "spawn",
            PluginEvent::Chat(_) => "chat",
            PluginEvent::Inventory(_) => "inventory",
            PluginEvent::CharacterStats(_) => "character_stats",
            PluginEvent::CombatStats(_) => "combat_stats",
            PluginEvent::Combat(_) => "combat",
            PluginEvent::Quest(_) => "quest",
            PluginEvent::Cantrips(_) => "cantrips",
            PluginEvent::NearbyObjects(_) => "nearby_objects",
            PluginEvent::DungeonMap { .. } => "dungeon_map",
            PluginEvent::Share(s) => &s.kind,
            PluginEvent::CommandResult { .. } => "command_result",
            PluginEvent::Unknown(k) => k,
        }
    }
}

/// docs/protocol.md §3.1, normalized. Everything but the position is optional: a client that
/// omits a counter still gets its position stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "TelemetryFrame"))]
pub struct Telemetry {
    pub landcell: Option<u32>,
    pub local_x: Option<f64>,
    pub local_y: Option<f64>,
    pub z: Option<f64>,
    pub ew: f64,
    pub ns: f64,
    pub heading: Option<f64>,
    pub is_dungeon: bool,
    pub kills: Option<u32>,
    pub kills_per_hour: Option<f64>,
    pub deaths: Option<u32>,
    pub total_deaths: Option<u32>,
    pub rares_found: Option<u32>,
    pub prismatic_taper_count: Option<u32>,
    pub session_seconds: Option<u64>,
    pub xp_per_hour: Option<i64>,
    pub level: Option<u32>,
    pub total_xp: Option<i64>,
    pub luminance: Option<i64>,
    pub vt_state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "VitalsFrame"))]
pub struct Vitals {
    pub health: Option<u32>,
    pub health_max: Option<u32>,
    pub stamina: Option<u32>,
    pub stamina_max: Option<u32>,
    pub mana: Option<u32>,
    pub mana_max: Option<u32>,
    pub vitae: Option<f64>,
}

/// Where something was seen: shared by portal, rare and spawn.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Place {
    pub ew: Option<f64>,
    pub ns: Option<f64>,
    pub z: Option<f64>,
    pub landcell: Option<u32>,
    pub is_dungeon: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Portal {
    pub portal_name: String,
    pub object_id: Option<u32>,
    pub destination: Option<String>,
    pub place: Place,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rare {
    pub rare_name: String,
    pub wcid: Option<u32>,
    pub object_id: Option<u32>,
    pub chat_text: Option<String>,
    pub place: Place,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spawn {
    pub monster_name: String,
    pub object_id: Option<u32>,
    pub wcid: Option<u32>,
    pub place: Place,
}

/// docs/protocol.md §3.9, normalized: one chat line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "ChatLine"))]
pub struct Chat {
    pub channel: Option<String>,
    pub chat_type: Option<u32>,
    pub sender: Option<String>,
    pub text: String,
    pub raw: Option<String>,
}

/// A `share_*` frame: relayed opaquely to the named sockets (docs/protocol.md §3.15).
#[derive(Debug, Clone, PartialEq)]
pub struct Share {
    pub kind: String,
    /// `None` means `"*"`: every online character.
    pub to: Option<Vec<String>>,
    pub payload: Value,
}

/// Decodes one plugin text frame. `bytes` is the frame's length, checked against the
/// per-type limit once the type is known.
pub fn decode_plugin_frame(text: &str) -> Result<PluginFrame, FrameError> {
    let value: Value = serde_json::from_str(text).map_err(|e| FrameError::NotJson(e.to_string()))?;
    let Value::Object(mut obj) = value else {
        return Err(FrameError::NotObject);
    };
    let kind = match obj.get("type") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_ascii_lowercase(),
        _ => return Err(FrameError::MissingType),
    };
    let limit = frame_limit_for(&kind);
    if text.len() > limit {
        return Err(FrameError::TooLarge { kind, bytes: text.len(), limit });
    }
    let name_value = obj.get("character_name").or_else(|| obj.get("player_name"));
    let character_name = validate_character_name(name_value)?;
    let client_time_ms = obj.get("timestamp").and_then(lenient::unix_ms_of);
    let plugin_version = obj.get("plugin_version").and_then(lenient::string_of).map(|s| clip(s, 64));

    let body = match kind.as_str() {
        "telemetry" => PluginEvent::Telemetry(decode_telemetry(&obj)?),
        "vitals" => PluginEvent::Vitals(decode_vitals(&obj)),
        "portal" => PluginEvent::Portal(Portal {
            portal_name: required_text(&obj, "portal_name")?,
            object_id: obj.get("object_id").and_then(lenient::u32_id_of),
            destination: obj.get("destination").and_then(lenient::string_of).map(|s| clip(s, MAX_TEXT_BYTES)),
            place: decode_place(&obj),
        }),
        "rare" => PluginEvent::Rare(Rare {
            rare_name: required_text(&obj, "rare_name")?,
            wcid: obj.get("wcid").and_then(lenient::u32_of),
            object_id: obj.get("object_id").and_then(lenient::u32_id_of),
            chat_text: obj.get("chat_text").and_then(lenient::string_of).map(|s| clip(s, MAX_TEXT_BYTES)),
            place: decode_place(&obj),
        }),
        "spawn" => PluginEvent::Spawn(Spawn {
            monster_name: required_text(&obj, "monster_name")?,
            object_id: obj.get("object_id").and_then(lenient::u32_id_of),
            wcid: obj.get("wcid").and_then(lenient::u32_of),
            place: decode_place(&obj),
        }),
        "chat" => PluginEvent::Chat(Chat {
            channel: obj.get("channel").and_then(lenient::string_of).map(|s| clip(s, 32)),
            chat_type: obj.get("chat_type").and_then(lenient::u32_of),
            sender: obj.get("sender").and_then(lenient::string_of).map(|s| clip(s, MAX_NAME_BYTES)),
            text: required_text(&obj, "text")?,
            raw: obj.get("raw").and_then(lenient::string_of).map(|s| clip(s, MAX_TEXT_BYTES * 2)),
        }),
        "inventory" | "inventory_delta" => {
            if kind == "inventory_delta" {
                obj.insert("mode".into(), Value::String("delta".into()));
            }
            obj.insert("type".into(), Value::String("inventory".into()));
            let mode = obj.get("mode").and_then(Value::as_str).unwrap_or("full");
            if mode != "full" && mode != "delta" {
                return Err(FrameError::field("mode", format!("must be \"full\" or \"delta\", got {mode:?}")));
            }
            PluginEvent::Inventory(obj)
        }
        "character_stats" => PluginEvent::CharacterStats(strip_envelope(obj)),
        "combat_stats" => PluginEvent::CombatStats(strip_envelope(obj)),
        "combat" => {
            if let Some(Value::Array(hits)) = obj.get("hits")
                && hits.len() > MAX_COMBAT_HITS
            {
                return Err(FrameError::field("hits", format!("{} hits; at most {MAX_COMBAT_HITS}", hits.len())));
            }
            PluginEvent::Combat(strip_envelope(obj))
        }
        "quest" => PluginEvent::Quest(decode_quests(obj)),
        "cantrips" => PluginEvent::Cantrips(strip_envelope(obj)),
        "nearby_objects" => PluginEvent::NearbyObjects(strip_envelope(obj)),
        "dungeon_map" => {
            let landblock = decode_landblock(obj.get("landblock"))
                .ok_or_else(|| FrameError::field("landblock", "needs a landblock such as \"0x02F3\""))?;
            let mut map = strip_envelope(obj);
            if let Value::Object(m) = &mut map {
                m.insert("landblock".into(), Value::String(format!("0x{landblock:04X}")));
            }
            PluginEvent::DungeonMap { landblock, map }
        }
        "command_result" => PluginEvent::CommandResult {
            request_id: required_text(&obj, "request_id")?,
            ok: obj.get("ok").and_then(lenient::bool_of),
            message: obj.get("message").and_then(lenient::string_of).map(|s| clip(s, MAX_TEXT_BYTES)),
        },
        k if k.starts_with("share_") && k.len() <= 64 => PluginEvent::Share(decode_share(k, &obj)?),
        other => PluginEvent::Unknown(clip(other.to_string(), 64)),
    };
    Ok(PluginFrame { character_name, client_time_ms, plugin_version, body })
}

/// docs/protocol.md §1: letters, spaces, `'`, `-`, a leading `+` on ACE admin names; ≤ 64 bytes.
pub fn validate_character_name(v: Option<&Value>) -> Result<String, FrameError> {
    let Some(Value::String(raw)) = v else {
        return Err(FrameError::field("character_name", "required string is missing"));
    };
    let name = raw.trim();
    if name.is_empty() {
        return Err(FrameError::field("character_name", "must not be empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(FrameError::field("character_name", format!("longer than {MAX_NAME_BYTES} bytes")));
    }
    let body = name.strip_prefix('+').unwrap_or(name);
    let ok = !body.is_empty() && body.chars().all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '-');
    if !ok {
        return Err(FrameError::field(
            "character_name",
            "may hold only letters, spaces, ' and - (and a leading + for admins)",
        ));
    }
    Ok(name.to_string())
}

/// The case-insensitive key a character is matched by (docs/api.md: names in paths are matched
/// case-insensitively; docs/protocol.md §4: routing is case-insensitive and trimmed).
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn decode_telemetry(obj: &Map<String, Value>) -> Result<Telemetry, FrameError> {
    let f = |k: &str| obj.get(k).and_then(lenient::f64_of);
    let landcell = obj.get("landcell").and_then(lenient::u32_id_of);
    let local_x = f("local_x");
    let local_y = f("local_y");
    let (ew, ns) = match (f("ew"), f("ns")) {
        (Some(ew), Some(ns)) => (ew, ns),
        _ => match (landcell, local_x, local_y) {
            (Some(cell), Some(x), Some(y)) => crate::protocol::map_coords(cell, x, y),
            _ => {
                return Err(FrameError::field("ew", "telemetry needs ew and ns, or landcell with local_x and local_y"));
            }
        },
    };
    if !(-110.0..=110.0).contains(&ew) || !(-110.0..=110.0).contains(&ns) {
        return Err(FrameError::field("ew", format!("map coordinates ({ew}, {ns}) are outside Dereth")));
    }
    let is_dungeon = match obj.get("is_dungeon").and_then(lenient::bool_of) {
        Some(b) => b,
        None => landcell.is_some_and(is_known_dungeon_cell),
    };
    Ok(Telemetry {
        landcell,
        local_x,
        local_y,
        z: f("z"),
        ew,
        ns,
        heading: f("heading").map(|h| h.rem_euclid(360.0)),
        is_dungeon,
        kills: obj.get("kills").and_then(lenient::u32_of),
        kills_per_hour: f("kills_per_hour").filter(|v| *v >= 0.0),
        deaths: obj.get("deaths").and_then(lenient::u32_of),
        total_deaths: obj.get("total_deaths").and_then(lenient::u32_of),
        rares_found: obj.get("rares_found").and_then(lenient::u32_of),
        prismatic_taper_count: obj.get("prismatic_taper_count").and_then(lenient::u32_of),
        session_seconds: obj.get("session_seconds").and_then(lenient::u64_of),
        xp_per_hour: obj.get("xp_per_hour").and_then(lenient::i64_of),
        level: obj.get("level").and_then(lenient::u32_of),
        total_xp: obj.get("total_xp").and_then(lenient::i64_of),
        luminance: obj.get("luminance").and_then(lenient::i64_of),
        vt_state: obj.get("vt_state").and_then(lenient::string_of).map(|s| clip(s, 32)),
    })
}

fn decode_vitals(obj: &Map<String, Value>) -> Vitals {
    let u = |k: &str| obj.get(k).and_then(lenient::u32_of);
    Vitals {
        health: u("health"),
        health_max: u("health_max"),
        stamina: u("stamina"),
        stamina_max: u("stamina_max"),
        mana: u("mana"),
        mana_max: u("mana_max"),
        vitae: obj.get("vitae").and_then(lenient::f64_of).map(|v| v.clamp(0.0, 1.0)),
    }
}

pub fn decode_place(obj: &Map<String, Value>) -> Place {
    let landcell = obj.get("landcell").and_then(lenient::u32_id_of);
    Place {
        ew: obj.get("ew").and_then(lenient::f64_of),
        ns: obj.get("ns").and_then(lenient::f64_of),
        z: obj.get("z").and_then(lenient::f64_of),
        landcell,
        is_dungeon: obj
            .get("is_dungeon")
            .and_then(lenient::bool_of)
            .unwrap_or_else(|| landcell.is_some_and(is_known_dungeon_cell)),
    }
}

fn decode_quests(obj: Map<String, Value>) -> Value {
    let mut v = strip_envelope(obj);
    // docs/protocol.md §3.8: the server derives ready_at = last_completed + repeat_seconds.
    if let Some(Value::Array(quests)) = v.get_mut("quests") {
        for q in quests.iter_mut() {
            let Value::Object(q) = q else { continue };
            let last = q.get("last_completed").and_then(lenient::unix_ms_of);
            let repeat = q.get("repeat_seconds").and_then(lenient::i64_of);
            if let (Some(last_ms), Some(rep)) = (last, repeat) {
                q.insert("ready_at_ms".into(), Value::from(last_ms + rep.max(0) * 1000));
            }
        }
    }
    v
}

fn decode_share(kind: &str, obj: &Map<String, Value>) -> Result<Share, FrameError> {
    let to = match obj.get("to") {
        Some(Value::String(s)) if s.trim() == "*" => None,
        Some(Value::String(s)) => Some(vec![s.trim().to_string()]),
        Some(Value::Array(names)) => {
            if names.len() > MAX_SHARE_RECIPIENTS {
                return Err(FrameError::field("to", format!("at most {MAX_SHARE_RECIPIENTS} recipients")));
            }
            Some(names.iter().filter_map(lenient::string_of).collect())
        }
        _ => return Err(FrameError::field("to", "needs \"*\" or a list of character names")),
    };
    let payload = obj.get("payload").cloned().unwrap_or(Value::Null);
    let size = serde_json::to_vec(&payload).map(|b| b.len()).unwrap_or(usize::MAX);
    if size > MAX_SHARE_PAYLOAD_BYTES {
        return Err(FrameError::field("payload", format!("{size} bytes; at most {MAX_SHARE_PAYLOAD_BYTES}")));
    }
    Ok(Share { kind: kind.to_string(), to, payload })
}

fn decode_landblock(v: Option<&Value>) -> Option<u16> {
    let id = lenient::u32_id_of(v?)?;
    // "0x02F3" is a landblock; "0x02F30100" a cell in it.
    if id > 0xFFFF { Some((id >> 16) as u16) } else { Some(id as u16) }
}

fn required_text(obj: &Map<String, Value>, field: &'static str) -> Result<String, FrameError> {
    obj.get(field)
        .and_then(lenient::string_of)
        .map(|s| clip(s, MAX_TEXT_BYTES))
        .ok_or_else(|| FrameError::field(field, "required text is missing or empty"))
}

/// Removes the envelope fields and normalizes numbers and ids throughout.
fn strip_envelope(mut obj: Map<String, Value>) -> Value {
    for k in ["type", "character_name", "player_name", "timestamp", "plugin_version"] {
        obj.remove(k);
    }
    let mut v = Value::Object(obj);
    normalize_tree(&mut v);
    v
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub fn clip(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

// ---------------------------------------------------------------------------------------
// Map coordinates (docs/protocol.md §2.1).

/// Landcell plus local metres → map coordinates `(ew, ns)` in the radar form.
pub fn map_coords(landcell: u32, local_x: f64, local_y: f64) -> (f64, f64) {
    let xx = f64::from((landcell >> 24) & 0xFF);
    let yy = f64::from((landcell >> 16) & 0xFF);
    let gx = xx * 192.0 + local_x;
    let gy = yy * 192.0 + local_y;
    (gx / 240.0 - 101.95, gy / 240.0 - 101.95)
}

/// `"42.1N, 33.6E"`.
pub fn format_coords(ew: f64, ns: f64) -> String {
    let ns_s = if ns >= 0.0 { format!("{:.1}N", ns) } else { format!("{:.1}S", -ns) };
    let ew_s = if ew >= 0.0 { format!("{:.1}E", ew) } else { format!("{:.1}W", -ew) };
    format!("{ns_s}, {ew_s}")
}

/// Landblocks made only of EnvCells that we know to be dungeons (docs/protocol.md §2.1: used
/// only when the plugin does not say `is_dungeon`). A short list of well-known ones; the
/// plugin's flag is the authority.
const KNOWN_DUNGEON_LANDBLOCKS: &[u16] = &[0x02F3, 0x01D3, 0x0163, 0x5F2B, 0x0007, 0x00BD, 0x8A02];

pub fn is_known_dungeon_cell(landcell: u32) -> bool {
    let cell = landcell & 0xFFFF;
    (0x0100..0xFFFE).contains(&cell) && KNOWN_DUNGEON_LANDBLOCKS.contains(&((landcell >> 16) as u16))
}

#[cfg(test)]
mod tests;
