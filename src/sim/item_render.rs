//! Turns an item record into wire JSON: derives the full item from the record's seed
//! (template, material, armor level, cantrips, ratings, wield requirements, weapon stats)
//! and writes it in docs/protocol.md §5's normalized form, Mag-Tools' raw Decal form, or both.
//!
//! Owns item detail and wire shape. Never decides which items a character carries (that is
//! `items`) and never does I/O; the same record always renders the same JSON.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Map, Value, json};

use super::item_record::{ItemKind, ItemRecord, WireForm};
use super::item_tables::*;
use crate::game::sets::set_name;

/// Who owns the items being rendered, and how ids are written.
pub(super) struct RenderContext<'a> {
    pub owner: &'a str,
    pub signed_ids: bool,
    /// Unix seconds stamped as `last_id_time`.
    pub id_time: i64,
}

/// Everything known about one rendered item, before it is split into wire forms.
#[derive(Debug, Default)]
pub(super) struct ItemSpec {
    pub(super) wcid: Option<u32>,
    pub(super) name: String,
    pub(super) class: u32,
    pub(super) item_type: u32,
    pub(super) value: u32,
    pub(super) burden: u32,
    pub(super) workmanship: Option<u32>,
    pub(super) material: Option<u32>,
    pub(super) equip: u32,
    pub(super) coverage: u32,
    pub(super) armor_level: Option<u32>,
    pub(super) armor_mods: Option<[f64; 7]>,
    pub(super) set_id: Option<u32>,
    pub(super) spells: Vec<(u32, String)>,
    pub(super) arcane_lore: Option<u32>,
    pub(super) spellcraft: Option<u32>,
    pub(super) mana: Option<(u32, u32)>,
    pub(super) ratings: Vec<(u32, u32)>,
    pub(super) wield: Vec<(u32, u32, u32)>,
    pub(super) tinks: Option<u32>,
    pub(super) imbues: u32,
    pub(super) attuned: bool,
    pub(super) bonded: bool,
    pub(super) retained: bool,
    pub(super) rare_id: Option<u32>,
    pub(super) weapon: Option<WeaponSpec>,
    pub(super) item_level: Option<(u32, u32)>,
    pub(super) has_id_data: bool,
    pub(super) salvage_workmanship: Option<f64>,
    pub(super) inscription: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct WeaponSpec {
    skill: u32,
    max_damage: u32,
    variance: f64,
    damage_types: u32,
    speed: u32,
    attack_bonus: f64,
    melee_defense: f64,
    missile_defense: f64,
    magic_defense: f64,
    mana_conversion: Option<f64>,
    elemental_bonus: Option<u32>,
    elemental_vs_monsters: Option<f64>,
    damage_mod: f64,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn pick<'a, T>(rng: &mut SmallRng, list: &'a [T]) -> &'a T {
    &list[rng.random_range(0..list.len())]
}

fn variant<T: Copy>(list: &[T], v: u16) -> T {
    list[usize::from(v) % list.len()]
}

/// Cantrips for an item: 0–`max` families from `families`, tiers weighted towards the low
/// end as in loot.
fn roll_cantrips(rng: &mut SmallRng, families: &[&str], max: usize) -> Vec<(u32, String)> {
    let n = rng.random_range(0..=max);
    let mut chosen: Vec<&str> = Vec::with_capacity(n);
    while chosen.len() < n {
        let f = *pick(rng, families);
        if !chosen.contains(&f) {
            chosen.push(f);
        }
    }
    chosen
        .into_iter()
        .map(|f| {
            let roll: f64 = rng.random();
            let tier = match roll {
                r if r < 0.25 => 0,
                r if r < 0.60 => 1,
                r if r < 0.85 => 2,
                _ => 3,
            };
            cantrip_spell(tier, f)
        })
        .collect()
}

fn roll_rating(rng: &mut SmallRng, chance: f64) -> Vec<(u32, u32)> {
    if rng.random_bool(chance) {
        let (id, _) = *pick(rng, GEAR_RATINGS);
        vec![(id, rng.random_range(1..=3))]
    } else {
        Vec::new()
    }
}

fn level_req(rng: &mut SmallRng) -> Vec<(u32, u32, u32)> {
    match rng.random_range(0..4) {
        0 => Vec::new(),
        1 => vec![(7, 1, 150)],
        _ => vec![(7, 1, 180)],
    }
}

fn add_magic(spec: &mut ItemSpec, rng: &mut SmallRng) {
    if spec.spells.is_empty() {
        return;
    }
    spec.arcane_lore = Some(rng.random_range(200..=450));
    spec.spellcraft = Some(rng.random_range(250..=460));
    let max = rng.random_range(400..=3000);
    spec.mana = Some((rng.random_range(max / 2..=max), max));
}

/// Derives the full item from its record. Pure function of the record.
pub(super) fn build_spec(rec: &ItemRecord) -> ItemSpec {
    let mut rng = SmallRng::seed_from_u64(rec.seed);
    let rng = &mut rng;
    let mut s = ItemSpec { has_id_data: true, workmanship: Some(rng.random_range(1..=10)), ..ItemSpec::default() };
    match rec.kind {
        ItemKind::Armor => {
            let t = variant(ARMOR, rec.variant);
            s.wcid = t.wcid;
            s.name = t.name.to_string();
            s.class = 2;
            s.item_type = 2;
            s.equip = t.equip;
            s.coverage = t.coverage;
            s.material = Some(*pick(rng, if t.cloth { CLOTH_MATERIALS } else { METAL_MATERIALS }));
            let tinks = rng.random_range(0..=10);
            s.tinks = Some(tinks);
            s.armor_level = Some(t.base_al + rng.random_range(0..60) + tinks * 20);
            let mods: [f64; 7] = std::array::from_fn(|_| round2(rng.random_range(0.3..=1.2)));
            s.armor_mods = Some(mods);
            s.set_id = Some(if rec.set_hint != 0 { rec.set_hint } else { rng.random_range(ARMOR_SET_IDS) });
            s.spells = roll_cantrips(rng, ARMOR_CANTRIPS, 3);
            if rng.random_bool(0.5) {
                let (id, name) = *pick(rng, ARMOR_ITEM_SPELLS);
                s.spells.insert(0, (id, name.to_string()));
            }
            s.ratings = roll_rating(rng, 0.4);
            s.wield = level_req(rng);
            s.burden = t.base_burden + rng.random_range(0..200);
            s.value = rng.random_range(2000..30000);
            s.attuned = rng.random_bool(0.1);
            s.bonded = s.attuned && rng.random_bool(0.5);
        }
        ItemKind::Shirt | ItemKind::Pants => {
            let (name, cov, equip) =
                if rec.kind == ItemKind::Shirt { variant(SHIRTS, rec.variant) } else { variant(PANTS, rec.variant) };
            s.name = name.to_string();
            s.class = 3;
            s.item_type = 4;
            s.equip = equip;
            s.coverage = cov;
            s.material = Some(*pick(rng, CLOTH_MATERIALS));
            if rng.random_bool(0.5) {
                s.armor_level = Some(rng.random_range(10..=30));
            }
            s.spells = roll_cantrips(rng, ARMOR_CANTRIPS, 2);
            s.ratings = roll_rating(rng, 0.25);
            s.wield = level_req(rng);
            s.burden = rng.random_range(50..150);
            s.value = rng.random_range(500..8000);
        }
        ItemKind::Ring | ItemKind::Bracelet | ItemKind::Necklace | ItemKind::Trinket => {
            let (name, equip) = match rec.kind {
                ItemKind::Ring => (variant(RINGS, rec.variant), RING_MASK),
                ItemKind::Bracelet => (variant(BRACELETS, rec.variant), BRACELET_MASK),
                ItemKind::Necklace => (variant(NECKLACES, rec.variant), NECK_MASK),
                _ => (variant(TRINKETS, rec.variant), TRINKET_MASK),
            };
            s.wcid = (name == "Ring").then_some(WCID_RING);
            s.name = name.to_string();
            s.class = 4;
            s.item_type = 8;
            s.equip = equip;
            s.material = Some(*pick(rng, JEWEL_MATERIALS));
            s.spells = roll_cantrips(rng, JEWELRY_CANTRIPS, 3);
            s.ratings = roll_rating(rng, 0.5);
            s.wield = level_req(rng);
            if rng.random_bool(0.15) {
                s.imbues = *pick(rng, &[0x400, 0x800, 0x1000]);
            }
            s.burden = rng.random_range(10..60);
            s.value = rng.random_range(1000..15000);
        }
        ItemKind::Cloak => {
            s.name = "Cloak".into();
            s.class = 3;
            s.item_type = 4;
            s.equip = CLOAK_MASK;
            s.coverage = CLOAK_COVERAGE;
            s.material = Some(*pick(rng, CLOTH_MATERIALS));
            s.set_id = Some(rng.random_range(CLOAK_SET_IDS));
            let max = 5;
            s.item_level = Some((rng.random_range(1..=max), max));
            s.wield = vec![(7, 1, 180)];
            s.burden = 100;
            s.value = rng.random_range(5000..50000);
            s.attuned = true;
        }
        ItemKind::Aetheria => {
            let colour = AETHERIA_COLOURS[usize::from(rec.variant) % 3];
            s.name = format!("{colour} Coalesced Aetheria");
            // Decal's ObjectClass for aetheria is not stated in docs/protocol.md; Misc is used.
            s.class = 8;
            s.item_type = 0x80;
            s.equip = SIGIL_MASKS[usize::from(rec.variant) % 3];
            s.item_level = Some((rng.random_range(1..=5), 5));
            s.wield = vec![(7, 1, 75 + 75 * u32::from(rec.variant % 3))];
            s.burden = 50;
            s.value = rng.random_range(1000..20000);
            s.attuned = true;
            s.workmanship = None;
        }
        ItemKind::Melee | ItemKind::Missile | ItemKind::Caster => weapon_spec(&mut s, rec, rng),
        ItemKind::Shield => {
            s.name = variant(SHIELDS, rec.variant).to_string();
            s.class = 2;
            s.item_type = 2;
            s.equip = SHIELD_MASK;
            s.material = Some(*pick(rng, METAL_MATERIALS));
            let tinks = rng.random_range(0..=10);
            s.tinks = Some(tinks);
            s.armor_level = Some(300 + rng.random_range(0..120) + tinks * 20);
            s.spells = roll_cantrips(rng, &["Impenetrability", "Shield Aptitude", "Invulnerability"], 2);
            s.wield = level_req(rng);
            s.burden = rng.random_range(400..1200);
            s.value = rng.random_range(1000..12000);
        }
        ItemKind::Ammo => {
            s.name = if usize::from(rec.variant) == 2 { "Deadly Quarrel" } else { "Deadly Arrow" }.into();
            s.class = 9;
            s.item_type = 0x100;
            s.equip = AMMO_MASK;
            s.burden = 2 * rec.stack;
            s.value = 5 * rec.stack;
            s.workmanship = None;
        }
        ItemKind::Salvage => {
            let material = variant(MATERIALS, rec.variant).0;
            s.name = salvage_name(material);
            s.class = 39;
            s.item_type = 0x4000_0000;
            s.material = Some(material);
            s.salvage_workmanship = Some(round2(rng.random_range(1.0..10.0)));
            s.workmanship = None;
            s.burden = 5 * rec.stack.max(1);
            s.value = 20 * rec.stack.max(1);
        }
        ItemKind::Gem => {
            s.name = variant(GEMS, rec.variant).to_string();
            s.class = 11;
            s.item_type = 0x800;
            s.burden = 5 * rec.stack.max(1);
            s.value = rng.random_range(100..5000) * rec.stack.max(1);
            s.has_id_data = rng.random_bool(0.7);
        }
        ItemKind::Pyreals => {
            s.wcid = Some(WCID_PYREAL);
            s.name = "Pyreal".into();
            s.class = 7;
            s.item_type = 0x40;
            s.value = rec.stack;
            s.workmanship = None;
        }
        ItemKind::Tapers => {
            s.wcid = Some(WCID_PRISMATIC_TAPER);
            s.name = "Prismatic Taper".into();
            s.class = 12;
            s.item_type = 0x1000;
            s.burden = TAPER_BURDEN * rec.stack;
            s.value = 10 * rec.stack;
            s.workmanship = None;
        }
        ItemKind::Misc => {
            let (name, class, item_type, burden, value, _) = variant(MISC_ITEMS, rec.variant);
            s.name = name.to_string();
            s.class = class;
            s.item_type = item_type;
            s.burden = burden * rec.stack.max(1);
            s.value = value * rec.stack.max(1);
            s.workmanship = None;
            s.has_id_data = rng.random_bool(0.8);
        }
        ItemKind::Pack => {
            s.name = pick(rng, &["Pack", "Sack", "Explorer's Pack"]).to_string();
            s.class = 10;
            s.item_type = 0x200;
            s.burden = 200;
            s.value = 100;
            s.workmanship = None;
        }
        ItemKind::Rare => {
            let r = variant(super::world::RARES, rec.variant);
            s.wcid = r.wcid;
            s.name = r.name.to_string();
            s.class = 11;
            s.item_type = 0x800;
            s.rare_id = Some(rng.random_range(1..=300));
            s.burden = 20;
            s.value = 10_000;
            s.spells = roll_cantrips(rng, JEWELRY_CANTRIPS, 1);
            s.retained = false;
            s.workmanship = None;
        }
    }
    add_magic(&mut s, rng);
    if s.has_id_data && rng.random_bool(0.05) {
        s.inscription = Some(pick(rng, &["for the Moss Lords", "Sold by Bank Mule", "do not sell"]).to_string());
    }
    s.retained = s.retained || (s.class == 2 && rng.random_bool(0.05));
    s
}

fn weapon_spec(s: &mut ItemSpec, rec: &ItemRecord, rng: &mut SmallRng) {
    let t = match rec.kind {
        ItemKind::Melee => variant(MELEE_WEAPONS, rec.variant),
        ItemKind::Missile => variant(MISSILE_WEAPONS, rec.variant),
        _ => variant(CASTERS, rec.variant),
    };
    s.wcid = t.wcid;
    s.name = t.name.to_string();
    s.class = t.class;
    s.item_type = match t.class {
        1 => 1,
        9 => 0x100,
        _ => 0x8000,
    };
    s.equip = t.equip;
    s.material = Some(*pick(rng, if t.class == 9 { WOOD_MATERIALS } else { METAL_MATERIALS }));
    s.burden = t.burden + rng.random_range(0..100);
    s.value = rng.random_range(3000..40000);
    let caster = t.class == 31;
    let mut w = WeaponSpec {
        skill: t.skill,
        damage_types: if t.damage_types == 0 { *pick(rng, &[0x8u32, 0x10, 0x20, 0x40]) } else { t.damage_types },
        speed: t.speed,
        attack_bonus: if caster { 1.0 } else { round2(rng.random_range(1.05..=1.20)) },
        melee_defense: round2(rng.random_range(1.05..=1.20)),
        missile_defense: round2(rng.random_range(1.00..=1.12)),
        magic_defense: round2(rng.random_range(1.00..=1.12)),
        damage_mod: 1.0,
        ..WeaponSpec::default()
    };
    match t.class {
        1 => {
            w.max_damage = rng.random_range(40..=90);
            w.variance = round2(rng.random_range(0.3..=0.7));
        }
        9 => {
            w.damage_mod = round2(rng.random_range(2.0..=2.6));
            w.elemental_bonus = Some(rng.random_range(0..=24));
        }
        _ => {
            w.mana_conversion = Some(round2(rng.random_range(0.05..=0.30)));
            w.elemental_vs_monsters = Some(round2(rng.random_range(1.05..=1.18)));
        }
    }
    s.weapon = Some(w);
    let families = if caster { CASTER_CANTRIPS } else { WEAPON_CANTRIPS };
    s.spells = roll_cantrips(rng, families, 2);
    if !caster && rng.random_bool(0.6) {
        for sp in WEAPON_ITEM_SPELLS {
            s.spells.push((sp.0, sp.1.to_string()));
        }
    }
    s.ratings = roll_rating(rng, 0.35);
    s.wield = vec![(2, t.skill, *pick(rng, &[250u32, 325, 370, 400, 430]))];
    if rng.random_bool(0.5) {
        s.wield.push((7, 1, 150));
    }
    if rng.random_bool(0.5) {
        s.imbues = *pick(rng, &[0x1u32, 0x2, 0x4, 0x8, 0x10, 0x20, 0x80, 0x200]);
    }
    s.tinks = Some(rng.random_range(0..=4));
}

pub(super) fn is_cantrip(name: &str) -> bool {
    ["Minor ", "Major ", "Epic ", "Legendary "].iter().any(|p| name.starts_with(p))
}

/// An object id as Decal hands it over (signed `int`), or as a plain u32.
pub fn wire_id(id: u32, signed: bool) -> Value {
    if signed { json!(id as i32) } else { json!(id) }
}

pub(super) fn normalized_fields(out: &mut Map<String, Value>, s: &ItemSpec, rec: &ItemRecord, ctx: &RenderContext) {
    let signed = ctx.signed_ids;
    out.insert("owner".into(), json!(ctx.owner));
    out.insert("container_id".into(), wire_id(rec.container, signed));
    out.insert("location".into(), json!(rec.location.wire()));
    out.insert("wielded_mask".into(), json!(rec.wielded_mask));
    if let Some(w) = s.wcid {
        out.insert("wcid".into(), json!(w));
    }
    out.insert("object_class".into(), json!({"id": s.class, "name": object_class_name(s.class)}));
    out.insert("item_type".into(), json!(s.item_type));
    out.insert("stack_size".into(), json!(rec.stack));
    out.insert("value".into(), json!(s.value));
    out.insert("burden".into(), json!(s.burden));
    out.insert("has_id_data".into(), json!(s.has_id_data));
    if !s.has_id_data {
        return;
    }
    if let Some(w) = s.workmanship {
        out.insert("workmanship".into(), json!(w));
    }
    if let Some(m) = s.material {
        out.insert("material".into(), json!({"id": m, "name": material_name(m)}));
    }
    if s.equip != 0 {
        out.insert("equip_mask".into(), json!(s.equip));
        out.insert("slots".into(), json!(decode_mask(s.equip, EQUIP_MASK_NAMES)));
    }
    out.insert("coverage_mask".into(), json!(s.coverage));
    if s.coverage != 0 {
        out.insert("coverage".into(), json!(decode_mask(s.coverage, COVERAGE_NAMES)));
    }
    if let Some(al) = s.armor_level {
        out.insert("armor_level".into(), json!(al));
    }
    if let Some(m) = s.armor_mods {
        out.insert(
            "armor_mods".into(),
            json!({"slash": m[0], "pierce": m[1], "bludgeon": m[2], "cold": m[3], "fire": m[4], "acid": m[5], "electric": m[6]}),
        );
    }
    if let Some(set) = s.set_id {
        out.insert("set_id".into(), json!(set));
        if let Some(n) = set_name(set) {
            out.insert("set_name".into(), json!(n));
        }
    }
    out.insert("spells".into(), Value::Array(s.spells.iter().map(|(id, n)| json!({"id": id, "name": n})).collect()));
    let cantrips: Vec<&str> = s.spells.iter().map(|(_, n)| n.as_str()).filter(|n| is_cantrip(n)).collect();
    out.insert("cantrips".into(), json!(cantrips));
    if let Some(v) = s.arcane_lore {
        out.insert("arcane_lore".into(), json!(v));
    }
    if let Some(v) = s.spellcraft {
        out.insert("spellcraft".into(), json!(v));
    }
    if let Some((cur, max)) = s.mana {
        out.insert("mana".into(), json!({"current": cur, "max": max}));
    }
    let mut ratings = Map::new();
    for (id, v) in &s.ratings {
        if let Some((_, name)) = GEAR_RATINGS.iter().find(|(r, _)| r == id) {
            ratings.insert((*name).into(), json!(v));
        }
    }
    out.insert("ratings".into(), Value::Object(ratings));
    let reqs: Vec<Value> = s
        .wield
        .iter()
        .map(|(t, skill, v)| {
            let type_name = match t {
                2 => "RawSkill",
                7 => "Level",
                _ => "Skill",
            };
            json!({"type": t, "type_name": type_name, "skill_id": skill, "value": v})
        })
        .collect();
    out.insert("wield_requirements".into(), Value::Array(reqs));
    if let Some(t) = s.tinks {
        out.insert("tinks".into(), json!(t));
    }
    out.insert("imbues".into(), json!(decode_mask(s.imbues, IMBUE_NAMES)));
    out.insert("attuned".into(), json!(s.attuned));
    out.insert("bonded".into(), json!(s.bonded));
    out.insert("retained".into(), json!(s.retained));
    if let Some(r) = s.rare_id {
        out.insert("rare_id".into(), json!(r));
    }
    if let Some((cur, max)) = s.item_level {
        out.insert("item_level".into(), json!({"current": cur, "max": max}));
    }
    if let Some(w) = &s.weapon {
        let mut wo = Map::new();
        wo.insert("skill".into(), json!({"id": w.skill, "name": skill_name(w.skill)}));
        if w.max_damage > 0 {
            wo.insert("max_damage".into(), json!(w.max_damage));
            wo.insert("variance".into(), json!(w.variance));
        }
        wo.insert("damage_types".into(), json!(decode_mask(w.damage_types, DAMAGE_TYPE_NAMES)));
        if w.speed > 0 {
            wo.insert("speed".into(), json!(w.speed));
        }
        wo.insert("attack_bonus".into(), json!(w.attack_bonus));
        wo.insert("melee_defense".into(), json!(w.melee_defense));
        wo.insert("missile_defense".into(), json!(w.missile_defense));
        wo.insert("magic_defense".into(), json!(w.magic_defense));
        if let Some(v) = w.mana_conversion {
            wo.insert("mana_conversion".into(), json!(v));
        }
        if let Some(v) = w.elemental_bonus {
            wo.insert("elemental_bonus".into(), json!(v));
        }
        if let Some(v) = w.elemental_vs_monsters {
            wo.insert("elemental_vs_monsters".into(), json!(v));
        }
        wo.insert("damage_mod".into(), json!(w.damage_mod));
        out.insert("weapon".into(), Value::Object(wo));
    }
}

fn skill_name(id: u32) -> &'static str {
    match id {
        33 => "LifeMagic",
        34 => "WarMagic",
        41 => "TwoHandedCombat",
        43 => "VoidMagic",
        44 => "HeavyWeapons",
        45 => "LightWeapons",
        46 => "FinesseWeapons",
        47 => "MissileWeapons",
        _ => "Unknown",
    }
}

/// Decal-only value keys (docs/protocol.md §5).
const DECAL_CONTAINER: u32 = 218_103_810;
const DECAL_COVERAGE: u32 = 218_103_821;
const DECAL_EQUIPABLE_SLOTS: u32 = 218_103_822;
const DECAL_EQUIP_SKILL: u32 = 218_103_840;
const DECAL_MAX_DAMAGE: u32 = 218_103_842;
const DECAL_SALVAGE_WORKMANSHIP: u32 = 167_772_169;
const DECAL_VARIANCE: u32 = 167_772_171;
const DECAL_ATTACK_BONUS: u32 = 167_772_172;
const DECAL_DAMAGE_BONUS: u32 = 167_772_174;

pub(super) fn raw_fields(out: &mut Map<String, Value>, s: &ItemSpec, rec: &ItemRecord, ctx: &RenderContext) {
    let mut ints: Vec<(u32, i64)> = vec![
        (1, i64::from(s.item_type)),
        (5, i64::from(s.burden)),
        (19, i64::from(s.value)),
        (DECAL_CONTAINER, i64::from(rec.container as i32)),
    ];
    if rec.stack > 1 || matches!(rec.kind, ItemKind::Pyreals | ItemKind::Tapers) {
        ints.push((12, i64::from(rec.stack)));
    }
    if rec.wielded_mask != 0 {
        ints.push((10, i64::from(rec.wielded_mask)));
    }
    let mut doubles: Vec<(u32, f64)> = Vec::new();
    let mut strings: Vec<(u32, String)> = vec![(1, s.name.clone())];
    let mut bools: Vec<(u32, bool)> = Vec::new();
    if s.has_id_data {
        // Mag-Tools records Decal's own keys for slots and coverage; some plugin builds
        // also copy the ACE ids (4, 9). Decide per item from the seed so it is stable.
        let both_keys = rec.seed.is_multiple_of(2);
        if s.equip != 0 {
            ints.push((DECAL_EQUIPABLE_SLOTS, i64::from(s.equip)));
            if both_keys {
                ints.push((9, i64::from(s.equip)));
            }
        }
        if s.coverage != 0 {
            ints.push((DECAL_COVERAGE, i64::from(s.coverage)));
            if both_keys {
                ints.push((4, i64::from(s.coverage)));
            }
        }
        let opt = [
            (28, s.armor_level),
            (105, s.workmanship),
            (131, s.material),
            (265, s.set_id),
            (109, s.arcane_lore),
            (106, s.spellcraft),
            (107, s.mana.map(|m| m.0)),
            (108, s.mana.map(|m| m.1)),
            (171, s.tinks),
            (17, s.rare_id),
            (319, s.item_level.map(|l| l.1)),
        ];
        ints.extend(opt.iter().filter_map(|(k, v)| v.map(|v| (*k, i64::from(v)))));
        if s.imbues != 0 {
            ints.push((179, i64::from(s.imbues)));
        }
        if s.attuned {
            ints.push((114, 1));
        }
        if s.bonded {
            ints.push((33, 1));
        }
        ints.extend(s.ratings.iter().map(|(k, v)| (*k, i64::from(*v))));
        // Wield requirements: first in 158/159/160, second in 270/271/272.
        for (i, (t, skill, v)) in s.wield.iter().take(2).enumerate() {
            let keys = if i == 0 { (158, 159, 160) } else { (270, 271, 272) };
            ints.extend([(keys.0, i64::from(*t)), (keys.1, i64::from(*skill)), (keys.2, i64::from(*v))]);
        }
        if let Some(m) = s.armor_mods {
            doubles.extend((13u32..=19).zip(m));
        }
        if let Some(w) = &s.weapon {
            ints.push((48, i64::from(w.skill)));
            ints.push((DECAL_EQUIP_SKILL, i64::from(w.skill)));
            ints.push((45, i64::from(w.damage_types)));
            if w.speed > 0 {
                ints.push((49, i64::from(w.speed)));
            }
            if w.max_damage > 0 {
                ints.push((44, i64::from(w.max_damage)));
                ints.push((DECAL_MAX_DAMAGE, i64::from(w.max_damage)));
                doubles.push((DECAL_VARIANCE, w.variance));
            }
            if let Some(b) = w.elemental_bonus {
                ints.push((204, i64::from(b)));
            }
            doubles.push((DECAL_ATTACK_BONUS, w.attack_bonus));
            doubles.push((62, w.attack_bonus));
            doubles.push((29, w.melee_defense));
            doubles.push((149, w.missile_defense));
            doubles.push((150, w.magic_defense));
            doubles.push((63, w.damage_mod));
            doubles.push((DECAL_DAMAGE_BONUS, w.damage_mod));
            if let Some(v) = w.mana_conversion {
                doubles.push((144, v));
            }
            if let Some(v) = w.elemental_vs_monsters {
                doubles.push((152, v));
            }
        }
        if let Some(sw) = s.salvage_workmanship {
            doubles.push((DECAL_SALVAGE_WORKMANSHIP, sw));
        }
        if let Some(i) = &s.inscription {
            strings.push((7, i.clone()));
        }
        bools.push((91, s.retained));
    }
    let map_of = |pairs: Vec<(u32, Value)>| -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    };
    out.insert("int_values".into(), map_of(ints.into_iter().map(|(k, v)| (k, json!(v))).collect()));
    out.insert("double_values".into(), map_of(doubles.into_iter().map(|(k, v)| (k, json!(v))).collect()));
    out.insert("string_values".into(), map_of(strings.into_iter().map(|(k, v)| (k, json!(v))).collect()));
    out.insert("bool_values".into(), map_of(bools.into_iter().map(|(k, v)| (k, json!(v))).collect()));
    out.insert("last_id_time".into(), json!(if s.has_id_data { ctx.id_time } else { 0 }));
    out.insert("active_spells".into(), json!([]));
    if rec.form == WireForm::Raw {
        // The raw form alone: Decal's enum for the class and bare spell ids.
        out.insert("object_class".into(), json!(s.class));
        out.insert("has_id_data".into(), json!(s.has_id_data));
        let ids: Vec<u32> = s.spells.iter().map(|(id, _)| *id).collect();
        out.insert("spells".into(), json!(ids));
    }
}
