//! The score of a suit (docs/solver.md §5) and the explained result types (docs/api.md suit,
//! `done` payload, events).
//!
//! Owns: [`evaluate`] — the one reference implementation of the score, used to explain
//! every reported suit — and the serialized shapes [`Suit`], [`SolveOutcome`],
//! [`SolveStats`], [`SolverEvent`]. Must never: search, or read anything but a
//! [`Problem`] and a list of its options.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

use super::eligibility::{EligibilityCounts, Problem};
use super::model::{NUM_RATINGS, Part, RATING_NAMES, SlotGroup};
use crate::game::cantrips::{Tier, is_item_acting};
use crate::game::sets::{set_label, set_name};

/// The four parts of a score.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Components {
    pub spells: i64,
    pub sets: i64,
    pub ratings: i64,
    pub armor: i64,
}

impl Components {
    pub fn total(&self) -> i64 {
        self.spells + self.sets + self.ratings + self.armor
    }
}

/// Scores the suit made of these options (indices into `problem.options`).
pub fn evaluate(problem: &Problem, options: &[u32]) -> Components {
    let mut layers = [0u64; 4];
    let mut set_units = vec![0u32; problem.sets.len()];
    let mut ratings = [0i64; NUM_RATINGS];
    let mut armor = 0i64;
    for &o in options {
        let opt = &problem.options[o as usize];
        for (l, x) in layers.iter_mut().zip(opt.spell) {
            *l |= x;
        }
        if let Some((s, u)) = opt.set {
            set_units[s as usize] += u;
        }
        for (r, x) in ratings.iter_mut().zip(opt.ratings) {
            *r += x;
        }
        armor += opt.armor_raw;
    }
    let spell_points: i64 = layers.iter().map(|l| i64::from(l.count_ones())).sum();
    let sets = problem.sets.iter().zip(&set_units).map(|(t, n)| t.value(*n)).sum();
    let ratings = (0..NUM_RATINGS)
        .map(|r| {
            let total = problem.rating_caps[r].map_or(ratings[r], |c| ratings[r].min(c));
            problem.rating_weights[r] * total
        })
        .sum();
    Components { spells: problem.spell_weight * spell_points, sets, ratings, armor: problem.armor_weight * armor }
}

/// One worn item of a suit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SuitItem {
    pub object_id: u32,
    pub owner: String,
    pub name: String,
    /// `"chest+upper_arms"`, `"finger_left"`, …
    pub position: String,
    /// The part a reduced (tailored) item is cut down to; `null` when worn as-is.
    pub reduce_to: Option<String>,
}

/// A spell family the suit provides and its best tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SuitSpell {
    pub family: String,
    pub tier: String,
}

/// A set worn and how many pieces of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SuitSet {
    pub set_id: u32,
    pub name: String,
    pub pieces: u32,
}

/// A suit as docs/api.md describes it, plus whether wield requirements were checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Suit {
    pub score: i64,
    pub components: Components,
    pub items: Vec<SuitItem>,
    /// Every wearer spell family worn (wanted or not), best tier, sorted by family.
    pub spells: Vec<SuitSpell>,
    pub sets: Vec<SuitSet>,
    /// Summed gear ratings (before caps), every rating listed.
    pub ratings: BTreeMap<String, i64>,
    /// Σ armor_level × parts covered as worn.
    pub armor_level_total: i64,
    pub requirements_checked: bool,
}

impl Suit {
    /// The sorted object ids: the suit's identity and its tie-break key.
    pub fn object_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.items.iter().map(|i| i.object_id).collect();
        ids.sort_unstable();
        ids
    }
}

/// Explains the suit made of these options.
pub fn explain(problem: &Problem, options: &[u32]) -> Suit {
    let components = evaluate(problem, options);
    let mut opts: Vec<u32> = options.to_vec();
    // Listing order: coverage items by their first part, then slot groups in order.
    opts.sort_by_key(|&o| {
        let opt = &problem.options[o as usize];
        let oid = problem.items[opt.item as usize].object_id;
        match opt.group {
            None => (0usize, Part::parts_of(opt.bits).first().map(|p| *p as usize).unwrap_or(0), oid),
            Some((g, _)) => (1, g.index(), oid),
        }
    });
    let mut items = Vec::with_capacity(opts.len());
    let mut group_taken = [0u8; 8];
    for &o in &opts {
        let opt = &problem.options[o as usize];
        let it = &problem.items[opt.item as usize];
        let position = match opt.group {
            None => Part::describe(opt.bits),
            Some((g, allowed)) => group_slot_name(g, allowed, &mut group_taken[g.index()]),
        };
        items.push(SuitItem {
            object_id: it.object_id,
            owner: it.owner.clone(),
            name: it.name.clone(),
            position,
            reduce_to: opt.reduce_to.map(|p| p.name().to_string()),
        });
    }

    // Spells: best tier per wearer family; the display name comes from the wanted list,
    // else from the lowest object id carrying the best tier.
    let mut best: BTreeMap<String, (Tier, String)> = BTreeMap::new();
    let mut by_id: Vec<u32> = opts.clone();
    by_id.sort_by_key(|&o| problem.items[problem.options[o as usize].item as usize].object_id);
    for &o in &by_id {
        let it = &problem.items[problem.options[o as usize].item as usize];
        for c in &it.cantrips {
            if is_item_acting(&c.key) {
                continue;
            }
            match best.get(&c.key) {
                Some((t, _)) if *t >= c.tier => {}
                _ => {
                    best.insert(c.key.clone(), (c.tier, c.family.clone()));
                }
            }
        }
    }
    let mut spells: Vec<SuitSpell> = best
        .into_iter()
        .map(|(key, (tier, family))| {
            let family = problem.wanted.iter().find(|w| w.key == key).map(|w| w.display.clone()).unwrap_or(family);
            SuitSpell { family, tier: tier.name().to_string() }
        })
        .collect();
    spells.sort_by_key(|s| s.family.to_lowercase());

    let mut pieces: BTreeMap<u32, (u32, Option<String>)> = BTreeMap::new();
    for &o in &opts {
        let it = &problem.items[problem.options[o as usize].item as usize];
        if let Some(s) = it.set_id {
            let e = pieces.entry(s).or_insert((0, it.set_name.clone()));
            e.0 += 1;
        }
    }
    let sets = pieces
        .into_iter()
        .map(|(set_id, (n, item_name))| {
            let name = problem
                .sets
                .iter()
                .find(|t| t.set_id == set_id)
                .map(|t| t.name.clone())
                .or_else(|| set_name(set_id).map(str::to_string))
                .or(item_name)
                .unwrap_or_else(|| set_label(set_id));
            SuitSet { set_id, name, pieces: n }
        })
        .collect();

    let mut totals = [0i64; NUM_RATINGS];
    let mut armor_level_total = 0;
    for &o in &opts {
        let opt = &problem.options[o as usize];
        for (t, x) in totals.iter_mut().zip(opt.ratings) {
            *t += x;
        }
        armor_level_total += opt.armor_raw;
    }
    let ratings = RATING_NAMES.iter().zip(totals).map(|(n, v)| (n.to_string(), v)).collect();

    Suit {
        score: components.total(),
        components,
        items,
        spells,
        sets,
        ratings,
        armor_level_total,
        requirements_checked: problem.requirements_checked,
    }
}

/// Left/right naming for pair groups: the first item listed takes the first slot it may.
fn group_slot_name(g: SlotGroup, allowed: u8, taken: &mut u8) -> String {
    let names = g.slot_names();
    for (i, n) in names.iter().enumerate() {
        if allowed & (1 << i) != 0 && *taken & (1 << i) == 0 {
            *taken |= 1 << i;
            return (*n).to_string();
        }
    }
    names.first().map(|n| (*n).to_string()).unwrap_or_default()
}

/// Why a search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every branch was searched or pruned: the suits are proven best.
    Complete,
    TimeLimit,
    Cancelled,
}

/// Search statistics reported with the result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SolveStats {
    pub stop: StopReason,
    pub nodes: u64,
    pub nodes_per_s: u64,
    pub elapsed_ms: u64,
    /// Proven upper bound on any suit's score (equals the best score when optimal).
    pub upper_bound: i64,
    /// upper_bound − best score (0 when optimal).
    pub gap: i64,
    pub threads: usize,
    pub tasks: usize,
    /// Ways to wear an item considered (reductions and slot choices count separately).
    pub options: usize,
    /// Of those, the ones left after dominance pruning.
    pub options_searched: usize,
    pub requirements_checked: bool,
    pub aetheria_slots: Vec<&'static str>,
    /// True when no profile was known and all three aetheria slots were assumed.
    pub aetheria_slots_assumed: bool,
    pub items: EligibilityCounts,
}

/// The `done` payload: `{"optimal","suits","stats"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SolveOutcome {
    /// True when the search completed: no valid suit scores higher than `suits[0]`, and
    /// `suits` are the top-k.
    pub optimal: bool,
    /// Best first; ties by the lexicographically smallest sorted object-id list.
    pub suits: Vec<Suit>,
    pub stats: SolveStats,
}

/// What the solver reports while it runs. Serializes as the SSE payload; the event name
/// is [`SolverEvent::event_name`].
#[derive(Clone, Debug, PartialEq)]
pub enum SolverEvent {
    Progress { nodes: u64, nodes_per_s: u64, best_score: Option<i64>, upper_bound: i64, elapsed_ms: u64 },
    Best(Suit),
}

impl SolverEvent {
    /// `"progress"` or `"best"`.
    pub fn event_name(&self) -> &'static str {
        match self {
            SolverEvent::Progress { .. } => "progress",
            SolverEvent::Best(_) => "best",
        }
    }
}

impl Serialize for SolverEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SolverEvent::Progress { nodes, nodes_per_s, best_score, upper_bound, elapsed_ms } => {
                let mut st = s.serialize_struct("progress", 5)?;
                st.serialize_field("nodes", nodes)?;
                st.serialize_field("nodes_per_s", nodes_per_s)?;
                st.serialize_field("best_score", best_score)?;
                st.serialize_field("upper_bound", upper_bound)?;
                st.serialize_field("elapsed_ms", elapsed_ms)?;
                st.end()
            }
            SolverEvent::Best(suit) => suit.serialize(s),
        }
    }
}
