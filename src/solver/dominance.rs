//! Sound dominance pruning of wear options before the search.
//!
//! Owns: deciding which options can never appear in the top-k suits. Must never: drop an
//! option of a locked item, or drop one without enough dominators (see below).
//!
//! Option `u` (item A) dominates option `v` (item B ≠ A) when swapping B-as-`v` for
//! A-as-`u` in any suit gives a valid suit that ranks at least as high:
//! - `u` occupies a subset of `v`'s coverage bits, or sits in the same slot group with at
//!   least `v`'s allowed slots;
//! - A cannot already be in a suit that wears B as `v`: every option of A overlaps `v`'s
//!   bits (or A only goes in that one slot group);
//! - `u` is at least as good in armor, every weighted rating and every wanted family's
//!   tier layer, and in sets: same set with at least the units (monotone table), or `v`
//!   has no relevant set and `u`'s set table never decreases;
//! - ties: the swap gains strictly (more armor or uncapped weighted rating — both
//!   additive), or A's object id is smaller, so the swapped suit wins the tie-break.
//!
//! Each dominator turns a suit containing `v` into a distinct better suit. The top-k can
//! therefore only contain `v` if fewer than `k + c − 1` options dominate it, where `c` is
//! the group's capacity (a dominator may be the other ring). With that many dominators we
//! drop `v`.

use super::eligibility::{Problem, WearOption};
use super::model::NUM_RATINGS;

/// Which options of `problem` survive (`true`) for a top-`k` search.
pub fn surviving_options(problem: &Problem) -> Vec<bool> {
    let opts = &problem.options;
    let n = opts.len();
    let mut alive = vec![true; n];
    let locked: Vec<bool> = {
        let mut l = vec![false; problem.items.len()];
        for &i in &problem.locked_items {
            l[i as usize] = true;
        }
        l
    };
    // Per item: OR-free list of its options' bits, and its groups.
    let mut item_opts: Vec<Vec<u32>> = vec![Vec::new(); problem.items.len()];
    for (i, o) in opts.iter().enumerate() {
        item_opts[o.item as usize].push(i as u32);
    }
    let monotone: Vec<bool> = problem.sets.iter().map(|t| t.is_monotone()).collect();
    let strict_ratings: Vec<usize> =
        (0..NUM_RATINGS).filter(|&r| problem.rating_weights[r] > 0 && problem.rating_caps[r].is_none()).collect();
    let weighted: Vec<usize> = (0..NUM_RATINGS).filter(|&r| problem.rating_weights[r] > 0).collect();

    // Candidates sorted by armor (descending): a dominator needs at least v's armor.
    let mut by_armor: Vec<u32> = (0..n as u32).filter(|&i| !locked[opts[i as usize].item as usize]).collect();
    by_armor.sort_by_key(|&i| std::cmp::Reverse(opts[i as usize].armor_raw));

    for v in 0..n {
        let ov = &opts[v];
        if locked[ov.item as usize] {
            continue;
        }
        let capacity = ov.group.map_or(1, |(g, _)| g.capacity());
        let need = problem.top_k + capacity - 1;
        // Distinct dominating items: two options of one item give the same swapped suit.
        let mut dominators: Vec<u32> = Vec::with_capacity(need);
        for &u in &by_armor {
            let ou = &opts[u as usize];
            if ou.armor_raw < ov.armor_raw {
                break;
            }
            if ou.item == ov.item {
                continue;
            }
            if !occupancy_dominates(ou, ov, &item_opts[ou.item as usize], opts) {
                continue;
            }
            if !features_dominate(ou, ov, &weighted, &monotone) {
                continue;
            }
            let strict_gain = problem.armor_weight * (ou.armor_raw - ov.armor_raw)
                + strict_ratings
                    .iter()
                    .map(|&r| problem.rating_weights[r] * (ou.ratings[r] - ov.ratings[r]))
                    .sum::<i64>();
            let a_id = problem.items[ou.item as usize].object_id;
            let b_id = problem.items[ov.item as usize].object_id;
            if (strict_gain > 0 || a_id < b_id) && !dominators.contains(&ou.item) {
                dominators.push(ou.item);
                if dominators.len() >= need {
                    alive[v] = false;
                    break;
                }
            }
        }
    }
    alive
}

fn occupancy_dominates(u: &WearOption, v: &WearOption, u_item_opts: &[u32], opts: &[WearOption]) -> bool {
    match (u.group, v.group) {
        (None, None) => {
            u.bits & !v.bits == 0
                && u.bits != 0
                && u_item_opts.iter().all(|&o| {
                    let other = &opts[o as usize];
                    other.group.is_none() && other.bits & v.bits != 0
                })
        }
        (Some((gu, au)), Some((gv, av))) => {
            gu == gv && au & av == av && u_item_opts.iter().all(|&o| opts[o as usize].group.map(|(g, _)| g) == Some(gv))
        }
        _ => false,
    }
}

fn features_dominate(u: &WearOption, v: &WearOption, weighted: &[usize], monotone: &[bool]) -> bool {
    for t in 0..u.spell.len() {
        if v.spell[t] & !u.spell[t] != 0 {
            return false;
        }
    }
    if weighted.iter().any(|&r| u.ratings[r] < v.ratings[r]) {
        return false;
    }
    match (u.set, v.set) {
        (None, None) => true,
        (Some((su, _)), None) => monotone[su as usize],
        (None, Some(_)) => false,
        (Some((su, nu)), Some((sv, nv))) => su == sv && (nu == nv || (nu > nv && monotone[su as usize])),
    }
}
