//! The compiled search problem: options as flat records, the step order, and the search
//! state with exact incremental scoring.
//!
//! Owns: option compilation, `apply`/`undo`, exact gains. Must never: decide search
//! order or threading (that is `search`), or bound nodes (that is `bound`).

use super::eligibility::{Problem, WearOption};
use super::model::{NUM_RATINGS, Part, SlotGroup};
use crate::game::cantrips::MAX_TIER_POINTS;

/// lcm(1..=15): an option covers at most 15 parts, so `SCALE / parts` is exact.
pub const SCALE: i64 = 360_360;
pub const NO_SET: u16 = u16::MAX;
pub const NO_GROUP: u8 = u8::MAX;
pub const LAYERS: usize = MAX_TIER_POINTS as usize;
/// Sets tracked in 64-bit position masks by the set knapsack; beyond, a looser bound.
pub const MASK_SETS: usize = 64;

/// One decision of the search, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Decide the item whose first part (in step order) is this part, or leave it empty.
    Part(u8),
    /// Choose one more item for this slot group, or close the group.
    Group(u8),
}

/// The order coverage parts are decided in: outer armor first (multi-part pieces and the
/// most armor), then head, hands, feet, then the under layer.
pub const PART_ORDER: [Part; 15] = [
    Part::Chest,
    Part::Abdomen,
    Part::UpperArms,
    Part::LowerArms,
    Part::UpperLegs,
    Part::LowerLegs,
    Part::Head,
    Part::Hands,
    Part::Feet,
    Part::UnderChest,
    Part::UnderAbdomen,
    Part::UnderUpperArms,
    Part::UnderLowerArms,
    Part::UnderUpperLegs,
    Part::UnderLowerLegs,
];
/// The order slot groups are decided in (after all parts).
pub const GROUP_ORDER: [SlotGroup; 8] = [
    SlotGroup::Neck,
    SlotGroup::Trinket,
    SlotGroup::Cloak,
    SlotGroup::AetheriaBlue,
    SlotGroup::AetheriaYellow,
    SlotGroup::AetheriaRed,
    SlotGroup::Wrists,
    SlotGroup::Fingers,
];

/// A searchable option: a [`WearOption`] flattened with its precomputed numbers.
#[derive(Clone, Debug)]
pub struct SOpt {
    /// Index into `Problem::options`.
    pub orig: u32,
    pub item: u32,
    pub object_id: u32,
    pub bits: u32,
    pub group: u8,
    pub allowed: u8,
    /// Position in its group's list (pairs are chosen in increasing rank).
    pub rank: u16,
    /// The step at which it can be chosen first / last.
    pub first_step: u16,
    pub until: u16,
    pub parts: u32,
    pub share_mul: i64,
    /// armor_weight × armor_level × parts.
    pub armor: i64,
    /// Σ weight × rating over uncapped ratings.
    pub rating_static: i64,
    pub ratings: [i64; NUM_RATINGS],
    pub spell: [u64; LAYERS],
    pub set: u16,
    pub units: u32,
    /// Optimistic stand-alone value: orders candidate lists.
    pub static_value: i64,
}

/// The compiled problem.
pub struct Engine<'p> {
    pub p: &'p Problem,
    pub opts: Vec<SOpt>,
    pub steps: Vec<Step>,
    /// Step index of each part (index = `Part as usize`).
    pub part_step: [u16; 15],
    pub part_bits: [u32; 15],
    /// Options choosable at each step, best static value first.
    pub choosable: Vec<Vec<u32>>,
    /// Coverage options covering each part (index = `Part as usize`).
    pub cover: Vec<Vec<u32>>,
    /// Options of each group, in rank order.
    pub group_opts: Vec<Vec<u32>>,
    pub group_cap: [u8; 8],
    /// OR of the spell layers of every option choosable at or after each step.
    pub suffix_union: Vec<[u64; LAYERS]>,
    /// value(n) per set for n = 0..=max_count.
    pub set_values: Vec<Vec<i64>>,
    /// α*(count) per set (see module doc), for count = 0..=max_count.
    pub alpha: Vec<Vec<i64>>,
    /// Largest units one option adds to each set.
    pub set_max_units: Vec<u32>,
    /// Ratings with a cap and a weight (their gain depends on the state).
    pub capped: Vec<usize>,
    pub words: usize,
    /// Per option: bits of every option of the same item (coverage items), for the
    /// node dominance test "the dominator's item cannot also be elsewhere in the suit".
    pub item_bits: Vec<Vec<u32>>,
    /// Per option: all options of its item are in its slot group.
    pub only_group: Vec<bool>,
    /// Per set: more pieces never lower its value.
    pub monotone: Vec<bool>,
    /// Weighted ratings, and the uncapped ones (strict gains).
    pub weighted: Vec<usize>,
    pub uncapped: Vec<usize>,
    /// First step from which every remaining step belongs to one slot group (the
    /// search enumerates that tail directly), and the group.
    pub tail_from: usize,
    pub tail_group: u8,
    /// Items with several coverage options (reductions): the bound prices their use so
    /// one item is not counted at several parts. `mu_items[m]` is the item of price `m`.
    pub mu_items: Vec<u32>,
    /// Per option: its item's price index, or [`NO_MU`].
    pub opt_mu: Vec<u32>,
    /// Per step: whether the search may memoise completions there, and what their
    /// gains depend on (see [`MemoPoint`] and `search`).
    pub memo: Vec<Option<MemoPoint>>,
}

/// A step where every completion of a state is determined by a short key: the options
/// from this step on ("tail options") and their gains depend only on the key's parts.
#[derive(Clone, Debug)]
pub struct MemoPoint {
    /// Coverage bits of the parts decided from this step on.
    pub tail_bits: u32,
    /// Items with options both before and from this step (their use is in the key).
    pub spanning: Vec<u32>,
    /// Sets of the tail options (their counts are in the key).
    pub sets: Vec<u16>,
}

/// Most items whose use a memo key records (one 64-bit word).
const MAX_SPANNING: usize = 64;

/// Marks an option whose item has no use price.
pub const NO_MU: u32 = u32::MAX;
/// Words of the open-priced-items bit set of the bound: the engine prices at most
/// `64 × MU_WORDS` items (more reducible items simply go unpriced, which is still
/// admissible).
pub const MU_WORDS: usize = 64;

/// The search state: a partial suit and where the search stands.
#[derive(Clone, Debug)]
pub struct State {
    pub step: u16,
    pub used_bits: u32,
    pub items: Vec<u64>,
    pub spell: [u64; LAYERS],
    pub set_units: Vec<u32>,
    pub ratings: [i64; NUM_RATINGS],
    pub score: i64,
    /// Engine option indices, in the order chosen.
    pub chosen: Vec<u32>,
    pub group_filled: [u8; 8],
    pub group_last: [i32; 8],
    pub group_closed: [bool; 8],
    pub group_allowed: [[u8; 2]; 8],
}

/// What `apply` changed, for `undo`.
#[derive(Clone, Copy, Debug)]
pub struct Undo {
    score: i64,
    spell: [u64; LAYERS],
    ratings: [i64; NUM_RATINGS],
    set_prev: u32,
    group_last: i32,
}

/// The exact gain of adding an option, by component.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gain {
    pub total: i64,
    pub spell: i64,
    pub set: i64,
}

impl<'p> Engine<'p> {
    /// Compiles the problem, keeping only the options in `alive` (dominance survivors and
    /// locked options).
    pub fn new(p: &'p Problem, alive: &[bool]) -> Engine<'p> {
        let mut steps = Vec::new();
        let mut part_step = [u16::MAX; 15];
        let mut group_cap = [0u8; 8];
        let mut group_first = [u16::MAX; 8];
        let mut group_last_step = [0u16; 8];
        // Parts first: armor decides sets and most armor; jewelry then tops up spells.
        for part in PART_ORDER {
            part_step[part as usize] = steps.len() as u16;
            steps.push(Step::Part(part as u8));
        }
        for g in GROUP_ORDER {
            if !p.groups_enabled[g.index()] {
                continue;
            }
            group_cap[g.index()] = g.capacity() as u8;
            group_first[g.index()] = steps.len() as u16;
            for _ in 0..g.capacity() {
                steps.push(Step::Group(g.index() as u8));
            }
            group_last_step[g.index()] = steps.len() as u16 - 1;
        }
        let mut part_bits = [0u32; 15];
        for part in Part::ALL {
            part_bits[part as usize] = part.bit();
        }

        let capped: Vec<usize> =
            (0..NUM_RATINGS).filter(|&r| p.rating_caps[r].is_some() && p.rating_weights[r] > 0).collect();
        let set_values: Vec<Vec<i64>> =
            p.sets.iter().map(|t| (0..=t.max_count()).map(|n| t.value(n)).collect()).collect();
        let alpha: Vec<Vec<i64>> = set_values.iter().map(|v| alpha_star(v)).collect();
        let mut set_max_units = vec![0u32; p.sets.len()];

        let mut opts = Vec::new();
        for (i, o) in p.options.iter().enumerate() {
            if !alive[i] {
                continue;
            }
            let s = compile_option(p, i as u32, o, &capped, &alpha, &part_step, &group_first, &group_last_step);
            if let Some(s) = s {
                if s.set != NO_SET {
                    let m = &mut set_max_units[s.set as usize];
                    *m = (*m).max(s.units);
                }
                opts.push(s);
            }
        }
        // Deterministic order: best static value first, then original index.
        opts.sort_by(|a, b| b.static_value.cmp(&a.static_value).then(a.orig.cmp(&b.orig)));

        let mut choosable = vec![Vec::new(); steps.len()];
        let mut cover = vec![Vec::new(); 15];
        let mut group_opts = vec![Vec::new(); 8];
        for (i, o) in opts.iter_mut().enumerate() {
            if o.group == NO_GROUP {
                choosable[o.first_step as usize].push(i as u32);
                for part in Part::ALL {
                    if o.bits & part.bit() != 0 {
                        cover[part as usize].push(i as u32);
                    }
                }
            } else {
                let list = &mut group_opts[o.group as usize];
                o.rank = list.len() as u16;
                list.push(i as u32);
            }
        }
        for (si, step) in steps.iter().enumerate() {
            if let Step::Group(g) = step {
                choosable[si] = group_opts[*g as usize].clone();
            }
        }
        let mut suffix_union = vec![[0u64; LAYERS]; steps.len() + 1];
        for si in (0..steps.len()).rev() {
            let mut u = suffix_union[si + 1];
            for o in &opts {
                if o.until as usize == si {
                    for (x, y) in u.iter_mut().zip(o.spell) {
                        *x |= y;
                    }
                }
            }
            suffix_union[si] = u;
        }
        let words = p.items.len().div_ceil(64).max(1);
        let (tail_from, tail_group) = match steps.last() {
            Some(Step::Group(g)) => {
                let from = steps.iter().rposition(|s| *s != Step::Group(*g)).map_or(0, |i| i + 1);
                (from, *g)
            }
            _ => (steps.len() + 1, NO_GROUP),
        };
        let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); p.items.len()];
        for (i, o) in opts.iter().enumerate() {
            by_item[o.item as usize].push(i as u32);
        }
        let item_bits: Vec<Vec<u32>> =
            opts.iter().map(|o| by_item[o.item as usize].iter().map(|&j| opts[j as usize].bits).collect()).collect();
        let only_group: Vec<bool> =
            opts.iter().map(|o| by_item[o.item as usize].iter().all(|&j| opts[j as usize].group == o.group)).collect();
        let mut mu_items = Vec::new();
        let mut item_mu = vec![NO_MU; p.items.len()];
        for (item, list) in by_item.iter().enumerate() {
            if list.iter().filter(|&&j| opts[j as usize].group == NO_GROUP).count() >= 2
                && mu_items.len() < 64 * MU_WORDS
            {
                item_mu[item] = mu_items.len() as u32;
                mu_items.push(item as u32);
            }
        }
        let opt_mu: Vec<u32> =
            opts.iter().map(|o| if o.group == NO_GROUP { item_mu[o.item as usize] } else { NO_MU }).collect();
        let memo = memo_points(p, &steps, &opts, &by_item, &part_step);
        let monotone: Vec<bool> = p.sets.iter().map(|t| t.is_monotone()).collect();
        let weighted: Vec<usize> = (0..NUM_RATINGS).filter(|&r| p.rating_weights[r] > 0).collect();
        let uncapped: Vec<usize> =
            (0..NUM_RATINGS).filter(|&r| p.rating_weights[r] > 0 && p.rating_caps[r].is_none()).collect();
        Engine {
            p,
            opts,
            steps,
            part_step,
            part_bits,
            choosable,
            cover,
            group_opts,
            group_cap,
            suffix_union,
            set_values,
            alpha,
            set_max_units,
            capped,
            words,
            item_bits,
            only_group,
            monotone,
            weighted,
            uncapped,
            tail_from,
            tail_group,
            mu_items,
            opt_mu,
            memo,
        }
    }

    /// The memo key of a state at memo step `s`: everything the tail options and their
    /// gains depend on — the step, the wanted spell bits the tail could add that the
    /// suit already has, which tail parts are already covered, which spanning items are
    /// worn, the counts of the tail's sets and the capped ratings. (The tail's slot
    /// groups are all empty there: a memo point is a part step or a group's first step,
    /// and no locked item has a tail option.)
    pub fn memo_key(&self, st: &State, s: usize, m: &MemoPoint, key: &mut Vec<u64>) {
        key.clear();
        key.push(s as u64);
        let su = &self.suffix_union[s];
        key.extend((0..LAYERS).map(|t| st.spell[t] & su[t]));
        key.push(u64::from(st.used_bits & m.tail_bits));
        let mut worn = 0u64;
        for (i, &item) in m.spanning.iter().enumerate() {
            if self.item_used(st, item) {
                worn |= 1 << i;
            }
        }
        key.push(worn);
        // Counts past a table's last entry are all worth the same; counts that fit a
        // byte are packed eight to a word (keys stay short: the memo's memory is capped
        // by entry count).
        let mut packed = 0u64;
        let mut lanes = 0;
        for &set in &m.sets {
            let max = self.set_values[set as usize].len() - 1;
            let c = (st.set_units[set as usize] as usize).min(max) as u64;
            if max <= usize::from(u8::MAX) {
                packed |= c << (8 * lanes);
                lanes += 1;
                if lanes == 8 {
                    key.push(packed);
                    packed = 0;
                    lanes = 0;
                }
            } else {
                key.push(c);
            }
        }
        key.push(packed);
        key.extend(self.capped.iter().map(|&r| st.ratings[r] as u64));
    }

    /// Whether at least `need` options of distinct unused items dominate option `v` at
    /// this node: each, swapped in for `v` in any completion, gives a distinct valid suit
    /// that ranks strictly higher (more score, or equal score and a smaller object id).
    /// Spells count relative to the state: bits the suit already has are worth nothing
    /// more, so an option whose new bits another also brings is dominated once the rest
    /// of it is no better. Candidates come from `list` (the step's options).
    pub fn dominated_at(&self, st: &State, v: u32, list: &[u32], need: usize, found: &mut Vec<u32>) -> bool {
        found.clear();
        let ov = &self.opts[v as usize];
        let vnew: [u64; LAYERS] = std::array::from_fn(|t| ov.spell[t] & !st.spell[t]);
        for &u in list {
            if u == v {
                continue;
            }
            let ou = &self.opts[u as usize];
            if ou.item == ov.item || ou.armor < ov.armor || self.item_used(st, ou.item) {
                continue;
            }
            if ov.group == NO_GROUP {
                if ou.group != NO_GROUP || ou.bits & !ov.bits != 0 || ou.bits & st.used_bits != 0 {
                    continue;
                }
                if !self.item_bits[u as usize].iter().all(|b| b & ov.bits != 0) {
                    continue;
                }
            } else if ou.group != ov.group || ou.allowed & ov.allowed != ov.allowed || !self.only_group[u as usize] {
                continue;
            }
            if (0..LAYERS).any(|t| vnew[t] & !ou.spell[t] != 0) {
                continue;
            }
            if self.weighted.iter().any(|&r| ou.ratings[r] < ov.ratings[r]) {
                continue;
            }
            let set_ok = match (ou.set == NO_SET, ov.set == NO_SET) {
                (true, true) => true,
                (false, true) => self.monotone[ou.set as usize],
                (true, false) => false,
                (false, false) => {
                    ou.set == ov.set
                        && (ou.units == ov.units || (ou.units > ov.units && self.monotone[ou.set as usize]))
                }
            };
            if !set_ok {
                continue;
            }
            let strict = ou.armor - ov.armor
                + self
                    .uncapped
                    .iter()
                    .map(|&r| self.p.rating_weights[r] * (ou.ratings[r] - ov.ratings[r]))
                    .sum::<i64>();
            if (strict > 0 || ou.object_id < ov.object_id) && !found.contains(&ou.item) {
                found.push(ou.item);
                if found.len() >= need {
                    return true;
                }
            }
        }
        false
    }

    /// The empty suit at step 0.
    pub fn root_state(&self) -> State {
        State {
            step: 0,
            used_bits: 0,
            items: vec![0; self.words],
            spell: [0; LAYERS],
            set_units: vec![0; self.p.sets.len()],
            ratings: [0; NUM_RATINGS],
            score: 0,
            chosen: Vec::new(),
            group_filled: [0; 8],
            group_last: [-1; 8],
            group_closed: [false; 8],
            group_allowed: [[0; 2]; 8],
        }
    }

    /// Engine index of an original option, if it survived.
    pub fn find_orig(&self, orig: u32) -> Option<u32> {
        self.opts.iter().position(|o| o.orig == orig).map(|i| i as u32)
    }

    #[inline]
    pub fn item_used(&self, st: &State, item: u32) -> bool {
        st.items[(item / 64) as usize] & (1u64 << (item % 64)) != 0
    }

    /// Whether the option fits the state's positions and groups (ignoring step order).
    pub fn fits(&self, st: &State, oi: u32) -> bool {
        let o = &self.opts[oi as usize];
        if self.item_used(st, o.item) || o.bits & st.used_bits != 0 {
            return false;
        }
        if o.group != NO_GROUP {
            let g = o.group as usize;
            let filled = st.group_filled[g] as usize;
            if filled >= self.group_cap[g] as usize {
                return false;
            }
            return self.assignable_with(st, g, o.allowed);
        }
        true
    }

    /// Whether a member with `allowed` slots can join group `g`'s members.
    #[inline]
    pub fn assignable_with(&self, st: &State, g: usize, allowed: u8) -> bool {
        match st.group_filled[g] {
            0 => allowed != 0,
            1 => {
                let a = st.group_allowed[g][0];
                (a & 1 != 0 && allowed & 2 != 0) || (a & 2 != 0 && allowed & 1 != 0)
            }
            _ => false,
        }
    }

    /// The exact gain of adding option `oi` to the state.
    #[inline]
    pub fn gain(&self, st: &State, oi: u32) -> Gain {
        let o = &self.opts[oi as usize];
        let spell = self.spell_gain(st, o);
        let set = if o.set == NO_SET {
            0
        } else {
            let v = &self.set_values[o.set as usize];
            let max = v.len() - 1;
            let now = st.set_units[o.set as usize] as usize;
            v[(now + o.units as usize).min(max)] - v[now.min(max)]
        };
        let total = o.armor + self.rating_gain(st, o) + spell + set;
        Gain { total, spell, set }
    }

    #[inline]
    pub fn spell_gain(&self, st: &State, o: &SOpt) -> i64 {
        let mut pts = 0u32;
        for t in 0..LAYERS {
            pts += (o.spell[t] & !st.spell[t]).count_ones();
        }
        self.p.spell_weight * i64::from(pts)
    }

    #[inline]
    pub fn rating_gain(&self, st: &State, o: &SOpt) -> i64 {
        let mut g = o.rating_static;
        for &r in &self.capped {
            if o.ratings[r] != 0 {
                let cap = self.p.rating_caps[r].unwrap_or(i64::MAX);
                let before = st.ratings[r].min(cap);
                let after = (st.ratings[r] + o.ratings[r]).min(cap);
                g += self.p.rating_weights[r] * (after - before);
            }
        }
        g
    }

    /// Most the option's set can gain from it in any completion of the state (sets with
    /// a jump make a later piece worth more than its gain now).
    pub fn set_gain_ub(&self, st: &State, o: &SOpt) -> i64 {
        if o.set == NO_SET {
            return 0;
        }
        let v = &self.set_values[o.set as usize];
        let max = v.len() - 1;
        let now = (st.set_units[o.set as usize] as usize).min(max);
        (now..=max).map(|c| v[(c + o.units as usize).min(max)] - v[c]).max().unwrap_or(0)
    }

    /// The amortised set share of option `oi` (α* × units).
    pub fn set_share_pub(&self, st: &State, oi: u32) -> i64 {
        self.set_share(st, &self.opts[oi as usize])
    }

    #[inline]
    pub fn set_share(&self, st: &State, o: &SOpt) -> i64 {
        if o.set == NO_SET {
            return 0;
        }
        let a = &self.alpha[o.set as usize];
        let now = (st.set_units[o.set as usize] as usize).min(a.len() - 1);
        a[now] * i64::from(o.units)
    }

    /// Adds option `oi` (gain precomputed) to the state.
    pub fn apply(&self, st: &mut State, oi: u32, gain: i64) -> Undo {
        let o = &self.opts[oi as usize];
        let undo = Undo {
            score: st.score,
            spell: st.spell,
            ratings: st.ratings,
            set_prev: if o.set == NO_SET { 0 } else { st.set_units[o.set as usize] },
            group_last: if o.group == NO_GROUP { -1 } else { st.group_last[o.group as usize] },
        };
        st.score += gain;
        for t in 0..LAYERS {
            st.spell[t] |= o.spell[t];
        }
        for (r, x) in st.ratings.iter_mut().zip(o.ratings) {
            *r += x;
        }
        if o.set != NO_SET {
            st.set_units[o.set as usize] += o.units;
        }
        st.used_bits |= o.bits;
        st.items[(o.item / 64) as usize] |= 1u64 << (o.item % 64);
        if o.group != NO_GROUP {
            let g = o.group as usize;
            let f = st.group_filled[g] as usize;
            if f < 2 {
                st.group_allowed[g][f] = o.allowed;
            }
            st.group_filled[g] += 1;
            st.group_last[g] = i32::from(o.rank);
        }
        st.chosen.push(oi);
        undo
    }

    pub fn undo(&self, st: &mut State, oi: u32, u: Undo) {
        let o = &self.opts[oi as usize];
        st.score = u.score;
        st.spell = u.spell;
        st.ratings = u.ratings;
        if o.set != NO_SET {
            st.set_units[o.set as usize] = u.set_prev;
        }
        st.used_bits &= !o.bits;
        st.items[(o.item / 64) as usize] &= !(1u64 << (o.item % 64));
        if o.group != NO_GROUP {
            let g = o.group as usize;
            st.group_filled[g] -= 1;
            st.group_last[g] = u.group_last;
        }
        st.chosen.pop();
    }

    /// Free slots left in group `g`.
    #[inline]
    pub fn group_free(&self, st: &State, g: usize) -> u8 {
        if st.group_closed[g] { 0 } else { self.group_cap[g].saturating_sub(st.group_filled[g]) }
    }
}

/// The memo points: steps up to the first slot-group step, and the first step of each
/// slot group, where no locked item has an option from that step on and at most
/// [`MAX_SPANNING`] items span the step.
fn memo_points(
    p: &Problem,
    steps: &[Step],
    opts: &[SOpt],
    by_item: &[Vec<u32>],
    part_step: &[u16; 15],
) -> Vec<Option<MemoPoint>> {
    let first_group = steps.iter().position(|s| matches!(s, Step::Group(_))).unwrap_or(steps.len());
    let locked_first =
        p.locked_items.iter().flat_map(|&i| by_item[i as usize].iter().map(|&j| opts[j as usize].until as usize)).max();
    (0..steps.len())
        .map(|s| {
            // Slot groups before `s` are done with and those from `s` on untouched only
            // at a group's first step.
            let group_start = s <= first_group || steps[s] != steps[s - 1];
            if s == 0 || !group_start || locked_first.is_some_and(|l| l >= s) {
                return None;
            }
            let mut tail_bits = 0u32;
            for part in Part::ALL {
                if part_step[part as usize] as usize >= s {
                    tail_bits |= part.bit();
                }
            }
            let mut spanning = Vec::new();
            for (item, list) in by_item.iter().enumerate() {
                let before = list.iter().any(|&j| (opts[j as usize].first_step as usize) < s);
                let after = list.iter().any(|&j| (opts[j as usize].first_step as usize) >= s);
                if before && after {
                    spanning.push(item as u32);
                }
            }
            if spanning.len() > MAX_SPANNING {
                return None;
            }
            let mut sets: Vec<u16> =
                opts.iter().filter(|o| o.first_step as usize >= s && o.set != NO_SET).map(|o| o.set).collect();
            sets.sort_unstable();
            sets.dedup();
            Some(MemoPoint { tail_bits, spanning, sets })
        })
        .collect()
}

/// α*(c) = max over c' ≥ c and j ≥ 1 of ⌈(v(c'+j) − v(c'))/j⌉: a per-unit value no set
/// completion from count c can beat.
fn alpha_star(v: &[i64]) -> Vec<i64> {
    let n = v.len();
    let mut a = vec![0i64; n];
    for c in 0..n {
        let mut best = 0i64;
        for j in 1..n - c {
            let d = v[c + j] - v[c];
            if d > 0 {
                best = best.max((d + j as i64 - 1) / j as i64);
            }
        }
        a[c] = best;
    }
    for c in (0..n.saturating_sub(1)).rev() {
        a[c] = a[c].max(a[c + 1]);
    }
    a
}

#[allow(clippy::too_many_arguments)]
fn compile_option(
    p: &Problem,
    orig: u32,
    o: &WearOption,
    capped: &[usize],
    alpha: &[Vec<i64>],
    part_step: &[u16; 15],
    group_first: &[u16; 8],
    group_last: &[u16; 8],
) -> Option<SOpt> {
    let (group, allowed, first_step, until) = match o.group {
        Some((g, allowed)) => {
            let gi = g.index();
            if group_first[gi] == u16::MAX {
                return None;
            }
            (gi as u8, allowed, group_first[gi], group_last[gi])
        }
        None => {
            let first =
                Part::ALL.iter().filter(|part| o.bits & part.bit() != 0).map(|part| part_step[*part as usize]).min()?;
            (NO_GROUP, 0, first, first)
        }
    };
    let mut rating_static = 0;
    for r in 0..NUM_RATINGS {
        if !capped.contains(&r) {
            rating_static += p.rating_weights[r] * o.ratings[r];
        }
    }
    let capped_max: i64 =
        capped.iter().map(|&r| p.rating_weights[r] * o.ratings[r].min(p.rating_caps[r].unwrap_or(i64::MAX))).sum();
    let armor = p.armor_weight * o.armor_raw;
    let spell_pts: i64 = o.spell.iter().map(|l| i64::from(l.count_ones())).sum();
    let (set, units) = o.set.unwrap_or((NO_SET, 0));
    let set_hint = if set == NO_SET { 0 } else { alpha[set as usize].first().copied().unwrap_or(0) * i64::from(units) };
    let parts = o.parts.max(1);
    let static_value =
        (armor + rating_static + capped_max + p.spell_weight * spell_pts + set_hint) * (SCALE / i64::from(parts));
    Some(SOpt {
        orig,
        item: o.item,
        object_id: p.items[o.item as usize].object_id,
        bits: o.bits,
        group,
        allowed,
        rank: 0,
        first_step,
        until,
        parts,
        share_mul: SCALE / i64::from(parts),
        armor,
        rating_static,
        ratings: o.ratings,
        spell: o.spell,
        set,
        units,
        static_value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_star_bounds_every_completion_per_unit() {
        let v = vec![0, 0, 1000, 2000, 3000, 6000];
        let a = alpha_star(&v);
        for c in 0..v.len() {
            for j in 1..v.len() - c {
                assert!(v[c + j] - v[c] <= a[c] * j as i64, "c={c} j={j}");
            }
        }
        assert_eq!(a[4], 3000);
        assert!(a.windows(2).all(|w| w[0] >= w[1]));
    }
}
