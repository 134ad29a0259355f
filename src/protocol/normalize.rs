//! Key-driven normalization of nested plugin JSON (character_stats, combat_stats, quests,
//! cantrips, nearby_objects, dungeon maps, combat batches).
//!
//! These kinds are stored or forwarded as JSON rather than as typed structs, because their
//! shape is wide and the dashboard reads them as they are. docs/protocol.md §4 still promises
//! browsers *normalized* values: real numbers, u32 ids. So every value under a known id
//! key becomes a u32, and a string under a known numeric or boolean key becomes a number
//! or a boolean; names and free text are never touched.

use super::lenient;
use serde_json::Value;

/// Keys whose values are 32-bit game ids, sent signed or as hex by Decal.
const ID_KEYS: &[&str] = &["object_id", "landcell", "cell", "container_id", "wcid", "spell_id", "target_id"];

/// Keys whose values are booleans that .NET may print as "True".
const BOOL_KEYS: &[&str] = &["is_dungeon", "overpower", "sneak", "reckless", "killing_blow", "complete", "ok"];

/// Keys whose values are numbers (counts, points, rates, coordinates). `crit` and `failed`
/// are counts in combat_stats but flags in combat hits, so they are handled by value.
const NUMBER_KEYS: &[&str] = &[
    "level",
    "total_xp",
    "unassigned_xp",
    "xp_to_next_level",
    "luminance",
    "luminance_max",
    "burden",
    "burden_capacity",
    "pyreals",
    "total_deaths",
    "vitae",
    "age_seconds",
    "rank",
    "followers",
    "base",
    "current",
    "max",
    "health",
    "stamina",
    "mana",
    "health_max",
    "stamina_max",
    "mana_max",
    "augmentations",
    "kills",
    "deaths",
    "damage",
    "attacks",
    "crits",
    "max_hit",
    "session_seconds",
    "damage_given",
    "solves",
    "last_completed",
    "max_solves",
    "repeat_seconds",
    "remaining_s",
    "radius_m",
    "ew",
    "ns",
    "z",
    "distance_m",
    "health_pct",
    "stamina_pct",
    "mana_pct",
    "x",
    "y",
    "rot",
    "cell_count",
    "window_s",
    "legendary",
    "epic",
    "major",
    "minor",
    "crit_resist",
    "crit_damage",
    "crit_damage_resist",
    "heal_boost",
    "vitality",
    "damage_resist",
    "kills_per_hour",
    "xp_per_hour",
    "id",
    "value",
    "training_points",
];

const DUAL_KEYS: &[&str] = &["crit", "failed"];

/// Normalizes `v` in place. Recursion depth is bounded by serde_json's own parse limit.
pub fn normalize_tree(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                let key = k.as_str();
                if ID_KEYS.contains(&key) {
                    if let Some(id) = scalar(child).and_then(lenient::u32_id_of) {
                        *child = Value::from(id);
                    } else if child.is_string() {
                        *child = Value::Null;
                    }
                } else if BOOL_KEYS.contains(&key) {
                    if let Some(b) = scalar(child).and_then(lenient::bool_of) {
                        *child = Value::Bool(b);
                    }
                } else if NUMBER_KEYS.contains(&key) || DUAL_KEYS.contains(&key) {
                    normalize_number(child, DUAL_KEYS.contains(&key));
                } else {
                    normalize_tree(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_tree),
        _ => {}
    }
}

fn scalar(v: &Value) -> Option<&Value> {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)).then_some(v)
}

fn normalize_number(v: &mut Value, may_be_bool: bool) {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if may_be_bool && (t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false")) {
                *v = Value::Bool(t.eq_ignore_ascii_case("true"));
                return;
            }
            *v = match lenient::i64_of(v).map(Value::from).or_else(|| lenient::f64_of(v).map(Value::from)) {
                Some(n) => n,
                None => Value::Null,
            };
        }
        Value::Object(_) | Value::Array(_) => normalize_tree(v),
        _ => {}
    }
}
