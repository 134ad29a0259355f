//! Turns one plugin item (raw Mag-Tools form, normalized form, or both) into an `Item`.
//!
//! Rules (docs/protocol.md §5): normalized fields that are present win; missing ones are derived
//! from the raw Decal maps; numbers may be strings; ids may be negative or hex. A previous
//! version of the item supplies appraisal fields the new one lacks (Mag-Tools merge), and a
//! delta `updated` entry is merged field by field into the stored item.
//! This module is pure: it never touches storage or the index, and it never panics on input.
//!
//! Choices where the contract is vague:
//! - `location`: an explicit valid `location` wins. Otherwise `equipped` when
//!   `wielded_mask != 0`; `main_pack` when `container_id` is the character's GUID (known from
//!   the context) or any player GUID (0x50000001–0x5FFFFFFF: an item in a character's
//!   inventory whose container is a player is in that player's main pack); `side_pack` for
//!   any other container; `main_pack` when no container is known (dumps list the main pack,
//!   and a pack would have been named).
//! - `slots[]`, `coverage[]`, `imbues[]` (unless sent normalized), `set_name` (unless sent) and
//!   `cantrips[]` are always decoded from the masks, set id and spell names, so they can
//!   never disagree with them. `cantrips[]` also keeps any cantrip names sent normalized.
//! - Cantrips are spell names starting with a tier word of docs/solver.md §4: Minor, Moderate,
//!   Major, Epic, Legendary, and the old Feeble, Lesser, Inner.
//! - `has_id_data` when not sent: true if any appraisal-only field is present.
//! - Appraisal fields (kept from the previous version when missing): workmanship, material,
//!   armor level and mods, set, spells and cantrips, arcane lore, spellcraft, mana, ratings
//!   (each), wield requirements, tinks, imbues, attuned, bonded, retained, rare id, weapon
//!   properties (each), item level (each), and every raw key that is not a basic one
//!   (see `is_basic_raw_key`).
//! - Oversized input: strings are cut to `MAX_STRING_BYTES` at a character boundary; a list
//!   or raw map over its limit rejects the item (such an item is malformed, not large).

use serde_json::Value;

use crate::game;
pub use crate::inventory::decode::{
    ItemError, MAX_NAME_LIST, MAX_OWNER_BYTES, MAX_RAW_KEYS_PER_MAP, MAX_SPELLS_PER_ITEM, MAX_STRING_BYTES,
    MAX_WIELD_REQUIREMENTS, RawMap, is_basic_raw_key,
};
use crate::inventory::decode::{
    armor_mods_of, cantrips_of, clip, get, json_kind, k, merge_raw, name_list_of, named, named_of, object_id_of,
    ratings_of, raw_maps_of, spells_of, u32_of_wide, weapon_of, wield_of,
};
use crate::inventory::item::{
    ArmorMods, Item, ItemLevel, Location, Mana, Named, Ratings, RawMaps, Spell, Weapon, WieldRequirement,
};
use crate::inventory::tables;
use crate::protocol::lenient;

/// What the caller knows about the owner beyond its name.
#[derive(Debug, Clone, Copy, Default)]
pub struct NormalizeContext {
    /// The character's GUID, when known: containers equal to it are the main pack.
    pub owner_guid: Option<u32>,
}

/// Normalizes one wire item for `owner`. With `previous` (the stored version of the same
/// object id), appraisal fields the new item lacks are kept from it, and `updated_at` stays
/// the previous one when nothing changed.
pub fn normalize(owner: &str, wire_item: &Value, previous: Option<&Item>, now_ms: i64) -> Result<Item, ItemError> {
    normalize_with(owner, wire_item, previous, now_ms, NormalizeContext::default())
}

/// `normalize` with what the store knows about the owner.
pub fn normalize_with(
    owner: &str,
    wire_item: &Value,
    previous: Option<&Item>,
    now_ms: i64,
    ctx: NormalizeContext,
) -> Result<Item, ItemError> {
    let mut parsed = Parsed::from_wire(wire_item)?;
    if let Some(prev) = previous {
        check_same_id(&parsed, prev)?;
        parsed.fill_appraisal_from(prev);
    }
    let item = parsed.build(owner, ctx, now_ms)?;
    Ok(restamp(item, previous))
}

/// Merges a delta `updated` entry (a partial item) into the stored `previous` item: every
/// field the partial names replaces the stored one, the rest is kept; raw maps merge by key.
/// The location is recomputed only when the partial moves the item.
pub fn merge_update(
    owner: &str,
    previous: &Item,
    partial: &Value,
    now_ms: i64,
    ctx: NormalizeContext,
) -> Result<Item, ItemError> {
    let mut parsed = Parsed::from_wire(partial)?;
    check_same_id(&parsed, previous)?;
    let moved = parsed.location.is_some() || parsed.container_id.is_some() || parsed.wielded_mask.is_some();
    parsed.fill_all_from(previous);
    let mut item = parsed.build(owner, ctx, now_ms)?;
    if !moved {
        item.location = previous.location;
    }
    Ok(restamp(item, Some(previous)))
}

/// The object id of a wire item (`object_id` or `id`), for matching it with a stored one
/// before normalizing.
pub fn wire_object_id(wire_item: &Value) -> Result<u32, ItemError> {
    let obj = wire_item.as_object().ok_or_else(|| ItemError {
        object_id: None,
        field: "item",
        reason: format!("must be a JSON object, got {}", json_kind(wire_item)),
    })?;
    object_id_of(obj)
}

/// Whether the wire item states its `location` explicitly (a valid contract value).
pub fn has_explicit_location(wire_item: &Value) -> bool {
    wire_item.get("location").and_then(Value::as_str).and_then(Location::parse).is_some()
}

/// Whether a GUID is in the player range (0x50000001–0x5FFFFFFF).
pub fn is_player_guid(guid: u32) -> bool {
    (0x5000_0001..=0x5FFF_FFFF).contains(&guid)
}

/// The location rule described in the module doc.
pub fn derive_location(wielded_mask: u32, container_id: Option<u32>, owner_guid: Option<u32>) -> Location {
    if wielded_mask != 0 {
        return Location::Equipped;
    }
    match container_id {
        None => Location::MainPack,
        Some(c) if Some(c) == owner_guid || is_player_guid(c) => Location::MainPack,
        Some(_) => Location::SidePack,
    }
}

/// Every field as the wire stated it (normalized form first, raw maps second); `None`
/// means "not sent", which is what merging needs to know.
#[derive(Debug, Default)]
struct Parsed {
    object_id: u32,
    name: Option<String>,
    container_id: Option<u32>,
    location: Option<Location>,
    wielded_mask: Option<u32>,
    wcid: Option<u32>,
    object_class: Option<Named>,
    item_type: Option<u32>,
    stack_size: Option<i64>,
    value: Option<i64>,
    burden: Option<i64>,
    workmanship: Option<f64>,
    material: Option<Named>,
    equip_mask: Option<u32>,
    coverage_mask: Option<u32>,
    armor_level: Option<i64>,
    armor_mods: ArmorMods,
    set_id: Option<u32>,
    set_name: Option<String>,
    spells: Option<Vec<Spell>>,
    cantrips: Option<Vec<String>>,
    arcane_lore: Option<i64>,
    spellcraft: Option<i64>,
    mana: Mana,
    ratings: Ratings,
    wield_requirements: Option<Vec<WieldRequirement>>,
    tinks: Option<i64>,
    imbues: Option<Vec<String>>,
    attuned: Option<bool>,
    bonded: Option<bool>,
    retained: Option<bool>,
    rare_id: Option<i64>,
    weapon: Weapon,
    damage_types: Option<Vec<String>>,
    item_level: ItemLevel,
    has_id_data: Option<bool>,
    raw: RawMaps,
}

/// `if dst.f is None { dst.f = src.f.clone() }` for each listed field.
macro_rules! fill {
    ($dst:expr, $src:expr; $($f:ident),* $(,)?) => {
        $( if $dst.$f.is_none() { $dst.$f = $src.$f.clone(); } )*
    };
}

impl Parsed {
    fn from_wire(wire: &Value) -> Result<Parsed, ItemError> {
        let obj = wire.as_object().ok_or_else(|| ItemError {
            object_id: None,
            field: "item",
            reason: format!("must be a JSON object, got {}", json_kind(wire)),
        })?;
        let object_id = object_id_of(obj)?;
        let err = |field: &'static str, reason: String| ItemError { object_id: Some(object_id), field, reason };
        let raw = raw_maps_of(obj).map_err(|(field, reason)| err(field, reason))?;
        let ri = |keys: &[u32]| keys.iter().find_map(|key| raw.int.get(key).copied());
        let rd = |keys: &[u32]| keys.iter().find_map(|key| raw.double.get(key).copied());
        let mask_of = |v: i64| u32_of_wide(v);

        let mut p = Parsed { object_id, ..Parsed::default() };
        p.name = get(obj, "name").and_then(lenient::string_of).map(clip).or_else(|| raw.string.get(&k::NAME).cloned());
        p.container_id = get(obj, "container_id")
            .and_then(lenient::u32_id_of)
            .or_else(|| ri(&[k::DECAL_CONTAINER]).and_then(mask_of))
            .filter(|c| *c != 0);
        p.location = get(obj, "location").and_then(Value::as_str).and_then(Location::parse);
        p.wielded_mask =
            get(obj, "wielded_mask").and_then(lenient::u32_id_of).or_else(|| ri(&[k::WIELDED]).and_then(mask_of));
        p.wcid = get(obj, "wcid").and_then(lenient::u32_of).or_else(|| ri(&[k::DECAL_WCID]).and_then(mask_of));
        p.object_class =
            get(obj, "object_class").and_then(|v| named_of(v, tables::object_class_name, tables::object_class_id));
        p.item_type = get(obj, "item_type")
            .and_then(lenient::u32_id_of)
            .or_else(|| ri(&[k::ITEM_TYPE, k::DECAL_CATEGORY]).and_then(mask_of));
        p.stack_size = get(obj, "stack_size").and_then(lenient::i64_of).or_else(|| ri(&[k::STACK, k::DECAL_STACK]));
        p.value = get(obj, "value").and_then(lenient::i64_of).or_else(|| ri(&[k::VALUE]));
        p.burden = get(obj, "burden").and_then(lenient::i64_of).or_else(|| ri(&[k::BURDEN]));
        p.workmanship = get(obj, "workmanship")
            .and_then(lenient::f64_of)
            .or_else(|| ri(&[k::WORKMANSHIP]).map(|w| w as f64))
            .or_else(|| rd(&[k::DECAL_SALVAGE_WORKMANSHIP]));
        p.material =
            get(obj, "material").and_then(|v| named_of(v, tables::material_name, tables::material_id)).or_else(|| {
                ri(&[k::MATERIAL]).and_then(mask_of).filter(|m| *m != 0).map(|id| named(id, tables::material_name))
            });
        p.equip_mask = get(obj, "equip_mask")
            .and_then(lenient::u32_id_of)
            .or_else(|| ri(&[k::VALID_LOCATIONS, k::DECAL_EQUIPABLE]).and_then(mask_of));
        p.coverage_mask = get(obj, "coverage_mask")
            .and_then(lenient::u32_id_of)
            .or_else(|| ri(&[k::COVERAGE, k::DECAL_COVERAGE]).and_then(mask_of));
        p.armor_level = get(obj, "armor_level").and_then(lenient::i64_of).or_else(|| ri(&[k::ARMOR_LEVEL]));
        p.armor_mods = armor_mods_of(get(obj, "armor_mods"), &raw);
        p.set_id = get(obj, "set_id")
            .and_then(lenient::u32_of)
            .or_else(|| ri(&[k::SET]).and_then(mask_of))
            .filter(|s| *s != 0);
        p.set_name = get(obj, "set_name").and_then(lenient::string_of).map(clip);
        p.spells = spells_of(obj, &raw).map_err(|reason| err("spells", reason.to_string()))?;
        p.cantrips = name_list_of(get(obj, "cantrips")).map_err(|reason| err("cantrips", reason.to_string()))?;
        p.arcane_lore = get(obj, "arcane_lore").and_then(lenient::i64_of).or_else(|| ri(&[k::ARCANE_LORE]));
        p.spellcraft = get(obj, "spellcraft").and_then(lenient::i64_of).or_else(|| ri(&[k::SPELLCRAFT]));
        let mana = get(obj, "mana").and_then(Value::as_object);
        p.mana = Mana {
            current: mana.and_then(|m| get(m, "current")).and_then(lenient::i64_of).or_else(|| ri(&[k::CUR_MANA])),
            max: mana.and_then(|m| get(m, "max")).and_then(lenient::i64_of).or_else(|| ri(&[k::MAX_MANA])),
        };
        p.ratings = ratings_of(get(obj, "ratings"), &raw);
        p.wield_requirements = wield_of(get(obj, "wield_requirements"), &raw)
            .map_err(|reason| err("wield_requirements", reason.to_string()))?;
        p.tinks = get(obj, "tinks").and_then(lenient::i64_of).or_else(|| ri(&[k::TINKS]));
        p.imbues = match name_list_of(get(obj, "imbues")).map_err(|reason| err("imbues", reason.to_string()))? {
            Some(list) => Some(list),
            None => ri(&[k::IMBUED]).and_then(mask_of).map(tables::imbue_names),
        };
        p.attuned = get(obj, "attuned").and_then(lenient::bool_of).or_else(|| ri(&[k::ATTUNED]).map(|v| v != 0));
        p.bonded = get(obj, "bonded").and_then(lenient::bool_of).or_else(|| ri(&[k::BONDED]).map(|v| v > 0));
        p.retained = get(obj, "retained").and_then(lenient::bool_of).or_else(|| raw.bool.get(&k::RETAINED).copied());
        p.rare_id = get(obj, "rare_id").and_then(lenient::i64_of).or_else(|| ri(&[k::RARE_ID]));
        let (weapon, damage_types) = weapon_of(obj, &raw);
        p.weapon = weapon;
        p.damage_types = damage_types;
        let level = get(obj, "item_level").and_then(Value::as_object);
        p.item_level = ItemLevel {
            current: level.and_then(|l| get(l, "current")).and_then(lenient::i64_of),
            max: level.and_then(|l| get(l, "max")).and_then(lenient::i64_of).or_else(|| ri(&[k::ITEM_MAX_LEVEL])),
        };
        p.has_id_data = get(obj, "has_id_data").and_then(lenient::bool_of);
        p.raw = raw;
        Ok(p)
    }

    /// Takes appraisal fields from `prev` where this item lacks them (Mag-Tools merge).
    fn fill_appraisal_from(&mut self, prev: &Item) {
        let had_appraisal = self.has_appraisal_fields();
        fill!(self, prev; workmanship, material, armor_level, arcane_lore, spellcraft, tinks, attuned, bonded, retained, rare_id);
        if self.set_id.is_none() && self.set_name.is_none() {
            self.set_id = prev.set_id;
            self.set_name = prev.set_name.clone();
        }
        if self.spells.is_none() && self.cantrips.is_none() {
            self.spells = Some(prev.spells.clone());
            self.cantrips = Some(prev.cantrips.clone());
        }
        if self.wield_requirements.is_none() {
            self.wield_requirements = Some(prev.wield_requirements.clone());
        }
        if self.imbues.is_none() {
            self.imbues = Some(prev.imbues.clone());
        }
        self.fill_groups_from(prev);
        merge_raw(&mut self.raw, &prev.raw, true);
        self.has_id_data = Some(self.has_id_data.unwrap_or(had_appraisal) || prev.has_id_data);
    }

    /// Takes every field from `prev` where this partial item does not name it.
    fn fill_all_from(&mut self, prev: &Item) {
        if self.name.is_none() {
            self.name = Some(prev.name.clone());
        }
        if self.wielded_mask.is_none() {
            self.wielded_mask = Some(prev.wielded_mask);
        }
        fill!(self, prev; container_id, wcid, object_class, item_type, stack_size, value, burden, equip_mask, coverage_mask);
        let had_appraisal = self.has_appraisal_fields();
        let sent_id_data = self.has_id_data;
        self.fill_appraisal_from(prev);
        self.has_id_data = Some(sent_id_data.unwrap_or(had_appraisal) || prev.has_id_data);
        merge_raw(&mut self.raw, &prev.raw, false);
    }

    /// Per-field groups (mods, mana, ratings, weapon, item level): each missing member is
    /// taken from `prev`.
    fn fill_groups_from(&mut self, prev: &Item) {
        if let Some(m) = &prev.armor_mods {
            fill!(self.armor_mods, m; slash, pierce, bludgeon, cold, fire, acid, electric);
        }
        if let Some(m) = &prev.mana {
            fill!(self.mana, m; current, max);
        }
        let r = &prev.ratings;
        fill!(self.ratings, r; damage, damage_resist, crit, crit_resist, crit_damage, crit_damage_resist, heal_boost, nether_resist, life_resist, vitality);
        if let Some(w) = &prev.weapon {
            fill!(self.weapon, w; skill, max_damage, variance, speed, attack_bonus, melee_defense, missile_defense, magic_defense, mana_conversion, elemental_bonus, elemental_vs_monsters, damage_mod);
            if self.damage_types.is_none() && !w.damage_types.is_empty() {
                self.damage_types = Some(w.damage_types.clone());
            }
        }
        if let Some(l) = &prev.item_level {
            fill!(self.item_level, l; current, max);
        }
    }

    /// Whether any appraisal-only field was sent (used when `has_id_data` is not).
    fn has_appraisal_fields(&self) -> bool {
        self.spells.as_ref().is_some_and(|s| !s.is_empty())
            || self.armor_level.is_some()
            || self.workmanship.is_some()
            || self.arcane_lore.is_some()
            || self.spellcraft.is_some()
            || self.tinks.is_some()
            || self.wield_requirements.as_ref().is_some_and(|w| !w.is_empty())
            || self.ratings != Ratings::default()
            || self.mana != Mana::default()
            || self.weapon.max_damage.is_some()
    }

    fn build(self, owner: &str, ctx: NormalizeContext, now_ms: i64) -> Result<Item, ItemError> {
        let object_id = self.object_id;
        let has_id_data = self.has_id_data.unwrap_or_else(|| self.has_appraisal_fields());
        let owner = owner.trim();
        if owner.is_empty() || owner.len() > MAX_OWNER_BYTES {
            return Err(ItemError {
                object_id: Some(object_id),
                field: "owner",
                reason: format!("must be a character name of 1–{MAX_OWNER_BYTES} bytes, got {} bytes", owner.len()),
            });
        }
        let name = self.name.ok_or_else(|| ItemError {
            object_id: Some(object_id),
            field: "name",
            reason: "is missing: every item needs a name (normalized `name` or raw string 1)".to_string(),
        })?;
        let wielded_mask = self.wielded_mask.unwrap_or(0);
        let location =
            self.location.unwrap_or_else(|| derive_location(wielded_mask, self.container_id, ctx.owner_guid));
        let spells = self.spells.unwrap_or_default();
        let cantrips = cantrips_of(&spells, self.cantrips.unwrap_or_default());
        let set_name = self.set_name.or_else(|| self.set_id.map(game::sets::set_label));
        let mut weapon = self.weapon;
        weapon.damage_types = self.damage_types.unwrap_or_default();
        Ok(Item {
            object_id,
            owner: owner.to_string(),
            container_id: self.container_id,
            location,
            wielded_mask,
            wcid: self.wcid,
            name,
            object_class: self.object_class,
            item_type: self.item_type,
            stack_size: self.stack_size,
            value: self.value,
            burden: self.burden,
            workmanship: self.workmanship,
            material: self.material,
            equip_mask: self.equip_mask,
            slots: self.equip_mask.map(tables::equip_slot_names).unwrap_or_default(),
            coverage_mask: self.coverage_mask,
            coverage: self.coverage_mask.map(tables::coverage_names).unwrap_or_default(),
            armor_level: self.armor_level,
            armor_mods: (self.armor_mods != ArmorMods::default()).then_some(self.armor_mods),
            set_id: self.set_id,
            set_name,
            spells,
            cantrips,
            arcane_lore: self.arcane_lore,
            spellcraft: self.spellcraft,
            mana: (self.mana != Mana::default()).then_some(self.mana),
            ratings: self.ratings,
            wield_requirements: self.wield_requirements.unwrap_or_default(),
            tinks: self.tinks,
            imbues: self.imbues.unwrap_or_default(),
            attuned: self.attuned,
            bonded: self.bonded,
            retained: self.retained,
            rare_id: self.rare_id,
            weapon: (!weapon.is_empty()).then_some(weapon),
            item_level: (self.item_level != ItemLevel::default()).then_some(self.item_level),
            has_id_data,
            updated_at: now_ms,
            raw: self.raw,
        })
    }
}

fn check_same_id(parsed: &Parsed, prev: &Item) -> Result<(), ItemError> {
    if parsed.object_id == prev.object_id {
        return Ok(());
    }
    Err(ItemError {
        object_id: Some(parsed.object_id),
        field: "object_id",
        reason: format!("does not match the stored item 0x{:08X} it was merged with", prev.object_id),
    })
}

/// Keeps the previous `updated_at` when the content did not change.
fn restamp(mut item: Item, previous: Option<&Item>) -> Item {
    if let Some(prev) = previous
        && item.same_content(prev)
    {
        item.updated_at = prev.updated_at;
    }
    item
}
