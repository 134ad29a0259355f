//! Item search benchmark: store load rate, full index build rate, search latency (p50/p99)
//! for typical queries, and memory, at 100k and 750k items.
//!
//! Run: `cargo bench --bench search` (release profile). Sizes can be chosen with
//! `OVERLORD_BENCH_ITEMS=100000,750000`; queries per case with `OVERLORD_BENCH_RUNS=200`.
//! Prints a markdown table for the README.

use std::sync::Arc;
use std::time::{Duration, Instant};

use overlord::inventory::InventoryStore;
use overlord::inventory::testkit::{CharacterKind, ItemGen};
use overlord::search::{SearchIndex, SearchQuery};
use redb::Durability;

/// Characters written per write transaction while loading (the lead's writer batches too).
const CHARACTERS_PER_TXN: usize = 50;

fn main() {
    overlord::memory::tune_allocator();
    let sizes: Vec<usize> = std::env::var("OVERLORD_BENCH_ITEMS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100_000, 750_000]);
    let runs: usize = std::env::var("OVERLORD_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(200);
    println!(
        "| items | store load | index build (rebuild) | build rate | peak RSS during rebuild | RSS after build | index size |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut latency_tables = Vec::new();
    for size in sizes {
        let (summary, latencies) = bench_size(size, runs);
        println!("{summary}");
        latency_tables.push((size, latencies));
    }
    for (size, rows) in latency_tables {
        println!("\nSearch latency at {size} items ({runs} runs per query, after 20 warm-up runs):\n");
        println!("| query | total hits | p50 ms | p99 ms |");
        println!("|---|---|---|---|");
        for row in rows {
            println!("{row}");
        }
    }
    println!("\nPeak RSS (VmHWM): {:.0} MiB", status_kib("VmHWM:") as f64 / 1024.0);
}

fn bench_size(size: usize, runs: usize) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let state_path = dir.path().join("state.redb");
    let db = Arc::new(overlord::memory::create_state_db(&state_path).expect("state.redb"));
    let store = InventoryStore::new();
    let mut generator = ItemGen::new(size as u64);

    let started = Instant::now();
    let mut loaded = 0usize;
    let mut character = 0usize;
    let mut owners = Vec::new();
    while loaded < size {
        let mut txn = db.begin_write().expect("write");
        txn.set_durability(Durability::None).expect("durability");
        for _ in 0..CHARACTERS_PER_TXN {
            if loaded >= size {
                break;
            }
            let kind = if character.is_multiple_of(3) { CharacterKind::Mule } else { CharacterKind::Hunter };
            let mut items = generator.character_dump(kind);
            items.truncate(size - loaded);
            let name = ItemGen::character_name(character);
            let report = store.apply_full(&txn, &name, &items, true, 1_750_000_000_000).expect("apply");
            loaded += report.stored as usize;
            owners.push(name);
            character += 1;
        }
        txn.commit().expect("commit");
    }
    let mut txn = db.begin_write().expect("write");
    txn.set_durability(Durability::Immediate).expect("durability");
    txn.commit().expect("commit");
    let load = started.elapsed();
    // The rebuild starts as `overlord reindex` does: state.redb freshly opened (an empty
    // cache), with the loading's garbage returned to the OS, and the peak RSS counter reset.
    drop(db);
    let db = Arc::new(overlord::memory::create_state_db(&state_path).expect("reopen state.redb"));
    overlord::memory::trim();
    let before_rebuild_mib = status_kib("VmRSS:") as f64 / 1024.0;
    let peak_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();

    let started = Instant::now();
    let (index, _) = SearchIndex::open_or_rebuild(&dir.path().join("index"), db.clone(), |_, _| {}).expect("index");
    let build = started.elapsed();
    let rss_mib = status_kib("VmRSS:") as f64 / 1024.0;
    let rebuild_peak = if peak_reset {
        format!("{:.0} MiB (from {before_rebuild_mib:.0})", status_kib("VmHWM:") as f64 / 1024.0)
    } else {
        "n/a".to_string()
    };
    let index_mib = dir_size(&dir.path().join("index")) as f64 / (1024.0 * 1024.0);

    let owner = owners[owners.len() / 2].clone();
    let cases: Vec<(&str, Vec<(String, String)>)> = vec![
        ("text `q=koujia`", pairs(&[("q", "koujia")])),
        ("typo `q=koujai slevees`", pairs(&[("q", "koujai slevees")])),
        ("prefix `q=legendary str`", pairs(&[("q", "legendary str")])),
        ("one character's items by name", pairs(&[("owner", &owner), ("sort", "name")])),
        (
            "armor: set + min AL, sort AL",
            pairs(&[("object_class", "armor"), ("set", "adepts"), ("min_armor_level", "500"), ("sort", "armor_level")]),
        ),
        ("rings with crit damage ≥ 2", pairs(&[("slot", "finger"), ("min_crit_damage", "2"), ("sort", "crit_damage")])),
        ("cantrip family + 2 facets", pairs(&[("cantrip", "Strength"), ("facets", "set,slot")])),
        ("worn head items ≤ level 180", pairs(&[("equipped", "true"), ("slot", "head"), ("max_wield_level", "180")])),
        ("text + filter `q=sleeves&set=14`", pairs(&[("q", "sleeves"), ("set", "14"), ("limit", "20")])),
        (
            "match-all, all 5 facets, limit 20",
            pairs(&[("facets", "owner,set,object_class,slot,cantrip"), ("limit", "20")]),
        ),
    ];
    let mut rows = Vec::new();
    let mut all = Vec::new();
    for (label, p) in cases {
        let q = SearchQuery::from_pairs(&p).expect("query");
        let mut total = 0;
        for _ in 0..20 {
            total = index.search(&q).expect("search").total;
        }
        let mut samples: Vec<Duration> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let r = index.search(&q).expect("search");
                std::hint::black_box(r);
                t.elapsed()
            })
            .collect();
        samples.sort();
        all.extend(samples.iter().copied());
        rows.push(format!("| {label} | {total} | {:.2} | {:.2} |", ms(pct(&samples, 50)), ms(pct(&samples, 99))));
    }
    all.sort();
    rows.push(format!("| **all queries mixed** | | **{:.2}** | **{:.2}** |", ms(pct(&all, 50)), ms(pct(&all, 99))));
    let summary = format!(
        "| {size} | {:.1} s ({:.0} items/s) | {:.1} s | {:.0} items/s | {rebuild_peak} | {rss_mib:.0} MiB | {index_mib:.0} MiB |",
        load.as_secs_f64(),
        size as f64 / load.as_secs_f64(),
        build.as_secs_f64(),
        size as f64 / build.as_secs_f64(),
    );
    drop(index);
    (summary, rows)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn pct(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() * p) / 100).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A `/proc/self/status` field in KiB (0 where unavailable).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries.flatten().filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
        })
        .unwrap_or(0)
}
