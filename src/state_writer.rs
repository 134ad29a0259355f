//! The state writer: inventory frames go to `journal/state/` first (the commit point),
//! then into `state.redb` through [`InventoryStore`], then to the search index.
//!
//! Separate from the telemetry writer so a login storm of 4 MiB dumps never delays
//! telemetry: its queue is small (frames are large) and a full queue pauses only the
//! sockets that are sending inventories. Replies (what was stored, what was rejected) go
//! back to the socket that sent the frame. Never decodes a socket or decides what a
//! plugin frame means (that is `ingest`); never ranks or searches (that is `search`).

use crate::inventory::store::{ApplyReport, InventoryStore, StoreError};
use crate::journal::{self, Journal, JournalError};
use crate::search::SearchIndex;
use redb::{Database, Durability, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Frames in flight to the writer (see `memory::INVENTORY_QUEUE_FRAMES`).
pub const QUEUE_FRAMES: usize = crate::memory::INVENTORY_QUEUE_FRAMES;
/// Frames committed together (one journal sync, one redb transaction).
const MAX_BATCH_FRAMES: usize = 8;
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);
const RETRY_INTERVAL: Duration = Duration::from_millis(500);
const META: TableDefinition<&str, u64> = TableDefinition::new("inventory_meta");

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    owner: String,
    recv_ms: i64,
    /// The inventory message as received (JSON text): replay re-applies it exactly.
    frame: String,
}

/// What one inventory frame did, for the plugin's reply.
#[derive(Debug, Clone, Default)]
pub struct ApplySummary {
    pub stored: u64,
    pub rejected_count: u64,
    pub rejected: Vec<String>,
}

/// Why one inventory frame was not stored. The message goes back to the plugin that sent
/// it (after "inventory not stored: ").
#[derive(Debug, thiserror::Error)]
pub enum FrameRefused {
    /// The frame did not encode for the journal, so it was not journaled at all.
    #[error("the frame could not be encoded for storage: {0}")]
    Unencodable(#[source] bincode::error::EncodeError),
    /// The journaled frame text is not a JSON object (only a damaged journal holds one).
    #[error("inventory frame is not a JSON object")]
    NotAnObject,
    /// The store refused the frame whole (too many items, a bad owner…).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why replaying `journal/state/` into `state.redb` failed at start-up.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// Creating the inventory tables in `state.redb` failed.
    #[error(transparent)]
    Tables(redb::Error),
    /// The inventory store could not set up its tables.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state journal could not be opened or read.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// Re-applying journaled frames, or recording the checkpoint after them, failed.
    #[error(transparent)]
    Apply(redb::Error),
}

enum Cmd {
    Frame(Record, Option<oneshot::Sender<Result<ApplySummary, FrameRefused>>>),
    Flush(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct InventoryWriter {
    tx: mpsc::Sender<Cmd>,
    pub frames_committed: Arc<AtomicU64>,
    /// Frames refused because they did not encode for the journal.
    pub encode_failures: Arc<AtomicU64>,
    /// Size and age span of `journal/state/`.
    pub journal: Arc<journal::JournalGauge>,
}

#[derive(Debug)]
pub struct WriterClosed;

impl InventoryWriter {
    /// Queues an inventory frame (waits while the queue is full). The receiver yields the
    /// apply summary once the frame is committed.
    pub async fn submit(
        &self,
        owner: &str,
        recv_ms: i64,
        frame: &Map<String, Value>,
    ) -> Result<oneshot::Receiver<Result<ApplySummary, FrameRefused>>, WriterClosed> {
        let (tx, rx) = oneshot::channel();
        let rec = Record { owner: owner.to_string(), recv_ms, frame: Value::Object(frame.clone()).to_string() };
        self.tx.send(Cmd::Frame(rec, Some(tx))).await.map_err(|_| WriterClosed)?;
        Ok(rx)
    }

    pub async fn flush(&self) -> Result<(), WriterClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Cmd::Flush(tx)).await.map_err(|_| WriterClosed)?;
        rx.await.map_err(|_| WriterClosed)
    }

    pub async fn shutdown(&self) -> Result<(), WriterClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Cmd::Shutdown(tx)).await.map_err(|_| WriterClosed)?;
        rx.await.map_err(|_| WriterClosed)
    }
}

pub fn checkpoint_of(db: &Database) -> u64 {
    db.begin_read()
        .ok()
        .and_then(|t| t.open_table(META).ok())
        .and_then(|t| t.get("checkpoint_seq").ok().flatten().map(|v| v.value()))
        .unwrap_or(0)
}

/// Opens `journal/state/` and re-applies every record past `state.redb`'s checkpoint.
/// Runs before the search index opens (the index then catches up from the store).
/// Numbering continues past `state.redb`'s checkpoint and every state snapshot's, whatever
/// the journal holds; a journal shorter than them is reported loudly. Segments roll every
/// `window / 10` so trimming keeps the journal within `window`.
pub fn recover(dir: &Path, db: &Database, window: Duration) -> Result<(Journal, u64), RecoverError> {
    let store = InventoryStore::new();
    let txn = db.begin_write().map_err(|e| RecoverError::Tables(e.into()))?;
    store.ensure_tables(&txn)?;
    txn.open_table(META).map_err(|e| RecoverError::Tables(e.into()))?;
    txn.commit().map_err(|e| RecoverError::Tables(e.into()))?;
    let cp = checkpoint_of(db);
    // journal/state/ sits in the data directory's journal/.
    let snap_cp =
        dir.parent().and_then(Path::parent).map(|d| crate::snapshot::max_covers(d).inventory_seq).unwrap_or(0);
    let floor_seq = cp.max(snap_cp);
    let (journal, report) =
        Journal::open_with(dir, journal::JournalOptions { floor_seq, roll_after: Some(window / 10) })?;
    if let Some(next) = report.numbered_past {
        tracing::error!(
            journal = %dir.display(),
            journal_last_seq = report.last_seq,
            state_checkpoint = cp,
            snapshot_seq = snap_cp,
            next_seq = next,
            "the state journal is shorter than the files it fed (state.redb, snapshots/): deleted, truncated, \
             damaged, or copied before them; numbering continues past every checkpoint"
        );
    }
    if let Some(first) = journal.first_held_seq()
        && first > cp + 1
        && cp < journal.next_seq().saturating_sub(1)
    {
        tracing::error!(
            journal = %dir.display(),
            journal_first_seq = first,
            state_checkpoint = cp,
            "the state journal lacks inventory frames state.redb had not yet applied (seqs {} to {}): those frames are lost",
            cp + 1,
            first - 1
        );
        journal.gauge().missing_seqs.store(first - 1 - cp, Ordering::Relaxed);
    }
    let mut records = Vec::new();
    journal::replay(dir, cp, |seq, bytes| {
        if let Ok((r, _)) = bincode::serde::decode_from_slice::<Record, _>(bytes, bincode::config::standard()) {
            records.push((seq, r));
        }
    })?;
    let n = records.len() as u64;
    for chunk in records.chunks(MAX_BATCH_FRAMES) {
        apply_batch(db, &store, chunk, true).map_err(RecoverError::Apply)?;
    }
    if let Some((last, _)) = records.last() {
        checkpoint(db, *last).map_err(RecoverError::Apply)?;
    }
    if n > 0 {
        tracing::info!(frames = n, "recovered inventory frames from the state journal");
    }
    Ok((journal, n))
}

/// Starts the writer thread. `keep_seq` is the journal position the newest state
/// snapshots need (trimming never passes it).
pub fn start(
    journal: Journal,
    db: Arc<Database>,
    index: Arc<SearchIndex>,
    keep_seq: Arc<AtomicU64>,
) -> std::io::Result<(InventoryWriter, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel(QUEUE_FRAMES);
    let frames_committed = Arc::new(AtomicU64::new(0));
    let encode_failures = Arc::new(AtomicU64::new(0));
    let counters = (frames_committed.clone(), encode_failures.clone());
    let gauge = journal.gauge();
    let join = std::thread::Builder::new()
        .name("state-writer".into())
        .spawn(move || run(journal, db, index, keep_seq, rx, counters))?;
    Ok((InventoryWriter { tx, frames_committed, encode_failures, journal: gauge }, join))
}

fn run(
    mut journal: Journal,
    db: Arc<Database>,
    index: Arc<SearchIndex>,
    keep_seq: Arc<AtomicU64>,
    mut rx: mpsc::Receiver<Cmd>,
    (committed, encode_failures): (Arc<AtomicU64>, Arc<AtomicU64>),
) {
    let store = InventoryStore::new();
    let mut last_checkpoint = Instant::now();
    let mut last_applied = journal.next_seq().saturating_sub(1);
    let mut dirty = false;
    // A timer wakes the loop while no frame arrives, so the journal is trimmed by age
    // even when idle.
    let rt = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "state writer runtime failed to start");
            return;
        }
    };
    loop {
        let first = match rt.block_on(async { tokio::time::timeout(CHECKPOINT_INTERVAL, rx.recv()).await }) {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => {
                if !dirty {
                    let keep = keep_seq.load(Ordering::Relaxed).saturating_add(1).min(last_applied + 1);
                    if let Err(e) = journal.trim_before(keep) {
                        tracing::warn!(error = %e, "state journal trim failed");
                    }
                    continue;
                }
                if let Err(e) = checkpoint(&db, last_applied) {
                    tracing::error!(error = %e, "inventory checkpoint failed; will retry");
                    continue;
                }
                dirty = false;
                last_checkpoint = Instant::now();
                continue;
            }
        };
        let mut frames = Vec::new();
        let mut flushes = Vec::new();
        let mut stop = None;
        let mut next = Some(first);
        while let Some(cmd) = next.take() {
            match cmd {
                Cmd::Frame(r, reply) => frames.push((r, reply)),
                Cmd::Flush(t) => flushes.push(t),
                Cmd::Shutdown(t) => {
                    stop = Some(t);
                    break;
                }
            }
            if frames.len() < MAX_BATCH_FRAMES {
                next = rx.try_recv().ok();
            }
        }
        // A frame that does not encode is refused (its socket hears why), never journaled empty.
        let mut payloads: Vec<Vec<u8>> = Vec::with_capacity(frames.len());
        let mut encodable = Vec::with_capacity(frames.len());
        for (r, reply) in frames {
            match bincode::serde::encode_to_vec(&r, bincode::config::standard()) {
                Ok(p) => {
                    payloads.push(p);
                    encodable.push((r, reply));
                }
                Err(e) => {
                    encode_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(owner = %r.owner, error = %e, "inventory frame refused: it does not encode for the journal");
                    if let Some(reply) = reply {
                        let _ = reply.send(Err(FrameRefused::Unencodable(e)));
                    }
                }
            }
        }
        let frames = encodable;
        if !frames.is_empty() {
            let first_seq = loop {
                match journal.append_batch(&payloads) {
                    Ok(s) => break s,
                    Err(e) => {
                        tracing::error!(error = %e, "state journal append failed; inventory ingest paused");
                        std::thread::sleep(RETRY_INTERVAL);
                    }
                }
            };
            let (records, replies): (Vec<_>, Vec<_>) = frames.into_iter().unzip();
            let batch: Vec<(u64, Record)> =
                records.into_iter().enumerate().map(|(i, r)| (first_seq + i as u64, r)).collect();
            let results = loop {
                match apply_batch(&db, &store, &batch, false) {
                    Ok(r) => break r,
                    Err(e) => {
                        tracing::error!(error = %e, "applying inventory to state.redb failed; retrying");
                        std::thread::sleep(RETRY_INTERVAL);
                    }
                }
            };
            last_applied = batch.last().map(|b| b.0).unwrap_or(last_applied);
            dirty = true;
            committed.fetch_add(batch.len() as u64, Ordering::Relaxed);
            for (result, reply) in results.into_iter().zip(replies) {
                if let Ok(report) = &result
                    && let Err(e) = index.apply(report)
                {
                    tracing::error!(error = %e, "search index update failed; it catches up at the next start");
                }
                if let Some(reply) = reply {
                    let _ = reply.send(result.map(|r| summary(&r)));
                }
            }
        }
        if dirty && (last_checkpoint.elapsed() >= CHECKPOINT_INTERVAL || stop.is_some()) {
            match checkpoint(&db, last_applied) {
                Ok(()) => {
                    dirty = false;
                    last_checkpoint = Instant::now();
                    let keep = keep_seq.load(Ordering::Relaxed).saturating_add(1).min(last_applied + 1);
                    if let Err(e) = journal.trim_before(keep) {
                        tracing::warn!(error = %e, "state journal trim failed");
                    }
                }
                Err(e) => tracing::error!(error = %e, "inventory checkpoint failed; will retry"),
            }
        }
        for f in flushes {
            let _ = index.flush();
            let _ = f.send(());
        }
        if let Some(done) = stop {
            let _ = index.flush();
            let _ = done.send(());
            return;
        }
    }
    let _ = checkpoint(&db, last_applied);
    let _ = index.flush();
}

fn summary(r: &ApplyReport) -> ApplySummary {
    ApplySummary {
        stored: r.stored,
        rejected_count: r.rejected_count,
        rejected: r
            .rejected
            .iter()
            .map(|x| {
                format!(
                    "{}[{}]{}: {}",
                    x.section,
                    x.index,
                    x.object_id.map(|id| format!(" (object {id})")).unwrap_or_default(),
                    x.message
                )
            })
            .collect(),
    }
}

/// Applies frames in one non-durable transaction. A frame the store refuses whole (too
/// many items, a bad owner) yields its error; the others still apply.
fn apply_batch(
    db: &Database,
    store: &InventoryStore,
    batch: &[(u64, Record)],
    replaying: bool,
) -> Result<Vec<Result<ApplyReport, FrameRefused>>, redb::Error> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::None)?;
    let mut results = Vec::with_capacity(batch.len());
    for (_, rec) in batch {
        let frame: Map<String, Value> = match serde_json::from_str(&rec.frame) {
            Ok(Value::Object(m)) => m,
            _ => {
                results.push(Err(FrameRefused::NotAnObject));
                continue;
            }
        };
        let list = |k: &str| frame.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        let result = if frame.get("mode").and_then(Value::as_str) == Some("delta") {
            store.apply_delta(&txn, &rec.owner, list("added"), list("updated"), list("removed"), rec.recv_ms)
        } else {
            let complete = frame.get("complete").and_then(crate::protocol::lenient::bool_of).unwrap_or(true);
            store.apply_full(&txn, &rec.owner, list("items"), complete, rec.recv_ms)
        };
        if let Err(e) = &result
            && !replaying
        {
            tracing::info!(owner = %rec.owner, error = %e, "inventory frame refused");
        }
        results.push(result.map_err(FrameRefused::from));
    }
    txn.commit()?;
    Ok(results)
}

fn checkpoint(db: &Database, seq: u64) -> Result<(), redb::Error> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    txn.open_table(META)?.insert("checkpoint_seq", seq)?;
    txn.commit()?;
    Ok(())
}
