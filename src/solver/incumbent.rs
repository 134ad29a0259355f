//! A good first suit before the exact search: greedy construction, then local search by
//! "insert one option, drop what conflicts, refill the freed positions greedily".
//!
//! Owns: the heuristic incumbent. Its only job is to make pruning bite early; it never
//! decides the answer (the exact search does), so it may be as clever or as simple as
//! its time budget allows. Must never: return an invalid suit.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::engine::{Engine, NO_GROUP, State};

/// Local-search passes at most (each pass tries every option once).
const MAX_PASSES: usize = 12;

/// Greedy + local search from `root` (which holds the locked items). Returns the states
/// found (the best last).
pub fn incumbents(eng: &Engine, root: &State, deadline: Instant, cancel: &AtomicBool) -> Vec<State> {
    let mut out = Vec::new();
    for per_part in [true, false] {
        let mut st = root.clone();
        let all: Vec<u32> = (0..eng.opts.len() as u32).collect();
        greedy_fill(eng, &mut st, &all, per_part);
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
/// value per part covered (else by value).
fn greedy_fill(eng: &Engine, st: &mut State, candidates: &[u32], per_part: bool) {
    loop {
        let mut best: Option<(i64, u32, i64)> = None;
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
            if best.is_none_or(|(k, _, _)| key > k) {
                best = Some((key, oi, g.total));
            }
        }
        match best {
            Some((_, oi, gain)) => {
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
                greedy_fill(eng, &mut st, &refill, true);
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
