//! Cantrip names, tiers and families (solver.md §4).
//!
//! Owns: parsing `<Tier> <Family>`, the tier order and points, and the list of families
//! that act on the item itself and therefore never count toward a suit. Must never: know
//! about items, slots or scores beyond a tier's points.

/// Cantrip tiers, lowest first. Feeble, Lesser and Inner appear on old items and are
/// worth no points but still order below Minor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Feeble,
    Lesser,
    Inner,
    Minor,
    Moderate,
    Major,
    Epic,
    Legendary,
}

/// Highest points a tier can give (Legendary): the number of tier layers the search keeps.
pub const MAX_TIER_POINTS: u32 = 4;

impl Tier {
    pub const ALL: [Tier; 8] = [
        Tier::Feeble,
        Tier::Lesser,
        Tier::Inner,
        Tier::Minor,
        Tier::Moderate,
        Tier::Major,
        Tier::Epic,
        Tier::Legendary,
    ];

    /// Points per solver.md §5: Minor 1, Moderate 1, Major 2, Epic 3, Legendary 4, others 0.
    pub fn points(self) -> u32 {
        match self {
            Tier::Minor | Tier::Moderate => 1,
            Tier::Major => 2,
            Tier::Epic => 3,
            Tier::Legendary => 4,
            Tier::Feeble | Tier::Lesser | Tier::Inner => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Feeble => "Feeble",
            Tier::Lesser => "Lesser",
            Tier::Inner => "Inner",
            Tier::Minor => "Minor",
            Tier::Moderate => "Moderate",
            Tier::Major => "Major",
            Tier::Epic => "Epic",
            Tier::Legendary => "Legendary",
        }
    }

    /// Case-insensitive tier word.
    pub fn parse(word: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(word.trim()))
    }
}

/// One cantrip on an item: its tier, the family as written (for display) and the family
/// key (lower case, single spaces) used for comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cantrip {
    pub tier: Tier,
    pub family: String,
    pub key: String,
}

/// Parses `"Legendary Strength"` → (Legendary, "Strength"). Anything whose first word is
/// not a tier (e.g. `"Impenetrability VI"`) is not a cantrip.
pub fn parse_cantrip(name: &str) -> Option<Cantrip> {
    let mut words = name.split_whitespace();
    let tier = Tier::parse(words.next()?)?;
    let family: Vec<&str> = words.collect();
    if family.is_empty() {
        return None;
    }
    let family = family.join(" ");
    let key = family_key(&family);
    Some(Cantrip { tier, family, key })
}

/// The comparison key of a family name: lower case, single spaces.
pub fn family_key(family: &str) -> String {
    family.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Families that act on the item (armor or weapon) rather than on the wearer. Any family
/// ending in "bane" is one too (Blade Bane, Acid Bane, Storm Bane …).
const ITEM_ACTING_FAMILIES: &[&str] = &[
    "impenetrability",
    "blood thirst",
    "blood drinker",
    "spirit thirst",
    "spirit drinker",
    "heart seeker",
    "heart thirst",
    "defender",
    "swift hunter",
    "swift killer",
    "hermetic link",
];

/// Whether a family (by key) acts on the item and so never counts toward a suit.
pub fn is_item_acting(key: &str) -> bool {
    ITEM_ACTING_FAMILIES.contains(&key) || key.ends_with("bane")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cantrip_names_split_into_tier_and_family_ignoring_case() {
        let c = parse_cantrip("legendary  Magic Resistance").expect("cantrip");
        assert_eq!(c.tier, Tier::Legendary);
        assert_eq!(c.family, "Magic Resistance");
        assert_eq!(c.key, "magic resistance");
        assert!(parse_cantrip("Impenetrability VI").is_none());
        assert!(parse_cantrip("Epic").is_none());
    }

    #[test]
    fn item_acting_families_are_recognised() {
        for k in ["impenetrability", "blade bane", "storm bane", "blood thirst", "defender"] {
            assert!(is_item_acting(k), "{k}");
        }
        for k in ["strength", "armor", "acid ward", "invulnerability"] {
            assert!(!is_item_acting(k), "{k}");
        }
    }

    #[test]
    fn old_tiers_order_below_minor_and_score_nothing() {
        assert!(Tier::Inner < Tier::Minor);
        assert_eq!(Tier::Feeble.points(), 0);
        assert_eq!(Tier::Moderate.points(), Tier::Minor.points());
    }
}
