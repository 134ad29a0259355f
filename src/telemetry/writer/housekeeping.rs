//! The writer's housekeeping between checkpoints: closing finished days (sealing their
//! open blocks), archiving closed days' rollups, retention, the day snapshots that keep a
//! `cp -r` restorable, and trimming the journal to its window.
//!
//! Runs only on the writer thread, right after a durable checkpoint; never applies events.
//! The exceptions are the file writes that take seconds — the second half of a day
//! snapshot (writing the rows of a read transaction into a new file and renaming it into
//! place) and compacting a closed day's file — which a helper thread runs so that applies
//! and commits do not wait on them.

use super::{
    CLOSE_GRACE_MS, DELETE_AFTER_ARCHIVE_MS, HOUSEKEEPING_INTERVAL, JOURNAL_KEEP_AFTER_CLOSE_MS, Writer, system_now,
};
use crate::telemetry::store::{self, META, PendingDaySnapshot, TelemetryError};
use redb::Durability;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// When each day's snapshot covered what: the journal keeps what the snapshot current
/// `copy_gap` ago lacks.
#[derive(Default)]
pub(super) struct DaySnapshots {
    /// Per day, (unix ms written, checkpoint covered), oldest first; pruned to what the
    /// copy-gap lookup can still need.
    pub(super) history: BTreeMap<i64, std::collections::VecDeque<(i64, u64)>>,
    pub(super) last_pass: Option<Instant>,
    /// Days with a job on the helper (a snapshot finishing, a closed file compacting): no
    /// other job, and no retention, for that day until it reports.
    in_flight: HashSet<i64>,
    /// Closed days whose compaction failed, and when (retried after `COMPACT_RETRY`).
    compact_failed: std::collections::HashMap<i64, Instant>,
    finisher: Option<Finisher>,
}

/// A file rewrite the helper runs.
enum Job {
    Snapshot(PendingDaySnapshot),
    /// Compact a closed day's file (`DayFiles::compact_closed_day`).
    Compact(i64, store::DayFiles),
}

/// What the helper reports per job.
enum Finished {
    /// A day snapshot renamed into place (unix ms) covering a checkpoint, with its size, or
    /// why not, and how long finishing it took.
    Snapshot(i64, Result<(i64, u64, u64), TelemetryError>, Duration),
    /// A closed day's file compacted: sizes before and after, or why not.
    Compacted(i64, Result<(u64, u64), TelemetryError>),
}

/// The helper thread for file rewrites. Why a thread: compacting a day file of 600
/// characters takes about a second (a closed day's much longer), and on the writer thread
/// every apply and commit would wait for it. The journal keeps what a snapshot lacks until
/// the writer records the finished snapshot, and a closed day is readable whole before,
/// during and after its compaction, so a job that is late or fails loses nothing.
struct Finisher {
    jobs: Option<mpsc::Sender<Job>>,
    done: mpsc::Receiver<Finished>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Finisher {
    fn spawn() -> std::io::Result<Finisher> {
        let (jobs, rx) = mpsc::channel::<Job>();
        let (tx, done) = mpsc::channel();
        let thread = std::thread::Builder::new().name("day-files".into()).spawn(move || {
            for job in rx {
                let report = run_job(job);
                if tx.send(report).is_err() {
                    return;
                }
            }
        })?;
        Ok(Finisher { jobs: Some(jobs), done, thread: Some(thread) })
    }
}

fn run_job(job: Job) -> Finished {
    match job {
        Job::Snapshot(pending) => {
            let day = pending.day;
            let started = Instant::now();
            let result = pending.finish().map(|(covered, bytes)| (system_now(), covered, bytes));
            Finished::Snapshot(day, result, started.elapsed())
        }
        Job::Compact(day, days) => Finished::Compacted(day, days.compact_closed_day(day)),
    }
}

/// After a failed compaction of a closed day, the next try waits this long (a full disk
/// would otherwise be retried, and logged, at every housekeeping pass).
const COMPACT_RETRY: Duration = Duration::from_secs(3600);

impl DaySnapshots {
    pub(super) fn record(&mut self, day: i64, at_ms: i64, covered: u64, gap_ms: i64) {
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

    pub(super) fn latest(&self, day: i64) -> Option<u64> {
        self.history.get(&day)?.back().map(|(_, c)| *c)
    }
}

impl Writer {
    /// Closing finished days, archiving their rollups and retention, at most once per
    /// `HOUSEKEEPING_INTERVAL` (days change at midnight, not every checkpoint); then the
    /// journal trim, which a checkpoint may have made possible.
    pub(super) fn housekeeping(&mut self) -> Result<(), TelemetryError> {
        if self.last_housekeeping.is_none_or(|t| t.elapsed() >= HOUSEKEEPING_INTERVAL) {
            self.last_housekeeping = Some(Instant::now());
            self.close_finished_days()?;
            self.archive_closed_days()?;
            self.enforce_retention()?;
            self.drop_old_day_snapshots()?;
            self.compact_closed_days()?;
        }
        self.snapshot_days_if_due()?;
        self.trim_journal()
    }

    /// Every `day_snapshot_interval`, a consistent copy of each day file that changed
    /// since its last snapshot and is still written (or closed within the hour). Runs right
    /// after a durable checkpoint on the writer thread, so no write is in flight.
    fn snapshot_days_if_due(&mut self) -> Result<(), TelemetryError> {
        self.collect_finished_snapshots()?;
        // The first pass comes at the first checkpoint after start: a restart re-arms
        // copy safety at once instead of holding the journal back a whole interval.
        let interval = self.retention.day_snapshot_interval();
        if self.day_snapshots.last_pass.is_some_and(|t| t.elapsed() < interval) || !self.dirty_days.is_empty() {
            return Ok(());
        }
        self.day_snapshots.last_pass = Some(Instant::now());
        self.seal_open_days()?;
        let now = (self.retention.clock)();
        let due: Vec<(i64, u64)> = self
            .day_info
            .iter()
            .filter(|(d, _)| !self.day_snapshots.in_flight.contains(d))
            .filter(|(_, m)| !m.closed || now - m.closed_at_ms < JOURNAL_KEEP_AFTER_CLOSE_MS)
            .filter_map(|(d, _)| {
                let cp = self.checkpoints.get(d).copied().unwrap_or(0);
                let have = self.day_snapshots.latest(*d);
                (cp > 0 && have.is_none_or(|h| h < cp)).then_some((*d, cp))
            })
            .collect();
        if due.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        for (day, _) in due {
            let pending = self.days.begin_snapshot(day)?;
            self.hand_to_finisher(Job::Snapshot(pending))?;
        }
        self.stats.day_snapshot_start_us.store(started.elapsed().as_micros() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// In every day still written, moves the other kinds' tail rows into their blocks and
    /// seals the telemetry blocks of characters that stopped sending five minutes ago
    /// (`seal_stale_blocks`), one durable commit per day that had any. Runs at the snapshot
    /// cadence, right after a durable checkpoint, so the commit holds nothing the checkpoint
    /// does not cover and the snapshot taken next carries the compressed rows.
    fn seal_open_days(&mut self) -> Result<(), TelemetryError> {
        let open: Vec<i64> = self.day_info.iter().filter(|(_, m)| !m.closed).map(|(d, _)| *d).collect();
        let now = (self.retention.clock)();
        for day in open {
            let Some(db) = self.days.get(day, false)? else { continue };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            let moved = self.seal_kinds(&txn, day)?;
            let stale = self.seal_stale_blocks(&txn, day, now)?;
            if moved == 0 && stale.is_empty() {
                txn.abort()?;
                continue;
            }
            txn.commit()?;
            self.stats.kind_rows_sealed.fetch_add(moved as u64, Ordering::Relaxed);
            self.stats.stale_blocks_sealed.fetch_add(stale.len() as u64, Ordering::Relaxed);
            // Their next row starts a new block (the sealed one's key and anchor are spent).
            for id in stale {
                self.open_blocks.remove(&(day, id));
            }
        }
        Ok(())
    }

    /// Gives a job to the helper thread (started on first use). When the helper cannot be
    /// started or has gone, the job runs here instead: slower, never skipped.
    fn hand_to_finisher(&mut self, job: Job) -> Result<(), TelemetryError> {
        if self.day_snapshots.finisher.is_none() {
            match Finisher::spawn() {
                Ok(f) => self.day_snapshots.finisher = Some(f),
                Err(e) => tracing::warn!(error = %e, "day-files thread does not start; its jobs run on the writer"),
            }
        }
        let day = match &job {
            Job::Snapshot(p) => p.day,
            Job::Compact(day, _) => *day,
        };
        let job = match self.day_snapshots.finisher.as_ref().and_then(|f| f.jobs.as_ref()) {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => {
                    self.day_snapshots.in_flight.insert(day);
                    return Ok(());
                }
                Err(mpsc::SendError(job)) => {
                    self.day_snapshots.finisher = None;
                    job
                }
            },
            None => job,
        };
        self.record_reports(vec![run_job(job)])
    }

    /// Records the jobs the helper finished since the last call; the first failure of a
    /// snapshot is returned (after every report is taken), so the checkpoint reports it.
    fn collect_finished_snapshots(&mut self) -> Result<(), TelemetryError> {
        let reports: Vec<Finished> = match &self.day_snapshots.finisher {
            Some(f) => f.done.try_iter().collect(),
            None => return Ok(()),
        };
        self.record_reports(reports)
    }

    /// Waits for the helper to finish every job it holds and records them (at shutdown,
    /// so the snapshots on disk are current and no `.tmp` is left behind).
    pub(super) fn finish_day_snapshots(&mut self) -> Result<(), TelemetryError> {
        let Some(mut f) = self.day_snapshots.finisher.take() else { return Ok(()) };
        drop(f.jobs.take());
        if let Some(t) = f.thread.take() {
            let _ = t.join();
        }
        let reports: Vec<Finished> = f.done.try_iter().collect();
        self.record_reports(reports)
    }

    fn record_reports(&mut self, reports: Vec<Finished>) -> Result<(), TelemetryError> {
        let mut first_err = None;
        for report in reports {
            match report {
                Finished::Snapshot(day, result, took) => {
                    self.day_snapshots.in_flight.remove(&day);
                    self.stats.day_snapshot_finish_us.store(took.as_micros() as u64, Ordering::Relaxed);
                    match result {
                        Ok((at_ms, covered, bytes)) => {
                            self.stats.day_snapshot_written_bytes.fetch_add(bytes, Ordering::Relaxed);
                            self.record_day_snapshot(day, at_ms, covered);
                        }
                        Err(e) => {
                            tracing::error!(day = %store::day_name(day), error = %e, "day snapshot failed; the journal keeps what it lacks");
                            first_err.get_or_insert(e);
                        }
                    }
                }
                Finished::Compacted(day, result) => {
                    self.day_snapshots.in_flight.remove(&day);
                    match result {
                        Ok((before, after)) => {
                            if let Some(m) = self.day_info.get_mut(&day) {
                                m.compacted = true;
                            }
                            self.stats.days_compacted.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(day = %store::day_name(day), before_bytes = before, after_bytes = after,
                                "closed day file compacted");
                        }
                        // The closed file stays as it was: whole, only larger.
                        Err(e) => {
                            self.day_snapshots.compact_failed.insert(day, Instant::now());
                            tracing::warn!(day = %store::day_name(day), error = %e, retry_s = COMPACT_RETRY.as_secs(),
                                "compacting a closed day file failed; it stays as it was");
                        }
                    }
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Closed days an hour past closing (their snapshot gone, the journal no longer holding
    /// them) are compacted once, on the helper thread.
    fn compact_closed_days(&mut self) -> Result<(), TelemetryError> {
        let now = (self.retention.clock)();
        let due: Vec<i64> = self
            .day_info
            .iter()
            .filter(|(_, m)| m.closed && !m.compacted && now - m.closed_at_ms >= JOURNAL_KEEP_AFTER_CLOSE_MS)
            .map(|(d, _)| *d)
            .filter(|d| !self.day_snapshots.in_flight.contains(d))
            .filter(|d| self.day_snapshots.compact_failed.get(d).is_none_or(|t| t.elapsed() >= COMPACT_RETRY))
            .collect();
        for day in due {
            self.day_snapshots.compact_failed.remove(&day);
            self.hand_to_finisher(Job::Compact(day, self.days.clone()))?;
        }
        Ok(())
    }

    fn record_day_snapshot(&mut self, day: i64, at_ms: i64, covered: u64) {
        // A day dropped (retention, long closed) while its copy was finishing: the file
        // the helper renamed into place goes at the next housekeeping pass.
        if !self.day_info.contains_key(&day) {
            return;
        }
        let gap_ms = self.retention.copy_gap().as_millis() as i64;
        self.day_snapshots.record(day, at_ms, covered, gap_ms);
        self.stats.day_snapshots.fetch_add(1, Ordering::Relaxed);
    }

    /// Snapshots of days closed more than `JOURNAL_KEEP_AFTER_CLOSE_MS` ago are deleted
    /// (the closed file is immutable and copies whole).
    fn drop_old_day_snapshots(&mut self) -> Result<(), TelemetryError> {
        let now = (self.retention.clock)();
        for day in self.days.snapshot_days() {
            if self.day_snapshots.in_flight.contains(&day) {
                continue;
            }
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
    fn archive_closed_days(&mut self) -> Result<(), TelemetryError> {
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
    fn enforce_retention(&mut self) -> Result<(), TelemetryError> {
        let Some(cutoff) = self.retention_cutoff() else { return Ok(()) };
        let now = (self.retention.clock)();
        let archived = self.days.archive().view();
        let expired: Vec<i64> = self
            .day_info
            .keys()
            .copied()
            .filter(|day| *day < cutoff)
            .filter(|day| !self.day_snapshots.in_flight.contains(day))
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
    fn close_finished_days(&mut self) -> Result<(), TelemetryError> {
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
            txn.set_durability(Durability::Immediate)?;
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
    fn trim_journal(&mut self) -> Result<(), TelemetryError> {
        let now = (self.retention.clock)();
        let wall = system_now();
        let gap_ms = self.retention.copy_gap().as_millis() as i64;
        let mut keep_from = self.last_applied + 1;
        for (day, m) in &self.day_info {
            let still_needed = !m.closed || now - m.closed_at_ms < JOURNAL_KEEP_AFTER_CLOSE_MS;
            if !still_needed {
                continue;
            }
            let checkpoint = self.checkpoints.get(day).copied().unwrap_or(0);
            match self.day_snapshots.covered_at(*day, wall, gap_ms) {
                // The snapshot holds every record the day has applied: what comes after it
                // belongs to other days (yesterday's last record, seen from after
                // midnight) or is not applied yet (kept anyway, `last_applied + 1`).
                Some(covered) if covered >= checkpoint => {}
                Some(covered) => keep_from = keep_from.min(covered + 1),
                None if m.first_seq > 0 => keep_from = keep_from.min(m.first_seq),
                None => {}
            }
        }
        keep_from = keep_from.min(self.state_snapshot_seq.load(Ordering::Relaxed).saturating_add(1));
        self.journal.trim_before(keep_from).map_err(|e| TelemetryError::Journal(e.to_string()))?;
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
