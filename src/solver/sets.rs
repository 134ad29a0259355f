//! Equipment-set tables: the data shipped with the binary and the rule that turns a piece
//! count into a value (docs/solver.md §5).
//!
//! Owns: [`SHIPPED_SET_TABLES`] (the default value of every known set), [`SetTable`] and
//! its lookup. Must never: read tables from disk or the network — a request replaces a
//! table through `sets: [{set_id, values}]` instead.
//!
//! ## Values shipped (all in score points; a Legendary cantrip is worth 4,000 at the
//! default spell weight of 1,000)
//! - **Loot sets 13–29** (Soldier's … Lightningproof), full bonus at 5 pieces:
//!   2 → 1,000 · 3 → 2,000 · 4 → 3,000 · 5 → 6,000. The jump at 5 makes a full set worth
//!   one and a half Legendary cantrips, so the solver completes a set when it costs less.
//! - **Dedication (30, society armor)**: 2 → 1,000 · 4 → 2,500 · 6 → 4,500 · 8 → 7,000.
//! - **Quest sets**: Noble/Ancient/Alduressa relics (5–7) 2 → 1,000 · 3 → 2,500;
//!   Shou-jen (8) 2 → 1,000 · 3 → 2,000 · 4 → 3,000 · 5 → 4,500; Empyrean Rings (9)
//!   2 → 2,000; Arm, Mind, Heart (10) 2 → 1,000 · 3 → 2,500; Gladiatorial, Ceremonial and
//!   Protective clothing (31–33) 2 → 750 · 3 → 1,500; Heroic Protector/Destroyer (40, 41)
//!   2 → 1,000 · 3 → 2,000 · 4 → 3,000 · 5 → 4,500; Olthoi armor (42–45) 2 → 1,000 ·
//!   3 → 2,000 · 4 → 3,000 · 5 → 4,500 · 6 → 6,000; upgraded relics (46–48) as 5–7.
//! - **Aetheria sigils (35–39)** count the **sum of item levels** of the sigils of that
//!   set worn (one sigil per colour, level 1–5 each): 300 points per level, up to 15.
//! - **Cloak weaves (49–90)** count the cloak's **item level** (1–5): 200 points per level.
//!
//! The quest and level-based values are our own estimates, not game data; they are meant
//! to be replaced per request when a player cares about a particular set.

use crate::game::sets::{is_cloak_weave, set_label};

/// What a set's count `n` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountBy {
    /// The number of worn items of the set.
    Pieces,
    /// The sum of `item_level.current` of the worn items of the set (at least 1 per item):
    /// cloak and aetheria sets grow with the item, not the piece count.
    ItemLevel,
}

/// A shipped table: id, what it counts, (count, value) pairs. Its name comes from
/// `crate::game::sets`, the one table of set names.
#[derive(Clone, Copy, Debug)]
pub struct SetTableDef {
    pub set_id: u32,
    pub count_by: CountBy,
    pub values: &'static [(u32, i64)],
}

/// A table in force for one solve: shipped or replaced by the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetTable {
    pub set_id: u32,
    pub name: String,
    pub count_by: CountBy,
    /// (count, value), sorted by count, counts distinct.
    pub values: Vec<(u32, i64)>,
}

impl SetTable {
    /// value(n) = the value of the largest count ≤ n in the table, 0 if none.
    pub fn value(&self, n: u32) -> i64 {
        self.values.iter().rev().find(|(c, _)| *c <= n).map(|(_, v)| *v).unwrap_or(0)
    }

    /// The largest count that changes the value (beyond it the value stays put).
    pub fn max_count(&self) -> u32 {
        self.values.last().map(|(c, _)| *c).unwrap_or(0)
    }

    /// True when more of the set never lowers its value (then adding a piece never hurts,
    /// which the dominance rules rely on).
    pub fn is_monotone(&self) -> bool {
        let mut prev = 0;
        for (_, v) in &self.values {
            if *v < prev {
                return false;
            }
            prev = *v;
        }
        true
    }

    /// Whether any count is worth something.
    pub fn is_relevant(&self) -> bool {
        self.values.iter().any(|(_, v)| *v > 0)
    }

    pub fn from_def(def: &SetTableDef) -> SetTable {
        SetTable {
            set_id: def.set_id,
            name: set_label(def.set_id),
            count_by: def.count_by,
            values: def.values.to_vec(),
        }
    }
}

/// The shipped table of a set, if we have one.
pub fn shipped_set_table(set_id: u32) -> Option<SetTable> {
    if let Some(def) = SHIPPED_SET_TABLES.iter().find(|d| d.set_id == set_id) {
        return Some(SetTable::from_def(def));
    }
    is_cloak_weave(set_id).then(|| SetTable {
        set_id,
        name: set_label(set_id),
        count_by: CountBy::ItemLevel,
        values: CLOAK_LEVEL_VALUES.to_vec(),
    })
}

const LOOT: &[(u32, i64)] = &[(2, 1_000), (3, 2_000), (4, 3_000), (5, 6_000)];
const RELIC: &[(u32, i64)] = &[(2, 1_000), (3, 2_500)];
const FIVE_PIECE_QUEST: &[(u32, i64)] = &[(2, 1_000), (3, 2_000), (4, 3_000), (5, 4_500)];
const CLOTHING: &[(u32, i64)] = &[(2, 750), (3, 1_500)];
const OLTHOI: &[(u32, i64)] = &[(2, 1_000), (3, 2_000), (4, 3_000), (5, 4_500), (6, 6_000)];
const DEDICATION: &[(u32, i64)] = &[(2, 1_000), (4, 2_500), (6, 4_500), (8, 7_000)];
const AETHERIA_LEVELS: &[(u32, i64)] = &[
    (1, 300),
    (2, 600),
    (3, 900),
    (4, 1_200),
    (5, 1_500),
    (6, 1_800),
    (7, 2_100),
    (8, 2_400),
    (9, 2_700),
    (10, 3_000),
    (11, 3_300),
    (12, 3_600),
    (13, 3_900),
    (14, 4_200),
    (15, 4_500),
];
const CLOAK_LEVEL_VALUES: &[(u32, i64)] = &[(1, 200), (2, 400), (3, 600), (4, 800), (5, 1_000)];

macro_rules! set {
    ($id:expr, $name:expr, $values:expr) => {
        SetTableDef { set_id: $id, count_by: CountBy::Pieces, values: $values }
    };
    ($id:expr, $name:expr, $values:expr, levels) => {
        SetTableDef { set_id: $id, count_by: CountBy::ItemLevel, values: $values }
    };
}

/// Every set with a shipped table except the cloak weaves (`game::sets::is_cloak_weave`).
/// The name in each row is for the reader; a test holds it to `game::sets`, which owns it.
pub const SHIPPED_SET_TABLES: &[SetTableDef] = &[
    set!(5, "Noble Relic", RELIC),
    set!(6, "Ancient Relic", RELIC),
    set!(7, "Relic Alduressa", RELIC),
    set!(8, "Shou-jen", FIVE_PIECE_QUEST),
    set!(9, "Empyrean Rings", &[(2, 2_000)]),
    set!(10, "Arm, Mind, Heart", RELIC),
    set!(13, "Soldier's", LOOT),
    set!(14, "Adept's", LOOT),
    set!(15, "Archer's", LOOT),
    set!(16, "Defender's", LOOT),
    set!(17, "Tinker's", LOOT),
    set!(18, "Crafter's", LOOT),
    set!(19, "Hearty", LOOT),
    set!(20, "Dexterous", LOOT),
    set!(21, "Wise", LOOT),
    set!(22, "Swift", LOOT),
    set!(23, "Hardened", LOOT),
    set!(24, "Reinforced", LOOT),
    set!(25, "Interlocking", LOOT),
    set!(26, "Flameproof", LOOT),
    set!(27, "Acidproof", LOOT),
    set!(28, "Coldproof", LOOT),
    set!(29, "Lightningproof", LOOT),
    set!(30, "Dedication", DEDICATION),
    set!(31, "Gladiatorial Clothing", CLOTHING),
    set!(32, "Ceremonial Clothing", CLOTHING),
    set!(33, "Protective Clothing", CLOTHING),
    set!(35, "Sigil of Defense", AETHERIA_LEVELS, levels),
    set!(36, "Sigil of Destruction", AETHERIA_LEVELS, levels),
    set!(37, "Sigil of Fury", AETHERIA_LEVELS, levels),
    set!(38, "Sigil of Growth", AETHERIA_LEVELS, levels),
    set!(39, "Sigil of Vigor", AETHERIA_LEVELS, levels),
    set!(40, "Heroic Protector", FIVE_PIECE_QUEST),
    set!(41, "Heroic Destroyer", FIVE_PIECE_QUEST),
    set!(42, "Olthoi Armor (damage reduction)", OLTHOI),
    set!(43, "Olthoi Armor (crit rating)", OLTHOI),
    set!(44, "Olthoi Armor (crit reduction)", OLTHOI),
    set!(45, "Olthoi Armor (damage rating)", OLTHOI),
    set!(46, "Upgraded Relic Alduressa", RELIC),
    set!(47, "Upgraded Ancient Relic", RELIC),
    set!(48, "Upgraded Noble Relic", RELIC),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::sets::set_name;

    #[test]
    fn value_is_the_largest_count_not_above_n() {
        let t = shipped_set_table(13).expect("soldier's");
        assert_eq!(t.value(0), 0);
        assert_eq!(t.value(1), 0);
        assert_eq!(t.value(2), 1_000);
        assert_eq!(t.value(4), 3_000);
        assert_eq!(t.value(5), 6_000);
        assert_eq!(t.value(9), 6_000);
        let d = shipped_set_table(30).expect("dedication");
        assert_eq!(d.value(3), 1_000);
        assert_eq!(d.value(8), 7_000);
    }

    #[test]
    fn every_loot_set_has_a_full_table_at_five_pieces() {
        for id in 13..=29 {
            let t = shipped_set_table(id).expect("loot set");
            assert_eq!(t.max_count(), 5, "set {id}");
            assert!(t.is_monotone());
        }
    }

    #[test]
    fn every_set_the_solver_knows_has_the_name_item_search_shows() {
        // The row names above are for the reader; the name a solve reports and the name
        // item search indexes both come from `game::sets`. This holds the rows to it.
        let src = include_str!("sets.rs");
        for def in SHIPPED_SET_TABLES {
            let name = set_name(def.set_id).unwrap_or_else(|| panic!("set {} has no name", def.set_id));
            assert!(src.contains(&format!("set!({}, \"{}\"", def.set_id, name)), "set {} is {name}", def.set_id);
            assert_eq!(shipped_set_table(def.set_id).map(|t| t.name), Some(name.to_string()));
        }
        for id in 49..=90 {
            if let Some(t) = shipped_set_table(id) {
                assert_eq!(Some(t.name.as_str()), set_name(id));
            }
        }
    }

    #[test]
    fn cloak_and_aetheria_sets_count_item_levels() {
        assert_eq!(shipped_set_table(49).map(|t| t.count_by), Some(CountBy::ItemLevel));
        assert_eq!(shipped_set_table(90).map(|t| t.name), Some("Weave of Summoning".into()));
        assert!(shipped_set_table(89).is_none());
        assert_eq!(shipped_set_table(36).map(|t| t.count_by), Some(CountBy::ItemLevel));
    }
}
