//! The appliance core end to end: real server, real sockets, real files.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

const T: Duration = Duration::from_secs(5);

async fn wait_for(server: &TestServer, path: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let (status, v) = server.get(path).await;
        if status == 200 && pred(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never satisfied the condition; last: {:?}", server.get(path).await);
}

#[tokio::test]
async fn fixture_session_reaches_every_read_endpoint() {
    let mut server = TestServer::start().await;
    let mut ws = plugin(&server).await;
    for line in fixture_lines() {
        send_text(&mut ws, &line).await;
    }
    server.flush().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.flush().await;

    let live = wait_for(&server, "/api/live", |v| v["characters"].as_array().is_some_and(|a| !a.is_empty())).await;
    let ch = &live["characters"][0];
    assert_eq!(ch["character_name"], "Mossy Tank");
    assert_eq!(ch["online"], true);
    assert_eq!(ch["telemetry"]["landcell"], json!(0xA9B4_0019u32));
    assert_eq!(ch["telemetry"]["kills_per_hour"], json!(612.4));
    assert_eq!(ch["telemetry"]["deaths"], json!(3));
    assert!(ch["vitals"]["health"].is_number());

    let (s, detail) = server.get("/api/characters/mossy%20tank").await;
    assert_eq!(s, 200);
    assert_eq!(detail["character_name"], "Mossy Tank");
    assert!(detail["quests"]["quests"][0]["ready_at_ms"].is_number());
    assert!(detail["cantrips"].is_object());
    assert_eq!(detail["character_stats"]["level"], json!(275));
    assert!(detail["combat_stats"]["given"].is_object());

    let (_, rares) = server.get("/api/rares").await;
    assert_eq!(rares["rares"][0]["rare_name"], "Alchemist's Crystal");
    assert_eq!(rares["rares"][0]["character_name"], "Mossy Tank");
    let (_, portals) = server.get("/api/portals?q=metos").await;
    assert_eq!(portals["portals"][0]["discovered_by"], "Mossy Tank");
    let (_, heat) = server.get("/api/spawns/heatmap").await;
    assert_eq!(heat["bins"][0]["count"], json!(1));
    let (_, trail) = server.get("/api/characters/Mossy%20Tank/trail").await;
    assert_eq!(trail["points"].as_array().unwrap().len(), 5);
    let (_, ev) = server.get("/api/events?type=telemetry&character=Mossy%20Tank").await;
    assert_eq!(ev["events"].as_array().unwrap().len(), 5);
    let (_, ev) = server.get("/api/events?type=combat_stats").await;
    assert_eq!(ev["events"][0]["character_name"], "Mossy Tank");
    let (_, series) = server.get("/api/characters/Mossy%20Tank/series?metric=kills&step_s=1").await;
    assert!(!series["points"].as_array().unwrap().is_empty());
    let (_, chars) = server.get("/api/characters").await;
    assert_eq!(chars["characters"][0]["level"], json!(275));
    let (s, _) = server.get("/api/characters/Nobody").await;
    assert_eq!(s, 404);
    server.stop().await;
}

#[tokio::test]
async fn plugin_secret_is_required_and_checked() {
    let mut server = TestServer::start().await;
    let e = plugin_with_secret(&server, None).await.unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    let e = plugin_with_secret(&server, Some("wrong-secret-xyz")).await.unwrap_err();
    assert!(e.to_string().contains("401"), "{e}");
    server.stop().await;

    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings_for(tmp.path());
    s.plugin_secret = None;
    let mut server = TestServer::start_in(tmp.path(), s).await;
    let e = plugin_with_secret(&server, Some(SECRET)).await.unwrap_err();
    assert!(e.to_string().contains("401"), "unset secret must refuse: {e}");
    server.stop().await;
}

#[tokio::test]
async fn malformed_frames_get_errors_and_the_socket_stays_open() {
    let mut server = TestServer::start().await;
    let mut ws = plugin(&server).await;
    send_text(&mut ws, "this is not json").await;
    let e = recv_json(&mut ws, T).await.unwrap();
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "bad_request");
    send_text(&mut ws, r#"{"character_name":"A"}"#).await;
    assert!(recv_json(&mut ws, T).await.unwrap()["message"].as_str().unwrap().contains("type"));
    send_text(&mut ws, r#"{"type":"telemetry","character_name":"Able One","kills":1}"#).await;
    assert!(recv_json(&mut ws, T).await.unwrap()["message"].as_str().unwrap().contains("ew"));
    send_text(&mut ws, r#"{"type":"brand_new_type","character_name":"Able One"}"#).await;
    // Unknown types are ignored silently; the socket still works.
    send(&mut ws, &telemetry("Able One", 10.0, 10.0, 1)).await;
    wait_online(&server, "Able One").await;
    let (_, live) = server.get("/api/live").await;
    assert_eq!(live["characters"][0]["character_name"], "Able One");
    let (_, m) = server.get("/metrics").await;
    let m = m.as_str().unwrap().to_string();
    assert!(m.contains("overlord_events_rejected_total{reason=\"not_json\"} 1"), "{m}");
    assert!(m.contains("overlord_events_received_total{type=\"brand_new_type\"} 1"), "{m}");
    server.stop().await;
}

#[tokio::test]
async fn binary_and_oversized_frames_close_the_socket() {
    let mut server = TestServer::start().await;
    let mut ws = plugin(&server).await;
    use futures_util::SinkExt;
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(close_code(&mut ws, T).await, Some(1003));

    let mut ws = plugin(&server).await;
    let pad = "x".repeat(70 * 1024);
    send_text(&mut ws, &format!(r#"{{"type":"vitals","character_name":"Big One","pad":"{pad}"}}"#)).await;
    assert_eq!(close_code(&mut ws, T).await, Some(1009));
    server.stop().await;
}

#[tokio::test]
async fn a_second_name_on_one_socket_is_a_protocol_error() {
    let mut server = TestServer::start().await;
    let mut ws = plugin(&server).await;
    send(&mut ws, &telemetry("First One", 1.0, 1.0, 1)).await;
    send(&mut ws, &telemetry("Second One", 1.0, 1.0, 1)).await;
    let e = recv_json(&mut ws, T).await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("bound to 'First One'"));
    assert_eq!(close_code(&mut ws, T).await, Some(1008));
    server.stop().await;
}

#[tokio::test]
async fn a_second_socket_supersedes_the_first() {
    let mut server = TestServer::start().await;
    let mut a = plugin(&server).await;
    send(&mut a, &telemetry("Mossy Tank", 1.0, 1.0, 1)).await;
    wait_online(&server, "Mossy Tank").await;
    let mut b = plugin(&server).await;
    send(&mut b, &telemetry("mossy tank", 1.0, 1.0, 2)).await;
    assert_eq!(close_code(&mut a, T).await, Some(4000));
    server.flush().await;
    let (_, live) = server.get("/api/live").await;
    assert_eq!(live["characters"][0]["online"], true, "the newer socket keeps it online");
    server.stop().await;
}

#[tokio::test]
async fn restart_keeps_every_committed_event_and_forgets_memory_state() {
    let tmp = tempfile::tempdir().unwrap();
    let fast = || {
        let mut s = settings_for(tmp.path());
        s.plugin_rate_per_s = 10_000;
        s
    };
    let mut server = TestServer::start_in(tmp.path(), fast()).await;
    let mut ws = plugin(&server).await;
    for i in 0..500u32 {
        send(&mut ws, &telemetry("Keeper", 10.0 + f64::from(i) * 0.001, 20.0, i)).await;
    }
    send(&mut ws, &json!({"type":"vitals","character_name":"Keeper","health":5,"health_max":9})).await;
    // Every frame read and committed before the stop (vitals is the last frame sent).
    wait_for(&server, "/api/characters/Keeper", |v| v["vitals"]["health"] == json!(5)).await;
    server.flush().await;
    server.stop().await;

    let mut server = TestServer::start_in(tmp.path(), fast()).await;
    let (_, ev) = server.get("/api/events?type=telemetry&character=Keeper&limit=10000").await;
    let kills: Vec<u64> = ev["events"].as_array().unwrap().iter().map(|e| e["kills"].as_u64().unwrap()).collect();
    assert_eq!(kills, (0..500).collect::<Vec<u64>>());
    let (_, d) = server.get("/api/characters/Keeper").await;
    assert_eq!(d["vitals"], Value::Null, "vitals are memory-only");
    assert_eq!(d["online"], false);
    assert_eq!(d["telemetry"]["kills"], json!(499), "latest position comes from storage");
    server.stop().await;
}

#[tokio::test]
async fn commands_are_routed_to_the_plugin_and_acknowledged() {
    let mut server = TestServer::start().await;
    let mut p = plugin(&server).await;
    send(&mut p, &telemetry("Mossy Tank", 1.0, 1.0, 1)).await;
    wait_online(&server, "Mossy Tank").await;
    let mut b = browser(&server).await;
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "snapshot");
    send(&mut b, &json!({"player_name":" MOSSY TANK ","command":"/vt start"})).await;
    let ack = recv_until(&mut b, T, |v| v["type"] == "command_ack").await.unwrap();
    assert_eq!(ack["status"], "sent");
    let cmd = recv_until(&mut p, T, |v| v["type"] == "command").await.unwrap();
    assert_eq!(cmd["command"], "/vt start");
    assert_eq!(cmd["request_id"], ack["request_id"]);
    send(
        &mut p,
        &json!({"type":"command_result","character_name":"Mossy Tank","request_id":cmd["request_id"],"ok":true}),
    )
    .await;
    let res = recv_until(&mut b, T, |v| v["type"] == "command_result").await.unwrap();
    assert_eq!(res["ok"], true);
    send(&mut b, &json!({"type":"command","player_name":"Nobody Here","command":"/vt start"})).await;
    let ack = recv_until(&mut b, T, |v| v["type"] == "command_ack").await.unwrap();
    assert_eq!(ack["status"], "not_connected");
    send(&mut b, &json!({"type":"subscirbe"})).await;
    let e = recv_until(&mut b, T, |v| v["type"] == "error").await.unwrap();
    assert!(e["message"].as_str().unwrap().contains("subscirbe"));
    server.stop().await;
}

#[tokio::test]
async fn a_browser_receives_what_it_subscribed_to_and_nothing_else() {
    let mut server = TestServer::start().await;
    let mut a = plugin(&server).await;
    let mut c = plugin(&server).await;
    let mut b = browser(&server).await;
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "snapshot");
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "chat_history");
    send(&mut b, &json!({"type":"subscribe","topics":["vitals"],"characters":["Alpha One"]})).await;
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "snapshot");
    send(&mut c, &json!({"type":"vitals","character_name":"Charlie One","health":1})).await;
    send(&mut a, &telemetry("Alpha One", 1.0, 1.0, 1)).await;
    send(&mut a, &json!({"type":"vitals","character_name":"Alpha One","health":"42"})).await;
    let v = recv_until(&mut b, T, |v| v["type"] != "online").await.unwrap();
    assert_eq!(v["type"], "vitals");
    assert_eq!(v["character_name"], "Alpha One");
    assert_eq!(v["health"], json!(42));
    assert!(recv_until(&mut b, Duration::from_millis(400), |v| v["type"] != "online").await.is_none());
    server.stop().await;
}

#[tokio::test]
async fn chat_copies_from_many_members_are_broadcast_once() {
    let mut server = TestServer::start().await;
    let mut b = browser(&server).await;
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "snapshot");
    assert_eq!(recv_json(&mut b, T).await.unwrap()["type"], "chat_history");
    for who in ["Alpha One", "Bravo One", "Charlie One"] {
        let mut p = plugin(&server).await;
        send(&mut p, &json!({"type":"chat","character_name":who,"channel":"allegiance","chat_type":18,"sender":"Buffer","text":"gaerlan?"})).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recv_until(&mut b, T, |v| v["type"] == "chat").await.is_some());
    assert!(recv_until(&mut b, Duration::from_millis(500), |v| v["type"] == "chat").await.is_none());
    server.stop().await;
}

#[tokio::test]
async fn api_refuses_proxied_requests_without_a_session() {
    let mut server = TestServer::start().await;
    let client = reqwest::Client::new();
    let r =
        client.get(format!("{}/api/live", server.base)).header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let r =
        client.get(format!("{}/healthz", server.base)).header("X-Forwarded-For", "203.0.113.9").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    server.stop().await;
}

#[tokio::test]
async fn share_frames_are_relayed_to_the_named_characters() {
    let mut server = TestServer::start().await;
    let mut tank = plugin(&server).await;
    let mut mage = plugin(&server).await;
    send(&mut mage, &telemetry("Mossy Mage", 1.0, 1.0, 1)).await;
    send(&mut tank, &telemetry("Mossy Tank", 1.0, 1.0, 1)).await;
    wait_online(&server, "Mossy Mage").await;
    wait_online(&server, "Mossy Tank").await;
    send(
        &mut tank,
        &json!({"type":"share_vitals","character_name":"Mossy Tank","to":["Mossy Mage"],"payload":{"health_pct":0.5}}),
    )
    .await;
    let v = recv_until(&mut mage, T, |v| v["type"] == "share_vitals").await.unwrap();
    assert_eq!(v["from"], "Mossy Tank");
    assert_eq!(v["payload"]["health_pct"], json!(0.5));
    server.stop().await;
}

#[tokio::test]
async fn frames_over_the_per_socket_rate_are_dropped_and_counted() {
    let mut server = TestServer::start().await;
    let mut ws = plugin(&server).await;
    for i in 0..400u32 {
        send(&mut ws, &telemetry("Fast Talker", 10.0, 20.0, i)).await;
    }
    let mut dropped = 0.0;
    for _ in 0..100 {
        let (_, m) = server.get("/metrics").await;
        let m = m.as_str().unwrap().to_string();
        dropped = m
            .lines()
            .find(|l| l.starts_with("overlord_frames_rate_limited_total "))
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        if dropped >= 150.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dropped >= 150.0, "{dropped} dropped");
    server.stop().await;
}

#[tokio::test]
async fn static_paths_never_escape_the_embedded_assets() {
    let mut server = TestServer::start().await;
    for path in [
        "/..%2f..%2fetc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/assets/..%2f..%2f..%2fCargo.toml",
        "/..\\..\\etc\\passwd",
    ] {
        let r = reqwest::get(format!("{}{}", server.base, path)).await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(!body.contains("root:") && !body.contains("[package]"), "{path} leaked a file: {status}");
    }
    let (s, _) = server.get("/api/nope").await;
    assert_eq!(s, 404, "unknown API paths are 404, not the app shell");
    let r = reqwest::get(format!("{}/characters/Mossy%20Tank", server.base)).await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "client-side routes get index.html");
    assert!(r.text().await.unwrap().contains("<html"));
    server.stop().await;
}

#[tokio::test]
async fn an_operator_map_image_origin_is_allowed_by_the_csp() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings_for(tmp.path());
    s.map_image_url = Some("https://maps.example.org/dereth.png".into());
    s.map_image_bounds = Some([-102.0, -102.0, 102.0, 102.0]);
    let mut server = TestServer::start_in(tmp.path(), s).await;
    let r = reqwest::get(format!("{}/", server.base)).await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("img-src 'self' data: blob: https://maps.example.org"), "{csp}");
    let (_, v) = server.get("/api/version").await;
    assert_eq!(v["map_image"]["url"], "https://maps.example.org/dereth.png");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_export_pages_through_every_character_in_time_order() {
    let mut server = TestServer::start().await;
    let mut a = plugin(&server).await;
    let mut b = plugin(&server).await;
    let mut sent = Vec::new();
    for i in 0..8 {
        let (ws, name) = if i % 2 == 0 { (&mut a, "Page Alpha") } else { (&mut b, "Page Beta") };
        let spawn = json!({"type":"spawn","character_name":name,"monster_name":format!("Drudge {i}"),
            "object_id": 1000 + i,"ew":1.0,"ns":2.0,"z":0.0,"landcell":"0xA9B70038","is_dungeon":false});
        send(ws, &spawn).await;
        sent.push(format!("Drudge {i}"));
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    }
    for _ in 0..200 {
        server.flush().await;
        let (_, all) = server.get("/api/events?type=spawn&limit=100").await;
        if all["events"].as_array().is_some_and(|e| e.len() == 8) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let q = match &cursor {
            Some(c) => format!("/api/events?type=spawn&limit=3&cursor={c}"),
            None => "/api/events?type=spawn&limit=3".to_string(),
        };
        let (s, page) = server.get(&q).await;
        assert_eq!(s, 200, "{page}");
        got.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["t"].as_i64().unwrap(), e["monster_name"].as_str().unwrap().to_string())),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "ascending in time across characters: {got:?}");
    let mut names: Vec<String> = got.into_iter().map(|(_, n)| n).collect();
    names.sort();
    assert_eq!(names, sent, "every event exactly once");
    server.stop().await;
}

/// Spawns move from their tail table into compressed blocks at the snapshot passes
/// (every `journal_window_s / 5`); the events page reads the same before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_spawns_read_the_same_as_before_sealing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings_for(tmp.path());
    s.journal_window_s = 30;
    let mut server = TestServer::start_in(tmp.path(), s).await;
    let mut ws = plugin(&server).await;
    for i in 0..40 {
        let spawn = json!({"type":"spawn","character_name":"Seal Hunter","monster_name":format!("Drudge {}", i % 3),
            "object_id": 5000 + i,"ew":1.0 + f64::from(i) * 0.01,"ns":2.0,"z":0.0,"landcell":"0xA9B70038","is_dungeon":false});
        send(&mut ws, &spawn).await;
    }
    let mut before = serde_json::Value::Null;
    for _ in 0..200 {
        server.flush().await;
        let (_, all) = server.get("/api/events?type=spawn&limit=100").await;
        if all["events"].as_array().is_some_and(|e| e.len() == 40) {
            before = all;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(before["events"].as_array().map(Vec::len), Some(40), "{before}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, metrics) = server.get("/metrics").await;
        let sealed = metrics
            .as_str()
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("overlord_event_rows_sealed_total "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        if sealed >= 40.0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "spawns not sealed within 30 s ({sealed})");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let (_, after) = server.get("/api/events?type=spawn&limit=100").await;
    // `range.to` is "now" and moves on; the events are what must not change.
    assert!(after["events"] == before["events"], "events changed once sealed");
    let (_, one) = server.get("/api/events?type=spawn&character=Seal%20Hunter&limit=7").await;
    assert_eq!(one["events"].as_array().unwrap()[..], before["events"].as_array().unwrap()[..7]);
    server.stop().await;
}
