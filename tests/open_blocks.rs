//! Open telemetry blocks: each row is stored once in the day file's tail table and each
//! block is compressed once, when it seals (1,024 rows, an hour's span, or its day
//! closing). The other kinds (spawns here) move from their tail into compressed blocks at
//! the snapshot passes and when their day closes. Written through the real writer into
//! real redb files.

use overlord::protocol::Telemetry;
use overlord::telemetry::block;
use overlord::telemetry::store::DAY_MS;
use overlord::telemetry::writer::{self, JournalEntry, Persisted, Retention};
use overlord::telemetry::{Characters, DayFiles};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

const BLOCKS: TableDefinition<(u32, i64, u32), &[u8]> = TableDefinition::new("telemetry_blocks");
const TAIL: TableDefinition<(u32, i64, u32), &[u8]> = TableDefinition::new("telemetry_tail");
const NAME: &str = "Open Block";

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A clock two days ahead: every day written so far is past its close grace.
fn two_days_ahead() -> i64 {
    now() + 2 * DAY_MS
}

/// A clock six minutes ahead: every open block written at `now` is past its age limit.
fn six_minutes_ahead() -> i64 {
    now() + 360_000
}

/// The first fix's time: two minutes ago (so an open block is not sealed as its
/// character's silence by the writer's first pass), and early enough today that 2,500
/// fixes `STEP_MS` apart (250 s) stay today.
fn start_ms() -> i64 {
    let today = now().div_euclid(DAY_MS) * DAY_MS;
    (now() - 120_000).max(today).min(today + DAY_MS - 260_000)
}

fn fix(t: i64, kills: u32) -> JournalEntry {
    JournalEntry {
        recv_ms: t,
        character: NAME.into(),
        client_time_ms: Some(t - 250),
        plugin_version: Some("4.2.0".into()),
        event: Persisted::Telemetry(Telemetry {
            ew: 10.0 + f64::from(kills) * 0.001,
            ns: 40.0,
            kills: Some(kills),
            vt_state: Some("Combat".into()),
            ..Default::default()
        }),
    }
}

/// Fixes arrive this far apart: 2,500 of them stay within one block's age limit.
const STEP_MS: i64 = 100;

/// Runs the real writer over `dir` with `clock`, submits `kills` fixes `STEP_MS` apart from
/// `t0`, and stops it cleanly.
async fn run_writer(dir: &Path, clock: fn() -> i64, t0: i64, kills: std::ops::Range<u32>) {
    run_writer_with(dir, clock, kills.map(|k| fix(t0 + i64::from(k) * STEP_MS, k)).collect()).await;
}

/// Starts the real writer over `dir` with `retention`.
fn start_writer(dir: &Path, retention: Retention) -> (writer::WriterHandle, std::thread::JoinHandle<()>) {
    let state = Arc::new(redb::Database::create(dir.join("state.redb")).unwrap());
    let characters = Characters::open(state.clone()).unwrap();
    let days = DayFiles::open(dir).unwrap();
    let (w, join, _) =
        writer::start(&dir.join("journal"), days, state, characters, Arc::new(AtomicU64::new(u64::MAX)), retention)
            .unwrap();
    (w, join)
}

/// Runs the real writer over `dir` with `clock`, submits `entries` and stops it cleanly.
async fn run_writer_with(dir: &Path, clock: fn() -> i64, entries: Vec<JournalEntry>) {
    let (w, join) = start_writer(dir, Retention { days: None, clock, journal_window: writer::DEFAULT_JOURNAL_WINDOW });
    for e in entries {
        w.submit(e).await.unwrap();
    }
    w.shutdown().await.unwrap();
    join.join().unwrap();
}

/// The data directory's only day file.
fn only_day_file(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir.join("telemetry"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "redb"))
        .unwrap()
}

/// Rows per sealed block, and rows in the tail, of the only day file.
fn layout(dir: &Path) -> (Vec<usize>, usize) {
    let db = redb::Database::open(only_day_file(dir)).unwrap();
    let txn = db.begin_read().unwrap();
    let blocks: Vec<usize> = txn
        .open_table(BLOCKS)
        .unwrap()
        .iter()
        .unwrap()
        .map(|e| block::decode(e.unwrap().1.value()).unwrap().len())
        .collect();
    let tail = txn.open_table(TAIL).unwrap().iter().unwrap().count();
    (blocks, tail)
}

fn stored_kills(dir: &Path) -> Vec<u32> {
    let days = DayFiles::open(dir).unwrap();
    let state = Arc::new(redb::Database::open(dir.join("state.redb")).unwrap());
    let id = Characters::open(state).unwrap().id_of(NAME).unwrap();
    days.trail(id, 0, i64::MAX).unwrap().iter().map(|r| r.tel.kills.unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_wait_in_the_tail_until_their_block_seals_and_a_restart_continues_the_block() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    run_writer(tmp.path(), now, t0, 0..1500).await;
    // 1,024 rows sealed into one block; the next 476 wait in the tail.
    assert_eq!(layout(tmp.path()), (vec![1024], 476));
    run_writer(tmp.path(), now, t0, 1500..2500).await;
    // The restart continued the open block: it sealed at 2,048 rows, not at a restart.
    assert_eq!(layout(tmp.path()), (vec![1024, 1024], 452));
    assert_eq!(stored_kills(tmp.path()), (0..2500).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_rows_are_written_against_their_first_row_and_read_from_any_point() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    run_writer(tmp.path(), now, t0, 0..300).await;
    // What an older binary left: every open row whole. Rewrite the tail that way.
    let day_file = only_day_file(tmp.path());
    let keys: Vec<(u32, i64, u32)> = {
        let db = redb::Database::open(&day_file).unwrap();
        let txn = db.begin_read().unwrap();
        txn.open_table(TAIL).unwrap().iter().unwrap().map(|e| e.unwrap().0.value()).collect()
    };
    let rows = DayFiles::open(tmp.path()).unwrap().trail(keys[0].0, 0, i64::MAX).unwrap();
    assert_eq!(rows.len(), 300);
    let whole: Vec<((u32, i64, u32), Vec<u8>)> =
        keys.into_iter().zip(&rows).map(|(k, r)| (k, block::encode_row(r))).collect();
    let tail_bytes = |path: &Path| -> (usize, usize) {
        let db = redb::Database::open(path).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(TAIL).unwrap();
        let sizes: Vec<usize> = t.iter().unwrap().map(|e| e.unwrap().1.value().len()).collect();
        (sizes.len(), sizes.iter().sum())
    };
    let (rows, anchored_bytes) = tail_bytes(&day_file);
    let whole_bytes: usize = whole.iter().map(|(_, v)| v.len()).sum();
    assert_eq!(rows, 300);
    assert!(anchored_bytes * 10 < whole_bytes * 7, "open rows {anchored_bytes} bytes, whole {whole_bytes}");
    {
        let db = redb::Database::open(&day_file).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(TAIL).unwrap();
            for (k, v) in &whole {
                t.insert(*k, v.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }
    // The next binary continues that block (against its whole first row) and seals it.
    run_writer(tmp.path(), now, t0, 300..1100).await;
    assert_eq!(layout(tmp.path()), (vec![1024], 76));
    run_writer(tmp.path(), now, t0, 1100..1200).await;
    assert_eq!(stored_kills(tmp.path()), (0..1200).collect::<Vec<_>>());
    // Reads that start inside the open block find its first row themselves.
    let days = DayFiles::open(tmp.path()).unwrap();
    let id = Characters::open(Arc::new(redb::Database::open(tmp.path().join("state.redb")).unwrap()))
        .unwrap()
        .id_of(NAME)
        .unwrap();
    let at = |k: i64| t0 + k * STEP_MS;
    let mid: Vec<u32> = days.trail(id, at(1150), at(1160)).unwrap().iter().map(|r| r.tel.kills.unwrap()).collect();
    assert_eq!(mid, (1150..=1160).collect::<Vec<_>>());
    let last = days.trail_last(id, at(1100), at(1170), |r| r.tel.kills.is_some_and(|k| k % 7 == 0)).unwrap();
    assert_eq!(last.and_then(|r| r.tel.kills), Some(1169));
    let row = days.trail(id, at(1123), at(1123)).unwrap();
    assert_eq!(row.len(), 1);
    assert!((row[0].tel.ew - (10.0 + 1123.0 * 0.001)).abs() < 1e-9);
    assert_eq!(row[0].tel.vt_state.as_deref(), Some("Combat"));
    assert_eq!(row[0].client_time_ms, Some(at(1123) - 250));
    drop(days);
    // `overlord downgrade`: every open row whole again, reading the same.
    let day_file = only_day_file(tmp.path());
    assert_eq!(overlord::telemetry::tail::write_open_rows_whole(&day_file).unwrap(), 175);
    assert_eq!(overlord::telemetry::tail::write_open_rows_whole(&day_file).unwrap(), 0);
    {
        let db = redb::Database::open(&day_file).unwrap();
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(TAIL).unwrap();
        assert!(t.iter().unwrap().all(|e| !block::is_anchored(e.unwrap().1.value())));
    }
    assert_eq!(stored_kills(tmp.path()), (0..1200).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_seals_once_its_first_row_is_five_minutes_old() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    // 100 fixes in the first minute, then one six minutes after the first: the block seals
    // at 100 rows and the late fix opens the next.
    run_writer(tmp.path(), now, t0, 0..100).await;
    let (w, join) =
        start_writer(tmp.path(), Retention { days: None, clock: now, journal_window: writer::DEFAULT_JOURNAL_WINDOW });
    w.submit(fix(t0 + 360_000, 100)).await.unwrap();
    w.shutdown().await.unwrap();
    join.join().unwrap();
    assert_eq!(layout(tmp.path()), (vec![100], 1));
    assert_eq!(stored_kills(tmp.path()), (0..101).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_whose_character_stopped_sending_seals_at_the_next_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    // A restart finds the block in the tail only; six minutes on, the first pass seals it.
    run_writer(tmp.path(), now, t0, 0..40).await;
    assert_eq!(layout(tmp.path()), (vec![], 40));
    run_writer(tmp.path(), six_minutes_ahead, t0, 0..0).await;
    assert_eq!(layout(tmp.path()), (vec![40], 0));

    // A block the running writer holds open: sealed by the pass, and the character's next
    // fix (still within five minutes of the sealed block's first row) starts a new block
    // rather than continuing the sealed one.
    // The shortest window: a pass every 6 s (the first one ran at start, before these rows).
    let retention = Retention::forever().with_journal_window(std::time::Duration::ZERO);
    let (w, join) = start_writer(tmp.path(), Retention { clock: six_minutes_ahead, ..retention });
    let t1 = t0 + 10_000;
    for k in 40..100 {
        w.submit(fix(t1 + i64::from(k) * STEP_MS, k)).await.unwrap();
    }
    w.flush().await.unwrap();
    let waited = std::time::Instant::now();
    while w.stats.stale_blocks_sealed.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        assert!(waited.elapsed() < std::time::Duration::from_secs(30), "no pass sealed the silent block");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for k in 100..130 {
        w.submit(fix(t1 + i64::from(k) * STEP_MS, k)).await.unwrap();
    }
    w.shutdown().await.unwrap();
    join.join().unwrap();
    assert_eq!(layout(tmp.path()), (vec![40, 60], 30));
    assert_eq!(stored_kills(tmp.path()), (0..130).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_day_seals_its_open_blocks() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    run_writer(tmp.path(), now, t0, 0..1100).await;
    assert_eq!(layout(tmp.path()), (vec![1024], 76));
    // Two days later the day closes at the writer's first housekeeping pass.
    run_writer(tmp.path(), two_days_ahead, t0, 0..0).await;
    assert_eq!(layout(tmp.path()), (vec![1024, 76], 0));
    assert_eq!(stored_kills(tmp.path()), (0..1100).collect::<Vec<_>>());
}

#[test]
fn a_sealed_day_costs_a_few_bytes_a_row() {
    // The block codec's budget, measured on a realistic hunting session: what a day file
    // holds once its blocks are sealed.
    let rows: Vec<block::Row> = (0..1024)
        .map(|i| {
            let JournalEntry { recv_ms, client_time_ms, plugin_version, event, .. } =
                fix(1_000_000 + i * 1000, i as u32);
            let Persisted::Telemetry(tel) = event else { unreachable!() };
            block::Row { t: recv_ms, client_time_ms, plugin_version, tel }
        })
        .collect();
    let per_row = block::encode(&rows).unwrap().len() as f64 / rows.len() as f64;
    let open_per_row = block::encode_row(&rows[500]).len();
    assert!(per_row < 8.0, "{per_row} bytes a sealed row");
    assert!(open_per_row < 64, "{open_per_row} bytes an open row");
}

fn spawn(t: i64, i: u32) -> JournalEntry {
    let monsters = ["Mosswart Worshipper", "Drudge Slinker", "Olthoi Soldier"];
    JournalEntry {
        recv_ms: t,
        character: NAME.into(),
        client_time_ms: None,
        plugin_version: None,
        event: Persisted::Spawn(overlord::protocol::Spawn {
            monster_name: monsters[i as usize % monsters.len()].into(),
            object_id: Some(0x8000_0000 + i),
            wcid: None,
            place: overlord::protocol::Place {
                ew: Some(10.0 + f64::from(i) * 0.01),
                ns: Some(40.0),
                z: Some(12.5),
                landcell: Some(0xA9B4_0021),
                is_dungeon: false,
            },
        }),
    }
}

fn stored_spawns(dir: &Path) -> Vec<(i64, String)> {
    let days = DayFiles::open(dir).unwrap();
    let mut out = Vec::new();
    days.events(overlord::telemetry::EventKind::Spawn, None, 0, i64::MAX, usize::MAX, |(_, t, _), bytes| {
        out.push((t, String::from_utf8(bytes.to_vec()).unwrap()));
        true
    })
    .unwrap();
    out
}

/// Rows in the spawn tail, and rows per spawn block, of the only day file.
fn spawn_layout(dir: &Path) -> (usize, Vec<usize>, usize) {
    let db = redb::Database::open(only_day_file(dir)).unwrap();
    let txn = db.begin_read().unwrap();
    let tail = txn.open_table(SPAWN_TAIL).unwrap().iter().unwrap().count();
    let mut bytes = 0;
    let blocks = txn
        .open_table(SPAWN_BLOCKS)
        .unwrap()
        .iter()
        .unwrap()
        .map(|e| {
            let (_, v) = e.unwrap();
            bytes += v.value().len();
            overlord::telemetry::kind_block::decode(v.value()).unwrap().len()
        })
        .collect();
    (tail, blocks, bytes)
}

const SPAWN_TAIL: TableDefinition<(u32, i64, u32), &[u8]> = TableDefinition::new("spawn");
const SPAWN_BLOCKS: TableDefinition<(u32, i64, u32), &[u8]> = TableDefinition::new("spawn_blocks");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_day_moves_its_spawns_into_compressed_blocks_that_read_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = start_ms();
    // 600 spawns a second apart: ten minutes of one character's hunting.
    run_writer_with(tmp.path(), now, (0..600).map(|i| spawn(t0 + i64::from(i) * 1000, i)).collect()).await;
    let before = stored_spawns(tmp.path());
    assert_eq!(before.len(), 600);
    let raw: usize = before.iter().map(|(_, s)| s.len()).sum();
    // Two days later the day closes: every spawn row is in a block, none left in the tail.
    run_writer_with(tmp.path(), two_days_ahead, Vec::new()).await;
    let (tail, blocks, bytes) = spawn_layout(tmp.path());
    assert_eq!((tail, blocks.iter().sum::<usize>()), (0, 600));
    assert!(bytes * 5 < raw, "{bytes} bytes of blocks for {raw} bytes of spawns");
    assert_eq!(stored_spawns(tmp.path()), before);
}
