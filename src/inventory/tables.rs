//! Game enumerations the item model decodes: ids to display names and bit masks to lists.
//!
//! Owns the static tables of `docs/protocol.md` §5 that only the item model reads (object
//! classes, materials, skills, wield-requirement types, equip and coverage masks, imbues,
//! damage types, gear ratings) and the suit *positions* of `docs/solver.md` §1 that search
//! filters on. Equipment-set names and cantrip tiers are shared with the solver and live in
//! `crate::game`. It never does I/O and never allocates per lookup beyond the `Vec`s a mask
//! decodes to.

use crate::game::fold_name;

/// Decal `ObjectClass` (`docs/protocol.md` §5): id → name. Index is the id.
const OBJECT_CLASSES: [&str; 43] = [
    "Unknown",
    "MeleeWeapon",
    "Armor",
    "Clothing",
    "Jewelry",
    "Monster",
    "Food",
    "Money",
    "Misc",
    "MissileWeapon",
    "Container",
    "Gem",
    "SpellComponent",
    "Key",
    "Portal",
    "TradeNote",
    "ManaStone",
    "Plant",
    "BaseCooking",
    "BaseAlchemy",
    "BaseFletching",
    "CraftedCooking",
    "CraftedAlchemy",
    "CraftedFletching",
    "Player",
    "Vendor",
    "Door",
    "Corpse",
    "Lifestone",
    "HealingKit",
    "Lockpick",
    "WandStaffOrb",
    "Bundle",
    "Book",
    "Journal",
    "Sign",
    "Housing",
    "Npc",
    "Foci",
    "Salvage",
    "Ust",
    "Services",
    "Scroll",
];

/// The name of a Decal object class id.
pub fn object_class_name(id: u32) -> Option<&'static str> {
    OBJECT_CLASSES.get(id as usize).copied()
}

/// A Decal object class id from its name, compared without case (`meleeweapon`, `Armor`).
pub fn object_class_id(name: &str) -> Option<u32> {
    OBJECT_CLASSES.iter().position(|n| n.eq_ignore_ascii_case(name.trim())).and_then(|i| u32::try_from(i).ok())
}

/// Every object class name, for error messages that list the accepted values.
pub fn object_class_names() -> &'static [&'static str] {
    &OBJECT_CLASSES
}

/// ACE `MaterialType` [131]: (id, display name).
const MATERIALS: &[(u32, &str)] = &[
    (1, "Ceramic"),
    (2, "Porcelain"),
    (3, "Cloth"),
    (4, "Linen"),
    (5, "Satin"),
    (6, "Silk"),
    (7, "Velvet"),
    (8, "Wool"),
    (9, "Gem"),
    (10, "Agate"),
    (11, "Amber"),
    (12, "Amethyst"),
    (13, "Aquamarine"),
    (14, "Azurite"),
    (15, "Black Garnet"),
    (16, "Black Opal"),
    (17, "Bloodstone"),
    (18, "Carnelian"),
    (19, "Citrine"),
    (20, "Diamond"),
    (21, "Emerald"),
    (22, "Fire Opal"),
    (23, "Green Garnet"),
    (24, "Green Jade"),
    (25, "Hematite"),
    (26, "Imperial Topaz"),
    (27, "Jet"),
    (28, "Lapis Lazuli"),
    (29, "Lavender Jade"),
    (30, "Malachite"),
    (31, "Moonstone"),
    (32, "Onyx"),
    (33, "Opal"),
    (34, "Peridot"),
    (35, "Red Garnet"),
    (36, "Red Jade"),
    (37, "Rose Quartz"),
    (38, "Ruby"),
    (39, "Sapphire"),
    (40, "Smokey Quartz"),
    (41, "Sunstone"),
    (42, "Tiger Eye"),
    (43, "Tourmaline"),
    (44, "Turquoise"),
    (45, "White Jade"),
    (46, "White Quartz"),
    (47, "White Sapphire"),
    (48, "Yellow Garnet"),
    (49, "Yellow Topaz"),
    (50, "Zircon"),
    (51, "Ivory"),
    (52, "Leather"),
    (53, "Armoredillo Hide"),
    (54, "Gromnie Hide"),
    (55, "Reed Shark Hide"),
    (56, "Metal"),
    (57, "Brass"),
    (58, "Bronze"),
    (59, "Copper"),
    (60, "Gold"),
    (61, "Iron"),
    (62, "Pyreal"),
    (63, "Silver"),
    (64, "Steel"),
    (65, "Stone"),
    (66, "Alabaster"),
    (67, "Granite"),
    (68, "Marble"),
    (69, "Obsidian"),
    (70, "Sandstone"),
    (71, "Serpentine"),
    (72, "Wood"),
    (73, "Ebony"),
    (74, "Mahogany"),
    (75, "Oak"),
    (76, "Pine"),
    (77, "Teak"),
];

/// The display name of a material id.
pub fn material_name(id: u32) -> Option<&'static str> {
    MATERIALS.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// A material id from its name, ignoring case, spaces and apostrophes.
pub fn material_id(name: &str) -> Option<u32> {
    let wanted = fold_name(name);
    MATERIALS.iter().find(|(_, n)| fold_name(n) == wanted).map(|(i, _)| *i)
}

/// ACE `Skill` ids 0–54 (docs/protocol.md §5 lists the ones suits use).
const SKILLS: [&str; 55] = [
    "None",
    "Axe",
    "Bow",
    "Crossbow",
    "Dagger",
    "Mace",
    "MeleeDefense",
    "MissileDefense",
    "Sling",
    "Spear",
    "Staff",
    "Sword",
    "ThrownWeapon",
    "UnarmedCombat",
    "ArcaneLore",
    "MagicDefense",
    "ManaConversion",
    "Spellcraft",
    "ItemTinkering",
    "AssessPerson",
    "Deception",
    "Healing",
    "Jump",
    "Lockpick",
    "Run",
    "Awareness",
    "ArmsAndArmorRepair",
    "AssessCreature",
    "WeaponTinkering",
    "ArmorTinkering",
    "MagicItemTinkering",
    "CreatureEnchantment",
    "ItemEnchantment",
    "LifeMagic",
    "WarMagic",
    "Leadership",
    "Loyalty",
    "Fletching",
    "Alchemy",
    "Cooking",
    "Salvaging",
    "TwoHandedCombat",
    "Gearcraft",
    "VoidMagic",
    "HeavyWeapons",
    "LightWeapons",
    "FinesseWeapons",
    "MissileWeapons",
    "Shield",
    "DualWield",
    "Recklessness",
    "SneakAttack",
    "DirtyFighting",
    "Challenge",
    "Summoning",
];

/// The name of a skill id (`44` → "HeavyWeapons").
pub fn skill_name(id: u32) -> Option<&'static str> {
    SKILLS.get(id as usize).copied()
}

/// Attribute ids used by wield requirement types 3 and 4.
const ATTRIBUTES: [&str; 7] = ["None", "Strength", "Endurance", "Quickness", "Coordination", "Focus", "Self"];

/// The name of an attribute id (`1` → "Strength").
pub fn attribute_name(id: u32) -> Option<&'static str> {
    ATTRIBUTES.get(id as usize).copied()
}

/// ACE `WieldRequirement` type names.
const WIELD_TYPES: [&str; 13] = [
    "Invalid",
    "Skill",
    "RawSkill",
    "Attrib",
    "RawAttrib",
    "SecondaryAttrib",
    "RawSecondaryAttrib",
    "Level",
    "Training",
    "IntStat",
    "BoolStat",
    "CreatureType",
    "HeritageType",
];

/// Wield requirement type 7: a character level requirement.
pub const WIELD_TYPE_LEVEL: u32 = 7;

/// The name of a wield requirement type (`7` → "Level").
pub fn wield_type_name(id: u32) -> Option<&'static str> {
    WIELD_TYPES.get(id as usize).copied()
}

/// The name of what a wield requirement of `kind` tests (`skill_id` is a skill for types
/// 1, 2 and 8, an attribute for 3 and 4; other types have no name).
pub fn wield_subject_name(kind: u32, skill_id: u32) -> Option<&'static str> {
    match kind {
        1 | 2 | 8 => skill_name(skill_id),
        3 | 4 => attribute_name(skill_id),
        _ => None,
    }
}

/// ACE `EquipMask` bit names (ValidLocations [9], CurrentWieldedLocation [10]).
pub const EQUIP_BITS: &[(u32, &str)] = &[
    (0x1, "HeadWear"),
    (0x2, "ChestWear"),
    (0x4, "AbdomenWear"),
    (0x8, "UpperArmWear"),
    (0x10, "LowerArmWear"),
    (0x20, "HandWear"),
    (0x40, "UpperLegWear"),
    (0x80, "LowerLegWear"),
    (0x100, "FootWear"),
    (0x200, "ChestArmor"),
    (0x400, "AbdomenArmor"),
    (0x800, "UpperArmArmor"),
    (0x1000, "LowerArmArmor"),
    (0x2000, "UpperLegArmor"),
    (0x4000, "LowerLegArmor"),
    (0x8000, "NeckWear"),
    (0x10000, "WristWearLeft"),
    (0x20000, "WristWearRight"),
    (0x40000, "FingerWearLeft"),
    (0x80000, "FingerWearRight"),
    (0x100000, "MeleeWeapon"),
    (0x200000, "Shield"),
    (0x400000, "MissileWeapon"),
    (0x800000, "MissileAmmo"),
    (0x1000000, "Held"),
    (0x2000000, "TwoHanded"),
    (0x4000000, "TrinketOne"),
    (0x8000000, "Cloak"),
    (0x10000000, "SigilOne"),
    (0x20000000, "SigilTwo"),
    (0x40000000, "SigilThree"),
];

/// ACE `CoverageMask` bit names (ClothingPriority [4]).
pub const COVERAGE_BITS: &[(u32, &str)] = &[
    (0x2, "UnderwearUpperLegs"),
    (0x4, "UnderwearLowerLegs"),
    (0x8, "UnderwearChest"),
    (0x10, "UnderwearAbdomen"),
    (0x20, "UnderwearUpperArms"),
    (0x40, "UnderwearLowerArms"),
    (0x100, "OuterwearUpperLegs"),
    (0x200, "OuterwearLowerLegs"),
    (0x400, "OuterwearChest"),
    (0x800, "OuterwearAbdomen"),
    (0x1000, "OuterwearUpperArms"),
    (0x2000, "OuterwearLowerArms"),
    (0x4000, "Head"),
    (0x8000, "Hands"),
    (0x10000, "Feet"),
    (0x20000, "Cloak"),
];

/// ACE `ImbuedEffectType` bit names [179].
const IMBUE_BITS: &[(u32, &str)] = &[
    (0x1, "CriticalStrike"),
    (0x2, "CripplingBlow"),
    (0x4, "ArmorRending"),
    (0x8, "SlashRending"),
    (0x10, "PierceRending"),
    (0x20, "BludgeonRending"),
    (0x40, "AcidRending"),
    (0x80, "ColdRending"),
    (0x100, "ElectricRending"),
    (0x200, "FireRending"),
    (0x400, "MeleeDefense"),
    (0x800, "MissileDefense"),
    (0x1000, "MagicDefense"),
    (0x2000, "Spellbook"),
    (0x4000, "NetherRending"),
];

/// ACE `DamageType` bit names [45].
const DAMAGE_BITS: &[(u32, &str)] = &[
    (0x1, "Slash"),
    (0x2, "Pierce"),
    (0x4, "Bludgeon"),
    (0x8, "Cold"),
    (0x10, "Fire"),
    (0x20, "Acid"),
    (0x40, "Electric"),
    (0x80, "Health"),
    (0x100, "Stamina"),
    (0x200, "Mana"),
    (0x400, "Nether"),
    (0x10000000, "Base"),
];

/// Names of the set bits of an equip mask, lowest bit first. Unknown bits are skipped (the
/// mask itself is kept, so nothing is lost).
pub fn equip_slot_names(mask: u32) -> Vec<String> {
    bit_names(mask, EQUIP_BITS)
}

/// Names of the set bits of a coverage mask.
pub fn coverage_names(mask: u32) -> Vec<String> {
    bit_names(mask, COVERAGE_BITS)
}

/// Names of the set bits of an imbued-effect mask.
pub fn imbue_names(mask: u32) -> Vec<String> {
    bit_names(mask, IMBUE_BITS)
}

/// Names of the set bits of a damage-type mask.
pub fn damage_type_names(mask: u32) -> Vec<String> {
    bit_names(mask, DAMAGE_BITS)
}

fn bit_names(mask: u32, table: &[(u32, &str)]) -> Vec<String> {
    table.iter().filter(|(bit, _)| mask & bit != 0).map(|(_, n)| (*n).to_string()).collect()
}

/// Gear ratings [370–379] as (property id, field name), in id order.
pub const RATINGS: [(u32, &str); 10] = [
    (370, "damage"),
    (371, "damage_resist"),
    (372, "crit"),
    (373, "crit_resist"),
    (374, "crit_damage"),
    (375, "crit_damage_resist"),
    (376, "heal_boost"),
    (377, "nether_resist"),
    (378, "life_resist"),
    (379, "vitality"),
];

/// A suit position name (docs/solver.md §1) with the coverage and equip bits that occupy it.
/// Search filters and facets use these lowercase names.
pub struct Position {
    pub name: &'static str,
    pub coverage: u32,
    pub equip: u32,
}

/// Every position name `slot=` accepts, with its bits. Armor and clothing match on coverage;
/// items without a coverage mask match on the equip bits (ValidLocations).
pub const POSITIONS: &[Position] = &[
    Position { name: "head", coverage: 0x4000, equip: 0x1 },
    Position { name: "hands", coverage: 0x8000, equip: 0x20 },
    Position { name: "feet", coverage: 0x10000, equip: 0x100 },
    Position { name: "chest", coverage: 0x400, equip: 0x200 },
    Position { name: "abdomen", coverage: 0x800, equip: 0x400 },
    Position { name: "upper_arms", coverage: 0x1000, equip: 0x800 },
    Position { name: "lower_arms", coverage: 0x2000, equip: 0x1000 },
    Position { name: "upper_legs", coverage: 0x100, equip: 0x2000 },
    Position { name: "lower_legs", coverage: 0x200, equip: 0x4000 },
    Position { name: "under_chest", coverage: 0x8, equip: 0x2 },
    Position { name: "under_abdomen", coverage: 0x10, equip: 0x4 },
    Position { name: "under_upper_arms", coverage: 0x20, equip: 0x8 },
    Position { name: "under_lower_arms", coverage: 0x40, equip: 0x10 },
    Position { name: "under_upper_legs", coverage: 0x2, equip: 0x40 },
    Position { name: "under_lower_legs", coverage: 0x4, equip: 0x80 },
    Position { name: "shirt", coverage: 0x8 | 0x20 | 0x40, equip: 0x2 | 0x8 | 0x10 },
    Position { name: "pants", coverage: 0x2 | 0x4, equip: 0x40 | 0x80 },
    Position { name: "neck", coverage: 0, equip: 0x8000 },
    Position { name: "wrist", coverage: 0, equip: 0x10000 | 0x20000 },
    Position { name: "finger", coverage: 0, equip: 0x40000 | 0x80000 },
    Position { name: "trinket", coverage: 0, equip: 0x4000000 },
    Position { name: "cloak", coverage: 0x20000, equip: 0x8000000 },
    Position { name: "aetheria", coverage: 0, equip: 0x10000000 | 0x20000000 | 0x40000000 },
    Position { name: "aetheria_blue", coverage: 0, equip: 0x10000000 },
    Position { name: "aetheria_yellow", coverage: 0, equip: 0x20000000 },
    Position { name: "aetheria_red", coverage: 0, equip: 0x40000000 },
    Position { name: "weapon", coverage: 0, equip: 0x100000 | 0x400000 | 0x1000000 | 0x2000000 },
    Position { name: "shield", coverage: 0, equip: 0x200000 },
    Position { name: "ammo", coverage: 0, equip: 0x800000 },
];

/// Whether `name` is an accepted position name (exact, lowercase).
pub fn position(name: &str) -> Option<&'static Position> {
    POSITIONS.iter().find(|p| p.name == name)
}

/// The positions an item with these masks can occupy. Coverage decides for armor and
/// clothing; equip bits decide for everything else (and for armor sent without coverage).
pub fn positions_of(coverage_mask: u32, equip_mask: u32) -> Vec<&'static str> {
    POSITIONS
        .iter()
        .filter(|p| {
            if coverage_mask != 0 && p.coverage != 0 {
                coverage_mask & p.coverage != 0
            } else {
                // Jewelry, weapons and armor sent without a coverage mask: equip bits decide.
                equip_mask & p.equip != 0
            }
        })
        .map(|p| p.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_examples_decode_to_contract_names() {
        assert_eq!(equip_slot_names(6144), vec!["UpperArmArmor", "LowerArmArmor"]);
        assert_eq!(equip_slot_names(786432), vec!["FingerWearLeft", "FingerWearRight"]);
        assert_eq!(equip_slot_names(1048576), vec!["MeleeWeapon"]);
        assert_eq!(coverage_names(12288), vec!["OuterwearUpperArms", "OuterwearLowerArms"]);
        assert_eq!(material_name(63), Some("Silver"));
        assert_eq!(material_id("reed shark hide"), Some(55));
        assert_eq!(object_class_name(31), Some("WandStaffOrb"));
        assert_eq!(object_class_id("jewelry"), Some(4));
        assert_eq!(skill_name(44), Some("HeavyWeapons"));
        assert_eq!(wield_type_name(7), Some("Level"));
        assert_eq!(imbue_names(0x4002), vec!["CripplingBlow", "NetherRending"]);
        assert_eq!(damage_type_names(1), vec!["Slash"]);
    }

    #[test]
    fn positions_follow_coverage_for_armor_and_equip_bits_for_jewelry() {
        assert_eq!(positions_of(0x3000, 0x1800), vec!["upper_arms", "lower_arms"]);
        assert_eq!(positions_of(0, 0xC0000), vec!["finger"]);
        assert_eq!(
            positions_of(0x13F00 & !0x10000, 0),
            vec!["chest", "abdomen", "upper_arms", "lower_arms", "upper_legs", "lower_legs"]
        );
        assert_eq!(positions_of(0x8 | 0x20, 0), vec!["under_chest", "under_upper_arms", "shirt"]);
        assert_eq!(positions_of(0, 0x10000000), vec!["aetheria", "aetheria_blue"]);
        assert!(positions_of(0, 0).is_empty());
    }
}
