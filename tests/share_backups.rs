//! Scheduled backups with the real scheduler in a real server: backups run on their own,
//! each in a folder of its own (several a second apart or less), rotation keeps the newest
//! `backup_keep`, every kept copy passes `overlord restore-check` (the real binary), and a
//! failing schedule raises the backup-failed alert on a local webhook receiver (one per run).

mod alerts_support;
mod common;

use alerts_support::{FakeDiscord, fast_tuning};
use common::*;
use overlord::alerts::AlertKind;
use overlord::backup_schedule::{BackupSettings, Schedule, list};
use std::time::{Duration, Instant};

/// Faster than the config allows (1 minute), so several runs land in one second: the case
/// where two backups used to get the same folder name and the second deleted the first.
const FAST: Duration = Duration::from_millis(150);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_run_rotate_and_the_kept_copies_pass_restore_check() {
    let tmp = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.backups =
        Some(BackupSettings { dir: backups.path().to_path_buf(), schedule: Schedule::Every(FAST), keep: 3 });
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let mut p = plugin(&server).await;
    for i in 0..20 {
        send(&mut p, &telemetry("Mossy Tank", 10.0 + f64::from(i), 20.0, i)).await;
    }
    server.flush().await;
    let app = server.running.as_ref().unwrap().app.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.backups.status().successes < 6 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
    let status = app.backups.status();
    assert!(status.successes >= 6, "{status:?}");
    assert_eq!(status.failures, 0, "no run may collide with another: {status:?}");
    assert!(status.last_success_bytes.unwrap_or(0) > 0, "{status:?}");

    let kept = list(backups.path()).unwrap();
    let names: Vec<&str> = kept.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(kept.len(), 3, "rotation keeps the newest backup_keep: {names:?}");
    assert!(kept.iter().all(|e| e.verified && e.bytes > 0), "{kept:?}");
    let mut sorted = names.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(names, sorted, "listed newest first");
    for e in &kept {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_overlord"))
            .arg("restore-check")
            .arg(&e.path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "restore-check {}: {}{}",
            e.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_schedule_raises_the_backup_alert() {
    let discord = FakeDiscord::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut settings = settings_for(tmp.path());
    settings.alerts.tuning = fast_tuning();
    settings.alerts.extra_webhooks = vec![(AlertKind::Backup, discord.url("backup"))];
    // A folder that cannot be created: every scheduled run fails.
    settings.backups = Some(BackupSettings {
        dir: "/proc/overlord-cannot-write-here".into(),
        schedule: Schedule::Every(FAST),
        keep: 2,
    });
    let mut server = TestServer::start_in(tmp.path(), settings).await;
    let app = server.running.as_ref().unwrap().app.clone();
    let lines = discord.wait_for_lines("backup", 1, Duration::from_secs(10)).await;
    assert!(!lines.is_empty(), "no backup alert");
    assert!(
        lines[0].contains("Scheduled backup failed") && lines[0].contains("overlord-cannot-write-here"),
        "{lines:?}"
    );
    // Each failed run is its own event: at most one alert per run, never a storm.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.backups.status().failures < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let failures = app.backups.status().failures;
    assert!(failures >= 3, "{:?}", app.backups.status());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let failures_now = app.backups.status().failures;
    let delivered = discord.delivered_lines("backup").len() as u64;
    assert!(delivered <= failures_now, "{delivered} alerts for {failures_now} failed runs");
    let (_, _) = server.get("/healthz").await;
    let m = reqwest::get(format!("{}/metrics", server.base)).await.unwrap().text().await.unwrap();
    assert!(m.contains("overlord_backup_failures_total"), "{m}");
    server.stop().await;
}
