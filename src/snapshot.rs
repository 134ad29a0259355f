//! Consistent copies of the mutable `state.redb`, and the clean-shutdown marker.
//!
//! Copying a live redb file is not safe (redb#634), so a `cp -r` of a running directory
//! may hold a torn `state.redb`. Beside it this module keeps `snapshots/state-<seq>.redb`:
//! a byte copy taken while this process holds redb's single write lock (no commit can land
//! mid-copy), fsynced, then renamed into place. `<seq>` is the telemetry journal position
//! the snapshot covers; the writer keeps the journal back to the older of the two
//! snapshots kept, so recovery = newest intact snapshot + journal replay.
//! Never does anything but file copies and redb transactions.

use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often the state file is snapshotted. Bounds how much journal a restore replays.
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(300);
/// Snapshots kept; the journal is kept back to the oldest of them.
pub const SNAPSHOTS_KEPT: usize = 2;
const CLEAN_MARKER: &str = "CLEAN_SHUTDOWN";
const STATE_META: TableDefinition<&str, u64> = TableDefinition::new("telemetry_meta");
const INVENTORY_META: TableDefinition<&str, u64> = TableDefinition::new("inventory_meta");

/// The journal positions a snapshot covers: telemetry (`journal/`) and state (`journal/state/`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Covers {
    pub telemetry_seq: u64,
    pub inventory_seq: u64,
}

/// Whether the last run ended cleanly. Removes the marker: a crash from now on leaves none.
pub fn take_clean_marker(data_dir: &Path) -> bool {
    let path = data_dir.join(CLEAN_MARKER);
    let clean = path.exists();
    if clean {
        let _ = fs::remove_file(&path);
        crate::durable::sync_dir(data_dir);
    }
    clean
}

/// Whether the clean-shutdown marker is there (without taking it; for offline commands).
pub fn clean_marker_present(data_dir: &Path) -> bool {
    data_dir.join(CLEAN_MARKER).exists()
}

/// Written last on an orderly shutdown, after every queue is committed and checkpointed.
pub fn write_clean_marker(data_dir: &Path) {
    let path = data_dir.join(CLEAN_MARKER);
    if fs::write(&path, b"overlord stopped cleanly\n").is_ok() {
        if let Ok(f) = fs::File::open(&path) {
            let _ = f.sync_all();
        }
        crate::durable::sync_dir(data_dir);
    }
}

/// Why `state.redb` or a snapshot of it could not be opened, copied or restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// redb refused: the file is damaged, the disk is full, a transaction failed.
    #[error("storage: {0}")]
    Storage(#[from] redb::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The file cannot be opened for a reason the operator must act on (in use, damaged
    /// with no intact snapshot).
    #[error("{0}")]
    Open(String),
}

macro_rules! redb_err {
    ($($t:ty),*) => {$(impl From<$t> for SnapshotError { fn from(e: $t) -> Self { SnapshotError::Storage(e.into()) } })*};
}
redb_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    redb::CompactionError
);

/// The first bytes of every redb file (redb's `MAGICNUMBER`).
const REDB_MAGIC: [u8; 9] = [b'r', b'e', b'd', b'b', 0x1A, 0x0A, 0xA9, 0x0D, 0x0A];

/// Opens `state.redb`. A file that exists but is empty or not a redb database is damaged
/// whatever the clean-shutdown marker says; after an unclean stop the open also runs redb's
/// integrity check. A damaged file is moved aside and replaced by the newest intact
/// snapshot (the journal replay that follows brings it forward); with no intact snapshot
/// the start is refused with the file left untouched, never silently replaced by an empty
/// database. A missing file with snapshots present is restored the same way. Returns the
/// database and what was done.
pub fn open_state(data_dir: &Path, clean: bool) -> Result<(Database, Option<String>), SnapshotError> {
    let path = data_dir.join("state.redb");
    if !path.exists() {
        if list_snapshots(data_dir).is_empty() {
            return Ok((crate::memory::create_state_db(&path).map_err(|e| open_error(&path, e))?, None));
        }
        return restore_newest_snapshot(data_dir, &path, "state.redb is missing", None);
    }
    if let Some(why) = not_a_database(&path)? {
        return restore_newest_snapshot(data_dir, &path, &why, Some(&path));
    }
    if clean {
        return Ok((crate::memory::create_state_db(&path).map_err(|e| open_error(&path, e))?, None));
    }
    match crate::memory::state_db_builder().set_check_integrity_on_open(true).open(&path) {
        Ok(db) => Ok((db, None)),
        Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
            Err(open_error(&path, redb::DatabaseError::DatabaseAlreadyOpen))
        }
        Err(e) => {
            restore_newest_snapshot(data_dir, &path, &format!("it failed its integrity check ({e})"), Some(&path))
        }
    }
}

/// `Some(reason)` when the file at `path` cannot be a redb database (empty, shorter than a
/// header, or without redb's magic bytes).
fn not_a_database(path: &Path) -> Result<Option<String>, SnapshotError> {
    use std::io::Read;
    let mut head = [0u8; REDB_MAGIC.len()];
    let mut f = fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(Some("it is empty (0 bytes)".into()));
    }
    if len < head.len() as u64 {
        return Ok(Some(format!("it is {len} bytes long, shorter than a redb header")));
    }
    f.read_exact(&mut head)?;
    Ok((head != REDB_MAGIC).then(|| "it is not a redb database (wrong magic bytes)".to_string()))
}

/// Replaces `path` by the newest snapshot that passes redb's integrity check, moving the
/// damaged file (if any) aside first. With none, refuses and leaves everything as it was.
fn restore_newest_snapshot(
    data_dir: &Path,
    path: &Path,
    why: &str,
    damaged: Option<&Path>,
) -> Result<(Database, Option<String>), SnapshotError> {
    let tmp = path.with_extension("redb.restoring");
    for snap in list_snapshots(data_dir) {
        fs::copy(&snap, &tmp)?;
        match crate::memory::state_db_builder().set_check_integrity_on_open(true).open(&tmp) {
            Ok(db) => {
                drop(db);
                let aside = match damaged {
                    Some(d) => {
                        let aside = d.with_extension(format!("redb.damaged-{}", chrono::Utc::now().timestamp_millis()));
                        fs::rename(d, &aside)?;
                        format!("moved to {} and ", aside.display())
                    }
                    None => String::new(),
                };
                fs::rename(&tmp, path)?;
                crate::durable::sync_dir(data_dir);
                let db = crate::memory::create_state_db(path).map_err(|e| open_error(path, e))?;
                let note = format!(
                    "{} was damaged: {why}; {aside}restored from {} (the journal brings it forward)",
                    path.display(),
                    snap.display()
                );
                return Ok((db, Some(note)));
            }
            Err(_) => {
                let _ = fs::remove_file(&tmp);
            }
        }
    }
    Err(SnapshotError::Open(format!(
        "{} is damaged: {why}, and no intact snapshot exists in {}; refusing to start rather than lose every user, item and note (restore a backup, or move the file away to start empty)",
        path.display(),
        data_dir.join("snapshots").display()
    )))
}

fn open_error(path: &Path, e: redb::DatabaseError) -> SnapshotError {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => SnapshotError::Open(format!(
            "{} is in use: another overlord is running on this data directory",
            path.display()
        )),
        other => SnapshotError::Open(format!("cannot open {}: {other}", path.display())),
    }
}

/// Snapshots, newest first.
pub fn list_snapshots(data_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<(Covers, PathBuf)> = fs::read_dir(data_dir.join("snapshots"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((snapshot_covers(&e.path())?, e.path())))
        .collect();
    v.sort_by_key(|e| std::cmp::Reverse((e.0.telemetry_seq, e.0.inventory_seq)));
    v.into_iter().map(|(_, p)| p).collect()
}

/// The journal positions a snapshot's file name (`state-<telemetry>-<inventory>.redb`) says it covers.
fn snapshot_covers(path: &Path) -> Option<Covers> {
    let stem = path.file_name()?.to_str()?.strip_prefix("state-")?.strip_suffix(".redb")?;
    let (t, i) = stem.split_once('-')?;
    Some(Covers { telemetry_seq: t.parse().ok()?, inventory_seq: i.parse().ok()? })
}

/// The newest positions any kept snapshot covers (zero without snapshots): the journals
/// number past them, so a replay from a snapshot never meets a reused seq.
pub fn max_covers(data_dir: &Path) -> Covers {
    let all: Vec<Covers> = list_snapshots(data_dir).iter().filter_map(|p| snapshot_covers(p)).collect();
    Covers {
        telemetry_seq: all.iter().map(|c| c.telemetry_seq).max().unwrap_or(0),
        inventory_seq: all.iter().map(|c| c.inventory_seq).max().unwrap_or(0),
    }
}

/// The oldest positions any kept snapshot needs (the journals are kept back to them).
fn oldest_covers(data_dir: &Path) -> Option<Covers> {
    let all: Vec<Covers> = list_snapshots(data_dir).iter().filter_map(|p| snapshot_covers(p)).collect();
    Some(Covers {
        telemetry_seq: all.iter().map(|c| c.telemetry_seq).min()?,
        inventory_seq: all.iter().map(|c| c.inventory_seq).min()?,
    })
}

/// Takes one snapshot of `state.redb` into `dest` (a file path). Holds the write lock for
/// the copy so the bytes are one consistent commit. Returns the covered journal positions.
pub fn copy_state(db: &Database, state_path: &Path, dest: &Path) -> Result<Covers, SnapshotError> {
    // Make everything committed so far durable, then hold the writer lock while copying.
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    txn.commit()?;
    let guard = db.begin_write()?;
    let seq = {
        let read = db.begin_read()?;
        let get = |def: TableDefinition<&str, u64>| -> Result<u64, SnapshotError> {
            match read.open_table(def) {
                Ok(t) => Ok(t.get("checkpoint_seq")?.map(|v| v.value()).unwrap_or(0)),
                Err(_) => Ok(0),
            }
        };
        Covers { telemetry_seq: get(STATE_META)?, inventory_seq: get(INVENTORY_META)? }
    };
    let tmp = dest.with_extension("tmp");
    let result = fs::copy(state_path, &tmp).and_then(|_| fs::File::open(&tmp)?.sync_all());
    drop(guard);
    result?;
    fs::rename(&tmp, dest)?;
    if let Some(parent) = dest.parent() {
        crate::durable::sync_dir(parent);
    }
    Ok(seq)
}

/// Compacts a snapshot copy before it is renamed into place. Why: `state.redb` carries the
/// pages its last transactions freed, so a byte copy is as large as the file; compacted, a
/// snapshot holds only live pages (the same reason as the day snapshots,
/// `DayFiles::write_day_snapshot`). Nothing else has the copy open.
fn compact_copy(path: &Path) -> Result<(), SnapshotError> {
    let mut db = redb::Builder::new().set_cache_size(1 << 20).open(path)?;
    db.compact()?;
    drop(db);
    fs::File::open(path)?.sync_all()?;
    Ok(())
}

/// One snapshot into `snapshots/`, pruning to `SNAPSHOTS_KEPT`. Returns the journal
/// positions the writers must keep from (the oldest kept snapshot's).
pub fn snapshot_state(db: &Database, data_dir: &Path) -> Result<Covers, SnapshotError> {
    let dir = data_dir.join("snapshots");
    fs::create_dir_all(&dir)?;
    let staging = dir.join("state-next.redb");
    let seq = copy_state(db, &data_dir.join("state.redb"), &staging)?;
    compact_copy(&staging)?;
    let final_path = dir.join(format!("state-{:020}-{:020}.redb", seq.telemetry_seq, seq.inventory_seq));
    fs::rename(&staging, &final_path)?;
    crate::durable::sync_dir(&dir);
    let snaps = list_snapshots(data_dir);
    for old in snaps.iter().skip(SNAPSHOTS_KEPT) {
        let _ = fs::remove_file(old);
    }
    Ok(oldest_covers(data_dir).unwrap_or(seq))
}

/// Snapshots `state.redb` every `interval` on a background thread, publishing the journal
/// position the writer must keep. Stops when `stop` is set.
pub fn spawn_snapshotter(
    db: Arc<Database>,
    data_dir: PathBuf,
    interval: Duration,
    keep_seq: Arc<AtomicU64>,
    keep_inventory_seq: Arc<AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // The very first start takes one at once: until a snapshot exists, a damaged
    // state.redb could only be refused, not restored.
    if list_snapshots(&data_dir).is_empty() {
        snapshot_state(&db, &data_dir).map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    // Existing snapshots already pin the journals.
    if let Some(oldest) = oldest_covers(&data_dir) {
        keep_seq.store(oldest.telemetry_seq, Ordering::Relaxed);
        keep_inventory_seq.store(oldest.inventory_seq, Ordering::Relaxed);
    }
    std::thread::Builder::new().name("state-snapshots".into()).spawn(move || {
        let tick = Duration::from_millis(200);
        // The first snapshot comes soon after start, so a copy is covered early.
        let mut waited = interval.saturating_sub(Duration::from_secs(10));
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(tick);
            waited += tick;
            if waited < interval {
                continue;
            }
            waited = Duration::ZERO;
            match snapshot_state(&db, &data_dir) {
                Ok(covers) => {
                    keep_seq.store(covers.telemetry_seq, Ordering::Relaxed);
                    keep_inventory_seq.store(covers.inventory_seq, Ordering::Relaxed);
                    tracing::debug!(?covers, "state snapshot written");
                }
                Err(e) => tracing::error!(error = %e, "state snapshot failed; will retry"),
            }
        }
    })
}
