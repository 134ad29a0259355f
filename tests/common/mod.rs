//! Shared test harness: a real server on an ephemeral port over a temp data dir, real
//! WebSocket clients, a real HTTP client.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use overlord::config::{Overrides, Settings};
use overlord::server::Running;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub const SECRET: &str = "test-secret-123";

pub struct TestServer {
    pub running: Option<Running>,
    pub base: String,
    pub ws: String,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

pub fn settings_for(dir: &Path) -> Settings {
    let flags =
        Overrides { data_dir: Some(dir.to_path_buf()), listen: Some("127.0.0.1:0".into()), ..Default::default() };
    let mut s = Settings::resolve(&flags, &[]).unwrap();
    s.plugin_secret = Some(SECRET.into());
    s
}

impl TestServer {
    pub async fn start() -> TestServer {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut s = TestServer::start_in(&dir, settings_for(&dir)).await;
        s._tmp = Some(tmp);
        s
    }

    pub async fn start_in(dir: &Path, settings: Settings) -> TestServer {
        let running = overlord::server::start(settings).await.unwrap();
        let base = format!("http://{}", running.addr);
        let ws = format!("ws://{}", running.addr);
        TestServer { running: Some(running), base, ws, dir: dir.to_path_buf(), _tmp: None }
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    pub async fn flush(&self) {
        self.running.as_ref().unwrap().app.writer.flush().await.unwrap();
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::get(format!("{}{}", self.base, path)).await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn plugin(server: &TestServer) -> Ws {
    plugin_with_secret(server, Some(SECRET)).await.unwrap()
}

pub async fn plugin_with_secret(
    server: &TestServer,
    secret: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = format!("{}/ws/position", server.ws).into_client_request().unwrap();
    if let Some(s) = secret {
        req.headers_mut().insert("X-Plugin-Secret", s.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

pub async fn browser(server: &TestServer) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{}/ws/live", server.ws)).await.unwrap();
    ws
}

pub async fn send(ws: &mut Ws, v: &Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

pub async fn send_text(ws: &mut Ws, s: &str) {
    ws.send(Message::Text(s.to_string().into())).await.unwrap();
}

/// Next text message as JSON, or None on close/timeout.
pub async fn recv_json(ws: &mut Ws, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(t.as_str()).ok(),
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Err(_) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Waits for a message matching `pred`.
pub async fn recv_until(ws: &mut Ws, within: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return None;
        }
        let v = recv_json(ws, left).await?;
        if pred(&v) {
            return Some(v);
        }
    }
}

/// The close code the server sent, waiting up to `within`.
pub async fn close_code(ws: &mut Ws, within: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, ws.next()).await {
            Ok(Some(Ok(Message::Close(Some(f))))) => return Some(f.code.into()),
            Ok(Some(Ok(Message::Close(None)))) => return Some(1005),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

pub fn fixture_lines() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/session.jsonl");
    std::fs::read_to_string(path).unwrap().lines().map(String::from).collect()
}

pub fn telemetry(name: &str, ew: f64, ns: f64, kills: u32) -> Value {
    serde_json::json!({"type":"telemetry","character_name":name,"timestamp":"2026-11-21T18:22:00.1234567Z",
        "landcell":"0xA9B40019","local_x":81.33,"local_y":11.8,"z":94.0,"ew":ew,"ns":ns,"heading":90.0,
        "is_dungeon":false,"kills":kills,"kills_per_hour":"612,4","deaths":"3","total_deaths":"41",
        "rares_found":0,"prismatic_taper_count":"1874","session_seconds":100,"xp_per_hour":1000,
        "level":200,"total_xp":123456789,"luminance":null,"vt_state":"Combat"})
}

/// Waits until `/api/live` lists `name` as online (the socket task has read its frame).
pub async fn wait_online(server: &TestServer, name: &str) {
    for _ in 0..200 {
        let (_, live) = server.get("/api/live").await;
        if live["characters"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["character_name"] == name && c["online"] == true))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{name} never came online");
}
