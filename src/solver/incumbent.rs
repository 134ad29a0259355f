//! A good first suit before the exact search: greedy construction, then local search by
//! "insert one option, drop what conflicts, refill the freed positions greedily".
//! Single swaps cannot move a suit from one set to another (that takes several pieces at
//! once), so further constructions are seeded with one or two target sets — the most
//! valuable ones — whose pieces the greedy places first until each set is complete.
//!
//! Owns: the heuristic incumbent. Its only job is to make pruning bite early; it never
//! decides the answer (the exact search does), so it may be as clever or as simple as
//! its time budget allows. Must never: return an invalid suit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::engine::{Engine, NO_GROUP, NO_SET, State};

/// Local-search passes at most (each pass tries every option once).
const MAX_PASSES: usize = 12;
/// Most valuable sets tried as construction targets (alone and in pairs).
const TARGET_SETS: usize = 4;

/// Greedy + local search from `root` (which holds the locked items). Returns the states
/// found (the best last).
pub fn incumbents(eng: &Engine, root: &State, deadline: Instant, cancel: &AtomicBool) -> Vec<State> {
    let mut out = Vec::new();
    let all: Vec<u32> = (0..eng.opts.len() as u32).collect();
    for per_part in [true, false] {
        let mut st = root.clone();
        greedy_fill(eng, &mut st, &all, per_part, &[]);
        let st = local_search(eng, root, st, deadline, cancel);
        out.push(st);
        if Instant::now() >= deadline || cancel.load(Ordering::Relaxed) {
            out.sort_by_key(|s| s.score);
            return out;
        }
    }
    // Target sets: those on coverage options, most valuable first (ties by index).
    let mut sets: Vec<(i64, u16)> = Vec::new();
    for o in &eng.opts {
        if o.set != NO_SET && o.group == NO_GROUP && !sets.iter().any(|s| s.1 == o.set) {
            let best = eng.set_values[o.set as usize].iter().copied().max().unwrap_or(0);
            if best > 0 {
                sets.push((best, o.set));
            }
        }
    }
    sets.sort_by_key(|s| (std::cmp::Reverse(s.0), s.1));
    sets.truncate(TARGET_SETS);
    let mut targets: Vec<Vec<u16>> = Vec::new();
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            targets.push(vec![sets[i].1, sets[j].1]);
        }
    }
    targets.extend(sets.iter().map(|s| vec![s.1]));
    for t in &targets {
        let mut st = root.clone();
        greedy_fill(eng, &mut st, &all, true, t);
        let st = local_search(eng, root, st, deadline, cancel);
        out.push(st);
        if Instant::now() >= deadline || cancel.load(Ordering::Relaxed) {
            break;
        }
    }
    out.sort_by_key(|s| s.score);
    out
}

/// Adds the best-value fitting option until none adds value. `per_part` ranks options by
/// value per part covered (else by value). Pieces of the `targets` sets come first while
/// their set is below its full count.
fn greedy_fill(eng: &Engine, st: &mut State, candidates: &[u32], per_part: bool, targets: &[u16]) {
    loop {
        let mut best: Option<(bool, i64, u32, i64)> = None;
        for &oi in candidates {
            if !eng.fits(st, oi) {
                continue;
            }
            let g = eng.gain(st, oi);
            // Optimistic about sets so the first pieces of a set get picked.
            let hint = eng.set_share_pub(st, oi).max(g.set);
            let value = g.total - g.set + hint;
            if value <= 0 && g.total <= 0 {
                continue;
            }
            let o = &eng.opts[oi as usize];
            let key = if per_part { value.saturating_mul(o.share_mul) } else { value };
            let target = o.set != NO_SET
                && targets.contains(&o.set)
                && (st.set_units[o.set as usize] as usize) < eng.set_values[o.set as usize].len() - 1;
            if best.is_none_or(|(t, k, _, _)| (target, key) > (t, k)) {
                best = Some((target, key, oi, g.total));
            }
        }
        match best {
            Some((_, _, oi, gain)) => {
                eng.apply(st, oi, gain);
            }
            None => return,
        }
    }
}

fn rebuild(eng: &Engine, root: &State, first: u32, keep: &[u32]) -> Option<State> {
    let mut st = root.clone();
    if !eng.fits(&st, first) {
        return None;
    }
    let g = eng.gain(&st, first).total;
    eng.apply(&mut st, first, g);
    for &oi in keep {
        if eng.fits(&st, oi) {
            let g = eng.gain(&st, oi).total;
            eng.apply(&mut st, oi, g);
        }
    }
    Some(st)
}

fn local_search(eng: &Engine, root: &State, mut cur: State, deadline: Instant, cancel: &AtomicBool) -> State {
    let root_len = root.chosen.len();
    let mut refill: Vec<u32> = Vec::new();
    for _ in 0..MAX_PASSES {
        let mut improved = false;
        for oi in 0..eng.opts.len() as u32 {
            if oi % 64 == 0 && (Instant::now() >= deadline || cancel.load(Ordering::Relaxed)) {
                return cur;
            }
            if cur.chosen.contains(&oi) {
                continue;
            }
            let keep: Vec<u32> = cur.chosen[root_len..].to_vec();
            let Some(mut st) = rebuild(eng, root, oi, &keep) else {
                continue;
            };
            // Refill what the insertion freed: parts no longer covered, groups with room.
            let freed_bits = cur.used_bits & !st.used_bits;
            refill.clear();
            for (pi, list) in eng.cover.iter().enumerate() {
                if freed_bits & eng.part_bits[pi] != 0 {
                    refill.extend_from_slice(list);
                }
            }
            for g in 0..8 {
                if st.group_filled[g] < cur.group_filled[g] || eng.opts[oi as usize].group == g as u8 {
                    refill.extend_from_slice(&eng.group_opts[g]);
                }
            }
            if eng.opts[oi as usize].group == NO_GROUP || !refill.is_empty() {
                greedy_fill(eng, &mut st, &refill, true, &[]);
            }
            if st.score > cur.score {
                cur = st;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    cur
}
