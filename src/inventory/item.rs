//! The normalized item v1 (protocol.md §5) and its two JSON shapes.
//!
//! `Item` derives serde without `skip_serializing_if` so that bincode (a positional format)
//! can store it; the API shape, which omits absent fields, is `ItemView` (`item.view(false)`
//! for lists, `item.view(true)` for `GET /api/items/{owner}/{object_id}`, which adds `raw`).
//! This module never parses wire input (that is `normalize`) and never touches storage.

use std::collections::BTreeMap;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// Where an item sits, derived from `wielded_mask` and `container_id` (see `normalize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    Equipped,
    MainPack,
    SidePack,
}

impl Location {
    /// The contract spelling: `equipped`, `main_pack`, `side_pack`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Equipped => "equipped",
            Location::MainPack => "main_pack",
            Location::SidePack => "side_pack",
        }
    }

    /// Parses the contract spelling (case-insensitive).
    pub fn parse(s: &str) -> Option<Location> {
        match s.trim().to_ascii_lowercase().as_str() {
            "equipped" => Some(Location::Equipped),
            "main_pack" => Some(Location::MainPack),
            "side_pack" => Some(Location::SidePack),
            _ => None,
        }
    }
}

/// An enum value with its display name (`object_class`, `material`, weapon `skill`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: u32,
    pub name: String,
}

/// One spell on the item. A spell sent as a bare number has no name and so matches no
/// cantrip family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spell {
    pub id: u32,
    pub name: Option<String>,
}

/// Armor modifiers versus damage types [double 13–19].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmorMods {
    pub slash: Option<f64>,
    pub pierce: Option<f64>,
    pub bludgeon: Option<f64>,
    pub cold: Option<f64>,
    pub fire: Option<f64>,
    pub acid: Option<f64>,
    pub electric: Option<f64>,
}

/// Item mana [107]/[108].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mana {
    pub current: Option<i64>,
    pub max: Option<i64>,
}

/// Gear ratings [370–379]; absent means 0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratings {
    pub damage: Option<i64>,
    pub damage_resist: Option<i64>,
    pub crit: Option<i64>,
    pub crit_resist: Option<i64>,
    pub crit_damage: Option<i64>,
    pub crit_damage_resist: Option<i64>,
    pub heal_boost: Option<i64>,
    pub nether_resist: Option<i64>,
    pub life_resist: Option<i64>,
    pub vitality: Option<i64>,
}

impl Ratings {
    /// The rating named like the contract field (`"crit_damage"`), if the name is known.
    pub fn get(&self, name: &str) -> Option<Option<i64>> {
        Some(match name {
            "damage" => self.damage,
            "damage_resist" => self.damage_resist,
            "crit" => self.crit,
            "crit_resist" => self.crit_resist,
            "crit_damage" => self.crit_damage,
            "crit_damage_resist" => self.crit_damage_resist,
            "heal_boost" => self.heal_boost,
            "nether_resist" => self.nether_resist,
            "life_resist" => self.life_resist,
            "vitality" => self.vitality,
            _ => return None,
        })
    }

    /// A mutable slot for the rating named like the contract field.
    pub fn slot_mut(&mut self, name: &str) -> Option<&mut Option<i64>> {
        Some(match name {
            "damage" => &mut self.damage,
            "damage_resist" => &mut self.damage_resist,
            "crit" => &mut self.crit,
            "crit_resist" => &mut self.crit_resist,
            "crit_damage" => &mut self.crit_damage,
            "crit_damage_resist" => &mut self.crit_damage_resist,
            "heal_boost" => &mut self.heal_boost,
            "nether_resist" => &mut self.nether_resist,
            "life_resist" => &mut self.life_resist,
            "vitality" => &mut self.vitality,
            _ => return None,
        })
    }

    /// The ratings that are present, in id order.
    pub fn present(&self) -> impl Iterator<Item = (&'static str, i64)> + '_ {
        crate::inventory::tables::RATINGS
            .iter()
            .filter_map(move |(_, name)| self.get(name).flatten().map(|v| (*name, v)))
    }
}

/// One wield requirement: `type` [158/270/273/276], `skill_id` [159/…] and `value` [160/…].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WieldRequirement {
    #[serde(rename = "type")]
    pub kind: u32,
    pub type_name: Option<String>,
    pub skill_id: u32,
    /// The skill or attribute tested, when the type names one (not part of the v1 table;
    /// added for display).
    pub skill_name: Option<String>,
    pub value: i64,
}

/// Weapon (and caster/shield) properties; serialized as the nested `weapon` object of
/// protocol.md §5 example 3.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Weapon {
    pub skill: Option<Named>,
    pub max_damage: Option<i64>,
    pub variance: Option<f64>,
    pub damage_types: Vec<String>,
    pub speed: Option<i64>,
    pub attack_bonus: Option<f64>,
    pub melee_defense: Option<f64>,
    pub missile_defense: Option<f64>,
    pub magic_defense: Option<f64>,
    pub mana_conversion: Option<f64>,
    pub elemental_bonus: Option<i64>,
    pub elemental_vs_monsters: Option<f64>,
    pub damage_mod: Option<f64>,
}

impl Weapon {
    /// True when no weapon property is present (the block is then omitted).
    pub fn is_empty(&self) -> bool {
        *self == Weapon::default()
    }
}

/// Cloak and aetheria levels [319 = max].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemLevel {
    pub current: Option<i64>,
    pub max: Option<i64>,
}

/// The raw Decal value maps, keyed by Decal value key (serialized with string keys, as
/// JSON requires), plus the spell id lists. Kept so re-normalizing never needs a new dump.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawMaps {
    pub int: BTreeMap<u32, i64>,
    pub double: BTreeMap<u32, f64>,
    pub string: BTreeMap<u32, String>,
    pub bool: BTreeMap<u32, bool>,
    pub spells: Vec<u32>,
    pub active_spells: Vec<u32>,
}

impl RawMaps {
    /// True when nothing raw was received.
    pub fn is_empty(&self) -> bool {
        self.int.is_empty()
            && self.double.is_empty()
            && self.string.is_empty()
            && self.bool.is_empty()
            && self.spells.is_empty()
            && self.active_spells.is_empty()
    }
}

/// The normalized item v1. Field meanings and ids: protocol.md §5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub object_id: u32,
    /// The character name as last sent (display form; the store matches it without case).
    pub owner: String,
    pub container_id: Option<u32>,
    pub location: Location,
    pub wielded_mask: u32,
    pub wcid: Option<u32>,
    pub name: String,
    pub object_class: Option<Named>,
    pub item_type: Option<u32>,
    pub stack_size: Option<i64>,
    pub value: Option<i64>,
    pub burden: Option<i64>,
    /// 1–10; fractional for salvage bags (Decal SalvageWorkmanship).
    pub workmanship: Option<f64>,
    pub material: Option<Named>,
    pub equip_mask: Option<u32>,
    #[serde(default)]
    pub slots: Vec<String>,
    pub coverage_mask: Option<u32>,
    #[serde(default)]
    pub coverage: Vec<String>,
    pub armor_level: Option<i64>,
    pub armor_mods: Option<ArmorMods>,
    pub set_id: Option<u32>,
    pub set_name: Option<String>,
    #[serde(default)]
    pub spells: Vec<Spell>,
    #[serde(default)]
    pub cantrips: Vec<String>,
    pub arcane_lore: Option<i64>,
    pub spellcraft: Option<i64>,
    pub mana: Option<Mana>,
    #[serde(default)]
    pub ratings: Ratings,
    #[serde(default)]
    pub wield_requirements: Vec<WieldRequirement>,
    pub tinks: Option<i64>,
    #[serde(default)]
    pub imbues: Vec<String>,
    pub attuned: Option<bool>,
    pub bonded: Option<bool>,
    pub retained: Option<bool>,
    pub rare_id: Option<i64>,
    pub weapon: Option<Weapon>,
    pub item_level: Option<ItemLevel>,
    pub has_id_data: bool,
    /// Unix ms of the last change the server stored.
    pub updated_at: i64,
    #[serde(default)]
    pub raw: RawMaps,
}

impl Item {
    /// The API shape: absent fields omitted, `raw` only when `with_raw`.
    pub fn view(&self, with_raw: bool) -> ItemView<'_> {
        ItemView { item: self, with_raw }
    }

    /// The highest level requirement (wield type 7), 0 when none.
    pub fn wield_level(&self) -> i64 {
        self.wield_requirements
            .iter()
            .filter(|r| r.kind == crate::inventory::tables::WIELD_TYPE_LEVEL)
            .map(|r| r.value)
            .max()
            .unwrap_or(0)
    }

    /// Whether the item's content equals `other` ignoring `updated_at` (used to keep the
    /// previous timestamp and skip rewriting an unchanged item).
    pub fn same_content(&self, other: &Item) -> bool {
        if self.updated_at == other.updated_at {
            return self == other;
        }
        let mut probe = self.clone();
        probe.updated_at = other.updated_at;
        probe == *other
    }
}

/// Serializes an `Item` in the API shape (see `Item::view`).
pub struct ItemView<'a> {
    item: &'a Item,
    with_raw: bool,
}

impl Serialize for ItemView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let it = self.item;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("object_id", &it.object_id)?;
        m.serialize_entry("owner", &it.owner)?;
        opt(&mut m, "container_id", &it.container_id)?;
        m.serialize_entry("location", &it.location)?;
        m.serialize_entry("wielded_mask", &it.wielded_mask)?;
        opt(&mut m, "wcid", &it.wcid)?;
        m.serialize_entry("name", &it.name)?;
        opt(&mut m, "object_class", &it.object_class)?;
        opt(&mut m, "item_type", &it.item_type)?;
        opt(&mut m, "stack_size", &it.stack_size)?;
        opt(&mut m, "value", &it.value)?;
        opt(&mut m, "burden", &it.burden)?;
        opt(&mut m, "workmanship", &it.workmanship)?;
        opt(&mut m, "material", &it.material)?;
        opt(&mut m, "equip_mask", &it.equip_mask)?;
        m.serialize_entry("slots", &it.slots)?;
        opt(&mut m, "coverage_mask", &it.coverage_mask)?;
        m.serialize_entry("coverage", &it.coverage)?;
        opt(&mut m, "armor_level", &it.armor_level)?;
        if let Some(mods) = &it.armor_mods {
            m.serialize_entry("armor_mods", &ArmorModsView(mods))?;
        }
        opt(&mut m, "set_id", &it.set_id)?;
        opt(&mut m, "set_name", &it.set_name)?;
        m.serialize_entry("spells", &SpellsView(&it.spells))?;
        m.serialize_entry("cantrips", &it.cantrips)?;
        opt(&mut m, "arcane_lore", &it.arcane_lore)?;
        opt(&mut m, "spellcraft", &it.spellcraft)?;
        if let Some(mana) = &it.mana {
            m.serialize_entry("mana", &PairView(&[("current", mana.current), ("max", mana.max)]))?;
        }
        m.serialize_entry("ratings", &RatingsView(&it.ratings))?;
        m.serialize_entry("wield_requirements", &WieldView(&it.wield_requirements))?;
        opt(&mut m, "tinks", &it.tinks)?;
        m.serialize_entry("imbues", &it.imbues)?;
        opt(&mut m, "attuned", &it.attuned)?;
        opt(&mut m, "bonded", &it.bonded)?;
        opt(&mut m, "retained", &it.retained)?;
        opt(&mut m, "rare_id", &it.rare_id)?;
        if let Some(w) = &it.weapon {
            m.serialize_entry("weapon", &WeaponView(w))?;
        }
        if let Some(level) = &it.item_level {
            m.serialize_entry("item_level", &PairView(&[("current", level.current), ("max", level.max)]))?;
        }
        m.serialize_entry("has_id_data", &it.has_id_data)?;
        m.serialize_entry("updated_at", &it.updated_at)?;
        if self.with_raw {
            m.serialize_entry("raw", &it.raw)?;
        }
        m.end()
    }
}

fn opt<M: SerializeMap, T: Serialize>(m: &mut M, key: &str, v: &Option<T>) -> Result<(), M::Error> {
    match v {
        Some(v) => m.serialize_entry(key, v),
        None => Ok(()),
    }
}

struct ArmorModsView<'a>(&'a ArmorMods);

impl Serialize for ArmorModsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = serializer.serialize_map(None)?;
        opt(&mut m, "slash", &a.slash)?;
        opt(&mut m, "pierce", &a.pierce)?;
        opt(&mut m, "bludgeon", &a.bludgeon)?;
        opt(&mut m, "cold", &a.cold)?;
        opt(&mut m, "fire", &a.fire)?;
        opt(&mut m, "acid", &a.acid)?;
        opt(&mut m, "electric", &a.electric)?;
        m.end()
    }
}

struct PairView<'a>(&'a [(&'static str, Option<i64>)]);

impl Serialize for PairView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        for (k, v) in self.0 {
            opt(&mut m, k, v)?;
        }
        m.end()
    }
}

struct RatingsView<'a>(&'a Ratings);

impl Serialize for RatingsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        for (k, v) in self.0.present() {
            m.serialize_entry(k, &v)?;
        }
        m.end()
    }
}

struct SpellsView<'a>(&'a [Spell]);

impl Serialize for SpellsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for spell in self.0 {
            seq.serialize_element(&SpellView(spell))?;
        }
        seq.end()
    }
}

struct SpellView<'a>(&'a Spell);

impl Serialize for SpellView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("id", &self.0.id)?;
        opt(&mut m, "name", &self.0.name)?;
        m.end()
    }
}

struct WieldView<'a>(&'a [WieldRequirement]);

impl Serialize for WieldView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&WieldOneView(r))?;
        }
        seq.end()
    }
}

struct WieldOneView<'a>(&'a WieldRequirement);

impl Serialize for WieldOneView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = serializer.serialize_map(None)?;
        m.serialize_entry("type", &r.kind)?;
        opt(&mut m, "type_name", &r.type_name)?;
        m.serialize_entry("skill_id", &r.skill_id)?;
        opt(&mut m, "skill_name", &r.skill_name)?;
        m.serialize_entry("value", &r.value)?;
        m.end()
    }
}

struct WeaponView<'a>(&'a Weapon);

impl Serialize for WeaponView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let w = self.0;
        let mut m = serializer.serialize_map(None)?;
        opt(&mut m, "skill", &w.skill)?;
        opt(&mut m, "max_damage", &w.max_damage)?;
        opt(&mut m, "variance", &w.variance)?;
        if !w.damage_types.is_empty() {
            m.serialize_entry("damage_types", &w.damage_types)?;
        }
        opt(&mut m, "speed", &w.speed)?;
        opt(&mut m, "attack_bonus", &w.attack_bonus)?;
        opt(&mut m, "melee_defense", &w.melee_defense)?;
        opt(&mut m, "missile_defense", &w.missile_defense)?;
        opt(&mut m, "magic_defense", &w.magic_defense)?;
        opt(&mut m, "mana_conversion", &w.mana_conversion)?;
        opt(&mut m, "elemental_bonus", &w.elemental_bonus)?;
        opt(&mut m, "elemental_vs_monsters", &w.elemental_vs_monsters)?;
        opt(&mut m, "damage_mod", &w.damage_mod)?;
        m.end()
    }
}
