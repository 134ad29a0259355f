//! Time ranges over HTTP (docs/api.md, "Time ranges"): `from`/`to` outside the stored data
//! are clamped to it, not refused — `from=0` asks for all history — and every ranged answer
//! says which range it served; only a range that cannot be read is a 400.

mod common;
use common::*;
use overlord::protocol::{Place, Rare, Spawn, Telemetry};
use overlord::telemetry::writer::{self, JournalEntry, Persisted, Retention};
use overlord::telemetry::{Characters, DayFiles};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

const DAY: i64 = 86_400_000;
const NAME: &str = "Old Hand";

fn entry(t: i64, event: Persisted) -> JournalEntry {
    JournalEntry { recv_ms: t, character: NAME.into(), client_time_ms: None, plugin_version: None, event }
}

fn place(ew: f64) -> Place {
    Place { ew: Some(ew), ns: Some(10.0), z: None, landcell: Some(0xA9B4_0019), is_dungeon: false }
}

/// Events on two days: 40 days ago (longer ago than any default window) and a minute ago.
/// Returns (first stored day's start, last stored day's end).
async fn seed(dir: &std::path::Path, now: i64) -> (i64, i64) {
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
    let old = now - 40 * DAY;
    let recent = now - 60_000;
    for (k, base) in [old, recent].into_iter().enumerate() {
        for i in 0..10 {
            let tel = Telemetry { ew: 30.0 + i as f64 * 0.01, ns: 10.0, kills: Some(i), ..Default::default() };
            w.submit(entry(base + i64::from(i) * 1_000, Persisted::Telemetry(tel))).await.unwrap();
        }
        let rare = Rare {
            rare_name: format!("Rare {k}"),
            wcid: Some(30_000 + k as u32),
            object_id: None,
            chat_text: None,
            place: place(30.0),
        };
        w.submit(entry(base + 20_000, Persisted::Rare(rare))).await.unwrap();
        let spawn = Spawn {
            monster_name: "Drudge Skulker".into(),
            object_id: Some(k as u32 + 1),
            wcid: None,
            place: place(30.0),
        };
        w.submit(entry(base + 30_000, Persisted::Spawn(spawn))).await.unwrap();
    }
    w.shutdown().await.unwrap();
    join.join().unwrap();
    ((old.div_euclid(DAY)) * DAY, (recent.div_euclid(DAY) + 1) * DAY - 1)
}

fn served(v: &Value) -> (i64, i64) {
    (v["range"]["from"].as_i64().unwrap(), v["range"]["to"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_zero_serves_all_history_and_says_which_range() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let now = chrono::Utc::now().timestamp_millis();
    let (first, last) = seed(dir, now).await;
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    let far_future = now + 10_000 * DAY;

    let (s, trail) = server.get(&format!("/api/characters/Old%20Hand/trail?from=0&to={far_future}")).await;
    assert_eq!(s, 200, "{trail}");
    assert_eq!(trail["points"].as_array().unwrap().len(), 20, "both days: {trail}");
    assert_eq!(served(&trail), (first, last), "clamped to the stored days");

    let (s, series) = server.get("/api/characters/Old%20Hand/series?metric=kills&from=0&step_s=86400").await;
    assert_eq!(s, 200, "{series}");
    assert_eq!(series["points"].as_array().unwrap().len(), 2, "one step per day with play: {series}");
    assert_eq!(served(&series).0, first);

    let (s, rares) = server.get("/api/rares?from=0").await;
    assert_eq!(s, 200, "{rares}");
    let names: Vec<&str> =
        rares["rares"].as_array().unwrap().iter().map(|r| r["rare_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Rare 1", "Rare 0"], "newest first, the 40-day-old one included");
    assert_eq!(served(&rares).0, first);

    let (s, heat) = server.get("/api/spawns/heatmap?from=0").await;
    assert_eq!(s, 200, "{heat}");
    assert_eq!(heat["bins"][0]["count"], json!(2));
    assert_eq!(served(&heat).0, first);

    // The export pages through all history, across both days, with the cursor.
    let mut seen = 0;
    let mut url = "/api/events?type=telemetry&character=Old%20Hand&from=0&limit=7".to_string();
    loop {
        let (s, page) = server.get(&url).await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(served(&page).0, first);
        seen += page["events"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/events?type=telemetry&character=Old%20Hand&from=0&limit=7&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, 20);
    let (s, page) = server.get("/api/events?type=spawn&from=0").await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 2);

    // Without `from`, the default window (the last hour) still applies and is clamped too.
    let (_, recent) = server.get("/api/characters/Old%20Hand/trail").await;
    assert_eq!(recent["points"].as_array().unwrap().len(), 10);
    let (from, to) = served(&recent);
    assert!(from >= now - 3_600_000 && to >= now && to <= last, "{recent}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_unreadable_range_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let now = chrono::Utc::now().timestamp_millis();
    seed(dir, now).await;
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;

    for path in [
        format!("/api/characters/Old%20Hand/trail?from={now}&to={}", now - 1),
        "/api/characters/Old%20Hand/series?metric=kills&from=yesterday".to_string(),
        "/api/rares?to=soon".to_string(),
        format!("/api/events?type=rare&from={}&to=0", now),
        "/api/spawns/heatmap?from=2026-13-01T00:00:00Z".to_string(),
    ] {
        let (s, v) = server.get(&path).await;
        assert_eq!(s, 400, "{path}: {v}");
        assert_eq!(v["error"]["code"], "bad_request", "{path}: {v}");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("'from'") || msg.contains("'to'"), "the message names the parameter: {msg}");
    }

    // A range wholly before anything stored is not an error: it is served empty, and the
    // answer says no stored range overlapped it.
    for path in [
        "/api/characters/Old%20Hand/trail?from=0&to=1000",
        "/api/characters/Old%20Hand/series?metric=kills&from=0&to=1000",
        "/api/rares?from=0&to=1000",
        "/api/events?type=spawn&from=0&to=1000",
        "/api/spawns/heatmap?from=0&to=1000",
    ] {
        let (s, v) = server.get(path).await;
        assert_eq!(s, 200, "{path}: {v}");
        assert_eq!(v["range"], Value::Null, "{path}: {v}");
    }
    // Years of range are fine now that the data bounds the work.
    let (s, v) = server.get("/api/characters/Old%20Hand/series?metric=kills&from=0&to=9999999999999").await;
    assert_eq!(s, 200, "{v}");
    assert!(!v["points"].as_array().unwrap().is_empty());
    server.stop().await;
}
