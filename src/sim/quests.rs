//! A simulated character's quest timers (`/myquests` lines). Data only: `frames` renders
//! them in the `quest` frame.

use rand::Rng;
use rand::rngs::SmallRng;

/// One `/myquests` line.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestEntry {
    pub name: &'static str,
    pub solves: u32,
    pub last_completed: i64,
    pub max_solves: i64,
    pub repeat_seconds: i64,
    pub description: &'static str,
}

/// Quest flags. The first two are docs/protocol.md §3.8's examples; the rest are illustrative
/// names in ACE's lowercase style.
const QUESTS: &[(&str, i64, i64, &str)] = &[
    ("gaerlandefeated", 604_800, -1, "Player has finished the Gaerlan quest and can receive a reward."),
    ("aerbaxchestkey1pickup", 432_000, -1, "Picked up the first Aerbax Key."),
    ("aerbaxchestkey2pickup", 432_000, -1, "Picked up the second Aerbax Key."),
    ("colosseumarenacompleted", 72_000, -1, "Completed a run of the Colosseum arena."),
    ("stipendtimer", 604_800, -1, "Collected the weekly allegiance stipend."),
    ("legendarychestkey", 72_000, -1, "Received a Legendary Key from the quest chest."),
    ("bellastimer", 79_200, -1, "Killed Bellas in the Lost City of Frore."),
    ("luminancefirstflag", 0, 1, "Unlocked luminance with Nalicana."),
    ("geraineskilled", 72_000, -1, "Defeated Geraine in the Hall of the Lord."),
    ("tuskerisland", 259_200, -1, "Cleared the Tusker Island caves."),
    ("sunstonequest", 86_400, -1, "Delivered the sunstone to the Archmage."),
    ("directivemission", 43_200, 30, "Completed a Directive mission."),
];

/// 4–12 quests with recent completions.
pub fn roll_quests(rng: &mut SmallRng, now_unix_s: i64) -> Vec<QuestEntry> {
    let n = rng.random_range(4..=QUESTS.len());
    QUESTS[..n]
        .iter()
        .map(|&(name, repeat_seconds, max_solves, description)| QuestEntry {
            name,
            solves: rng.random_range(1..40),
            last_completed: now_unix_s - rng.random_range(0..repeat_seconds.max(86_400) * 2),
            max_solves,
            repeat_seconds,
            description,
        })
        .collect()
}
