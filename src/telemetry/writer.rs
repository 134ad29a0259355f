//! The single batching writer: journal first (the commit point), then redb.
//!
//! Socket tasks send persisted events through one bounded channel. The writer takes what
//! is queued (group commit: at most `MAX_BATCH_EVENTS`, and a batch forms while the previous
//! one syncs, so commits are never more than one sync apart), appends it to the journal and
//! `fdatasync`s — from then on the events are committed — and applies them to the day
//! files with cheap non-durable redb commits. Every `CHECKPOINT_INTERVAL` a durable commit
//! records in each file the journal position it covers, and the journal is trimmed behind.
//! A slow or full disk stalls the writer, the channel fills, and socket reads pause: memory
//! never grows and nothing is dropped silently.
//!
//! The journal holds at most `journal_window` of records. Copy safety does not rest on it
//! alone: every `window / 5` the writer writes a consistent snapshot of each day file still
//! written (store.rs), and the journal keeps every record after the snapshot that was
//! current `window / 2` ago (the copy-gap tolerance), so a `cp -r` that copied
//! `telemetry/` up to that long before `journal/` still finds every record its snapshot
//! lacks (ARCHITECTURE.md, "Architecture invariants").

use super::block::{self, MAX_BLOCK_ROWS, Row};
use super::characters::Characters;
use super::portals;
use super::store::{
    self, BLOCKS, DayFiles, EventKey, EventKind, MAX_BLOCK_SPAN_MS, META, ROLLUP_STATE, ROLLUPS, Rollup, StoreError,
    TAIL,
};
use crate::journal::{self, Journal};
use crate::protocol::{Portal, Rare, Spawn, Telemetry};
use redb::{Database, Durability, ReadableTable};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Queue between sockets and the writer. At ~100 B an event this is ~6 MB in flight at
/// most, and about a second of the 50k events/s target: enough to ride out a checkpoint,
/// small enough that a stalled disk pauses plugins within a second.
pub const QUEUE_CAPACITY: usize = 65_536;
/// Events per journal append. Large batches amortize the sync; this bounds one batch's
/// memory and the time one redb commit takes.
pub const MAX_BATCH_EVENTS: usize = 16_384;
/// Durable redb checkpoint period; also bounds how much journal replay a restart needs.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(2);
/// While the disk refuses writes, the writer retries this often.
const RETRY_INTERVAL: Duration = Duration::from_millis(500);
/// A day is closed (never written again, so copy-safe as a plain file) this long after
/// its UTC midnight; events are stamped with the server's receive time, so nothing
/// arrives for a past day except by replay.
pub const CLOSE_GRACE_MS: i64 = 15 * 60 * 1000;
/// A closed day's snapshot is kept this much longer (and the journal keeps what it lacks),
/// so that a `cp -r` that copied the day file while it closed still restores it.
pub const JOURNAL_KEEP_AFTER_CLOSE_MS: i64 = 60 * 60 * 1000;
/// Default of the `journal_window_s` setting.
pub const DEFAULT_JOURNAL_WINDOW: Duration = Duration::from_secs(600);
/// The smallest window the setting accepts: below it, day snapshots would be rewritten
/// every few seconds.
pub const MIN_JOURNAL_WINDOW: Duration = Duration::from_secs(30);

/// Closing days, archiving their rollups and retention run at least this often, even
/// with no events arriving.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(60);
/// Retention deletes a day file no sooner than this after its rollups were archived, so a
/// `cp -r` that copied the archive just before that day was added still finds the day file.
pub const DELETE_AFTER_ARCHIVE_MS: i64 = 60 * 60 * 1000;

/// What housekeeping keeps, and the clock it reads (tests move the clock).
#[derive(Clone, Copy)]
pub struct Retention {
    /// Whole days kept before today's; `None` keeps every day file.
    pub days: Option<u32>,
    /// Unix ms now: days close, archive and expire by this clock.
    pub clock: fn() -> i64,
    /// The journal holds at most this much (by write time) in steady state.
    pub journal_window: Duration,
}

impl Retention {
    /// Day files deleted `days` whole days after today's.
    pub fn days(days: u32) -> Self {
        Retention { days: Some(days), clock: system_now, journal_window: DEFAULT_JOURNAL_WINDOW }
    }

    /// Nothing deleted (restore-check's private copy, benches).
    pub fn forever() -> Self {
        Retention { days: None, clock: system_now, journal_window: DEFAULT_JOURNAL_WINDOW }
    }

    /// The same, with a journal window (at least `MIN_JOURNAL_WINDOW`).
    pub fn with_journal_window(mut self, window: Duration) -> Self {
        self.journal_window = window.max(MIN_JOURNAL_WINDOW);
        self
    }

    /// How long a `cp -r` may take between copying `telemetry/` and `journal/`.
    pub fn copy_gap(&self) -> Duration {
        self.journal_window / 2
    }

    /// How often the day files still written are snapshotted.
    pub fn day_snapshot_interval(&self) -> Duration {
        self.journal_window / 5
    }

    /// Journal segments roll at this age, the granularity of trimming.
    pub fn segment_roll(&self) -> Duration {
        self.journal_window / 10
    }
}

fn system_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One persisted event as it goes into the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub recv_ms: i64,
    pub character: String,
    pub client_time_ms: Option<i64>,
    pub plugin_version: Option<String>,
    pub event: Persisted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Persisted {
    Telemetry(Telemetry),
    Spawn(Spawn),
    Rare(Rare),
    Portal(Portal),
    /// Normalized JSON text (wide, nested shapes are kept as the plugin sent them).
    CharacterStats(String),
    CombatStats(String),
}

/// An event that could not be encoded for the journal (it is refused, never journaled
/// as an empty record).
#[derive(Debug)]
pub struct EncodeError {
    pub character: String,
    pub source: bincode::error::EncodeError,
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an event of {} does not encode for the journal: {}", self.character, self.source)
    }
}

impl std::error::Error for EncodeError {}

impl JournalEntry {
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .map_err(|source| EncodeError { character: self.character.clone(), source })
    }

    pub fn decode(bytes: &[u8]) -> Option<JournalEntry> {
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).ok().map(|(e, _)| e)
    }
}

enum Command {
    Event(Box<JournalEntry>),
    Flush(oneshot::Sender<()>),
    /// Commit what is queued before it, checkpoint, and stop.
    Shutdown(oneshot::Sender<()>),
    /// Commit and checkpoint what is queued before it, then run the job while no day file
    /// is written (online backup copies the open day files this way).
    Paused(PausedJob),
}

type PausedJob = Box<dyn FnOnce() + Send>;

/// Counters the writer keeps for `/metrics` and `/healthz`.
#[derive(Default)]
pub struct WriterStats {
    pub committed: AtomicU64,
    pub applied: AtomicU64,
    pub batches: AtomicU64,
    pub last_batch_events: AtomicU64,
    pub max_batch_events: AtomicU64,
    /// Time from a batch's first event dequeued to its journal sync returning, µs.
    pub last_commit_us: AtomicU64,
    pub max_commit_us: AtomicU64,
    pub commit_us_total: AtomicU64,
    pub checkpoints: AtomicU64,
    pub degraded: AtomicBool,
    pub degraded_reason: Mutex<Option<String>>,
    /// Events refused because they did not encode for the journal.
    pub encode_failures: AtomicU64,
    /// Telemetry blocks that could not be compressed (the batch is retried, never written empty).
    pub block_encode_failures: AtomicU64,
    /// Stored rollup rows that did not decode (the batch is retried, never reset to zero).
    pub rollup_decode_failures: AtomicU64,
    /// Day snapshots written since start.
    pub day_snapshots: AtomicU64,
    /// Size and age span of `journal/`.
    pub journal: Mutex<Option<Arc<journal::JournalGauge>>>,
    /// `/metrics`' commit latency histogram, set once the server's metrics exist.
    pub commit_histogram: std::sync::OnceLock<metrics::Histogram>,
}

impl WriterStats {
    fn set_degraded(&self, reason: Option<String>) {
        self.degraded.store(reason.is_some(), Ordering::Relaxed);
        if let Ok(mut r) = self.degraded_reason.lock() {
            *r = reason;
        }
    }

    pub fn degraded_reason(&self) -> Option<String> {
        self.degraded_reason.lock().ok().and_then(|r| r.clone())
    }

    /// The telemetry journal's size and age span.
    pub fn journal_gauge(&self) -> Option<Arc<journal::JournalGauge>> {
        self.journal.lock().ok().and_then(|g| g.clone())
    }
}

#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Command>,
    pub stats: Arc<WriterStats>,
}

#[derive(Debug)]
pub struct WriterClosed;

impl WriterHandle {
    /// Queues an event; waits (backpressure) while the queue is full.
    pub async fn submit(&self, entry: JournalEntry) -> Result<(), WriterClosed> {
        self.tx.send(Command::Event(Box::new(entry))).await.map_err(|_| WriterClosed)
    }

    /// Resolves once everything submitted before it is committed and applied to redb.
    pub async fn flush(&self) -> Result<(), WriterClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Command::Flush(tx)).await.map_err(|_| WriterClosed)?;
        rx.await.map_err(|_| WriterClosed)
    }

    /// Runs `job` on the writer thread after everything queued before it is committed and
    /// checkpointed; no day file is written while it runs (ingest waits: backpressure).
    pub async fn with_writes_paused<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WriterClosed> {
        let (tx, rx) = oneshot::channel();
        let run: PausedJob = Box::new(move || {
            let _ = tx.send(job());
        });
        self.tx.send(Command::Paused(run)).await.map_err(|_| WriterClosed)?;
        rx.await.map_err(|_| WriterClosed)
    }

    /// Commits everything queued so far, writes a final checkpoint and stops the writer.
    /// Events submitted afterwards are refused.
    pub async fn shutdown(&self) -> Result<(), WriterClosed> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Command::Shutdown(tx)).await.map_err(|_| WriterClosed)?;
        rx.await.map_err(|_| WriterClosed)
    }

    pub fn is_degraded(&self) -> bool {
        self.stats.degraded.load(Ordering::Relaxed)
    }
}

/// What start-up recovery did.
#[derive(Debug, Default, Clone)]
pub struct RecoveryReport {
    pub journal_records: u64,
    pub replayed: u64,
    pub torn_bytes_dropped: u64,
    pub last_seq: u64,
}

/// Opens the journal, replays what the day files' checkpoints do not cover, and starts the
/// writer thread. The returned join handle ends after every sender is dropped and the
/// final checkpoint is written.
pub fn start(
    journal_dir: &std::path::Path,
    days: DayFiles,
    state: Arc<Database>,
    characters: Characters,
    state_snapshot_seq: Arc<AtomicU64>,
    retention: Retention,
) -> Result<(WriterHandle, std::thread::JoinHandle<()>, RecoveryReport), StoreError> {
    portals::ensure_tables(&state)?;
    let stats = Arc::new(WriterStats::default());
    // Everything the journal fed says how far it got: numbering continues past all of it.
    let applied = applied_positions(journal_dir, &days, &state)?;
    let floor_seq = applied.iter().map(|(_, seq)| *seq).max().unwrap_or(0);
    let (journal, open_report) = Journal::open_with(
        journal_dir,
        journal::JournalOptions { floor_seq, roll_after: Some(retention.segment_roll()) },
    )
    .map_err(|e| StoreError(e.to_string()))?;
    if let Some(next) = open_report.numbered_past {
        let files: Vec<String> = applied
            .iter()
            .filter(|(_, seq)| *seq > open_report.last_seq)
            .map(|(f, seq)| format!("{f} (seq {seq})"))
            .collect();
        tracing::error!(
            journal = %journal_dir.display(),
            journal_last_seq = open_report.last_seq,
            files = %files.join(", "),
            next_seq = next,
            "the journal is shorter than the files it fed (deleted, truncated, damaged, or copied before them): \
             numbering continues past every checkpoint; records after the journal's end exist only in those files"
        );
    }
    if let Ok(mut g) = stats.journal.lock() {
        *g = Some(journal.gauge());
    }
    let mut writer = Writer::new(journal, days, state, characters);
    writer.state_snapshot_seq = state_snapshot_seq;
    writer.retention = retention;
    writer.stats = stats.clone();
    let mut report = RecoveryReport {
        torn_bytes_dropped: open_report.torn_bytes_dropped,
        last_seq: open_report.last_seq,
        ..Default::default()
    };
    writer.recover(&mut report)?;
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let thread_stats = stats.clone();
    let join = std::thread::Builder::new()
        .name("telemetry-writer".into())
        .spawn(move || writer.run(rx, thread_stats))
        .map_err(|e| StoreError(format!("cannot start the writer thread: {e}")))?;
    Ok((WriterHandle { tx, stats }, join, report))
}

/// Every journal position something the journal fed has recorded as applied: each day
/// file's checkpoint, each day snapshot's, `state.redb`'s, and each state snapshot's.
/// Names the file for the log.
pub(crate) fn applied_positions(
    journal_dir: &std::path::Path,
    days: &DayFiles,
    state: &Database,
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut out = Vec::new();
    for day in days.days() {
        if let Some(db) = days.get(day, false)? {
            out.push((days.path_of(day).display().to_string(), store::checkpoint_of(&db)?));
        }
    }
    for day in days.snapshot_days() {
        if let Some(cp) = days.snapshot_checkpoint(day) {
            out.push((days.snapshot_path(day).display().to_string(), cp));
        }
    }
    out.push(("state.redb".into(), portals::checkpoint(state)?));
    if let Some(data_dir) = journal_dir.parent() {
        let covers = crate::snapshot::max_covers(data_dir);
        if covers.telemetry_seq > 0 {
            out.push((data_dir.join("snapshots").display().to_string(), covers.telemetry_seq));
        }
    }
    Ok(out)
}

/// When each day's snapshot covered what: the journal keeps what the snapshot current
/// `copy_gap` ago lacks.
#[derive(Default)]
struct DaySnapshots {
    /// Per day, (unix ms written, checkpoint covered), oldest first; pruned to what the
    /// copy-gap lookup can still need.
    history: BTreeMap<i64, std::collections::VecDeque<(i64, u64)>>,
    last_pass: Option<Instant>,
}

impl DaySnapshots {
    fn record(&mut self, day: i64, at_ms: i64, covered: u64, gap_ms: i64) {
        let h = self.history.entry(day).or_default();
        h.push_back((at_ms, covered));
        // Keep the newest entry at or before (now - gap) and everything after it.
        while h.len() >= 2 && h[1].0 <= at_ms - gap_ms {
            h.pop_front();
        }
    }

    /// What the snapshot in place `gap_ms` before `now_ms` covered, if one was.
    fn covered_at(&self, day: i64, now_ms: i64, gap_ms: i64) -> Option<u64> {
        self.history.get(&day)?.iter().rev().find(|(at, _)| *at <= now_ms - gap_ms).map(|(_, c)| *c)
    }

    fn latest(&self, day: i64) -> Option<u64> {
        self.history.get(&day)?.back().map(|(_, c)| *c)
    }
}

/// The per-character state rollups need between events (persisted with each batch).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct RollupCursor {
    kills: Option<u32>,
    deaths: Option<u32>,
    total_xp: Option<i64>,
    t: i64,
    ew: f64,
    ns: f64,
    is_dungeon: bool,
    /// Online time not yet counted in whole seconds.
    online_carry_ms: u64,
}

/// Where a character's open block stands. Its rows are in the day file's tail table,
/// not in memory: memory per character is this, whatever the block holds.
#[derive(Debug, Clone, Copy)]
struct OpenBlock {
    /// The key the block will be sealed under (its first row's).
    key: EventKey,
    rows: usize,
}

struct Writer {
    journal: Journal,
    days: DayFiles,
    state: Arc<Database>,
    characters: Characters,
    /// Open (not yet full) blocks per (day, character).
    open_blocks: HashMap<(i64, u32), OpenBlock>,
    cursors: HashMap<u32, RollupCursor>,
    /// Durable checkpoint per day file (journal seq covered).
    checkpoints: HashMap<i64, u64>,
    state_checkpoint: u64,
    /// Highest seq applied (non-durably) per day since its last checkpoint.
    dirty_days: BTreeMap<i64, u64>,
    state_dirty: Option<u64>,
    last_applied: u64,
    /// Per day: the first journal seq that wrote to it, and whether/when it closed.
    day_info: BTreeMap<i64, store::DayMeta>,
    /// The journal must also be kept back to this seq for the newest state snapshots.
    state_snapshot_seq: Arc<AtomicU64>,
    retention: Retention,
    last_housekeeping: Option<Instant>,
    /// Days whose damaged file was moved aside at start: the replay rebuilds them.
    rebuilding: HashSet<i64>,
    stats: Arc<WriterStats>,
    day_snapshots: DaySnapshots,
    last_window_warning: Option<Instant>,
}

impl Writer {
    fn new(journal: Journal, days: DayFiles, state: Arc<Database>, characters: Characters) -> Self {
        Writer {
            journal,
            days,
            state,
            characters,
            open_blocks: HashMap::new(),
            cursors: HashMap::new(),
            checkpoints: HashMap::new(),
            state_checkpoint: 0,
            dirty_days: BTreeMap::new(),
            state_dirty: None,
            last_applied: 0,
            day_info: BTreeMap::new(),
            state_snapshot_seq: Arc::new(AtomicU64::new(u64::MAX)),
            retention: Retention::forever(),
            last_housekeeping: None,
            rebuilding: HashSet::new(),
            stats: Arc::new(WriterStats::default()),
            day_snapshots: DaySnapshots::default(),
            last_window_warning: None,
        }
    }

    fn recover(&mut self, report: &mut RecoveryReport) -> Result<(), StoreError> {
        self.state_checkpoint = portals::checkpoint(&self.state)?;
        for day in self.days.days() {
            if let Some(db) = self.days.get(day, false)? {
                let meta = store::day_meta(&*db)?;
                self.checkpoints.insert(day, meta.checkpoint_seq);
                self.day_info.insert(day, meta);
            }
        }
        // Snapshots already on disk count from when they were written.
        let gap_ms = self.retention.copy_gap().as_millis() as i64;
        for day in self.days.snapshot_days() {
            if let Some(cp) = self.days.snapshot_checkpoint(day) {
                let at = std::fs::metadata(self.days.snapshot_path(day))
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0);
                self.day_snapshots.record(day, at, cp, gap_ms);
            }
        }
        self.load_cursors()?;
        let mut min_cp = self.checkpoints.values().copied().chain([self.state_checkpoint]).min().unwrap_or(0);
        // Records the files still needed that the journal no longer holds: committed events
        // that nothing on disk has any more. Only days still written can need records.
        let open_cps: Vec<(i64, u64)> = self
            .day_info
            .iter()
            // A day file with no checkpoint yet holds nothing durable to compare against.
            .filter(|(_, m)| !m.closed && m.checkpoint_seq > 0)
            .map(|(d, m)| (*d, m.checkpoint_seq))
            .chain([(i64::MIN, self.state_checkpoint)])
            .collect();
        if let (Some(first), Some(&(_, need_from))) =
            (self.journal.first_held_seq(), open_cps.iter().min_by_key(|(_, cp)| *cp))
            && first > need_from + 1
            && need_from < self.journal.next_seq().saturating_sub(1)
        {
            let files: Vec<String> = open_cps
                .iter()
                .filter(|(_, cp)| *cp + 1 < first)
                .map(|(d, cp)| {
                    let name = if *d == i64::MIN {
                        "state.redb".to_string()
                    } else {
                        self.days.path_of(*d).display().to_string()
                    };
                    format!("{name} (checkpoint {cp})")
                })
                .collect();
            tracing::error!(
                journal = %self.journal.dir().display(),
                journal_first_seq = first,
                files = %files.join(", "),
                "the journal lacks records these files had not yet applied (seqs {} to {}): \
                 those committed events are lost",
                need_from + 1,
                first - 1
            );
            self.journal.gauge().missing_seqs.store(first - 1 - need_from, Ordering::Relaxed);
        }
        self.rebuilding = self.days.take_damaged().into_iter().collect();
        if !self.rebuilding.is_empty() {
            // A day file was moved aside: rebuild it from every record the journal holds.
            min_cp = 0;
        }
        let mut pending: Vec<(u64, JournalEntry)> = Vec::new();
        let mut failure = None;
        let dir = self.journal.dir().to_path_buf();
        let replay = journal::replay(&dir, min_cp, |seq, bytes| {
            report.journal_records += 1;
            match JournalEntry::decode(bytes) {
                Some(e) => pending.push((seq, e)),
                None => tracing::warn!(seq, "journal record does not decode; skipped"),
            }
            if pending.len() >= MAX_BATCH_EVENTS {
                let batch = std::mem::take(&mut pending);
                report.replayed += batch.len() as u64;
                if let Err(e) = self.apply(&batch) {
                    failure.get_or_insert(e);
                }
            }
        })
        .map_err(|e| StoreError(e.to_string()))?;
        if let Some(e) = failure {
            return Err(e);
        }
        report.replayed += pending.len() as u64;
        self.apply(&pending)?;
        self.checkpoint()?;
        if replay.records > 0 {
            tracing::info!(
                records = replay.records,
                torn_segments = replay.torn_segments,
                "recovered: replayed journal records not covered by the last checkpoint"
            );
        }
        Ok(())
    }

    fn load_cursors(&mut self) -> Result<(), StoreError> {
        // The newest two day files hold every character's latest cursor that matters.
        for day in self.days.days().into_iter().rev().take(2).collect::<Vec<_>>().into_iter().rev() {
            let Some(db) = self.days.get(day, false)? else { continue };
            let txn = redb::ReadableDatabase::begin_read(&*db)?;
            let Ok(table) = txn.open_table(ROLLUP_STATE) else { continue };
            for entry in table.iter()? {
                let (k, v) = entry?;
                if let Ok((c, _)) =
                    bincode::serde::decode_from_slice::<RollupCursor, _>(v.value(), bincode::config::standard())
                {
                    self.cursors.insert(k.value(), c);
                }
            }
        }
        Ok(())
    }

    fn run(mut self, mut rx: mpsc::Receiver<Command>, stats: Arc<WriterStats>) {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_time().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::error!(error = %e, "writer runtime failed to start");
                return;
            }
        };
        rt.block_on(async {
            let mut next_checkpoint = Instant::now() + CHECKPOINT_INTERVAL;
            loop {
                let first = tokio::select! {
                    cmd = rx.recv() => cmd,
                    _ = tokio::time::sleep_until(next_checkpoint.into()) => {
                        self.checkpoint_or_degrade(&stats).await;
                        next_checkpoint = Instant::now() + CHECKPOINT_INTERVAL;
                        continue;
                    }
                };
                let Some(first) = first else { break };
                let started = Instant::now();
                let mut events = Vec::new();
                let mut flushes = Vec::new();
                let mut next = Some(first);
                let mut stop = None;
                let mut paused_job = None;
                while let Some(cmd) = next.take() {
                    match cmd {
                        Command::Event(e) => events.push(*e),
                        Command::Flush(tx) => flushes.push(tx),
                        Command::Shutdown(tx) => {
                            stop = Some(tx);
                            break;
                        }
                        Command::Paused(job) => {
                            paused_job = Some(job);
                            break;
                        }
                    }
                    if events.len() < MAX_BATCH_EVENTS {
                        next = rx.try_recv().ok();
                    }
                }
                if !events.is_empty() {
                    self.commit_batch(events, started, &stats).await;
                }
                if Instant::now() >= next_checkpoint {
                    self.checkpoint_or_degrade(&stats).await;
                    next_checkpoint = Instant::now() + CHECKPOINT_INTERVAL;
                }
                for f in flushes {
                    let _ = f.send(());
                }
                if let Some(job) = paused_job {
                    self.checkpoint_or_degrade(&stats).await;
                    next_checkpoint = Instant::now() + CHECKPOINT_INTERVAL;
                    job();
                }
                if let Some(done) = stop {
                    rx.close();
                    // Leave closed days closed and archived, whenever the last pass ran.
                    self.last_housekeeping = None;
                    self.checkpoint_or_degrade(&stats).await;
                    tracing::info!(last_seq = self.last_applied, "writer stopped after a final checkpoint");
                    let _ = done.send(());
                    return;
                }
            }
            self.last_housekeeping = None;
            self.checkpoint_or_degrade(&stats).await;
            tracing::info!(last_seq = self.last_applied, "writer stopped after a final checkpoint");
        });
    }

    /// Journal append (retried until the disk takes it), then apply (retried likewise).
    async fn commit_batch(&mut self, events: Vec<JournalEntry>, started: Instant, stats: &WriterStats) {
        // An event that does not encode is refused, counted and logged: it is never
        // journaled as an empty record.
        let mut payloads = Vec::with_capacity(events.len());
        let mut kept = Vec::with_capacity(events.len());
        for e in events {
            match e.encode() {
                Ok(p) => {
                    payloads.push(p);
                    kept.push(e);
                }
                Err(err) => {
                    stats.encode_failures.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(error = %err, "event refused: it does not encode for the journal");
                }
            }
        }
        let events = kept;
        if events.is_empty() {
            return;
        }
        let first_seq = loop {
            match self.journal.append_batch(&payloads) {
                Ok(seq) => break seq,
                Err(e) => {
                    tracing::error!(error = %e, "journal append failed; ingest paused until it succeeds");
                    let reason = if e.is_disk_full() {
                        "disk full: the journal cannot be written"
                    } else {
                        "journal write failed"
                    };
                    stats.set_degraded(Some(format!("{reason} ({e})")));
                    tokio::time::sleep(RETRY_INTERVAL).await;
                }
            }
        };
        let commit_us = started.elapsed().as_micros() as u64;
        let n = events.len() as u64;
        stats.committed.fetch_add(n, Ordering::Relaxed);
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.last_batch_events.store(n, Ordering::Relaxed);
        stats.max_batch_events.fetch_max(n, Ordering::Relaxed);
        stats.last_commit_us.store(commit_us, Ordering::Relaxed);
        stats.max_commit_us.fetch_max(commit_us, Ordering::Relaxed);
        stats.commit_us_total.fetch_add(commit_us, Ordering::Relaxed);
        if let Some(h) = stats.commit_histogram.get() {
            h.record(commit_us as f64 / 1e6);
        }
        let batch: Vec<(u64, JournalEntry)> =
            events.into_iter().enumerate().map(|(i, e)| (first_seq + i as u64, e)).collect();
        loop {
            match self.apply(&batch) {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "applying committed events to redb failed; retrying");
                    stats.set_degraded(Some(format!("storage write failed: {e}")));
                    tokio::time::sleep(RETRY_INTERVAL).await;
                }
            }
        }
        if stats.degraded.load(Ordering::Relaxed) {
            tracing::info!("storage writes succeed again; ingest resumed");
            stats.set_degraded(None);
        }
        stats.applied.fetch_add(n, Ordering::Relaxed);
    }

    async fn checkpoint_or_degrade(&mut self, stats: &WriterStats) {
        match self.checkpoint() {
            Ok(done) => {
                if done {
                    stats.checkpoints.fetch_add(1, Ordering::Relaxed);
                }
                // Commits and checkpoints run on this one thread: when a checkpoint
                // succeeds nothing is failing any more, so a degraded state its failure
                // set ends here, not at the next commit (an idle server would stay 503).
                if stats.degraded.load(Ordering::Relaxed) {
                    tracing::info!("storage writes succeed again");
                    stats.set_degraded(None);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "checkpoint failed; the journal is kept until one succeeds");
                stats.set_degraded(Some(format!("checkpoint failed: {e}")));
            }
        }
    }

    /// Applies committed events to redb. All-or-nothing per call: memory state (open
    /// blocks, rollup cursors) changes only after every transaction committed, so a failed
    /// call can be retried with the same batch.
    fn apply(&mut self, batch: &[(u64, JournalEntry)]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut by_day: BTreeMap<i64, Vec<&(u64, JournalEntry)>> = BTreeMap::new();
        for item in batch {
            by_day.entry(store::day_of(item.1.recv_ms)).or_default().push(item);
        }
        let mut new_blocks: HashMap<(i64, u32), OpenBlock> = HashMap::new();
        let mut new_cursors: HashMap<u32, RollupCursor> = HashMap::new();
        let mut portal_updates = Vec::new();
        let mut day_done = Vec::new();
        let mut new_first_seqs = Vec::new();
        // Characters and portals live in state.redb, whose checkpoint can lag the day files'
        // (a state.redb restored from a snapshot). Register them in journal order, whatever
        // day they fall on, so a replay hands out the same ids as the first run did.
        let mut ids = HashMap::with_capacity(batch.len());
        for (seq, e) in batch {
            ids.insert(*seq, self.characters.ensure(&e.character, e.recv_ms)?);
            if *seq > self.state_checkpoint
                && let Persisted::Portal(p) = &e.event
            {
                portal_updates.push((p.clone(), e.character.clone(), e.recv_ms));
            }
        }
        let archived = self.days.archive().view();
        for (day, items) in &by_day {
            if archived.holds(*day) && !self.rebuilding.contains(day) && !self.days.path_of(*day).exists() {
                // Only a replay reaches here: the day was archived and retention deleted its
                // file. Writing it would bring back a file retention removed.
                continue;
            }
            let db = self.days.get(*day, true)?.ok_or_else(|| StoreError("day file vanished".into()))?;
            let cp = match self.checkpoints.get(day) {
                Some(cp) => *cp,
                None => store::checkpoint_of(&db)?,
            };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::None).map_err(|e| StoreError(e.to_string()))?;
            let first_in_batch = items.iter().map(|(seq, _)| *seq).find(|seq| *seq > cp);
            let known_first = self.day_info.get(day).map(|m| m.first_seq).unwrap_or(0);
            if let Some(first) = first_in_batch.filter(|_| known_first == 0) {
                txn.open_table(META)?.insert("first_seq", first)?;
                new_first_seqs.push((*day, first));
            }
            let mut rollups: HashMap<(u32, i64), Rollup> = HashMap::new();
            let mut max_seq = 0;
            {
                let mut blocks_t = txn.open_table(BLOCKS)?;
                let mut tail_t = txn.open_table(TAIL)?;
                let mut rollups_t = txn.open_table(ROLLUPS)?;
                let mut kind_tables: HashMap<EventKind, redb::Table<EventKey, &[u8]>> = HashMap::new();
                for (seq, e) in items {
                    if *seq <= cp {
                        continue;
                    }
                    max_seq = *seq;
                    let Some(&id) = ids.get(seq) else { continue };
                    let hour = e.recv_ms - e.recv_ms.rem_euclid(3_600_000);
                    match &e.event {
                        Persisted::Telemetry(t) => {
                            let bkey = (*day, id);
                            let blk = match new_blocks.entry(bkey) {
                                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                                std::collections::hash_map::Entry::Vacant(v) => {
                                    let known = match self.open_blocks.get(&bkey) {
                                        Some(b) => Some(*b),
                                        // After a restart: the tail table says where it stood.
                                        None => open_block_in(&tail_t, id)?,
                                    };
                                    v.insert(known.unwrap_or(OpenBlock { key: (id, e.recv_ms, *seq as u32), rows: 0 }))
                                }
                            };
                            if blk.rows > 0
                                && (blk.rows >= MAX_BLOCK_ROWS
                                    || e.recv_ms - blk.key.1 > MAX_BLOCK_SPAN_MS
                                    || e.recv_ms < blk.key.1)
                            {
                                // Seal: the open rows become one compressed block, written once.
                                self.seal_tail(*day, id, &mut blocks_t, &mut tail_t)?;
                                blk.rows = 0;
                            }
                            if blk.rows == 0 {
                                blk.key = (id, e.recv_ms, *seq as u32);
                            }
                            let row = Row {
                                t: e.recv_ms,
                                client_time_ms: e.client_time_ms,
                                plugin_version: e.plugin_version.clone(),
                                tel: t.clone(),
                            };
                            tail_t.insert((id, e.recv_ms, *seq as u32), block::encode_row(&row).as_slice())?;
                            blk.rows += 1;
                            let cursor = new_cursors
                                .entry(id)
                                .or_insert_with(|| self.cursors.get(&id).cloned().unwrap_or_default());
                            let delta = rollup_step(cursor, e.recv_ms, t);
                            let r = rollups.entry((id, hour)).or_default();
                            add_rollup(r, &delta);
                        }
                        other => {
                            let (kind, bytes) = match other {
                                Persisted::Spawn(s) => (EventKind::Spawn, serde_json::to_vec(s)),
                                Persisted::Rare(r) => {
                                    rollups.entry((id, hour)).or_default().rares += 1;
                                    (EventKind::Rare, serde_json::to_vec(r))
                                }
                                Persisted::Portal(p) => (EventKind::Portal, serde_json::to_vec(p)),
                                Persisted::CharacterStats(s) => (EventKind::CharacterStats, Ok(s.as_bytes().to_vec())),
                                Persisted::CombatStats(s) => (EventKind::CombatStats, Ok(s.as_bytes().to_vec())),
                                Persisted::Telemetry(_) => continue,
                            };
                            let bytes = bytes.map_err(|e| StoreError(e.to_string()))?;
                            let t = match kind_tables.entry(kind) {
                                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                                std::collections::hash_map::Entry::Vacant(v) => v.insert(txn.open_table(kind.table())?),
                            };
                            {
                                t.insert((id, e.recv_ms, *seq as u32), bytes.as_slice())?;
                            }
                        }
                    }
                }
                for ((id, hour), delta) in rollups {
                    // A stored row that does not decode is an error (the batch is retried and
                    // storage reports degraded), never silently reset to zero.
                    let mut current = match rollups_t.get((id, hour))? {
                        Some(v) => super::rollups::decode(v.value()).map_err(|e| {
                            self.stats.rollup_decode_failures.fetch_add(1, Ordering::Relaxed);
                            StoreError(format!(
                                "{}: hourly rollup of character {id} at {hour} ms: {e}",
                                self.days.path_of(*day).display()
                            ))
                        })?,
                        None => Rollup::default(),
                    };
                    current.merge(&delta);
                    let bytes = bincode::serde::encode_to_vec(&current, bincode::config::standard())
                        .map_err(|e| StoreError(e.to_string()))?;
                    rollups_t.insert((id, hour), bytes.as_slice())?;
                }
            }
            {
                let mut state_t = txn.open_table(ROLLUP_STATE)?;
                for (id, c) in &new_cursors {
                    let bytes = bincode::serde::encode_to_vec(c, bincode::config::standard())
                        .map_err(|e| StoreError(e.to_string()))?;
                    state_t.insert(*id, bytes.as_slice())?;
                }
            }
            txn.commit()?;
            if max_seq > 0 {
                day_done.push((*day, max_seq));
            }
        }
        if !portal_updates.is_empty() {
            portals::upsert(&self.state, &portal_updates)?;
            self.state_dirty = Some(batch.last().map(|b| b.0).unwrap_or(0));
        }
        // Everything committed: adopt the new memory state.
        for (k, b) in new_blocks {
            self.open_blocks.insert(k, b);
        }
        self.cursors.extend(new_cursors);
        for (day, first) in new_first_seqs {
            self.day_info.entry(day).or_default().first_seq = first;
        }
        for (day, seq) in day_done {
            let e = self.dirty_days.entry(day).or_insert(0);
            *e = (*e).max(seq);
        }
        self.last_applied = self.last_applied.max(batch.last().map(|b| b.0).unwrap_or(0));
        // Keep only today's and yesterday's open blocks in memory.
        if let Some(max_day) = by_day.keys().max().copied() {
            self.open_blocks.retain(|(d, _), _| *d >= max_day - 1);
        }
        Ok(())
    }

    /// Seals a character's open block: its tail rows are written once as compressed
    /// blocks (of at most `MAX_BLOCK_ROWS`) and removed from the tail, in the caller's
    /// transaction. A compression failure is counted and fails the batch (retried), never
    /// written as an empty block.
    fn seal_tail(
        &self,
        day: i64,
        id: u32,
        blocks_t: &mut redb::Table<EventKey, &[u8]>,
        tail_t: &mut redb::Table<EventKey, &[u8]>,
    ) -> Result<(), StoreError> {
        let range = (id, i64::MIN, 0u32)..=(id, i64::MAX, u32::MAX);
        let mut keys = Vec::new();
        let mut rows = Vec::new();
        for entry in tail_t.range(range.clone())? {
            let (k, v) = entry?;
            keys.push(k.value());
            rows.push(block::decode_row(v.value()).map_err(|e| {
                StoreError(format!("{}: open row of character {id}: {e}", self.days.path_of(day).display()))
            })?);
        }
        for (chunk_keys, chunk) in keys.chunks(MAX_BLOCK_ROWS).zip(rows.chunks(MAX_BLOCK_ROWS)) {
            let bytes = block::encode(chunk).map_err(|e| {
                self.stats.block_encode_failures.fetch_add(1, Ordering::Relaxed);
                StoreError(format!("{}: {e}", self.days.path_of(day).display()))
            })?;
            blocks_t.insert(chunk_keys[0], bytes.as_slice())?;
        }
        tail_t.retain_in(range, |_, _| false)?;
        Ok(())
    }

    /// Seals every open block of a day (it closes: a closed file holds blocks only).
    fn seal_day(&mut self, txn: &redb::WriteTransaction, day: i64) -> Result<usize, StoreError> {
        let mut blocks_t = txn.open_table(BLOCKS)?;
        let mut tail_t = txn.open_table(TAIL)?;
        let mut ids = Vec::new();
        let mut next = Some((0u32, i64::MIN, 0u32));
        // One lookup per character: jump past each one's rows.
        while let Some(from) = next.take() {
            if let Some(entry) = tail_t.range(from..)?.next() {
                let id = entry?.0.value().0;
                ids.push(id);
                next = id.checked_add(1).map(|n| (n, i64::MIN, 0u32));
            }
        }
        for id in &ids {
            self.seal_tail(day, *id, &mut blocks_t, &mut tail_t)?;
        }
        Ok(ids.len())
    }

    /// Durable commits recording the covered journal position; then trims the journal.
    /// Returns whether anything was checkpointed.
    fn checkpoint(&mut self) -> Result<bool, StoreError> {
        if self.dirty_days.is_empty() && self.state_dirty.is_none() {
            self.housekeeping()?;
            return Ok(false);
        }
        let dirty = std::mem::take(&mut self.dirty_days);
        for (day, seq) in &dirty {
            let Some(db) = self.days.get(*day, true)? else { continue };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate).map_err(|e| StoreError(e.to_string()))?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert("checkpoint_seq", *seq)?;
            }
            if let Err(e) = txn.commit() {
                // Put the unfinished days back so the next checkpoint retries them.
                for (d, s) in dirty.iter().filter(|(d, _)| **d >= *day) {
                    self.dirty_days.insert(*d, *s);
                }
                return Err(e.into());
            }
            self.checkpoints.insert(*day, *seq);
        }
        let state_seq = self.last_applied;
        portals::checkpoint_commit(&self.state, state_seq, &self.characters)?;
        self.state_checkpoint = state_seq;
        self.state_dirty = None;
        self.housekeeping()?;
        Ok(true)
    }

    /// Closing finished days, archiving their rollups and retention, at most once per
    /// `HOUSEKEEPING_INTERVAL` (days change at midnight, not every checkpoint); then the
    /// journal trim, which a checkpoint may have made possible.
    fn housekeeping(&mut self) -> Result<(), StoreError> {
        if self.last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_INTERVAL) {
            self.last_housekeeping = Some(Instant::now());
            self.close_finished_days()?;
            self.archive_closed_days()?;
            self.enforce_retention()?;
            self.drop_old_day_snapshots()?;
        }
        self.snapshot_days_if_due()?;
        self.trim_journal()
    }

    /// Every `day_snapshot_interval`, a consistent copy of each day file that changed
    /// since its last snapshot and is still written (or closed within the hour). Runs right
    /// after a durable checkpoint on the writer thread, so no write is in flight.
    fn snapshot_days_if_due(&mut self) -> Result<(), StoreError> {
        // The first pass comes at the first checkpoint after start: a restart re-arms
        // copy safety at once instead of holding the journal back a whole interval.
        let interval = self.retention.day_snapshot_interval();
        if self.day_snapshots.last_pass.is_some_and(|t| t.elapsed() < interval) || !self.dirty_days.is_empty() {
            return Ok(());
        }
        self.day_snapshots.last_pass = Some(Instant::now());
        let now = (self.retention.clock)();
        let gap_ms = self.retention.copy_gap().as_millis() as i64;
        let due: Vec<(i64, u64)> = self
            .day_info
            .iter()
            .filter(|(_, m)| !m.closed || now - m.closed_at_ms < JOURNAL_KEEP_AFTER_CLOSE_MS)
            .filter_map(|(d, _)| {
                let cp = self.checkpoints.get(d).copied().unwrap_or(0);
                let have = self.day_snapshots.latest(*d);
                (cp > 0 && have.is_none_or(|h| h < cp)).then_some((*d, cp))
            })
            .collect();
        for (day, _) in due {
            let covered = self.days.write_day_snapshot(day)?;
            self.day_snapshots.record(day, system_now(), covered, gap_ms);
            self.stats.day_snapshots.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Snapshots of days closed more than `JOURNAL_KEEP_AFTER_CLOSE_MS` ago are deleted
    /// (the closed file is immutable and copies whole).
    fn drop_old_day_snapshots(&mut self) -> Result<(), StoreError> {
        let now = (self.retention.clock)();
        for day in self.days.snapshot_days() {
            let done = match self.day_info.get(&day) {
                Some(m) => m.closed && now - m.closed_at_ms >= JOURNAL_KEEP_AFTER_CLOSE_MS,
                None => true,
            };
            if done {
                self.days.delete_day_snapshot(day)?;
                self.day_snapshots.history.remove(&day);
            }
        }
        Ok(())
    }

    /// Copies closed days' hourly rollups into `rollups.redb`, where they outlive the day
    /// files. A crash between closing and archiving is repaired by the next pass.
    fn archive_closed_days(&mut self) -> Result<(), StoreError> {
        let archived = self.days.archive().view();
        let due: Vec<i64> =
            self.day_info.iter().filter(|(day, m)| m.closed && !archived.holds(**day)).map(|(d, _)| *d).collect();
        if due.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(due.len());
        for day in &due {
            rows.push((*day, self.days.day_rollups(*day)?));
        }
        let hours: usize = rows.iter().map(|(_, r)| r.len()).sum();
        let n = self.days.archive().archive_days(rows, (self.retention.clock)())?;
        tracing::info!(days = n, hourly_rows = hours, "closed days' rollups archived in rollups.redb (kept forever)");
        Ok(())
    }

    /// The first day retention keeps (`retention_days` whole days before today's).
    fn retention_cutoff(&self) -> Option<i64> {
        self.retention.days.map(|keep| store::day_of((self.retention.clock)()) - i64::from(keep))
    }

    /// Deletes day files older than the retention window once their rollups are archived
    /// (and have been for `DELETE_AFTER_ARCHIVE_MS`).
    fn enforce_retention(&mut self) -> Result<(), StoreError> {
        let Some(cutoff) = self.retention_cutoff() else { return Ok(()) };
        let now = (self.retention.clock)();
        let archived = self.days.archive().view();
        let expired: Vec<i64> = self
            .day_info
            .keys()
            .copied()
            .filter(|day| *day < cutoff)
            .filter(|day| archived.days().get(day).is_some_and(|at| now - at >= DELETE_AFTER_ARCHIVE_MS))
            .collect();
        for day in expired {
            self.days.delete_day(day)?;
            self.day_info.remove(&day);
            self.checkpoints.remove(&day);
            self.dirty_days.remove(&day);
            self.open_blocks.retain(|(d, _), _| *d != day);
            tracing::info!(day = %store::day_name(day), retention_days = self.retention.days,
                "day file past retention deleted; its hourly rollups stay in rollups.redb");
        }
        Ok(())
    }

    /// Marks days past their grace period closed (durably); they are never written again.
    fn close_finished_days(&mut self) -> Result<(), StoreError> {
        let now = (self.retention.clock)();
        let due: Vec<i64> = self
            .day_info
            .iter()
            .filter(|(day, m)| !m.closed && now >= (**day + 1) * store::DAY_MS + CLOSE_GRACE_MS)
            .map(|(d, _)| *d)
            .collect();
        for day in due {
            let Some(db) = self.days.get(day, false)? else { continue };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate).map_err(|e| StoreError(e.to_string()))?;
            let sealed = self.seal_day(&txn, day)?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert("closed", 1u64)?;
                meta.insert("closed_at_ms", now as u64)?;
            }
            txn.commit()?;
            if let Some(m) = self.day_info.get_mut(&day) {
                m.closed = true;
                m.closed_at_ms = now;
            }
            self.open_blocks.retain(|(d, _), _| *d != day);
            tracing::info!(day = %store::day_name(day), open_blocks_sealed = sealed, "day closed: its file is now immutable");
        }
        Ok(())
    }

    /// Deletes journal segments no longer needed: every record is durable in redb, and
    /// the journal still covers (a) for every day not closed, or closed within the last
    /// hour, every record after the snapshot that was in place `copy_gap` ago (every record
    /// of the day when there was none), so a torn copy of such a day file can be restored,
    /// and (b) the oldest kept state snapshot.
    fn trim_journal(&mut self) -> Result<(), StoreError> {
        let now = (self.retention.clock)();
        let wall = system_now();
        let gap_ms = self.retention.copy_gap().as_millis() as i64;
        let mut keep_from = self.last_applied + 1;
        for (day, m) in &self.day_info {
            let still_needed = !m.closed || now - m.closed_at_ms < JOURNAL_KEEP_AFTER_CLOSE_MS;
            if !still_needed {
                continue;
            }
            match self.day_snapshots.covered_at(*day, wall, gap_ms) {
                Some(covered) => keep_from = keep_from.min(covered + 1),
                None if m.first_seq > 0 => keep_from = keep_from.min(m.first_seq),
                None => {}
            }
        }
        keep_from = keep_from.min(self.state_snapshot_seq.load(Ordering::Relaxed).saturating_add(1));
        self.journal.trim_before(keep_from).map_err(|e| StoreError(e.to_string()))?;
        self.warn_if_past_window(wall);
        Ok(())
    }

    /// The window is kept by snapshots and checkpoints succeeding; when they do not, the
    /// journal grows rather than lose copy safety, and says so once a minute.
    fn warn_if_past_window(&mut self, wall: i64) {
        let gauge = self.journal.gauge();
        let age = gauge.oldest_age_s(wall);
        let window = self.retention.journal_window.as_secs_f64();
        if age > window && self.last_window_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
            self.last_window_warning = Some(Instant::now());
            tracing::warn!(
                oldest_record_age_s = age as u64,
                journal_window_s = window as u64,
                "the journal holds records older than its window: a checkpoint or day snapshot is not keeping up \
                 (or the server started less than half a window ago)"
            );
        }
    }
}

/// The open block a day file's tail table holds for a character, if any.
fn open_block_in(tail_t: &redb::Table<EventKey, &[u8]>, id: u32) -> Result<Option<OpenBlock>, StoreError> {
    let mut found: Option<OpenBlock> = None;
    for entry in tail_t.range((id, i64::MIN, 0u32)..=(id, i64::MAX, u32::MAX))? {
        let key = entry?.0.value();
        found.get_or_insert(OpenBlock { key, rows: 0 }).rows += 1;
    }
    Ok(found)
}

#[derive(Default)]
pub(crate) struct Delta {
    kills: u64,
    deaths: u64,
    xp: i64,
    distance_m: f64,
    online_s: u64,
}

pub(crate) fn add_rollup(r: &mut Rollup, d: &Delta) {
    r.kills += d.kills;
    r.deaths += d.deaths;
    r.xp += d.xp;
    r.distance_m += d.distance_m;
    r.online_s += d.online_s;
    r.events += 1;
}

/// Per-event rollup increments from session counters: a counter that goes down starts a
/// new session (protocol.md), so its new value is the increment.
pub(crate) fn rollup_step(c: &mut RollupCursor, t: i64, tel: &Telemetry) -> Delta {
    let counter = |prev: Option<u32>, now: Option<u32>| match (prev, now) {
        (Some(p), Some(n)) if n >= p => u64::from(n - p),
        (Some(_), Some(n)) => u64::from(n),
        _ => 0,
    };
    let mut d = Delta { kills: counter(c.kills, tel.kills), deaths: counter(c.deaths, tel.deaths), ..Delta::default() };
    if let (Some(p), Some(n)) = (c.total_xp, tel.total_xp) {
        d.xp = (n - p).max(0);
    }
    let gap = t - c.t;
    if c.t > 0 && (0..=120_000).contains(&gap) {
        // Sub-second gaps add up through the carry instead of rounding to nothing.
        c.online_carry_ms += gap as u64;
        d.online_s = c.online_carry_ms / 1000;
        c.online_carry_ms %= 1000;
        let jump = ((tel.ew - c.ew).powi(2) + (tel.ns - c.ns).powi(2)).sqrt();
        if jump <= 1.0 && tel.is_dungeon == c.is_dungeon && !tel.is_dungeon {
            d.distance_m = jump * 240.0;
        }
    }
    if tel.kills.is_some() {
        c.kills = tel.kills;
    }
    if tel.deaths.is_some() {
        c.deaths = tel.deaths;
    }
    if tel.total_xp.is_some() {
        c.total_xp = tel.total_xp;
    }
    c.t = t;
    c.ew = tel.ew;
    c.ns = tel.ns;
    c.is_dungeon = tel.is_dungeon;
    d
}
