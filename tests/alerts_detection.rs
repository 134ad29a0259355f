//! Detection end to end: frames in through `AlertsHandle`, posts out to a local stand-in
//! for Discord.

mod alerts_support;

use alerts_support::*;
use overlord::alerts::{AlertConfig, Alerts, EVENT_QUEUE_CAPACITY};
use overlord::protocol::decode_plugin_frame;
use serde_json::json;
use std::time::{Duration, Instant};

/// Time for the linger, a post and the stand-in's answer.
const SETTLE: Duration = Duration::from_millis(600);

#[tokio::test]
async fn rare_alert_is_delivered_with_character_and_item_name() {
    let discord = FakeDiscord::start().await;
    let alerts = Alerts::start(AlertConfig { rare_webhook: Some(discord.url("rare")), ..fast_config() });
    let rare = frame(json!({
        "type": "rare", "character_name": "Mossy Tank", "rare_name": "Alchemist's Crystal", "wcid": 30183,
        "object_id": -2141230042, "ew": 82.512, "ns": -52.221, "landcell": "0xE63E0022", "is_dungeon": false,
        "chat_text": "Mossy Tank has discovered the Alchemist's Crystal!"
    }));
    alerts.on_frame(&rare, now_ms());
    let lines = discord.wait_for_lines("rare", 1, Duration::from_secs(3)).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Mossy Tank") && lines[0].contains("Alchemist's Crystal"), "{}", lines[0]);
    assert!(lines[0].contains("52.2S, 82.5E"), "{}", lines[0]);
    let post = &discord.posts_to("rare")[0];
    assert_eq!(post.body["username"], "Overlord");
    assert_eq!(post.body["allowed_mentions"], json!({"parse": []}));
    alerts.shutdown().await;
    let st = alerts.stats();
    assert_eq!((st.alerts_raised, st.alerts_sent, st.posts_sent, st.alerts_dropped), (1, 1, 1, 0));
}

#[tokio::test]
async fn fixture_session_raises_one_rare_and_one_chat_line() {
    let discord = FakeDiscord::start().await;
    let hook = discord.url("all");
    let alerts = Alerts::start(AlertConfig {
        rare_webhook: Some(hook.clone()),
        death_webhook: Some(hook.clone()),
        tapers_webhook: Some(hook.clone()),
        chat_webhook: Some(hook),
        ..fast_config()
    });
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/session.jsonl");
    for line in std::fs::read_to_string(path).unwrap().lines() {
        alerts.on_frame(&decode_plugin_frame(line).unwrap(), now_ms());
    }
    alerts.shutdown().await;
    let lines = discord.delivered_lines("all");
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("Alchemist's Crystal")));
    assert!(lines.iter().any(|l| l.contains("Sirbuffsalot") && l.contains("anyone heading to Gaerlan?")));
    assert_eq!(discord.posts().len(), 1, "kinds sharing a webhook share posts");
}

#[tokio::test]
async fn death_is_detected_from_counter_increments_not_from_a_session_reset() {
    let discord = FakeDiscord::start().await;
    let alerts = Alerts::start(AlertConfig { death_webhook: Some(discord.url("death")), ..fast_config() });
    let t = now_ms();
    let steps = [("0", 100), ("0", 105), ("1", 110), ("1", 115), ("0", 3), ("0", 8), ("1", 13)];
    for (i, (deaths, ss)) in steps.iter().enumerate() {
        alerts.on_frame(&telemetry("Mossy Tank", deaths, *ss, "1874"), t + i as i64);
        // Health 0 is not a death signal: vitals are ignored.
        let vitals = frame(json!({"type":"vitals","character_name":"Mossy Tank","health":0,"health_max":451}));
        alerts.on_frame(&vitals, t + i as i64);
    }
    let lines = discord.wait_for_lines("death", 2, Duration::from_secs(3)).await;
    tokio::time::sleep(SETTLE).await;
    let lines_after = discord.delivered_lines("death");
    assert_eq!(lines_after, lines, "no late extra alert");
    assert_eq!(lines.len(), 2, "0→1 and, after the reset to 0, 0→1 again: {lines:?}");
    assert!(lines.iter().all(|l| l.contains("Mossy Tank") && l.contains("died")), "{lines:?}");
    assert!(lines[0].contains("session deaths 1, lifetime 41"), "{}", lines[0]);
    alerts.shutdown().await;
}

#[tokio::test]
async fn low_tapers_alert_once_per_crossing() {
    let discord = FakeDiscord::start().await;
    let alerts = Alerts::start(AlertConfig {
        tapers_webhook: Some(discord.url("tapers")),
        low_taper_threshold: 200,
        ..fast_config()
    });
    let t = now_ms();
    // 199: crossing; 150/199/210/190: still the same low spell (re-arm needs 250);
    // 260 re-arms; 100: second crossing.
    for (i, n) in ["1874", "500", "199", "150", "199", "210", "190", "260", "100", "90"].iter().enumerate() {
        alerts.on_frame(&telemetry("Mossy Mage", "0", 10 + i as u64, n), t + i as i64);
    }
    let lines = discord.wait_for_lines("tapers", 2, Duration::from_secs(3)).await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(discord.delivered_lines("tapers").len(), 2, "{lines:?}");
    assert!(lines[0].contains("Mossy Mage") && lines[0].contains("199 left"), "{}", lines[0]);
    assert!(lines[1].contains("100 left"), "{}", lines[1]);
    alerts.shutdown().await;
}

#[tokio::test]
async fn idle_alert_fires_after_the_timeout_once_per_spell() {
    let discord = FakeDiscord::start().await;
    // fast_tuning: idle after 1 s, checked every 100 ms.
    let alerts = Alerts::start(AlertConfig { idle_webhook: Some(discord.url("idle")), ..fast_config() });
    let started = Instant::now();
    alerts.on_online("Mossy Tank", true, now_ms());
    alerts.on_online("Parked Mule", true, now_ms());
    alerts.on_frame(&telemetry("Mossy Tank", "0", 10, "1874"), now_ms());
    // A replacement socket opens before the old one closes: still online.
    alerts.on_online("Mossy Tank", true, now_ms());
    alerts.on_online("Mossy Tank", false, now_ms());
    // The mule's socket closes: it is offline, not idle.
    alerts.on_online("Parked Mule", false, now_ms());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(discord.delivered_lines("idle").is_empty(), "not idle yet");
    let lines = discord.wait_for_lines("idle", 1, Duration::from_secs(3)).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("Mossy Tank") && lines[0].contains("connected"), "{}", lines[0]);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(discord.delivered_lines("idle").len(), 1, "one alert per idle spell");
    // Telemetry ends the spell; silence starts a new one.
    alerts.on_frame(&telemetry("Mossy Tank", "0", 20, "1874"), now_ms());
    let lines = discord.wait_for_lines("idle", 2, Duration::from_secs(3)).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("Parked Mule")));
    alerts.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn chat_duplicates_from_three_members_are_relayed_once() {
    let discord = FakeDiscord::start().await;
    let alerts = Alerts::start(AlertConfig { chat_webhook: Some(discord.url("chat")), ..fast_config() });
    let t = now_ms();
    for (i, member) in ["Mossy Tank", "Mossy Mage", "Buff Bot"].iter().enumerate() {
        alerts.on_frame(&chat(member, "Sirbuffsalot", "anyone heading to Gaerlan?"), t + i as i64 * 40);
    }
    // Other channels are not relayed.
    let general = frame(json!({"type":"chat","character_name":"Mossy Tank","channel":"general","chat_type":0,
        "sender":"Someone","text":"wts pyreals"}));
    alerts.on_frame(&general, t);
    // The same words after the window are a new line.
    alerts.on_frame(&chat("Mossy Tank", "Sirbuffsalot", "anyone heading to Gaerlan?"), t + 11_000);
    let lines = discord.wait_for_lines("chat", 2, Duration::from_secs(3)).await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(discord.delivered_lines("chat"), lines);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("Sirbuffsalot") && lines[0].contains("anyone heading to Gaerlan?"));
    assert_eq!(alerts.stats().duplicates_suppressed, 2);
    alerts.shutdown().await;
}

#[test]
fn on_frame_never_blocks_when_the_queue_is_full() {
    // A current-thread runtime: the detection task cannot run during the tight loop, so
    // the queue fills after EVENT_QUEUE_CAPACITY events and everything after is dropped.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let discord = FakeDiscord::start().await;
        let alerts = Alerts::start(AlertConfig { chat_webhook: Some(discord.url("chat")), ..fast_config() });
        let frames: Vec<_> = (0..100).map(|i| chat("Mossy Tank", "Spammer", &format!("line {i}"))).collect();
        const CALLS: usize = 100_000;
        let mut each = Vec::with_capacity(CALLS);
        let started = Instant::now();
        for i in 0..CALLS {
            let one = Instant::now();
            alerts.on_frame(&frames[i % frames.len()], 1_000 + i as i64);
            each.push(one.elapsed());
        }
        let took = started.elapsed();
        each.sort();
        let st = alerts.stats();
        eprintln!(
            "on_frame x{CALLS}: {took:?} total, {:.0} ns/call mean, p50 {:?}, p99 {:?}, p99.9 {:?}, max {:?}; dropped {}",
            took.as_nanos() as f64 / CALLS as f64,
            each[CALLS / 2],
            each[CALLS * 99 / 100],
            each[CALLS * 999 / 1000],
            each[CALLS - 1],
            st.events_dropped
        );
        assert_eq!(st.events_dropped, (CALLS - EVENT_QUEUE_CAPACITY) as u64);
        // Debug build of this crate; release is several times faster.
        assert!(took < Duration::from_secs(2), "{took:?}");
        alerts.shutdown().await;
        let st = alerts.stats();
        assert_eq!(st.alerts_raised, st.alerts_sent + st.alerts_dropped + st.queued);
    });
}

#[tokio::test]
async fn no_alert_config_gives_an_inert_handle() {
    let alerts = Alerts::start(AlertConfig::default());
    assert!(!alerts.is_active());
    alerts.on_online("Mossy Tank", true, now_ms());
    alerts.on_frame(&telemetry("Mossy Tank", "1", 10, "5"), now_ms());
    alerts.on_frame(&chat("Mossy Tank", "X", "y"), now_ms());
    assert_eq!(alerts.stats(), Default::default());
    alerts.shutdown().await;
}

#[tokio::test]
async fn unconfigured_kinds_are_not_queued_at_all() {
    let discord = FakeDiscord::start().await;
    let alerts = Alerts::start(AlertConfig { rare_webhook: Some(discord.url("rare")), ..fast_config() });
    for i in 0..1_000 {
        alerts.on_frame(&telemetry("Mossy Tank", &(i % 3).to_string(), i, "10"), now_ms());
        alerts.on_frame(&chat("Mossy Tank", "A", &i.to_string()), now_ms());
    }
    alerts.shutdown().await;
    assert_eq!(alerts.stats().alerts_raised, 0);
    assert!(discord.posts().is_empty());
}
