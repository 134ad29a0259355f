//! Suit-builder benchmarks: proven optimum on loot-like pools of 250, 1,000 and 2,000
//! wearables (seeded generator in `solver::testkit`), one thread and all threads, with a
//! typical query (8–12 wanted cantrips, two loot sets valued highly). Each run also
//! prints nodes, nodes/s and whether the optimum was proven within the time limit.
//!
//! Run: `cargo bench --bench solver`. Other pools: `OVERLORD_BENCH_SEEDS=0-100` (a range or
//! a comma list) surveys those seeds instead of the default three.

use std::sync::atomic::AtomicBool;

use overlord::solver::testkit::{loot_pool, typical_request};
use overlord::solver::{Problem, solve};

fn main() {
    divan::main();
}

/// Seeds run per size (different pools and queries) unless `OVERLORD_BENCH_SEEDS` names others.
const SEEDS: [u64; 3] = [0, 1, 2];

fn seeds() -> Vec<u64> {
    let Ok(spec) = std::env::var("OVERLORD_BENCH_SEEDS") else { return SEEDS.to_vec() };
    spec.split(',')
        .flat_map(|part| match part.trim().split_once('-') {
            Some((a, b)) => match (a.parse::<u64>(), b.parse::<u64>()) {
                (Ok(a), Ok(b)) => (a..=b).collect(),
                _ => Vec::new(),
            },
            None => part.trim().parse().ok().into_iter().collect(),
        })
        .collect()
}
/// Per-solve time limit: long enough to prove most optima, short enough to keep the
/// bench bounded when one is not proven.
const TIME_LIMIT_MS: u64 = 20_000;

fn problems(n: usize, threads: usize) -> Vec<(u64, Problem)> {
    seeds()
        .into_iter()
        .map(|seed| {
            let mut req = typical_request(seed);
            req.threads = Some(threads);
            req.time_limit_ms = Some(TIME_LIMIT_MS);
            (seed, Problem::new(&req, loot_pool(seed, n), None).expect("generated problem is valid"))
        })
        .collect()
}

fn run(problems: &[(u64, Problem)], label: &str) {
    for (seed, p) in problems {
        let out = solve(p, &mut |_| {}, &AtomicBool::new(false)).expect("solve");
        eprintln!(
            "{label} seed {seed}: optimal={} score={} elapsed={} ms nodes={} nodes/s={} options={}/{} gap={}",
            out.optimal,
            out.suits.first().map_or(0, |s| s.score),
            out.stats.elapsed_ms,
            out.stats.nodes,
            out.stats.nodes_per_s,
            out.stats.options_searched,
            out.stats.options,
            out.stats.gap
        );
    }
}

#[divan::bench(args = [250, 1000, 2000], sample_count = 1, sample_size = 1)]
fn one_thread(bencher: divan::Bencher, n: usize) {
    let ps = problems(n, 1);
    bencher.bench_local(|| run(&ps, &format!("n={n} threads=1")));
}

#[divan::bench(args = [250, 1000], sample_count = 1, sample_size = 1)]
fn all_threads(bencher: divan::Bencher, n: usize) {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let ps = problems(n, threads);
    bencher.bench_local(|| run(&ps, &format!("n={n} threads={threads}")));
}
