//! Copies of the data directory: the online backup a running server writes, and
//! `restore-check`, which proves a copy opens and says what it holds.
//!
//! A backup is consistent without stopping ingest: closed day files are immutable and are
//! copied as they are; `state.redb` is copied under redb's write lock (snapshot module);
//! open day files are copied on the writer thread while it holds off (seconds); the
//! journal, copied last, covers anything newer. Never touches the source of a check: a
//! check works on a private temporary copy.

use crate::telemetry::store::{self, DayFiles};
use crate::telemetry::{Characters, TelemetryError, writer};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why a backup could not be written. Each variant names what failed; the caller removes a
/// partial copy.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The destination is refused (relative, not empty, inside the data directory).
    #[error("{0}")]
    Destination(String),
    /// A file could not be read, written or synced.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `state.redb` could not be copied under its write lock.
    #[error("state.redb: {0}")]
    State(#[from] crate::snapshot::SnapshotError),
    /// A day file's metadata could not be read.
    #[error("{0}")]
    Telemetry(#[from] TelemetryError),
    /// The telemetry writer stopped (the server is shutting down).
    #[error("the writer stopped during the backup")]
    WriterStopped,
    /// The blocking copy task did not finish (it panicked or was cancelled).
    #[error("the backup task failed: {0}")]
    Task(String),
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io { path: path.to_path_buf(), source }
}

/// Progress of a backup, one line per step (streamed to the CLI).
pub type Progress<'a> = &'a mut (dyn FnMut(String) + Send);

/// Refuses destinations that would overwrite data or nest inside the source.
pub fn check_destination(data_dir: &Path, dest: &Path) -> Result<(), BackupError> {
    let refuse = |why: &str| Err(BackupError::Destination(format!("{}: {why}", dest.display())));
    if !dest.is_absolute() {
        return refuse("the destination must be an absolute path");
    }
    if dest.exists() && fs::read_dir(dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return refuse("the destination exists and is not empty");
    }
    let src = fs::canonicalize(data_dir).map_err(io_at(data_dir))?;
    let parent = dest.parent().and_then(|p| fs::canonicalize(p).ok()).unwrap_or_default();
    if parent.starts_with(&src) {
        return refuse("the destination must not be inside the data directory");
    }
    Ok(())
}

/// What an online backup reads: the running server's data directory and the live handles
/// on it (`App::backup_source` builds one).
#[derive(Clone)]
pub struct Source {
    pub data_dir: PathBuf,
    pub state_db: Arc<redb::Database>,
    pub days: DayFiles,
    /// Pauses its writes while the open day files are copied.
    pub writer: writer::WriterHandle,
}

/// Writes a consistent backup of the running server's data directory into `dest`.
pub async fn online_backup(
    source: &Source,
    dest: PathBuf,
    progress: Progress<'_>,
) -> Result<BackupSummary, BackupError> {
    let data = source.data_dir.clone();
    check_destination(&data, &dest)?;
    for sub in ["telemetry", "journal", "snapshots"] {
        fs::create_dir_all(dest.join(sub)).map_err(io_at(&dest))?;
    }
    let mut summary = BackupSummary::default();

    progress("copying state.redb under its write lock".into());
    let state = source.state_db.clone();
    let (s_src, s_dst) = (data.join("state.redb"), dest.join("state.redb"));
    tokio::task::spawn_blocking(move || crate::snapshot::copy_state(&state, &s_src, &s_dst))
        .await
        .map_err(|e| BackupError::Task(e.to_string()))??;
    summary.files += 1;

    let days = source.days.clone();
    let mut closed = Vec::new();
    let mut open = Vec::new();
    for day in days.days() {
        let db = days.get(day, false)?;
        let meta = match db {
            Some(db) => store::day_meta(&*db)?,
            None => continue,
        };
        if meta.closed { closed.push(day) } else { open.push(day) }
    }
    for day in &closed {
        let (from, to) = (days.path_of(*day), dest.join("telemetry").join(format!("{}.redb", store::day_name(*day))));
        summary.bytes += copy_synced(&from, &to).map_err(io_at(&from))?;
        summary.files += 1;
    }
    progress(format!("copied {} closed day files", closed.len()));
    // rollups.redb is replaced by rename, never written in place: a plain copy is whole.
    let archive = days.archive().path().to_path_buf();
    if archive.exists() {
        summary.bytes +=
            copy_synced(&archive, &dest.join(crate::telemetry::rollups::FILE_NAME)).map_err(io_at(&archive))?;
        summary.files += 1;
    }

    progress(format!("copying {} open day files with ingest paused", open.len()));
    let dest_tel = dest.join("telemetry");
    let days2 = days.clone();
    let copied = source
        .writer
        .with_writes_paused(move || -> Result<u64, BackupError> {
            let mut bytes = 0;
            for day in open {
                let from = days2.path_of(day);
                let to = dest_tel.join(format!("{}.redb", store::day_name(day)));
                bytes += copy_synced(&from, &to).map_err(io_at(&from))?;
            }
            Ok(bytes)
        })
        .await
        .map_err(|_| BackupError::WriterStopped)??;
    summary.bytes += copied;

    progress("copying the journal".into());
    let journal = data.join("journal");
    summary.bytes += copy_tree(&journal, &dest.join("journal")).map_err(io_at(&journal))?;
    crate::snapshot::write_clean_marker(&dest);
    let info = serde_json::json!({"created_ms": crate::clock::now_ms(), "version": env!("CARGO_PKG_VERSION"), "source": data.display().to_string()});
    let info_path = dest.join("BACKUP_INFO.json");
    fs::write(&info_path, format!("{info:#}")).map_err(io_at(&info_path))?;
    crate::durable::sync_dir(&dest);
    progress(format!("backup complete: {} files, {} MB", summary.files, summary.bytes / 1_000_000));
    Ok(summary)
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct BackupSummary {
    pub files: u64,
    pub bytes: u64,
}

fn copy_synced(from: &Path, to: &Path) -> std::io::Result<u64> {
    let n = fs::copy(from, to)?;
    fs::File::open(to)?.sync_all()?;
    Ok(n)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut bytes = 0;
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            bytes += copy_tree(&entry.path(), &target)?;
        } else {
            // A journal segment may be trimmed away mid-copy: it was covered by a checkpoint.
            match copy_synced(&entry.path(), &target) {
                Ok(n) => bytes += n,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    crate::durable::sync_dir(to);
    Ok(bytes)
}

/// What a verified copy holds.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CheckReport {
    pub journal_records: u64,
    pub journal_torn_segments: usize,
    pub replayed: u64,
    pub state_note: Option<String>,
    pub rebuilt_days: Vec<String>,
    pub day_files: usize,
    pub characters: usize,
    pub telemetry_events: u64,
    pub other_events: u64,
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    /// Days whose hourly rollups are in `rollups.redb` (kept past retention).
    pub archived_days: usize,
    pub rollup_hours: u64,
    pub first_archived_day: Option<String>,
}

/// Verifies a copy of a data directory: copies it privately, runs the same recovery the
/// server runs (integrity-checked opens, snapshot fallback, journal replay), then reads
/// every table and decodes every telemetry block.
pub fn restore_check(dir: &Path) -> Result<CheckReport, TelemetryError> {
    if !dir.join("state.redb").exists() && !dir.join("journal").exists() {
        return Err(TelemetryError::Open(format!(
            "{}: not an overlord data directory (no state.redb, no journal/)",
            dir.display()
        )));
    }
    let work = tempfile_dir()?;
    let copy = work.join("data");
    copy_tree(dir, &copy)?;
    let result = check_copy(&copy);
    let _ = fs::remove_dir_all(&work);
    result
}

/// A new private directory for one check. Checks can run at once in one process (a test
/// binary, or backups verified side by side) and once shared a directory named by pid and
/// millisecond, each deleting it under the other; the counter and `create_dir` (which fails on
/// an existing directory, say one left by a killed process with the same pid) keep them apart.
fn tempfile_dir() -> Result<PathBuf, TelemetryError> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    loop {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base =
            std::env::temp_dir().join(format!("overlord-check-{}-{}-{n}", std::process::id(), crate::clock::now_ms()));
        match fs::create_dir(&base) {
            Ok(()) => return Ok(base),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

fn check_copy(copy: &Path) -> Result<CheckReport, TelemetryError> {
    let mut report = CheckReport::default();
    let journal = crate::journal::replay(&copy.join("journal"), 0, |_, _| {})
        .map_err(|e| TelemetryError::Journal(e.to_string()))?;
    report.journal_records = journal.records;
    report.journal_torn_segments = journal.torn_segments;
    // A copy is never trusted as cleanly stopped: every recent file is integrity-checked.
    let _ = fs::remove_file(copy.join("CLEAN_SHUTDOWN"));
    let (state, note) = crate::snapshot::open_state(copy, false)?;
    report.state_note = note;
    let state = Arc::new(state);
    let characters = Characters::open(state.clone())?;
    let days = DayFiles::open(copy)?;
    let all = days.days().len();
    report.rebuilt_days = days.verify_recent_days(all)?.into_iter().map(store::day_name).collect();
    let keep = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let (handle, join, recovery) = writer::start(
        &copy.join("journal"),
        days.clone(),
        state.clone(),
        characters.clone(),
        keep,
        writer::Retention::forever(),
    )?;
    report.replayed = recovery.replayed;
    // The writer's shutdown is async; restore-check is called from the CLI and from async
    // callers alike, so it waits on a runtime of its own on a thread of its own.
    let stopper = std::thread::spawn(move || -> std::io::Result<()> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        rt.block_on(async {
            let _ = handle.shutdown().await;
        });
        Ok(())
    });
    stopper.join().map_err(|_| std::io::Error::other("the writer's shutdown thread panicked"))??;
    let _ = join.join();
    report.characters = characters.all().len();
    let archive = days.archive().view();
    let (archived, hours, _) = archive.counts()?;
    report.archived_days = archived;
    report.rollup_hours = hours;
    report.first_archived_day = archive.days().keys().next().map(|d| store::day_name(*d));
    for day in days.days() {
        report.day_files += 1;
        for c in characters.all() {
            let rows = days.trail(c.id, day * store::DAY_MS - store::MAX_BLOCK_SPAN_MS, (day + 1) * store::DAY_MS)?;
            let rows: Vec<_> = rows.into_iter().filter(|r| store::day_of(r.t) == day).collect();
            report.telemetry_events += rows.len() as u64;
            if let (Some(f), Some(l)) = (rows.first(), rows.last()) {
                report.first_event_ms = Some(report.first_event_ms.map_or(f.t, |v| v.min(f.t)));
                report.last_event_ms = Some(report.last_event_ms.map_or(l.t, |v| v.max(l.t)));
            }
        }
        for kind in crate::telemetry::EventKind::ALL {
            days.events(kind, None, day * store::DAY_MS, (day + 1) * store::DAY_MS - 1, usize::MAX, |_, bytes| {
                if serde_json::from_slice::<serde_json::Value>(bytes).is_ok() {
                    report.other_events += 1;
                }
                true
            })?;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_at_once_never_share_a_work_directory() {
        let dirs: Vec<PathBuf> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..50).map(|_| tempfile_dir().expect("work dir")).collect::<Vec<_>>()))
                .collect();
            workers.into_iter().flat_map(|w| w.join().expect("thread")).collect()
        });
        let distinct: std::collections::HashSet<_> = dirs.iter().collect();
        assert_eq!(distinct.len(), dirs.len(), "200 checks, 200 directories");
        for d in &dirs {
            assert!(d.is_dir());
            fs::remove_dir(d).expect("remove");
        }
    }
}
