//! The import's progress display and final report.
//!
//! Owns counting (rows read, imported, skipped with reasons and the first examples, unused
//! columns, time range, per table) and rendering it: a redrawn progress line on a terminal
//! (rows, rows/s, ETA per table), plain lines otherwise, and the report as text or JSON.
//! Never decides anything about the data.

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Examples kept per skip reason.
pub const MAX_EXAMPLES: usize = 3;
/// Progress redraw period on a terminal, and the plain-line period otherwise.
const TTY_PERIOD: Duration = Duration::from_millis(250);
const PLAIN_PERIOD: Duration = Duration::from_secs(5);

#[derive(Debug, Default, Clone, Serialize)]
pub struct SkipCount {
    pub count: u64,
    pub examples: Vec<String>,
}

/// One source table (or JSONL table).
#[derive(Debug, Default, Clone, Serialize)]
pub struct TableReport {
    pub table: String,
    pub kind: String,
    pub rows_read: u64,
    /// Rows decoded and handed on (events: staged; users, items: applied).
    pub rows_decoded: u64,
    pub skipped: BTreeMap<String, SkipCount>,
    pub unused_columns: Vec<String>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub seconds: f64,
    /// Why the table was not read, if it was not.
    pub not_imported: Option<String>,
}

impl TableReport {
    pub fn skip(&mut self, reason: &str, example: String) {
        let s = self.skipped.entry(reason.to_string()).or_default();
        s.count += 1;
        if s.examples.len() < MAX_EXAMPLES {
            s.examples.push(example);
        }
    }

    pub fn saw_time(&mut self, t: i64) {
        self.first_ms = Some(self.first_ms.map_or(t, |f| f.min(t)));
        self.last_ms = Some(self.last_ms.map_or(t, |l| l.max(t)));
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().map(|s| s.count).sum()
    }
}

/// What happened to events, per kind, once written.
#[derive(Debug, Default, Clone, Serialize)]
pub struct KindReport {
    /// Newly stored (in day files, or in the journal for today's open day).
    pub imported: u64,
    /// Exact duplicate rows within the old data.
    pub duplicates: u64,
    /// Already present (a previous run of this import, or the same event stored live).
    pub already_present: u64,
    /// Older than `retention_days`: counted in the rollup archive only.
    pub archive_only: u64,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    pub dry_run: bool,
    pub tables: Vec<TableReport>,
    pub kinds: BTreeMap<String, KindReport>,
    pub day_files_written: u64,
    pub days_already_imported: u64,
    pub days_archive_only: u64,
    pub archive_days_added: u64,
    pub archive_days_merged: u64,
    /// Rows of the open UTC day(s) appended to the journal (the server applies them).
    pub open_day_rows_journaled: u64,
    pub characters_new: u64,
    pub characters_total: u64,
    pub portals_upserted: u64,
    pub users_imported: Vec<String>,
    pub users_existing: Vec<String>,
    pub item_owners_imported: u64,
    pub item_owners_skipped_newer_live: Vec<String>,
    pub items_stored: u64,
    pub items_rejected: u64,
    pub item_rejections: Vec<String>,
    pub notes_imported: u64,
    pub notes_already_present: u64,
    pub seconds: f64,
}

impl Report {
    pub fn kind(&mut self, name: &str) -> &mut KindReport {
        self.kinds.entry(name.to_string()).or_default()
    }

    /// The report as text for a terminal or a log.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let t = |ms: Option<i64>| {
            ms.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|d| d.format("%Y-%m-%d %H:%M:%SZ").to_string())
                .unwrap_or_else(|| "-".into())
        };
        s.push_str(if self.dry_run { "import report (dry run: nothing was written)\n" } else { "import report\n" });
        for tr in &self.tables {
            if let Some(why) = &tr.not_imported {
                s.push_str(&format!("  {:<24} not imported: {why}\n", tr.table));
                continue;
            }
            s.push_str(&format!(
                "  {:<24} {:>10} read  {:>10} decoded  {:>8} skipped  {} .. {}  ({:.1} s)\n",
                tr.table,
                tr.rows_read,
                tr.rows_decoded,
                tr.skipped_total(),
                t(tr.first_ms),
                t(tr.last_ms),
                tr.seconds
            ));
            for (reason, c) in &tr.skipped {
                s.push_str(&format!("      skipped {} × {reason}: e.g. {}\n", c.count, c.examples.join(" | ")));
            }
            if !tr.unused_columns.is_empty() {
                s.push_str(&format!("      unused columns: {}\n", tr.unused_columns.join(", ")));
            }
        }
        for (kind, k) in &self.kinds {
            s.push_str(&format!(
                "  {kind:<24} imported {}, duplicates {}, already present {}, archive only {}\n",
                k.imported, k.duplicates, k.already_present, k.archive_only
            ));
        }
        s.push_str(&format!(
            "  days: {} day files written, {} already imported, {} into the rollup archive only (older than retention_days); archive: {} days added, {} merged\n",
            self.day_files_written, self.days_already_imported, self.days_archive_only, self.archive_days_added, self.archive_days_merged
        ));
        if self.open_day_rows_journaled > 0 {
            s.push_str(&format!(
                "  today's open day: {} rows appended to the journal (stored when the server starts)\n",
                self.open_day_rows_journaled
            ));
        }
        s.push_str(&format!(
            "  characters: {} new, {} known in all; portals: {} upserted\n",
            self.characters_new, self.characters_total, self.portals_upserted
        ));
        s.push_str(&format!(
            "  users: {} imported {:?}; {} already existed and were left alone {:?}\n",
            self.users_imported.len(),
            self.users_imported,
            self.users_existing.len(),
            self.users_existing
        ));
        s.push_str(&format!(
            "  items: {} characters, {} items stored, {} rejected{}; {} characters skipped (a newer live inventory) {:?}\n",
            self.item_owners_imported,
            self.items_stored,
            self.items_rejected,
            self.item_rejections.first().map(|r| format!(" (e.g. {r})")).unwrap_or_default(),
            self.item_owners_skipped_newer_live.len(),
            self.item_owners_skipped_newer_live
        ));
        s.push_str(&format!(
            "  notes: {} imported, {} already present\n",
            self.notes_imported, self.notes_already_present
        ));
        s.push_str(&format!("  took {:.1} s\n", self.seconds));
        s
    }
}

/// Progress of one table (or phase): a redrawn line on a terminal, plain lines otherwise.
pub struct Progress {
    label: String,
    total: Option<u64>,
    started: Instant,
    last_draw: Instant,
    tty: bool,
    quiet: bool,
}

impl Progress {
    pub fn new(label: &str, total: Option<u64>, quiet: bool) -> Progress {
        let now = Instant::now();
        Progress {
            label: label.to_string(),
            total: total.filter(|t| *t > 0),
            started: now,
            last_draw: now,
            tty: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    /// Call often; draws at most every 250 ms (terminal) or 5 s (plain).
    pub fn tick(&mut self, done: u64) {
        let period = if self.tty { TTY_PERIOD } else { PLAIN_PERIOD };
        if self.quiet || self.last_draw.elapsed() < period {
            return;
        }
        self.last_draw = Instant::now();
        self.draw(done, false);
    }

    pub fn finish(&mut self, done: u64) {
        if !self.quiet {
            self.draw(done, true);
        }
    }

    fn draw(&self, done: u64, last: bool) {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = done as f64 / secs;
        let of = self.total.map(|t| format!(" / {t}")).unwrap_or_default();
        let eta = match self.total {
            Some(t) if rate > 0.0 && t > done && !last => format!("  ETA {:.0} s", (t - done) as f64 / rate),
            _ => String::new(),
        };
        let bar = match self.total {
            Some(t) if self.tty => {
                let filled = ((done.min(t) * 20) / t) as usize;
                format!("[{}{}] ", "#".repeat(filled), ".".repeat(20 - filled))
            }
            _ => String::new(),
        };
        let line = format!("{:<22} {bar}{done}{of} rows  {:.0} rows/s{eta}", self.label, rate);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            if last {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }
}
