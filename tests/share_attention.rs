//! Stuck detection against the simulator: simulated characters play normally; one is told
//! `/vt stop` through `/ws/live` (it stops moving, killing and gaining XP while its plugin
//! keeps reporting), and `/api/attention` lists it as stuck once the threshold passes.

mod common;

use common::*;
use overlord::sim::{self, SimulateOptions};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_character_that_stops_is_reported_stuck() {
    let mut server = TestServer::start().await;
    let app = server.running.as_ref().unwrap().app.clone();
    app.attention.set_thresholds_ms(6_000, 60_000);
    let opts = SimulateOptions {
        url: server.ws.clone(),
        secret: SECRET.into(),
        characters: 6,
        rate: 2.0,
        ramp_up: Duration::from_millis(200),
        chat: false,
        inventory_on_connect: false,
        ..SimulateOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sim_task = tokio::spawn(sim::run(opts, async move {
        let _ = stop_rx.await;
    }));

    // A hunter: a character whose macro is running (not parked in town).
    let deadline = Instant::now() + Duration::from_secs(20);
    let hunter = loop {
        let (_, live) = server.get("/api/live").await;
        let found = live["characters"].as_array().and_then(|a| {
            a.iter()
                .find(|c| c["online"] == true && c["telemetry"]["vt_state"].as_str().is_some_and(|s| s != "Idle"))
                .map(|c| c["character_name"].as_str().unwrap().to_string())
        });
        if let Some(h) = found {
            break h;
        }
        assert!(Instant::now() < deadline, "no hunter came online: {live}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut b = browser(&server).await;
    send(&mut b, &json!({"type":"command","player_name":hunter,"command":"/vt stop"})).await;
    let ack = recv_until(&mut b, Duration::from_secs(5), |v| v["type"] == "command_ack").await.unwrap();
    assert_eq!(ack["status"], "sent", "{ack}");
    let stopped_at = Instant::now();

    let stuck_names = |v: &Value| -> Vec<String> {
        v["stuck"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
    };
    let found = loop {
        let (status, att) = server.get("/api/attention").await;
        assert_eq!(status, 200);
        if stuck_names(&att).contains(&hunter) {
            break att;
        }
        assert!(stopped_at.elapsed() < Duration::from_secs(30), "{hunter} never reported stuck: {att}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(stopped_at.elapsed() >= Duration::from_secs(5), "not before the threshold");
    let entry = found["stuck"].as_array().unwrap().iter().find(|s| s["name"] == hunter.as_str()).unwrap();
    assert!(entry["since_ms"].as_i64().unwrap() <= found["generated_ms"].as_i64().unwrap() - 6_000, "{entry}");
    assert!(entry["ew"].is_f64() && entry["ns"].is_f64(), "{entry}");
    assert!(found["disconnected"].as_array().unwrap().is_empty(), "{found}");

    let _ = stop_tx.send(());
    let _ = sim_task.await;
    server.stop().await;
}
