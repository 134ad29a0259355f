//! Decoders for single wire fields of an item: raw Decal maps in their accepted shapes,
//! spells, name lists, armor mods, ratings, wield requirements and the weapon block, plus
//! the Decal value keys they read; the limits on each field and the error an item is
//! rejected with ([`ItemError`]).
//!
//! Owns the "which key means what" knowledge of docs/protocol.md §5; `normalize` owns the merge
//! rules. Pure functions: no I/O, no panics on any input.

use serde_json::{Map, Value};

use crate::game;
use crate::inventory::item::{ArmorMods, Named, Ratings, RawMaps, Spell, Weapon, WieldRequirement};
use crate::inventory::tables;
use crate::protocol::lenient;

/// At most this many spells per item; real items carry about ten.
pub const MAX_SPELLS_PER_ITEM: usize = 64;
/// Longest kept string (names, spell names), in bytes.
pub const MAX_STRING_BYTES: usize = 256;
/// At most this many keys in each raw Decal map; a full appraisal has well under 150.
pub const MAX_RAW_KEYS_PER_MAP: usize = 512;
/// At most four wield requirements exist (158/270/273/276).
pub const MAX_WIELD_REQUIREMENTS: usize = 4;
/// At most this many entries in a normalized name list (`cantrips`, `imbues`).
pub const MAX_NAME_LIST: usize = 64;
/// Longest owner (character) name in bytes (docs/protocol.md §1 caps `character_name` at 64).
pub const MAX_OWNER_BYTES: usize = 64;

/// Why one item was rejected. The message names the field and the fix; the store adds the
/// item's index in the dump.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemError {
    pub object_id: Option<u32>,
    pub field: &'static str,
    pub reason: String,
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.object_id {
            Some(id) => write!(f, "item 0x{id:08X} ({id}): field `{}` {}", self.field, self.reason),
            None => write!(f, "item: field `{}` {}", self.field, self.reason),
        }
    }
}

impl std::error::Error for ItemError {}

/// Raw keys that come with every object (not from appraisal): a newer dump's value always
/// replaces them and an older one is never carried over.
pub fn is_basic_raw_key(map: RawMap, key: u32) -> bool {
    match map {
        RawMap::Int => matches!(
            key,
            k::ITEM_TYPE
                | k::COVERAGE
                | k::BURDEN
                | k::VALID_LOCATIONS
                | k::WIELDED
                | k::STACK
                | k::VALUE
                | k::DECAL_WCID
                | k::DECAL_CONTAINER
                | k::DECAL_STACK
                | k::DECAL_COVERAGE
                | k::DECAL_EQUIPABLE
                | k::DECAL_CATEGORY
        ),
        RawMap::String => key == k::NAME,
        RawMap::Double | RawMap::Bool => false,
    }
}

/// Which raw map a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawMap {
    Int,
    Double,
    String,
    Bool,
}

/// Decal value keys used here (ACE property ids, and Decal-only 0x0D…/0x0A… keys).
pub(crate) mod k {
    pub const ITEM_TYPE: u32 = 1;
    pub const COVERAGE: u32 = 4;
    pub const BURDEN: u32 = 5;
    pub const VALID_LOCATIONS: u32 = 9;
    pub const WIELDED: u32 = 10;
    pub const STACK: u32 = 12;
    pub const RARE_ID: u32 = 17;
    pub const VALUE: u32 = 19;
    pub const ARMOR_LEVEL: u32 = 28;
    pub const BONDED: u32 = 33;
    pub const DAMAGE: u32 = 44;
    pub const DAMAGE_TYPE: u32 = 45;
    pub const WEAPON_SKILL: u32 = 48;
    pub const WEAPON_TIME: u32 = 49;
    pub const WORKMANSHIP: u32 = 105;
    pub const SPELLCRAFT: u32 = 106;
    pub const CUR_MANA: u32 = 107;
    pub const MAX_MANA: u32 = 108;
    pub const ARCANE_LORE: u32 = 109;
    pub const ATTUNED: u32 = 114;
    pub const MATERIAL: u32 = 131;
    pub const TINKS: u32 = 171;
    pub const IMBUED: u32 = 179;
    pub const ELEMENTAL_BONUS: u32 = 204;
    pub const SET: u32 = 265;
    pub const ITEM_MAX_LEVEL: u32 = 319;
    /// (type, skill or attribute, value) for the four wield requirements.
    pub const WIELD: [(u32, u32, u32); 4] = [(158, 159, 160), (270, 271, 272), (273, 274, 275), (276, 277, 278)];
    pub const DECAL_WCID: u32 = 218_103_808;
    pub const DECAL_CONTAINER: u32 = 218_103_810;
    pub const DECAL_STACK: u32 = 218_103_814;
    pub const DECAL_COVERAGE: u32 = 218_103_821;
    pub const DECAL_EQUIPABLE: u32 = 218_103_822;
    pub const DECAL_CATEGORY: u32 = 218_103_834;
    pub const DECAL_WEAPON_SPEED: u32 = 218_103_839;
    pub const DECAL_EQUIP_SKILL: u32 = 218_103_840;
    pub const DECAL_DAMAGE_TYPE: u32 = 218_103_841;
    pub const DECAL_MAX_DAMAGE: u32 = 218_103_842;
    // doubles
    pub const ARMOR_MOD_SLASH: u32 = 13; // 13..=19: slash, pierce, bludgeon, cold, fire, acid, electric
    pub const VARIANCE: u32 = 22;
    pub const MELEE_DEFENSE: u32 = 29;
    pub const ATTACK: u32 = 62;
    pub const DAMAGE_MOD: u32 = 63;
    pub const MANA_CONVERSION: u32 = 144;
    pub const MISSILE_DEFENSE: u32 = 149;
    pub const MAGIC_DEFENSE: u32 = 150;
    pub const ELEMENTAL_VS_MONSTERS: u32 = 152;
    /// Decal protections, in the order slash, pierce, bludgeon, acid, electric, fire, cold.
    pub const DECAL_PROT_SLASH: u32 = 167_772_160;
    pub const DECAL_SALVAGE_WORKMANSHIP: u32 = 167_772_169;
    pub const DECAL_VARIANCE: u32 = 167_772_171;
    pub const DECAL_ATTACK: u32 = 167_772_172;
    pub const DECAL_DAMAGE_BONUS: u32 = 167_772_174;
    // bools and strings
    pub const RETAINED: u32 = 91;
    pub const NAME: u32 = 1;
}

pub(crate) fn object_id_of(obj: &Map<String, Value>) -> Result<u32, ItemError> {
    let v = get(obj, "object_id").or_else(|| get(obj, "id")).ok_or_else(|| ItemError {
        object_id: None,
        field: "object_id",
        reason: "is missing: every item needs `object_id` (or `id`)".to_string(),
    })?;
    let id = lenient::u32_id_of(v).ok_or_else(|| ItemError {
        object_id: None,
        field: "object_id",
        reason: format!("is not a 32-bit object id (signed, unsigned or 0x-hex): {}", short(v)),
    })?;
    if id == 0 {
        return Err(ItemError { object_id: None, field: "object_id", reason: "is 0, which is no object".to_string() });
    }
    Ok(id)
}

/// A present, non-null field.
pub(crate) fn get<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

pub(crate) fn u32_of_wide(v: i64) -> Option<u32> {
    (i64::from(i32::MIN)..=i64::from(u32::MAX)).contains(&v).then_some((v & 0xFFFF_FFFF) as u32)
}

pub(crate) fn clip(mut s: String) -> String {
    if s.len() > MAX_STRING_BYTES {
        let mut cut = MAX_STRING_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

pub(crate) fn named(id: u32, name_of: fn(u32) -> Option<&'static str>) -> Named {
    Named { id, name: name_of(id).map_or_else(|| format!("Unknown {id}"), str::to_string) }
}

/// `{id, name}`, a bare id, or a name looked up in the table.
pub(crate) fn named_of(
    v: &Value,
    name_of: fn(u32) -> Option<&'static str>,
    id_of: fn(&str) -> Option<u32>,
) -> Option<Named> {
    match v {
        Value::Object(o) => {
            let id = get(o, "id").and_then(lenient::u32_of)?;
            let name = get(o, "name").and_then(lenient::string_of).map(clip);
            Some(match name {
                Some(name) => Named { id, name },
                None => named(id, name_of),
            })
        }
        Value::String(s) => match lenient::u32_of(v) {
            Some(id) => Some(named(id, name_of)),
            None => id_of(s).map(|id| named(id, name_of)),
        },
        _ => lenient::u32_of(v).map(|id| named(id, name_of)),
    }
}

/// The raw maps from Mag-Tools keys (`int_values`…) and/or our stored `raw` object.
pub(crate) fn raw_maps_of(obj: &Map<String, Value>) -> Result<RawMaps, (&'static str, String)> {
    let stored = get(obj, "raw").and_then(Value::as_object);
    let mut raw = RawMaps::default();
    for (kind, stored_key, wire_key) in [
        (RawMap::Int, "int", "int_values"),
        (RawMap::Double, "double", "double_values"),
        (RawMap::String, "string", "string_values"),
        (RawMap::Bool, "bool", "bool_values"),
    ] {
        // The stored form first, so a fresh Mag-Tools map overrides it key by key.
        for source in [stored.and_then(|s| get(s, stored_key)), get(obj, wire_key)].into_iter().flatten() {
            read_raw_map(&mut raw, kind, source).map_err(|e| (wire_key, e.to_string()))?;
        }
    }
    raw.spells = spell_ids(get(obj, "spells").or_else(|| stored.and_then(|s| get(s, "spells"))))
        .map_err(|r| ("spells", r.to_string()))?;
    raw.active_spells = spell_ids(get(obj, "active_spells").or_else(|| stored.and_then(|s| get(s, "active_spells"))))
        .map_err(|r| ("active_spells", r.to_string()))?;
    Ok(raw)
}

/// A raw Decal map holds more keys than any real item has (the message follows the field
/// name in an [`ItemError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("has {keys} keys, more than the {MAX_RAW_KEYS_PER_MAP} any real item has")]
pub struct TooManyRawKeys {
    /// Keys in the map after reading it.
    pub keys: usize,
}

/// A list field holds more entries than an item may carry (the message follows the field
/// name in an [`ItemError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("has {entries} entries, at most {max} are accepted")]
pub struct TooManyEntries {
    pub entries: usize,
    pub max: usize,
}

fn at_most(entries: usize, max: usize) -> Result<(), TooManyEntries> {
    if entries > max { Err(TooManyEntries { entries, max }) } else { Ok(()) }
}

/// Accepts `{"28": 602}`, `[[28, 602]]` and .NET's `[{"Key": 28, "Value": 602}]`.
pub(crate) fn read_raw_map(raw: &mut RawMaps, kind: RawMap, v: &Value) -> Result<(), TooManyRawKeys> {
    let mut pairs: Vec<(u32, &Value)> = Vec::new();
    let key_of = |k: &Value| lenient::u32_id_of(k);
    match v {
        Value::Object(o) => {
            for (key, val) in o {
                if let Some(key) = key_of(&Value::String(key.clone())) {
                    pairs.push((key, val));
                }
            }
        }
        Value::Array(a) => {
            for entry in a {
                let pair = match entry {
                    Value::Array(kv) if kv.len() == 2 => key_of(&kv[0]).map(|key| (key, &kv[1])),
                    Value::Object(o) => {
                        let key = o.get("Key").or_else(|| o.get("key")).and_then(key_of);
                        let val = o.get("Value").or_else(|| o.get("value"));
                        key.zip(val)
                    }
                    _ => None,
                };
                pairs.extend(pair);
            }
        }
        _ => return Ok(()),
    }
    for (key, val) in pairs {
        match kind {
            RawMap::Int => {
                if let Some(x) = lenient::i64_of(val) {
                    raw.int.insert(key, x);
                }
            }
            RawMap::Double => {
                if let Some(x) = lenient::f64_of(val) {
                    raw.double.insert(key, x);
                }
            }
            RawMap::String => {
                if let Some(x) = lenient::string_of(val) {
                    raw.string.insert(key, clip(x));
                }
            }
            RawMap::Bool => {
                if let Some(x) = lenient::bool_of(val) {
                    raw.bool.insert(key, x);
                }
            }
        }
    }
    let len = match kind {
        RawMap::Int => raw.int.len(),
        RawMap::Double => raw.double.len(),
        RawMap::String => raw.string.len(),
        RawMap::Bool => raw.bool.len(),
    };
    if len > MAX_RAW_KEYS_PER_MAP {
        return Err(TooManyRawKeys { keys: len });
    }
    Ok(())
}

pub(crate) fn spell_ids(v: Option<&Value>) -> Result<Vec<u32>, TooManyEntries> {
    let Some(Value::Array(a)) = v else {
        return Ok(Vec::new());
    };
    at_most(a.len(), MAX_SPELLS_PER_ITEM)?;
    Ok(a.iter().filter_map(|s| spell_of(s).map(|s| s.id)).collect())
}

pub(crate) fn spell_of(v: &Value) -> Option<Spell> {
    match v {
        Value::Object(o) => {
            let id = get(o, "id").or_else(|| get(o, "spell_id")).and_then(lenient::u32_of)?;
            Some(Spell { id, name: get(o, "name").and_then(lenient::string_of).map(clip) })
        }
        _ => lenient::u32_of(v).map(|id| Spell { id, name: None }),
    }
}

/// `spells` (objects or bare ids); falls back to the stored raw id list. Also records the
/// ids in `raw.spells` so the raw form stays complete.
pub(crate) fn spells_of(obj: &Map<String, Value>, raw: &RawMaps) -> Result<Option<Vec<Spell>>, TooManyEntries> {
    match get(obj, "spells") {
        Some(Value::Array(a)) => {
            at_most(a.len(), MAX_SPELLS_PER_ITEM)?;
            Ok(Some(a.iter().filter_map(spell_of).collect()))
        }
        _ if !raw.spells.is_empty() => Ok(Some(raw.spells.iter().map(|&id| Spell { id, name: None }).collect())),
        _ => Ok(None),
    }
}

pub(crate) fn name_list_of(v: Option<&Value>) -> Result<Option<Vec<String>>, TooManyEntries> {
    let Some(Value::Array(a)) = v else { return Ok(None) };
    at_most(a.len(), MAX_NAME_LIST)?;
    Ok(Some(a.iter().filter_map(lenient::string_of).map(clip).collect()))
}

/// Cantrip names from the named spells, in spell order, then any sent names not derived;
/// duplicates (without case) dropped. The tier word is spelled canonically.
pub(crate) fn cantrips_of(spells: &[Spell], sent: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let derived = spells.iter().filter_map(|s| s.name.as_deref()).filter_map(game::cantrips::cantrip_parts);
    let given = sent.iter().filter_map(|n| game::cantrips::cantrip_parts(n));
    for (tier, family) in derived.chain(given) {
        let name = format!("{tier} {family}");
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            out.push(name);
        }
    }
    out
}

pub(crate) fn armor_mods_of(v: Option<&Value>, raw: &RawMaps) -> ArmorMods {
    let o = v.and_then(Value::as_object);
    let sent = |key: &str| o.and_then(|o| get(o, key)).and_then(lenient::f64_of);
    let rd = |ace: u32, decal_offset: u32| {
        raw.double.get(&ace).or_else(|| raw.double.get(&(k::DECAL_PROT_SLASH + decal_offset))).copied()
    };
    // ACE 13..=19 order: slash, pierce, bludgeon, cold, fire, acid, electric.
    // Decal order from 167772160: slash, pierce, bludgeon, acid, electric, fire, cold.
    let a = k::ARMOR_MOD_SLASH;
    ArmorMods {
        slash: sent("slash").or_else(|| rd(a, 0)),
        pierce: sent("pierce").or_else(|| rd(a + 1, 1)),
        bludgeon: sent("bludgeon").or_else(|| rd(a + 2, 2)),
        cold: sent("cold").or_else(|| rd(a + 3, 6)),
        fire: sent("fire").or_else(|| rd(a + 4, 5)),
        acid: sent("acid").or_else(|| rd(a + 5, 3)),
        electric: sent("electric").or_else(|| rd(a + 6, 4)),
    }
}

pub(crate) fn ratings_of(v: Option<&Value>, raw: &RawMaps) -> Ratings {
    let o = v.and_then(Value::as_object);
    let mut r = Ratings::default();
    for (id, name) in tables::RATINGS {
        let sent = o.and_then(|o| get(o, name)).and_then(lenient::i64_of);
        let value = sent.or_else(|| raw.int.get(&id).copied()).filter(|v| *v != 0);
        if let Some(slot) = r.slot_mut(name) {
            *slot = value;
        }
    }
    r
}

pub(crate) fn wield_of(v: Option<&Value>, raw: &RawMaps) -> Result<Option<Vec<WieldRequirement>>, TooManyEntries> {
    let make = |kind: u32, skill_id: u32, value: i64| WieldRequirement {
        kind,
        type_name: tables::wield_type_name(kind).map(str::to_string),
        skill_id,
        skill_name: tables::wield_subject_name(kind, skill_id).map(str::to_string),
        value,
    };
    if let Some(Value::Array(a)) = v {
        at_most(a.len(), MAX_WIELD_REQUIREMENTS)?;
        let list = a
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|o| {
                let kind = get(o, "type").and_then(lenient::u32_of).filter(|t| *t != 0)?;
                let skill = get(o, "skill_id").or_else(|| get(o, "skill")).and_then(lenient::u32_of).unwrap_or(0);
                let value = get(o, "value").and_then(lenient::i64_of)?;
                let mut req = make(kind, skill, value);
                if req.type_name.is_none() {
                    req.type_name = get(o, "type_name").and_then(lenient::string_of).map(clip);
                }
                Some(req)
            })
            .collect();
        return Ok(Some(list));
    }
    let list: Vec<WieldRequirement> = k::WIELD
        .iter()
        .filter_map(|(t, s, val)| {
            let kind = raw.int.get(t).copied().and_then(u32_of_wide).filter(|t| *t != 0)?;
            let skill = raw.int.get(s).copied().and_then(u32_of_wide).unwrap_or(0);
            Some(make(kind, skill, raw.int.get(val).copied().unwrap_or(0)))
        })
        .collect();
    Ok((!list.is_empty()).then_some(list))
}

/// The weapon block from the nested `weapon` object, flat top-level fields, or raw keys.
pub(crate) fn weapon_of(obj: &Map<String, Value>, raw: &RawMaps) -> (Weapon, Option<Vec<String>>) {
    let nested = get(obj, "weapon").and_then(Value::as_object);
    let sent = |key: &str| nested.and_then(|w| get(w, key)).or_else(|| get(obj, key));
    let ri = |keys: &[u32]| keys.iter().find_map(|key| raw.int.get(key).copied());
    let rd = |keys: &[u32]| keys.iter().find_map(|key| raw.double.get(key).copied());
    let f = |key: &str, keys: &[u32]| sent(key).and_then(lenient::f64_of).or_else(|| rd(keys));
    let i = |key: &str, keys: &[u32]| sent(key).and_then(lenient::i64_of).or_else(|| ri(keys));
    let skill = sent("skill").and_then(|v| named_of(v, tables::skill_name, |_| None)).or_else(|| {
        ri(&[k::WEAPON_SKILL, k::DECAL_EQUIP_SKILL])
            .and_then(u32_of_wide)
            .filter(|s| *s != 0)
            .map(|id| named(id, tables::skill_name))
    });
    let damage_types = match sent("damage_types") {
        Some(Value::Array(a)) => Some(a.iter().take(MAX_NAME_LIST).filter_map(lenient::string_of).map(clip).collect()),
        _ => ri(&[k::DAMAGE_TYPE, k::DECAL_DAMAGE_TYPE])
            .and_then(u32_of_wide)
            .filter(|m| *m != 0)
            .map(tables::damage_type_names),
    };
    let weapon = Weapon {
        skill,
        max_damage: i("max_damage", &[k::DECAL_MAX_DAMAGE, k::DAMAGE]),
        variance: f("variance", &[k::VARIANCE, k::DECAL_VARIANCE]),
        damage_types: Vec::new(),
        speed: i("speed", &[k::WEAPON_TIME, k::DECAL_WEAPON_SPEED]),
        attack_bonus: f("attack_bonus", &[k::ATTACK, k::DECAL_ATTACK]),
        melee_defense: f("melee_defense", &[k::MELEE_DEFENSE]),
        missile_defense: f("missile_defense", &[k::MISSILE_DEFENSE]),
        magic_defense: f("magic_defense", &[k::MAGIC_DEFENSE]),
        mana_conversion: f("mana_conversion", &[k::MANA_CONVERSION]),
        elemental_bonus: i("elemental_bonus", &[k::ELEMENTAL_BONUS]),
        elemental_vs_monsters: f("elemental_vs_monsters", &[k::ELEMENTAL_VS_MONSTERS]),
        damage_mod: f("damage_mod", &[k::DAMAGE_MOD, k::DECAL_DAMAGE_BONUS]),
    };
    (weapon, damage_types)
}

/// Adds `prev`'s raw entries this item lacks; with `appraisal_only`, basic keys are not
/// carried over (a new dump's absence of e.g. the wielded slot means "not wielded").
pub(crate) fn merge_raw(new: &mut RawMaps, prev: &RawMaps, appraisal_only: bool) {
    let keep = |map: RawMap, key: u32| !appraisal_only || !is_basic_raw_key(map, key);
    for (key, v) in &prev.int {
        if keep(RawMap::Int, *key) {
            new.int.entry(*key).or_insert(*v);
        }
    }
    for (key, v) in &prev.double {
        if keep(RawMap::Double, *key) {
            new.double.entry(*key).or_insert(*v);
        }
    }
    for (key, v) in &prev.string {
        if keep(RawMap::String, *key) {
            new.string.entry(*key).or_insert_with(|| v.clone());
        }
    }
    for (key, v) in &prev.bool {
        if keep(RawMap::Bool, *key) {
            new.bool.entry(*key).or_insert(*v);
        }
    }
    if new.spells.is_empty() {
        new.spells = prev.spells.clone();
    }
    if new.active_spells.is_empty() {
        new.active_spells = prev.active_spells.clone();
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short rendering of a bad value for an error message.
pub(crate) fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() <= 40 {
        return s;
    }
    let mut cut = 40;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}
