//! Long ranges stay cheap and bounded: a trail over many fixes is thinned while it is read
//! (segment breaks kept), and a series keeps one value per step.

mod common;
use common::*;
use overlord::protocol::Telemetry;
use overlord::telemetry::writer::{self, JournalEntry, Persisted, Retention};
use overlord::telemetry::{Characters, DayFiles};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

const FIXES: i64 = 40_000;
/// A teleport (a jump of 5 map units) every this many fixes.
const LEG: i64 = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_trail_is_thinned_while_read_and_keeps_every_segment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let now = chrono::Utc::now().timestamp_millis();
    let start = now - FIXES * 3_000;
    {
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
        for i in 0..FIXES {
            let leg = (i / LEG) as f64;
            let tel = Telemetry {
                ew: leg * 5.0 + (i % LEG) as f64 * 0.0001,
                ns: 10.0,
                kills: Some(i as u32),
                ..Default::default()
            };
            let e = JournalEntry {
                recv_ms: start + i * 3_000,
                character: "Long Walker".into(),
                client_time_ms: None,
                plugin_version: None,
                event: Persisted::Telemetry(tel),
            };
            w.submit(e).await.unwrap();
        }
        w.shutdown().await.unwrap();
        join.join().unwrap();
    }
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    let range = format!("from={}&to={now}", start - 1);
    let (s, all) = server.get(&format!("/api/characters/Long%20Walker/trail?{range}&max_points=100000")).await;
    assert_eq!(s, 200);
    assert_eq!(all["points"].as_array().unwrap().len() as i64, FIXES, "under the budget nothing is thinned");

    let (_, thin) = server.get(&format!("/api/characters/Long%20Walker/trail?{range}&max_points=200")).await;
    let points = thin["points"].as_array().unwrap();
    let segments = thin["segments"].as_array().unwrap();
    assert!(points.len() <= 200 + 2 * segments.len(), "{} points", points.len());
    assert_eq!(segments.len() as i64, FIXES / LEG, "every teleport still starts a segment");
    for (k, seg) in segments.iter().enumerate() {
        let (a, b) = (seg[0].as_u64().unwrap() as usize, seg[1].as_u64().unwrap() as usize);
        let first = start + k as i64 * LEG * 3_000;
        assert_eq!(points[a]["t"], first, "segment {k} starts at its first fix");
        assert_eq!(points[b]["t"], first + (LEG - 1) * 3_000, "segment {k} ends at its last fix");
    }

    let (_, series) =
        server.get(&format!("/api/characters/Long%20Walker/series?metric=kills&{range}&step_s=3600")).await;
    let values = series["points"].as_array().unwrap();
    assert_eq!(values.last().unwrap()[1], (FIXES - 1) as f64, "the last value of the last step");
    assert!(values.len() as i64 <= FIXES * 3 / 3600 + 2);
    server.stop().await;
}
