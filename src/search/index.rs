//! `SearchIndex`: the on-disk tantivy index, how it is opened, rebuilt and kept up to date.
//!
//! Owns the index directory (`<data>/index`; everything in it belongs to the index and is
//! deleted on rebuild), the schema-version marker, and the single writer thread. Never
//! writes to `state.redb`: the index is derived, disposable, and re-reads the store.
//!
//! Update model: after the lead commits an inventory write it calls `apply(&report)`. That
//! only queues the changed keys on a bounded channel (`INDEX_QUEUE_CAPACITY`; a full queue
//! blocks the caller, which is backpressure, so call it from the blocking writer thread).
//! The writer thread re-reads every queued key from the store (so order and duplicates do
//! not matter: the index converges on the store), commits at most once per
//! `MIN_COMMIT_INTERVAL` and only after `BATCH_DELAY` of batching, then reloads the reader
//! (`ReloadPolicy::Manual`), so a search sees an update within about 0.6 s of `apply`;
//! under a steady stream of changes (a large group online) commits are spaced
//! `SUSTAINED_COMMIT_INTERVAL` apart, and an update shows within about 5 s.
//! Each commit records the store change sequence number it covers in the commit payload;
//! on open, an index behind the store catches up from the store's change log, and one that
//! cannot (log trimmed, index ahead of the store, damaged, older schema) is rebuilt.

use crate::clock::now_ms;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::{Database, ReadableDatabase};
use serde::{Deserialize, Serialize};
use tantivy::schema::Term;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use crate::inventory::store::{ApplyReport, InventoryStore, ItemKey, StoreError};
use crate::search::schema::{Fields, SCHEMA_VERSION};
use crate::search::segment_cache::SegmentCache;

/// Messages the writer thread may hold queued; each carries one report's keys (a full dump
/// is at most `MAX_ITEMS_PER_DUMP` keys), so this bounds memory to a few MB.
pub const INDEX_QUEUE_CAPACITY: usize = 256;
/// Wait this long after the first queued change before committing, to batch bursts.
pub const BATCH_DELAY: Duration = Duration::from_millis(150);
/// Never commit more often than this: tiny segments hurt search and merging (STACK.md).
pub const MIN_COMMIT_INTERVAL: Duration = Duration::from_millis(500);
/// Under a steady stream of changes (a large group online: every character's inventory
/// moving), commit at most this often instead. Each commit writes a segment and its term
/// dictionaries and feeds the merger; at 600 characters, committing every 0.5 s cost about
/// a third of the server's CPU. A lone change is still searchable in about 0.6 s.
pub const SUSTAINED_COMMIT_INTERVAL: Duration = Duration::from_secs(5);
/// A batch that starts within this long of the previous commit continues a stream.
const STREAM_GAP: Duration = Duration::from_secs(2);
/// Consecutive such batches after which the stream counts as steady.
const STREAM_BATCHES: u32 = 3;
/// Commit early when this many distinct keys are pending. Bounds the memory of one commit
/// (every pending item is re-read and indexed in it) in a login storm, when paced commits
/// would otherwise gather a whole group's inventories: 50,000 raised the 600-character
/// peak RSS from 258 to 355 MiB.
pub const MAX_PENDING_KEYS: usize = 5_000;
/// Indexing memory budget for the writer, split across its threads (≥ 15 MB per thread).
pub const WRITER_MEMORY_BYTES: usize = 40 * 1024 * 1024;
/// Indexing threads: the machine has 2 cores shared with ingest.
pub const WRITER_THREADS: usize = 2;
/// Progress callbacks during a rebuild fire every this many items.
pub const PROGRESS_EVERY: u64 = 10_000;

const MARKER_FILE: &str = "overlord-index.json";
/// While the index cannot be rebuilt after a failed commit, it is retried this often.
const HEAL_RETRY: Duration = Duration::from_secs(30);

/// Search-side failures. Messages are for logs and operators.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed (I/O, damaged files, lock held by another process…).
    #[error("search index: {0}")]
    Index(String),
    /// tantivy returned an error.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index writer could not be created, most often because another process holds
    /// the index directory's lock.
    #[error("search index: cannot open the index writer ({0}); is another overlord process using this data directory?")]
    WriterLocked(#[source] tantivy::TantivyError),
    /// A file or directory under the index directory could not be read or written.
    #[error("search index: {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The marker or commit payload could not be serialized.
    #[error("search index: {0}")]
    Payload(#[from] serde_json::Error),
    /// The inventory store failed while the index read from it.
    #[error("search index could not read the inventory store: {0}")]
    Store(#[from] StoreError),
    /// The writer thread stopped (after an earlier error, or during shutdown).
    #[error("search index writer stopped: {0}; restart to rebuild the index")]
    WriterGone(String),
    /// A commit or rebuild on the writer thread failed. Shared: the writer thread keeps
    /// the same error to log and heal from.
    #[error(transparent)]
    Writer(Arc<SearchError>),
    /// A commit failed and rebuilding the index has failed since; the writer retries every
    /// `HEAL_RETRY`. Holds the history of failures, for the operator.
    #[error("search index: {0}")]
    Unhealed(String),
}

impl From<redb::TransactionError> for SearchError {
    fn from(e: redb::TransactionError) -> Self {
        SearchError::Store(StoreError::Storage(e.to_string()))
    }
}

/// Why an index directory cannot be used as it is; `open_or_rebuild` then rebuilds it
/// from the store and logs this as the reason.
#[derive(Debug, thiserror::Error)]
pub enum IndexUnusable {
    /// No marker file (a fresh data directory, or one from before the index existed).
    #[error("no index (marker file missing)")]
    NoMarker(#[source] std::io::Error),
    #[error("marker file unreadable: {0}")]
    MarkerUnreadable(#[source] serde_json::Error),
    /// The marker names another schema version than this build's.
    #[error("index schema version {found} differs from {SCHEMA_VERSION}")]
    MarkerSchemaVersion { found: u32 },
    #[error("index does not open: {0}")]
    DoesNotOpen(#[source] tantivy::TantivyError),
    /// The schema stored in the index is not this build's.
    #[error("index schema differs from this build's")]
    SchemaDiffers,
    #[error("index files unreadable: {0}")]
    FilesUnreadable(#[source] tantivy::TantivyError),
    /// This many index files fail their checksum.
    #[error("{files} index file(s) fail their checksum")]
    ChecksumFailed { files: usize },
    #[error("index metadata unreadable: {0}")]
    MetadataUnreadable(#[source] tantivy::TantivyError),
    /// The last commit recorded no payload (no store sequence number to resume from).
    #[error("index has no commit payload")]
    NoCommitPayload,
    #[error("index commit payload unreadable: {0}")]
    CommitPayloadUnreadable(#[source] serde_json::Error),
    /// The last commit was made with another schema version.
    #[error("index commit schema version {found} differs from {SCHEMA_VERSION}")]
    CommitSchemaVersion { found: u32 },
    #[error("index segments do not load: {0}")]
    SegmentsDoNotLoad(#[source] tantivy::TantivyError),
    #[error("index fast fields unreadable: {0}")]
    FastFieldsUnreadable(#[source] tantivy::TantivyError),
}

/// A rebuild progress callback: (items done, items total).
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64) + Send);

enum Msg {
    Sync { keys: Vec<ItemKey>, seq: u64, queued_ms: i64 },
    Flush(SyncSender<Result<(), SearchError>>),
    Rebuild(Box<dyn FnMut(u64, u64) + Send>, SyncSender<Result<u64, SearchError>>),
}

/// State shared between the handle and the writer thread.
#[derive(Default)]
struct Shared {
    /// Store change sequence number covered by the last index commit.
    committed_seq: AtomicU64,
    /// Unix ms when the oldest not-yet-committed change was queued; 0 when none.
    oldest_pending_ms: AtomicI64,
    /// The error that stopped the writer, if any.
    failure: Mutex<Option<String>>,
}

/// Commit payload: what the index covers.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema_version: u32,
    seq: u64,
}

/// The item search index. Cheap to share behind an `Arc`; searches run concurrently.
pub struct SearchIndex {
    pub(crate) fields: Fields,
    pub(crate) reader: IndexReader,
    pub(crate) db: Arc<Database>,
    pub(crate) store: InventoryStore,
    /// Per-segment dictionaries and facet counts (see `segment_cache`).
    pub(crate) cache: SegmentCache,
    tx: Option<SyncSender<Msg>>,
    worker: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    dir: PathBuf,
}

/// What `open_or_rebuild` found and did, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The index was current.
    Current,
    /// The index was behind and caught up on this many changed items.
    CaughtUp(usize),
    /// The index was rebuilt from the store, for this reason.
    Rebuilt(String),
}

impl SearchIndex {
    /// Opens the index in `dir`, or rebuilds it from the store when it is missing, from an
    /// older schema version, damaged, or out of step with the store. `progress(done,
    /// total)` reports a rebuild.
    pub fn open_or_rebuild(
        dir: &Path,
        db: Arc<Database>,
        mut progress: impl FnMut(u64, u64) + Send,
    ) -> Result<(SearchIndex, OpenOutcome), SearchError> {
        let fields = Fields::new();
        let store = InventoryStore::new();
        let (index, writer, broken) = match try_open(dir, &fields) {
            Ok(index) => {
                let writer = new_writer(&index)?;
                (index, writer, None)
            }
            Err(why) => {
                let (index, writer) = fresh_index(dir, &fields)?;
                (index, writer, Some(why.to_string()))
            }
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let mut worker = Worker {
            fields: fields.clone(),
            writer,
            reader: reader.clone(),
            db: db.clone(),
            store,
            dir: dir.to_path_buf(),
        };
        let outcome = match broken {
            Some(why) => {
                worker.rebuild(&mut progress)?;
                OpenOutcome::Rebuilt(why)
            }
            None => {
                let index_seq = payload_seq(&index)?;
                let txn = db.begin_read()?;
                let store_seq = store.change_seq(&txn)?;
                let expected = store.item_count(&txn)?;
                // An index ahead of the store (store restored from a snapshot) cannot be
                // trusted; one behind catches up if the change log reaches back.
                let keys = if index_seq <= store_seq { store.changes_since(&txn, index_seq)? } else { None };
                drop(txn);
                match keys {
                    None => {
                        worker.rebuild(&mut progress)?;
                        OpenOutcome::Rebuilt(format!(
                            "index covers change {index_seq}, store is at {store_seq} and its change log does not connect them"
                        ))
                    }
                    Some(keys) => {
                        let caught_up = keys.len();
                        if caught_up > 0 {
                            worker.sync(keys.into_iter().collect(), store_seq)?;
                        }
                        // A current index must hold exactly the store's items; anything else
                        // means files were lost or edited, so rebuild rather than serve wrong
                        // results.
                        let found = reader.searcher().num_docs();
                        if found != expected {
                            worker.rebuild(&mut progress)?;
                            OpenOutcome::Rebuilt(format!("index holds {found} items, the store holds {expected}"))
                        } else if caught_up > 0 {
                            OpenOutcome::CaughtUp(caught_up)
                        } else {
                            OpenOutcome::Current
                        }
                    }
                }
            }
        };
        let shared = Arc::new(Shared::default());
        shared.committed_seq.store(payload_seq(&index)?, Ordering::SeqCst);
        Ok((SearchIndex::start(fields, reader, db, store, worker, shared, dir), outcome))
    }

    fn start(
        fields: Fields,
        reader: IndexReader,
        db: Arc<Database>,
        store: InventoryStore,
        worker: Worker,
        shared: Arc<Shared>,
        dir: &Path,
    ) -> SearchIndex {
        let (tx, rx) = sync_channel(INDEX_QUEUE_CAPACITY);
        let thread_shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name("search-index-writer".to_string())
            .spawn(move || run_writer(worker, rx, thread_shared))
            .ok();
        SearchIndex {
            fields,
            reader,
            db,
            store,
            cache: SegmentCache::default(),
            tx: Some(tx),
            worker: handle,
            shared,
            dir: dir.to_path_buf(),
        }
    }

    /// Queues the keys an `apply_full`/`apply_delta` changed; call after the commit that
    /// made them durable. Blocks while the queue is full (backpressure).
    pub fn apply(&self, report: &ApplyReport) -> Result<(), SearchError> {
        let mut keys = report.changed.clone();
        keys.extend(report.removed.iter().cloned());
        self.send(Msg::Sync { keys, seq: report.seq, queued_ms: now_ms() })
    }

    /// Commits everything queued so far and waits until searches see it (shutdown, tests).
    pub fn flush(&self) -> Result<(), SearchError> {
        let (reply_tx, reply_rx) = sync_channel(1);
        self.send(Msg::Flush(reply_tx))?;
        reply_rx.recv().unwrap_or_else(|_| Err(self.gone()))
    }

    /// Rebuilds the whole index from the store (`overlord reindex`); searches keep seeing
    /// the old index until the rebuild commits. Returns the number of items indexed.
    pub fn rebuild(&self, progress: impl FnMut(u64, u64) + Send + 'static) -> Result<u64, SearchError> {
        let (reply_tx, reply_rx) = sync_channel(1);
        self.send(Msg::Rebuild(Box::new(progress), reply_tx))?;
        reply_rx.recv().unwrap_or_else(|_| Err(self.gone()))
    }

    /// Milliseconds the oldest queued change has waited for a commit (0 when none), for
    /// `GET /api/items/stats` `index_lag_ms`.
    pub fn lag_ms(&self) -> i64 {
        match self.shared.oldest_pending_ms.load(Ordering::SeqCst) {
            0 => 0,
            t => (now_ms() - t).max(0),
        }
    }

    /// The store change sequence number the searchable index covers.
    pub fn committed_seq(&self) -> u64 {
        self.shared.committed_seq.load(Ordering::SeqCst)
    }

    /// Documents in the searchable index.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn send(&self, msg: Msg) -> Result<(), SearchError> {
        let Some(tx) = &self.tx else { return Err(self.gone()) };
        tx.send(msg).map_err(|_| self.gone())
    }

    fn gone(&self) -> SearchError {
        let why = self.shared.failure.lock().ok().and_then(|f| f.clone());
        SearchError::WriterGone(why.unwrap_or_else(|| "the writer thread exited".to_string()))
    }
}

impl Drop for SearchIndex {
    /// Commits what is queued and stops the writer thread.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(handle) = self.worker.take() {
            let _ = handle.join();
        }
    }
}

/// Owns the tantivy writer; lives on the writer thread (and briefly on the opening thread).
struct Worker {
    fields: Fields,
    writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    db: Arc<Database>,
    store: InventoryStore,
    dir: PathBuf,
}

impl Worker {
    /// After a failed commit — the directory deleted under a running server, or a disk
    /// error — recreates the directory and rebuilds every document from the store into it,
    /// with the same index and reader, so searches switch to the rebuilt index at its
    /// commit and keep answering from the old segments (still mapped) until then.
    fn heal(&mut self) -> Result<u64, SearchError> {
        let io = |source: std::io::Error| SearchError::Io { path: self.dir.clone(), source };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        if !self.dir.join("meta.json").exists() {
            // An empty index's metadata, so the writer below can open; the rebuild's commit
            // replaces it, and the open index picks that up at its reload.
            drop(Index::create_in_dir(&self.dir, self.fields.schema.clone())?);
        }
        let marker = serde_json::to_string(&Payload { schema_version: SCHEMA_VERSION, seq: 0 })?;
        std::fs::write(self.dir.join(MARKER_FILE), marker).map_err(io)?;
        // The failed commit took the writer's indexing threads with it; the rebuild replaces
        // the writer before it writes anything.
        let (_, seq) = self.rebuild(&mut |_, _| {})?;
        Ok(seq)
    }

    /// Swaps the writer for a fresh one on the same index, after the old one's merges end.
    /// The old writer's directory lock goes first (a second writer cannot open beside it):
    /// it is swapped for a writer on a throwaway in-memory index, then closed. A writer
    /// whose commit failed reports its dead threads here; that failure is the reason for the
    /// rebuild, so it is logged and the fresh writer goes on.
    fn replace_writer(&mut self) -> Result<(), SearchError> {
        let index = self.writer.index().clone();
        let placeholder = Index::create_in_ram(self.fields.schema.clone()).writer_with_num_threads(1, 15_000_000)?;
        let old = std::mem::replace(&mut self.writer, placeholder);
        if let Err(e) = old.wait_merging_threads() {
            tracing::warn!(error = %e, "the replaced item index writer ended with an error");
        }
        self.writer = new_writer(&index)?;
        Ok(())
    }

    /// Re-reads `keys` from the store and replaces their documents, then commits with
    /// `seq` and reloads the reader.
    fn sync(&mut self, keys: BTreeSet<ItemKey>, seq: u64) -> Result<(), SearchError> {
        let txn = self.db.begin_read()?;
        let keys: Vec<ItemKey> = keys.into_iter().collect();
        let items = self.store.get_many(&txn, &keys)?;
        drop(txn);
        for (key, item) in keys.iter().zip(items) {
            self.writer
                .delete_term(Term::from_field_text(self.fields.key, &Fields::key_value(&key.owner_key, key.object_id)));
            if let Some(item) = item {
                self.writer.add_document(self.fields.document(&key.owner_key, &item))?;
            }
        }
        self.commit(seq)
    }

    /// Deletes everything and indexes every stored item from one store snapshot.
    ///
    /// Background merges are off for the rebuild: it ends by merging every segment into one,
    /// and a merge the default policy had started on some of them (it starts merges as
    /// indexing flushes segments and after each commit) would finish first and fail that
    /// merge ("segments that were merged could not be found"): every `overlord reindex` of
    /// 750k items failed so, after committing.
    fn rebuild(&mut self, progress: Progress<'_>) -> Result<(u64, u64), SearchError> {
        // A fresh writer, never the running one. tantivy 0.27's `delete_all_documents`
        // rewinds the operation stamp to where its writer was opened (that mark never moves
        // at a commit), and merges the running writer started may still be in flight; on a
        // long-lived writer a reindex lost items now and then (under CPU load a test saw
        // 1,264 items indexed as 675). A fresh writer's mark is the last commit, its delete
        // queue is empty, and the old writer's merges have ended before it opens.
        self.replace_writer()?;
        self.writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let result = self.rebuild_unmerged(progress);
        self.writer.set_merge_policy(Box::new(tantivy::indexer::LogMergePolicy::default()));
        result
    }

    fn rebuild_unmerged(&mut self, progress: Progress<'_>) -> Result<(u64, u64), SearchError> {
        let txn = self.db.begin_read()?;
        let total = self.store.item_count(&txn)?;
        let seq = self.store.change_seq(&txn)?;
        self.writer.delete_all_documents()?;
        let mut done = 0u64;
        let mut failure: Option<tantivy::TantivyError> = None;
        progress(0, total);
        self.store.for_each_item(&txn, |owner, item| {
            if failure.is_some() {
                return;
            }
            if let Err(e) = self.writer.add_document(self.fields.document(owner, &item)) {
                failure = Some(e);
            }
            done += 1;
            if done.is_multiple_of(PROGRESS_EVERY) {
                progress(done, total);
            }
        })?;
        drop(txn);
        if let Some(e) = failure {
            return Err(e.into());
        }
        self.commit(seq)?;
        // One segment after a rebuild: every query pays a per-segment cost, and a rebuild
        // leaves one segment per indexing-memory flush. The merge keeps the commit payload.
        let segments = self.writer.index().searchable_segment_ids()?;
        if segments.len() > 1 {
            self.writer.merge(&segments).wait()?;
            self.reader.reload()?;
        }
        progress(done, total);
        Ok((done, seq))
    }

    fn commit(&mut self, seq: u64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload { schema_version: SCHEMA_VERSION, seq })?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}

/// How long the writer waits between commits: `MIN_COMMIT_INTERVAL` while changes come
/// now and then, `SUSTAINED_COMMIT_INTERVAL` once they keep arriving right after each
/// commit. Pure (the caller passes the time since the last commit), so it is unit-tested.
#[derive(Debug, Default)]
struct CommitPacer {
    /// Batches in a row that started within `STREAM_GAP` of the commit before them.
    streak: u32,
}

impl CommitPacer {
    /// A new batch starts `since_last_commit` after the previous commit.
    fn batch_started(&mut self, since_last_commit: Duration) {
        self.streak = if since_last_commit < STREAM_GAP { self.streak.saturating_add(1) } else { 0 };
    }

    fn interval(&self) -> Duration {
        if self.streak >= STREAM_BATCHES { SUSTAINED_COMMIT_INTERVAL } else { MIN_COMMIT_INTERVAL }
    }
}

/// The writer thread: batches queued keys and commits them (see module doc).
fn run_writer(mut worker: Worker, rx: Receiver<Msg>, shared: Arc<Shared>) {
    let mut pending: BTreeSet<ItemKey> = BTreeSet::new();
    let mut pending_seq = shared.committed_seq.load(Ordering::SeqCst);
    let mut deadline: Option<Instant> = None;
    let mut last_commit = Instant::now().checked_sub(MIN_COMMIT_INTERVAL).unwrap_or_else(Instant::now);
    let mut pacer = CommitPacer::default();
    loop {
        let msg = match deadline {
            Some(d) => match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            },
        };
        let result = match msg {
            Some(Msg::Sync { keys, seq, queued_ms }) => {
                pending.extend(keys);
                pending_seq = pending_seq.max(seq);
                if deadline.is_none() {
                    shared.oldest_pending_ms.store(queued_ms.max(1), Ordering::SeqCst);
                    pacer.batch_started(last_commit.elapsed());
                    deadline = Some((Instant::now() + BATCH_DELAY).max(last_commit + pacer.interval()));
                }
                if pending.len() >= MAX_PENDING_KEYS {
                    deadline = None;
                    commit_pending(&mut worker, &shared, &mut pending, pending_seq, &mut last_commit).map_err(Arc::new)
                } else {
                    Ok(())
                }
            }
            Some(Msg::Flush(reply)) => {
                deadline = None;
                let r = commit_pending(&mut worker, &shared, &mut pending, pending_seq, &mut last_commit);
                let r = r.map_err(Arc::new);
                let _ = reply.send(r.clone().map_err(SearchError::Writer));
                r
            }
            Some(Msg::Rebuild(mut progress, reply)) => {
                deadline = None;
                // Queued keys are covered by the rebuild's fresh snapshot.
                pending.clear();
                let r = worker.rebuild(&mut *progress).map_err(Arc::new);
                if let Ok((_, seq)) = r {
                    pending_seq = pending_seq.max(seq);
                    shared.committed_seq.store(seq, Ordering::SeqCst);
                    shared.oldest_pending_ms.store(0, Ordering::SeqCst);
                    last_commit = Instant::now();
                }
                let _ = reply.send(r.clone().map(|(n, _)| n).map_err(SearchError::Writer));
                r.map(|_| ())
            }
            None => {
                deadline = None;
                commit_pending(&mut worker, &shared, &mut pending, pending_seq, &mut last_commit).map_err(Arc::new)
            }
        };
        if let Err(e) = result {
            tracing::error!(error = %e, dir = %worker.dir.display(),
                "search index commit failed; rebuilding the index from the item store");
            deadline = None;
            pending.clear();
            if let Some(seq) = heal_until_it_works(&mut worker, &rx, &shared, e) {
                pending_seq = pending_seq.max(seq);
                last_commit = Instant::now();
            } else {
                return;
            }
        }
    }
    let _ = commit_pending(&mut worker, &shared, &mut pending, pending_seq, &mut last_commit);
}

/// Rebuilds the index after a failed commit, retrying every `HEAL_RETRY` while it keeps
/// failing (a full disk). Meanwhile queued changes are dropped — the rebuild reads the
/// store, which has them all — so the state writer never blocks on this queue, and
/// flushes are answered with the failure. Returns the store seq the index covers, or
/// `None` when the channel closed (shutdown).
fn heal_until_it_works(
    worker: &mut Worker,
    rx: &Receiver<Msg>,
    shared: &Shared,
    first: Arc<SearchError>,
) -> Option<u64> {
    // The first failure and the latest retry's: a disk that stays full for a day must not
    // grow this text by one entry per retry.
    let first = first.to_string();
    let mut why;
    let mut attempts: u64 = 0;
    loop {
        match worker.heal() {
            Ok(seq) => {
                shared.committed_seq.store(seq, Ordering::SeqCst);
                shared.oldest_pending_ms.store(0, Ordering::SeqCst);
                if let Ok(mut f) = shared.failure.lock() {
                    *f = None;
                }
                tracing::info!(seq, "search index rebuilt after a failed commit");
                return Some(seq);
            }
            Err(e) => {
                attempts += 1;
                why = format!("{first}; rebuilding it failed too ({attempts} attempts; latest: {e})");
                tracing::error!(error = %why, retry_s = HEAL_RETRY.as_secs(), "search index unavailable for updates");
                if let Ok(mut f) = shared.failure.lock() {
                    *f = Some(why.clone());
                }
            }
        }
        let retry_at = Instant::now() + HEAL_RETRY;
        loop {
            match rx.recv_timeout(retry_at.saturating_duration_since(Instant::now())) {
                Ok(Msg::Sync { .. }) => {}
                Ok(Msg::Flush(reply)) => {
                    let _ = reply.send(Err(SearchError::Unhealed(why.clone())));
                }
                Ok(Msg::Rebuild(_, reply)) => {
                    let _ = reply.send(Err(SearchError::Unhealed(format!("{why}; retrying"))));
                    break;
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// Commits the pending keys (if anything is pending) and records what the index covers.
fn commit_pending(
    worker: &mut Worker,
    shared: &Shared,
    pending: &mut BTreeSet<ItemKey>,
    pending_seq: u64,
    last_commit: &mut Instant,
) -> Result<(), SearchError> {
    if pending.is_empty() && pending_seq == shared.committed_seq.load(Ordering::SeqCst) {
        return Ok(());
    }
    let keys = std::mem::take(pending);
    worker.sync(keys, pending_seq)?;
    shared.committed_seq.store(pending_seq, Ordering::SeqCst);
    shared.oldest_pending_ms.store(0, Ordering::SeqCst);
    *last_commit = Instant::now();
    Ok(())
}

/// Opens an existing index if its marker, schema and checksums are good.
fn try_open(dir: &Path, fields: &Fields) -> Result<Index, IndexUnusable> {
    use IndexUnusable as U;
    let marker = std::fs::read_to_string(dir.join(MARKER_FILE)).map_err(U::NoMarker)?;
    let version: Payload = serde_json::from_str(&marker).map_err(U::MarkerUnreadable)?;
    if version.schema_version != SCHEMA_VERSION {
        return Err(U::MarkerSchemaVersion { found: version.schema_version });
    }
    let index = Index::open_in_dir(dir).map_err(U::DoesNotOpen)?;
    let same_schema = serde_json::to_string(&index.schema()).ok() == serde_json::to_string(&fields.schema).ok();
    if !same_schema {
        return Err(U::SchemaDiffers);
    }
    let damaged = index.validate_checksum().map_err(U::FilesUnreadable)?;
    if !damaged.is_empty() {
        return Err(U::ChecksumFailed { files: damaged.len() });
    }
    let meta = index.load_metas().map_err(U::MetadataUnreadable)?;
    let payload = meta.payload.ok_or(U::NoCommitPayload)?;
    let payload: Payload = serde_json::from_str(&payload).map_err(U::CommitPayloadUnreadable)?;
    if payload.schema_version != SCHEMA_VERSION {
        return Err(U::CommitSchemaVersion { found: payload.schema_version });
    }
    // Opening a reader loads every segment; damaged segments fail here.
    let reader: IndexReader =
        index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(U::SegmentsDoNotLoad)?;
    for segment in reader.searcher().segment_readers() {
        segment.fast_fields().str("owner").map_err(U::FastFieldsUnreadable)?;
    }
    Ok(index)
}

/// Deletes whatever is in `dir` and creates an empty index with the marker file.
fn fresh_index(dir: &Path, fields: &Fields) -> Result<(Index, IndexWriter<TantivyDocument>), SearchError> {
    let io = |source: std::io::Error| SearchError::Io { path: dir.to_path_buf(), source };
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(dir).map_err(io)?,
        // A file (or link) where the index directory belongs: not ours to delete, but the
        // index is derived, so move it aside and rebuild rather than refuse to start.
        Ok(_) => {
            let aside = dir.with_extension(format!("not-a-directory-{}", chrono::Utc::now().timestamp_millis()));
            std::fs::rename(dir, &aside).map_err(io)?;
            tracing::warn!(path = %dir.display(), moved_to = %aside.display(), "the index path was not a directory; moved it aside");
        }
        Err(_) => {}
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let index = Index::create_in_dir(dir, fields.schema.clone())?;
    let marker = serde_json::to_string(&Payload { schema_version: SCHEMA_VERSION, seq: 0 })
        .map_err(|e| SearchError::Index(e.to_string()))?;
    std::fs::write(dir.join(MARKER_FILE), marker).map_err(io)?;
    let writer = new_writer(&index)?;
    Ok((index, writer))
}

fn new_writer(index: &Index) -> Result<IndexWriter<TantivyDocument>, SearchError> {
    index.writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY_BYTES).map_err(SearchError::WriterLocked)
}

fn payload_seq(index: &Index) -> Result<u64, SearchError> {
    let meta = index.load_metas()?;
    Ok(meta.payload.and_then(|p| serde_json::from_str::<Payload>(&p).ok()).map(|p| p.seq).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_change_commits_soon_a_steady_stream_every_few_seconds() {
        let mut p = CommitPacer::default();
        // Changes now and then: the short interval.
        p.batch_started(Duration::from_secs(30));
        assert_eq!(p.interval(), MIN_COMMIT_INTERVAL);
        // Batches that keep starting right after each commit become a stream.
        for _ in 0..STREAM_BATCHES - 1 {
            p.batch_started(Duration::from_millis(600));
            assert_eq!(p.interval(), MIN_COMMIT_INTERVAL);
        }
        p.batch_started(Duration::from_millis(600));
        assert_eq!(p.interval(), SUSTAINED_COMMIT_INTERVAL);
        // Stays paced while the stream goes on (each batch starts at once after a commit).
        p.batch_started(Duration::from_millis(10));
        assert_eq!(p.interval(), SUSTAINED_COMMIT_INTERVAL);
        // A pause ends the stream: the next change is searchable quickly again.
        p.batch_started(STREAM_GAP + Duration::from_millis(1));
        assert_eq!(p.interval(), MIN_COMMIT_INTERVAL);
    }
}
