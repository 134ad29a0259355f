//! Equipment sets: the one table of set ids and the names players see.
//!
//! Owns: [`set_name`] (id → in-game display name), [`set_id`] (a name or an alias → id)
//! and [`is_cloak_weave`]. Item search, the item model, the suit solver and the simulator
//! all name sets through this file, so a set reads the same everywhere. Must never: hold
//! anything but names (the solver's values live in `solver::sets`).
//!
//! Names are the in-game ones shown when an item is appraised, without the trailing
//! " Set" (8 is "Shou-jen", 31 "Gladiatorial Clothing", 49–90 the cloak weaves). The ACE
//! server's enum identifiers for the same ids (`Ninja`, `ColosseumClothing`, `CloakAxe`,
//! …) are what older tools and the old Overlord stack print, so search accepts them as
//! aliases (`docs/protocol.md` §5).

use super::fold_name;

/// *EquipmentSet* (PropertyInt 265): id → display name.
const SETS: &[(u32, &str)] = &[
    (4, "Carraida's Benediction"),
    (5, "Noble Relic"),
    (6, "Ancient Relic"),
    (7, "Relic Alduressa"),
    (8, "Shou-jen"),
    (9, "Empyrean Rings"),
    (10, "Arm, Mind, Heart"),
    (11, "Armor of Perfect Light"),
    (12, "Armor of Perfect Light II"),
    (13, "Soldier's"),
    (14, "Adept's"),
    (15, "Archer's"),
    (16, "Defender's"),
    (17, "Tinker's"),
    (18, "Crafter's"),
    (19, "Hearty"),
    (20, "Dexterous"),
    (21, "Wise"),
    (22, "Swift"),
    (23, "Hardened"),
    (24, "Reinforced"),
    (25, "Interlocking"),
    (26, "Flameproof"),
    (27, "Acidproof"),
    (28, "Coldproof"),
    (29, "Lightningproof"),
    (30, "Dedication"),
    (31, "Gladiatorial Clothing"),
    (32, "Ceremonial Clothing"),
    (33, "Protective Clothing"),
    (34, "Noobie Armor"),
    (35, "Sigil of Defense"),
    (36, "Sigil of Destruction"),
    (37, "Sigil of Fury"),
    (38, "Sigil of Growth"),
    (39, "Sigil of Vigor"),
    (40, "Heroic Protector"),
    (41, "Heroic Destroyer"),
    (42, "Olthoi Armor (damage reduction)"),
    (43, "Olthoi Armor (crit rating)"),
    (44, "Olthoi Armor (crit reduction)"),
    (45, "Olthoi Armor (damage rating)"),
    (46, "Upgraded Relic Alduressa"),
    (47, "Upgraded Ancient Relic"),
    (48, "Upgraded Noble Relic"),
    (49, "Weave of Alchemy"),
    (50, "Weave of Arcane Lore"),
    (51, "Weave of Armor Tinkering"),
    (52, "Weave of Assess Person"),
    (53, "Weave of Light Weapons"),
    (54, "Weave of Missile Weapons"),
    (55, "Weave of Cooking"),
    (56, "Weave of Creature Enchantment"),
    (57, "Weave of Crossbow"),
    (58, "Weave of Finesse Weapons"),
    (59, "Weave of Deception"),
    (60, "Weave of Fletching"),
    (61, "Weave of Healing"),
    (62, "Weave of Item Enchantment"),
    (63, "Weave of Item Tinkering"),
    (64, "Weave of Leadership"),
    (65, "Weave of Life Magic"),
    (66, "Weave of Loyalty"),
    (67, "Weave of Mace"),
    (68, "Weave of Magic Defense"),
    (69, "Weave of Magic Item Tinkering"),
    (70, "Weave of Mana Conversion"),
    (71, "Weave of Melee Defense"),
    (72, "Weave of Missile Defense"),
    (73, "Weave of Salvaging"),
    (74, "Weave of Spear"),
    (75, "Weave of Staff"),
    (76, "Weave of Heavy Weapons"),
    (77, "Weave of Thrown Weapons"),
    (78, "Weave of Two Handed Combat"),
    (79, "Weave of Unarmed Combat"),
    (80, "Weave of Void Magic"),
    (81, "Weave of War Magic"),
    (82, "Weave of Weapon Tinkering"),
    (83, "Weave of Assess Creature"),
    (84, "Weave of Dirty Fighting"),
    (85, "Weave of Dual Wield"),
    (86, "Weave of Recklessness"),
    (87, "Weave of Shield"),
    (88, "Weave of Sneak Attack"),
    (89, "Shou-jen Shozoku"),
    (90, "Weave of Summoning"),
    (91, "Shrouded Soul"),
    (92, "Darkened Mind"),
    (93, "Clouded Spirit"),
    (130, "Shimmering Shadows"),
    (131, "Brown Society Locket"),
    (132, "Yellow Society Locket"),
    (133, "Red Society Band"),
    (134, "Green Society Band"),
    (135, "Purple Society Band"),
    (136, "Blue Society Band"),
    (137, "Gauntlet Garb"),
];

/// ACE enum names (split into words) that differ from the display name: accepted by
/// [`set_id`] so a search for "ninja" or "colosseum clothing" still finds the set.
const ALIASES: &[(&str, u32)] = &[
    ("Alduressa Relic", 7),
    ("Ninja", 8),
    ("Society Armor", 30),
    ("Colosseum Clothing", 31),
    ("Graveyard Clothing", 32),
    ("Olthoi Clothing", 33),
    ("Aetheria Defense", 35),
    ("Aetheria Destruction", 36),
    ("Aetheria Fury", 37),
    ("Aetheria Growth", 38),
    ("Aetheria Vigor", 39),
    ("Rare Damage Resistance", 40),
    ("Rare Damage Boost", 41),
    ("Olthoi Armor D Red", 42),
    ("Olthoi Armor C Rat", 43),
    ("Olthoi Armor C Red", 44),
    ("Olthoi Armor D Rat", 45),
    ("Alduressa Relic Upgrade", 46),
    ("Ancient Relic Upgrade", 47),
    ("Noble Relic Upgrade", 48),
    ("Cloak Alchemy", 49),
    ("Cloak Arcane Lore", 50),
    ("Cloak Armor Tinkering", 51),
    ("Cloak Assess Person", 52),
    ("Cloak Axe", 53),
    ("Cloak Bow", 54),
    ("Cloak Cooking", 55),
    ("Cloak Creature Enchantment", 56),
    ("Cloak Crossbow", 57),
    ("Cloak Dagger", 58),
    ("Cloak Deception", 59),
    ("Cloak Fletching", 60),
    ("Cloak Healing", 61),
    ("Cloak Item Enchantment", 62),
    ("Cloak Item Tinkering", 63),
    ("Cloak Leadership", 64),
    ("Cloak Life Magic", 65),
    ("Cloak Loyalty", 66),
    ("Cloak Mace", 67),
    ("Cloak Magic Defense", 68),
    ("Cloak Magic Item Tinkering", 69),
    ("Cloak Mana Conversion", 70),
    ("Cloak Melee Defense", 71),
    ("Cloak Missile Defense", 72),
    ("Cloak Salvaging", 73),
    ("Cloak Spear", 74),
    ("Cloak Staff", 75),
    ("Cloak Sword", 76),
    ("Cloak Thrown Weapon", 77),
    ("Cloak Two Handed Combat", 78),
    ("Cloak Unarmed Combat", 79),
    ("Cloak Void Magic", 80),
    ("Cloak War Magic", 81),
    ("Cloak Weapon Tinkering", 82),
    ("Cloak Assess Creature", 83),
    ("Cloak Dirty Fighting", 84),
    ("Cloak Dual Wield", 85),
    ("Cloak Recklessness", 86),
    ("Cloak Shield", 87),
    ("Cloak Sneak Attack", 88),
    ("Cloak Summoning", 90),
];

/// Cloak weave sets (a cloak's skill set; 89 is not a weave).
const CLOAK_WEAVES: std::ops::RangeInclusive<u32> = 49..=90;

/// The display name of an equipment set id.
pub fn set_name(id: u32) -> Option<&'static str> {
    SETS.iter().find(|(i, _)| *i == id).map(|(_, n)| *n)
}

/// The display name, or `"Set <id>"` for an id this table does not know.
pub fn set_label(id: u32) -> String {
    set_name(id).map_or_else(|| format!("Set {id}"), str::to_string)
}

/// A set id from its display name or an alias, ignoring case, spaces and apostrophes
/// (`Soldier's`, `soldiers`, `SOLDIER'S` all give 13; `ninja` gives 8).
pub fn set_id(name: &str) -> Option<u32> {
    let wanted = fold_name(name);
    SETS.iter()
        .find(|(_, n)| fold_name(n) == wanted)
        .map(|(i, _)| *i)
        .or_else(|| ALIASES.iter().find(|(n, _)| fold_name(n) == wanted).map(|(_, i)| *i))
}

/// Whether `id` is a cloak weave (its value grows with the cloak's item level).
pub fn is_cloak_weave(id: u32) -> bool {
    CLOAK_WEAVES.contains(&id) && set_name(id).is_some_and(|n| n.starts_with("Weave of "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_names_fold_to_one_id() {
        let mut ids: Vec<u32> = SETS.iter().map(|(i, _)| *i).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SETS.len());
        for (id, name) in SETS {
            assert_eq!(set_id(name), Some(*id), "{name}");
        }
        for (alias, id) in ALIASES {
            assert_eq!(set_id(alias), Some(*id), "{alias}");
            assert_ne!(set_name(*id), Some(*alias), "alias {alias} equals the display name");
        }
    }

    #[test]
    fn display_names_are_the_in_game_ones_and_enum_names_still_match() {
        assert_eq!(set_name(8), Some("Shou-jen"));
        assert_eq!(set_name(31), Some("Gladiatorial Clothing"));
        assert_eq!(set_id("Ninja"), Some(8));
        assert_eq!(set_id("colosseum clothing"), Some(31));
        assert_eq!(set_id("soldiers"), Some(13));
        assert_eq!(set_label(500), "Set 500");
        assert!(is_cloak_weave(49) && is_cloak_weave(90));
        assert!(!is_cloak_weave(89) && !is_cloak_weave(30));
    }
}
