//! The Alerts page's API end to end: settings edited over HTTP persist in `state.redb`
//! across a restart of the real binary, `overlord.toml` and `OVERLORD_*` values win and are
//! reported with their source (and refused as edits), bad edits are refused naming the
//! field, non-admins get 403, and "send test" posts through the real delivery worker to a
//! local stand-in for Discord (429 handling included) and reports the HTTP status.

mod alerts_support;
mod common;

use alerts_support::{FakeDiscord, Reply, fast_tuning};
use common::*;
use overlord::alerts::AlertKind;
use overlord::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Binary {
    child: Child,
    base: String,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_binary(dir: &Path) -> Binary {
    let mut child = Command::new(env!("CARGO_BIN_EXE_overlord"))
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .env("OVERLORD_PLUGIN_SECRET", SECRET)
        .env("OVERLORD_ALERT_DEATH_WEBHOOK", "https://discord.com/api/webhooks/9/SECRETTOKENXYZ")
        .env("OVERLORD_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the overlord binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();
    assert!(!addr.is_empty(), "no listening line: {line:?}");
    Binary { child, base: format!("http://{addr}") }
}

/// A loopback call (trusted as admin by default), with an Origin like a browser's.
async fn call(base: &str, m: Method, path: &str, body: Option<Value>, cookie: Option<&str>) -> (u16, Value) {
    let mut rb = reqwest::Client::new().request(m, format!("{base}{path}")).header("origin", base);
    if let Some(c) = cookie {
        rb = rb.header("cookie", c);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn kind<'a>(v: &'a Value, k: &str) -> &'a Value {
    v["kinds"].as_array().unwrap().iter().find(|x| x["kind"] == k).unwrap_or_else(|| panic!("no kind {k} in {v}"))
}

fn threshold<'a>(v: &'a Value, key: &str) -> &'a Value {
    v["thresholds"].as_array().unwrap().iter().find(|x| x["key"] == key).unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_persist_across_a_restart_and_file_and_env_values_win() {
    let discord = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("overlord.toml"),
        "alert_stuck_minutes = 25\n[alert_templates]\nlevelup = \"{character} L{level}\"\n",
    )
    .unwrap();
    let server = start_binary(tmp.path());
    let base = server.base.clone();

    let (s, v) = call(&base, Method::GET, "/api/alerts/settings", None, None).await;
    assert_eq!(s, 200, "{v}");
    let stuck = threshold(&v, "alert_stuck_minutes");
    assert_eq!((stuck["value"].as_u64(), stuck["source"].as_str()), (Some(25), Some("file")), "{stuck}");
    assert_eq!(stuck["fixed_by"], "overlord.toml");
    let death = kind(&v, "death");
    assert_eq!(death["webhooks_source"], "env");
    assert_eq!(death["webhooks_fixed_by"], "OVERLORD_ALERT_DEATH_WEBHOOK");
    assert!(!v.to_string().contains("SECRETTOKENXYZ"), "a fixed webhook's token is never shown: {v}");
    assert_eq!(kind(&v, "levelup")["template_source"], "file");
    assert_eq!(threshold(&v, "alert_disconnected_minutes")["source"], "default");

    // Edits: a rare webhook, a threshold, level-up switched off.
    let rare_url = discord.url("rare-token-1");
    let patch = json!({"kinds": {"rare": {"webhooks": [rare_url], "template": "{character} got {rare_name}"},
                                 "levelup": {"enabled": false}},
                       "thresholds": {"alert_disconnected_minutes": 7}});
    let (s, v) = call(&base, Method::PUT, "/api/alerts/settings", Some(patch), None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(kind(&v, "rare")["webhooks"], json!([rare_url]));
    assert_eq!(kind(&v, "rare")["active"], true);
    assert_eq!(threshold(&v, "alert_disconnected_minutes")["value"], 7);

    // What the file or the environment sets cannot be changed here, and the answer says where.
    let (s, e) =
        call(&base, Method::PUT, "/api/alerts/settings", Some(json!({"thresholds": {"alert_stuck_minutes": 3}})), None)
            .await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("overlord.toml"), "{e}");
    let (s, e) =
        call(&base, Method::PUT, "/api/alerts/settings", Some(json!({"kinds": {"death": {"webhooks": []}}})), None)
            .await;
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("OVERLORD_ALERT_DEATH_WEBHOOK"), "{e}");

    // Validation: scheme, placeholder, range, unknown fields; nothing is stored.
    for (bad, want) in [
        (json!({"kinds": {"rare": {"webhooks": ["ftp://example.org/hook"]}}}), "rare webhook 1"),
        (json!({"kinds": {"rare": {"webhooks": ["http://discord.com/api/webhooks/1/x"]}}}), "clear text"),
        (json!({"kinds": {"rare": {"template": "{who} found it"}}}), "{who}"),
        (json!({"kinds": {"rare": {"template": "x".repeat(1_001)}}}), "longer than 1000"),
        (json!({"thresholds": {"alert_disconnected_minutes": 0}}), "outside 1..=1440"),
        (json!({"thresholds": {"alert_nonsense": 1}}), "not a threshold"),
    ] {
        let (s, e) = call(&base, Method::PUT, "/api/alerts/settings", Some(bad.clone()), None).await;
        assert_eq!(s, 422, "{bad} → {e}");
        assert!(e["error"]["message"].as_str().unwrap().contains(want), "{bad} → {e}");
    }
    let (s, _) = call(&base, Method::PUT, "/api/alerts/settings", Some(json!({"kindz": {}})), None).await;
    assert!(s == 400 || s == 422, "unknown field answered {s}");

    // Send test to the saved webhook: a real post, template applied, status reported.
    let (s, r) = call(&base, Method::POST, "/api/alerts/test", Some(json!({"kind": "rare", "index": 0})), None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["done"].as_bool(), r["delivered"].as_bool(), r["status"].as_u64()),
        (Some(true), Some(true), Some(204)),
        "{r}"
    );
    assert!(!r["webhook"].as_str().unwrap().contains("rare-token-1"), "{r}");
    let lines = discord.wait_for_lines("rare-token-1", 1, Duration::from_secs(5)).await;
    assert_eq!(lines, vec!["🧪 Test from Overlord: Test Character got Pearl of Blood Drinking"]);
    let (_, recent) = call(&base, Method::GET, "/api/alerts/recent", None, None).await;
    assert_eq!(recent["recent"][0]["test"], true, "{recent}");
    assert_eq!(recent["recent"][0]["status"], 204, "{recent}");

    // Restart the binary: the edits are still there.
    drop(server);
    let server = start_binary(tmp.path());
    let (s, v) = call(&server.base, Method::GET, "/api/alerts/settings", None, None).await;
    assert_eq!(s, 200);
    assert_eq!(kind(&v, "rare")["webhooks"], json!([rare_url]), "{v}");
    assert_eq!(kind(&v, "rare")["webhooks_source"], "dashboard");
    assert_eq!(kind(&v, "rare")["template"], "{character} got {rare_name}");
    assert_eq!(kind(&v, "levelup")["enabled"], false);
    assert_eq!(threshold(&v, "alert_disconnected_minutes")["value"], 7);
    assert_eq!(threshold(&v, "alert_disconnected_minutes")["source"], "dashboard");
    assert_eq!(threshold(&v, "alert_stuck_minutes")["value"], 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_reach_the_alert_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = settings_for(tmp.path());
    s.trust_loopback = false;
    let server = TestServer::start_in(tmp.path(), s).await;
    let auth = &server.running.as_ref().unwrap().app.auth;
    auth.create_user("Pleb", "password2", Role::Member).await.unwrap();
    auth.create_user("Boss", "password1", Role::Admin).await.unwrap();
    let login = |user: &'static str, pw: &'static str| {
        let base = server.base.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/api/auth/login"))
                .header("origin", base.clone())
                .json(&json!({"username": user, "password": pw}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string()
        }
    };
    let member = login("Pleb", "password2").await;
    let admin = login("Boss", "password1").await;
    let routes = [
        (Method::GET, "/api/alerts/settings", None),
        (Method::PUT, "/api/alerts/settings", Some(json!({"thresholds": {"alert_idle_minutes": 5}}))),
        (
            Method::POST,
            "/api/alerts/test",
            Some(json!({"kind": "rare", "url": "https://discord.com/api/webhooks/1/t"})),
        ),
        (Method::GET, "/api/alerts/recent", None),
    ];
    for (m, path, body) in routes {
        let (s, _) = call(&server.base, m.clone(), path, body.clone(), None).await;
        assert_eq!(s, 401, "{m} {path} anonymous");
        let (s, _) = call(&server.base, m.clone(), path, body, Some(&member)).await;
        assert_eq!(s, 403, "{m} {path} member");
    }
    let (s, v) = call(&server.base, Method::GET, "/api/alerts/settings", None, Some(&admin)).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_test_goes_through_rate_limits_and_reports_refusals() {
    let discord = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.alerts.tuning = fast_tuning();
    settings.alerts.extra_webhooks = vec![(AlertKind::Stuck, discord.url("stuck-hook"))];
    let server = TestServer::start_in(tmp.path(), settings).await;
    let base = server.base.clone();

    // A 429 first: the worker waits its retry_after and posts again.
    discord.script(vec![Reply::RateLimited { body_retry_after: Some(0.3), header: None }, Reply::Ok]);
    let (s, r) = call(&base, Method::POST, "/api/alerts/test", Some(json!({"kind": "stuck", "index": 0})), None).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["delivered"].as_bool(), r["status"].as_u64(), r["attempts"].as_u64()),
        (Some(true), Some(204), Some(2)),
        "{r}"
    );
    let posts = discord.posts_to("stuck-hook");
    assert_eq!(posts.iter().map(|p| p.answered).collect::<Vec<_>>(), vec![429, 204]);
    assert!(posts[1].at.duration_since(posts[0].at) >= Duration::from_millis(300), "retry_after honoured");
    assert!(posts[1].content().starts_with("🧪 Test from Overlord: "), "{}", posts[1].content());

    // An unsaved URL that the webhook refuses: the status and message come back.
    discord.script(vec![Reply::Status(404)]);
    let url = discord.url("gone-hook");
    let (s, r) = call(
        &base,
        Method::POST,
        "/api/alerts/test",
        Some(json!({"kind": "levelup", "url": url, "template": "{character} up"})),
        None,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["done"].as_bool(), r["delivered"].as_bool(), r["status"].as_u64()),
        (Some(true), Some(false), Some(404)),
        "{r}"
    );
    assert!(r["error"].as_str().unwrap().contains("HTTP 404"), "{r}");
    assert_eq!(r["line"], "🧪 Test from Overlord: Test Character up");

    // Bad requests: no such saved webhook, a bad URL, a bad template.
    let (s, _) = call(&base, Method::POST, "/api/alerts/test", Some(json!({"kind": "stuck", "index": 5})), None).await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &base,
        Method::POST,
        "/api/alerts/test",
        Some(json!({"kind": "rare", "url": "http://example.org/h"})),
        None,
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = call(
        &base,
        Method::POST,
        "/api/alerts/test",
        Some(json!({"kind": "stuck", "index": 0, "template": "{nope}"})),
        None,
    )
    .await;
    assert_eq!(s, 422);

    // A threshold edit applies at once to the one stuck/disconnected detection.
    let app = server.running.as_ref().unwrap().app.clone();
    let (s, _) = call(
        &base,
        Method::PUT,
        "/api/alerts/settings",
        Some(json!({"thresholds": {"alert_stuck_minutes": 3, "alert_disconnected_minutes": 2}})),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(app.attention.thresholds_ms(), (180_000, 120_000));
}
