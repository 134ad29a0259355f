//! The slot model (docs/solver.md §1–2) and the solver's view of one item, [`Wearable`].
//!
//! Owns: body parts and their coverage bits, jewelry/cloak/aetheria slot groups, the
//! reduction (tailoring) table, and the tolerant decoding of a normalized item (docs/protocol.md
//! §5) into a `Wearable`. Must never: look at anything but the item JSON it is handed
//! (no store, no I/O), or decide eligibility (that is `eligibility`).

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::SolverError;
use crate::game::cantrips::{Cantrip, parse_cantrip};
use crate::protocol::lenient::{bool_of, i64_of, string_of, u32_id_of, u32_of};

/// Largest armor level we believe (loot tops out near 1,000; the clamp keeps the integer
/// score far from overflow whatever a client sends).
pub const MAX_ARMOR_LEVEL: i64 = 10_000;
/// Largest single gear rating we believe on one item (real items carry 1–5).
pub const MAX_ITEM_RATING: i64 = 1_000;
/// Largest item level we believe (cloaks and aetheria reach 5).
pub const MAX_ITEM_LEVEL: u32 = 1_000;
/// Wield requirements read per item: the protocol allows four.
pub const MAX_WIELD_REQUIREMENTS: usize = 4;
/// Spell names read per item: real items carry fewer than 20.
pub const MAX_SPELLS_PER_ITEM: usize = 64;
/// Longest item name or owner kept (characters).
pub const MAX_NAME_CHARS: usize = 200;

/// Under-layer (shirt and pants) coverage bits.
pub const COVERAGE_UNDER: u32 = 0x7E;
/// Outer armor coverage bits (chest … lower legs).
pub const COVERAGE_OUTER: u32 = 0x3F00;
/// Head, hands and feet.
pub const COVERAGE_EXTREMITIES: u32 = 0x1C000;
/// Every coverage bit that is a suit position.
pub const COVERAGE_SUIT: u32 = COVERAGE_UNDER | COVERAGE_OUTER | COVERAGE_EXTREMITIES;
/// A robe: never reduced.
pub const ROBE_COVERAGE: u32 = 0x13F00;
/// ItemType flag for armor (filters apply to these).
pub const ITEM_TYPE_ARMOR: u32 = 0x2;

/// One body part a coverage item can occupy. The order is the order positions are listed
/// in a suit (and the search order of coverage steps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Head,
    Chest,
    Abdomen,
    UpperArms,
    LowerArms,
    Hands,
    UpperLegs,
    LowerLegs,
    Feet,
    UnderChest,
    UnderAbdomen,
    UnderUpperArms,
    UnderLowerArms,
    UnderUpperLegs,
    UnderLowerLegs,
}

impl Part {
    pub const ALL: [Part; 15] = [
        Part::Head,
        Part::Chest,
        Part::Abdomen,
        Part::UpperArms,
        Part::LowerArms,
        Part::Hands,
        Part::UpperLegs,
        Part::LowerLegs,
        Part::Feet,
        Part::UnderChest,
        Part::UnderAbdomen,
        Part::UnderUpperArms,
        Part::UnderLowerArms,
        Part::UnderUpperLegs,
        Part::UnderLowerLegs,
    ];

    /// The ClothingPriority bit of this part.
    pub fn bit(self) -> u32 {
        match self {
            Part::Head => 0x4000,
            Part::Hands => 0x8000,
            Part::Feet => 0x10000,
            Part::Chest => 0x400,
            Part::Abdomen => 0x800,
            Part::UpperArms => 0x1000,
            Part::LowerArms => 0x2000,
            Part::UpperLegs => 0x100,
            Part::LowerLegs => 0x200,
            Part::UnderChest => 0x8,
            Part::UnderAbdomen => 0x10,
            Part::UnderUpperArms => 0x20,
            Part::UnderLowerArms => 0x40,
            Part::UnderUpperLegs => 0x2,
            Part::UnderLowerLegs => 0x4,
        }
    }

    /// The name used in results (`position`, `reduce_to`).
    pub fn name(self) -> &'static str {
        match self {
            Part::Head => "head",
            Part::Hands => "hands",
            Part::Feet => "feet",
            Part::Chest => "chest",
            Part::Abdomen => "abdomen",
            Part::UpperArms => "upper_arms",
            Part::LowerArms => "lower_arms",
            Part::UpperLegs => "upper_legs",
            Part::LowerLegs => "lower_legs",
            Part::UnderChest => "under_chest",
            Part::UnderAbdomen => "under_abdomen",
            Part::UnderUpperArms => "under_upper_arms",
            Part::UnderLowerArms => "under_lower_arms",
            Part::UnderUpperLegs => "under_upper_legs",
            Part::UnderLowerLegs => "under_lower_legs",
        }
    }

    pub fn from_bit(bit: u32) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.bit() == bit)
    }

    /// The parts of a coverage mask, in listing order.
    pub fn parts_of(mask: u32) -> Vec<Part> {
        Part::ALL.into_iter().filter(|p| mask & p.bit() != 0).collect()
    }

    /// `"upper_arms+lower_arms"`: how a coverage item's position reads in a suit.
    pub fn describe(mask: u32) -> String {
        Part::parts_of(mask).iter().map(|p| p.name()).collect::<Vec<_>>().join("+")
    }
}

/// A jewelry, cloak or aetheria slot group (docs/solver.md §1). Wrists and fingers hold two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlotGroup {
    Neck,
    Wrists,
    Fingers,
    Trinket,
    Cloak,
    AetheriaBlue,
    AetheriaYellow,
    AetheriaRed,
}

impl SlotGroup {
    pub const ALL: [SlotGroup; 8] = [
        SlotGroup::Neck,
        SlotGroup::Wrists,
        SlotGroup::Fingers,
        SlotGroup::Trinket,
        SlotGroup::Cloak,
        SlotGroup::AetheriaBlue,
        SlotGroup::AetheriaYellow,
        SlotGroup::AetheriaRed,
    ];

    /// The equip (ValidLocations) bits of each slot of the group, in slot order.
    pub fn slot_bits(self) -> &'static [u32] {
        match self {
            SlotGroup::Neck => &[0x8000],
            SlotGroup::Wrists => &[0x10000, 0x20000],
            SlotGroup::Fingers => &[0x40000, 0x80000],
            SlotGroup::Trinket => &[0x4000000],
            SlotGroup::Cloak => &[0x8000000],
            SlotGroup::AetheriaBlue => &[0x10000000],
            SlotGroup::AetheriaYellow => &[0x20000000],
            SlotGroup::AetheriaRed => &[0x40000000],
        }
    }

    /// The `position` names of the group's slots.
    pub fn slot_names(self) -> &'static [&'static str] {
        match self {
            SlotGroup::Neck => &["neck"],
            SlotGroup::Wrists => &["wrist_left", "wrist_right"],
            SlotGroup::Fingers => &["finger_left", "finger_right"],
            SlotGroup::Trinket => &["trinket"],
            SlotGroup::Cloak => &["cloak"],
            SlotGroup::AetheriaBlue => &["aetheria_blue"],
            SlotGroup::AetheriaYellow => &["aetheria_yellow"],
            SlotGroup::AetheriaRed => &["aetheria_red"],
        }
    }

    pub fn capacity(self) -> usize {
        self.slot_bits().len()
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// Which of the group's slots an equip mask allows, as a bit per slot (bit 0 = first).
    pub fn allowed_slots(self, equip_mask: u32) -> u8 {
        let mut allowed = 0u8;
        for (i, b) in self.slot_bits().iter().enumerate() {
            if equip_mask & b != 0 {
                allowed |= 1 << i;
            }
        }
        allowed
    }
}

/// The reductions docs/solver.md §2 allows: (worn coverage, parts it may be cut down to).
pub const REDUCTIONS: &[(u32, &[Part])] = &[
    (0x3000, &[Part::UpperArms, Part::LowerArms]),
    (0x0300, &[Part::UpperLegs, Part::LowerLegs]),
    (0x10200, &[Part::Feet]),
    (0x0C00, &[Part::Chest]),
    (0x1C00, &[Part::Chest]),
    (0x1400, &[Part::Chest]),
    (0x3400, &[Part::Chest]),
    (0x3C00, &[Part::Chest]),
    (0x0B00, &[Part::Abdomen, Part::UpperLegs, Part::LowerLegs]),
    (0x0900, &[Part::Abdomen]),
];

/// The parts a loot item of this coverage may be reduced to (empty: never reduced).
pub fn reduction_targets(coverage: u32) -> &'static [Part] {
    if coverage == ROBE_COVERAGE {
        return &[];
    }
    REDUCTIONS.iter().find(|(c, _)| *c == coverage).map(|(_, t)| *t).unwrap_or(&[])
}

/// Equip-mask bits of body armor/clothing, mapped to coverage bits. Used only when an
/// item has no coverage mask (older dumps): ValidLocations then says where it goes.
const EQUIP_TO_COVERAGE: &[(u32, u32)] = &[
    (0x1, 0x4000),    // HeadWear
    (0x20, 0x8000),   // HandWear
    (0x100, 0x10000), // FootWear
    (0x2, 0x8),       // ChestWear (shirt)
    (0x4, 0x10),      // AbdomenWear
    (0x8, 0x20),      // UpperArmWear
    (0x10, 0x40),     // LowerArmWear
    (0x40, 0x2),      // UpperLegWear
    (0x80, 0x4),      // LowerLegWear
    (0x200, 0x400),   // ChestArmor
    (0x400, 0x800),   // AbdomenArmor
    (0x800, 0x1000),  // UpperArmArmor
    (0x1000, 0x2000), // LowerArmArmor
    (0x2000, 0x100),  // UpperLegArmor
    (0x4000, 0x200),  // LowerLegArmor
];

/// Gear ratings, in the order of [`Ratings`] (docs/protocol.md §5 ratings 370–379).
pub const RATING_NAMES: [&str; 10] = [
    "damage",
    "damage_resist",
    "crit",
    "crit_resist",
    "crit_damage",
    "crit_damage_resist",
    "heal_boost",
    "nether_resist",
    "life_resist",
    "vitality",
];
/// Number of gear ratings.
pub const NUM_RATINGS: usize = RATING_NAMES.len();

pub fn rating_index(name: &str) -> Option<usize> {
    RATING_NAMES.iter().position(|n| *n == name)
}

/// Gear rating values of an item (or totals of a suit), indexed like [`RATING_NAMES`].
pub type Ratings = [i64; NUM_RATINGS];

/// One wield requirement: `kind` (WieldRequirement enum), `skill` (skill or attribute id),
/// `value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WieldRequirement {
    pub kind: u32,
    pub skill: u32,
    pub value: i64,
}

/// Where an item can be worn, decided from its coverage and equip masks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Armor or clothing: occupies these coverage bits (a subset of [`COVERAGE_SUIT`]).
    Coverage(u32),
    /// Jewelry, cloak or aetheria: one of these groups, with the slots allowed in each
    /// (bit per slot of the group).
    Equip(Vec<(SlotGroup, u8)>),
    /// Weapons, shields, ammunition, anything without a suit position.
    NotWearable,
}

/// The solver's view of one item. Decoded tolerantly from a normalized item (docs/protocol.md
/// §5): unknown fields are ignored, missing optional ones take neutral defaults, numbers
/// may arrive as strings. Only `object_id` and `owner` are required.
#[derive(Clone, Debug, PartialEq)]
pub struct Wearable {
    pub object_id: u32,
    pub owner: String,
    pub name: String,
    /// ItemType flags [1]; 0 when unknown.
    pub item_type: u32,
    /// Decal ObjectClass id, when sent.
    pub object_class: Option<u32>,
    /// MaterialType [131]; present means loot (reducible when the shape allows).
    pub material: Option<u32>,
    /// ValidLocations [9].
    pub equip_mask: u32,
    /// ClothingPriority [4] as sent (may include the cloak bit or be 0).
    pub coverage_mask: u32,
    pub armor_level: i64,
    pub set_id: Option<u32>,
    pub set_name: Option<String>,
    /// Cantrips (`<Tier> <Family>` names) from `cantrips[]` and `spells[].name`,
    /// de-duplicated, item-acting families included (they are filtered when scoring).
    pub cantrips: Vec<Cantrip>,
    pub ratings: Ratings,
    pub wield_requirements: Vec<WieldRequirement>,
    /// PropertyInt 114 = 1.
    pub attuned: bool,
    /// `item_level.current` (cloaks, aetheria).
    pub item_level: Option<u32>,
}

impl<'de> Deserialize<'de> for Wearable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        Wearable::from_item_json(&v).map_err(serde::de::Error::custom)
    }
}

impl Wearable {
    /// Decodes one normalized item. Errors (422-class) only when `object_id` or `owner`
    /// is missing or unreadable, or the value is not an object.
    pub fn from_item_json(v: &Value) -> Result<Wearable, SolverError> {
        let obj = v.as_object().ok_or_else(|| SolverError::Invalid("an item must be a JSON object".into()))?;
        let object_id = obj.get("object_id").or_else(|| obj.get("id")).and_then(u32_id_of).ok_or_else(|| {
            SolverError::Invalid("an item has no readable object_id (u32, negative or hex accepted)".into())
        })?;
        let owner = obj.get("owner").and_then(string_of).map(|s| clip(&s)).ok_or_else(|| {
            SolverError::Invalid(format!("item {object_id} has no owner: every item needs the character holding it"))
        })?;
        let name = obj.get("name").and_then(string_of).map(|s| clip(&s)).unwrap_or_default();
        let id_of = |key: &str| -> Option<u32> {
            let f = obj.get(key)?;
            match f {
                Value::Object(o) => o.get("id").and_then(u32_of),
                other => u32_of(other),
            }
        };
        let material = id_of("material").filter(|m| *m != 0);
        let object_class = id_of("object_class");
        let num = |key: &str| obj.get(key).and_then(i64_of);
        let mask = |key: &str| obj.get(key).and_then(u32_id_of).unwrap_or(0);

        let mut cantrips: Vec<Cantrip> = Vec::new();
        let mut push_name = |n: &str| {
            if let Some(c) = parse_cantrip(n)
                && !cantrips.iter().any(|x| x.key == c.key && x.tier == c.tier)
            {
                cantrips.push(c);
            }
        };
        if let Some(Value::Array(list)) = obj.get("cantrips") {
            for s in list.iter().take(MAX_SPELLS_PER_ITEM) {
                if let Some(n) = s.as_str() {
                    push_name(n);
                }
            }
        }
        if let Some(Value::Array(list)) = obj.get("spells") {
            for s in list.iter().take(MAX_SPELLS_PER_ITEM) {
                let n = match s {
                    Value::String(n) => Some(n.as_str()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str),
                    _ => None,
                };
                if let Some(n) = n {
                    push_name(n);
                }
            }
        }

        let mut ratings = [0i64; NUM_RATINGS];
        if let Some(Value::Object(r)) = obj.get("ratings") {
            for (i, name) in RATING_NAMES.iter().enumerate() {
                if let Some(x) = r.get(*name).and_then(i64_of) {
                    ratings[i] = x.clamp(0, MAX_ITEM_RATING);
                }
            }
        }

        let mut wield_requirements = Vec::new();
        if let Some(Value::Array(list)) = obj.get("wield_requirements") {
            for r in list.iter().take(MAX_WIELD_REQUIREMENTS) {
                let Some(ro) = r.as_object() else { continue };
                let kind = ro.get("type").and_then(u32_of);
                let skill = ["skill_id", "skill", "attribute"]
                    .iter()
                    .find_map(|k| {
                        ro.get(*k).and_then(|s| match s {
                            Value::Object(o) => o.get("id").and_then(u32_of),
                            other => u32_of(other),
                        })
                    })
                    .unwrap_or(0);
                let value = ro.get("value").and_then(i64_of);
                if let (Some(kind), Some(value)) = (kind, value) {
                    wield_requirements.push(WieldRequirement { kind, skill, value });
                }
            }
        }

        let attuned = obj
            .get("attuned")
            .map(|a| bool_of(a).unwrap_or_else(|| i64_of(a).is_some_and(|x| x >= 1)))
            .unwrap_or(false);
        let item_level = match obj.get("item_level") {
            Some(Value::Object(o)) => o.get("current").and_then(u32_of),
            Some(other) => u32_of(other),
            None => None,
        }
        .map(|l| l.min(MAX_ITEM_LEVEL));
        let set_id = num("set_id").and_then(|s| u32::try_from(s).ok()).filter(|s| *s != 0);

        Ok(Wearable {
            object_id,
            owner,
            name,
            item_type: mask("item_type"),
            object_class,
            material,
            equip_mask: mask("equip_mask"),
            coverage_mask: mask("coverage_mask"),
            armor_level: num("armor_level").unwrap_or(0).clamp(0, MAX_ARMOR_LEVEL),
            set_id,
            set_name: obj.get("set_name").and_then(string_of).map(|s| clip(&s)),
            cantrips,
            ratings,
            wield_requirements,
            attuned,
            item_level,
        })
    }

    /// Where the item goes. Coverage wins over equip slots; an item without a coverage
    /// mask whose ValidLocations name body armor or clothing is mapped to coverage bits.
    pub fn placement(&self) -> Placement {
        let cov = self.coverage_mask & COVERAGE_SUIT;
        if cov != 0 {
            return Placement::Coverage(cov);
        }
        if self.coverage_mask == 0 {
            let derived =
                EQUIP_TO_COVERAGE.iter().filter(|(e, _)| self.equip_mask & e != 0).fold(0, |acc, (_, c)| acc | c);
            if derived != 0 {
                return Placement::Coverage(derived);
            }
        }
        let groups: Vec<(SlotGroup, u8)> = SlotGroup::ALL
            .into_iter()
            .filter_map(|g| {
                let allowed = g.allowed_slots(self.equip_mask);
                (allowed != 0).then_some((g, allowed))
            })
            .collect();
        if groups.is_empty() { Placement::NotWearable } else { Placement::Equip(groups) }
    }

    /// Whether this item is loot that may be tailored (has a material).
    pub fn is_loot(&self) -> bool {
        self.material.is_some()
    }

    /// `"<id> (<name>)"`, how error messages name an item.
    pub fn label(&self) -> String {
        if self.name.is_empty() { format!("{}", self.object_id) } else { format!("{} ({})", self.object_id, self.name) }
    }
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}
