//! Panic containment in the real router (issue 13): a handler panic answers 500 in the
//! usual JSON error shape and is counted on `/metrics`; a panic in a socket task closes
//! that socket with 1011, is counted, and leaves the other sockets and the server alive.
//! The panics come from the debug-only fault routes (`http::debug`, never in a release
//! binary), mounted by `OVERLORD_TEST_PANIC_ROUTES=1`; this file is its own process, so
//! setting the variable touches no other test.

// The fault routes exist only in debug builds (`cargo test` without `--release`).
#![cfg(debug_assertions)]

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

fn mount_fault_routes() {
    // SAFETY: set before any server starts, in this test binary only; nothing in it reads
    // the environment concurrently with this write except the router build that follows.
    unsafe { std::env::set_var(overlord::http::debug::ENV, "1") };
}

async fn metric(server: &TestServer, name: &str) -> u64 {
    let text = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok()))
        .unwrap_or_else(|| panic!("{name} not on /metrics"))
        .round() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_and_socket_panics_in_the_real_router_are_contained_and_counted() {
    mount_fault_routes();
    let mut server = TestServer::start().await;
    assert_eq!(metric(&server, "overlord_http_panics_total").await, 0);

    // A handler panic: 500, the usual error shape, counted; the server answers on.
    let r = reqwest::get(format!("{}/debug/panic", server.base)).await.unwrap();
    assert_eq!(r.status(), 500);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "internal", "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");
    assert_eq!(metric(&server, "overlord_http_panics_total").await, 1);
    assert_eq!(server.get("/healthz").await.0, 200);

    // A socket-task panic: that socket closes with 1011; a browser on /ws/live and a
    // second fault socket carry on; counted.
    let (mut doomed, _) = tokio_tungstenite::connect_async(format!("{}/debug/panic-socket", server.ws)).await.unwrap();
    let (mut healthy, _) = tokio_tungstenite::connect_async(format!("{}/debug/panic-socket", server.ws)).await.unwrap();
    let mut live = browser(&server).await;
    doomed.send(Message::Text("panic".into())).await.unwrap();
    assert_eq!(close_code(&mut doomed, Duration::from_secs(5)).await, Some(1011));
    healthy.send(Message::Text("still here".into())).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), healthy.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo, Message::Text("still here".into()));
    send(&mut live, &serde_json::json!({"type":"subscribe","topics":["telemetry"]})).await;
    let mut p = plugin(&server).await;
    send(&mut p, &telemetry("Mossy Tank", 10.0, 20.0, 1)).await;
    let seen = recv_until(&mut live, Duration::from_secs(5), |v| v["type"] == "telemetry").await;
    assert!(seen.is_some(), "the browser socket still receives broadcasts");
    assert_eq!(metric(&server, "overlord_socket_panics_total").await, 1);
    assert_eq!(metric(&server, "overlord_http_panics_total").await, 1);
    server.stop().await;
}
