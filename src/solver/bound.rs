//! The admissible upper bound of a search node, and the prices that tighten it.
//!
//! Owns: the bound arithmetic. Every bound here must be admissible — no completion of a
//! node may score above it — because `optimal: true` rests on it. Must never: decide
//! search order (that is `search`).
//!
//! ## The bound (a Lagrangian relaxation)
//! A node has a partial suit with exact score `cur` and free positions (unprocessed,
//! unused coverage parts and free slots of slot groups). A completion adds options; its
//! gain is `Σ x_o + spells + sets`, with `x_o` = armor + capped rating gain (exact;
//! capped sums are concave, so single gains bound the joint gain).
//! - Spells are tier-layer bits (family f, points ≥ t). For any prices `0 ≤ π ≤ w` the
//!   spell gain is `Σ_{bits covered} w ≤ Σ_{missing obtainable bits} (w − π) +
//!   Σ_o Σ_{new bits of o} π` — obtainable means some option not yet passed has the bit.
//! - Sets: for any prices `ρ ≥ 0`, `Σ_s gain_s(u_s) = Σ_s (gain_s(u_s) − ρ_s u_s) +
//!   Σ_o ρ_set(o) units_o`, and the first sum is at most `K_ρ`: a knapsack giving each
//!   free position to at most one set (a set is limited to positions that can hold it).
//!   Sets that never share a position (loot sets on armor, cloak weaves on the cloak,
//!   sigils on aetheria) form separate components, each a knapsack with only its own
//!   positions as capacity: one shared capacity let two loot sets both "complete" on
//!   nine armor parts, which was most of the old 4 % root gap.
//! - Items: an item with several coverage options (a reducible piece) may show up as
//!   the maximum at several parts at once. For prices `μ ≥ 0` per such item,
//!   `Σ_i μ_i (1 − uses_i) ≥ 0` in every completion (an item is worn at most once, and
//!   an option over `n` parts uses `1/n` of it at each), so each option's priced value
//!   loses `μ_item` (shared over its parts) and the bound gains `Σ μ_i` over the priced
//!   items that still have an open option.
//! - Each option's priced value `x_o + π·new bits + ρ·units` is shared over the parts it
//!   covers, so `Σ_P max_o value/parts` bounds the priced sum of any completion.
//!
//! `UB(π, ρ, μ) = cur + U_π + K_ρ + Σ μ + Σ_P max_o value_o/parts_o` is admissible for every price
//! vector. We keep two: no prices (the plain per-position bound) and tuned prices, which
//! each node improves by one subgradient step for its children (Polyak step toward the
//! incumbent). Shares use the fixed-point factor `SCALE = lcm(1..=15)`, exact for any
//! part count.

pub use super::engine::MU_WORDS;
use super::engine::{Engine, Gain, LAYERS, MASK_SETS, NO_MU, NO_SET, SCALE, SOpt, State};

/// Price vectors kept per node: 0 = none, 1 = tuned.
pub const NC: usize = 2;
/// Factor between scores and scaled bounds (shares carry a factor 2 for rounding room).
pub const BOUND_FACTOR: i64 = 2 * SCALE;
/// No option at this position.
pub const NO_ARG: u32 = u32::MAX;
/// Subgradient iterations spent on the root's prices.
pub const ROOT_PRICE_ITERATIONS: usize = 2000;
/// Subgradient iterations spent on each subtree root's prices.
pub const TASK_PRICE_ITERATIONS: usize = 20;
/// Fraction of the Polyak step taken (below 1 damps oscillation).
const STEP_FRACTION: f64 = 0.45;

/// Prices: `pi[f][t]` per wanted family and tier layer, `rho[s]` per set unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Prices {
    pub pi: Vec<[i64; LAYERS]>,
    pub rho: Vec<i64>,
    /// `mu[m]`: price of one use of item `Engine::mu_items[m]` (see the module doc).
    pub mu: Vec<i64>,
}

impl Prices {
    /// Half the weight for every spell bit, half the best per-unit set value.
    pub fn initial(eng: &Engine) -> Prices {
        Prices {
            pi: vec![[eng.p.spell_weight / 2; LAYERS]; eng.p.wanted.len()],
            rho: eng.alpha.iter().map(|a| a.first().copied().unwrap_or(0) / 2).collect(),
            mu: vec![0; eng.mu_items.len()],
        }
    }

    pub fn copy_from(&mut self, other: &Prices) {
        self.pi.clone_from(&other.pi);
        self.rho.clone_from(&other.rho);
        self.mu.clone_from(&other.mu);
    }
}

/// The bound of one node, with the per-position maxima its children's quick bounds use.
#[derive(Clone, Debug)]
pub struct NodeBound {
    pub m_part: [[i64; NC]; 15],
    /// Argmax option at each part under the tuned prices.
    pub arg_part: [u32; 15],
    pub group_top: [[[i64; 2]; NC]; 8],
    pub group_arg: [[u32; 2]; 8],
    pub group_free: [u8; 8],
    pub total: [i64; NC],
    /// Spell term `U` and set term `K` per price vector.
    pub u: [i64; NC],
    pub k: [i64; NC],
    /// Set units the tuned knapsack used (for the subgradient).
    pub knap_units: [u32; MASK_SETS],
    /// Priced items (bit per `Engine::mu_items` index) with an option still open.
    pub mu_open: [u64; MU_WORDS],
}

impl NodeBound {
    #[inline]
    fn combo(cur: i64, u: i64, k: i64, total: i64) -> i64 {
        BOUND_FACTOR.saturating_mul(cur.saturating_add(u.max(0)).saturating_add(k.max(0))).saturating_add(total)
    }

    /// The node's scaled upper bound.
    pub fn ub(&self, cur: i64) -> i64 {
        (0..NC).map(|c| Self::combo(cur, self.u[c], self.k[c], self.total[c])).min().unwrap_or(i64::MAX)
    }

    /// The scaled bound under the tuned prices only.
    pub fn ub_tuned(&self, cur: i64) -> i64 {
        Self::combo(cur, self.u[1], self.k[1], self.total[1])
    }

    /// Scaled quick bound of a child that adds `gain`, lowers `U` by `du`, `K` by `dk`
    /// and removes `removed` from the per-position sums.
    #[inline]
    pub fn child(&self, cur: i64, gain: i64, du: &[i64; NC], dk: &[i64; NC], removed: &[i64; NC]) -> i64 {
        (0..NC)
            .map(|c| {
                Self::combo(cur + gain, self.u[c] - du[c], self.k[c] - dk[c], self.total[c].saturating_sub(removed[c]))
            })
            .min()
            .unwrap_or(i64::MAX)
    }
}

impl Engine<'_> {
    /// Σ π over the option's new spell bits.
    #[inline]
    pub fn priced_spells(&self, st: &State, o: &SOpt, pr: &Prices) -> i64 {
        let mut sum = 0;
        for t in 0..LAYERS {
            let mut m = o.spell[t] & !st.spell[t];
            while m != 0 {
                let f = m.trailing_zeros() as usize;
                m &= m - 1;
                sum += pr.pi[f][t];
            }
        }
        sum
    }

    /// How adding option `oi` (with exact `gain`) lowers the spell and set terms.
    #[inline]
    pub fn child_deltas(&self, st: &State, oi: u32, gain: &Gain, pr: &Prices) -> ([i64; NC], [i64; NC]) {
        let o = &self.opts[oi as usize];
        let priced = self.priced_spells(st, o, pr);
        let rho_u = if o.set == NO_SET { 0 } else { pr.rho[o.set as usize] * i64::from(o.units) };
        // The child wears the item: its price leaves the bound's Σ μ.
        let mu = self.mu_of(oi, pr);
        ([gain.spell, gain.spell - priced], [gain.set, gain.set - rho_u + mu])
    }

    /// The use price of option `oi`'s item (0 when it has none).
    #[inline]
    pub fn mu_of(&self, oi: u32, pr: &Prices) -> i64 {
        match self.opt_mu[oi as usize] {
            NO_MU => 0,
            m => pr.mu[m as usize],
        }
    }

    /// The node's bound under no prices and under `pr`.
    pub fn bound(&self, st: &State, pr: &Prices) -> NodeBound {
        let mut nb = NodeBound {
            m_part: [[0; NC]; 15],
            arg_part: [NO_ARG; 15],
            group_top: [[[0; 2]; NC]; 8],
            group_arg: [[NO_ARG; 2]; 8],
            group_free: [0; 8],
            total: [0; NC],
            u: [0; NC],
            k: [0; NC],
            knap_units: [0; MASK_SETS],
            mu_open: [0; MU_WORDS],
        };
        let step = st.step;
        let mut pos_masks: [u64; 32] = [0; 32];
        let mut npos = 0usize;
        for pi in 0..15 {
            if self.part_step[pi] < step || st.used_bits & self.part_bits[pi] != 0 {
                continue;
            }
            let mut best = [0i64; NC];
            let mut arg = NO_ARG;
            let mut mask = 0u64;
            for &oi in &self.cover[pi] {
                let o = &self.opts[oi as usize];
                if o.first_step < step || o.bits & st.used_bits != 0 || self.item_used(st, o.item) {
                    continue;
                }
                let x = o.armor + self.rating_gain(st, o);
                let v0 = (2 * x).saturating_mul(o.share_mul);
                if v0 > best[0] {
                    best[0] = v0;
                }
                let rho = if o.set == NO_SET { 0 } else { pr.rho[o.set as usize] * i64::from(o.units) };
                let m = self.opt_mu[oi as usize];
                let mu = if m == NO_MU {
                    0
                } else {
                    nb.mu_open[(m / 64) as usize] |= 1 << (m % 64);
                    pr.mu[m as usize]
                };
                let v1 = (2 * (x + self.priced_spells(st, o, pr) + rho - mu)).saturating_mul(o.share_mul);
                if v1 > best[1] {
                    best[1] = v1;
                    arg = oi;
                }
                if o.set != NO_SET && (o.set as usize) < MASK_SETS {
                    mask |= 1u64 << o.set;
                }
            }
            nb.m_part[pi] = best;
            nb.arg_part[pi] = arg;
            for (t, b) in nb.total.iter_mut().zip(best) {
                *t = t.saturating_add(b);
            }
            pos_masks[npos] = mask;
            npos += 1;
        }
        for g in 0..8 {
            let free = self.group_free(st, g);
            if free == 0 {
                continue;
            }
            nb.group_free[g] = free;
            let mut top = [[0i64; 2]; NC];
            let mut arg = [NO_ARG; 2];
            let mut mask = 0u64;
            let last = st.group_last[g];
            for &oi in &self.group_opts[g] {
                let o = &self.opts[oi as usize];
                if i32::from(o.rank) <= last || self.item_used(st, o.item) {
                    continue;
                }
                let x = o.armor + self.rating_gain(st, o);
                let rho = if o.set == NO_SET { 0 } else { pr.rho[o.set as usize] * i64::from(o.units) };
                let vals = [
                    (2 * x).saturating_mul(SCALE),
                    (2 * (x + self.priced_spells(st, o, pr) + rho)).saturating_mul(SCALE),
                ];
                for c in 0..NC {
                    let v = vals[c];
                    if v > top[c][0] {
                        top[c][1] = top[c][0];
                        top[c][0] = v;
                        if c == 1 {
                            arg[1] = arg[0];
                            arg[0] = oi;
                        }
                    } else if v > top[c][1] {
                        top[c][1] = v;
                        if c == 1 {
                            arg[1] = oi;
                        }
                    }
                }
                if o.set != NO_SET && (o.set as usize) < MASK_SETS {
                    mask |= 1u64 << o.set;
                }
            }
            nb.group_top[g] = top;
            nb.group_arg[g] = arg;
            for (t, tc) in nb.total.iter_mut().zip(top) {
                let contrib = if free >= 2 { tc[0].saturating_add(tc[1]) } else { tc[0] };
                *t = t.saturating_add(contrib);
            }
            for _ in 0..free {
                if npos < pos_masks.len() {
                    pos_masks[npos] = mask;
                    npos += 1;
                }
            }
        }
        let su = &self.suffix_union[step as usize];
        let w = self.p.spell_weight;
        let mut pts = 0i64;
        let mut priced = 0i64;
        for (t, (u, have)) in su.iter().zip(st.spell).enumerate() {
            let mut m = u & !have;
            pts += i64::from(m.count_ones());
            while m != 0 {
                let f = m.trailing_zeros() as usize;
                m &= m - 1;
                priced += (w - pr.pi[f][t]).max(0);
            }
        }
        nb.u = [w * pts, priced];
        if self.p.sets.len() > MASK_SETS {
            let loose = self.loose_set_bound(st);
            nb.k = [loose, loose];
        } else {
            let masks = &pos_masks[..npos];
            nb.k = self.set_knapsack(st, masks, &pr.rho, &mut nb.knap_units);
        }
        // Σ μ over the priced items still open (the others cannot be worn any more).
        for (w, &word) in nb.mu_open.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let m = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                nb.k[1] = nb.k[1].saturating_add(pr.mu[m]);
            }
        }
        nb
    }

    /// Max of `Σ_s (gain_s(u_s) − ρ_s u_s)` when each free position holds at most one
    /// piece and set s only positions that can hold it (`masks`). Records the units the
    /// optimum gives each set in `units`.
    fn set_knapsack(&self, st: &State, masks: &[u64], rho: &[i64], units: &mut [u32; MASK_SETS]) -> [i64; NC] {
        units.fill(0);
        // Sets that never share a position (loot sets on armor, cloak weaves, sigils)
        // compete only for their own positions: one knapsack per connected component,
        // each with its own capacity, is tighter than one shared capacity.
        let mut comps = [0u64; 32];
        let mut n_comps = 0usize;
        let mut count = [0u8; MASK_SETS];
        for &m in masks {
            if m == 0 {
                continue;
            }
            let mut bits = m;
            while bits != 0 {
                let s = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                count[s] = count[s].saturating_add(1);
            }
            let mut merged = m;
            let mut i = 0;
            while i < n_comps {
                if comps[i] & merged != 0 {
                    merged |= comps[i];
                    n_comps -= 1;
                    comps[i] = comps[n_comps];
                } else {
                    i += 1;
                }
            }
            comps[n_comps] = merged;
            n_comps += 1;
        }
        // Deterministic order whatever the merge order.
        comps[..n_comps].sort_unstable();
        let mut total = [0i64; NC];
        for &comp in &comps[..n_comps] {
            let cap = masks.iter().filter(|m| **m & comp != 0).count();
            let k = self.set_knapsack_component(st, comp, cap, &count, rho, units);
            for (t, x) in total.iter_mut().zip(k) {
                *t += x;
            }
        }
        total
    }

    /// [`Self::set_knapsack`] for one component (`sets`, `cap` positions), under no
    /// prices and under `rho`; records the units the priced optimum gives each set.
    fn set_knapsack_component(
        &self,
        st: &State,
        sets: u64,
        cap: usize,
        count: &[u8; MASK_SETS],
        rho: &[i64],
        units: &mut [u32; MASK_SETS],
    ) -> [i64; NC] {
        if cap == 0 {
            return [0; NC];
        }
        let cap = cap.min(32);
        let mut dp = [[0i64; 33]; NC];
        let mut next = [0i64; 33];
        let mut choice = [[0u8; 33]; MASK_SETS];
        let mut gains = [[0i64; 33]; NC];
        let mut order = [0usize; MASK_SETS];
        let mut n_order = 0;
        let mut bits = sets;
        while bits != 0 {
            let s = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let n_s = usize::from(count[s]).min(32);
            let v = &self.set_values[s];
            let max = v.len() - 1;
            let now = (st.set_units[s] as usize).min(max);
            let l = self.set_max_units[s].max(1) as usize;
            let r = rho[s];
            let mut best = [0i64; NC];
            let mut u = 0usize;
            let [g0, g1] = &mut gains;
            for (x0, x1) in g0[1..=n_s].iter_mut().zip(&mut g1[1..=n_s]) {
                let upto = u + l;
                while u < upto {
                    u += 1;
                    let d = v[(now + u).min(max)] - v[now];
                    best[0] = best[0].max(d);
                    best[1] = best[1].max(d - r * u as i64);
                }
                *x0 = best[0];
                *x1 = best[1];
            }
            for c in 0..NC {
                if gains[c][n_s] <= 0 {
                    if c == 1 {
                        choice[s][..=cap].fill(0);
                    }
                    continue;
                }
                let g = &gains[c];
                let d = &mut dp[c];
                for k in 0..=cap {
                    let mut b = d[k];
                    let mut bj = 0u8;
                    for j in 1..=n_s.min(k) {
                        let cand = d[k - j] + g[j];
                        if cand > b {
                            b = cand;
                            bj = j as u8;
                        }
                    }
                    next[k] = b;
                    if c == 1 {
                        choice[s][k] = bj;
                    }
                }
                d[..=cap].copy_from_slice(&next[..=cap]);
            }
            order[n_order] = s;
            n_order += 1;
        }
        // Backtrack which sets took how many positions (then how many units).
        let mut k = cap;
        for idx in (0..n_order).rev() {
            let s = order[idx];
            let j = choice[s][k] as usize;
            if j > 0 {
                // Recompute the units the best j positions give this set.
                let v = &self.set_values[s];
                let max = v.len() - 1;
                let now = (st.set_units[s] as usize).min(max);
                let l = self.set_max_units[s].max(1) as usize;
                let r = rho[s];
                let mut best = 0i64;
                let mut best_u = 0u32;
                for u in 1..=j * l {
                    let val = v[(now + u).min(max)] - v[now] - r * u as i64;
                    if val > best {
                        best = val;
                        best_u = u as u32;
                    }
                }
                units[s] = best_u;
                k -= j;
            }
        }
        [dp[0][cap], dp[1][cap]]
    }

    /// Set bound without position coupling, for requests with more than 64 live sets.
    fn loose_set_bound(&self, st: &State) -> i64 {
        self.set_values
            .iter()
            .enumerate()
            .map(|(s, v)| {
                let now = (st.set_units[s] as usize).min(v.len() - 1);
                v[now..].iter().max().copied().unwrap_or(0) - v[now]
            })
            .sum()
    }

    /// One subgradient step on the tuned prices toward `target` (the incumbent score):
    /// lowers the price of bits and sets the per-position maxima over-use, raises the
    /// others. Any prices give a valid bound; this only makes it tighter.
    pub fn price_step(&self, st: &State, nb: &NodeBound, pr: &mut Prices, target: i64) {
        let ub = nb.ub_tuned(st.score) as f64 / BOUND_FACTOR as f64;
        let gap = ub - target as f64;
        if gap <= 0.0 || self.p.sets.len() > MASK_SETS {
            return;
        }
        let nf = self.p.wanted.len();
        let mut g_pi = vec![[0f64; LAYERS]; nf];
        let mut g_rho = vec![0f64; self.p.sets.len()];
        let su = &self.suffix_union[st.step as usize];
        for t in 0..LAYERS {
            let mut m = su[t] & !st.spell[t];
            while m != 0 {
                let f = m.trailing_zeros() as usize;
                m &= m - 1;
                if pr.pi[f][t] < self.p.spell_weight {
                    g_pi[f][t] -= 1.0;
                }
            }
        }
        let mut add = |oi: u32, frac: f64, g_pi: &mut [[f64; LAYERS]]| {
            if oi == NO_ARG {
                return;
            }
            let o = &self.opts[oi as usize];
            for (t, (layer, have)) in o.spell.iter().zip(st.spell).enumerate() {
                let mut m = layer & !have;
                while m != 0 {
                    let f = m.trailing_zeros() as usize;
                    m &= m - 1;
                    g_pi[f][t] += frac;
                }
            }
            if o.set != NO_SET {
                g_rho[o.set as usize] += frac * f64::from(o.units);
            }
        };
        for pi in 0..15 {
            let a = nb.arg_part[pi];
            if a != NO_ARG {
                add(a, 1.0 / f64::from(self.opts[a as usize].parts), &mut g_pi);
            }
        }
        for g in 0..8 {
            let free = nb.group_free[g];
            if free >= 1 {
                add(nb.group_arg[g][0], 1.0, &mut g_pi);
            }
            if free >= 2 {
                add(nb.group_arg[g][1], 1.0, &mut g_pi);
            }
        }
        for (s, gr) in g_rho.iter_mut().enumerate() {
            if s < MASK_SETS {
                *gr -= f64::from(nb.knap_units[s]);
            }
        }
        // Item prices: ∂/∂μ_i = 1 − uses_i, uses counted in part shares of the maxima.
        let mut g_mu: Vec<(usize, f64)> = Vec::new();
        for &a in &nb.arg_part {
            if a == NO_ARG || self.opt_mu[a as usize] == NO_MU {
                continue;
            }
            let m = self.opt_mu[a as usize] as usize;
            let share = 1.0 / f64::from(self.opts[a as usize].parts);
            match g_mu.iter_mut().find(|e| e.0 == m) {
                Some(e) => e.1 += share,
                None => g_mu.push((m, share)),
            }
        }
        for e in &mut g_mu {
            e.1 = 1.0 - e.1;
        }
        for (m, &mu) in pr.mu.iter().enumerate() {
            if mu > 0 && nb.mu_open[m / 64] & (1 << (m % 64)) != 0 && !g_mu.iter().any(|e| e.0 == m) {
                g_mu.push((m, 1.0));
            }
        }
        // Projected step: a zero price that would fall stays where it is.
        g_mu.retain(|e| e.1 < 0.0 || pr.mu[e.0] > 0);
        let norm2: f64 = g_pi.iter().flat_map(|l| l.iter()).map(|x| x * x).sum::<f64>()
            + g_rho.iter().map(|x| x * x).sum::<f64>()
            + g_mu.iter().map(|e| e.1 * e.1).sum::<f64>();
        if norm2 < 1e-9 {
            return;
        }
        let theta = STEP_FRACTION * gap / norm2;
        let w = self.p.spell_weight as f64;
        for (p, g) in pr.pi.iter_mut().zip(&g_pi) {
            for (pt, gt) in p.iter_mut().zip(g) {
                if *gt != 0.0 {
                    *pt = ((*pt as f64) - theta * gt).clamp(0.0, w).round() as i64;
                }
            }
        }
        for (s, (r, g)) in pr.rho.iter_mut().zip(&g_rho).enumerate() {
            if *g != 0.0 {
                let cap = self.alpha[s].first().copied().unwrap_or(0) as f64;
                *r = ((*r as f64) - theta * g).clamp(0.0, cap).round() as i64;
            }
        }
        for (m, g) in g_mu {
            pr.mu[m] = ((pr.mu[m] as f64) - theta * g).max(0.0).round() as i64;
        }
    }

    /// Tunes prices at a node with several subgradient steps; returns the best found.
    pub fn tune_prices(&self, st: &State, start: &Prices, target: i64, iterations: usize) -> Prices {
        let mut pr = start.clone();
        let mut best = start.clone();
        let mut best_ub = self.bound(st, start).ub_tuned(st.score);
        for _ in 0..iterations {
            let nb = self.bound(st, &pr);
            let ub = nb.ub_tuned(st.score);
            if ub < best_ub {
                best_ub = ub;
                best.copy_from(&pr);
            }
            self.price_step(st, &nb, &mut pr, target);
        }
        best
    }
}
