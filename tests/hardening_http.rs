//! Issue 13 against a real server on a real socket: no panic reachable from the network
//! (and a panic that happens anyway is contained), connection limits that hold under a
//! burst, idle connections closed, per-address caps, bounded browser backlogs.

mod common;
use axum::Router;
use axum::extract::ws::{Message as AxumMessage, WebSocketUpgrade};
use axum::routing::get;
use common::*;
use futures_util::{SinkExt, StreamExt};
use overlord::metrics::Metrics;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

/// Sends raw bytes and returns what came back until the server closed or 5 s passed.
async fn raw_exchange(addr: &str, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn addr_of(server: &TestServer) -> String {
    server.base.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_with_a_broken_escape_before_a_multibyte_character_is_a_404_not_a_panic() {
    let mut server = TestServer::start().await;
    let answer =
        raw_exchange(&addr_of(&server), b"GET /%a\xc3\xa9x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer:?}");
    assert!(answer.contains("\"not_found\""), "{answer:?}");
    let app = server.running.as_ref().unwrap().app.clone();
    assert_eq!(app.metrics.guard.http_panics.load(Ordering::Relaxed), 0);
    server.stop().await;
}

/// The status line and the body of a raw exchange.
fn status_and_body(answer: &str) -> (u16, &str) {
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body)
}

/// Broken escapes next to multi-byte characters, sent raw, on paths that do reach the
/// decoders: the asset handler (a file path, and a dashboard route that gets the app
/// shell) and axum's path extractors on the API. Each answers cleanly — a 4xx JSON error
/// (or the app shell for a dashboard route) — nothing panics, and the server lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_broken_escapes_reaching_the_decoders_answer_cleanly() {
    let mut server = TestServer::start().await;
    let addr = addr_of(&server);
    let app = server.running.as_ref().unwrap().app.clone();
    let json_4xx: &[&[u8]] = &[
        b"/assets/%a\xc3\xa9x.js",
        b"/%a\xc3\xa9x.png",
        b"/assets/%C3%28%a\xc3\xa9.css",
        b"/api/characters/%a\xc3\xa9x/trail",
        b"/api/characters/%ff%a\xc3\xa9/series",
        b"/api/items/%a\xc3\xa9x/12",
        b"/api/items/Mossy/%a\xc3\xa9x",
        b"/api/suitbuilder/jobs/%a\xc3\xa9x",
    ];
    for path in json_4xx {
        let mut req = b"GET ".to_vec();
        req.extend_from_slice(path);
        req.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        let answer = raw_exchange(&addr, &req).await;
        let (status, body) = status_and_body(&answer);
        let shown = String::from_utf8_lossy(path);
        assert!((400..500).contains(&status), "{shown}: {answer:?}");
        let v: serde_json::Value =
            serde_json::from_str(body).unwrap_or_else(|_| panic!("{shown}: not JSON: {answer:?}"));
        assert!(v["error"]["code"].is_string(), "{shown}: {v}");
    }
    // A dashboard route: the decoder runs, then the app shell answers.
    let answer =
        raw_exchange(&addr, b"GET /characters/%a\xc3\xa9x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    let (status, _) = status_and_body(&answer);
    assert!(status == 200 || (400..500).contains(&status), "{answer:?}");
    assert_eq!(app.metrics.guard.http_panics.load(Ordering::Relaxed), 0, "a decoder panicked");
    assert_eq!(server.get("/healthz").await.0, 200);
    server.stop().await;
}

async fn boom() -> &'static str {
    if std::hint::black_box(true) {
        panic!("deliberate test panic");
    }
    "unreachable"
}

#[tokio::test]
async fn a_handler_panic_answers_500_in_the_error_shape_and_is_counted() {
    let metrics = Arc::new(Metrics::default());
    let app = Router::new()
        .route("/boom", get(boom))
        .route("/fine", get(|| async { "fine" }))
        .layer(axum::middleware::from_fn_with_state(metrics.clone(), overlord::http::guard::catch_panics::<Metrics>));
    let boom = app.clone().oneshot(axum::http::Request::get("/boom").body(axum::body::Body::empty()).unwrap()).await;
    let boom = boom.unwrap();
    assert_eq!(boom.status(), 500);
    let body = axum::body::to_bytes(boom.into_body(), 1 << 16).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["error"]["code"], "internal");
    assert_eq!(metrics.guard.http_panics.load(Ordering::Relaxed), 1);
    let fine = app.oneshot(axum::http::Request::get("/fine").body(axum::body::Body::empty()).unwrap()).await;
    assert_eq!(fine.unwrap().status(), 200);
    let text = metrics.render(&[]);
    assert!(text.contains("overlord_http_panics_total 1"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_socket_task_closes_only_its_socket_with_1011() {
    let metrics = Arc::new(Metrics::default());
    let m = metrics.clone();
    let app = Router::new().route(
        "/ws",
        get(move |ws: WebSocketUpgrade| {
            let m = m.clone();
            async move {
                ws.on_upgrade(move |socket| async move {
                    overlord::http::guard::run_socket(&m, "test", socket, |socket| {
                        Box::pin(async move {
                            while let Some(Ok(msg)) = socket.recv().await {
                                if let AxumMessage::Text(t) = msg {
                                    if t.as_str() == "panic" {
                                        panic!("deliberate socket panic");
                                    }
                                    let _ = socket.send(AxumMessage::Text(t)).await;
                                }
                            }
                        })
                    })
                    .await
                })
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (mut doomed, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.unwrap();
    let (mut healthy, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws")).await.unwrap();
    doomed.send(Message::Text("panic".into())).await.unwrap();
    assert_eq!(close_code(&mut doomed, Duration::from_secs(5)).await, Some(1011));
    healthy.send(Message::Text("still here".into())).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), healthy.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(echo, Message::Text("still here".into()));
    assert_eq!(metrics.guard.socket_panics.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sockets_never_exceeds_the_connection_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.max_browser_connections = 20;
    settings.max_plugin_connections = 10;
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let ws = server.ws.clone();
    let browsers: Vec<_> = (0..60)
        .map(|_| {
            let url = format!("{ws}/ws/live");
            tokio::spawn(async move { tokio_tungstenite::connect_async(url).await.ok().map(|(s, _)| s) })
        })
        .collect();
    let mut open_browsers = Vec::new();
    for b in browsers {
        if let Some(s) = b.await.unwrap() {
            open_browsers.push(s);
        }
    }
    assert_eq!(open_browsers.len(), 20, "browser sockets admitted in a burst of 60 against a limit of 20");
    let mut plugins = Vec::new();
    for _ in 0..30 {
        let url = format!("{}/ws/position", server.ws);
        plugins.push(tokio::spawn(async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut req = url.into_client_request().unwrap();
            req.headers_mut().insert("X-Plugin-Secret", SECRET.parse().unwrap());
            tokio_tungstenite::connect_async(req).await.ok().map(|(s, _)| s)
        }));
    }
    let mut open_plugins = Vec::new();
    for p in plugins {
        if let Some(s) = p.await.unwrap() {
            open_plugins.push(s);
        }
    }
    assert_eq!(open_plugins.len(), 10, "plugin sockets admitted in a burst of 30 against a limit of 10");
    let app = server.running.as_ref().unwrap().app.clone();
    assert_eq!(app.metrics.browser_connections.load(Ordering::Relaxed), 20);
    drop(open_browsers);
    drop(open_plugins);
    for _ in 0..200 {
        if app.metrics.browser_connections.load(Ordering::Relaxed) == 0
            && app.metrics.plugin_connections.load(Ordering::Relaxed) == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.metrics.browser_connections.load(Ordering::Relaxed), 0, "slots are released");
    assert_eq!(app.metrics.plugin_connections.load(Ordering::Relaxed), 0, "slots are released");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_connections_are_closed_and_each_address_is_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.max_connections_per_address = 8;
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let addr = addr_of(&server);
    // Eight silent connections fill 127.0.0.1's share; the ninth is closed at once.
    let mut silent = Vec::new();
    for _ in 0..8 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut ninth = TcpStream::connect(&addr).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), ninth.read(&mut buf)).await;
    assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "the ninth connection from one address is closed at once: {n:?}");
    // The silent ones are closed within the header deadline (5 s), a slow-loris too.
    let started = Instant::now();
    for mut s in silent {
        let left = Duration::from_secs(10).saturating_sub(started.elapsed());
        let n = tokio::time::timeout(left, s.read(&mut buf)).await;
        assert!(matches!(n, Ok(Ok(0)) | Ok(Err(_))), "a silent connection stayed open: {n:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let started = Instant::now();
    let mut closed = false;
    for _ in 0..40 {
        if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    if !closed {
        closed =
            matches!(tokio::time::timeout(Duration::from_secs(1), slow.read(&mut buf)).await, Ok(Ok(0)) | Ok(Err(_)));
    }
    assert!(closed && started.elapsed() < Duration::from_secs(11), "a slow-loris header was not cut off");
    // The server still answers, and counted what it did.
    let (status, _) = server.get("/healthz").await;
    assert_eq!(status, 200);
    let app = server.running.as_ref().unwrap().app.clone();
    assert!(app.metrics.guard.connections_refused_per_address.load(Ordering::Relaxed) >= 1);
    assert!(app.metrics.guard.connections_header_timeout.load(Ordering::Relaxed) >= 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_never_reads_is_dropped_behind_and_then_disconnected() {
    let mut server = TestServer::start().await;
    let app = server.running.as_ref().unwrap().app.clone();
    // A browser that subscribes to dungeon maps, then never reads again.
    let mut stalled = browser(&server).await;
    let sub = serde_json::json!({"type":"subscribe","topics":["dungeon_map","telemetry"]});
    send(&mut stalled, &sub).await;
    let _ = recv_json(&mut stalled, Duration::from_secs(2)).await;
    let _ = recv_json(&mut stalled, Duration::from_secs(2)).await;
    let mut p = plugin(&server).await;
    // 60 maps of ~1 MiB: 60 MiB of broadcasts against an 8 MiB backlog.
    let cells: Vec<serde_json::Value> = (0..9000)
        .map(|i| serde_json::json!({"cell": format!("0x02F3{:04X}", i % 0xFFFF), "x": 1.0, "y": 2.0, "z": 3.0, "rot": 90, "floor": [[[0,0],[10,0],[10,10],[0,10]]]}))
        .collect();
    for lb in 0..60u32 {
        let map = serde_json::json!({"type":"dungeon_map","character_name":"Map Maker","landblock": format!("0x{:04X}", 0x0100 + lb),
            "name":"Halls","cell_count":cells.len(),"cells":cells});
        send(&mut p, &map).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline
        && (app.metrics.guard.browser_dropped_bytes.load(Ordering::Relaxed) == 0
            || app.metrics.guard.browser_slow_disconnects.load(Ordering::Relaxed) == 0)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let dropped = app.metrics.guard.browser_dropped_bytes.load(Ordering::Relaxed);
    // Of the 60 MiB, the browser holds at most its 8 MiB backlog plus what the kernel's
    // socket buffers took; maps broadcast after it was closed are no longer its drops. So
    // well over twice the backlog budget must have been dropped and counted.
    assert!(dropped > 16 * 1024 * 1024, "dropped only {dropped} bytes for the stalled browser");
    assert_eq!(app.metrics.guard.browser_slow_disconnects.load(Ordering::Relaxed), 1);
    // Everyone else is fine.
    let mut fresh = browser(&server).await;
    assert!(recv_json(&mut fresh, Duration::from_secs(5)).await.is_some_and(|v| v["type"] == "snapshot"));
    drop(stalled);
    server.stop().await;
}
