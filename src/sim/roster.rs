//! Who is simulated: character names that read like real Asheron's Call names, each
//! character's kind and level, the allegiances they belong to, and the allegiance chat
//! lines every member receives.
//!
//! Owns the roster and chat phrasing. Never touches sockets or time: the caller drives
//! chat timing and delivery.

use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;

use super::kind::CharacterKind;

/// Members per simulated allegiance. Every online member receives each allegiance line, so
/// this is also the worst-case duplication factor of one line (docs/protocol.md §7 plans ×60).
pub const ALLEGIANCE_SIZE: usize = 60;
/// Names are capped at 64 bytes by the protocol.
pub const MAX_NAME_BYTES: usize = 64;
/// Hard cap on simulated characters: item ids and monster ids are split into per-character
/// blocks of 0x10000 inside 2^30 ids each, which leaves room for 16,384 characters.
pub const MAX_CHARACTERS: usize = 16_000;

const FIRST: &[&str] = &[
    "Mossy",
    "Dread",
    "Thorn",
    "Ashe",
    "Kalika",
    "Xyphos",
    "Gorm",
    "Vel",
    "Ilsa",
    "Brannoc",
    "Torvald",
    "Saria",
    "Jorik",
    "Aerin",
    "Nyx",
    "Kaelen",
    "Mirelle",
    "Dax",
    "Roan",
    "Sable",
    "Brom",
    "Elowen",
    "Fenwick",
    "Garrick",
    "Hesper",
    "Isolde",
    "Jax",
    "Kestrel",
    "Lorn",
    "Maelis",
    "Nim",
    "Oskar",
    "Pell",
    "Quill",
    "Rook",
    "Syl",
    "Tamsin",
    "Ulric",
    "Vex",
    "Wren",
    "Yara",
    "Zed",
    "Grim",
    "Sly",
    "Old",
    "Lady",
    "Sir",
    "Brother",
    "Kahn",
    "Tirion",
    "Asheron's",
];

const LAST: &[&str] = &[
    "Tank",
    "Vane",
    "Stormcaller",
    "Ironhand",
    "Blackthorn",
    "Shadowstep",
    "Nightshade",
    "Frostborn",
    "Ravenwood",
    "Dawnbringer",
    "Grimm",
    "Holt",
    "Kane",
    "Lockhart",
    "Marsh",
    "Oakheart",
    "Pike",
    "Quell",
    "Rime",
    "Stone",
    "Thistle",
    "Umber",
    "Vale",
    "Wolfe",
    "Ash",
    "Bramble",
    "Cinder",
    "Drake",
    "Ember",
    "Flint",
    "Gale",
    "Hawke",
    "O'Dell",
    "Al-Rashid",
    "Ye",
    "Mage",
    "Archer",
    "Smith",
];

const EPITHETS: &[&str] = &[
    "the Red",
    "the Bold",
    "of Eastham",
    "of Holtburg",
    "the Unwashed",
    "the Quiet",
    "the Lucky",
    "of Yaraq",
    "the Elder",
    "the Younger",
    "of Shoushi",
    "the Wise",
    "the Lost",
    "the Patient",
    "of Arwic",
    "the Tall",
];

/// Mules and buff bots get the tell-tale names players give them.
const MULE_NAMES: &[&str] = &["Mule", "Bank", "Storage", "Salvage Mule", "Trade"];
const BUFF_NAMES: &[&str] = &["Buffs", "Buffbot", "Buffsalot", "Healz"];

const ALLEGIANCES: &[&str] = &[
    "Moss Lords",
    "Order of the Silver Hand",
    "Coldeve Irregulars",
    "Dereth Defense League",
    "House Tirion",
    "Sho Brotherhood",
    "Al-Arqas Traders",
    "Night's Watchers",
];

/// One simulated character before it is brought to life.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    pub index: usize,
    pub name: String,
    pub kind: CharacterKind,
    pub level: u16,
    pub allegiance: usize,
}

/// An allegiance: name and member indexes (the first member is its monarch).
#[derive(Debug, Clone)]
pub struct Allegiance {
    pub name: String,
    pub members: Vec<usize>,
}

/// The whole simulated population.
#[derive(Debug, Clone)]
pub struct Roster {
    pub entries: Vec<RosterEntry>,
    pub allegiances: Vec<Allegiance>,
}

/// splitmix64: turns (seed, index) into independent, well-mixed per-character seeds.
pub fn mix_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Roster {
    /// `count` characters (at most [`MAX_CHARACTERS`]) with unique names, from `seed`.
    pub fn generate(seed: u64, count: usize) -> Roster {
        let count = count.min(MAX_CHARACTERS);
        let mut rng = SmallRng::seed_from_u64(mix_seed(seed, u64::MAX));
        let mut used = std::collections::HashSet::with_capacity(count);
        let mut entries = Vec::with_capacity(count);
        for index in 0..count {
            let roll: f64 = rng.random();
            let kind = match roll {
                r if r < 0.12 => CharacterKind::Mule,
                r if r < 0.18 => CharacterKind::BuffBot,
                r if r < 0.55 => CharacterKind::Melee,
                r if r < 0.72 => CharacterKind::Archer,
                _ => CharacterKind::Mage,
            };
            let level = match kind {
                // Mules are often low-level alts; buff bots are levelled casters.
                CharacterKind::Mule => rng.random_range(80..=160),
                CharacterKind::BuffBot => rng.random_range(150..=275),
                _ => {
                    if rng.random_bool(0.3) {
                        275
                    } else {
                        rng.random_range(80..=274)
                    }
                }
            };
            let name = unique_name(&mut rng, kind, index, &mut used);
            entries.push(RosterEntry { index, name, kind, level, allegiance: index / ALLEGIANCE_SIZE });
        }
        let allegiances = (0..count.div_ceil(ALLEGIANCE_SIZE))
            .map(|a| {
                let base = ALLEGIANCES[a % ALLEGIANCES.len()];
                let name = if a < ALLEGIANCES.len() {
                    base.to_string()
                } else {
                    format!("{base} {}", roman(a / ALLEGIANCES.len() + 1))
                };
                let members = (a * ALLEGIANCE_SIZE..((a + 1) * ALLEGIANCE_SIZE).min(count)).collect();
                Allegiance { name, members }
            })
            .collect();
        Roster { entries, allegiances }
    }
}

fn unique_name(
    rng: &mut SmallRng,
    kind: CharacterKind,
    index: usize,
    used: &mut std::collections::HashSet<String>,
) -> String {
    for attempt in 0..64 {
        let first = FIRST.choose(rng).copied().unwrap_or("Mossy");
        let candidate = match kind {
            CharacterKind::Mule => format!("{first} {}", MULE_NAMES.choose(rng).copied().unwrap_or("Mule")),
            CharacterKind::BuffBot if rng.random_bool(0.3) => "Sir Buffsalot".to_string(),
            CharacterKind::BuffBot => format!("{first} {}", BUFF_NAMES.choose(rng).copied().unwrap_or("Buffs")),
            _ if rng.random_bool(0.1) => first.trim_end_matches("'s").to_string(),
            _ => format!("{first} {}", LAST.choose(rng).copied().unwrap_or("Stone")),
        };
        // Past the easy combinations, add an epithet; later still, a number in words keeps
        // names unique without digits (names allow letters, spaces, ' and - only).
        let candidate = if attempt < 8 {
            candidate
        } else if attempt < 32 {
            format!("{candidate} {}", EPITHETS.choose(rng).copied().unwrap_or("the Red"))
        } else {
            format!("{candidate} {}", roman(index + 1))
        };
        if candidate.len() <= MAX_NAME_BYTES && used.insert(candidate.clone()) {
            return candidate;
        }
    }
    let fallback = format!("Wanderer {}", roman(index + 1));
    used.insert(fallback.clone());
    fallback
}

/// Roman numerals: unique, letters only, and how players actually disambiguate names.
fn roman(mut n: usize) -> String {
    const TABLE: &[(usize, &str)] = &[
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for &(value, numeral) in TABLE {
        while n >= value {
            out.push_str(numeral);
            n -= value;
        }
    }
    out
}

/// One line of allegiance chat, delivered to every online member.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatLine {
    pub sender: String,
    pub text: String,
}

const CHAT_LINES: &[&str] = &[
    "anyone heading to Gaerlan?",
    "need a portal to Aerlinthe",
    "lf buffs at Holtburg ls",
    "grats!",
    "gz",
    "who has tapers to spare?",
    "anyone up for Bellig?",
    "selling legendary keys, pst",
    "Colo run in 10",
    "brb",
    "lol",
    "that rare tho",
    "anyone have a fellow open?",
    "wtb salvaged steel",
    "lag spike in Arwic again",
    "thx for the buffs",
    "ty",
    "heading to the Direlands, inv me",
    "OMG another Alchemist's Crystal",
    "server reset in 15",
];

/// A line said by a random member (or an offline alt) of `allegiance`.
pub fn random_chat_line(rng: &mut impl Rng, roster: &Roster, allegiance: usize) -> Option<ChatLine> {
    let a = roster.allegiances.get(allegiance)?;
    let sender = if rng.random_bool(0.2) {
        // Members not simulated here also talk.
        "Sir Buffsalot".to_string()
    } else {
        let idx = *a.members.choose(rng)?;
        roster.entries.get(idx)?.name.clone()
    };
    let text = CHAT_LINES.choose(rng)?.to_string();
    Some(ChatLine { sender, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_use_only_allowed_characters() {
        let r = Roster::generate(42, 5000);
        let mut names: Vec<&str> = r.entries.iter().map(|e| e.name.as_str()).collect();
        assert!(
            names.iter().all(|n| {
                n.len() <= MAX_NAME_BYTES && n.chars().all(|c| c.is_ascii_alphabetic() || " '-".contains(c))
            })
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 5000);
    }

    #[test]
    fn roster_is_deterministic_and_levels_are_plausible() {
        let a = Roster::generate(7, 300);
        let b = Roster::generate(7, 300);
        assert_eq!(
            a.entries.iter().map(|e| &e.name).collect::<Vec<_>>(),
            b.entries.iter().map(|e| &e.name).collect::<Vec<_>>()
        );
        assert!(a.entries.iter().all(|e| (80..=275).contains(&e.level)));
        assert!(a.entries.iter().any(|e| e.kind == CharacterKind::Mule));
        assert!(a.entries.iter().any(|e| e.kind == CharacterKind::BuffBot));
        assert_eq!(a.allegiances.len(), 5);
        assert_eq!(a.allegiances[0].members.len(), ALLEGIANCE_SIZE);
    }

    #[test]
    fn roman_numerals_count() {
        assert_eq!(roman(1), "I");
        assert_eq!(roman(14), "XIV");
        assert_eq!(roman(1994), "MCMXCIV");
    }
}
