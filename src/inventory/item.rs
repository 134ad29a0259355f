//! The normalized item v1 (docs/protocol.md §5) and its two JSON shapes.
//!
//! `Item` derives serde without `skip_serializing_if` so that bincode (a positional format)
//! can store it; the API shape, which omits absent fields, is `ItemView` (`item.view(false)`
//! for lists, `item.view(true)` for `GET /api/items/{owner}/{object_id}`, which adds `raw`).
//! This module never parses wire input (that is `normalize`) and never touches storage.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Where an item sits, derived from `wielded_mask` and `container_id` (see `normalize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
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
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
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
/// docs/protocol.md §5 example 3.
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
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
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

/// The normalized item v1. Field meanings and ids: docs/protocol.md §5.
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

/// The API shape of an item (`Item::view`): absent fields are omitted, not `null`, and
/// `raw` is present only in `GET /api/items/{owner}/{object_id}`. It borrows the stored
/// `Item`; the dashboard's `Item` type is generated from it (`tests/bindings.rs`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "Item", optional_fields))]
pub struct ItemView<'a> {
    pub object_id: u32,
    pub owner: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<u32>,
    pub location: Location,
    pub wielded_mask: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wcid: Option<u32>,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object_class: Option<&'a Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burden: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workmanship: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub material: Option<&'a Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equip_mask: Option<u32>,
    pub slots: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage_mask: Option<u32>,
    pub coverage: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub armor_level: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub armor_mods: Option<ArmorModsView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_name: Option<&'a str>,
    pub spells: Vec<SpellView<'a>>,
    pub cantrips: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arcane_lore: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spellcraft: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mana: Option<LevelView>,
    /// Ratings present on the item, by contract name (absent means 0).
    pub ratings: BTreeMap<&'static str, i64>,
    pub wield_requirements: Vec<WieldView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tinks: Option<i64>,
    pub imbues: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attuned: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bonded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rare_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weapon: Option<WeaponView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_level: Option<LevelView>,
    pub has_id_data: bool,
    /// Unix ms of the last change the server stored.
    pub updated_at: i64,
    /// The raw Decal value maps (item detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<&'a RawMaps>,
}

impl Item {
    /// The API shape: absent fields omitted, `raw` only when `with_raw`.
    pub fn view(&self, with_raw: bool) -> ItemView<'_> {
        ItemView {
            object_id: self.object_id,
            owner: &self.owner,
            container_id: self.container_id,
            location: self.location,
            wielded_mask: self.wielded_mask,
            wcid: self.wcid,
            name: &self.name,
            object_class: self.object_class.as_ref(),
            item_type: self.item_type,
            stack_size: self.stack_size,
            value: self.value,
            burden: self.burden,
            workmanship: self.workmanship,
            material: self.material.as_ref(),
            equip_mask: self.equip_mask,
            slots: &self.slots,
            coverage_mask: self.coverage_mask,
            coverage: &self.coverage,
            armor_level: self.armor_level,
            armor_mods: self.armor_mods.as_ref().map(ArmorModsView::of),
            set_id: self.set_id,
            set_name: self.set_name.as_deref(),
            spells: self.spells.iter().map(SpellView::of).collect(),
            cantrips: &self.cantrips,
            arcane_lore: self.arcane_lore,
            spellcraft: self.spellcraft,
            mana: self.mana.as_ref().map(|m| LevelView { current: m.current, max: m.max }),
            ratings: self.ratings.present().collect(),
            wield_requirements: self.wield_requirements.iter().map(WieldView::of).collect(),
            tinks: self.tinks,
            imbues: &self.imbues,
            attuned: self.attuned,
            bonded: self.bonded,
            retained: self.retained,
            rare_id: self.rare_id,
            weapon: self.weapon.as_ref().map(WeaponView::of),
            item_level: self.item_level.as_ref().map(|l| LevelView { current: l.current, max: l.max }),
            has_id_data: self.has_id_data,
            updated_at: self.updated_at,
            raw: with_raw.then_some(&self.raw),
        }
    }
}

/// Armor modifiers versus damage types; absent ones omitted.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(optional_fields))]
pub struct ArmorModsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slash: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pierce: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bludgeon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fire: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acid: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub electric: Option<f64>,
}

impl ArmorModsView {
    fn of(a: &ArmorMods) -> Self {
        ArmorModsView {
            slash: a.slash,
            pierce: a.pierce,
            bludgeon: a.bludgeon,
            cold: a.cold,
            fire: a.fire,
            acid: a.acid,
            electric: a.electric,
        }
    }
}

/// A current/max pair (item mana, cloak and aetheria level); absent halves omitted.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(optional_fields))]
pub struct LevelView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// One spell of an item; `name` omitted for a spell sent as a bare id.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(optional_fields))]
pub struct SpellView<'a> {
    pub id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

impl<'a> SpellView<'a> {
    fn of(s: &'a Spell) -> Self {
        SpellView { id: s.id, name: s.name.as_deref() }
    }
}

/// One wield requirement in the API shape (`type`, optional names omitted).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(optional_fields))]
pub struct WieldView<'a> {
    #[serde(rename = "type")]
    pub kind: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_name: Option<&'a str>,
    pub skill_id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skill_name: Option<&'a str>,
    pub value: i64,
}

impl<'a> WieldView<'a> {
    fn of(r: &'a WieldRequirement) -> Self {
        WieldView {
            kind: r.kind,
            type_name: r.type_name.as_deref(),
            skill_id: r.skill_id,
            skill_name: r.skill_name.as_deref(),
            value: r.value,
        }
    }
}

/// Weapon (and caster/shield) properties in the API shape; absent ones omitted.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(optional_fields))]
pub struct WeaponView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skill: Option<&'a Named>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_damage: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
    /// Omitted when the item lists none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage_types: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attack_bonus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub melee_defense: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missile_defense: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magic_defense: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mana_conversion: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elemental_bonus: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elemental_vs_monsters: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage_mod: Option<f64>,
}

impl<'a> WeaponView<'a> {
    fn of(w: &'a Weapon) -> Self {
        WeaponView {
            skill: w.skill.as_ref(),
            max_damage: w.max_damage,
            variance: w.variance,
            damage_types: (!w.damage_types.is_empty()).then_some(w.damage_types.as_slice()),
            speed: w.speed,
            attack_bonus: w.attack_bonus,
            melee_defense: w.melee_defense,
            missile_defense: w.missile_defense,
            magic_defense: w.magic_defense,
            mana_conversion: w.mana_conversion,
            elemental_bonus: w.elemental_bonus,
            elemental_vs_monsters: w.elemental_vs_monsters,
            damage_mod: w.damage_mod,
        }
    }
}
