//! Issue 13, damaged files at start-up: an empty or foreign `state.redb` is never taken
//! for an empty database (restored from the newest snapshot, or the start is refused with
//! the file named), the first snapshot exists from the first start, and an `index` that is
//! a file is moved aside and rebuilt.

mod common;
use common::*;
use overlord::auth::Role;

async fn users(server: &TestServer) -> Vec<String> {
    let app = server.running.as_ref().unwrap().app.clone();
    app.auth.list_users().await.unwrap().into_iter().map(|u| u.username).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_takes_a_snapshot_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), settings_for(tmp.path())).await;
    let snaps: Vec<_> = std::fs::read_dir(tmp.path().join("snapshots")).unwrap().flatten().collect();
    assert_eq!(snaps.len(), 1, "a snapshot exists as soon as the server is up");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_state_file_after_a_clean_stop_is_restored_from_the_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    let app = server.running.as_ref().unwrap().app.clone();
    app.auth.create_user("admin", "password1", Role::Admin).await.unwrap();
    // A snapshot that holds the user (the periodic one would come within minutes).
    overlord::snapshot::snapshot_state(&app.state_db, dir).unwrap();
    drop(app);
    server.stop().await;
    assert!(dir.join("CLEAN_SHUTDOWN").exists());
    for damage in [&b""[..], b"this is not a database at all, just some text", b"redb"] {
        std::fs::write(dir.join("state.redb"), damage).unwrap();
        let mut server = TestServer::start_in(dir, settings_for(dir)).await;
        assert_eq!(users(&server).await, vec!["admin".to_string()], "damage {damage:?}");
        server.stop().await;
    }
    let aside = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("state.redb.damaged"))
        .count();
    assert_eq!(aside, 3, "each damaged file is kept aside");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_state_file_with_no_snapshot_refuses_to_start_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    server.stop().await;
    std::fs::remove_dir_all(dir.join("snapshots")).unwrap();
    std::fs::write(dir.join("state.redb"), b"").unwrap();
    let err = match overlord::server::start(settings_for(dir)).await {
        Ok(_) => panic!("started on an empty state.redb with no snapshot"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("state.redb") && err.contains("empty"), "{err}");
    assert!(!err.contains('\n'), "one line: {err}");
    assert_eq!(std::fs::metadata(dir.join("state.redb")).unwrap().len(), 0, "the file is left as it was");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_path_that_is_a_file_is_moved_aside_and_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    server.stop().await;
    std::fs::remove_dir_all(dir.join("index")).unwrap();
    std::fs::write(dir.join("index"), b"not a directory").unwrap();
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    let (status, _) = server.get("/api/items/search?q=sword").await;
    assert_eq!(status, 200);
    assert!(dir.join("index").is_dir());
    let aside = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("index.not-a-directory"));
    assert!(aside, "the file is kept aside");
    server.stop().await;
}

/// `overlord user …` and `overlord import …` (the real binary) follow the same rule as
/// `serve` for a `state.redb` that is empty or not a database: restored from the newest
/// snapshot (said on stderr), or refused with a one-line error naming the file, which is
/// left as it was. Never a fresh empty database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_commands_never_turn_a_damaged_state_file_into_an_empty_database() {
    let bin = env!("CARGO_BIN_EXE_overlord");
    let run = |dir: &std::path::Path, args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .arg("--data-dir")
            .arg(dir)
            .env_remove("OVERLORD_DATA_DIR")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let portals = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        portals.path(),
        r#"{"id":1,"portal_name":"Portal to Halls of Metos","ew":5.912,"ns":-14.803,"z":22.0,"landcell":"0x866C0038","discovered_at":"2026-11-20T08:00:00+00:00","discovered_by":"Scout Ye","last_seen":"2026-11-21T08:00:00+00:00"}"#,
    )
    .unwrap();
    let jsonl = portals.path().to_str().unwrap().to_string();
    let import_args = ["import", "jsonl", "--quiet", "--table", "portals", jsonl.as_str()];

    // With a snapshot holding the user: each command restores it and carries on.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, settings_for(dir)).await;
    let app = server.running.as_ref().unwrap().app.clone();
    app.auth.create_user("admin", "password1", Role::Admin).await.unwrap();
    overlord::snapshot::snapshot_state(&app.state_db, dir).unwrap();
    drop(app);
    server.stop().await;
    for (damage, args) in [(&b""[..], &["user", "list"][..]), (&b"not a database"[..], &import_args[..])] {
        std::fs::write(dir.join("state.redb"), damage).unwrap();
        let (ok, out, err) = run(dir, args);
        assert!(ok, "{args:?}: {out}{err}");
        assert!(err.contains("state.redb") && err.contains("restored from"), "{args:?} says what it did: {err}");
        let (ok, out, err) = run(dir, &["user", "list"]);
        assert!(ok && out.contains("admin"), "{args:?} kept the users: {out}{err}");
    }

    // With no snapshot: refused, one line naming the file, the file untouched.
    for args in [&["user", "list"][..], &["user", "remove", "admin"][..], &import_args[..]] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("state.redb"), b"").unwrap();
        let (ok, out, err) = run(dir, args);
        assert!(!ok, "{args:?} ran on an empty state.redb: {out}{err}");
        let line = err.trim();
        assert!(line.contains("state.redb") && line.contains("empty"), "{args:?}: {err}");
        assert!(!line.contains('\n'), "{args:?}: one line: {err}");
        assert_eq!(std::fs::metadata(dir.join("state.redb")).unwrap().len(), 0, "{args:?} left the file as it was");
        assert!(!dir.join("snapshots").exists() || overlord::snapshot::list_snapshots(dir).is_empty());
    }
}
