//! End to end against the binary (`OVERLORD_BIN`, else the one cargo built): tens of
//! thousands of malformed plugin frames and HTTP requests over real sockets, with valid
//! events sent between them. Afterwards the server is healthy, nothing panicked, and every
//! valid event is stored, in order, exactly once.

mod common;
use common::{SECRET, telemetry};
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const VALID_EVENTS: u32 = 2_000;
/// Malformed frames between two valid ones on the same socket.
const GARBAGE_PER_VALID: u32 = 10;
const RAW_HTTP_REQUESTS: u32 = 12_000;
const URL_REQUESTS: u32 = 6_000;
const FATAL_SOCKETS: u32 = 300;
const NAME: &str = "Garbage Hauler";

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path) -> Server {
    let bin = std::env::var("OVERLORD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_overlord").to_string());
    let mut child = Command::new(bin)
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("OVERLORD_PLUGIN_SECRET", SECRET)
        .env("OVERLORD_PLUGIN_RATE_PER_S", "10000")
        .env("OVERLORD_MAX_CONNECTIONS_PER_ADDRESS", "4096")
        .env("OVERLORD_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the overlord binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(!addr.is_empty(), "no listening line: {line:?}");
    Server { child, addr }
}

/// A frame that is wrong but leaves the socket open (answered with an error message).
fn soft_garbage(rng: &mut rand::rngs::SmallRng) -> String {
    match rng.random_range(0..10) {
        0 => String::new(),
        1 => "{".repeat(rng.random_range(1..2000)),
        2 => "[".repeat(rng.random_range(1..5000)) + &"]".repeat(rng.random_range(0..5000)),
        3 => json!({"character_name": NAME}).to_string(),
        4 => json!({"type": 7, "character_name": NAME}).to_string(),
        5 => json!({"type": "telemetry", "character_name": NAME, "ew": "east", "ns": [1], "landcell": "0xZZ"})
            .to_string(),
        6 => json!({"type": "spawn", "character_name": NAME, "object_id": -1e300, "name": {"a": 1}}).to_string(),
        7 => {
            let n: usize = rng.random_range(1..300);
            (0..n).map(|_| char::from(rng.random_range(32u8..127))).collect()
        }
        8 => format!("\"{}\"", "\\u0000".repeat(rng.random_range(1..500))),
        _ => json!({"type": "inventory", "character_name": NAME, "items": [{"object_id": "x"}, 5, null]}).to_string(),
    }
}

/// A request head hyper must refuse (or answer) without hanging: always ends in CRLFCRLF.
fn raw_http_garbage(rng: &mut rand::rngs::SmallRng) -> Vec<u8> {
    let mut out: Vec<u8> = match rng.random_range(0..8) {
        0 => (0..rng.random_range(1..400)).map(|_| rng.random::<u8>()).collect(),
        1 => b"GET /%a\xc3\xa9x HTTP/1.1\r\nHost: x".to_vec(),
        2 => format!("GET /{} HTTP/1.1\r\nHost: x", "%".repeat(rng.random_range(1..3000))).into_bytes(),
        3 => b"BREW /coffee HTCPCP/1.0\r\nHost: x".to_vec(),
        4 => format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}", "a".repeat(rng.random_range(1..200_000))).into_bytes(),
        5 => b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: -5".to_vec(),
        6 => b"GET /ws/position HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade".to_vec(),
        _ => b"GET /api/items/search?q=%FF%FE&limit=99999999999999999999 HTTP/1.1\r\nHost: x".to_vec(),
    };
    out.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    out
}

fn url_garbage(rng: &mut rand::rngs::SmallRng) -> String {
    let prefixes = [
        "/api/items/search?q=",
        "/api/characters/",
        "/api/events?type=",
        "/api/world/",
        "/assets/",
        "/",
        "/api/notes/",
        "/api/characters/Garbage%20Hauler/trail?from=",
    ];
    let mut s = prefixes[rng.random_range(0..prefixes.len())].to_string();
    for _ in 0..rng.random_range(0..30) {
        match rng.random_range(0..5) {
            0 => s.push_str(&format!("%{:02X}", rng.random::<u8>())),
            1 => s.push('%'),
            2 => s.push_str("%C3"),
            3 => s.push(char::from(rng.random_range(b'a'..=b'z'))),
            _ => s.push_str(["&", "=", "/", "..", "?", ";"][rng.random_range(0..6)]),
        }
    }
    s
}

async fn plugin_socket(addr: &str) -> common::Ws {
    let mut req = format!("ws://{addr}/ws/position").into_client_request().unwrap();
    req.headers_mut().insert("X-Plugin-Secret", SECRET.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

async fn stored_kills(base: &str) -> Vec<u64> {
    let from = chrono::Utc::now().timestamp_millis() - 24 * 3600 * 1000;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/events?type=telemetry&character=Garbage%20Hauler&from={from}&limit=10000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        out.extend(v["events"].as_array().unwrap().iter().map(|e| e["kills"].as_u64().unwrap()));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

async fn metric(base: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tens_of_thousands_of_malformed_inputs_leave_the_server_healthy_and_lose_no_valid_event() {
    let tmp = tempfile::tempdir().unwrap();
    let server = start(tmp.path());
    let addr = server.addr.clone();
    let base = format!("http://{addr}");

    // 1. One plugin socket: valid telemetry with numbered kills, garbage between them.
    let a = addr.clone();
    let frames = tokio::spawn(async move {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let ws = plugin_socket(&a).await;
        let (mut tx, mut rx) = ws.split();
        // Drain the server's error replies so its sends never wait on us.
        let drain = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
        for i in 0..VALID_EVENTS {
            let frame = telemetry(NAME, 10.0 + f64::from(i) * 0.001, 20.0, i).to_string();
            tx.send(Message::Text(frame.into())).await.unwrap();
            for _ in 0..GARBAGE_PER_VALID {
                tx.send(Message::Text(soft_garbage(&mut rng).into())).await.unwrap();
            }
        }
        let _ = tx.send(Message::Close(None)).await;
        // Keep reading the server's replies until it answers the close: a client that stops
        // reading stalls its own session (the server waits to send), and frames still
        // queued behind that send would never be read.
        let _ = tokio::time::timeout(Duration::from_secs(60), drain).await;
    });

    // 2. Sockets that earn a close: binary, oversize, character switch, bad secret.
    let a = addr.clone();
    let fatal = tokio::spawn(async move {
        for i in 0..FATAL_SOCKETS {
            let mut ws = plugin_socket(&a).await;
            let msg = match i % 3 {
                0 => Message::Binary(vec![0u8; 100].into()),
                1 => Message::Text(
                    format!("{{\"type\":\"chat\",\"character_name\":\"X\",\"text\":\"{}\"}}", "a".repeat(70_000))
                        .into(),
                ),
                _ => {
                    let first = telemetry("Someone Else", 1.0, 1.0, 0).to_string();
                    ws.send(Message::Text(first.into())).await.unwrap();
                    Message::Text(telemetry("Another One", 1.0, 1.0, 0).to_string().into())
                }
            };
            let _ = ws.send(msg).await;
            let _ = tokio::time::timeout(Duration::from_secs(2), async { while let Some(Ok(_)) = ws.next().await {} })
                .await;
        }
        for _ in 0..50 {
            let mut req = format!("ws://{a}/ws/position").into_client_request().unwrap();
            req.headers_mut().insert("X-Plugin-Secret", "wrong".parse().unwrap());
            assert!(tokio_tungstenite::connect_async(req).await.is_err());
        }
    });

    // 3. Raw malformed HTTP over TCP, four connections at a time.
    let raw: Vec<_> = (0..4u64)
        .map(|w| {
            let a = addr.clone();
            tokio::spawn(async move {
                let mut rng = rand::rngs::SmallRng::seed_from_u64(100 + w);
                for _ in 0..RAW_HTTP_REQUESTS / 4 {
                    let mut s = tokio::net::TcpStream::connect(&a).await.unwrap();
                    let _ = s.write_all(&raw_http_garbage(&mut rng)).await;
                    let mut sink = Vec::new();
                    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut sink)).await;
                }
            })
        })
        .collect();

    // 4. Well-formed requests with garbage paths and queries, keep-alive.
    let b = base.clone();
    let urls = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut server_errors = 0;
        for _ in 0..URL_REQUESTS {
            let url = format!("{b}{}", url_garbage(&mut rng));
            if let Ok(r) = client.get(&url).send().await
                && r.status().is_server_error()
            {
                server_errors += 1;
            }
        }
        server_errors
    });

    frames.await.unwrap();
    fatal.await.unwrap();
    for r in raw {
        r.await.unwrap();
    }
    assert_eq!(urls.await.unwrap(), 0, "garbage URLs answered 5xx");

    // Every valid event is stored, in order, exactly once.
    let mut kills = Vec::new();
    for _ in 0..100 {
        kills = stored_kills(&base).await;
        if kills.len() >= VALID_EVENTS as usize {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(kills, (0..u64::from(VALID_EVENTS)).collect::<Vec<_>>());
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(metric(&base, "overlord_http_panics_total").await, 0.0);
    assert_eq!(metric(&base, "overlord_socket_panics_total").await, 0.0);
    let rejected = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
    let total_rejected: f64 = rejected
        .lines()
        .filter(|l| l.starts_with("overlord_events_rejected_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(total_rejected >= f64::from(VALID_EVENTS * GARBAGE_PER_VALID) * 0.9, "{total_rejected} rejections counted");
    // And it still takes new work.
    let mut ws = plugin_socket(&addr).await;
    ws.send(Message::Text(telemetry(NAME, 11.0, 20.0, VALID_EVENTS).to_string().into())).await.unwrap();
    drop(server);
}
