//! The simulator against a real (throwaway) WebSocket server on loopback: the secret
//! header is sent, frames arrive, commands are acknowledged, 401 stops the run, a normal
//! close reconnects and 4000 "superseded" stops the client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use overlord::sim::{self, SimError, SimulateOptions};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const SECRET: &str = "test-secret";

/// What the collector server does with each accepted socket.
#[derive(Clone, Copy, PartialEq)]
enum Behaviour {
    /// Reads everything; sends a command and a dungeon-map request after the first frame.
    Collect,
    /// Closes the first socket of each connection count normally, later ones with 4000.
    CloseThenSupersede,
}

#[derive(Default)]
struct Seen {
    secrets: Vec<Option<String>>,
    paths: Vec<String>,
    frames: Vec<Value>,
    sockets: usize,
}

async fn start_server(behaviour: Behaviour) -> (SocketAddr, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = Arc::clone(&seen);
    tokio::spawn(async move {
        let mut request_no = 0u32;
        while let Ok((tcp, _)) = listener.accept().await {
            let state = Arc::clone(&state);
            request_no += 1;
            let n = request_no;
            tokio::spawn(async move { serve_socket(tcp, state, behaviour, n).await });
        }
    });
    (addr, seen)
}

// The callback's error type is tungstenite's own `http::Response`; it cannot be boxed.
#[allow(clippy::result_large_err)]
async fn serve_socket(tcp: tokio::net::TcpStream, state: Arc<Mutex<Seen>>, behaviour: Behaviour, n: u32) {
    let cb_state = Arc::clone(&state);
    let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let secret = req.headers().get("X-Plugin-Secret").and_then(|v| v.to_str().ok()).map(str::to_string);
        let mut s = cb_state.lock().expect("lock");
        s.paths.push(req.uri().path().to_string());
        s.secrets.push(secret.clone());
        if secret.as_deref() == Some(SECRET) {
            Ok(resp)
        } else {
            let mut e = ErrorResponse::new(Some("unauthorized".into()));
            *e.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::UNAUTHORIZED;
            Err(e)
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    let first_of_character = {
        let mut s = state.lock().expect("lock");
        s.sockets += 1;
        s.sockets
    };
    let mut asked = false;
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(text.as_str()).expect("frames are JSON");
        state.lock().expect("lock").frames.push(v);
        if asked {
            continue;
        }
        asked = true;
        match behaviour {
            Behaviour::Collect => {
                let cmd = json!({"type": "command", "request_id": format!("c-{n}"),
                                 "command": "/vt opt set enablecombat false", "issued_by": "alice"});
                let bare = json!({"request_id": format!("b-{n}"), "command": "/vt start"});
                let map = json!({"type": "request_dungeon_map", "request_id": format!("d-{n}")});
                for m in [cmd, bare, map] {
                    ws.send(Message::text(m.to_string())).await.expect("send");
                }
            }
            Behaviour::CloseThenSupersede => {
                // Connection numbers are global; odd-numbered sockets close normally.
                let code = if first_of_character % 2 == 1 { CloseCode::Normal } else { CloseCode::from(4000) };
                let reason = if code == CloseCode::Normal { "bye" } else { "superseded" };
                let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
            }
        }
    }
}

fn options(addr: SocketAddr, characters: usize, secs: u64) -> SimulateOptions {
    SimulateOptions {
        url: format!("ws://{addr}"),
        secret: SECRET.into(),
        characters,
        rate: 5.0,
        duration: Some(Duration::from_secs(secs)),
        seed: 7,
        ramp_up: Duration::ZERO,
        ..SimulateOptions::default()
    }
}

#[tokio::test]
async fn client_sends_the_secret_and_frames_and_acknowledges_commands() {
    let (addr, seen) = start_server(Behaviour::Collect).await;
    let report = sim::run(options(addr, 3, 3), std::future::pending::<()>()).await.expect("run succeeds");
    // Let the server drain the last frames and the close.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s = seen.lock().expect("lock");
    assert_eq!(s.secrets.len(), 3, "one socket per character");
    assert!(s.secrets.iter().all(|x| x.as_deref() == Some(SECRET)));
    assert!(s.paths.iter().all(|p| p == "/ws/position"));
    let count = |ty: &str| s.frames.iter().filter(|f| f["type"] == ty).count();
    assert!(count("character_stats") >= 3);
    assert!(s.frames.iter().filter(|f| f["type"] == "inventory" && f["mode"] == "full").count() == 3);
    assert!(count("telemetry") >= 3 * 10, "telemetry {}", count("telemetry"));
    for n in 1..=3 {
        for id in [format!("c-{n}"), format!("b-{n}")] {
            assert!(
                s.frames
                    .iter()
                    .any(|f| f["type"] == "command_result" && f["request_id"] == id.as_str() && f["ok"] == true),
                "no ack for {id}"
            );
        }
        let d = format!("d-{n}");
        assert!(
            s.frames.iter().any(|f| f["request_id"] == d.as_str()
                && (f["type"] == "dungeon_map" || (f["type"] == "command_result" && f["ok"] == false))),
            "no answer to {d}"
        );
    }
    assert_eq!(report.commands_acked, 6);
    assert_eq!(report.frames_sent as usize, s.frames.len(), "{report}");
    assert_eq!(report.connects, 3);
    assert_eq!(report.errors, 0, "{report}");
}

#[tokio::test]
async fn a_wrong_secret_ends_the_run_with_unauthorized() {
    let (addr, seen) = start_server(Behaviour::Collect).await;
    let opts = SimulateOptions { secret: "wrong".into(), ..options(addr, 2, 30) };
    let started = std::time::Instant::now();
    let result = sim::run(opts, std::future::pending::<()>()).await;
    assert_eq!(result.err(), Some(SimError::Unauthorized));
    assert!(started.elapsed() < Duration::from_secs(10), "401 must not be retried");
    assert!(seen.lock().expect("lock").frames.is_empty());
}

#[tokio::test]
async fn a_normal_close_reconnects_and_superseded_stops_the_client() {
    let (addr, seen) = start_server(Behaviour::CloseThenSupersede).await;
    let started = std::time::Instant::now();
    let report = sim::run(options(addr, 1, 30), std::future::pending::<()>()).await.expect("run succeeds");
    assert!(started.elapsed() < Duration::from_secs(20), "superseded must end the client");
    assert_eq!(report.superseded, 1, "{report}");
    assert_eq!(report.connects, 2, "{report}");
    assert_eq!(report.reconnects, 1, "{report}");
    assert_eq!(seen.lock().expect("lock").sockets, 2);
}

#[tokio::test]
async fn shutdown_future_stops_a_run_without_duration() {
    let (addr, _seen) = start_server(Behaviour::Collect).await;
    let opts = SimulateOptions { duration: None, ..options(addr, 2, 0) };
    let sim = sim::Simulation::new(opts).expect("valid options");
    let stats = sim.stats();
    let report = sim.run(tokio::time::sleep(Duration::from_millis(1500))).await.expect("run succeeds");
    assert!(report.elapsed < Duration::from_secs(5));
    assert_eq!(stats.snapshot().frames_sent, report.frames_sent);
    assert!(report.frames_sent > 0);
}

#[tokio::test]
async fn demo_characters_connect_and_report_positions() {
    let (addr, seen) = start_server(Behaviour::Collect).await;
    let handle = sim::spawn_demo(format!("ws://{addr}"), SECRET.into(), 4);
    tokio::time::sleep(Duration::from_secs(9)).await;
    handle.abort();
    let s = seen.lock().expect("lock");
    let names: std::collections::HashSet<&str> = s
        .frames
        .iter()
        .filter(|f| f["type"] == "telemetry")
        .filter_map(|f| f.get("character_name").or_else(|| f.get("player_name")).and_then(Value::as_str))
        .collect();
    assert_eq!(names.len(), 4, "every demo character reports its position: {names:?}");
}
