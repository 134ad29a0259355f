//! Issue 13 item 7 against the real binary under a low descriptor limit (`prlimit
//! --nofile=400`): hundreds of connections that never send a byte, from many addresses,
//! cannot take the descriptors storage needs. While they are held, a plugin's events are
//! committed and stored; the per-address cap holds; the silent connections are closed
//! within the header deadline; healthz answers 200 afterwards (nothing degraded); a clean
//! stop checkpoints and the directory passes `overlord restore-check`.

mod common;
use common::{SECRET, telemetry};
use futures_util::SinkExt;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Descriptors the server gets: 400 − the 256 kept for storage = 144 connections.
const NOFILE: u32 = 400;
const PER_ADDRESS: usize = 24;
const FLOOD_ADDRESSES: u8 = 25;
const NAME: &str = "Fd Starved";

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

fn start(dir: &std::path::Path, log: &std::path::Path) -> Server {
    let bin = std::env::var("OVERLORD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_overlord").to_string());
    let mut child = Command::new("prlimit")
        .arg(format!("--nofile={NOFILE}:{NOFILE}"))
        .arg(bin)
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("OVERLORD_PLUGIN_SECRET", SECRET)
        .env("OVERLORD_MAX_CONNECTIONS_PER_ADDRESS", PER_ADDRESS.to_string())
        .env("OVERLORD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("prlimit and the overlord binary start");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(!addr.is_empty(), "no listening line: {line:?}");
    Server { child, addr }
}

/// A connection from `from` (any 127.0.0.0/8 address is this host) that sends nothing.
async fn silent(from: Ipv4Addr, to: SocketAddr) -> Option<TcpStream> {
    let s = TcpSocket::new_v4().ok()?;
    s.bind(SocketAddr::new(IpAddr::V4(from), 0)).ok()?;
    s.connect(to).await.ok()
}

/// Whether the server closed `s` (EOF or reset) within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 16];
    matches!(tokio::time::timeout(within, s.read(&mut buf)).await, Ok(Ok(0)) | Ok(Err(_)))
}

async fn get(addr: &str, path: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_under_a_low_descriptor_limit_cannot_starve_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("server.log");
    let data = tmp.path().join("data");
    let mut server = start(&data, &log);
    let to: SocketAddr = server.addr.parse().unwrap();

    // The plugin connects first and stays.
    let mut req = format!("ws://{}/ws/position", server.addr).into_client_request().unwrap();
    req.headers_mut().insert("X-Plugin-Secret", SECRET.parse().unwrap());
    let (mut plugin, _) = tokio_tungstenite::connect_async(req).await.unwrap();

    // One address asks for more than its share: exactly its cap stays open.
    let mut greedy = Vec::new();
    for _ in 0..PER_ADDRESS + 10 {
        greedy.extend(silent(Ipv4Addr::new(127, 0, 0, 50), to).await);
    }
    // Then a flood from many addresses: far more than the 144 connections allowed.
    let mut flood = Vec::new();
    for a in 0..FLOOD_ADDRESSES {
        for _ in 0..PER_ADDRESS {
            flood.extend(silent(Ipv4Addr::new(127, 0, 1, a + 1), to).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut greedy_open = 0;
    for s in &mut greedy {
        if !closed_within(s, Duration::from_millis(20)).await {
            greedy_open += 1;
        }
    }
    assert_eq!(greedy_open, PER_ADDRESS, "the per-address cap holds");

    // While every connection slot is taken, the plugin's events are stored.
    for i in 0..100u32 {
        let t = telemetry(NAME, 10.0 + f64::from(i) * 0.5, 20.0, i);
        plugin.send(Message::Text(t.to_string().into())).await.unwrap();
    }

    // The silent ones are closed within the header deadline (5 s).
    let started = Instant::now();
    for s in greedy.iter_mut().chain(flood.iter_mut()) {
        let left = Duration::from_secs(9).saturating_sub(started.elapsed());
        assert!(closed_within(s, left).await, "a silent connection stayed open");
    }
    drop(greedy);
    drop(flood);

    // Healthy again at once, and everything the plugin sent is there.
    let (status, body) = get(&server.addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let mut points = 0;
    for _ in 0..50 {
        let (_, trail) = get(&server.addr, &format!("/api/characters/{NAME}/trail?from=0")).await;
        points = trail["points"].as_array().map_or(0, Vec::len);
        if points == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(points, 100, "events sent while connections were exhausted are stored");
    let metrics = reqwest::get(format!("http://{}/metrics", server.addr)).await.unwrap().text().await.unwrap();
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok()))
            .unwrap_or_else(|| panic!("{name} not on /metrics"))
    };
    assert!(value("overlord_connections_refused_per_address_total ") >= 10.0, "{metrics}");
    assert!(value("overlord_connections_refused_total ") >= 1.0, "the total cap was reached: {metrics}");
    assert!(value("overlord_connections_header_timeout_total ") >= 100.0, "{metrics}");
    assert_eq!(value("overlord_accept_errors_total "), 0.0, "accept never ran out of descriptors: {metrics}");

    // A clean stop checkpoints; the directory passes restore-check.
    drop(plugin);
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "clean exit: {status:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("Too many open files"), "{text}");
    assert!(!text.to_lowercase().contains("checkpoint failed"), "{text}");
    let bin = std::env::var("OVERLORD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_overlord").to_string());
    let out = Command::new(bin).arg("restore-check").arg(&data).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
