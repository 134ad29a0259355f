//! Static game tables behind the inventory generator: item templates, cantrip families,
//! equipment sets, materials, and the enum names of docs/protocol.md §5.
//!
//! Owns data only, no logic beyond lookups. Ids that docs/protocol.md states are used as given;
//! where it does not (most wcids and spell ids), a template carries `None` or an id that is
//! marked illustrative, never a guess dressed up as world data.

// Mask names are the inventory module's own tables, shared rather than copied.
pub use crate::inventory::tables::{COVERAGE_BITS as COVERAGE_NAMES, EQUIP_BITS as EQUIP_MASK_NAMES};

use crate::game::cantrips::Tier;

/// *ImbuedEffect* bits.
pub const IMBUE_NAMES: &[(u32, &str)] = &[
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
    (0x4000, "NetherRending"),
];

/// DamageType bits (PropertyInt 45) and their names.
pub const DAMAGE_TYPE_NAMES: &[(u32, &str)] = &[
    (0x1, "Slash"),
    (0x2, "Pierce"),
    (0x4, "Bludgeon"),
    (0x8, "Cold"),
    (0x10, "Fire"),
    (0x20, "Acid"),
    (0x40, "Electric"),
    (0x400, "Nether"),
];

/// *EquipmentSet* ids of the loot armor sets (Soldier's … Lightningproof); their names are
/// `crate::game::sets`'s.
pub const ARMOR_SET_IDS: std::ops::RangeInclusive<u32> = 13..=29;

/// Cloak weave sets occupy ids 49–90 (`docs/protocol.md` §5).
pub const CLOAK_SET_IDS: std::ops::RangeInclusive<u32> = 49..=90;

/// *MaterialType* ids of docs/protocol.md §5.
pub const MATERIALS: &[(u32, &str)] = &[
    (4, "Linen"),
    (5, "Satin"),
    (6, "Silk"),
    (7, "Velvet"),
    (8, "Wool"),
    (52, "Leather"),
    (55, "ReedSharkHide"),
    (58, "Bronze"),
    (59, "Copper"),
    (60, "Gold"),
    (61, "Iron"),
    (62, "Pyreal"),
    (63, "Silver"),
    (64, "Steel"),
    (67, "Granite"),
    (75, "Oak"),
    (77, "Teak"),
];

pub const METAL_MATERIALS: &[u32] = &[58, 59, 61, 63, 64];
pub const CLOTH_MATERIALS: &[u32] = &[4, 5, 6, 7, 8];
pub const JEWEL_MATERIALS: &[u32] = &[59, 60, 62, 63];
pub const WOOD_MATERIALS: &[u32] = &[75, 77];

/// Decal ObjectClass names.
pub fn object_class_name(id: u32) -> &'static str {
    match id {
        1 => "MeleeWeapon",
        2 => "Armor",
        3 => "Clothing",
        4 => "Jewelry",
        5 => "Monster",
        7 => "Money",
        8 => "Misc",
        9 => "MissileWeapon",
        10 => "Container",
        11 => "Gem",
        12 => "SpellComponent",
        14 => "Portal",
        16 => "ManaStone",
        24 => "Player",
        27 => "Corpse",
        31 => "WandStaffOrb",
        39 => "Salvage",
        _ => "Unknown",
    }
}

/// Gear rating property ids 370–379 and their normalized names.
pub const GEAR_RATINGS: &[(u32, &str)] = &[
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

/// One armor template: name, wcid when known, coverage and equip masks, base AL.
#[derive(Debug, Clone, Copy)]
pub struct ArmorTemplate {
    pub name: &'static str,
    pub wcid: Option<u32>,
    pub coverage: u32,
    pub equip: u32,
    pub base_al: u32,
    pub base_burden: u32,
    pub cloth: bool,
}

const fn armor(name: &'static str, coverage: u32, equip: u32, base_al: u32, base_burden: u32) -> ArmorTemplate {
    ArmorTemplate { name, wcid: None, coverage, equip, base_al, base_burden, cloth: false }
}

/// Armor templates. Coverage/equip pairs follow docs/protocol.md §5 (the Koujia Sleeves row is
/// its Example 1, wcid 6005); a robe covers exactly 0x13F00.
pub const ARMOR: &[ArmorTemplate] = &[
    // 0..=4: coat suit (coat + leggings + helm + gauntlets + boots)
    armor("Amuli Shadow Coat", 0x3C00, 0x1E00, 540, 1800),
    armor("Koujia Leggings", 0x0300, 0x6000, 520, 1100),
    armor("Chiran Helm", 0x4000, 0x0001, 560, 600),
    armor("Olthoi Amuli Gauntlets", 0x8000, 0x0020, 540, 400),
    armor("Alduressa Boots", 0x10000, 0x0100, 550, 700),
    // 5..=8: piecemeal torso/limbs
    armor("Celdon Breastplate", 0x0400, 0x0200, 560, 1200),
    armor("Nariyid Girth", 0x0800, 0x0400, 540, 700),
    ArmorTemplate { wcid: Some(6005), ..armor("Koujia Sleeves", 0x3000, 0x1800, 560, 1210) },
    armor("Amuli Shadow Leggings", 0x0B00, 0x6400, 530, 1300),
    // 9..=12: single-slot limb pieces
    armor("Diforsa Pauldrons", 0x1000, 0x0800, 560, 600),
    armor("Tenassa Bracers", 0x2000, 0x1000, 550, 500),
    armor("Scalemail Tassets", 0x0100, 0x2000, 520, 600),
    armor("Yoroi Greaves", 0x0200, 0x4000, 530, 600),
    // 13: hauberk (chest, abdomen, upper arms)
    armor("Platemail Hauberk", 0x1C00, 0x0E00, 520, 2200),
    // 14..=15: robes, exactly 0x13F00
    ArmorTemplate { cloth: true, ..armor("Empyrean Robe", 0x13F00, 0x7F00, 340, 900) },
    ArmorTemplate { cloth: true, ..armor("Faran Robe", 0x13F00, 0x7F00, 320, 850) },
    // 16..=19: common loot
    armor("Covenant Helm", 0x4000, 0x0001, 600, 700),
    armor("Lorica Breastplate", 0x0400, 0x0200, 580, 1300),
    armor("Chainmail Leggings", 0x0300, 0x6000, 450, 1500),
    armor("Studded Leather Coat", 0x3C00, 0x1E00, 420, 1100),
];

/// Full suits covering the nine armor slots without overlap (indexes into `ARMOR`).
pub const MELEE_SUITS: &[&[usize]] = &[
    &[0, 1, 2, 3, 4],
    &[5, 6, 7, 1, 2, 3, 4],
    &[13, 10, 11, 12, 16, 3, 4],
    &[5, 6, 9, 10, 11, 12, 2, 3, 4],
    &[17, 8, 7, 16, 3, 4],
];
/// Casters favour robes: robe + helm + gauntlets covers every suit slot.
pub const MAGE_SUITS: &[&[usize]] = &[&[14, 2, 3], &[15, 16, 3], &[0, 1, 2, 3, 4]];

/// Under-layer clothing: (name, coverage, equip).
pub const SHIRTS: &[(&str, u32, u32)] =
    &[("Flared Shirt", 0x68, 0x1A), ("Puffy Shirt", 0x68, 0x1A), ("Baggy Shirt", 0x78, 0x1E), ("Tunic", 0x28, 0x0A)];
pub const PANTS: &[(&str, u32, u32)] =
    &[("Flared Pants", 0x16, 0xC4), ("Baggy Pants", 0x16, 0xC4), ("Trousers", 0x06, 0xC0), ("Pantaloons", 0x16, 0xC4)];

/// Jewelry: (name, equip mask). Rings fit both fingers, bracelets both wrists.
pub const RINGS: &[&str] = &["Ring", "Jeweled Ring", "Signet Ring", "Band"];
pub const BRACELETS: &[&str] = &["Bracelet", "Heavy Bracelet", "Jeweled Bracelet"];
pub const NECKLACES: &[&str] = &["Necklace", "Amulet", "Gorget", "Locket"];
pub const TRINKETS: &[&str] = &["Compass", "Puzzle Box", "Mechanical Scarab", "Pocket Watch", "Top", "Goggles"];
pub const RING_MASK: u32 = 0xC0000;
pub const BRACELET_MASK: u32 = 0x30000;
pub const NECK_MASK: u32 = 0x8000;
pub const TRINKET_MASK: u32 = 0x4000000;
pub const CLOAK_MASK: u32 = 0x8000000;
pub const CLOAK_COVERAGE: u32 = 0x20000;
pub const SIGIL_MASKS: [u32; 3] = [0x10000000, 0x20000000, 0x40000000];
pub const AETHERIA_COLOURS: [&str; 3] = ["Blue", "Yellow", "Red"];

/// Weapon templates: name, wcid if known, Decal class, equip mask, skill id, damage-type
/// bits, base burden, speed.
#[derive(Debug, Clone, Copy)]
pub struct WeaponTemplate {
    pub name: &'static str,
    pub wcid: Option<u32>,
    pub class: u32,
    pub equip: u32,
    pub skill: u32,
    pub damage_types: u32,
    pub burden: u32,
    pub speed: u32,
}

const fn weapon(
    name: &'static str,
    class: u32,
    equip: u32,
    skill: u32,
    damage_types: u32,
    burden: u32,
    speed: u32,
) -> WeaponTemplate {
    WeaponTemplate { name, wcid: None, class, equip, skill, damage_types, burden, speed }
}

const MELEE: u32 = 0x100000;
const MISSILE: u32 = 0x400000;
const HELD: u32 = 0x1000000;
const TWO_HANDED: u32 = 0x2000000;

pub const MELEE_WEAPONS: &[WeaponTemplate] = &[
    WeaponTemplate { wcid: Some(301), ..weapon("Battle Axe", 1, MELEE, 44, 0x1, 760, 60) },
    weapon("Morning Star", 1, MELEE, 44, 0x6, 600, 50),
    weapon("Tachi", 1, MELEE, 44, 0x3, 450, 35),
    weapon("Ken", 1, MELEE, 45, 0x3, 350, 30),
    weapon("Flanged Mace", 1, MELEE, 45, 0x4, 500, 45),
    weapon("Spear", 1, MELEE, 45, 0x2, 450, 40),
    weapon("Jambiya", 1, MELEE, 46, 0x3, 150, 20),
    weapon("Katar", 1, MELEE, 46, 0x2, 160, 20),
    weapon("Nekode", 1, MELEE, 46, 0x1, 150, 20),
    weapon("Nodachi", 1, TWO_HANDED, 41, 0x1, 900, 45),
    weapon("Greataxe", 1, TWO_HANDED, 41, 0x1, 1100, 55),
];

pub const MISSILE_WEAPONS: &[WeaponTemplate] = &[
    weapon("Yumi", 9, MISSILE, 47, 0x2, 800, 35),
    weapon("War Bow", 9, MISSILE, 47, 0x2, 900, 40),
    weapon("Compound Crossbow", 9, MISSILE, 47, 0x2, 1500, 60),
    weapon("Atlatl", 9, MISSILE, 47, 0x2, 500, 30),
];

pub const CASTERS: &[WeaponTemplate] = &[
    weapon("Orb", 31, HELD, 34, 0x0, 100, 0),
    weapon("Staff", 31, HELD, 34, 0x0, 250, 0),
    weapon("Wand", 31, HELD, 34, 0x0, 60, 0),
    weapon("Sceptre", 31, HELD, 33, 0x0, 150, 0),
    weapon("Nether Staff", 31, HELD, 43, 0x400, 250, 0),
];

pub const SHIELDS: &[&str] = &["Kite Shield", "Tower Shield", "Round Shield", "Covenant Shield", "Buckler"];
pub const SHIELD_MASK: u32 = 0x200000;
pub const AMMO_MASK: u32 = 0x800000;

/// Item spells that are not cantrips, with the ids docs/protocol.md §5's examples give.
pub const ARMOR_ITEM_SPELLS: &[(u32, &str)] = &[(1486, "Impenetrability VI"), (1562, "Blade Bane VI")];
pub const WEAPON_ITEM_SPELLS: &[(u32, &str)] = &[
    (1616, "Aura of Blood Drinker Self VI"),
    (1592, "Aura of Heart Seeker Self VI"),
    (1627, "Aura of Swift Killer Self VI"),
    (1605, "Aura of Defender Self VI"),
];

/// Cantrip tiers in rising power, with the base of their illustrative spell-id block.
pub const CANTRIP_TIERS: &[(Tier, u32)] =
    &[(Tier::Minor, 2500), (Tier::Major, 2600), (Tier::Epic, 4200), (Tier::Legendary, 6000)];

/// Cantrip families (the part after the tier word). Real family names.
pub const ARMOR_CANTRIPS: &[&str] = &[
    "Strength",
    "Endurance",
    "Coordination",
    "Quickness",
    "Focus",
    "Willpower",
    "Impenetrability",
    "Armor",
    "Invulnerability",
    "Impregnability",
    "Magic Resistance",
    "Acid Bane",
    "Blade Bane",
    "Bludgeoning Bane",
    "Flame Bane",
    "Frost Bane",
    "Lightning Bane",
    "Piercing Bane",
    "Heavy Weapon Aptitude",
    "Light Weapon Aptitude",
    "Finesse Weapon Aptitude",
    "Missile Weapon Aptitude",
    "Two Handed Aptitude",
    "War Magic Aptitude",
    "Life Magic Aptitude",
    "Void Magic Aptitude",
    "Creature Enchantment Aptitude",
    "Item Enchantment Aptitude",
    "Mana Conversion Prowess",
    "Arcane Prowess",
    "Healing Prowess",
    "Shield Aptitude",
    "Dual Wield Aptitude",
    "Recklessness Prowess",
    "Sneak Attack Prowess",
    "Dirty Fighting Prowess",
    "Summoning Prowess",
    "Sprint",
    "Jumping Prowess",
    "Deception Prowess",
    "Fealty",
    "Health Gain",
    "Stamina Gain",
    "Mana Gain",
];
pub const JEWELRY_CANTRIPS: &[&str] = &[
    "Strength",
    "Endurance",
    "Coordination",
    "Quickness",
    "Focus",
    "Willpower",
    "Magic Resistance",
    "Invulnerability",
    "Impregnability",
    "Heavy Weapon Aptitude",
    "War Magic Aptitude",
    "Missile Weapon Aptitude",
    "Life Magic Aptitude",
    "Mana Conversion Prowess",
    "Health Gain",
    "Stamina Gain",
    "Mana Gain",
];
pub const WEAPON_CANTRIPS: &[&str] = &["Blood Thirst", "Defender", "Swift Hunter", "Heavy Weapon Aptitude"];
pub const CASTER_CANTRIPS: &[&str] = &["Spirit Thirst", "Hermetic Link", "Defender", "War Magic Aptitude"];

/// Spell ids docs/protocol.md §5 states for particular cantrips.
const KNOWN_CANTRIP_IDS: &[(&str, u32)] = &[
    ("Legendary Strength", 6107),
    ("Legendary Impenetrability", 6095),
    ("Legendary Willpower", 6101),
    ("Legendary Magic Resistance", 6063),
    ("Legendary Blood Thirst", 6089),
    ("Legendary Heavy Weapon Aptitude", 6072),
];

/// Every cantrip family across the lists, in a fixed order that numbers the illustrative ids.
fn family_index(family: &str) -> u32 {
    let all =
        ARMOR_CANTRIPS.iter().chain(WEAPON_CANTRIPS).chain(CASTER_CANTRIPS).position(|f| *f == family).unwrap_or(0);
    u32::try_from(all).unwrap_or(0)
}

/// The spell id of `tier` + `family`: the protocol's id where it gives one, otherwise an
/// illustrative id in the tier's block (blocks do not overlap the known ids).
pub fn cantrip_spell(tier: usize, family: &str) -> (u32, String) {
    let (tier, base) = CANTRIP_TIERS[tier.min(CANTRIP_TIERS.len() - 1)];
    let name = format!("{} {family}", tier.name());
    let id =
        KNOWN_CANTRIP_IDS.iter().find(|(n, _)| *n == name).map(|(_, id)| *id).unwrap_or(base + family_index(family));
    (id, name)
}

/// Buffs a character casts on itself (source "cast"): name and an illustrative id.
pub const SELF_BUFFS: &[(u32, &str)] = &[
    (2108, "Brogard's Defiance"),
    (4305, "Incantation of Strength Self"),
    (4319, "Incantation of Invulnerability Self"),
    (4325, "Incantation of Impregnability Self"),
    (4329, "Incantation of Magic Resistance Self"),
    (4297, "Incantation of Regeneration Self"),
    (4301, "Incantation of Mana Renewal Self"),
    (4409, "Incantation of Blade Protection Self"),
];

/// Misc loot: (name, Decal class, item type, burden, value, stack max).
pub const MISC_ITEMS: &[(&str, u32, u32, u32, u32, u32)] = &[
    ("Peerless Healing Kit", 8, 0x80, 40, 5000, 1),
    ("Stamina Elixir", 8, 0x80, 20, 250, 20),
    ("Mana Potion", 8, 0x80, 20, 200, 20),
    ("Legendary Key", 8, 0x4000, 10, 10000, 1),
    ("Aerbax Key", 8, 0x4000, 10, 1, 1),
    ("Pristine Lugian Sinew", 8, 0x80, 50, 100, 1),
    ("Dried Rations", 8, 0x20, 30, 20, 100),
    ("Major Mana Stone", 16, 0x80, 50, 2000, 1),
    ("Empowered Mana Charge", 16, 0x80, 50, 1000, 1),
    ("Ink of Conveyance", 8, 0x80, 10, 50, 10),
];

/// Gems (Decal class 11, ItemType Gem 0x800).
pub const GEMS: &[&str] = &[
    "Black Opal",
    "Fire Opal",
    "Sunstone",
    "Imperial Topaz",
    "Emerald",
    "Diamond",
    "Ruby",
    "Sapphire",
    "Jet",
    "Peridot",
];

/// Salvage bag names by material id.
pub fn salvage_name(material: u32) -> String {
    let name = MATERIALS.iter().find(|(id, _)| *id == material).map(|(_, n)| *n).unwrap_or("Iron");
    format!("Salvaged {name}")
}

/// Name of material `id`.
pub fn material_name(id: u32) -> &'static str {
    MATERIALS.iter().find(|(m, _)| *m == id).map(|(_, n)| *n).unwrap_or("Unknown")
}

/// The names of the bits set in `mask` according to `table`.
pub fn decode_mask(mask: u32, table: &[(u32, &'static str)]) -> Vec<&'static str> {
    table.iter().filter(|(bit, _)| mask & bit != 0).map(|(_, n)| *n).collect()
}

/// Wcids docs/protocol.md states.
pub const WCID_PYREAL: u32 = 273;
pub const WCID_PRISMATIC_TAPER: u32 = 20631;
pub const WCID_RING: u32 = 297;
/// Stack limits: tapers stack to 1000 (docs/protocol.md §2.2); pyreals to 25,000.
pub const TAPER_STACK_MAX: u32 = 1000;
pub const PYREAL_STACK_MAX: u32 = 25_000;
/// A taper weighs 6 burden units (docs/protocol.md §2.2).
pub const TAPER_BURDEN: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robes_cover_exactly_the_robe_mask() {
        for t in ARMOR.iter().filter(|t| t.name.ends_with("Robe")) {
            assert_eq!(t.coverage, 0x13F00, "{}", t.name);
        }
    }

    #[test]
    fn every_suit_covers_nine_armor_slots_without_overlap() {
        const SUIT_SLOTS: u32 = 0x3F00 | 0x4000 | 0x8000 | 0x10000;
        for suit in MELEE_SUITS.iter().chain(MAGE_SUITS) {
            let mut seen = 0u32;
            for &i in *suit {
                let cov = ARMOR[i].coverage & SUIT_SLOTS;
                assert_eq!(seen & cov, 0, "overlap in {suit:?} at {}", ARMOR[i].name);
                seen |= cov;
            }
            assert_eq!(seen, SUIT_SLOTS, "{suit:?}");
        }
    }

    #[test]
    fn cantrip_ids_are_unique_and_use_known_ids() {
        let mut ids = std::collections::HashSet::new();
        let families: Vec<&str> =
            ARMOR_CANTRIPS.iter().chain(WEAPON_CANTRIPS).chain(CASTER_CANTRIPS).copied().collect();
        let mut unique_families = families.clone();
        unique_families.sort_unstable();
        unique_families.dedup();
        for tier in 0..CANTRIP_TIERS.len() {
            for f in &unique_families {
                let (id, _) = cantrip_spell(tier, f);
                assert!(ids.insert(id), "duplicate id {id} for tier {tier} {f}");
            }
        }
        assert_eq!(cantrip_spell(3, "Strength"), (6107, "Legendary Strength".to_string()));
    }
}
