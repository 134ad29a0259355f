//! The suit request (docs/api.md "Suit builder") and the character profile, as the solver reads
//! them, with their limits.
//!
//! Owns: [`SuitRequest`], [`Profile`], every named limit on request sizes, and request
//! validation into 413/422-class [`SolverError`]s. Must never: fetch items or profiles
//! (the HTTP layer resolves `owners` and the stored `character_stats`), or search.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::SolverError;
use super::model::{NUM_RATINGS, RATING_NAMES, Wearable, rating_index};
use crate::game::cantrips::{Tier, family_key, is_item_acting};
use crate::protocol::lenient::{i64_of, string_of, u32_id_of, u32_of};

/// Most items one solve takes (413 beyond): a character with all its mules rarely holds
/// more than 2,000 wearables; 5,000 keeps the O(n²) dominance pass under a second.
pub const MAX_ITEMS: usize = 5_000;
/// Most owners (characters) named in one request.
pub const MAX_OWNERS: usize = 100;
/// Most wanted spell families: the search keeps them in 64-bit sets.
pub const MAX_WANTED_SPELLS: usize = 64;
/// Most distinct suits returned.
pub const MAX_TOP_K: usize = 20;
/// Longest search a request may ask for.
pub const MAX_TIME_LIMIT_MS: u64 = 120_000;
/// Search time when the request names none.
pub const DEFAULT_TIME_LIMIT_MS: u64 = 30_000;
/// Most locked items: a suit has 25 positions.
pub const MAX_LOCKED: usize = 25;
/// Most excluded ids.
pub const MAX_EXCLUDED: usize = MAX_ITEMS;
/// Most set tables a request may replace.
pub const MAX_SET_OVERRIDES: usize = 128;
/// Most (count, value) entries in one set table.
pub const MAX_SET_TABLE_ENTRIES: usize = 32;
/// Largest piece count (or item-level sum) a set table may name.
pub const MAX_SET_COUNT: u32 = 100;
/// Largest value of a set table entry.
pub const MAX_SET_VALUE: i64 = 1_000_000_000;
/// Largest spell, armor or rating weight. With the item clamps in `model` this keeps every
/// score below 10^13, so the search's fixed-point bounds never overflow an i64.
pub const MAX_WEIGHT: i64 = 1_000_000;
/// Most values in one filter list.
pub const MAX_FILTER_VALUES: usize = 64;
/// Most worker threads a request may ask for.
pub const MAX_THREADS: usize = 64;
/// Default weight of a spell point (a Legendary cantrip is 4 points).
pub const DEFAULT_SPELL_WEIGHT: i64 = 1_000;
/// Default weight of one point of a gear rating (docs/solver.md §5: the eight main ratings).
pub const DEFAULT_RATING_WEIGHT: i64 = 100;
/// Default weight of one armor level point per part covered.
pub const DEFAULT_ARMOR_WEIGHT: i64 = 1;

/// The ratings weighted by default (nether and life resist are 0 unless asked for).
const DEFAULT_WEIGHTED_RATINGS: [&str; 8] =
    ["damage", "damage_resist", "crit", "crit_resist", "crit_damage", "crit_damage_resist", "heal_boost", "vitality"];

/// A suit request (docs/api.md). With `owners` the HTTP layer loads the items of those
/// characters; with `items` the request is self-contained. Unknown fields are ignored.
#[derive(Clone, Debug, Deserialize)]
pub struct SuitRequest {
    /// The character being suited: attuned items of other owners are not eligible.
    pub character: String,
    #[serde(default)]
    pub owners: Option<Vec<String>>,
    #[serde(default)]
    pub items: Option<Vec<Wearable>>,
    /// The docs/api.md profile shape; without it the HTTP layer may pass the character's
    /// stored `character_stats` (see [`Profile::from_character_stats`]).
    #[serde(default, deserialize_with = "de_profile")]
    pub profile: Option<Profile>,
    #[serde(default)]
    pub wanted_spells: Vec<WantedSpell>,
    #[serde(default)]
    pub sets: Vec<SetOverride>,
    #[serde(default, deserialize_with = "de_ids")]
    pub locked: Vec<u32>,
    #[serde(default, deserialize_with = "de_ids")]
    pub excluded: Vec<u32>,
    /// `armor_<rating>_tiers: [values]` keeps armor whose rating is one of the values,
    /// e.g. `armor_crit_damage_tiers: [0, 1]`. Other item kinds and locked items pass.
    #[serde(default)]
    pub filters: BTreeMap<String, Vec<i64>>,
    #[serde(default)]
    pub weights: Weights,
    /// Per-rating caps on the summed rating (`{"crit_damage": 4}`).
    #[serde(default)]
    pub caps: BTreeMap<String, i64>,
    #[serde(default = "default_true")]
    pub allow_reduction: bool,
    #[serde(default = "default_top_k")]
    pub top_k: usize,
    #[serde(default)]
    pub time_limit_ms: Option<u64>,
    /// Worker threads; default `std::thread::available_parallelism()`. The result is the
    /// same for every thread count.
    #[serde(default)]
    pub threads: Option<usize>,
}

/// `{"family": "Strength", "min_tier": "Epic"}`: below `min_tier` the family scores 0.
#[derive(Clone, Debug, Deserialize)]
pub struct WantedSpell {
    pub family: String,
    #[serde(default)]
    pub min_tier: Option<String>,
}

/// `{"set_id": 13, "values": {"5": 10000}}` replaces set 13's table for this request.
/// `count_by` may be `"pieces"` or `"item_level"` (default: the shipped table's, else
/// pieces); `name` relabels it.
#[derive(Clone, Debug, Deserialize)]
pub struct SetOverride {
    pub set_id: u32,
    pub values: BTreeMap<String, i64>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub count_by: Option<String>,
}

/// `{"spell": 1000, "armor": 1, "ratings": {"crit_damage": 100}}`; listed ratings
/// replace their defaults, the others keep theirs.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Weights {
    #[serde(default)]
    pub spell: Option<i64>,
    #[serde(default)]
    pub armor: Option<i64>,
    #[serde(default)]
    pub ratings: BTreeMap<String, i64>,
}

fn default_true() -> bool {
    true
}
fn default_top_k() -> usize {
    1
}

impl SuitRequest {
    /// Checks every size and value against its limit. `TooLarge` (413) for too many
    /// items; `Invalid` (422) for the rest, naming the field and the fix.
    pub fn validate(&self) -> Result<(), SolverError> {
        let inv = |m: String| Err(SolverError::Invalid(m));
        if self.character.trim().is_empty() {
            return inv("character is empty: name the character to suit".into());
        }
        if self.owners.is_some() && self.items.is_some() {
            return inv("give either owners or items, not both".into());
        }
        if let Some(items) = &self.items
            && items.len() > MAX_ITEMS
        {
            return Err(SolverError::TooLarge(format!(
                "{} items given; at most {MAX_ITEMS} per request: exclude some or name fewer owners",
                items.len()
            )));
        }
        if let Some(owners) = &self.owners
            && owners.len() > MAX_OWNERS
        {
            return inv(format!("{} owners given; at most {MAX_OWNERS}", owners.len()));
        }
        if self.wanted_spells.len() > MAX_WANTED_SPELLS {
            return inv(format!("{} wanted_spells given; at most {MAX_WANTED_SPELLS}", self.wanted_spells.len()));
        }
        let mut seen = Vec::new();
        for w in &self.wanted_spells {
            let key = family_key(&w.family);
            if key.is_empty() {
                return inv("a wanted_spells entry has an empty family".into());
            }
            if is_item_acting(&key) {
                return inv(format!(
                    "wanted spell family \"{}\" acts on the item, not the wearer, and never counts toward a suit: remove it",
                    w.family
                ));
            }
            if seen.contains(&key) {
                return inv(format!("wanted spell family \"{}\" is listed twice", w.family));
            }
            if let Some(t) = &w.min_tier
                && Tier::parse(t).is_none()
            {
                return inv(format!(
                    "min_tier \"{t}\" of \"{}\" is not a tier: use Minor, Moderate, Major, Epic or Legendary",
                    w.family
                ));
            }
            seen.push(key);
        }
        if self.sets.len() > MAX_SET_OVERRIDES {
            return inv(format!("{} set tables given; at most {MAX_SET_OVERRIDES}", self.sets.len()));
        }
        for s in &self.sets {
            parse_set_values(s)?;
            if let Some(c) = &s.count_by
                && c != "pieces"
                && c != "item_level"
            {
                return inv(format!("set {}: count_by must be \"pieces\" or \"item_level\"", s.set_id));
            }
        }
        if self.locked.len() > MAX_LOCKED {
            return inv(format!("{} locked items; at most {MAX_LOCKED}", self.locked.len()));
        }
        if self.excluded.len() > MAX_EXCLUDED {
            return inv(format!("{} excluded items; at most {MAX_EXCLUDED}", self.excluded.len()));
        }
        if let Some(id) = self.locked.iter().find(|id| self.excluded.contains(id)) {
            return inv(format!("item {id} is both locked and excluded: choose one"));
        }
        for (key, values) in &self.filters {
            filter_rating(key)?;
            if values.len() > MAX_FILTER_VALUES {
                return inv(format!("filter {key} lists {} values; at most {MAX_FILTER_VALUES}", values.len()));
            }
        }
        self.spell_weight()?;
        self.armor_weight()?;
        self.rating_weights()?;
        self.rating_caps()?;
        if self.top_k == 0 || self.top_k > MAX_TOP_K {
            return inv(format!("top_k is {}; it must be 1 to {MAX_TOP_K}", self.top_k));
        }
        if let Some(t) = self.time_limit_ms
            && (t == 0 || t > MAX_TIME_LIMIT_MS)
        {
            return inv(format!("time_limit_ms is {t}; it must be 1 to {MAX_TIME_LIMIT_MS}"));
        }
        if let Some(t) = self.threads
            && (t == 0 || t > MAX_THREADS)
        {
            return inv(format!("threads is {t}; it must be 1 to {MAX_THREADS}"));
        }
        Ok(())
    }

    pub fn spell_weight(&self) -> Result<i64, SolverError> {
        check_weight("weights.spell", self.weights.spell.unwrap_or(DEFAULT_SPELL_WEIGHT))
    }

    pub fn armor_weight(&self) -> Result<i64, SolverError> {
        check_weight("weights.armor", self.weights.armor.unwrap_or(DEFAULT_ARMOR_WEIGHT))
    }

    /// Weight per rating, defaults merged with the request's.
    pub fn rating_weights(&self) -> Result<[i64; NUM_RATINGS], SolverError> {
        let mut w = [0i64; NUM_RATINGS];
        for name in DEFAULT_WEIGHTED_RATINGS {
            if let Some(i) = rating_index(name) {
                w[i] = DEFAULT_RATING_WEIGHT;
            }
        }
        for (name, value) in &self.weights.ratings {
            let i = known_rating(name, "weights.ratings")?;
            w[i] = check_weight(&format!("weights.ratings.{name}"), *value)?;
        }
        Ok(w)
    }

    /// Cap per rating (`None` = uncapped).
    pub fn rating_caps(&self) -> Result<[Option<i64>; NUM_RATINGS], SolverError> {
        let mut caps = [None; NUM_RATINGS];
        for (name, value) in &self.caps {
            let i = known_rating(name, "caps")?;
            if *value < 0 || *value > MAX_SET_VALUE {
                return Err(SolverError::Invalid(format!("caps.{name} is {value}; it must be 0 to {MAX_SET_VALUE}")));
            }
            caps[i] = Some(*value);
        }
        Ok(caps)
    }

    pub fn time_limit_ms(&self) -> u64 {
        self.time_limit_ms.unwrap_or(DEFAULT_TIME_LIMIT_MS).clamp(1, MAX_TIME_LIMIT_MS)
    }
}

/// The rating a filter key names (`armor_crit_damage_tiers` → crit_damage).
pub fn filter_rating(key: &str) -> Result<usize, SolverError> {
    key.strip_prefix("armor_").and_then(|k| k.strip_suffix("_tiers")).and_then(rating_index).ok_or_else(|| {
        SolverError::Invalid(format!(
            "unknown filter \"{key}\": filters are armor_<rating>_tiers with rating one of {}",
            RATING_NAMES.join(", ")
        ))
    })
}

/// The (count, value) pairs of a set override, sorted and checked.
pub fn parse_set_values(s: &SetOverride) -> Result<Vec<(u32, i64)>, SolverError> {
    if s.values.len() > MAX_SET_TABLE_ENTRIES {
        return Err(SolverError::Invalid(format!(
            "set {} has {} values; at most {MAX_SET_TABLE_ENTRIES}",
            s.set_id,
            s.values.len()
        )));
    }
    let mut out = Vec::with_capacity(s.values.len());
    for (k, v) in &s.values {
        let count: u32 = k.trim().parse().ok().filter(|c| (1..=MAX_SET_COUNT).contains(c)).ok_or_else(|| {
            SolverError::Invalid(format!(
                "set {}: key \"{k}\" must be a piece count from 1 to {MAX_SET_COUNT}",
                s.set_id
            ))
        })?;
        if *v < 0 || *v > MAX_SET_VALUE {
            return Err(SolverError::Invalid(format!(
                "set {}: value {v} for {count} pieces must be 0 to {MAX_SET_VALUE}",
                s.set_id
            )));
        }
        if out.iter().any(|(c, _)| *c == count) {
            return Err(SolverError::Invalid(format!("set {}: count {count} is given twice", s.set_id)));
        }
        out.push((count, *v));
    }
    out.sort_unstable();
    Ok(out)
}

fn check_weight(field: &str, w: i64) -> Result<i64, SolverError> {
    if (0..=MAX_WEIGHT).contains(&w) {
        Ok(w)
    } else {
        Err(SolverError::Invalid(format!("{field} is {w}; weights must be 0 to {MAX_WEIGHT}")))
    }
}

fn known_rating(name: &str, field: &str) -> Result<usize, SolverError> {
    rating_index(name).ok_or_else(|| {
        SolverError::Invalid(format!("{field}: unknown rating \"{name}\"; use one of {}", RATING_NAMES.join(", ")))
    })
}

fn de_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u32>, D::Error> {
    let v = Vec::<Value>::deserialize(d)?;
    v.iter().map(|x| u32_id_of(x).ok_or_else(|| serde::de::Error::custom(format!("{x} is not an object id")))).collect()
}

fn de_profile<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Profile>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => Profile::from_json(&v)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("profile must be an object with level, skills, attributes")),
    }
}

/// Base and buffed value of an attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttributeStat {
    pub base: i64,
    pub current: i64,
}

/// Base and buffed value and training (0 unusable, 1 untrained, 2 trained, 3 specialized).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkillStat {
    pub base: i64,
    pub current: i64,
    pub training: u8,
}

/// Which aetheria slots the character has unlocked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AetheriaSlots {
    pub blue: bool,
    pub yellow: bool,
    pub red: bool,
}

impl AetheriaSlots {
    pub const ALL: AetheriaSlots = AetheriaSlots { blue: true, yellow: true, red: true };

    pub fn names(self) -> Vec<&'static str> {
        [(self.blue, "blue"), (self.yellow, "yellow"), (self.red, "red")]
            .into_iter()
            .filter_map(|(on, n)| on.then_some(n))
            .collect()
    }
}

/// What the solver knows of the character: level, attributes and skills by id, and the
/// unlocked aetheria slots. **Aetheria default:** a profile that does not list
/// `aetheria_slots` has none unlocked (character_stats does not carry them); with no
/// profile at all, all three are treated as available and the result says so.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub level: Option<i64>,
    /// Attribute id (1 Strength, 2 Endurance, 3 Quickness, 4 Coordination, 5 Focus, 6 Self).
    pub attributes: BTreeMap<u32, AttributeStat>,
    /// Skill id (docs/protocol.md §5 skill ids).
    pub skills: BTreeMap<u32, SkillStat>,
    pub aetheria_slots: AetheriaSlots,
}

impl Profile {
    /// From a stored `character_stats` event (docs/protocol.md §3.10): attributes and skills
    /// keyed by name, skills carrying their `id`. `None` when it is not an object.
    pub fn from_character_stats(stats: &Value) -> Option<Profile> {
        Profile::from_json(stats)
    }

    /// From either shape: docs/api.md's (`"<id>"` keys, numeric training) or character_stats'
    /// (name keys, `"Specialized"` training). Unknown names are skipped.
    pub fn from_json(v: &Value) -> Option<Profile> {
        let obj = v.as_object()?;
        let mut p = Profile { level: obj.get("level").and_then(i64_of), ..Profile::default() };
        if let Some(Value::Object(attrs)) = obj.get("attributes") {
            for (k, a) in attrs {
                let Some(id) = k.trim().parse::<u32>().ok().or_else(|| attribute_id(k)) else {
                    continue;
                };
                let base = a.get("base").and_then(i64_of);
                let current = a.get("current").and_then(i64_of);
                if base.is_none() && current.is_none() {
                    continue;
                }
                let base = base.or(current).unwrap_or(0);
                p.attributes.insert(id, AttributeStat { base, current: current.unwrap_or(base) });
            }
        }
        if let Some(Value::Object(skills)) = obj.get("skills") {
            for (k, s) in skills {
                let id = s.get("id").and_then(u32_of).or_else(|| k.trim().parse::<u32>().ok()).or_else(|| skill_id(k));
                let Some(id) = id else { continue };
                let base = s.get("base").and_then(i64_of);
                let current = s.get("current").and_then(i64_of);
                let base = base.or(current).unwrap_or(0);
                let training = s.get("training").map(training_of).unwrap_or(2);
                p.skills.insert(id, SkillStat { base, current: current.unwrap_or(base), training });
            }
        }
        match obj.get("aetheria_slots") {
            Some(Value::Array(list)) => {
                for s in list.iter().filter_map(string_of) {
                    match s.to_ascii_lowercase().as_str() {
                        "blue" => p.aetheria_slots.blue = true,
                        "yellow" => p.aetheria_slots.yellow = true,
                        "red" => p.aetheria_slots.red = true,
                        _ => {}
                    }
                }
            }
            Some(Value::Object(o)) => {
                let on = |k: &str| o.get(k).and_then(crate::protocol::lenient::bool_of).unwrap_or(false);
                p.aetheria_slots = AetheriaSlots { blue: on("blue"), yellow: on("yellow"), red: on("red") };
            }
            _ => {}
        }
        Some(p)
    }
}

fn training_of(v: &Value) -> u8 {
    if let Some(n) = u32_of(v) {
        return n.min(3) as u8;
    }
    match string_of(v).map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("specialized") | Some("specialised") => 3,
        Some("trained") => 2,
        Some("untrained") => 1,
        Some("unusable") | Some("inactive") => 0,
        _ => 2,
    }
}

fn attribute_id(name: &str) -> Option<u32> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "strength" => 1,
        "endurance" => 2,
        "quickness" => 3,
        "coordination" => 4,
        "focus" => 5,
        "self" => 6,
        _ => return None,
    })
}

fn skill_id(name: &str) -> Option<u32> {
    const SKILLS: &[(&str, u32)] = &[
        ("axe", 1),
        ("bow", 2),
        ("crossbow", 3),
        ("dagger", 4),
        ("mace", 5),
        ("melee_defense", 6),
        ("missile_defense", 7),
        ("sling", 8),
        ("spear", 9),
        ("staff", 10),
        ("sword", 11),
        ("thrown_weapon", 12),
        ("unarmed_combat", 13),
        ("arcane_lore", 14),
        ("magic_defense", 15),
        ("mana_conversion", 16),
        ("spellcraft", 17),
        ("item_tinkering", 18),
        ("assess_person", 19),
        ("deception", 20),
        ("healing", 21),
        ("jump", 22),
        ("lockpick", 23),
        ("run", 24),
        ("awareness", 25),
        ("arms_and_armor_repair", 26),
        ("assess_creature", 27),
        ("weapon_tinkering", 28),
        ("armor_tinkering", 29),
        ("magic_item_tinkering", 30),
        ("creature_enchantment", 31),
        ("item_enchantment", 32),
        ("life_magic", 33),
        ("war_magic", 34),
        ("leadership", 35),
        ("loyalty", 36),
        ("fletching", 37),
        ("alchemy", 38),
        ("cooking", 39),
        ("salvaging", 40),
        ("two_handed_combat", 41),
        ("gearcraft", 42),
        ("void_magic", 43),
        ("heavy_weapons", 44),
        ("light_weapons", 45),
        ("finesse_weapons", 46),
        ("missile_weapons", 47),
        ("shield", 48),
        ("dual_wield", 49),
        ("recklessness", 50),
        ("sneak_attack", 51),
        ("dirty_fighting", 52),
        ("challenge", 53),
        ("summoning", 54),
    ];
    let n = name.trim().to_ascii_lowercase().replace(' ', "_");
    SKILLS.iter().find(|(k, _)| *k == n).map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn character_stats_become_a_profile_with_ids() {
        let stats = json!({"level":275,"attributes":{"strength":{"base":290,"current":356}},
            "skills":{"heavy_weapons":{"id":44,"training":"Specialized","base":560,"current":642}}});
        let p = Profile::from_character_stats(&stats).expect("profile");
        assert_eq!(p.level, Some(275));
        assert_eq!(p.attributes.get(&1), Some(&AttributeStat { base: 290, current: 356 }));
        assert_eq!(p.skills.get(&44), Some(&SkillStat { base: 560, current: 642, training: 3 }));
        assert_eq!(p.aetheria_slots, AetheriaSlots::default());
    }

    #[test]
    fn api_profile_shape_parses_id_keys_and_aetheria() {
        let req: SuitRequest = serde_json::from_value(json!({"character":"Mossy Tank","items":[],
            "profile":{"level":200,"skills":{"6":{"base":300,"current":350,"training":3}},
              "attributes":{"1":{"base":100,"current":150}},"aetheria_slots":["blue","Red"]}}))
        .expect("request");
        let p = req.profile.expect("profile");
        assert_eq!(p.skills.get(&6).map(|s| s.training), Some(3));
        assert_eq!(p.attributes.get(&1).map(|a| a.current), Some(150));
        assert_eq!(p.aetheria_slots, AetheriaSlots { blue: true, yellow: false, red: true });
    }

    #[test]
    fn limits_are_enforced_with_named_errors() {
        let base = json!({"character":"A","items":[]});
        let mut r: SuitRequest = serde_json::from_value(base).expect("request");
        assert!(r.validate().is_ok());
        r.top_k = 21;
        assert_eq!(r.validate().map_err(|e| e.http_status()), Err(422));
        r.top_k = 1;
        r.wanted_spells = vec![WantedSpell { family: "Impenetrability".into(), min_tier: None }];
        let e = r.validate().expect_err("item-acting family");
        assert!(e.message().contains("Impenetrability"));
        r.wanted_spells.clear();
        r.time_limit_ms = Some(MAX_TIME_LIMIT_MS + 1);
        assert!(r.validate().is_err());
    }
}
