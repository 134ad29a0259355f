//! Storage figures: committed events/s through the journal-first writer, bytes on disk per
//! stored telemetry event, what one day-snapshot pass costs at that day file's size, and
//! the latency of one character's 24-hour trail.
//!
//! `cargo bench --bench storage` (release). Environment: `OVERLORD_BENCH_EVENTS` (default
//! 1,000,000), `OVERLORD_BENCH_CHARACTERS` (default 500). The snapshot cost grows with the
//! open day file, so run it with more events to see a later hour of a busy day (600
//! characters at 1 frame/s store about 2.2 M telemetry events an hour).

use overlord::protocol::Telemetry;
use overlord::telemetry::{Characters, DayFiles, JournalEntry, Persisted, writer};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn event(name: &str, t: i64, i: u32) -> JournalEntry {
    JournalEntry {
        recv_ms: t,
        character: name.to_string(),
        client_time_ms: Some(t - 40),
        plugin_version: Some("4.2.0".into()),
        event: Persisted::Telemetry(Telemetry {
            landcell: Some(0xA9B4_0019),
            local_x: Some(81.33 + f64::from(i % 50) * 0.7),
            local_y: Some(11.8 + f64::from(i % 30) * 0.4),
            z: Some(94.0),
            ew: 33.589 + f64::from(i % 500) * 0.002,
            ns: 42.099 - f64::from(i % 300) * 0.001,
            heading: Some(f64::from((i * 7) % 360)),
            is_dungeon: false,
            kills: Some(1523 + i / 4),
            kills_per_hour: Some(612.4 + f64::from(i % 10)),
            deaths: Some(3 + i / 5000),
            total_deaths: Some(41 + i / 5000),
            rares_found: Some(2),
            prismatic_taper_count: Some(1874u32.saturating_sub(i / 100)),
            session_seconds: Some(8940 + u64::from(i) * 3),
            xp_per_hour: Some(184_000_000),
            level: Some(275),
            total_xp: Some(191_226_310_247 + i64::from(i) * 4_000),
            luminance: Some(1_250_000 + i64::from(i)),
            vt_state: Some(if i.is_multiple_of(11) { "Looting" } else { "Combat" }.into()),
        }),
    }
}

fn main() {
    // The server's allocator settings, so the figures are the server's.
    overlord::memory::tune_allocator();
    let events = env_num("OVERLORD_BENCH_EVENTS", 1_000_000);
    let characters = env_num("OVERLORD_BENCH_CHARACTERS", 500);
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path();
    let state = Arc::new(overlord::memory::create_state_db(&data.join("state.redb")).expect("state.redb"));
    let chars = Characters::open(state.clone()).expect("registry");
    let days = DayFiles::open(data).expect("day files");
    let (handle, join, _) = writer::start(
        &data.join("journal"),
        days.clone(),
        state,
        chars.clone(),
        Arc::new(AtomicU64::new(u64::MAX)),
        writer::Retention::forever(),
    )
    .expect("writer");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");

    // 1. Throughput: every event through journal (fdatasync'd group commits) and redb.
    let now = chrono::Utc::now().timestamp_millis();
    let day_start = now - now.rem_euclid(86_400_000);
    let names: Vec<String> = (0..characters).map(|c| format!("Bench {}", c)).collect();
    let started = Instant::now();
    rt.block_on(async {
        for i in 0..events {
            let c = i % characters;
            let round = (i / characters) as u32;
            let t = day_start + 1_000 + i64::from(round) * 3_000 + c as i64;
            handle.submit(event(&names[c], t, round)).await.expect("writer alive");
        }
        handle.flush().await.expect("flush");
    });
    let took = started.elapsed();
    let committed = handle.stats.committed.load(std::sync::atomic::Ordering::Relaxed);
    let batches = handle.stats.batches.load(std::sync::atomic::Ordering::Relaxed).max(1);
    let mean_commit =
        handle.stats.commit_us_total.load(std::sync::atomic::Ordering::Relaxed) as f64 / batches as f64 / 1000.0;
    let max_commit = handle.stats.max_commit_us.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1000.0;
    rt.block_on(async { handle.shutdown().await.expect("shutdown") });
    let _ = join.join();
    let (files, bytes, rows, blocks) = days.telemetry_footprint().expect("footprint");

    // 1b. Copy safety's cost at this size: one day-snapshot pass, as the server runs it every
    //     journal_window_s / 5 — a read transaction taken on the writer thread, then the
    //     helper writes its rows into a new file, fsyncs and renames it.
    let day = days.days().into_iter().max().expect("a day file");
    let copied = std::fs::metadata(days.path_of(day)).map(|m| m.len()).expect("day file");
    let t0 = Instant::now();
    let pending = days.begin_snapshot(day).expect("snapshot start");
    let start_took = t0.elapsed();
    let t1 = Instant::now();
    pending.finish().expect("snapshot finish");
    let finish_took = t1.elapsed();
    let snapshot_bytes = std::fs::metadata(days.snapshot_path(day)).map(|m| m.len()).expect("snapshot in place");

    // 2. A 24-hour trail: one character at one fix every 3 s for a day (28,800 events).
    let tmp2 = tempfile::tempdir().expect("temp dir");
    let state2 = Arc::new(overlord::memory::create_state_db(&tmp2.path().join("state.redb")).expect("state"));
    let chars2 = Characters::open(state2.clone()).expect("registry");
    let days2 = DayFiles::open(tmp2.path()).expect("days");
    let (h2, j2, _) = writer::start(
        &tmp2.path().join("journal"),
        days2.clone(),
        state2,
        chars2.clone(),
        Arc::new(AtomicU64::new(u64::MAX)),
        writer::Retention::forever(),
    )
    .expect("writer");
    let end = now;
    let begin = end - 86_400_000;
    rt.block_on(async {
        for i in 0..28_800u32 {
            h2.submit(event("Day Walker", begin + i64::from(i) * 3_000, i)).await.expect("writer");
        }
        h2.shutdown().await.expect("shutdown");
    });
    let _ = j2.join();
    let id = chars2.id_of("Day Walker").expect("registered");
    let mut times = Vec::new();
    let mut points = 0;
    for _ in 0..50 {
        let t0 = Instant::now();
        points = days2.trail(id, begin, end).expect("trail").len();
        times.push(t0.elapsed());
    }
    times.sort();
    let p50: Duration = times[times.len() / 2];
    let p99: Duration = times[times.len() * 99 / 100];

    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| events committed (journal fdatasync + redb) | {committed} in {:.2} s = {:.0} events/s |",
        took.as_secs_f64(),
        committed as f64 / took.as_secs_f64()
    );
    println!(
        "| group commits | {batches} batches, mean {mean_commit:.1} ms, max {max_commit:.1} ms (dequeue → durable) |"
    );
    println!(
        "| telemetry on disk | {bytes} B in {files} day file(s) for {rows} events in {blocks} blocks = {:.1} B/event |",
        bytes as f64 / rows.max(1) as f64
    );
    println!(
        "| one day-snapshot pass | {:.1} MiB day file: read transaction {:.2} ms (writer thread), rows written + fsync + rename {:.0} ms (helper), snapshot {:.1} MiB |",
        copied as f64 / 1048576.0,
        start_took.as_secs_f64() * 1e3,
        finish_took.as_secs_f64() * 1e3,
        snapshot_bytes as f64 / 1048576.0
    );
    println!(
        "| 24 h trail of one character ({points} points) | p50 {:.2} ms, p99 {:.2} ms |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
