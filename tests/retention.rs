//! Retention: day files older than `retention_days` are deleted once their hourly rollups
//! are archived in `rollups.redb`, which keeps lifetime totals, leaderboards and long-range
//! rate charts whole. The history is written through the real writer with old receive
//! times, then a real server runs retention over it.

mod common;
use common::*;
use overlord::protocol::Telemetry;
use overlord::telemetry::store::DAY_MS;
use overlord::telemetry::writer::{self, JournalEntry, Persisted, Retention};
use overlord::telemetry::{Characters, DayFiles};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

const NAME: &str = "Old Timer";
/// Old days written: 10, 9, 8, 7 and 6 days before today, one hour of fixes each.
const OLD_DAYS: [i64; 5] = [10, 9, 8, 7, 6];
const FIXES_PER_DAY: u32 = 600;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The preparing writer's clock: archiving happened two hours ago, so retention may
/// delete at once (it waits an hour after archiving for copies in flight).
fn two_hours_ago() -> i64 {
    now() - 2 * 3_600_000
}

fn fix(name: &str, t: i64, kills: u32, ew: f64) -> JournalEntry {
    let tel =
        Telemetry { ew, ns: 40.0, kills: Some(kills), total_xp: Some(i64::from(kills) * 1000), ..Default::default() };
    JournalEntry {
        recv_ms: t,
        character: name.into(),
        client_time_ms: None,
        plugin_version: None,
        event: Persisted::Telemetry(tel),
    }
}

/// Writes the old days (each a session of `FIXES_PER_DAY` fixes 6 s apart, one kill per
/// fix) and a little of today. Returns the kills written on old days.
async fn write_history(dir: &Path) -> u64 {
    let state = Arc::new(redb::Database::create(dir.join("state.redb")).unwrap());
    let characters = Characters::open(state.clone()).unwrap();
    let days = DayFiles::open(dir).unwrap();
    let keep = Retention { days: None, clock: two_hours_ago, journal_window: writer::DEFAULT_JOURNAL_WINDOW };
    let (w, join, _) =
        writer::start(&dir.join("journal"), days, state, characters, Arc::new(AtomicU64::new(u64::MAX)), keep).unwrap();
    let today = now().div_euclid(DAY_MS);
    // Another character's fixes of today go first, so today's open day holds the journal
    // back past every old record (the journal keeps all records from an open day's first).
    for i in 0..10 {
        w.submit(fix("Today Walker", now() - 60_000 + i * 1000, 1, 30.0)).await.unwrap();
    }
    let mut old_kills = 0;
    for ago in OLD_DAYS {
        let start = (today - ago) * DAY_MS + 12 * 3_600_000;
        // A new session each day: the counter restarts at 0.
        for i in 0..FIXES_PER_DAY {
            w.submit(fix(NAME, start + i64::from(i) * 6_000, i, 10.0 + f64::from(i) * 0.001)).await.unwrap();
        }
        old_kills += u64::from(FIXES_PER_DAY) - 1;
    }
    w.shutdown().await.unwrap();
    join.join().unwrap();
    old_kills
}

fn day_file_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "redb"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_old_day_files_and_rollups_keep_their_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let old_kills = write_history(dir).await;
    assert_eq!(day_file_count(dir), OLD_DAYS.len() + 1, "the preparing writer deletes nothing");
    assert!(dir.join("rollups.redb").exists(), "closed days are archived as they close");

    // Before retention: the old days answer from their files.
    let mut settings = settings_for(dir);
    settings.retention_days = 180;
    let mut server = TestServer::start_in(dir, settings).await;
    let (_, before) = server.get("/api/characters/Old%20Timer").await;
    assert_eq!(before["lifetime"]["kills"], old_kills);
    server.stop().await;
    assert_eq!(day_file_count(dir), OLD_DAYS.len() + 1, "nothing is past 180 days");

    // With a 7-day window, the files of days 10, 9 and 8 ago go; 7 and 6 ago stay.
    let mut settings = settings_for(dir);
    settings.retention_days = 7;
    let mut server = TestServer::start_in(dir, settings).await;
    assert_eq!(day_file_count(dir), 3, "days older than 7 whole days are deleted at start");

    let (status, after) = server.get("/api/characters/Old%20Timer").await;
    assert_eq!(status, 200);
    assert_eq!(after["lifetime"], before["lifetime"], "lifetime totals survive retention");

    let (_, board) = server.get("/api/leaderboard?metric=kills&period=all").await;
    assert_eq!(board["rows"][0]["character_name"], NAME);
    assert_eq!(board["rows"][0]["value"], old_kills);
    let (_, month) = server.get("/api/leaderboard?metric=kills&period=month").await;
    assert_eq!(month["rows"][0]["value"], old_kills);
    let (_, week) = server.get("/api/leaderboard?metric=kills&period=week").await;
    // The week reaches back into day 7 ago: its noon session counts if the week starts before 13:00.
    let week_from = now() - 7 * DAY_MS;
    let today = now().div_euclid(DAY_MS);
    let in_week = OLD_DAYS.iter().filter(|ago| (today - **ago) * DAY_MS + 13 * 3_600_000 > week_from).count() as u64;
    assert_eq!(week["rows"][0]["value"], in_week * (u64::from(FIXES_PER_DAY) - 1), "{week}");

    // The raw trail of a deleted day is gone; its hourly rate still charts.
    let (from, to) = ((today - 11) * DAY_MS, now());
    let (_, trail) =
        server.get(&format!("/api/characters/Old%20Timer/trail?from={from}&to={}", (today - 8) * DAY_MS)).await;
    assert_eq!(trail["points"].as_array().unwrap().len(), 0);
    let (status, series) = server
        .get(&format!("/api/characters/Old%20Timer/series?metric=kills_per_hour&from={from}&to={to}&step_s=86400"))
        .await;
    assert_eq!(status, 200, "{series}");
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.len(), OLD_DAYS.len(), "one rate per day with play, deleted days included: {series}");
    // 599 kills in 3,594 s online: 600 per hour.
    assert!(points.iter().all(|p| p[1] == 600.0), "{series}");
    server.stop().await;

    let copy = dir.to_path_buf();
    let report = tokio::task::spawn_blocking(move || overlord::backup::restore_check(&copy)).await.unwrap().unwrap();
    assert_eq!(report.archived_days, OLD_DAYS.len());
    assert_eq!(report.day_files, 3);
    assert!(report.rollup_hours >= OLD_DAYS.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_journal_replay_does_not_bring_back_deleted_days() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write_history(dir).await;
    let mut settings = settings_for(dir);
    settings.retention_days = 7;
    let mut server = TestServer::start_in(dir, settings.clone()).await;
    server.stop().await;
    assert_eq!(day_file_count(dir), 3);
    // Damage today's file as a crash might: start-up then replays the whole journal, which
    // still holds records of the deleted days.
    let mut files: Vec<_> = std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "redb"))
        .collect();
    files.sort();
    let file = files.pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let half = bytes.len() / 2;
    bytes.truncate(half);
    std::fs::write(&file, bytes).unwrap();
    let _ = std::fs::remove_file(dir.join("CLEAN_SHUTDOWN"));
    let mut server = TestServer::start_in(dir, settings).await;
    assert_eq!(day_file_count(dir), 3, "today is rebuilt; no deleted day comes back");
    let (_, today_events) = server.get("/api/events?type=telemetry&character=Today%20Walker&limit=100").await;
    assert_eq!(today_events["events"].as_array().unwrap().len(), 10, "today's file was rebuilt whole");
    let aside = std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .count();
    assert_eq!(aside, 1, "the truncated file is kept aside for inspection");
    let (_, d) = server.get("/api/characters/Old%20Timer").await;
    let (_, board) = server.get("/api/leaderboard?metric=kills&period=all").await;
    assert_eq!(board["rows"][0]["value"], d["lifetime"]["kills"]);
    assert_eq!(d["lifetime"]["kills"], OLD_DAYS.len() as u64 * (u64::from(FIXES_PER_DAY) - 1), "nothing counted twice");
    server.stop().await;
}

/// Closed days an hour past closing are rewritten compacted, once, off the writer thread:
/// every stored row still reads back, the files are no larger, and each is marked so the
/// next start does not compact it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_days_are_compacted_once_and_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let old_kills = write_history(dir).await;
    let today = now().div_euclid(DAY_MS);
    let old_files: Vec<_> = OLD_DAYS
        .iter()
        .map(|ago| dir.join("telemetry").join(format!("{}.redb", overlord::telemetry::store::day_name(today - ago))))
        .collect();
    let before: Vec<u64> = old_files.iter().map(|p| std::fs::metadata(p).unwrap().len()).collect();

    let mut settings = settings_for(dir);
    settings.retention_days = 180;
    let mut server = TestServer::start_in(dir, settings.clone()).await;
    // The first housekeeping pass comes with the first checkpoint after start.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (_, metrics) = server.get("/metrics").await;
        let text = metrics.as_str().unwrap_or_default().to_string();
        if text.lines().any(|l| l == format!("overlord_day_files_compacted_total {}", OLD_DAYS.len())) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "closed days not compacted within 60 s");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let (from, to) = ((today - 11) * DAY_MS, now());
    let (status, events) =
        server.get(&format!("/api/events?type=telemetry&character=Old%20Timer&from={from}&to={to}&limit=5000")).await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(events["events"].as_array().unwrap().len(), OLD_DAYS.len() * FIXES_PER_DAY as usize);
    let (_, d) = server.get("/api/characters/Old%20Timer").await;
    assert_eq!(d["lifetime"]["kills"], old_kills);
    server.stop().await;

    for (path, size) in old_files.iter().zip(&before) {
        let after = std::fs::metadata(path).unwrap().len();
        assert!(after <= *size, "{} grew: {size} -> {after}", path.display());
        let db = redb::Builder::new().open_read_only(path).unwrap();
        let meta = overlord::telemetry::store::day_meta(&db).unwrap();
        assert!(meta.closed && meta.compacted, "{}: {meta:?}", path.display());
    }
    let leftovers = std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".compacting"))
        .count();
    assert_eq!(leftovers, 0);

    // A second start finds them compacted and leaves them alone.
    let mut server = TestServer::start_in(dir, settings).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let (_, metrics) = server.get("/metrics").await;
    assert!(metrics.as_str().unwrap_or_default().lines().any(|l| l == "overlord_day_files_compacted_total 0"));
    server.stop().await;
}

/// Yesterday's file, still open (or just closed) after midnight, does not hold the journal
/// back: once a snapshot in place for the copy gap holds every record the day has, the
/// journal keeps only its window, not everything since midnight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yesterday_does_not_hold_the_journal_past_its_window() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let state = Arc::new(redb::Database::create(dir.join("state.redb")).unwrap());
    let characters = Characters::open(state.clone()).unwrap();
    let days = DayFiles::open(dir).unwrap();
    let window = std::time::Duration::from_secs(30);
    let keep = Retention { days: None, clock: now, journal_window: window };
    let (w, join, _) =
        writer::start(&dir.join("journal"), days, state, characters, Arc::new(AtomicU64::new(u64::MAX)), keep).unwrap();
    let yesterday = now() - DAY_MS;
    for i in 0..50 {
        w.submit(fix("Night Owl", yesterday + i64::from(i) * 1000, i, 10.0)).await.unwrap();
    }
    // 45 s of today's records, five a second.
    let started = std::time::Instant::now();
    let mut i = 0;
    while started.elapsed() < std::time::Duration::from_secs(45) {
        w.submit(fix("Early Bird", now(), i, 20.0)).await.unwrap();
        i += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let age = w.stats.journal_gauge().unwrap().oldest_age_s(now());
    w.shutdown().await.unwrap();
    join.join().unwrap();
    // The window, plus a snapshot interval and a segment's roll of slack; not the 45 s
    // since the first record of today.
    assert!(age < 38.0, "the journal's oldest record is {age} s old with a 30 s window");
}
