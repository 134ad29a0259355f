//! `overlord import seed` against a real PostgreSQL 15 loaded with the old stack's schema
//! (tests/import_support): the import, its report, idempotence, dry run, `kill -9` in the
//! middle then resume, and imported history visible through the HTTP API.

mod common;
mod import_support;

use import_support::{Postgres, load_old_stack, load_today_rows, write_issues};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_overlord");
const DAY_MS: i64 = 86_400_000;

fn import(pg: &Postgres, data: &Path, issues: &Path, extra: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["import", "--quiet", "--data-dir", &data.display().to_string()]);
    cmd.args(extra);
    cmd.args(["seed", "--telemetry-db", &pg.url("dereth"), "--inventory-db", &pg.socket_url("inventory_db")]);
    cmd.args(["--issues", &issues.display().to_string()]);
    cmd.env("OVERLORD_RETENTION_DAYS", "180").env_remove("OVERLORD_DATA_DIR");
    let out = cmd.output().expect("run overlord import");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn bcrypt_hashes() -> (String, String) {
    let a = bcrypt::hash_with_result("old boss pw", 4).expect("bcrypt").format_for_version(bcrypt::Version::TwoA);
    let b = bcrypt::hash_with_result("pleb pw 123", 4).expect("bcrypt").format_for_version(bcrypt::Version::TwoB);
    (a, b)
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            if e.file_type().expect("type").is_dir() {
                out.insert(e.path(), Vec::new());
                todo.push(e.path());
            } else {
                out.insert(e.path(), std::fs::read(e.path()).expect("read"));
            }
        }
    }
    out
}

/// What the data directory holds, read through the same storage API the server uses.
fn fingerprint(data: &Path) -> Value {
    let report = overlord::backup::restore_check(data).expect("restore-check");
    let v = serde_json::to_value(&report).expect("json");
    serde_json::json!({
        "telemetry_events": v["telemetry_events"],
        "other_events": v["other_events"],
        "characters": v["characters"],
        "archived_days": v["archived_days"],
        "rollup_hours": v["rollup_hours"],
        "journal_records": v["journal_records"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_imports_the_old_stack_and_history_shows_through_the_api() {
    let pg = Postgres::start();
    let (a, b) = bcrypt_hashes();
    load_old_stack(&pg, 720, &a, &b);
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let issues = tmp.path().join("openissues.json");
    write_issues(&issues);

    // Dry run: a report, nothing written.
    let (ok, out, err) = import(&pg, &data, &issues, &["--dry-run"]);
    assert!(ok, "dry run failed: {err}");
    assert!(out.contains("dry run"), "{out}");
    assert!(!data.exists(), "a dry run into a directory that does not exist creates nothing");

    let (ok, out, err) = import(&pg, &data, &issues, &[]);
    assert!(ok, "import failed: {err}\n{out}");
    // The report names skipped rows with reasons, unused columns and unread tables.
    for needle in
        ["bad character_name", "unreadable time", "mem_mb", "char_tag", "rare_stats", "char_stats", "bad telemetry"]
    {
        assert!(out.contains(needle), "report lacks {needle:?}:\n{out}");
    }
    assert!(out.contains("already existed") || out.contains("users: 2 imported"), "{out}");
    let first = fingerprint(&data);

    // A dry run over an imported directory leaves every byte of it alone.
    let before = tree(&data);
    let (ok, out, err) = import(&pg, &data, &issues, &["--dry-run"]);
    assert!(ok, "dry run failed: {err}");
    assert!(out.contains("dry run"), "{out}");
    let after = tree(&data);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "a dry run created or removed files"
    );
    for (path, bytes) in &before {
        assert!(after[path] == *bytes, "a dry run changed {}", path.display());
    }

    // Twice: nothing added.
    let (ok, out2, err) = import(&pg, &data, &issues, &[]);
    assert!(ok, "second import failed: {err}");
    assert!(out2.contains("0 day files written"), "second run wrote day files:\n{out2}");
    assert!(out2.contains("notes: 0 imported, 2 already present"), "{out2}");
    assert_eq!(fingerprint(&data), first, "a second import changed the data");

    // The server sees the imported history.
    let server = common::TestServer::start_in(&data, common::settings_for(&data)).await;
    server.flush().await;
    let now = chrono::Utc::now().timestamp_millis();
    let day3 = (now.div_euclid(DAY_MS) - 3) * DAY_MS;
    let (s, trail) =
        server.get(&format!("/api/characters/Mossy%20Tank/trail?from={}&to={}", day3, day3 + DAY_MS)).await;
    assert_eq!(s, 200, "{trail}");
    assert_eq!(trail["points"].as_array().map(Vec::len), Some(720), "one day of Mossy Tank's trail");
    let (s, series) = server
        .get(&format!("/api/characters/Mossy%20Tank/series?metric=kills&from={}&to={}&step_s=600", day3, day3 + DAY_MS))
        .await;
    assert_eq!(s, 200);
    assert!(series["points"].as_array().is_some_and(|p| p.len() >= 12), "{series}");
    let (_, odd) = server.get(&format!("/api/characters/Odd%20Fellow/trail?from={}&to={}", day3, day3 + DAY_MS)).await;
    let odd_points = odd["points"].as_array().cloned().unwrap_or_default();
    assert_eq!(odd_points.len(), 4, "awkward rows: 4 decodable, the duplicate dropped: {odd}");
    assert!(odd_points.iter().all(|p| p["landcell"] == serde_json::json!(0xA9B4_0019u32)), "{odd}");
    let (_, rares) = server.get("/api/rares?from=0").await;
    let names: Vec<&str> =
        rares["rares"].as_array().into_iter().flatten().filter_map(|r| r["rare_name"].as_str()).collect();
    assert_eq!(names, vec!["Alchemist's Crystal"], "one rare within retention (the duplicate dropped): {rares}");
    let (_, board) = server.get("/api/leaderboard?metric=rares&period=all").await;
    let rows = board["rows"].as_array().cloned().unwrap_or_default();
    let value = |n: &str| rows.iter().find(|r| r["character_name"] == n).and_then(|r| r["value"].as_u64());
    assert_eq!(value("Mossy Mage"), Some(1), "the rare from 400 days ago counts in lifetime figures: {board}");
    assert_eq!(value("Mossy Tank"), Some(1), "{board}");
    let (_, kills) = server.get("/api/leaderboard?metric=kills&period=all").await;
    let k = kills["rows"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["character_name"] == "Scout Ye"))
        .and_then(|r| r["value"].as_u64());
    assert!(k.is_some_and(|k| k >= 4 * 119), "kills of four days, the archived one included: {kills}");
    let (_, items) = server.get("/api/items/search?q=Koujia").await;
    assert_eq!(items["total"], 1, "imported items are searchable: {items}");
    let (_, axe) = server.get("/api/items/search?q=Battle%20Axe").await;
    assert_eq!(axe["total"], 1, "{axe}");
    let (_, notes) = server.get("/api/notes").await;
    let list = notes["notes"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{notes}");
    assert!(list.iter().any(|n| n["title"] == "Buy tapers" && n["state"] == "done"), "{notes}");
    let (_, portals) = server.get("/api/portals?q=metos").await;
    assert_eq!(portals["portals"].as_array().map(Vec::len), Some(1), "{portals}");
    // Today's rows went through the journal and are stored once the server started.
    let today = now.div_euclid(DAY_MS) * DAY_MS;
    let (_, today_trail) = server.get(&format!("/api/characters/Mossy%20Tank/trail?from={today}&to={now}")).await;
    assert!(today_trail["points"].as_array().is_some_and(|p| p.len() >= 5), "{today_trail}");
    let mut server = server;
    server.stop().await;

    // Users: bcrypt hashes kept, admin flag → admin.
    let db = overlord::server::open_state_db(&data).expect("state");
    let users = overlord::auth::cli::user_list(&db).expect("users");
    let role = |n: &str| users.iter().find(|u| u.username == n).map(|u| u.role);
    assert_eq!(role("oldboss"), Some(overlord::auth::Role::Admin));
    assert_eq!(role("pleb"), Some(overlord::auth::Role::Member));
    assert_eq!(role("plain"), None, "a plaintext password is not importable");
}

/// Runs `import seed` reading `dereth` through the Unix-socket URL form (the socket
/// directory percent-encoded as the host).
fn import_cmd(pg: &Postgres, data: &Path, issues: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["import", "--quiet", "--data-dir", &data.display().to_string(), "seed"]);
    cmd.args(["--telemetry-db", &pg.socket_uri("dereth"), "--inventory-db", &pg.url("inventory_db")]);
    cmd.args(["--issues", &issues.display().to_string()]);
    cmd.env("OVERLORD_RETENTION_DAYS", "180").env_remove("OVERLORD_DATA_DIR");
    cmd
}

fn run(mut cmd: Command) -> (bool, String, String) {
    let out = cmd.output().expect("run overlord import");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

#[test]
fn kill_9_at_any_moment_then_rerun_gives_one_clean_import() {
    let pg = Postgres::start();
    let (a, b) = bcrypt_hashes();
    load_old_stack(&pg, 1_500, &a, &b);
    // Today's open day goes through the telemetry journal: enough rows that a kill lands
    // while it is being written.
    load_today_rows(&pg, 15_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let issues = tmp.path().join("openissues.json");
    write_issues(&issues);
    let clean = tmp.path().join("clean");
    let started = std::time::Instant::now();
    let (ok, out, err) = run(import_cmd(&pg, &clean, &issues));
    let took = started.elapsed();
    assert!(ok, "{err}\n{out}");
    let want = fingerprint(&clean);
    assert!(want["journal_records"].as_u64().is_some_and(|n| n >= 45_000), "today's rows are journaled: {want}");

    // The state a kill leaves while the open day is being journaled, made exactly: every
    // past day written, the journal holding a prefix of today's rows ending in a torn
    // record, the import's RUNNING marker present and no clean-shutdown marker.
    let segments: Vec<_> = std::fs::read_dir(clean.join("journal"))
        .expect("journal")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    assert!(!segments.is_empty(), "the import journaled today's rows");
    for (n, keep) in [0.13f64, 0.5, 0.97].into_iter().enumerate() {
        let data = tmp.path().join(format!("torn-{n}"));
        copy_dir(&clean, &data);
        for seg in &segments {
            let path = data.join("journal").join(seg.file_name().expect("name"));
            let len = std::fs::metadata(&path).expect("len").len();
            let f = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
            f.set_len(((len as f64) * keep) as u64 | 1).expect("truncate");
        }
        std::fs::create_dir_all(data.join("import")).expect("mkdir");
        std::fs::write(data.join("import/RUNNING"), b"interrupted\n").expect("marker");
        let _ = std::fs::remove_file(data.join("CLEAN_SHUTDOWN"));
        assert_ne!(fingerprint(&data), want, "the torn journal lacks rows ({keep})");
        let (ok, out, err) = run(import_cmd(&pg, &data, &issues));
        assert!(ok, "resume with {keep} of the journal failed: {err}\n{out}");
        assert_eq!(fingerprint(&data), want, "journal cut at {keep} then rerun differs from one clean import");
    }

    // Real kills spread over a run (its length measured above, so the moments land in
    // reading, writing past days and journaling whatever the machine's speed).
    for (n, frac) in [0.2f64, 0.5, 0.8, 0.95].into_iter().enumerate() {
        let data = tmp.path().join(format!("killed-{n}"));
        let mut cmd = import_cmd(&pg, &data, &issues);
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("spawn");
        std::thread::sleep(took.mul_f64(frac));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (ok, out, err) = run(import_cmd(&pg, &data, &issues));
        assert!(ok, "resume after a kill at {frac} of a run failed: {err}\n{out}");
        assert_eq!(fingerprint(&data), want, "kill -9 at {frac} of a run then rerun differs from one clean import");
        if n == 0 {
            let (ok, out, _) = run(import_cmd(&pg, &data, &issues));
            assert!(ok && out.contains("0 day files written"), "{out}");
            assert_eq!(fingerprint(&data), want, "a third run adds nothing");
        }
    }
}
