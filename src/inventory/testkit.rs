//! A seeded, realistic generator of plugin inventory dumps for tests and benches.
//!
//! Owns nothing the server needs at run time; it never does I/O. Items come out in wire
//! form (docs/protocol.md §3.3/§5): about half in the raw Mag-Tools form (`int_values`,
//! `double_values`, `string_values`, `bool_values` keyed by Decal value keys, negative
//! dynamic ids), the rest in the normalized form, all with named spells. Characters are
//! hunters (80–200 items, most armor worn) or mules (270–300 items in packs).

use serde_json::{Value, json};

/// SplitMix64: tiny, seeded and good enough for test data (no dependency needed).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo + 1).max(1) as u64;
        lo + (self.next_u64() % span) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// Armor pieces: (name, coverage mask, equip mask).
const ARMOR: &[(&str, u32, u32)] = &[
    ("Koujia Sleeves", 0x3000, 0x1800),
    ("Koujia Breastplate", 0x400, 0x200),
    ("Koujia Leggings", 0x300, 0x6000),
    ("Amuli Shadow Coat", 0x3C00, 0x1E00),
    ("Amuli Shadow Leggings", 0x0B00, 0x6400),
    ("Celdon Girth", 0x800, 0x400),
    ("Celdon Breastplate", 0x400, 0x200),
    ("Celdon Sleeves", 0x3000, 0x1800),
    ("Lorica Breastplate", 0x400, 0x200),
    ("Lorica Gauntlets", 0x8000, 0x20),
    ("Lorica Boots", 0x10000, 0x100),
    ("Lorica Helm", 0x4000, 0x1),
    ("Chainmail Leggings", 0x300, 0x6000),
    ("Platemail Gauntlets", 0x8000, 0x20),
    ("Scalemail Helm", 0x4000, 0x1),
    ("Diforsa Pauldrons", 0x1000, 0x800),
    ("Yoroi Girth", 0x800, 0x400),
    ("Tenassa Breastplate", 0x400, 0x200),
    ("Sollerets", 0x10000, 0x100),
    ("Greaves", 0x200, 0x4000),
    ("Olthoi Celdon Helm", 0x4000, 0x1),
    ("Nariyid Sleeves", 0x3000, 0x1800),
    ("Covenant Bracers", 0x2000, 0x1000),
    ("Covenant Shield", 0, 0x200000),
];

const JEWELRY: &[(&str, u32)] = &[
    ("Ring", 0xC0000),
    ("Heavy Ring", 0xC0000),
    ("Bracelet", 0x30000),
    ("Heavy Bracelet", 0x30000),
    ("Necklace", 0x8000),
    ("Amulet", 0x8000),
    ("Gorget", 0x8000),
    ("Compass", 0x4000000),
    ("Goggles", 0x4000000),
    ("Mechanical Scarab", 0x4000000),
];

const CLOTHING: &[(&str, u32, u32)] = &[
    ("Shirt", 0x8 | 0x20, 0x2 | 0x8),
    ("Tunic", 0x8 | 0x20 | 0x40, 0x2 | 0x8 | 0x10),
    ("Baggy Pants", 0x2 | 0x4 | 0x10, 0x40 | 0x80 | 0x4),
    ("Trousers", 0x2 | 0x4, 0x40 | 0x80),
    ("Robe", 0x13F00, 0x7F00),
];

/// Weapons: (name, object class, equip mask, skill id).
const WEAPONS: &[(&str, u32, u32, u32)] = &[
    ("Battle Axe", 1, 0x100000, 44),
    ("Spadone", 1, 0x2000000, 41),
    ("Dirk", 1, 0x100000, 46),
    ("Katar", 1, 0x100000, 45),
    ("Tachi", 1, 0x100000, 44),
    ("Yumi", 9, 0x400000, 47),
    ("Heavy Crossbow", 9, 0x400000, 47),
    ("Atlatl", 9, 0x400000, 47),
    ("Staff", 31, 0x1000000, 34),
    ("Orb", 31, 0x1000000, 33),
    ("Baton", 31, 0x1000000, 43),
];

const CANTRIP_FAMILIES: &[&str] = &[
    "Strength",
    "Endurance",
    "Coordination",
    "Quickness",
    "Focus",
    "Willpower",
    "Invulnerability",
    "Impenetrability",
    "Magic Resistance",
    "Heavy Weapon Aptitude",
    "Finesse Weapon Aptitude",
    "Missile Weapon Aptitude",
    "War Magic Aptitude",
    "Life Magic Aptitude",
    "Void Magic Aptitude",
    "Mana Conversion Prowess",
    "Arcane Prowess",
    "Blood Thirst",
    "Armor",
    "Health Gain",
    "Stamina Gain",
    "Mana Gain",
    "Acid Ward",
    "Flame Ward",
    "Frost Ward",
    "Storm Ward",
    "Slashing Ward",
    "Piercing Ward",
    "Bludgeoning Ward",
];
const TIERS: &[&str] = &["Minor", "Moderate", "Major", "Epic", "Legendary"];
const ITEM_SPELLS: &[(u32, &str)] = &[
    (1486, "Impenetrability VI"),
    (1562, "Blade Bane VI"),
    (1566, "Acid Bane VI"),
    (1570, "Flame Bane VI"),
    (1616, "Aura of Blood Drinker Self VI"),
    (1592, "Aura of Heart Seeker Self VI"),
    (1605, "Aura of Defender Self VI"),
    (2091, "Strength Self VI"),
];
const SALVAGE: &[(u32, &str)] = &[
    (64, "Steel"),
    (63, "Silver"),
    (60, "Gold"),
    (61, "Iron"),
    (21, "Emerald"),
    (38, "Ruby"),
    (39, "Sapphire"),
    (33, "Opal"),
    (67, "Granite"),
    (75, "Oak"),
    (52, "Leather"),
    (8, "Wool"),
];
const ARMOR_MATERIALS: &[u32] = &[52, 55, 58, 59, 60, 61, 62, 63, 64];
const CLOTH_MATERIALS: &[u32] = &[4, 5, 6, 7, 8];
const MISC: &[(&str, u32)] = &[
    ("Pyreal", 7),
    ("Trade Note (250,000)", 15),
    ("Mana Stone", 16),
    ("Major Mana Stone", 16),
    ("Treated Healing Kit", 29),
    ("Lead Scarab", 12),
    ("Prismatic Taper", 12),
    ("Hieroglyph of Fire", 12),
    ("Ash Gromnie Stew", 6),
    ("Health Elixir", 22),
    ("Aged Legendary Key", 13),
];
const GEMS: &[&str] = &["Sapphire", "Ruby", "Emerald", "Diamond", "Black Opal", "Fire Opal", "Jet", "Imperial Topaz"];
const NAME_PARTS: &[&str] = &[
    "Mossy", "Tank", "Scout", "Ye", "Thorn", "Bright", "Ash", "Vale", "Iron", "Quill", "Raven", "Stone", "Wisp",
    "Dusk", "Ember", "Frost", "Gale", "Holt", "Kestrel", "Lark", "Marsh", "North", "Oak", "Pike",
];

/// Dynamic object ids start here (0x80000000); the plugin sends them as negative ints.
const FIRST_DYNAMIC_ID: u32 = 0x8000_1000;

/// A seeded generator. The same seed always yields the same items.
#[derive(Debug, Clone)]
pub struct ItemGen {
    pub rng: Rng,
    next_id: u32,
}

/// What a character is used for, which shapes its inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharacterKind {
    Hunter,
    Mule,
}

impl ItemGen {
    pub fn new(seed: u64) -> ItemGen {
        ItemGen { rng: Rng::new(seed), next_id: FIRST_DYNAMIC_ID.wrapping_add((seed as u32 & 0xFFF) << 16) }
    }

    /// A fresh dynamic object id.
    pub fn next_object_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1).max(FIRST_DYNAMIC_ID);
        self.next_id
    }

    /// A plausible, unique-ish character name for index `i` (`"Mossy Tank 12"`).
    pub fn character_name(i: usize) -> String {
        let a = NAME_PARTS[i % NAME_PARTS.len()];
        let b = NAME_PARTS[(i / NAME_PARTS.len() + 7) % NAME_PARTS.len()];
        format!("{a} {b} {i}")
    }

    /// A full dump for one character: wire-form items.
    pub fn character_dump(&mut self, kind: CharacterKind) -> Vec<Value> {
        let guid = 0x5000_0000 | (self.rng.range(1, 0x0FFF_FFFE) as u32);
        let packs: Vec<u32> = (0..7).map(|_| self.next_object_id()).collect();
        let count = match kind {
            CharacterKind::Hunter => self.rng.range(80, 200) as usize,
            CharacterKind::Mule => self.rng.range(270, 300) as usize,
        };
        let mut items = Vec::with_capacity(count);
        for n in 0..count {
            // Hunters wear their first ~20 items.
            let worn = kind == CharacterKind::Hunter && n < 20;
            let container = if worn || self.rng.chance(0.35) { guid } else { *self.rng.pick(&packs) };
            items.push(self.item(container, worn, kind));
        }
        items
    }

    /// One random item in `container`; `worn` makes it a wielded wearable.
    pub fn item(&mut self, container: u32, worn: bool, kind: CharacterKind) -> Value {
        let roll = self.rng.range(0, 99);
        let mule_bias = if kind == CharacterKind::Mule { 10 } else { 0 };
        if worn {
            return match roll % 3 {
                0 => self.jewelry(container, true),
                _ => self.armor(container, true),
            };
        }
        match roll {
            r if r < 34 + mule_bias => self.armor(container, false),
            r if r < 52 + mule_bias => self.jewelry(container, false),
            r if r < 60 + mule_bias => self.clothing(container),
            r if r < 72 + mule_bias => self.weapon(container),
            r if r < 82 => self.salvage(container),
            r if r < 88 => self.gem(container),
            _ => self.misc(container),
        }
    }

    fn spells(&mut self, max_cantrips: i64, item_spells: i64) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..self.rng.range(0, item_spells) {
            let (id, name) = *self.rng.pick(ITEM_SPELLS);
            out.push(json!({"id": id, "name": name}));
        }
        for _ in 0..self.rng.range(0, max_cantrips) {
            let tier = *self.rng.pick(TIERS);
            let family = *self.rng.pick(CANTRIP_FAMILIES);
            out.push(json!({"id": 6000 + self.rng.range(0, 600), "name": format!("{tier} {family}")}));
        }
        out
    }

    /// Emits either the raw Mag-Tools form or the normalized form of the same facts.
    fn emit(
        &mut self,
        id: u32,
        name: &str,
        class: u32,
        ints: Vec<(u32, i64)>,
        doubles: Vec<(u32, f64)>,
        spells: Vec<Value>,
    ) -> Value {
        if self.rng.chance(0.5) {
            let int_values: serde_json::Map<String, Value> =
                ints.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            let double_values: serde_json::Map<String, Value> =
                doubles.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
            // Decal ids are signed ints: dynamic ids arrive negative.
            json!({
                "id": id as i32, "object_class": class, "has_id_data": true,
                "last_id_time": 1_750_000_000, "int_values": int_values, "double_values": double_values,
                "string_values": {"1": name}, "bool_values": {}, "spells": spells, "active_spells": []
            })
        } else {
            let get = |k: u32| ints.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
            let getd = |k: u32| doubles.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
            let mut o = json!({"object_id": id, "name": name, "object_class": {"id": class}, "spells": spells});
            let m = o.as_object_mut().expect("json! object");
            let mut put = |key: &str, v: Option<Value>| {
                if let Some(v) = v {
                    m.insert(key.to_string(), v);
                }
            };
            put("container_id", get(218_103_810).map(|v| json!(v)));
            put("wielded_mask", get(10).map(|v| json!(v)));
            put("value", get(19).map(|v| json!(v.to_string()))); // numbers as strings happen
            put("burden", get(5).map(|v| json!(v)));
            put("stack_size", get(12).map(|v| json!(v)));
            put("workmanship", get(105).map(|v| json!(v)).or_else(|| getd(167_772_169).map(|v| json!(v))));
            put("material", get(131).map(|v| json!({"id": v})));
            put("equip_mask", get(9).map(|v| json!(v)));
            put("coverage_mask", get(4).map(|v| json!(v)));
            put("armor_level", get(28).map(|v| json!(v)));
            put("set_id", get(265).map(|v| json!(v)));
            put("tinks", get(171).map(|v| json!(v)));
            put("has_id_data", Some(json!(true)));
            let ratings: serde_json::Map<String, Value> = crate::inventory::tables::RATINGS
                .iter()
                .filter_map(|(rid, rname)| get(*rid).map(|v| (rname.to_string(), json!(v))))
                .collect();
            put("ratings", (!ratings.is_empty()).then_some(Value::Object(ratings)));
            if let Some(t) = get(158) {
                put(
                    "wield_requirements",
                    Some(json!([{"type": t, "skill_id": get(159).unwrap_or(0), "value": get(160).unwrap_or(0)}])),
                );
            }
            if let Some(md) = get(218_103_842) {
                put(
                    "weapon",
                    Some(json!({"skill": get(48), "max_damage": md, "variance": getd(22), "speed": get(49)})),
                );
            }
            o
        }
    }

    pub fn armor(&mut self, container: u32, worn: bool) -> Value {
        let id = self.next_object_id();
        let (name, coverage, equip) = *self.rng.pick(ARMOR);
        let mut ints = vec![
            (218_103_810, container as i32 as i64),
            (1, 2),
            (5, self.rng.range(200, 1500)),
            (19, self.rng.range(1_000, 40_000)),
            (105, self.rng.range(1, 10)),
            (131, *self.rng.pick(ARMOR_MATERIALS) as i64),
            (28, self.rng.range(150, 720)),
            (171, self.rng.range(0, 10)),
            (106, self.rng.range(150, 460)),
            (109, self.rng.range(100, 400)),
        ];
        if coverage != 0 {
            ints.push((4, coverage as i64));
        }
        ints.push((9, equip as i64));
        if worn {
            ints.push((10, equip as i64));
        }
        if self.rng.chance(0.7) {
            ints.push((265, self.rng.range(13, 29)));
        }
        if self.rng.chance(0.3) {
            ints.push((*self.rng.pick(&[371i64, 375, 374]) as u32, self.rng.range(1, 3)));
        }
        if self.rng.chance(0.8) {
            ints.extend([(158, 7), (159, 1), (160, *self.rng.pick(&[0i64, 100, 150, 180]))]);
        }
        let doubles = vec![(13, 1.0), (14, 0.8), (15, 1.0), (16, 0.5), (17, 0.5), (18, 0.3), (19, 0.6)];
        let spells = self.spells(4, 2);
        self.emit(id, name, 2, ints, doubles, spells)
    }

    pub fn jewelry(&mut self, container: u32, worn: bool) -> Value {
        let id = self.next_object_id();
        let (name, equip) = *self.rng.pick(JEWELRY);
        let mut ints = vec![
            (218_103_810, container as i32 as i64),
            (1, 8),
            (5, self.rng.range(5, 60)),
            (19, self.rng.range(500, 30_000)),
            (105, self.rng.range(1, 10)),
            (131, *self.rng.pick(&[60i64, 63, 59, 21, 38])),
            (9, equip as i64),
        ];
        if worn {
            ints.push((10, (equip & equip.wrapping_neg()) as i64));
        }
        if self.rng.chance(0.4) {
            ints.push((*self.rng.pick(&[370i64, 371, 374, 376, 379]) as u32, self.rng.range(1, 4)));
        }
        if self.rng.chance(0.6) {
            ints.extend([(158, 7), (159, 1), (160, *self.rng.pick(&[150i64, 180]))]);
        }
        let spells = self.spells(3, 0);
        self.emit(id, name, 4, ints, vec![], spells)
    }

    pub fn clothing(&mut self, container: u32) -> Value {
        let id = self.next_object_id();
        let (name, coverage, equip) = *self.rng.pick(CLOTHING);
        let ints = vec![
            (218_103_810, container as i32 as i64),
            (1, 4),
            (5, self.rng.range(50, 300)),
            (19, self.rng.range(100, 10_000)),
            (105, self.rng.range(1, 10)),
            (131, *self.rng.pick(CLOTH_MATERIALS) as i64),
            (4, coverage as i64),
            (9, equip as i64),
            (28, self.rng.range(0, 60)),
        ];
        let spells = self.spells(3, 0);
        self.emit(id, name, 3, ints, vec![], spells)
    }

    pub fn weapon(&mut self, container: u32) -> Value {
        let id = self.next_object_id();
        let (name, class, equip, skill) = *self.rng.pick(WEAPONS);
        let mut ints = vec![
            (218_103_810, container as i32 as i64),
            (1, if class == 31 { 32768 } else { 1 }),
            (5, self.rng.range(100, 1200)),
            (19, self.rng.range(1_000, 60_000)),
            (105, self.rng.range(1, 10)),
            (131, *self.rng.pick(&[64i64, 61, 75, 77, 58])),
            (9, equip as i64),
            (48, skill as i64),
            (49, self.rng.range(20, 90)),
            (218_103_842, self.rng.range(10, 90)),
            (45, *self.rng.pick(&[1i64, 2, 4, 8, 16, 32, 64])),
            (171, self.rng.range(0, 10)),
            (158, 2),
            (159, skill as i64),
            (160, *self.rng.pick(&[250i64, 300, 325, 350, 370, 400, 430])),
        ];
        if self.rng.chance(0.3) {
            ints.push((179, *self.rng.pick(&[1i64, 2, 4, 0x4000, 0x200])));
        }
        if self.rng.chance(0.3) {
            ints.push((370, self.rng.range(1, 3)));
        }
        let doubles = vec![(22, (self.rng.range(20, 80) as f64) / 100.0), (29, 1.1), (62, 1.15)];
        let spells = self.spells(2, 4);
        self.emit(id, name, class, ints, doubles, spells)
    }

    pub fn salvage(&mut self, container: u32) -> Value {
        let id = self.next_object_id();
        let (mat, mname) = *self.rng.pick(SALVAGE);
        let name = format!("Salvaged {mname}");
        let ints = vec![
            (218_103_810, container as i32 as i64),
            (1, 0x40000000),
            (5, 100),
            (19, self.rng.range(10, 5_000)),
            (131, mat as i64),
        ];
        let work = (self.rng.range(100, 1000) as f64) / 100.0;
        self.emit(id, &name, 39, ints, vec![(167_772_169, work)], vec![])
    }

    pub fn gem(&mut self, container: u32) -> Value {
        let id = self.next_object_id();
        let name = *self.rng.pick(GEMS);
        let ints = vec![
            (218_103_810, container as i32 as i64),
            (1, 2048),
            (5, 10),
            (19, self.rng.range(100, 20_000)),
            (12, self.rng.range(1, 25)),
        ];
        self.emit(id, name, 11, ints, vec![], vec![])
    }

    pub fn misc(&mut self, container: u32) -> Value {
        let id = self.next_object_id();
        let (name, class) = *self.rng.pick(MISC);
        let ints = vec![
            (218_103_810, container as i32 as i64),
            (5, self.rng.range(1, 50)),
            (19, self.rng.range(1, 250_000)),
            (12, self.rng.range(1, 100)),
        ];
        self.emit(id, name, class, ints, vec![], vec![])
    }
}
