//! `GET /api/leaderboard/gains` over a real server and real day files: levels gained per
//! period (the level in a character's last stored row of the period minus its first), ranked
//! with rank change against the previous period, beside the rollup gains.

mod common;
use common::*;
use overlord::protocol::Telemetry;
use overlord::telemetry::writer::{self, JournalEntry, Persisted, Retention};
use overlord::telemetry::{Characters, DayFiles};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

const HOUR: i64 = 3_600_000;

/// (character, ms before now, level, kills counter).
type Seed = (&'static str, i64, Option<u32>, u32);

async fn seed(dir: &std::path::Path, now: i64, rows: &[Seed]) {
    let state = Arc::new(redb::Database::create(dir.join("state.redb")).unwrap());
    let characters = Characters::open(state.clone()).unwrap();
    let days = DayFiles::open(dir).unwrap();
    let (w, join, _) = writer::start(
        &dir.join("journal"),
        days,
        state,
        characters,
        Arc::new(AtomicU64::new(u64::MAX)),
        Retention::forever(),
    )
    .unwrap();
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| -r.1);
    for (name, ago, level, kills) in rows {
        let tel = Telemetry { ew: 30.0, ns: 10.0, level, kills: Some(kills), ..Default::default() };
        let entry = JournalEntry {
            recv_ms: now - ago,
            character: name.into(),
            client_time_ms: None,
            plugin_version: None,
            event: Persisted::Telemetry(tel),
        };
        w.submit(entry).await.unwrap();
    }
    w.shutdown().await.unwrap();
    join.join().unwrap();
}

fn table(v: &Value) -> Vec<(String, u64, Value, Value, Value)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["character_name"].as_str().unwrap().to_string(),
                r["levels"].as_u64().unwrap(),
                r["level"].clone(),
                r["rank"].clone(),
                r["rank_change"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_gains_per_period_with_rank_change() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let now = chrono::Utc::now().timestamp_millis();
    seed(
        dir,
        now,
        &[
            // Yesterday: Sprinter gained 4 levels, Climber 1.
            ("Sprinter", 30 * HOUR, Some(10), 0),
            ("Sprinter", 29 * HOUR, Some(14), 5),
            ("Climber", 30 * HOUR, Some(100), 0),
            ("Climber", 28 * HOUR, Some(101), 2),
            // Today: Climber 101 → 104 (its newest row carries no level), Sprinter 14 → 15.
            ("Climber", 3 * HOUR, Some(101), 2),
            ("Climber", 2 * HOUR, Some(103), 9),
            ("Climber", 60_000, Some(104), 12),
            ("Climber", 30_000, None, 13),
            ("Sprinter", 2 * HOUR, Some(14), 5),
            ("Sprinter", 90_000, Some(15), 6),
            // Played today without levelling: not on the level board.
            ("Idle", 2 * HOUR, Some(50), 0),
            ("Idle", 60_000, Some(50), 40),
        ],
    )
    .await;
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;

    let (s, day) = server.get("/api/leaderboard/gains?metric=level&period=day").await;
    assert_eq!(s, 200, "{day}");
    assert_eq!(day["metric"], "level");
    assert_eq!(
        table(&day),
        vec![
            ("Climber".into(), 3, json!(104), json!(1), json!(1)),
            ("Sprinter".into(), 1, json!(15), json!(2), json!(-1)),
        ],
        "{day}"
    );

    // Over the week both days count: Climber 100 → 104, Sprinter 10 → 15.
    let (s, week) = server.get("/api/leaderboard/gains?metric=level&period=week").await;
    assert_eq!(s, 200, "{week}");
    let ranked: Vec<_> = table(&week).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(ranked, vec![("Sprinter".into(), 5), ("Climber".into(), 4)], "{week}");

    // Ranked by kills, every row still says the levels gained.
    let (s, kills) = server.get("/api/leaderboard/gains?metric=kills&period=day").await;
    assert_eq!(s, 200, "{kills}");
    let idle =
        kills["rows"].as_array().unwrap().iter().find(|r| r["character_name"] == "Idle").expect("Idle ranks by kills");
    assert_eq!((idle["levels"].as_u64(), idle["level"].as_u64()), (Some(0), Some(50)), "{kills}");

    let (s, bad) = server.get("/api/leaderboard/gains?metric=levels").await;
    assert_eq!(s, 400, "{bad}");
    assert!(bad.to_string().contains("level"), "the error names the metrics: {bad}");
    server.stop().await;
}
