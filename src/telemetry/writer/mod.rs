//! The single batching writer: journal first (the commit point), then redb.
//!
//! Socket tasks send persisted events through one bounded channel. The writer takes what
//! is queued (group commit: at most `MAX_BATCH_EVENTS`, gathered for up to
//! `GROUP_COMMIT_WINDOW`, and a batch forms while the previous one syncs), appends it to the journal and
//! `fdatasync`s — from then on the events are committed — and applies them to the day
//! files (`apply`) with cheap non-durable redb commits, gathered for up to
//! `APPLY_INTERVAL` so redb copies fewer pages. Every `CHECKPOINT_INTERVAL` a durable commit
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

mod apply;
mod housekeeping;
mod rollup_step;

use housekeeping::DaySnapshots;
pub(crate) use rollup_step::{RollupCursor, add_rollup, rollup_step};

use crate::journal::{self, Journal};
use crate::protocol::{Portal, Rare, Spawn, Telemetry};
use crate::telemetry::block::Anchor;
use crate::telemetry::characters::Characters;
use crate::telemetry::portals;
use crate::telemetry::store::{self, DayFiles, EventKey, META, ROLLUP_STATE, TelemetryError};
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
/// Committed events wait at most this long (or until `MAX_BATCH_EVENTS` have gathered)
/// before they are applied to redb in one transaction. They are durable in the journal
/// already; applying fewer, larger batches keeps redb from copying the same B-tree pages
/// on every small commit (the open day file grew with that churn). A flush, a checkpoint
/// and a pause apply at once, so a reader that flushed sees everything.
pub const APPLY_INTERVAL: Duration = Duration::from_millis(250);
/// How long a batch may gather events before its journal sync. Why: at 600 characters
/// events arrive one or two at a time, and a sync per arrival was about 350 `fdatasync`s a
/// second; gathering for 20 ms bounds that at 50 a second, and the thread wakes once per
/// window instead of once per event. Only when the queue runs dry: under heavy load a batch
/// fills from the queue at once. Nothing is committed any later than it would be waiting in
/// the channel (the commit point is still the sync), and the live view does not wait for
/// the journal.
pub const GROUP_COMMIT_WINDOW: Duration = Duration::from_millis(20);
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
    /// Blocks (telemetry or other kinds) that could not be compressed (the batch or sealing
    /// pass is retried, never written empty).
    pub block_encode_failures: AtomicU64,
    /// Rows of the other kinds moved from their tail tables into compressed blocks.
    pub kind_rows_sealed: AtomicU64,
    /// Open telemetry blocks sealed because their character stopped sending
    /// (`Writer::seal_stale_blocks`).
    pub stale_blocks_sealed: AtomicU64,
    /// Stored rollup rows that did not decode (the batch is retried, never reset to zero).
    pub rollup_decode_failures: AtomicU64,
    /// Day snapshots written since start.
    pub day_snapshots: AtomicU64,
    /// Bytes of day snapshots written since start: the write cost of copy safety, which
    /// grows with the open day (each snapshot holds the whole day so far).
    pub day_snapshot_written_bytes: AtomicU64,
    /// The last snapshot pass's time on the writer thread (µs): applies wait this long.
    pub day_snapshot_start_us: AtomicU64,
    /// The last snapshot's writing, fsync and rename on the helper thread (µs).
    pub day_snapshot_finish_us: AtomicU64,
    /// Closed day files rewritten compacted.
    pub days_compacted: AtomicU64,
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
) -> Result<(WriterHandle, std::thread::JoinHandle<()>, RecoveryReport), TelemetryError> {
    portals::ensure_tables(&state)?;
    let stats = Arc::new(WriterStats::default());
    // Everything the journal fed says how far it got: numbering continues past all of it.
    let applied = applied_positions(journal_dir, &days, &state)?;
    let floor_seq = applied.iter().map(|(_, seq)| *seq).max().unwrap_or(0);
    let (journal, open_report) = Journal::open_with(
        journal_dir,
        journal::JournalOptions { floor_seq, roll_after: Some(retention.segment_roll()) },
    )
    .map_err(|e| TelemetryError::Journal(e.to_string()))?;
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
        .map_err(|e| TelemetryError::Io(std::io::Error::other(format!("cannot start the writer thread: {e}"))))?;
    Ok((WriterHandle { tx, stats }, join, report))
}

/// Every journal position something the journal fed has recorded as applied: each day
/// file's checkpoint, each day snapshot's, `state.redb`'s, and each state snapshot's.
/// Names the file for the log.
pub(crate) fn applied_positions(
    journal_dir: &std::path::Path,
    days: &DayFiles,
    state: &Database,
) -> Result<Vec<(String, u64)>, TelemetryError> {
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

/// Where a character's open block stands. Its rows are in the day file's tail table,
/// not in memory: memory per character is this (a few hundred bytes), whatever the block
/// holds.
#[derive(Debug, Clone)]
struct OpenBlock {
    /// The key the block will be sealed under (its first row's).
    key: EventKey,
    rows: usize,
    /// The first row's stored columns, which every later row is written against (`None`
    /// until the block has its first row).
    anchor: Option<Arc<Anchor>>,
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
    /// Committed (journaled) events not yet applied to redb, oldest first.
    pending: Vec<(u64, JournalEntry)>,
    /// When the oldest pending event was committed.
    pending_since: Option<Instant>,
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
            pending: Vec::new(),
            pending_since: None,
        }
    }

    fn recover(&mut self, report: &mut RecoveryReport) -> Result<(), TelemetryError> {
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
            // Nor does one whose snapshot holds all it checkpointed: the journal is trimmed
            // past it then (`trim_journal`), as its later records were not yet applied.
            .filter(|(d, m)| self.day_snapshots.latest(**d).is_none_or(|s| s < m.checkpoint_seq))
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
        .map_err(|e| TelemetryError::Journal(e.to_string()))?;
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

    fn load_cursors(&mut self) -> Result<(), TelemetryError> {
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
                let apply_due = self.pending_since.map(|t| t + APPLY_INTERVAL);
                let wake = apply_due.map_or(next_checkpoint, |a| a.min(next_checkpoint));
                let first = tokio::select! {
                    cmd = rx.recv() => cmd,
                    _ = tokio::time::sleep_until(wake.into()) => {
                        if Instant::now() >= next_checkpoint {
                            self.checkpoint_or_degrade(&stats).await;
                            next_checkpoint = Instant::now() + CHECKPOINT_INTERVAL;
                        } else {
                            self.apply_pending(&stats).await;
                        }
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
                let mut gathered = false;
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
                        // A trickle of events (the queue ran dry): sleep out the rest of
                        // GROUP_COMMIT_WINDOW once, then take what queued meanwhile. Sleeping
                        // rather than waking per event keeps the thread's wake-ups at about
                        // one per window. Not when someone waits on a flush.
                        if next.is_none() && !events.is_empty() && flushes.is_empty() && !gathered {
                            gathered = true;
                            let left = GROUP_COMMIT_WINDOW.saturating_sub(started.elapsed());
                            if !left.is_zero() {
                                tokio::time::sleep(left).await;
                                next = rx.try_recv().ok();
                            }
                        }
                    }
                }
                if !events.is_empty() {
                    self.commit_batch(events, started, &stats).await;
                }
                if !flushes.is_empty()
                    || self.pending.len() >= MAX_BATCH_EVENTS
                    || self.pending_since.is_some_and(|t| t.elapsed() >= APPLY_INTERVAL)
                {
                    self.apply_pending(&stats).await;
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
                    self.finish_day_snapshots_or_log();
                    tracing::info!(last_seq = self.last_applied, "writer stopped after a final checkpoint");
                    let _ = done.send(());
                    return;
                }
            }
            self.last_housekeeping = None;
            self.checkpoint_or_degrade(&stats).await;
            self.finish_day_snapshots_or_log();
            tracing::info!(last_seq = self.last_applied, "writer stopped after a final checkpoint");
        });
    }

    /// At stop: waits for the day snapshots a helper is finishing. A failure is logged
    /// only: the journal still holds what that snapshot lacks, and the next start snapshots
    /// the day again.
    fn finish_day_snapshots_or_log(&mut self) {
        if let Err(e) = self.finish_day_snapshots() {
            tracing::warn!(error = %e, "a day snapshot did not finish at stop; the journal keeps its records");
        }
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
        self.pending_since.get_or_insert_with(Instant::now);
        self.pending.extend(events.into_iter().enumerate().map(|(i, e)| (first_seq + i as u64, e)));
    }

    /// Applies every committed event not yet in redb, in one call (retried until the disk
    /// takes it: the events are committed, so they are never dropped).
    async fn apply_pending(&mut self, stats: &WriterStats) {
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        self.pending_since = None;
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
        stats.applied.fetch_add(batch.len() as u64, Ordering::Relaxed);
    }

    async fn checkpoint_or_degrade(&mut self, stats: &WriterStats) {
        // A checkpoint covers what is applied: apply what waits first.
        self.apply_pending(stats).await;
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

    /// Durable commits recording the covered journal position; then trims the journal.
    /// Returns whether anything was checkpointed.
    fn checkpoint(&mut self) -> Result<bool, TelemetryError> {
        if self.dirty_days.is_empty() && self.state_dirty.is_none() {
            self.housekeeping()?;
            return Ok(false);
        }
        let dirty = std::mem::take(&mut self.dirty_days);
        for (day, seq) in &dirty {
            let Some(db) = self.days.get(*day, true)? else { continue };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
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
}
