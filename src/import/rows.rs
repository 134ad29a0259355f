//! One old row (column values as JSON values) → one persisted event, through the same
//! tolerant decoders the live socket uses (`protocol::decode_telemetry`, `decode_place`,
//! `lenient`). A row that cannot be decoded yields a [`Skip`] naming why; it never aborts.
//! Never touches storage.

use super::columns::{ColumnPlan, Slot, TableKind};
use crate::protocol::{self, Portal, Rare, Spawn, lenient};
use crate::telemetry::Persisted;
use serde_json::{Map, Value};

/// Earliest time a row may carry (Asheron's Call tools of this kind are younger).
pub const MIN_TIME_MS: i64 = 946_684_800_000;
/// A row may be at most this far in the future of the import's clock.
pub const MAX_FUTURE_MS: i64 = 86_400_000;
/// character_stats / combat_stats documents larger than a plugin frame are refused.
const MAX_DOCUMENT_BYTES: usize = protocol::MAX_FRAME_BYTES;

/// One decoded row.
#[derive(Debug, Clone, PartialEq)]
pub struct Rec {
    pub character: String,
    pub t: i64,
    pub plugin_version: Option<String>,
    pub event: Persisted,
    /// Portals: when it was last seen, if the old table kept that.
    pub last_seen: Option<i64>,
}

/// Why a row was skipped: a short category (counted) and the detail (kept for the first
/// few examples).
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub reason: &'static str,
    pub detail: String,
}

impl Skip {
    fn new(reason: &'static str, detail: impl Into<String>) -> Skip {
        Skip { reason, detail: detail.into() }
    }
}

/// Decodes rows of one table; keeps one reusable object so a row costs no key allocation.
pub struct RowDecoder {
    plan: ColumnPlan,
    obj: Map<String, Value>,
    now_ms: i64,
}

impl RowDecoder {
    pub fn new(plan: ColumnPlan, now_ms: i64) -> RowDecoder {
        RowDecoder { plan, obj: Map::new(), now_ms }
    }

    #[cfg(test)]
    pub fn plan(&self) -> &ColumnPlan {
        &self.plan
    }

    /// Decodes one row; `row[i]` is column `i`'s value (`Null` for SQL NULL). Values are
    /// taken out of `row`.
    pub fn decode(&mut self, row: &mut [Value]) -> Result<Rec, Skip> {
        let mut time = None;
        let mut character = None;
        let mut plugin_version = None;
        let mut last_seen = None;
        let mut base = None;
        let mut extras: Vec<(&str, Value)> = Vec::new();
        for slot in self.obj.values_mut() {
            *slot = Value::Null;
        }
        for (i, slot) in self.plan.slots.iter().enumerate() {
            let Some(slot) = slot else { continue };
            let Some(cell) = row.get_mut(i) else { continue };
            let v = std::mem::take(cell);
            match slot {
                Slot::Time => time = Some(v),
                Slot::Character => character = Some(v),
                Slot::PluginVersion => plugin_version = lenient::string_of(&v).map(|s| protocol::clip(s, 64)),
                Slot::LastSeen => last_seen = lenient::unix_ms_of(&v),
                Slot::JsonBase => base = Some(v),
                Slot::Extra(name) => {
                    if !v.is_null() {
                        extras.push((name.as_str(), v));
                    }
                }
                Slot::OnlineTime => {
                    if let Some(s) = online_seconds(&v) {
                        set(&mut self.obj, "session_seconds", Value::from(s));
                    }
                }
                Slot::Field(f) => {
                    if !v.is_null() {
                        set(&mut self.obj, f, v);
                    }
                }
            }
        }
        let t = match time {
            None | Some(Value::Null) => return Err(Skip::new("no time", "the row's time column is empty")),
            Some(v) => lenient::unix_ms_of(&v).ok_or_else(|| Skip::new("unreadable time", format!("time {v}")))?,
        };
        if t < MIN_TIME_MS || t > self.now_ms + MAX_FUTURE_MS {
            return Err(Skip::new("time out of range", format!("time {t} ms is before 2000 or in the future")));
        }
        let character = protocol::validate_character_name(character.as_ref()).map_err(|e| {
            let shown = character.as_ref().map(|v| protocol::clip(v.to_string(), 80)).unwrap_or_default();
            Skip::new("bad character_name", format!("{e}: {shown}"))
        })?;
        let event = match self.plan.kind {
            TableKind::Telemetry => Persisted::Telemetry(
                protocol::decode_telemetry(&self.obj).map_err(|e| Skip::new("bad telemetry", e.to_string()))?,
            ),
            TableKind::Spawn => Persisted::Spawn(Spawn {
                monster_name: self.text("monster_name")?,
                object_id: self.obj.get("object_id").and_then(lenient::u32_id_of),
                wcid: self.obj.get("wcid").and_then(lenient::u32_of),
                place: protocol::decode_place(&self.obj),
            }),
            TableKind::Rare => Persisted::Rare(Rare {
                rare_name: self.text("rare_name")?,
                wcid: self.obj.get("wcid").and_then(lenient::u32_of),
                object_id: self.obj.get("object_id").and_then(lenient::u32_id_of),
                chat_text: self
                    .obj
                    .get("chat_text")
                    .and_then(lenient::string_of)
                    .map(|s| protocol::clip(s, protocol::MAX_TEXT_BYTES)),
                place: protocol::decode_place(&self.obj),
            }),
            TableKind::Portal => Persisted::Portal(Portal {
                portal_name: self.text("portal_name")?,
                object_id: self.obj.get("object_id").and_then(lenient::u32_id_of),
                destination: self
                    .obj
                    .get("destination")
                    .and_then(lenient::string_of)
                    .map(|s| protocol::clip(s, protocol::MAX_TEXT_BYTES)),
                place: protocol::decode_place(&self.obj),
            }),
            TableKind::CharacterStats => Persisted::CharacterStats(document(base, extras)?),
            TableKind::CombatStats => Persisted::CombatStats(document(base, extras)?),
            TableKind::Users | TableKind::Aggregate | TableKind::Unknown => {
                return Err(Skip::new("not an event table", self.plan.kind.name()));
            }
        };
        Ok(Rec { character, t, plugin_version, event, last_seen })
    }

    fn text(&self, field: &'static str) -> Result<String, Skip> {
        self.obj
            .get(field)
            .and_then(lenient::string_of)
            .map(|s| protocol::clip(s, protocol::MAX_TEXT_BYTES))
            .ok_or_else(|| Skip::new("missing name", format!("{field} is empty")))
    }
}

fn set(obj: &mut Map<String, Value>, key: &str, v: Value) {
    match obj.get_mut(key) {
        Some(slot) => *slot = v,
        None => {
            obj.insert(key.to_string(), v);
        }
    }
}

/// The old `onlinetime`: seconds as a number, or `[d.]hh:mm:ss`.
fn online_seconds(v: &Value) -> Option<u64> {
    if let Some(s) = lenient::u64_of(v) {
        return Some(s);
    }
    let text = v.as_str()?.trim();
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') => (d.parse::<u64>().ok()?, rest),
        _ => (0, text),
    };
    let parts: Vec<u64> = clock.split(':').map(|p| p.trim().parse::<u64>().ok()).collect::<Option<_>>()?;
    let [h, m, s] = parts.as_slice() else { return None };
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// A character_stats / combat_stats document: the JSON column (the plugin's message) with
/// the other columns filled in where it lacks them, envelope removed, normalized like a
/// live frame.
fn document(base: Option<Value>, extras: Vec<(&str, Value)>) -> Result<String, Skip> {
    let mut obj = match base {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(Value::String(s)) => match serde_json::from_str::<Value>(&s) {
            Ok(Value::Object(m)) => m,
            _ => return Err(Skip::new("bad document", "the JSON column does not hold a JSON object")),
        },
        Some(other) => return Err(Skip::new("bad document", format!("the JSON column holds {other}"))),
    };
    for (k, v) in extras {
        obj.entry(k.to_string()).or_insert(v);
    }
    for k in ["type", "character_name", "player_name", "timestamp", "plugin_version"] {
        obj.remove(k);
    }
    let mut v = Value::Object(obj);
    protocol::normalize_tree(&mut v);
    let text = v.to_string();
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(Skip::new("too large", format!("{} bytes; at most {MAX_DOCUMENT_BYTES}", text.len())));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoder(kind: TableKind, cols: &[&str]) -> RowDecoder {
        let cols: Vec<String> = cols.iter().map(|s| s.to_string()).collect();
        RowDecoder::new(ColumnPlan::new(kind, &cols), 1_800_000_000_000)
    }

    #[test]
    fn awkward_telemetry_decodes_like_the_live_socket() {
        let mut d = decoder(
            TableKind::Telemetry,
            &["character_name", "timestamp", "ew", "ns", "landcell", "kills_per_hour", "deaths", "onlinetime"],
        );
        let mut row = vec![
            json!("Mossy Tank"),
            json!("2025-06-01T20:22:05.1234567+02:00"),
            json!("33,589"),
            json!(42.099),
            json!(-1447821287),
            json!("612,4"),
            json!("3"),
            json!("1.02:03:04"),
        ];
        let rec = d.decode(&mut row).expect("decodes");
        assert_eq!(rec.t, 1_748_802_125_123);
        let Persisted::Telemetry(t) = rec.event else { panic!("telemetry") };
        assert_eq!(t.landcell, Some(0xA9B4_0019));
        assert_eq!(t.kills_per_hour, Some(612.4));
        assert_eq!(t.deaths, Some(3));
        assert!((t.ew - 33.589).abs() < 1e-9);
        assert_eq!(t.session_seconds, Some(86_400 + 2 * 3600 + 3 * 60 + 4));
        // The decoder is reused: a second row with NULLs does not inherit the first's values.
        let mut row2 = vec![
            json!("Mossy Tank"),
            json!(1_748_802_130_000i64),
            json!("0xZZ"),
            json!(null),
            json!("0xA9B40019"),
            json!(null),
            json!(null),
            json!(null),
        ];
        let skip = d.decode(&mut row2).expect_err("no coordinates");
        assert_eq!(skip.reason, "bad telemetry");
    }

    #[test]
    fn rows_without_time_or_with_bad_names_are_skipped_with_reasons() {
        let mut d = decoder(TableKind::Rare, &["character_name", "name", "timestamp"]);
        assert_eq!(d.decode(&mut [json!("A"), json!("Gem"), json!(null)]).unwrap_err().reason, "no time");
        assert_eq!(
            d.decode(&mut [json!("R2D2"), json!("Gem"), json!("2025-06-01T00:00:00Z")]).unwrap_err().reason,
            "bad character_name"
        );
        assert_eq!(
            d.decode(&mut [json!("Al"), json!("Gem"), json!("1999-06-01T00:00:00Z")]).unwrap_err().reason,
            "time out of range"
        );
        let ok = d.decode(&mut [json!("Al"), json!("Gem"), json!("2025-06-01T00:00:00Z")]).expect("rare");
        assert!(matches!(ok.event, Persisted::Rare(r) if r.rare_name == "Gem"));
    }

    #[test]
    fn stats_documents_merge_the_json_column_and_the_other_columns() {
        let mut d = decoder(TableKind::CharacterStats, &["id", "character_name", "timestamp", "level", "stats_data"]);
        let mut row = vec![
            json!(7),
            json!("Al"),
            json!("2025-06-01T00:00:00Z"),
            json!("275"),
            json!(r#"{"type":"character_stats","total_xp":"191226310247","level":274}"#),
        ];
        let rec = d.decode(&mut row).expect("stats");
        let Persisted::CharacterStats(text) = rec.event else { panic!("stats") };
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["level"], json!(274), "the document wins over a column");
        assert_eq!(v["total_xp"], json!(191_226_310_247i64));
        assert!(v.get("type").is_none());
        assert_eq!(d.plan().unused(&["id".into(), "a".into()]), vec!["id"]);
    }
}
