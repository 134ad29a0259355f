//! Cantrip names, tiers and families (`docs/solver.md` §4): the one tier table.
//!
//! Owns: parsing `<Tier> <Family>`, the tier order and points, and the list of families
//! that act on the item itself and therefore never count toward a suit. Item decoding,
//! search filters, the solver and the simulator all parse cantrips here. Must never: know
//! about items, slots or scores beyond a tier's points.
//!
//! **Tier order.** Points decide the order: a tier worth more ranks higher, so "only the
//! best tier of a family counts" always keeps the tier worth most. Feeble, Lesser and Inner
//! (names found on pre-2005 items) are worth 0 points in the score contract, so they rank
//! below Minor, in the order Feeble < Lesser < Inner; Minor and Moderate are both worth 1
//! and Moderate ranks above Minor. A Minor + Lesser pair of one family therefore scores the
//! Minor. (Public references we could check give no authoritative power order for the old
//! names; an order that put Lesser above Minor while Lesser scores 0 would make wearing an
//! extra Lesser cantrip lower a suit's score, which no player expects.)

/// Cantrip tiers, lowest first (see the module header for why the old tiers rank below
/// Minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "CantripTier"))]
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

    /// Points per docs/solver.md §5: Minor 1, Moderate 1, Major 2, Epic 3, Legendary 4, others 0.
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

/// Splits a spell name into (tier name, family) when it is a cantrip: `"Legendary Strength"`
/// → `("Legendary", "Strength")`. The tier word is matched without case; the family is the
/// rest of the name, trimmed, and must not be empty. Item search and the item model use
/// this form (they keep the family as written).
pub fn cantrip_parts(spell_name: &str) -> Option<(&'static str, &str)> {
    let (first, rest) = spell_name.trim().split_once(' ')?;
    let tier = Tier::parse(first)?;
    let family = rest.trim();
    (!family.is_empty()).then_some((tier.name(), family))
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

    #[test]
    fn the_order_never_ranks_a_tier_above_one_worth_more() {
        for pair in Tier::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
            assert!(pair[0].points() <= pair[1].points(), "{:?} ranks below {:?}", pair[0], pair[1]);
        }
        // Only the best tier of a family counts: Minor + Lesser keeps the Minor.
        let best = [Tier::Minor, Tier::Lesser].into_iter().max();
        assert_eq!(best, Some(Tier::Minor));
    }

    #[test]
    fn cantrip_parts_keep_the_family_as_written() {
        assert_eq!(cantrip_parts("Legendary Strength"), Some(("Legendary", "Strength")));
        assert_eq!(cantrip_parts("moderate Heavy Weapon Aptitude"), Some(("Moderate", "Heavy Weapon Aptitude")));
        assert_eq!(cantrip_parts("Impenetrability VI"), None);
        assert_eq!(cantrip_parts("Legendary"), None);
        assert_eq!(cantrip_parts("Minor "), None);
    }
}
