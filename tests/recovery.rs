//! Crash and copy recovery: damaged files found after an unclean stop are rebuilt from the
//! journal; a torn journal tail is dropped; nothing committed is lost.

mod common;
use common::*;
use serde_json::json;
use std::path::Path;

fn fast_settings(dir: &Path) -> overlord::config::Settings {
    let mut s = settings_for(dir);
    s.plugin_rate_per_s = 10_000;
    s
}

async fn ingest(server: &TestServer, name: &str, n: u32) {
    let mut ws = plugin(server).await;
    for i in 0..n {
        send(&mut ws, &telemetry(name, 10.0 + f64::from(i) * 0.001, 20.0, i)).await;
    }
    send(&mut ws, &json!({"type":"vitals","character_name":name,"health":n})).await;
    for _ in 0..200 {
        let (_, d) = server.get(&format!("/api/characters/{}", name.replace(' ', "%20"))).await;
        if d["vitals"]["health"] == json!(n) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    server.flush().await;
}

async fn stored_kills(server: &TestServer, name: &str) -> Vec<u64> {
    let (_, ev) =
        server.get(&format!("/api/events?type=telemetry&character={}&limit=10000", name.replace(' ', "%20"))).await;
    ev["events"].as_array().unwrap().iter().map(|e| e["kills"].as_u64().unwrap()).collect()
}

fn day_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "redb"))
        .collect()
}

#[tokio::test]
async fn a_damaged_day_file_is_rebuilt_from_the_journal_after_an_unclean_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    ingest(&server, "Rebuilt One", 400).await;
    server.stop().await;
    // Simulate a torn copy: scribble over the middle of today's file and drop the marker.
    let file = day_files(tmp.path()).pop().unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    let end = (mid + 8192).min(bytes.len());
    for b in &mut bytes[mid..end] {
        *b ^= 0xA5;
    }
    std::fs::write(&file, bytes).unwrap();
    std::fs::remove_file(tmp.path().join("CLEAN_SHUTDOWN")).unwrap();

    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    assert_eq!(stored_kills(&server, "Rebuilt One").await, (0..400).collect::<Vec<u64>>());
    let aside = std::fs::read_dir(tmp.path().join("telemetry"))
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains("damaged"));
    assert!(aside, "the damaged file is kept aside for inspection");
    server.stop().await;
}

#[tokio::test]
async fn a_torn_journal_tail_is_dropped_and_everything_before_it_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    ingest(&server, "Torn Tail", 300).await;
    server.stop().await;
    let seg = std::fs::read_dir(tmp.path().join("journal"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .max()
        .unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    std::io::Write::write_all(&mut f, &[0x40, 0, 0, 0, 1, 2, 3, 4, 5]).unwrap();
    drop(f);
    std::fs::remove_file(tmp.path().join("CLEAN_SHUTDOWN")).unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    assert_eq!(stored_kills(&server, "Torn Tail").await, (0..300).collect::<Vec<u64>>());
    ingest(&server, "Torn Tail", 5).await;
    assert_eq!(stored_kills(&server, "Torn Tail").await.len(), 305);
    server.stop().await;
}

#[tokio::test]
async fn redb_without_its_last_commits_catches_up_by_replay() {
    // A copy of the directory whose redb files are older than its journal (the journal
    // was copied later): replay brings redb forward.
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    ingest(&server, "Catch Up", 100).await;
    server.stop().await;
    let file = day_files(tmp.path()).pop().unwrap();
    let old_copy = std::fs::read(&file).unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    ingest(&server, "Catch Up", 50).await;
    server.stop().await;
    std::fs::write(&file, old_copy).unwrap();
    std::fs::remove_file(tmp.path().join("CLEAN_SHUTDOWN")).unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    let kills = stored_kills(&server, "Catch Up").await;
    assert_eq!(kills.len(), 150, "{kills:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_day_file_is_rebuilt_from_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    ingest(&server, "Cut Short", 300).await;
    server.stop().await;
    let file = day_files(tmp.path()).pop().unwrap();
    let len = std::fs::metadata(&file).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(len / 3).unwrap();
    std::fs::remove_file(tmp.path().join("CLEAN_SHUTDOWN")).unwrap();

    let mut server = TestServer::start_in(tmp.path(), fast_settings(tmp.path())).await;
    assert_eq!(stored_kills(&server, "Cut Short").await, (0..300).collect::<Vec<u64>>());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_state_file_is_restored_from_its_snapshot_and_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
    ingest(&server, "State Keeper", 200).await;
    // The first snapshot of state.redb is taken about 10 s after start.
    let snapshots = dir.join("snapshots");
    for _ in 0..400 {
        if std::fs::read_dir(&snapshots)
            .is_ok_and(|d| d.flatten().any(|e| e.path().extension().is_some_and(|x| x == "redb")))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A character first seen after the snapshot exists only in the journal.
    ingest(&server, "After Snapshot", 50).await;
    server.stop().await;
    let state = dir.join("state.redb");
    let len = std::fs::metadata(&state).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&state).unwrap().set_len(len / 2).unwrap();
    std::fs::remove_file(dir.join("CLEAN_SHUTDOWN")).unwrap();

    let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
    assert_eq!(stored_kills(&server, "State Keeper").await, (0..200).collect::<Vec<u64>>());
    assert_eq!(stored_kills(&server, "After Snapshot").await, (0..50).collect::<Vec<u64>>());
    let aside = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("state.redb.damaged"));
    assert!(aside, "the truncated state file is kept aside");
    server.stop().await;
}

/// A gauge or counter's value on `/metrics`.
async fn metric(server: &TestServer, name: &str) -> f64 {
    let (_, text) = server.get("/metrics").await;
    let text = text.as_str().unwrap_or_default().to_string();
    text.lines()
        .find(|l| l.split(' ').next() == Some(name))
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not on /metrics"))
}

fn segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut segs: Vec<_> = std::fs::read_dir(dir.join("journal"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "seg"))
        .collect();
    segs.sort();
    segs
}

/// Issue 13, 4 (a): the journal deleted after a clean stop. New events were numbered from 1,
/// at or below the day file's checkpoint, and silently skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_journal_numbers_past_the_day_files_and_stores_new_events() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
    ingest(&server, "Before Loss", 150).await;
    server.stop().await;
    std::fs::remove_dir_all(dir.join("journal")).unwrap();

    let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
    assert!(metric(&server, "overlord_journal_short_seqs").await >= 150.0, "the short journal is reported");
    ingest(&server, "After Loss", 60).await;
    assert_eq!(stored_kills(&server, "After Loss").await, (0..60).collect::<Vec<u64>>());
    assert_eq!(stored_kills(&server, "Before Loss").await, (0..150).collect::<Vec<u64>>());
    server.stop().await;
    // And after an unclean stop: the replay does not lose them either.
    std::fs::remove_file(dir.join("CLEAN_SHUTDOWN")).unwrap();
    let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
    assert_eq!(stored_kills(&server, "After Loss").await, (0..60).collect::<Vec<u64>>());
    ingest(&server, "After Loss", 10).await;
    assert_eq!(stored_kills(&server, "After Loss").await.len(), 70);
    server.stop().await;
}

/// Issue 13, 4 (b): a journal segment cut to half, to 5 bytes, or replaced by garbage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_journal_numbers_past_the_day_files_and_stores_new_events() {
    for (round, damage) in ["half", "five bytes", "garbage"].into_iter().enumerate() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
        ingest(&server, "Old Guard", 150).await;
        server.stop().await;
        for seg in segments(dir) {
            let len = std::fs::metadata(&seg).unwrap().len();
            if len == 0 {
                continue;
            }
            match damage {
                "half" => std::fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(len / 2).unwrap(),
                "five bytes" => std::fs::OpenOptions::new().write(true).open(&seg).unwrap().set_len(5).unwrap(),
                _ => std::fs::write(&seg, vec![0x5Au8; len as usize]).unwrap(),
            }
        }
        let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
        assert!(metric(&server, "overlord_journal_short_seqs").await > 0.0, "{damage}: reported");
        ingest(&server, "New Blood", 60).await;
        assert_eq!(stored_kills(&server, "New Blood").await, (0..60).collect::<Vec<u64>>(), "{damage}");
        assert_eq!(stored_kills(&server, "Old Guard").await, (0..150).collect::<Vec<u64>>(), "{damage}");
        server.stop().await;
        std::fs::remove_file(dir.join("CLEAN_SHUTDOWN")).unwrap();
        let mut server = TestServer::start_in(dir, fast_settings(dir)).await;
        assert_eq!(stored_kills(&server, "New Blood").await.len(), 60, "round {round}: {damage} after restart");
        assert_eq!(stored_kills(&server, "Old Guard").await.len(), 150, "round {round}: {damage} after restart");
        server.stop().await;
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            // Files renamed away mid-copy are skipped, as `cp` would report and go on.
            let _ = std::fs::copy(entry.path(), &target);
        }
    }
}

/// Issue 13, 4 (c): a copy that reached `journal/` before the day files (a slow `cp -r`).
/// The restored copy's journal ends before its day files' checkpoints; new events on it
/// must still be stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_took_the_journal_before_the_day_files_stores_new_events() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let copy = tmp.path().join("copy");
    let mut server = TestServer::start_in(&data, fast_settings(&data)).await;
    ingest(&server, "Copy Before", 150).await;
    // The copy reaches journal/ first...
    copy_dir(&data.join("journal"), &copy.join("journal"));
    // ...then, while it copies something big, the server keeps committing and checkpointing...
    ingest(&server, "Copy Middle", 100).await;
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    // ...and the rest of the directory comes later.
    for entry in std::fs::read_dir(&data).unwrap().flatten() {
        let name = entry.file_name();
        if name == "journal" || name == "index" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &copy.join(&name));
        } else {
            std::fs::copy(entry.path(), copy.join(&name)).unwrap();
        }
    }
    server.stop().await;

    let check = copy.clone();
    let report = tokio::task::spawn_blocking(move || overlord::backup::restore_check(&check)).await.unwrap().unwrap();
    assert!(report.telemetry_events >= 150, "{report:?}");
    let mut restored = TestServer::start_in(&copy, fast_settings(&copy)).await;
    assert_eq!(stored_kills(&restored, "Copy Before").await, (0..150).collect::<Vec<u64>>());
    assert!(metric(&restored, "overlord_journal_short_seqs").await > 0.0, "the short journal is reported");
    ingest(&restored, "Copy After", 100).await;
    assert_eq!(stored_kills(&restored, "Copy After").await, (0..100).collect::<Vec<u64>>());
    restored.stop().await;
    std::fs::remove_file(copy.join("CLEAN_SHUTDOWN")).unwrap();
    let mut restored = TestServer::start_in(&copy, fast_settings(&copy)).await;
    assert_eq!(stored_kills(&restored, "Copy After").await.len(), 100, "after an unclean restart too");
    restored.stop().await;
}
