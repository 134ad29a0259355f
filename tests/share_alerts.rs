//! Stuck, disconnected, level-up and backup-failed alerts end to end: a real server,
//! real plugin sockets, and a local stand-in for Discord. Each kind fires once with its
//! template applied, reaches every webhook of its kind, and does not fire again while the
//! condition holds.

mod alerts_support;
mod common;

use alerts_support::{FakeDiscord, fast_tuning};
use common::*;
use overlord::alerts::AlertKind;
use serde_json::json;
use std::time::{Duration, Instant};

fn tel(name: &str, ew: f64, level: u32, vt: &str) -> serde_json::Value {
    json!({"type":"telemetry","character_name":name,"ew":ew,"ns":42.1,"kills":5,"total_xp":1000,
           "level":level,"vt_state":vt,"is_dungeon":false})
}

async fn wait_lines(d: &FakeDiscord, hook: &str, n: usize, secs: u64) -> Vec<String> {
    d.wait_for_lines(hook, n, Duration::from_secs(secs)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_disconnected_levelup_and_backup_alerts_fire_once_with_templates() {
    let discord = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.alerts.tuning = fast_tuning();
    settings.alerts.extra_webhooks = vec![
        (AlertKind::Stuck, discord.url("stuck-a")),
        (AlertKind::Stuck, discord.url("stuck-b")),
        (AlertKind::Disconnected, discord.url("disc")),
        (AlertKind::Levelup, discord.url("level")),
        (AlertKind::Backup, discord.url("backup")),
    ];
    settings.alerts.templates = vec![
        (AlertKind::Stuck, "STUCK {character} at {coords}".into()),
        (AlertKind::Levelup, "{character} is now level {level}!".into()),
    ];
    // A backup folder that cannot be created: every backup fails.
    settings.backups = Some(overlord::backup_schedule::BackupSettings {
        dir: "/proc/overlord-cannot-write-here".into(),
        schedule: overlord::backup_schedule::Schedule::Every(Duration::from_secs(86_400)),
        keep: 2,
    });
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let app = server.running.as_ref().unwrap().app.clone();
    app.attention.set_thresholds_ms(1_500, 600);

    // Level-up: 200 → 201 is one alert, with the template.
    let mut tank = plugin(&server).await;
    send(&mut tank, &tel("Mossy Tank", 30.0, 200, "Combat")).await;
    send(&mut tank, &tel("Mossy Tank", 30.0, 201, "Combat")).await;
    let lines = wait_lines(&discord, "level", 1, 5).await;
    assert_eq!(lines, vec!["Mossy Tank is now level 201!"]);

    // Stuck: the same place, kills and XP for longer than the threshold, frames still
    // coming. One alert on each stuck webhook, and no second while it stays stuck.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        send(&mut tank, &tel("Mossy Tank", 30.0, 201, "Navigating")).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let a = wait_lines(&discord, "stuck-a", 1, 3).await;
    let b = wait_lines(&discord, "stuck-b", 1, 3).await;
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].starts_with("STUCK Mossy Tank at 42.1N, 30.0E"), "{a:?}");
    assert_eq!(a, b, "every webhook of the kind gets the line");
    let (_, att) = server.get("/api/attention").await;
    assert_eq!(att["stuck"][0]["name"], "Mossy Tank", "{att}");

    // Disconnected: a socket that ends without a close frame, not back in time.
    let mut crashy = plugin(&server).await;
    send(&mut crashy, &tel("Crashy", 10.0, 50, "Combat")).await;
    wait_online(&server, "Crashy").await;
    drop(crashy);
    // A clean logout is not a disconnection.
    let mut leaver = plugin(&server).await;
    send(&mut leaver, &tel("Leaver", 11.0, 50, "Combat")).await;
    wait_online(&server, "Leaver").await;
    leaver.close(None).await.unwrap();
    let disc = wait_lines(&discord, "disc", 1, 5).await;
    assert_eq!(disc.len(), 1, "{disc:?}");
    assert!(disc[0].contains("Crashy") && disc[0].contains("dropped without logging out"), "{disc:?}");
    let (_, att) = server.get("/api/attention").await;
    let names: Vec<&str> =
        att["disconnected"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Crashy"], "{att}");

    // Backup failed: the run answers the error and the alert goes out.
    let r = reqwest::Client::new().post(format!("{}/api/admin/backups/run", server.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["ok"], false, "{v}");
    let backup = wait_lines(&discord, "backup", 1, 5).await;
    assert_eq!(backup.len(), 1, "{backup:?}");
    assert!(backup[0].contains("Scheduled backup failed"), "{backup:?}");
    let m = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(m.contains("overlord_backup_failures_total 1"), "{m}");

    // Conditions still hold: nothing new.
    tokio::time::sleep(Duration::from_secs(2)).await;
    send(&mut tank, &tel("Mossy Tank", 30.0, 201, "Navigating")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(discord.delivered_lines("stuck-a").len(), 1);
    assert_eq!(discord.delivered_lines("disc").len(), 1);
    assert_eq!(discord.delivered_lines("level").len(), 1);
    server.stop().await;
}
