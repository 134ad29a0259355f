//! `/metrics` and `/metrics/game` as Prometheus users expect: both pass Prometheus's own
//! `promtool check metrics` lint, latencies are histograms, counters are counters, and
//! `/metrics/game` parses with a real Prometheus text parser, carries the per-character
//! families, and its cardinality stays bounded by the live window.
//!
//! Needs `promtool` (Debian package `prometheus`; `scripts/test-all.sh` installs it).
//! Without it the lint test fails with that instruction rather than passing silently.

mod common;

use common::*;
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn promtool_check(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run promtool ({e}): apt-get install prometheus (scripts/test-all.sh does)"))?;
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

async fn text(server: &TestServer, path: &str) -> String {
    let r = reqwest::get(format!("{}{path}", server.base)).await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    r.text().await.unwrap()
}

fn tel(name: &str, kills: u32, level: u32) -> serde_json::Value {
    json!({"type":"telemetry","character_name":name,"ew":30.0 + f64::from(kills),"ns":40.0,"kills":kills,
           "kills_per_hour":"612,4","total_xp":123456789,"xp_per_hour":1000,"level":level,"deaths":"3",
           "total_deaths":"41","rares_found":1,"prismatic_taper_count":"1874","vt_state":"Combat"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_endpoints_pass_promtool_and_latencies_are_histograms() {
    let mut server = TestServer::start().await;
    let mut p = plugin(&server).await;
    for i in 0..5 {
        send(&mut p, &tel("Mossy Tank", i, 200)).await;
    }
    send_text(&mut p, "not json").await;
    wait_online(&server, "Mossy Tank").await;
    server.flush().await;
    let _ = reqwest::get(format!("{}/api/items/search?q=sword", server.base)).await.unwrap();

    let m = text(&server, "/metrics").await;
    promtool_check(&m).unwrap_or_else(|e| panic!("promtool check metrics /metrics:\n{e}\n---\n{m}"));
    for family in ["overlord_writer_commit_seconds", "overlord_search_seconds"] {
        assert!(m.contains(&format!("# TYPE {family} histogram")), "{family} is a histogram:\n{m}");
        assert!(m.contains(&format!("{family}_bucket{{le=\"+Inf\"}}")), "{m}");
    }
    assert!(m.contains("overlord_search_seconds_count 1"), "{m}");
    assert!(!m.contains("overlord_writer_commit_seconds_count 0"), "commits are observed:\n{m}");
    // Every `_total` is a counter, nothing else is.
    for line in m.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut parts = line.split_whitespace().skip(2);
        let (name, kind) = (parts.next().unwrap(), parts.next().unwrap());
        assert_eq!(name.ends_with("_total"), kind == "counter", "{line}");
    }
    assert!(m.contains("overlord_alerts_raised_total"), "alert counters are present and typed");

    let g = text(&server, "/metrics/game").await;
    promtool_check(&g).unwrap_or_else(|e| panic!("promtool check metrics /metrics/game:\n{e}\n---\n{g}"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn game_metrics_parse_and_cardinality_follows_the_live_window() {
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.live_window_s = 10;
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let names: Vec<String> = (0..20).map(|i| format!("Char {}", char::from(b'a' + i))).collect();
    let mut sockets = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut p = plugin(&server).await;
        send(&mut p, &tel(n, i as u32, 100 + i as u32)).await;
        sockets.push(p);
    }
    wait_online(&server, names.last().unwrap()).await;
    let parse = |t: &str| prometheus_parse::Scrape::parse(t.lines().map(|l| Ok(l.to_string()))).expect("parses");

    let scrape = parse(&text(&server, "/metrics/game").await);
    let chars = |s: &prometheus_parse::Scrape, metric: &str| -> Vec<String> {
        s.samples
            .iter()
            .filter(|x| x.metric == metric)
            .filter_map(|x| x.labels.get("character").map(String::from))
            .collect()
    };
    assert_eq!(chars(&scrape, "overlord_game_online").len(), 20);
    let level = scrape
        .samples
        .iter()
        .find(|x| x.metric == "overlord_game_level" && x.labels.get("character") == Some("Char c"))
        .expect("level of Char c");
    assert!(matches!(level.value, prometheus_parse::Value::Gauge(v) if v == 102.0), "{:?}", level.value);
    let kph = scrape.samples.iter().find(|x| x.metric == "overlord_game_kills_per_hour").unwrap();
    assert!(matches!(kph.value, prometheus_parse::Value::Gauge(v) if (v - 612.4).abs() < 1e-9));
    let xp = scrape.samples.iter().find(|x| x.metric == "overlord_game_xp_total").unwrap();
    assert!(matches!(xp.value, prometheus_parse::Value::Counter(v) if v == 123456789.0), "{:?}", xp.value);
    for family in [
        "overlord_game_kills_total",
        "overlord_game_deaths_total",
        "overlord_game_rares_total",
        "overlord_game_prismatic_tapers",
        "overlord_game_xp_per_hour",
    ] {
        assert_eq!(chars(&scrape, family).len(), 20, "{family}");
    }
    // Series per character are fixed: at most 11 families × characters + 2 totals.
    assert!(scrape.samples.len() <= 20 * 11 + 2, "{}", scrape.samples.len());

    // Half log off; they stay listed (offline) within the window, then vanish.
    for mut p in sockets.drain(..10) {
        p.close(None).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let scrape = parse(&text(&server, "/metrics/game").await);
    let online: f64 = scrape
        .samples
        .iter()
        .filter(|x| x.metric == "overlord_game_online")
        .map(|x| match x.value {
            prometheus_parse::Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!((chars(&scrape, "overlord_game_online").len(), online), (20, 10.0));
    tokio::time::sleep(Duration::from_secs(11)).await;
    let scrape = parse(&text(&server, "/metrics/game").await);
    assert_eq!(chars(&scrape, "overlord_game_online").len(), 10, "only the online ones are left");
    server.stop().await;
}
