//! `overlord import`: a group's history from the old "Mosswart Overlord" stack (PostgreSQL
//! databases `dereth` and `inventory_db`, the issue board `openissues.json`, or JSON Lines
//! dumps of its tables) into a stopped server's data directory.
//!
//! Owns the import from end to end: reading (`pg`, `jsonl`), mapping columns by name
//! (`columns`), decoding rows with the live socket's tolerant decoders (`rows`), staging
//! them by day (`stage`), writing past days whole and the rollup archive (`bulk`),
//! today's open day through the journal, and characters, portals, items, users and notes
//! (`state`); the progress display and the report (`report`).
//!
//! Never runs beside a server on the same directory (it takes `state.redb`'s lock, as
//! `overlord user` does), never writes a day file in place, and never aborts on a bad row
//! (it is counted and skipped). Idempotent: every written unit (a day file, an archived
//! day, a journaled row, an owner's items, a user, a note) is recognisable, so a rerun —
//! or a run after a `kill -9` — adds exactly what is missing.

mod bulk;
mod columns;
mod jsonl;
mod pg;
mod report;
mod rows;
mod stage;
mod state;

pub use columns::TableKind;
pub use report::{Report, TableReport};

use crate::telemetry::writer::RollupCursor;
use crate::telemetry::{Characters, JournalEntry, Persisted};
use bulk::{ArchiveDay, DayContext, DayTarget};
use columns::ColumnPlan;
use rows::RowDecoder;
use serde_json::Value;
use stage::{BUCKETS, Stage};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Archive steps rewrite `rollups.redb`; batching this many days per step keeps a long
/// history from copying the file once per day.
const ARCHIVE_BATCH_DAYS: usize = 64;
/// Journal records appended per batch for the open day.
const JOURNAL_BATCH: usize = 16_384;

#[derive(Debug)]
pub enum ImportError {
    /// The command line or a source is unusable (bad URL, missing file, server running).
    Usage(String),
    /// The old database failed or refused.
    Source(String),
    /// The data directory's storage failed.
    Storage(String),
    Internal(String),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Usage(m) => f.write_str(m),
            ImportError::Source(m) => write!(f, "old database: {m}"),
            ImportError::Storage(m) => write!(f, "data directory: {m}"),
            ImportError::Internal(m) => write!(f, "import failed: {m}"),
        }
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    fn io(path: &Path, e: std::io::Error) -> ImportError {
        ImportError::Storage(format!("{}: {e}", path.display()))
    }

    fn store(path: &Path, e: crate::telemetry::TelemetryError) -> ImportError {
        ImportError::Storage(format!("{}: {e}", path.display()))
    }
}

/// `overlord import seed`.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub telemetry_db: String,
    pub inventory_db: Option<String>,
    pub issues: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub retention_days: u32,
    pub dry_run: bool,
    pub quiet: bool,
}

/// `overlord import jsonl`.
#[derive(Debug, Clone)]
pub struct JsonlOptions {
    pub table: String,
    pub files: Vec<PathBuf>,
    pub data_dir: PathBuf,
    pub retention_days: u32,
    pub dry_run: bool,
    pub quiet: bool,
}

/// Imports from the old PostgreSQL databases.
pub async fn seed(opts: SeedOptions) -> Result<Report, ImportError> {
    let mut imp = Importer::open(&opts.data_dir, opts.retention_days, opts.dry_run, opts.quiet)?;
    let result = async {
        pg::import_telemetry_db(&mut imp, &opts.telemetry_db).await?;
        if let Some(url) = &opts.inventory_db {
            pg::import_inventory_db(&mut imp, url).await?;
        }
        if let Some(path) = &opts.issues {
            state::import_issues(&mut imp, path)?;
        }
        imp.finish()
    }
    .await;
    imp.close(result)
}

/// Imports JSON Lines files of one old table.
pub fn jsonl(opts: JsonlOptions) -> Result<Report, ImportError> {
    let mut imp = Importer::open(&opts.data_dir, opts.retention_days, opts.dry_run, opts.quiet)?;
    let result = jsonl::import_files(&mut imp, &opts.table, &opts.files).and_then(|()| imp.finish());
    imp.close(result)
}

const RUNNING_MARKER: &str = "RUNNING";

/// One import run over one data directory.
pub struct Importer {
    data_dir: PathBuf,
    /// `data_dir/import/` (markers, staging).
    work_dir: PathBuf,
    state: Arc<redb::Database>,
    characters: Characters,
    stage: Option<Stage>,
    /// Dry run: staging lives in a temporary directory, nothing in the data directory changes.
    dry_dir: Option<PathBuf>,
    dry_run: bool,
    quiet: bool,
    retention_days: u32,
    now_ms: i64,
    started: Instant,
    report: Report,
    /// Character name as it appears in the old rows → id (avoids the registry per row).
    ids: HashMap<String, u32>,
    /// Per character id: earliest and latest imported time.
    seen: HashMap<u32, (i64, i64)>,
    known_before: HashSet<u32>,
    portals: Vec<(crate::protocol::Portal, String, i64)>,
    next_dry_id: u32,
}

impl Importer {
    fn open(data_dir: &Path, retention_days: u32, dry_run: bool, quiet: bool) -> Result<Importer, ImportError> {
        let work_dir = data_dir.join("import");
        let journal_dir = data_dir.join("journal");
        let clean = data_dir.join("CLEAN_SHUTDOWN").exists();
        let ours = work_dir.join(RUNNING_MARKER).exists();
        let has_journal = std::fs::read_dir(&journal_dir)
            .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().ends_with(".seg")))
            .unwrap_or(false);
        let dry_dir =
            dry_run.then(|| std::env::temp_dir().join(format!("overlord-import-dry-run-{}", std::process::id())));
        let state = match &dry_dir {
            None => crate::server::open_state_db(data_dir).map_err(|e| {
                let e = e.to_string();
                if e.contains("is in use") {
                    ImportError::Usage(format!(
                        "{e}: stop the server first (the import works offline, like `overlord user`)"
                    ))
                } else {
                    ImportError::Usage(e)
                }
            })?,
            Some(tmp) => dry_run_state(data_dir, tmp)?,
        };
        if has_journal && !clean && !ours {
            return Err(ImportError::Usage(format!(
                "{} was not stopped cleanly: start the server once and stop it (Ctrl-C or SIGTERM) so it recovers, then import",
                data_dir.display()
            )));
        }
        let characters =
            Characters::open(state.clone()).map_err(|e| ImportError::Storage(format!("state.redb: {e}")))?;
        crate::telemetry::portals::ensure_tables(&state)
            .map_err(|e| ImportError::Storage(format!("state.redb: {e}")))?;
        // A fresh data directory has no account tables until the server's first start.
        crate::auth::store::ensure_tables(&state).map_err(|e| ImportError::Storage(format!("state.redb: {e}")))?;
        let stage = if let Some(tmp) = &dry_dir {
            Stage::create(tmp)?
        } else {
            std::fs::create_dir_all(&work_dir).map_err(|e| ImportError::io(&work_dir, e))?;
            bulk::remove_leftovers(data_dir);
            // A crash from here on must make the next server start check its files, and
            // must let the import itself run again.
            let marker = work_dir.join(RUNNING_MARKER);
            std::fs::write(&marker, b"an import is running or was interrupted\n")
                .map_err(|e| ImportError::io(&marker, e))?;
            crate::durable::sync_dir(&work_dir);
            let _ = std::fs::remove_file(data_dir.join("CLEAN_SHUTDOWN"));
            crate::durable::sync_dir(data_dir);
            Stage::create(data_dir)?
        };
        let known_before = characters.all().iter().map(|c| c.id).collect();
        Ok(Importer {
            data_dir: data_dir.to_path_buf(),
            work_dir,
            state,
            characters,
            stage: Some(stage),
            dry_dir,
            dry_run,
            quiet,
            retention_days,
            now_ms: chrono::Utc::now().timestamp_millis(),
            started: Instant::now(),
            report: Report { dry_run, ..Report::default() },
            ids: HashMap::new(),
            seen: HashMap::new(),
            known_before,
            portals: Vec::new(),
            next_dry_id: 1_000_000,
        })
    }

    /// Ends the run: on success the data directory is marked cleanly stopped again.
    fn close(mut self, result: Result<(), ImportError>) -> Result<Report, ImportError> {
        if let Some(stage) = self.stage.take() {
            let _ = stage.remove();
        }
        if let Some(dir) = self.dry_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        result?;
        if !self.dry_run {
            crate::snapshot::write_clean_marker(&self.data_dir);
            let _ = std::fs::remove_file(self.work_dir.join(RUNNING_MARKER));
            let _ = std::fs::remove_dir(self.work_dir.join("staging"));
            let _ = std::fs::remove_dir(&self.work_dir);
        }
        self.report.seconds = self.started.elapsed().as_secs_f64();
        Ok(self.report)
    }

    fn progress(&self, label: &str, total: Option<u64>) -> report::Progress {
        report::Progress::new(label, total, self.quiet)
    }

    /// The id of a character, registering it on first sight (dry run: a provisional id).
    fn character_id(&mut self, name: &str, t: i64) -> Result<u32, ImportError> {
        if let Some(id) = self.ids.get(name) {
            return Ok(*id);
        }
        let id = match self.characters.id_of(name) {
            Some(id) => id,
            None if self.dry_run => {
                self.next_dry_id += 1;
                self.next_dry_id
            }
            None => self.characters.ensure(name, t).map_err(|e| ImportError::Storage(format!("state.redb: {e}")))?,
        };
        self.ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// Starts an event table: its column plan and report entry.
    fn begin_events(&mut self, table: &str, kind: TableKind, columns: &[String]) -> (RowDecoder, TableReport) {
        let plan = ColumnPlan::new(kind, columns);
        let tr = TableReport {
            table: table.to_string(),
            kind: kind.name().to_string(),
            unused_columns: plan.unused(columns).into_iter().map(String::from).collect(),
            ..TableReport::default()
        };
        if !plan.has(&columns::Slot::Time) {
            let mut tr = tr;
            tr.not_imported = Some("no time column (timestamp, received_at, ts or time)".into());
            return (RowDecoder::new(plan, self.now_ms), tr);
        }
        (RowDecoder::new(plan, self.now_ms), tr)
    }

    /// Decodes and stages one event row.
    fn event_row(&mut self, dec: &mut RowDecoder, tr: &mut TableReport, row: &mut [Value]) -> Result<(), ImportError> {
        tr.rows_read += 1;
        let rec = match dec.decode(row) {
            Ok(r) => r,
            Err(skip) => {
                tr.skip(skip.reason, format!("row {}: {}", tr.rows_read, skip.detail));
                return Ok(());
            }
        };
        let id = self.character_id(&rec.character, rec.t)?;
        tr.rows_decoded += 1;
        tr.saw_time(rec.t);
        let span = self.seen.entry(id).or_insert((rec.t, rec.t));
        span.0 = span.0.min(rec.t);
        span.1 = span.1.max(rec.t);
        if let Persisted::Portal(p) = &rec.event {
            self.portals.push((p.clone(), rec.character.clone(), rec.t));
            if let Some(last) = rec.last_seen.filter(|l| *l > rec.t) {
                self.portals.push((p.clone(), rec.character.clone(), last));
            }
            if self.portals.len() >= 4096 {
                self.flush_portals()?;
            }
        }
        let day = crate::telemetry::store::day_of(rec.t);
        if let Some(stage) = self.stage.as_mut() {
            stage.push(day, id, rec.t, rec.plugin_version, rec.event)?;
        }
        Ok(())
    }

    fn flush_portals(&mut self) -> Result<(), ImportError> {
        if self.portals.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.portals);
        self.report.portals_upserted += batch.len() as u64;
        if !self.dry_run {
            crate::telemetry::portals::upsert(&self.state, &batch)
                .map_err(|e| ImportError::Storage(format!("state.redb portals: {e}")))?;
        }
        Ok(())
    }

    /// Phase 2: every staged day into its day file, the archive or (open days) the journal;
    /// then characters' first/last seen and a state snapshot.
    fn finish(&mut self) -> Result<(), ImportError> {
        self.flush_portals()?;
        let Some(mut stage) = self.stage.take() else { return Ok(()) };
        stage.close_all()?;
        let result = self.write_days(&stage);
        self.stage = Some(stage);
        result?;
        // Characters: widen first/last seen to the imported history, durably.
        let mut new = 0;
        for (id, (first, last)) in &self.seen {
            if !self.known_before.contains(id) {
                new += 1;
            }
            if !self.dry_run {
                self.characters.widen_seen(*id, *first, *last).map_err(|e| ImportError::Storage(e.to_string()))?;
            }
        }
        self.report.characters_new = new;
        self.report.characters_total = (self.known_before.len() as u64) + new;
        if !self.dry_run {
            let mut txn = self.state.begin_write().map_err(|e| ImportError::Storage(e.to_string()))?;
            txn.set_durability(redb::Durability::Immediate).map_err(|e| ImportError::Storage(e.to_string()))?;
            self.characters.persist_dirty(&txn).map_err(|e| ImportError::Storage(e.to_string()))?;
            txn.commit().map_err(|e| ImportError::Storage(e.to_string()))?;
            // The state changes (characters, portals, users, items, notes) are committed;
            // a snapshot makes them part of what a `cp -r` of the directory restores.
            crate::snapshot::snapshot_state(&self.state, &self.data_dir)
                .map_err(|e| ImportError::Storage(format!("state snapshot: {e}")))?;
        }
        Ok(())
    }

    fn write_days(&mut self, stage: &Stage) -> Result<(), ImportError> {
        let telemetry_dir = self.data_dir.join("telemetry");
        if !self.dry_run {
            std::fs::create_dir_all(&telemetry_dir).map_err(|e| ImportError::io(&telemetry_dir, e))?;
        }
        let today = crate::telemetry::store::day_of(self.now_ms);
        let cutoff = today - i64::from(self.retention_days);
        let covered_seq = if self.dry_run { 0 } else { self.covered_seq()? };
        let mut character_ids: Vec<u32> = self.characters.all().iter().map(|c| c.id).collect();
        character_ids.sort_unstable();
        let ctx = DayContext {
            telemetry_dir: &telemetry_dir,
            stage,
            character_ids: &character_ids,
            covered_seq,
            now_ms: self.now_ms,
            dry_run: self.dry_run,
        };
        let (held, imported_days) = bulk::archive_status(&self.data_dir)?;
        let mut cursors: HashMap<u32, RollupCursor> = HashMap::new();
        let mut pending: Vec<ArchiveDay> = Vec::new();
        let mut open_days = Vec::new();
        let days: Vec<(i64, u64)> = stage.days().iter().map(|(d, n)| (*d, *n)).collect();
        let total_rows: u64 = days.iter().map(|(_, n)| n).sum();
        let mut progress = self.progress("writing days", Some(total_rows));
        let mut done_rows = 0;
        for (day, rows) in days {
            let existing = bulk::existing_day(&telemetry_dir, day, self.dry_run)?;
            let live_open = existing.is_some_and(|(m, imported)| !m.closed && !imported);
            if day >= today || live_open {
                open_days.push(day);
                continue;
            }
            let target = if day < cutoff { DayTarget::ArchiveOnly } else { DayTarget::File };
            let out = bulk::build_day(&ctx, day, target, &mut cursors)?;
            for (k, n) in &out.stored {
                let kr = self.report.kind(k);
                if target == DayTarget::ArchiveOnly {
                    kr.archive_only += n;
                } else {
                    kr.imported += n;
                }
            }
            for (k, n) in &out.duplicates {
                self.report.kind(k).duplicates += n;
            }
            for (k, n) in &out.present {
                self.report.kind(k).already_present += n;
            }
            match target {
                DayTarget::ArchiveOnly => self.report.days_archive_only += 1,
                DayTarget::File if out.wrote_file || self.dry_run => self.report.day_files_written += 1,
                DayTarget::File => self.report.days_already_imported += 1,
            }
            let kinds = out
                .stored
                .keys()
                .chain(out.duplicates.keys())
                .chain(out.present.keys())
                .fold(0, |m, k| m | bulk::kind_bit(k));
            let marked = imported_days.get(&day).copied().unwrap_or(0);
            // A file day is replaced in the archive by the file's totals (idempotent); an
            // archive-only day takes the kinds it has not taken yet.
            let needed = match target {
                DayTarget::File => !held.contains_key(&day) || !out.hours_all.is_empty(),
                DayTarget::ArchiveOnly => kinds & !marked != 0,
            };
            if needed {
                pending.push(ArchiveDay {
                    day,
                    hours_all: out.hours_all,
                    hours_imported: out.hours_imported,
                    target,
                    kinds,
                });
            }
            if pending.len() >= ARCHIVE_BATCH_DAYS {
                self.archive(&mut pending)?;
            }
            done_rows += rows;
            progress.tick(done_rows);
        }
        self.archive(&mut pending)?;
        progress.finish(done_rows);
        for day in open_days {
            self.journal_open_day(stage, &telemetry_dir, day)?;
        }
        Ok(())
    }

    fn archive(&mut self, pending: &mut Vec<ArchiveDay>) -> Result<(), ImportError> {
        if pending.is_empty() || self.dry_run {
            pending.clear();
            return Ok(());
        }
        let out = bulk::archive_days(&self.data_dir, pending, self.now_ms)?;
        self.report.archive_days_added += out.added as u64;
        self.report.archive_days_merged += out.merged as u64;
        pending.clear();
        Ok(())
    }

    /// The highest journal position anything the journal fed has applied (day files, day
    /// snapshots, `state.redb`, state snapshots): what a new past-day file may truthfully
    /// claim to cover (no journal record is for a past day), and the floor the journal's
    /// numbering continues past when the import appends the open day's rows.
    fn covered_seq(&self) -> Result<u64, ImportError> {
        let days = crate::telemetry::DayFiles::open(&self.data_dir)
            .map_err(|e| ImportError::Storage(format!("telemetry/: {e}")))?;
        let applied = crate::telemetry::writer::applied_positions(&self.data_dir.join("journal"), &days, &self.state)
            .map_err(|e| ImportError::Storage(format!("telemetry/: {e}")))?;
        Ok(applied.iter().map(|(_, seq)| *seq).max().unwrap_or(0))
    }

    /// The open day (today, or a day the server has not closed yet): its rows are appended
    /// to the telemetry journal — the server's own commit point — and stored by the server
    /// when it starts, exactly like events received live. Rows already in the journal or
    /// the day's file (a previous run) are skipped.
    fn journal_open_day(&mut self, stage: &Stage, telemetry_dir: &Path, day: i64) -> Result<(), ImportError> {
        let names: HashMap<u32, String> = self.characters.all().into_iter().map(|c| (c.id, c.name)).collect();
        // Only keys inside the staged rows' time span matter (live rows come after them).
        let (mut from, mut to) = (i64::MAX, i64::MIN);
        for bucket in 0..BUCKETS {
            for r in stage.read(day, bucket)? {
                from = from.min(r.t);
                to = to.max(r.t);
            }
        }
        // How many events of each (character, time, kind) are already stored or journaled.
        // A count, not a set: two different rows of one character at the same millisecond
        // are both imported, and a run killed between journaling the first and the second
        // must journal exactly the second on the rerun.
        let mut present: HashMap<(u32, i64, &'static str), u32> = HashMap::new();
        let (path, _) = bulk::day_paths(telemetry_dir, day);
        if path.exists() {
            let db = bulk::open_existing(&path, self.dry_run)?;
            collect_present(&db, from, to, &mut present).map_err(|e| ImportError::store(&path, e))?;
        }
        let journal_dir = self.data_dir.join("journal");
        if journal_dir.exists() {
            let ids = &self.ids;
            let characters = &self.characters;
            crate::journal::replay(&journal_dir, 0, |_, bytes| {
                if let Some(e) = JournalEntry::decode(bytes)
                    && (from..=to).contains(&e.recv_ms)
                    && let Some(id) = ids.get(&e.character).copied().or_else(|| characters.id_of(&e.character))
                {
                    *present.entry((id, e.recv_ms, bulk::kind_name(&e.event))).or_insert(0) += 1;
                }
            })
            .map_err(|e| ImportError::Storage(format!("journal: {e}")))?;
        }
        let mut journal = if self.dry_run {
            None
        } else {
            let opts = crate::journal::JournalOptions { floor_seq: self.covered_seq()?, roll_after: None };
            Some(
                crate::journal::Journal::open_with(&journal_dir, opts)
                    .map_err(|e| ImportError::Storage(format!("journal: {e}")))?
                    .0,
            )
        };
        for bucket in 0..BUCKETS {
            let mut rows = stage.read(day, bucket)?;
            rows.sort_by_key(|r| (r.id, r.t, r.order));
            let mut batch: Vec<Vec<u8>> = Vec::new();
            let mut prev: Option<(u32, i64, Persisted)> = None;
            for r in rows {
                let kind = bulk::kind_name(&r.event);
                if prev.as_ref().is_some_and(|(i, t, e)| *i == r.id && *t == r.t && *e == r.event) {
                    self.report.kind(kind).duplicates += 1;
                    continue;
                }
                // The previous distinct row, journaled now or before: its exact duplicates
                // are dropped either way.
                prev = Some((r.id, r.t, r.event.clone()));
                if let Some(n) = present.get_mut(&(r.id, r.t, kind)).filter(|n| **n > 0) {
                    *n -= 1;
                    self.report.kind(kind).already_present += 1;
                    continue;
                }
                let Some(name) = names.get(&r.id).cloned() else { continue };
                let entry = JournalEntry {
                    recv_ms: r.t,
                    character: name,
                    client_time_ms: None,
                    plugin_version: r.plugin_version.clone(),
                    event: r.event,
                };
                batch.push(entry.encode().map_err(|e| ImportError::Internal(format!("journal record: {e}")))?);
                self.report.kind(kind).imported += 1;
                self.report.open_day_rows_journaled += 1;
                if batch.len() >= JOURNAL_BATCH {
                    append(&mut journal, &mut batch)?;
                }
            }
            append(&mut journal, &mut batch)?;
        }
        Ok(())
    }
}

/// A dry run's `state.redb`: a copy of the data directory's (or a fresh one) in the dry
/// run's temporary directory, so the import can register characters and try users, items
/// and notes exactly as a real run would while the data directory stays byte for byte
/// as it was (a writable open of the original would rewrite its header). Opening the
/// original read-only first still refuses a directory a running server holds.
fn dry_run_state(data_dir: &Path, tmp: &Path) -> Result<Arc<redb::Database>, ImportError> {
    let _ = std::fs::remove_dir_all(tmp);
    std::fs::create_dir_all(tmp).map_err(|e| ImportError::io(tmp, e))?;
    let original = data_dir.join("state.redb");
    let copy = tmp.join("state.redb");
    if original.exists() {
        let guard = match redb::Builder::new().open_read_only(&original) {
            Ok(db) => Some(db),
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(ImportError::Usage(format!(
                    "{} is in use: another overlord is running on this data directory: stop the server first (the import works offline, like `overlord user`)",
                    original.display()
                )));
            }
            // Needs recovery: the copy is repaired when it is opened below.
            Err(_) => None,
        };
        std::fs::copy(&original, &copy).map_err(|e| ImportError::io(&original, e))?;
        drop(guard);
    }
    crate::memory::create_state_db(&copy)
        .map(Arc::new)
        .map_err(|e| ImportError::Storage(format!("{}: {e}", copy.display())))
}

fn append(journal: &mut Option<crate::journal::Journal>, batch: &mut Vec<Vec<u8>>) -> Result<(), ImportError> {
    if let Some(j) = journal.as_mut()
        && !batch.is_empty()
    {
        j.append_batch(batch).map_err(|e| ImportError::Storage(format!("journal: {e}")))?;
    }
    batch.clear();
    Ok(())
}

/// Keys of everything an open day file holds: (character, time, kind).
fn collect_present(
    db: &impl redb::ReadableDatabase,
    from: i64,
    to: i64,
    out: &mut HashMap<(u32, i64, &'static str), u32>,
) -> Result<(), crate::telemetry::TelemetryError> {
    use redb::ReadableTable;
    let txn = db.begin_read()?;
    if let Some(blocks) = crate::telemetry::store::optional_table(&txn, crate::telemetry::store::BLOCKS)? {
        for entry in blocks.iter()? {
            let (k, v) = entry?;
            let id = k.value().0;
            let rows = crate::telemetry::block::decode(v.value())
                .map_err(|e| crate::telemetry::TelemetryError::Corrupt(e.to_string()))?;
            for r in rows.into_iter().filter(|r| (from..=to).contains(&r.t)) {
                *out.entry((id, r.t, "telemetry")).or_insert(0) += 1;
            }
        }
    }
    if let Some(tail) = crate::telemetry::store::optional_table(&txn, crate::telemetry::tail::TAIL)? {
        for entry in tail.iter()? {
            let (k, _) = entry?;
            let (id, t, _) = k.value();
            if (from..=to).contains(&t) {
                *out.entry((id, t, "telemetry")).or_insert(0) += 1;
            }
        }
    }
    for kind in crate::telemetry::EventKind::ALL {
        use crate::telemetry::{kinds, store};
        let blocks = store::optional_table(&txn, kind.blocks_table())?;
        let tail = store::optional_table(&txn, kind.table())?;
        let wanted = kinds::Wanted { character: None, from, to };
        kinds::for_each(kind.name(), blocks.as_ref(), tail.as_ref(), wanted, |(id, t, _), _| {
            *out.entry((id, t, kind.name())).or_insert(0) += 1;
            true
        })?;
    }
    Ok(())
}
