//! Seeded generators of item pools and requests, shared by tests and benches.
//!
//! Owns: loot-like pools (armor with multi-part coverage, loot sets 13–29, real cantrip
//! families at Major/Epic/Legendary, ratings, jewelry, cloaks, aetheria, under-layer
//! clothing) and small random cases for the brute-force comparison. Every item is built
//! as normalized JSON and decoded with [`Wearable::from_item_json`], so decoding is
//! exercised too. Must never: be used by production code paths (it is `#[doc(hidden)]`).

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::model::Wearable;
use super::request::SuitRequest;

/// Wearer cantrip families the generator draws from.
pub const FAMILIES: [&str; 30] = [
    "Strength",
    "Endurance",
    "Coordination",
    "Quickness",
    "Focus",
    "Willpower",
    "Invulnerability",
    "Impregnability",
    "Magic Resistance",
    "Heavy Weapon Aptitude",
    "Light Weapon Aptitude",
    "Finesse Weapon Aptitude",
    "Two Handed Combat Aptitude",
    "Missile Weapon Aptitude",
    "War Magic Aptitude",
    "Void Magic Aptitude",
    "Life Magic Aptitude",
    "Creature Enchantment Aptitude",
    "Item Enchantment Aptitude",
    "Mana Conversion Prowess",
    "Arcane Prowess",
    "Healing Prowess",
    "Armor",
    "Acid Ward",
    "Flame Ward",
    "Frost Ward",
    "Storm Ward",
    "Slashing Ward",
    "Piercing Ward",
    "Bludgeoning Ward",
];

/// (coverage, equip mask, name, weight) of generated armor shapes.
const ARMOR_SHAPES: [(u32, u32, &str, u32); 15] = [
    (0x4000, 0x1, "Helm", 10),
    (0x8000, 0x20, "Gauntlets", 10),
    (0x10000, 0x100, "Sollerets", 10),
    (0x400, 0x200, "Breastplate", 8),
    (0x800, 0x400, "Girth", 7),
    (0x1000, 0x800, "Pauldrons", 6),
    (0x2000, 0x1000, "Vambraces", 6),
    (0x100, 0x2000, "Tassets", 6),
    (0x200, 0x4000, "Greaves", 6),
    (0x3000, 0x1800, "Sleeves", 8),
    (0x300, 0x6000, "Leggings", 8),
    (0x0C00, 0x600, "Cuirass", 5),
    (0x3C00, 0x1E00, "Hauberk", 4),
    (0x0B00, 0x6400, "Pants", 3),
    (0x10200, 0x4100, "Greave Boots", 2),
];

/// (coverage, equip mask, name) of under-layer clothing.
const UNDER_SHAPES: [(u32, u32, &str); 6] = [
    (0x28, 0xA, "Shirt"),
    (0x68, 0x1A, "Long Sleeve Shirt"),
    (0x38, 0xE, "Tunic"),
    (0x16, 0xC4, "Pants"),
    (0x12, 0x44, "Breeches"),
    (0x06, 0xC0, "Trousers"),
];

const OWNERS: [&str; 4] = ["Mossy Tank", "Mule One", "Mule Two", "Mule Three"];

fn tier(rng: &mut SmallRng) -> &'static str {
    match rng.random_range(0..10) {
        0..=3 => "Major",
        4..=7 => "Epic",
        _ => "Legendary",
    }
}

fn cantrips(rng: &mut SmallRng, max: usize) -> Vec<String> {
    let n = rng.random_range(0..=max);
    let mut fams: Vec<&str> = FAMILIES.to_vec();
    fams.shuffle(rng);
    let mut out: Vec<String> = fams.iter().take(n).map(|f| format!("{} {f}", tier(rng))).collect();
    if rng.random_bool(0.2) {
        out.push("Legendary Impenetrability".into());
    }
    out
}

fn spells_json(names: &[String]) -> Value {
    Value::Array(names.iter().enumerate().map(|(i, n)| json!({"id": 6000 + i, "name": n})).collect())
}

/// A loot-like pool of `n` items (a few are weapons, which the solver ignores).
pub fn loot_pool(seed: u64, n: usize) -> Vec<Wearable> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let total_w: u32 = ARMOR_SHAPES.iter().map(|s| s.3).sum();
    (0..n)
        .filter_map(|i| {
            let id = 0x8000_0000u32 + (seed as u32 & 0xFFFF) * 0x1_0000 + i as u32;
            let owner = OWNERS[rng.random_range(0..OWNERS.len())];
            let attuned = rng.random_bool(0.03);
            let kind = rng.random_range(0..100);
            let v = if kind < 55 {
                let mut pick = rng.random_range(0..total_w);
                let mut shape = ARMOR_SHAPES[0];
                for s in ARMOR_SHAPES {
                    if pick < s.3 {
                        shape = s;
                        break;
                    }
                    pick -= s.3;
                }
                let set = rng.random_bool(0.6).then(|| rng.random_range(13..=29u32));
                let c = cantrips(&mut rng, 3);
                let mut ratings = serde_json::Map::new();
                if rng.random_bool(0.15) {
                    ratings.insert("crit_damage_resist".into(), json!(rng.random_range(1..=2)));
                }
                if rng.random_bool(0.1) {
                    ratings.insert("damage_resist".into(), json!(rng.random_range(1..=2)));
                }
                json!({"object_id": id, "owner": owner, "name": shape.2, "item_type": 2,
                    "object_class": {"id": 2, "name": "Armor"},
                    "material": {"id": ([52, 58, 61, 63, 64][rng.random_range(0..5)])},
                    "coverage_mask": shape.0, "equip_mask": shape.1,
                    "armor_level": rng.random_range(420..=720), "set_id": set,
                    "spells": spells_json(&c), "cantrips": c, "ratings": ratings,
                    "wield_requirements": [{"type": 7, "skill_id": 1, "value": 180}],
                    "attuned": attuned})
            } else if kind < 63 {
                let shape = UNDER_SHAPES[rng.random_range(0..UNDER_SHAPES.len())];
                let c = cantrips(&mut rng, 3);
                json!({"object_id": id, "owner": owner, "name": shape.2, "item_type": 4,
                    "material": {"id": rng.random_range(4..=8)}, "coverage_mask": shape.0,
                    "equip_mask": shape.1, "armor_level": rng.random_range(20..=150),
                    "spells": spells_json(&c), "attuned": attuned})
            } else if kind < 94 {
                let (equip, name) = match rng.random_range(0..31) {
                    0..=9 => (0xC0000, "Ring"),
                    10..=17 => (0x30000, "Bracelet"),
                    18..=23 => (0x8000, "Necklace"),
                    24..=26 => (0x4000000, "Trinket"),
                    27..=28 => (0x8000000, "Cloak"),
                    _ => ([0x10000000, 0x20000000, 0x40000000][rng.random_range(0..3)], "Aetheria"),
                };
                let c = if name == "Aetheria" {
                    Vec::new()
                } else {
                    cantrips(&mut rng, if name == "Cloak" { 1 } else { 3 })
                };
                let mut ratings = serde_json::Map::new();
                if rng.random_bool(0.3) {
                    let r = ["damage", "damage_resist", "crit_damage", "crit_damage_resist", "heal_boost", "vitality"]
                        [rng.random_range(0..6)];
                    ratings.insert(r.into(), json!(rng.random_range(1..=3)));
                }
                let (set, level) = match name {
                    "Cloak" => (Some(rng.random_range(49..=88u32)), Some(rng.random_range(1..=5u32))),
                    "Aetheria" => (Some(rng.random_range(35..=39u32)), Some(rng.random_range(1..=5u32))),
                    _ => (None, None),
                };
                json!({"object_id": id, "owner": owner, "name": name, "item_type": 8,
                    "coverage_mask": if name == "Cloak" { 0x20000 } else { 0 }, "equip_mask": equip,
                    "set_id": set, "item_level": {"current": level, "max": 5},
                    "spells": spells_json(&c), "ratings": ratings, "attuned": attuned})
            } else {
                json!({"object_id": id, "owner": owner, "name": "Battle Axe", "item_type": 1,
                    "equip_mask": 0x100000, "spells": spells_json(&["Legendary Blood Thirst".to_string()])})
            };
            Wearable::from_item_json(&v).ok()
        })
        .collect()
}

/// A typical request against a loot pool: 8–12 wanted cantrips (some with a minimum
/// tier) and two loot sets valued highly, no profile (so aetheria are assumed).
pub fn typical_request(seed: u64) -> SuitRequest {
    let mut rng = SmallRng::seed_from_u64(seed ^ 0x5EED);
    let mut fams: Vec<&str> = FAMILIES.to_vec();
    fams.shuffle(&mut rng);
    let n = rng.random_range(8..=12);
    let wanted: Vec<Value> = fams
        .iter()
        .take(n)
        .map(|f| if rng.random_bool(0.3) { json!({"family": f, "min_tier": "Epic"}) } else { json!({"family": f}) })
        .collect();
    let a = rng.random_range(13..=29u32);
    let mut b = rng.random_range(13..=29u32);
    if b == a {
        b = if a == 29 { 13 } else { a + 1 };
    }
    let table = json!({"2": 2000, "3": 4000, "4": 7000, "5": 12000});
    let v = json!({"character": "Mossy Tank", "items": [], "wanted_spells": wanted,
        "sets": [{"set_id": a, "values": table}, {"set_id": b, "values": table}],
        "top_k": 1, "time_limit_ms": 60000});
    serde_json::from_value(v).unwrap_or_else(|_| unreachable_request())
}

fn unreachable_request() -> SuitRequest {
    SuitRequest {
        character: "Mossy Tank".into(),
        owners: None,
        items: None,
        profile: None,
        wanted_spells: Vec::new(),
        sets: Vec::new(),
        locked: Vec::new(),
        excluded: Vec::new(),
        filters: Default::default(),
        weights: Default::default(),
        caps: Default::default(),
        allow_reduction: true,
        top_k: 1,
        time_limit_ms: None,
        threads: None,
    }
}

/// Families used by the small cases (few, so they collide often).
const SMALL_FAMILIES: [&str; 4] = ["Strength", "Focus", "Acid Ward", "Heavy Weapon Aptitude"];
const SMALL_TIERS: [&str; 8] = ["Feeble", "Lesser", "Inner", "Minor", "Moderate", "Major", "Epic", "Legendary"];

/// A small random case for the brute-force comparison: 4–10 items mixing single- and
/// multi-part armor (reducible or not), under-layer clothing, rings (sometimes identical),
/// bracelets, necklaces, cloaks and aetheria; random wanted spells with min tiers, set
/// tables, weights, caps, locked/excluded items, filters, wield requirements with a
/// profile, attuned items and top-k. The request is always valid (it may still have
/// infeasible locked items, which must give a 422).
pub fn small_case(seed: u64) -> (SuitRequest, Vec<Wearable>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let n = rng.random_range(4..=10);
    let mut items: Vec<Value> = Vec::new();
    for i in 0..n {
        let id = rng.random_range(1..=40u32) * 100 + i as u32;
        let owner = if rng.random_bool(0.8) { "Hero" } else { "Mule" };
        let kind = rng.random_range(0..100);
        let mut spells = Vec::new();
        for _ in 0..rng.random_range(0..=2) {
            let f = SMALL_FAMILIES[rng.random_range(0..SMALL_FAMILIES.len())];
            let t = SMALL_TIERS[rng.random_range(2..SMALL_TIERS.len())];
            spells.push(format!("{t} {f}"));
        }
        if rng.random_bool(0.1) {
            spells.push("Epic Blade Bane".into());
        }
        let mut ratings = serde_json::Map::new();
        for r in ["damage", "crit_damage", "heal_boost"] {
            if rng.random_bool(0.25) {
                ratings.insert(r.into(), json!(rng.random_range(1..=3)));
            }
        }
        let mut reqs = Vec::new();
        if rng.random_bool(0.2) {
            reqs.push(json!({"type": 7, "skill_id": 1, "value": rng.random_range(100..=200)}));
        }
        if rng.random_bool(0.1) {
            reqs.push(json!({"type": 2, "skill_id": 44, "value": rng.random_range(200..=400)}));
        }
        let attuned = rng.random_bool(0.1);
        let set = if rng.random_bool(0.5) { Some([13u32, 14, 30][rng.random_range(0..3)]) } else { None };
        let base = json!({"object_id": id, "owner": owner, "spells": spells_json(&spells),
            "ratings": ratings, "wield_requirements": reqs, "attuned": attuned});
        let mut v = base.as_object().cloned().unwrap_or_default();
        let mut put = |k: &str, x: Value| {
            v.insert(k.into(), x);
        };
        if kind < 45 {
            let shapes: [(u32, &str); 9] = [
                (0x4000, "Helm"),
                (0x400, "Breastplate"),
                (0x1000, "Pauldrons"),
                (0x2000, "Bracers"),
                (0x3000, "Sleeves"),
                (0x300, "Leggings"),
                (0x0B00, "Pants"),
                (0x13F00, "Robe"),
                (0x1C00, "Coat"),
            ];
            let (cov, name) = shapes[rng.random_range(0..shapes.len())];
            put("name", json!(name));
            put("item_type", json!(2));
            put("coverage_mask", json!(cov));
            put("armor_level", json!(rng.random_range(0..=6) * 10));
            if rng.random_bool(0.7) {
                put("material", json!({"id": 61}));
            }
            put("set_id", json!(set));
        } else if kind < 55 {
            let shapes: [(u32, &str); 3] = [(0x28, "Shirt"), (0x38, "Tunic"), (0x16, "Pants")];
            let (cov, name) = shapes[rng.random_range(0..shapes.len())];
            put("name", json!(name));
            put("item_type", json!(4));
            put("coverage_mask", json!(cov));
            put("armor_level", json!(rng.random_range(0..=3) * 5));
            put("material", json!({"id": 6}));
        } else if kind < 75 {
            put("name", json!("Ring"));
            put("item_type", json!(8));
            let mask = if rng.random_bool(0.9) { 0xC0000 } else { 0x40000 };
            put("equip_mask", json!(mask));
            if rng.random_bool(0.2) {
                put("set_id", json!(9));
            }
        } else if kind < 85 {
            put("name", json!("Bracelet"));
            put("item_type", json!(8));
            put("equip_mask", json!(0x30000));
        } else if kind < 90 {
            put("name", json!("Necklace"));
            put("item_type", json!(8));
            put("equip_mask", json!(0x8000));
        } else if kind < 95 {
            put("name", json!("Cloak"));
            put("equip_mask", json!(0x8000000));
            put("coverage_mask", json!(0x20000));
            put("set_id", json!(50));
            put("item_level", json!({"current": rng.random_range(1..=5), "max": 5}));
        } else {
            put("name", json!("Aetheria"));
            put("equip_mask", json!([0x10000000, 0x20000000][rng.random_range(0..2)]));
            put("set_id", json!(36));
            put("item_level", json!({"current": rng.random_range(1..=3), "max": 5}));
        }
        items.push(Value::Object(v));
        // Identical copies (same stats, another id) exercise tie-breaks and dominance.
        if rng.random_bool(0.15) && items.len() < 11 {
            let mut copy = items.last().cloned().unwrap_or(Value::Null);
            if let Some(o) = copy.as_object_mut() {
                o.insert("object_id".into(), json!(rng.random_range(1..=40u32) * 100 + 50 + i as u32));
            }
            items.push(copy);
        }
    }
    let items: Vec<Wearable> = items.iter().filter_map(|v| Wearable::from_item_json(v).ok()).collect();
    let mut ids: Vec<u32> = items.iter().map(|w| w.object_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let items: Vec<Wearable> = {
        let mut seen = Vec::new();
        items
            .into_iter()
            .filter(|w| {
                let fresh = !seen.contains(&w.object_id);
                seen.push(w.object_id);
                fresh
            })
            .collect()
    };

    let mut wanted = Vec::new();
    let mut fams = SMALL_FAMILIES.to_vec();
    fams.shuffle(&mut rng);
    for f in fams.iter().take(rng.random_range(0..=4)) {
        if rng.random_bool(0.3) {
            wanted.push(json!({"family": f.to_lowercase(), "min_tier": SMALL_TIERS[rng.random_range(3..8)]}));
        } else {
            wanted.push(json!({"family": f}));
        }
    }
    let mut sets = Vec::new();
    if rng.random_bool(0.5) {
        let mut values = serde_json::Map::new();
        for c in 1..=5 {
            if rng.random_bool(0.5) {
                values.insert(c.to_string(), json!(rng.random_range(0..=8) * 250));
            }
        }
        let set_id = [13, 14, 30, 50][rng.random_range(0..4)];
        sets.push(json!({"set_id": set_id, "values": values}));
    }
    let mut req = json!({"character": "Hero", "items": [], "wanted_spells": wanted, "sets": sets,
        "allow_reduction": rng.random_bool(0.6), "top_k": rng.random_range(1..=3)});
    let r = req.as_object_mut().map(std::mem::take).unwrap_or_default();
    let mut r = r;
    if rng.random_bool(0.4) {
        let mut w = serde_json::Map::new();
        w.insert("spell".into(), json!(rng.random_range(0..=3) * 100));
        w.insert("armor".into(), json!(rng.random_range(0..=2)));
        w.insert("ratings".into(), json!({"crit_damage": rng.random_range(0..=200), "nether_resist": 50}));
        r.insert("weights".into(), Value::Object(w));
    }
    if rng.random_bool(0.3) {
        r.insert("caps".into(), json!({"crit_damage": rng.random_range(0..=4), "damage": rng.random_range(1..=3)}));
    }
    if rng.random_bool(0.5) {
        let slots: Vec<&str> = ["blue", "yellow", "red"].into_iter().filter(|_| rng.random_bool(0.5)).collect();
        r.insert(
            "profile".into(),
            json!({"level": rng.random_range(90..=210), "skills": {"44": {"base": rng.random_range(150..=450),
                "current": 450, "training": 3}}, "aetheria_slots": slots}),
        );
    }
    if rng.random_bool(0.3) && !ids.is_empty() {
        r.insert("locked".into(), json!([ids[rng.random_range(0..ids.len())]]));
        if rng.random_bool(0.3) {
            let extra = ids[rng.random_range(0..ids.len())];
            if let Some(Value::Array(l)) = r.get_mut("locked")
                && !l.contains(&json!(extra))
            {
                l.push(json!(extra));
            }
        }
    }
    if rng.random_bool(0.2) && !ids.is_empty() {
        let ex = ids[rng.random_range(0..ids.len())];
        let locked_has = r.get("locked").and_then(Value::as_array).is_some_and(|l| l.contains(&json!(ex)));
        if !locked_has {
            r.insert("excluded".into(), json!([ex]));
        }
    }
    if rng.random_bool(0.2) {
        r.insert("filters".into(), json!({"armor_crit_damage_tiers": [0, 1]}));
    }
    let req: SuitRequest = serde_json::from_value(Value::Object(r)).unwrap_or_else(|_| unreachable_request());
    (req, items)
}
