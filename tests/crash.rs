//! Crash and copy safety against the real binary: `kill -9` under sustained load, and
//! `cp -r` of the data directory while ingest runs. After every kill, each character's
//! stored telemetry is a gap-free prefix of what it sent and holds at least everything the
//! server had committed before the kill; every hot copy passes `restore-check` and holds
//! everything committed before the copy began.
//!
//! Both run with a short journal window (`OVERLORD_JOURNAL_WINDOW_S=30`), so the journal is
//! trimmed while they run and copy safety rests on the day-file snapshots; hot copies are
//! taken as `cp -r` and as slow copies that reach `telemetry/` and `journal/` seconds
//! apart, in both orders.
//!
//! `OVERLORD_SOAK=1` runs 100 kills instead of 20 and 24 hot copies instead of 6.

mod common;
use common::{SECRET, telemetry};
use futures_util::SinkExt;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const CLIENTS: usize = 4;
/// The journal window these tests run with: short, so trimming happens while they run.
const WINDOW_S: u64 = 30;

fn soak() -> bool {
    std::env::var("OVERLORD_SOAK").is_ok_and(|v| v == "1")
}

struct Server {
    child: Child,
    base: String,
    ws: String,
}

fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_overlord"))
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("OVERLORD_PLUGIN_SECRET", SECRET)
        .env("OVERLORD_PLUGIN_RATE_PER_S", "10000")
        .env("OVERLORD_JOURNAL_WINDOW_S", WINDOW_S.to_string())
        .env("OVERLORD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the overlord binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(!addr.is_empty(), "no listening line: {line:?}");
    Server { child, base: format!("http://{addr}"), ws: format!("ws://{addr}") }
}

async fn metric(server: &Server, name: &str) -> f64 {
    let text = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    text.lines()
        .find(|l| l.split(' ').next() == Some(name))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

async fn committed(server: &Server) -> u64 {
    metric(server, "overlord_writer_committed_events_total").await as u64
}

/// Plugin clients that send numbered telemetry as fast as the server takes it, or paced to
/// about `per_client_rate` frames/s.
fn load(
    server: &Server,
    prefix: &str,
    stop: Arc<AtomicBool>,
    per_client_rate: Option<u32>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|k| {
            let url = format!("{}/ws/position", server.ws);
            let name = format!("{prefix} {}", char::from(b'a' + k as u8));
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut req = url.into_client_request().unwrap();
                req.headers_mut().insert("X-Plugin-Secret", SECRET.parse().unwrap());
                let Ok((mut ws, _)) = tokio_tungstenite::connect_async(req).await else { return };
                let mut i = 0u32;
                let mut spawns = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let frame = telemetry(&name, 10.0 + f64::from(i % 1000) * 0.001, 20.0, i).to_string();
                    if ws.send(Message::Text(frame.into())).await.is_err() {
                        return;
                    }
                    // A spawn every tenth frame, numbered (object ids unique per client: the
                    // hub drops a spawn id seen in the last ten minutes): those rows are
                    // moved into compressed blocks at each start's first snapshot pass,
                    // which a kill can land in.
                    if i.is_multiple_of(10) {
                        let spawn = serde_json::json!({"type":"spawn","character_name":name,
                            "monster_name":"Drudge Skulker","object_id":spawn_id(k, spawns),"ew":1.0,"ns":2.0,"z":0.0,
                            "landcell":"0xA9B70038","is_dungeon":false});
                        if ws.send(Message::Text(spawn.to_string().into())).await.is_err() {
                            return;
                        }
                        spawns += 1;
                    }
                    i += 1;
                    if let Some(rate) = per_client_rate
                        && i.is_multiple_of(50)
                    {
                        tokio::time::sleep(Duration::from_millis(50_000 / u64::from(rate.max(1)))).await;
                    }
                }
            })
        })
        .collect()
}

/// Client `k`'s `n`th spawn's object id.
fn spawn_id(k: usize, n: u32) -> u32 {
    ((k as u32) << 20) | n
}

async fn stored_kills(server: &Server, name: &str) -> Vec<u64> {
    stored_numbers(server, "telemetry", "kills", name).await
}

/// `field` of every stored event of `kind` for `name`, in stored order.
async fn stored_numbers(server: &Server, kind: &str, field: &str, name: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url =
            format!("{}/api/events?type={kind}&character={}&from=0&limit=10000", server.base, name.replace(' ', "%20"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let v: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        out.extend(v["events"].as_array().unwrap().iter().map(|e| e[field].as_u64().unwrap()));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

fn kill9(server: &mut Server) {
    // SIGKILL: no flush, no checkpoint, no clean marker.
    let _ = server.child.kill();
    let _ = server.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_under_load_loses_nothing_committed() {
    let rounds = if soak() { 100 } else { 20 };
    let tmp = tempfile::tempdir().unwrap();
    let mut previous: Option<(String, u64)> = None;
    for round in 0..rounds {
        let mut server = start(tmp.path());
        if let Some((prefix, committed_before_kill)) = previous.take() {
            let mut total = 0u64;
            for k in 0..CLIENTS {
                let name = format!("{prefix} {}", char::from(b'a' + k as u8));
                let kills = stored_kills(&server, &name).await;
                let expected: Vec<u64> = (0..kills.len() as u64).collect();
                assert_eq!(kills, expected, "round {round}: {name} has gaps or duplicates");
                let spawns = stored_numbers(&server, "spawn", "object_id", &name).await;
                let expected: Vec<u64> = (0..spawns.len() as u32).map(|n| u64::from(spawn_id(k, n))).collect();
                assert_eq!(spawns, expected, "round {round}: {name}'s spawns have gaps or duplicates");
                total += (kills.len() + spawns.len()) as u64;
            }
            assert!(
                total >= committed_before_kill,
                "round {round}: {total} stored < {committed_before_kill} committed before the kill"
            );
        }
        let prefix = format!("Crash {}", roman(round));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = load(&server, &prefix, stop.clone(), None);
        tokio::time::sleep(Duration::from_millis(300 + (round as u64 * 137) % 900)).await;
        let c = committed(&server).await;
        kill9(&mut server);
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            let _ = c.await;
        }
        assert!(c > 0, "round {round}: nothing was committed under load");
        previous = Some((prefix, c));
    }
}

/// How a copy walks the data directory.
#[derive(Debug, Clone, Copy)]
enum CopyKind {
    /// `cp -r`, in whatever order readdir gives.
    CpR,
    /// Everything but `journal/` first, then `journal/` this long after (a slow copy).
    JournalLast(Duration),
    /// `journal/` first, then the rest this long after.
    JournalFirst(Duration),
}

fn cp_r(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-r").arg(from).arg(to).status().unwrap();
    assert!(status.success(), "cp -r {} failed", from.display());
}

/// Copies `data` into `copy` as `kind` says; each part with `cp -r`.
async fn take_copy(data: &Path, copy: &Path, kind: CopyKind) {
    std::fs::create_dir_all(copy).unwrap();
    let parts = |journal: bool| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(data)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| (p.file_name().unwrap() == "journal") == journal)
            .collect()
    };
    match kind {
        CopyKind::CpR => {
            std::fs::remove_dir(copy).unwrap();
            cp_r(data, copy);
        }
        CopyKind::JournalLast(gap) => {
            for p in parts(false) {
                cp_r(&p, &copy.join(p.file_name().unwrap()));
            }
            tokio::time::sleep(gap).await;
            cp_r(&data.join("journal"), &copy.join("journal"));
        }
        CopyKind::JournalFirst(gap) => {
            cp_r(&data.join("journal"), &copy.join("journal"));
            tokio::time::sleep(gap).await;
            for p in parts(false) {
                cp_r(&p, &copy.join(p.file_name().unwrap()));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_copies_under_load_restore_everything_committed_before_them() {
    let copies = if soak() { 24 } else { 6 };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = start(&data);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&server, "Copied", stop.clone(), Some(1_000));
    // Past one window, the journal has been trimmed: copies rest on the day snapshots.
    tokio::time::sleep(Duration::from_secs(WINDOW_S + 5)).await;
    let age = metric(&server, "overlord_journal_oldest_record_age_seconds").await;
    assert!(age > 0.0 && age <= WINDOW_S as f64, "the journal holds {age} s of records, window {WINDOW_S} s");
    assert!(metric(&server, "overlord_day_snapshots_total").await >= 1.0, "day files were snapshotted");
    // The cost of copy safety is visible to an operator: what each pass writes, how long.
    assert!(metric(&server, "overlord_day_snapshot_written_bytes_total").await > 0.0, "snapshot bytes are counted");
    let shown = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(shown.lines().any(|l| l.starts_with("overlord_day_snapshot_start_seconds ")), "the writer's time is shown");
    assert!(metric(&server, "overlord_day_snapshot_finish_seconds").await > 0.0, "the helper's time is shown");
    let gap = Duration::from_secs(4);
    for i in 0..copies {
        let kind = match i % 3 {
            0 => CopyKind::CpR,
            1 => CopyKind::JournalLast(gap),
            _ => CopyKind::JournalFirst(gap),
        };
        let before = committed(&server).await;
        let copy = tmp.path().join(format!("copy{i}"));
        take_copy(&data, &copy, kind).await;
        let out =
            Command::new(env!("CARGO_BIN_EXE_overlord")).args(["restore-check", "--json"]).arg(&copy).output().unwrap();
        assert!(
            out.status.success(),
            "copy {i} ({kind:?}): restore-check failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let held = report["telemetry_events"].as_u64().unwrap() + report["other_events"].as_u64().unwrap();
        assert!(
            held >= before,
            "copy {i} ({kind:?}) holds {held} events, but {before} were committed before it began: {report}"
        );
        if i < 3 {
            // The copy also opens as a server and serves what it holds, and stores new events.
            let _ = std::fs::remove_file(copy.join("index").join(".tantivy-writer.lock"));
            let mut restored = start(&copy);
            let mut total = 0;
            for k in 0..CLIENTS {
                let name = format!("Copied {}", char::from(b'a' + k as u8));
                total += stored_kills(&restored, &name).await.len() as u64;
                total += stored_numbers(&restored, "spawn", "object_id", &name).await.len() as u64;
            }
            assert!(total >= before, "restored copy {i} ({kind:?}) serves {total} < {before}");
            kill9(&mut restored);
        }
        std::fs::remove_dir_all(&copy).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.await;
    }
    kill9(&mut server);
}

/// Character names may hold only letters: number the rounds in letters.
fn roman(n: usize) -> String {
    let mut s = String::new();
    let mut n = n + 1;
    while n > 0 {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    s
}
