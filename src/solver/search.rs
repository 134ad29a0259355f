//! The exact branch-and-bound search: depth-first over the steps of the [`Engine`], with
//! the admissible node bound, cheap child bounds, best-first child order, a shared top-k,
//! parallel subtrees and anytime reporting.
//!
//! Owns: search order, pruning decisions, threads, progress events, cancellation and the
//! time limit. Must never: prune a node whose bound is not strictly below the k-th best
//! score found (ties must be searched: the tie-break is the sorted object-id list), or
//! let thread count change the answer.
//!
//! Speed-ups, each exact:
//! - The last slot group (the ring pair) is enumerated directly (`Worker::tail`) with
//!   exact gains and per-member upper bounds instead of a node bound per ring.
//! - Node dominance ([`Engine::dominated_at`]): a child is dropped when `top_k + capacity
//!   − 1` options of distinct unused items beat it in every completion, spells counted
//!   relative to the suit so far (an item whose new bits another also brings, with no
//!   less armor, ratings or set value, is dominated once the rest is covered).
//! - Memoised completions ([`Engine::memo_key`], `Worker::memo_node`): at a part step,
//!   or the first step of a slot group, what any completion can add depends only on a
//!   short key (spell bits the rest could add, parts already covered, items straddling
//!   the step, set counts, capped ratings). A subtree searched under threshold `T`
//!   bounds every later state with that key by `max(best gain found, T − 1 − score)`;
//!   many armor choices share a key, so most of their slot-group and under-layer
//!   subtrees are pruned after the first. Exact: whatever a search did not reach scored
//!   below the threshold then, and the threshold only rises.
//! - Price refinement: each branching node takes one more subgradient step on its own
//!   prices before branching and keeps them when the bound tightens.
//! - Work sharing: a worker that finds another idle hands its remaining sibling subtrees
//!   (shallow nodes only) to a queue; open handed-over subtrees count in the reported
//!   upper bound, which is also capped by the root's own bound.
//!
//! Determinism: the top-k under the total order (score desc, sorted ids asc, options asc)
//! is unique, and a completed search finds exactly it whatever the order subtrees finish
//! in. Threads only change which pruning happens when, never the result.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use super::SolverError;
use super::bound::{BOUND_FACTOR, NC, Prices, ROOT_PRICE_ITERATIONS, TASK_PRICE_ITERATIONS};
use super::dominance::surviving_options;
use super::eligibility::Problem;
use super::engine::{Engine, MemoPoint, State, Step};
use super::incumbent::incumbents;
use super::score::{SolveOutcome, SolveStats, SolverEvent, StopReason, explain};

/// How often progress is reported (docs/api.md: about 4 per second).
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Nodes between checks of the cancel flag and the clock. A node costs well under 20 µs,
/// so 1,024 nodes keep cancellation far inside the required 100 ms.
const CHECK_EVERY_NODES: u64 = 1_024;
/// Subtrees handed to workers, per thread (more evens out the load and sharpens the
/// anytime upper bound; each costs one extra bound computation).
const TASKS_PER_THREAD: usize = 16;
/// Fewest subtrees, even with one thread, so the reported upper bound improves as
/// subtrees finish.
const MIN_TASKS: usize = 32;
/// Deepest level the split descends to looking for enough subtrees.
const MAX_SPLIT_DEPTH: usize = 6;
/// Share of the time limit the heuristic incumbent may use, and its cap.
const INCUMBENT_SHARE: u32 = 5;
const INCUMBENT_CAP: Duration = Duration::from_millis(150);
/// Deepest node that hands siblings to idle workers (deeper subtrees are too small to
/// be worth the state copies).
const MAX_SHARE_DEPTH: usize = 12;
/// Pause of an idle worker between looks at the queue.
const IDLE_POLL: Duration = Duration::from_micros(200);
/// Most memoised completions: a key is about ten words, so an entry costs about
/// 150 bytes and the memo at most about 20 MB per solve. When full, nothing more is
/// memoised (the search stays exact, it just prunes less).
const MAX_MEMO_ENTRIES: usize = 1 << 17;
/// Marks the "leave empty / close the group" child.
const NONE: u32 = u32::MAX;

/// One ranked suit found so far.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Candidate {
    score: i64,
    ids: Vec<u32>,
    /// Original option indices ordered by (object id, option): distinguishes two ways of
    /// wearing the same items and fixes which one is reported.
    opts: Vec<u32>,
}

fn better(a: &Candidate, b: &Candidate) -> bool {
    a.score > b.score || (a.score == b.score && (a.ids < b.ids || (a.ids == b.ids && a.opts < b.opts)))
}

/// The k best distinct suits (distinct by item set) found so far.
struct TopK {
    k: usize,
    list: Vec<Candidate>,
    /// Bumped whenever the best suit changes.
    version: u64,
}

impl TopK {
    /// Offers a suit; returns whether the list changed.
    fn offer(&mut self, c: Candidate) -> bool {
        if let Some(i) = self.list.iter().position(|x| x.ids == c.ids) {
            if !better(&c, &self.list[i]) {
                return false;
            }
            self.list.remove(i);
        } else if self.list.len() == self.k && self.list.last().is_some_and(|w| !better(&c, w)) {
            return false;
        }
        let pos = self.list.iter().position(|x| better(&c, x)).unwrap_or(self.list.len());
        self.list.insert(pos, c);
        self.list.truncate(self.k);
        if pos == 0 {
            self.version += 1;
        }
        true
    }

    /// The score a suit must reach to enter (when full).
    fn threshold(&self) -> i64 {
        if self.list.len() < self.k { i64::MIN } else { self.list.last().map_or(i64::MIN, |c| c.score) }
    }
}

/// State shared by workers and the reporting thread.
struct Shared<'a> {
    topk: Mutex<TopK>,
    threshold: AtomicI64,
    nodes: AtomicU64,
    cancel: &'a AtomicBool,
    cancelled: AtomicBool,
    timed_out: AtomicBool,
    deadline: Instant,
    wake: mpsc::SyncSender<()>,
    /// Workers waiting for work; busy workers hand subtrees over while it is non-zero.
    idle: AtomicUsize,
    /// Subtrees handed over during the search (work sharing).
    shared_tasks: Mutex<SharedTasks>,
    /// Length of `shared_tasks.queue`, readable without the lock.
    queued: AtomicUsize,
    /// Slot-group completions already searched: memo key → an upper bound on the gain
    /// any completion of such a state can add (see `Worker::node`).
    memo: Mutex<HashMap<Vec<u64>, i64, BuildHasherDefault<WordHasher>>>,
}

/// A fast hasher for memo keys (words of search state, not outside input: no need for
/// SipHash's flooding resistance). Multiply-rotate per word, as in rustc's FxHasher.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// Subtrees busy workers handed over: each with its scaled bound and whether it is
/// finished (open ones keep the reported upper bound honest).
#[derive(Default)]
struct SharedTasks {
    tasks: Vec<(Option<Task>, i64, bool)>,
    /// Indices into `tasks` not yet taken.
    queue: Vec<usize>,
}

impl Shared<'_> {
    fn stopped(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed) || self.timed_out.load(Ordering::Relaxed)
    }

    fn check_stop(&self) -> bool {
        if self.cancel.load(Ordering::Relaxed) {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        if Instant::now() >= self.deadline {
            self.timed_out.store(true, Ordering::Relaxed);
        }
        self.stopped()
    }

    fn offer(&self, c: Candidate) {
        let Ok(mut t) = self.topk.lock() else { return };
        let before = t.version;
        if t.offer(c) {
            self.threshold.store(t.threshold(), Ordering::Relaxed);
            if t.version != before {
                // Full channel: the reporter is already due to look.
                let _ = self.wake.try_send(());
            }
        }
    }
}

/// One search thread's context.
struct Worker<'e, 'p, 's> {
    eng: &'e Engine<'p>,
    sh: &'s Shared<'s>,
    nodes: u64,
    stopped: bool,
    /// When set: stop at this depth and collect the nodes instead of searching them.
    collect_depth: Option<usize>,
    collected: Vec<Task>,
    bufs: Vec<Vec<(i64, u32, i64)>>,
    /// Tuned prices per depth: a node's prices, stepped once, become its children's.
    prices: Vec<Prices>,
    /// Scratch for the node dominance test.
    found: Vec<u32>,
    /// Scratch for the tail enumeration: (upper bound of the gain, option).
    tail_buf: Vec<(i64, u32)>,
    /// Best leaf score reached since the innermost memoised node began.
    best_leaf: i64,
    /// Times this worker handed subtrees over (a memoised node that handed some over
    /// did not search its whole subtree itself).
    shares: u64,
    /// Scratch for memo keys.
    key_buf: Vec<u64>,
}

/// A subtree to search: its root state, scaled bound, depth and prices.
type Task = (State, i64, usize, Prices);

impl Worker<'_, '_, '_> {
    fn thr_scaled(&self) -> i64 {
        self.sh.threshold.load(Ordering::Relaxed).saturating_mul(BOUND_FACTOR)
    }

    fn count_node(&mut self) {
        self.nodes += 1;
        if self.nodes.is_multiple_of(CHECK_EVERY_NODES) {
            self.sh.nodes.fetch_add(CHECK_EVERY_NODES, Ordering::Relaxed);
            if self.sh.check_stop() {
                self.stopped = true;
            }
        }
    }

    fn flush(&mut self) {
        self.sh.nodes.fetch_add(self.nodes % CHECK_EVERY_NODES, Ordering::Relaxed);
        self.nodes = 0;
    }

    fn leaf(&mut self, st: &State) {
        self.best_leaf = self.best_leaf.max(st.score);
        if st.score < self.sh.threshold.load(Ordering::Relaxed) {
            return;
        }
        let mut pairs: Vec<(u32, u32)> =
            st.chosen.iter().map(|&o| (self.eng.opts[o as usize].object_id, self.eng.opts[o as usize].orig)).collect();
        pairs.sort_unstable();
        let ids = pairs.iter().map(|p| p.0).collect();
        let opts = pairs.iter().map(|p| p.1).collect();
        self.sh.offer(Candidate { score: st.score, ids, opts });
    }

    /// The last slot group, enumerated directly: closing it, one more member, or (with
    /// two free slots) an unordered pair, pruned by exact gains and per-member upper
    /// bounds instead of node bounds. Offers every such suit at or above the threshold,
    /// exactly like the branching it replaces.
    fn tail(&mut self, st: &mut State, g: usize) {
        let eng = self.eng;
        let thr = |w: &Self| w.sh.threshold.load(Ordering::Relaxed);
        self.leaf(st);
        let free = eng.group_free(st, g);
        if free == 0 {
            return;
        }
        let last = st.group_last[g];
        let mut cands = std::mem::take(&mut self.tail_buf);
        cands.clear();
        for &oi in &eng.group_opts[g] {
            let o = &eng.opts[oi as usize];
            if i32::from(o.rank) <= last || eng.item_used(st, o.item) || !eng.assignable_with(st, g, o.allowed) {
                continue;
            }
            let gain = eng.gain(st, oi);
            let ub = gain.total - gain.set + eng.set_gain_ub(st, o);
            cands.push((ub, oi));
        }
        // Highest upper bound first; the stable sort keeps list order on ties.
        cands.sort_by_key(|c| std::cmp::Reverse(c.0));
        let n = cands.len();
        for i in 0..n {
            let (ub_a, a) = cands[i];
            let partner = if free >= 2 && i + 1 < n { cands[i + 1].0.max(0) } else { 0 };
            if st.score + ub_a + partner < thr(self) {
                break;
            }
            let ga = eng.gain(st, a).total;
            let ua = eng.apply(st, a, ga);
            self.leaf(st);
            if free >= 2 {
                for &(ub_b, b) in &cands[i + 1..] {
                    if st.score + ub_b < thr(self) {
                        break;
                    }
                    let ob = &eng.opts[b as usize];
                    if eng.item_used(st, ob.item) || !eng.assignable_with(st, g, ob.allowed) {
                        continue;
                    }
                    let gb = eng.gain(st, b).total;
                    let ub = eng.apply(st, b, gb);
                    self.leaf(st);
                    eng.undo(st, b, ub);
                }
            }
            eng.undo(st, a, ua);
        }
        self.tail_buf = cands;
    }

    fn node(&mut self, st: &mut State, depth: usize) {
        if self.stopped {
            return;
        }
        let eng = self.eng;
        let saved_step = st.step;
        loop {
            let s = st.step as usize;
            if s == eng.steps.len() {
                self.leaf(st);
                st.step = saved_step;
                return;
            }
            let decided = match eng.steps[s] {
                Step::Part(p) => st.used_bits & eng.part_bits[p as usize] != 0,
                Step::Group(g) => eng.group_free(st, g as usize) == 0,
            };
            if !decided {
                break;
            }
            st.step += 1;
        }
        self.count_node();
        if self.collect_depth.is_none()
            && let Some(m) = &eng.memo[st.step as usize]
        {
            self.memo_node(st, depth, saved_step, m);
            return;
        }
        self.node_body(st, depth, saved_step);
    }

    /// A node at the first slot-group step, memoised. Its completions (slot-group
    /// items only) and their gains depend only on the memo key, so a subtree searched
    /// once under threshold `T` tells every later state with that key: no completion
    /// gains more than `max(best gain found, T − 1 − score)` — any completion not
    /// reached was pruned (or dropped as dominated by one at least as good) below the
    /// threshold then, and the threshold never falls. A later node whose score plus
    /// that bound is below the threshold is pruned, the same strict rule as any bound.
    fn memo_node(&mut self, st: &mut State, depth: usize, saved_step: u16, m: &MemoPoint) {
        let eng = self.eng;
        let mut key = std::mem::take(&mut self.key_buf);
        eng.memo_key(st, st.step as usize, m, &mut key);
        let thr = self.sh.threshold.load(Ordering::Relaxed);
        let known = self.sh.memo.lock().ok().and_then(|m| m.get(key.as_slice()).copied());
        if let Some(g) = known
            && st.score.saturating_add(g) < thr
        {
            st.step = saved_step;
            self.key_buf = key;
            return;
        }
        let outer_best = self.best_leaf;
        self.best_leaf = i64::MIN;
        let shares = self.shares;
        self.node_body(st, depth, saved_step);
        if !self.stopped && self.shares == shares {
            let t_end = self.sh.threshold.load(Ordering::Relaxed);
            let found = if self.best_leaf == i64::MIN { i64::MIN } else { self.best_leaf - st.score };
            let g = found.max(t_end.saturating_sub(1).saturating_sub(st.score));
            if let Ok(mut m) = self.sh.memo.lock() {
                if let Some(e) = m.get_mut(key.as_slice()) {
                    *e = (*e).min(g);
                } else if m.len() < MAX_MEMO_ENTRIES {
                    m.insert(key.clone(), g);
                }
            }
        }
        self.best_leaf = self.best_leaf.max(outer_best);
        self.key_buf = key;
    }

    /// The node's search once its step is known (see [`Self::node`]).
    fn node_body(&mut self, st: &mut State, depth: usize, saved_step: u16) {
        let eng = self.eng;
        if st.step as usize >= eng.tail_from && self.collect_depth.is_none() {
            self.tail(st, eng.tail_group as usize);
            st.step = saved_step;
            return;
        }
        let mut nb = eng.bound(st, &self.prices[depth]);
        let ub = nb.ub(st.score);
        if self.stopped || ub < self.thr_scaled() {
            st.step = saved_step;
            return;
        }
        if self.collect_depth == Some(depth) {
            self.collected.push((st.clone(), ub, depth, self.prices[depth].clone()));
            st.step = saved_step;
            return;
        }
        if self.bufs.len() <= depth {
            self.bufs.resize_with(depth + 1, Vec::new);
        }
        if self.prices.len() <= depth + 1 {
            let p = self.prices[depth].clone();
            self.prices.resize(depth + 2, p);
        }
        // One more subgradient step here before branching: the inherited prices were
        // tuned for the parent. Kept (for this node and its later siblings) only when it
        // tightens the bound; any prices give a valid bound.
        let target = self.sh.threshold.load(Ordering::Relaxed);
        if target > i64::MIN {
            let (lo, hi) = self.prices.split_at_mut(depth + 1);
            hi[0].copy_from(&lo[depth]);
            eng.price_step(st, &nb, &mut hi[0], target);
            let refined = eng.bound(st, &hi[0]);
            if refined.ub(st.score) < ub {
                std::mem::swap(&mut lo[depth], &mut hi[0]);
                nb = refined;
                if nb.ub(st.score) < self.thr_scaled() {
                    st.step = saved_step;
                    return;
                }
            }
        }
        {
            let (lo, hi) = self.prices.split_at_mut(depth + 1);
            hi[0].copy_from(&lo[depth]);
            let target = self.sh.threshold.load(Ordering::Relaxed);
            if target > i64::MIN {
                eng.price_step(st, &nb, &mut hi[0], target);
            }
        }
        let pr = &self.prices[depth];
        let mut children = std::mem::take(&mut self.bufs[depth]);
        children.clear();
        let step = st.step as usize;
        let thr = self.thr_scaled();
        match eng.steps[step] {
            Step::Part(p) => {
                for &oi in &eng.choosable[step] {
                    let o = &eng.opts[oi as usize];
                    if o.bits & st.used_bits != 0 || eng.item_used(st, o.item) {
                        continue;
                    }
                    let g = eng.gain(st, oi);
                    let (du, dk) = eng.child_deltas(st, oi, &g, pr);
                    let mut removed = [0i64; NC];
                    let mut bits = o.bits;
                    while bits != 0 {
                        let b = bits & bits.wrapping_neg();
                        bits &= bits - 1;
                        if let Some(part) = super::model::Part::from_bit(b) {
                            for (r, m) in removed.iter_mut().zip(nb.m_part[part as usize]) {
                                *r = r.saturating_add(m);
                            }
                        }
                    }
                    let q = nb.child(st.score, g.total, &du, &dk, &removed);
                    if q >= thr {
                        children.push((q, oi, g.total));
                    }
                }
                let q = nb.child(st.score, 0, &[0; NC], &[0; NC], &nb.m_part[p as usize]);
                if q >= thr {
                    children.push((q, NONE, 0));
                }
            }
            Step::Group(g) => {
                let gi = g as usize;
                let free = nb.group_free[gi];
                let top = &nb.group_top[gi];
                let removed_pick: [i64; NC] = std::array::from_fn(|c| if free >= 2 { top[c][1] } else { top[c][0] });
                let removed_none: [i64; NC] =
                    std::array::from_fn(|c| if free >= 2 { top[c][0].saturating_add(top[c][1]) } else { top[c][0] });
                let last = st.group_last[gi];
                for &oi in &eng.choosable[step] {
                    let o = &eng.opts[oi as usize];
                    if i32::from(o.rank) <= last || eng.item_used(st, o.item) || !eng.assignable_with(st, gi, o.allowed)
                    {
                        continue;
                    }
                    let g = eng.gain(st, oi);
                    let (du, dk) = eng.child_deltas(st, oi, &g, pr);
                    let q = nb.child(st.score, g.total, &du, &dk, &removed_pick);
                    if q >= thr {
                        children.push((q, oi, g.total));
                    }
                }
                let q = nb.child(st.score, 0, &[0; NC], &[0; NC], &removed_none);
                if q >= thr {
                    children.push((q, NONE, 0));
                }
            }
        }
        // Node dominance: drop children that enough others beat in every completion.
        {
            let (list, cap) = match eng.steps[step] {
                Step::Part(_) => (&eng.choosable[step], 1),
                Step::Group(g) => (&eng.group_opts[g as usize], usize::from(eng.group_cap[g as usize])),
            };
            let need = eng.p.top_k + cap - 1;
            let mut found = std::mem::take(&mut self.found);
            children.retain(|c| c.1 == NONE || !eng.dominated_at(st, c.1, list, need, &mut found));
            self.found = found;
        }
        // Best-first; the stable sort keeps ties in list order (deterministic).
        children.sort_by_key(|c| std::cmp::Reverse(c.0));
        for (ci, &(q, oi, gain)) in children.iter().enumerate() {
            if q < self.thr_scaled() || self.stopped {
                break;
            }
            if ci + 1 < children.len() && self.should_share(depth) {
                // Idle workers wait: the remaining siblings go to the queue, this child
                // is still searched here.
                self.share(st, step, depth, &children[ci + 1..]);
                self.search_child(st, step, depth, oi, gain);
                break;
            }
            self.search_child(st, step, depth, oi, gain);
        }
        st.step = saved_step;
        self.bufs[depth] = children;
    }

    /// Searches one child of the node at `step`.
    fn search_child(&mut self, st: &mut State, step: usize, depth: usize, oi: u32, gain: i64) {
        let eng = self.eng;
        let saved = st.step;
        st.step = step as u16 + 1;
        if oi == NONE {
            match eng.steps[step] {
                Step::Part(_) => self.node(st, depth + 1),
                Step::Group(g) => {
                    st.group_closed[g as usize] = true;
                    self.node(st, depth + 1);
                    st.group_closed[g as usize] = false;
                }
            }
        } else {
            let u = eng.apply(st, oi, gain);
            self.node(st, depth + 1);
            eng.undo(st, oi, u);
        }
        st.step = saved;
    }

    /// Whether to hand siblings over: a worker is idle, nothing is queued, and the
    /// subtrees are still large (shallow).
    fn should_share(&self, depth: usize) -> bool {
        self.collect_depth.is_none()
            && depth <= MAX_SHARE_DEPTH
            && self.sh.idle.load(Ordering::Relaxed) > 0
            && self.sh.queued.load(Ordering::Relaxed) == 0
    }

    /// Queues each child in `rest` of the node at `step` as a task.
    fn share(&mut self, st: &mut State, step: usize, depth: usize, rest: &[(i64, u32, i64)]) {
        let eng = self.eng;
        let pr = self.prices[depth + 1].clone();
        let mut new_tasks = Vec::with_capacity(rest.len());
        for &(q, oi, gain) in rest {
            let mut child = st.clone();
            child.step = step as u16 + 1;
            if oi == NONE {
                if let Step::Group(g) = eng.steps[step] {
                    child.group_closed[g as usize] = true;
                }
            } else {
                eng.apply(&mut child, oi, gain);
            }
            new_tasks.push((child, q, depth + 1, pr.clone()));
        }
        self.shares += 1;
        let Ok(mut sh) = self.sh.shared_tasks.lock() else { return };
        for t in new_tasks {
            let i = sh.tasks.len();
            let b = t.1;
            sh.tasks.push((Some(t), b, false));
            sh.queue.push(i);
        }
        self.sh.queued.store(sh.queue.len(), Ordering::SeqCst);
    }
}

/// Runs the whole search for a validated problem.
pub fn run(
    problem: &Problem,
    sink: &mut dyn FnMut(SolverEvent),
    cancel: &AtomicBool,
) -> Result<SolveOutcome, SolverError> {
    let start = Instant::now();
    let limit = Duration::from_millis(problem.time_limit_ms);
    let deadline = start + limit;
    let threads = problem.threads.max(1);

    let alive = surviving_options(problem);
    let eng = Engine::new(problem, &alive);

    let mut roots = Vec::new();
    for combo in &problem.locked_combinations {
        let mut st = eng.root_state();
        let mut ok = true;
        for &orig in combo {
            match eng.find_orig(orig) {
                Some(oi) if eng.fits(&st, oi) => {
                    let g = eng.gain(&st, oi).total;
                    eng.apply(&mut st, oi, g);
                }
                _ => ok = false,
            }
        }
        // Locked members do not constrain the rank order of the free slots.
        st.group_last = [-1; 8];
        if ok {
            roots.push(st);
        }
    }

    let (wake_tx, wake_rx) = mpsc::sync_channel::<()>(1);
    let shared = Shared {
        topk: Mutex::new(TopK { k: problem.top_k, list: Vec::new(), version: 0 }),
        threshold: AtomicI64::new(i64::MIN),
        nodes: AtomicU64::new(0),
        cancel,
        cancelled: AtomicBool::new(false),
        timed_out: AtomicBool::new(false),
        deadline,
        wake: wake_tx,
        idle: AtomicUsize::new(0),
        shared_tasks: Mutex::new(SharedTasks::default()),
        queued: AtomicUsize::new(0),
        memo: Mutex::new(HashMap::default()),
    };
    let offer_state = |st: &State| {
        let mut pairs: Vec<(u32, u32)> =
            st.chosen.iter().map(|&o| (eng.opts[o as usize].object_id, eng.opts[o as usize].orig)).collect();
        pairs.sort_unstable();
        shared.offer(Candidate {
            score: st.score,
            ids: pairs.iter().map(|p| p.0).collect(),
            opts: pairs.iter().map(|p| p.1).collect(),
        });
    };

    let inc_deadline = start + (limit / INCUMBENT_SHARE).min(INCUMBENT_CAP);
    for root in &roots {
        offer_state(root);
    }
    if let Some(root) = roots.first() {
        for st in incumbents(&eng, root, inc_deadline, cancel) {
            offer_state(&st);
        }
    }

    // Prices tuned at the first root serve every root as a start.
    let start_prices = Prices::initial(&eng);
    let root_prices = match roots.first() {
        Some(root) => {
            let target = shared.threshold.load(Ordering::Relaxed).max(root.score);
            eng.tune_prices(root, &start_prices, target, ROOT_PRICE_ITERATIONS)
        }
        None => start_prices,
    };
    // The roots' own bound caps every reported upper bound (subtree bounds from the split
    // use other prices and can be looser).
    let root_ub = roots.iter().map(|r| ceil_div(eng.bound(r, &root_prices).ub(r.score), BOUND_FACTOR)).max();

    // Split into subtrees.
    let target = (TASKS_PER_THREAD * threads).max(MIN_TASKS);
    let mut tasks: Vec<Task> = Vec::new();
    for depth in 1..=MAX_SPLIT_DEPTH {
        let mut w = Worker {
            eng: &eng,
            sh: &shared,
            nodes: 0,
            stopped: false,
            collect_depth: Some(depth),
            collected: Vec::new(),
            bufs: Vec::new(),
            prices: vec![root_prices.clone()],
            found: Vec::new(),
            tail_buf: Vec::new(),
            best_leaf: i64::MIN,
            shares: 0,
            key_buf: Vec::new(),
        };
        for root in &roots {
            let mut st = root.clone();
            w.node(&mut st, 0);
        }
        w.flush();
        let enough = w.collected.len() >= target;
        let grew = w.collected.len() > tasks.len();
        if grew || depth == 1 {
            tasks = w.collected;
        }
        if enough || !grew || shared.stopped() {
            break;
        }
    }
    let split_interrupted = shared.stopped();
    // Highest bound first: the global bound falls fastest and good suits come early.
    tasks.sort_by_key(|t| std::cmp::Reverse(t.1));
    let n_tasks = tasks.len();
    let done: Vec<AtomicBool> = (0..n_tasks).map(|_| AtomicBool::new(false)).collect();
    // Scaled bound of each task, tightened when a worker tunes prices at its root.
    let task_ub: Vec<AtomicI64> = tasks.iter().map(|t| AtomicI64::new(t.1)).collect();
    let next = AtomicUsize::new(0);
    let running = AtomicUsize::new(threads);

    let mut last_version = u64::MAX;
    let emit_best = |sink: &mut dyn FnMut(SolverEvent), last: &mut u64| {
        let best = shared.topk.lock().ok().and_then(|t| {
            if t.version == *last {
                None
            } else {
                *last = t.version;
                t.list.first().cloned()
            }
        });
        if let Some(c) = best {
            sink(SolverEvent::Best(explain(problem, &c.opts)));
        }
    };
    let global_ub = |shared: &Shared| -> i64 {
        let best = shared.topk.lock().ok().and_then(|t| t.list.first().map(|c| c.score)).unwrap_or(0);
        let open = task_ub
            .iter()
            .zip(&done)
            .filter(|(_, d)| !d.load(Ordering::Relaxed))
            .map(|(b, _)| ceil_div(b.load(Ordering::Relaxed), BOUND_FACTOR))
            .max()
            .unwrap_or(i64::MIN);
        let open_shared = shared
            .shared_tasks
            .lock()
            .ok()
            .and_then(|sh| sh.tasks.iter().filter(|t| !t.2).map(|t| ceil_div(t.1, BOUND_FACTOR)).max())
            .unwrap_or(i64::MIN);
        let open = open.max(open_shared);
        best.max(root_ub.map_or(open, |r| open.min(r)))
    };

    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut w = Worker {
                    eng: &eng,
                    sh: &shared,
                    nodes: 0,
                    stopped: false,
                    collect_depth: None,
                    collected: Vec::new(),
                    bufs: Vec::new(),
                    prices: Vec::new(),
                    found: Vec::new(),
                    tail_buf: Vec::new(),
                    best_leaf: i64::MIN,
                    shares: 0,
                    key_buf: Vec::new(),
                };
                // Fixed tasks first, then subtrees others hand over; a worker leaves
                // once every worker is idle and nothing is queued.
                // Reports the task's bound under the prices tuned at its root to `ub`.
                let run_task = |w: &mut Worker, t: &Task, ub: &dyn Fn(i64)| {
                    let (st, _, depth, pr) = t;
                    let mut st = st.clone();
                    if w.prices.len() <= *depth {
                        w.prices.resize(*depth + 1, pr.clone());
                    }
                    let target = shared.threshold.load(Ordering::Relaxed);
                    if target > i64::MIN {
                        let tuned = eng.tune_prices(&st, pr, target, TASK_PRICE_ITERATIONS);
                        w.prices[*depth].copy_from(&tuned);
                    } else {
                        w.prices[*depth].copy_from(pr);
                    }
                    ub(eng.bound(&st, &w.prices[*depth]).ub(st.score));
                    w.node(&mut st, *depth);
                };
                loop {
                    if w.stopped || shared.stopped() {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n_tasks {
                        break;
                    }
                    run_task(&mut w, &tasks[i], &|b| {
                        task_ub[i].fetch_min(b, Ordering::Relaxed);
                    });
                    if !w.stopped {
                        done[i].store(true, Ordering::Relaxed);
                    }
                }
                shared.idle.fetch_add(1, Ordering::SeqCst);
                loop {
                    if w.stopped || shared.stopped() {
                        break;
                    }
                    let taken = shared.shared_tasks.lock().ok().and_then(|mut sh| {
                        let i = sh.queue.pop()?;
                        shared.queued.store(sh.queue.len(), Ordering::SeqCst);
                        sh.tasks[i].0.take().map(|t| (i, t))
                    });
                    match taken {
                        Some((i, t)) => {
                            shared.idle.fetch_sub(1, Ordering::SeqCst);
                            run_task(&mut w, &t, &|b| {
                                if let Ok(mut sh) = shared.shared_tasks.lock() {
                                    sh.tasks[i].1 = sh.tasks[i].1.min(b);
                                }
                            });
                            if !w.stopped
                                && let Ok(mut sh) = shared.shared_tasks.lock()
                            {
                                sh.tasks[i].2 = true;
                            }
                            shared.idle.fetch_add(1, Ordering::SeqCst);
                        }
                        None => {
                            if shared.idle.load(Ordering::SeqCst) >= threads
                                && shared.queued.load(Ordering::SeqCst) == 0
                            {
                                break;
                            }
                            std::thread::sleep(IDLE_POLL);
                        }
                    }
                }
                w.flush();
                running.fetch_sub(1, Ordering::Relaxed);
                let _ = shared.wake.try_send(());
            });
        }
        let mut next_progress = Instant::now() + PROGRESS_EVERY;
        loop {
            let now = Instant::now();
            let wait = next_progress.saturating_duration_since(now).min(PROGRESS_EVERY);
            let _ = wake_rx.recv_timeout(wait);
            if cancel.load(Ordering::Relaxed) {
                shared.cancelled.store(true, Ordering::Relaxed);
            }
            emit_best(sink, &mut last_version);
            if running.load(Ordering::Relaxed) == 0 {
                break;
            }
            if Instant::now() >= next_progress {
                next_progress = Instant::now() + PROGRESS_EVERY;
                let elapsed = start.elapsed();
                let nodes = shared.nodes.load(Ordering::Relaxed);
                let best_score = shared.topk.lock().ok().and_then(|t| t.list.first().map(|c| c.score));
                sink(SolverEvent::Progress {
                    nodes,
                    nodes_per_s: per_second(nodes, elapsed),
                    best_score,
                    upper_bound: global_ub(&shared),
                    elapsed_ms: elapsed.as_millis() as u64,
                });
            }
        }
    });

    let shared_done = shared.shared_tasks.lock().map(|sh| sh.tasks.iter().all(|t| t.2)).unwrap_or(false);
    let complete = !split_interrupted && done.iter().all(|d| d.load(Ordering::Relaxed)) && shared_done;
    let stop = if complete {
        StopReason::Complete
    } else if shared.cancelled.load(Ordering::Relaxed) || cancel.load(Ordering::Relaxed) {
        StopReason::Cancelled
    } else {
        StopReason::TimeLimit
    };
    let list = shared.topk.lock().map(|t| t.list.clone()).unwrap_or_default();
    let best = list.first().map(|c| c.score).unwrap_or(0);
    let upper_bound = if stop == StopReason::Complete { best } else { global_ub(&shared) };
    let suits: Vec<_> = list.iter().map(|c| explain(problem, &c.opts)).collect();
    debug_assert!(suits.iter().zip(&list).all(|(s, c)| s.score == c.score));
    let elapsed = start.elapsed();
    let nodes = shared.nodes.load(Ordering::Relaxed);
    Ok(SolveOutcome {
        optimal: stop == StopReason::Complete,
        suits,
        stats: SolveStats {
            stop,
            nodes,
            nodes_per_s: per_second(nodes, elapsed),
            elapsed_ms: elapsed.as_millis() as u64,
            upper_bound,
            gap: upper_bound - best,
            threads,
            tasks: n_tasks,
            options: problem.options.len(),
            options_searched: eng.opts.len(),
            requirements_checked: problem.requirements_checked,
            aetheria_slots: problem.aetheria.names(),
            aetheria_slots_assumed: problem.aetheria_assumed,
            items: problem.counts,
        },
    })
}

fn ceil_div(a: i64, b: i64) -> i64 {
    if a <= 0 { a / b } else { (a + b - 1) / b }
}

fn per_second(n: u64, d: Duration) -> u64 {
    let ms = d.as_millis().max(1) as u64;
    n.saturating_mul(1000) / ms
}
