//! Scheduled backups: every `backup_schedule`, an online backup (`backup::online_backup`)
//! into a new folder under `backup_dir`, verified with the same checks as
//! `overlord restore-check`, then rotation down to the newest `backup_keep` verified
//! copies. A failure raises a "backup" alert and is shown on `/metrics` and the admin
//! Backups page.
//!
//! Owns: the schedule format and its next-run arithmetic, the folder naming
//! (`overlord-YYYYMMDD-HHMMSS-mmm`, unique: each run creates its own new folder), the `VERIFIED.json` marker, rotation, and the status.
//! Never: deletes anything under `backup_dir` that is not one of its own folders, deletes
//! a verified copy before a newer one is verified, or runs two backups at once.

use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Folder name prefix of scheduled backups; rotation only ever touches these.
pub const FOLDER_PREFIX: &str = "overlord-";
/// Written into a backup folder once `restore-check` passed on it.
pub const VERIFIED_MARKER: &str = "VERIFIED.json";
/// Shortest interval a config may ask for (a backup copies every closed day file).
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// Most copies kept.
pub const MAX_KEEP: u32 = 1_000;
/// Folders listed on the Backups page at most.
pub const MAX_LISTED: usize = 1_000;

/// When backups run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every day at this UTC time (minutes after midnight).
    DailyAt { minute_of_day: u32 },
    /// Every so often, counted from the server's start.
    Every(Duration),
}

/// How a `backup_schedule` value is written, quoted in every [`ScheduleError`].
const SCHEDULE_HELP: &str =
    "expected `daily HH:MM` (UTC) or `every N h` / `every N m` (e.g. `daily 03:30`, `every 6h`)";

/// A `backup_schedule` value that is not a schedule; each variant holds the text as written
/// and the message says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Neither `daily HH:MM` nor `every N h|m`, or a number that does not parse.
    #[error("'{0}': {SCHEDULE_HELP}")]
    Unrecognized(String),
    /// `daily HH:MM` with an hour over 23 or a minute over 59.
    #[error("'{0}': the time must be 00:00 to 23:59 UTC")]
    BadTime(String),
    /// `every …` shorter than [`MIN_INTERVAL`] or longer than 31 days.
    #[error("'{0}': the interval must be 1 minute to 31 days")]
    BadInterval(String),
}

impl Schedule {
    /// `daily 03:30` (UTC) or `every 6h` / `every 30m`.
    pub fn parse(s: &str) -> Result<Schedule, ScheduleError> {
        let t = s.trim().to_ascii_lowercase();
        let unrecognized = || ScheduleError::Unrecognized(s.to_string());
        if let Some(rest) = t.strip_prefix("daily") {
            let (h, m) = rest.trim().split_once(':').ok_or_else(unrecognized)?;
            let h: u32 = h.trim().parse().map_err(|_| unrecognized())?;
            let m: u32 = m.trim().parse().map_err(|_| unrecognized())?;
            if h > 23 || m > 59 {
                return Err(ScheduleError::BadTime(s.to_string()));
            }
            return Ok(Schedule::DailyAt { minute_of_day: h * 60 + m });
        }
        if let Some(rest) = t.strip_prefix("every") {
            let rest = rest.trim();
            let (num, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len()));
            let n: u64 = num.parse().map_err(|_| unrecognized())?;
            let secs = match unit.trim() {
                "h" | "hour" | "hours" => n.saturating_mul(3600),
                "m" | "min" | "minute" | "minutes" => n.saturating_mul(60),
                _ => return Err(unrecognized()),
            };
            let d = Duration::from_secs(secs);
            if d < MIN_INTERVAL || d > Duration::from_secs(31 * 86_400) {
                return Err(ScheduleError::BadInterval(s.to_string()));
            }
            return Ok(Schedule::Every(d));
        }
        Err(unrecognized())
    }

    /// Milliseconds from `now_ms` (unix) to the next run; `last_ms` is the last start.
    pub fn wait_ms(&self, now_ms: i64, last_ms: Option<i64>) -> i64 {
        match *self {
            Schedule::DailyAt { minute_of_day } => {
                let day = now_ms.div_euclid(86_400_000);
                let mut at = day * 86_400_000 + i64::from(minute_of_day) * 60_000;
                if at <= now_ms {
                    at += 86_400_000;
                }
                at - now_ms
            }
            Schedule::Every(d) => {
                let every = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
                match last_ms {
                    Some(l) => (l + every - now_ms).max(0),
                    None => every,
                }
            }
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Schedule::DailyAt { minute_of_day } => {
                format!("daily {:02}:{:02} UTC", minute_of_day / 60, minute_of_day % 60)
            }
            Schedule::Every(d) if d.as_secs().is_multiple_of(3600) => format!("every {}h", d.as_secs() / 3600),
            Schedule::Every(d) if d.as_secs().is_multiple_of(60) => format!("every {}m", d.as_secs() / 60),
            Schedule::Every(d) => format!("every {}s", d.as_secs()),
        }
    }
}

/// One scheduled backup folder.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct BackupEntry {
    pub name: String,
    pub path: String,
    pub bytes: u64,
    pub verified: bool,
    pub created_ms: Option<i64>,
}

/// What the Backups page and `/metrics` show.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct BackupStatus {
    pub enabled: bool,
    pub backup_dir: Option<String>,
    pub schedule: Option<String>,
    pub keep: u32,
    pub running: bool,
    pub last_success_ms: Option<i64>,
    pub last_success_bytes: Option<u64>,
    pub last_failure_ms: Option<i64>,
    pub last_error: Option<String>,
    pub successes: u64,
    pub failures: u64,
    pub next_run_ms: Option<i64>,
}

/// The scheduler's shared state (the task and the HTTP handlers).
#[derive(Default)]
pub struct Backups {
    status: Mutex<BackupStatus>,
    /// Held while a backup runs: one at a time.
    running: tokio::sync::Mutex<()>,
}

/// Settings the scheduler runs with.
#[derive(Debug, Clone)]
pub struct BackupSettings {
    pub dir: PathBuf,
    pub schedule: Schedule,
    pub keep: u32,
}

impl Backups {
    pub fn new(settings: Option<&BackupSettings>) -> Backups {
        let b = Backups::default();
        if let Some(s) = settings {
            let mut st = b.lock();
            st.enabled = true;
            st.backup_dir = Some(s.dir.display().to_string());
            st.schedule = Some(s.schedule.describe());
            st.keep = s.keep;
        }
        b
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BackupStatus> {
        self.status.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> BackupStatus {
        self.lock().clone()
    }

    /// `(name, help, value)` rows for `Metrics::render`'s `extra`.
    pub fn metric_rows(&self) -> Vec<(&'static str, &'static str, f64)> {
        let s = self.lock();
        vec![
            (
                "overlord_backup_last_success_timestamp_seconds",
                "Unix time of the last verified scheduled backup (0: none yet).",
                s.last_success_ms.map_or(0.0, |ms| ms as f64 / 1000.0),
            ),
            (
                "overlord_backup_last_success_bytes",
                "Size of the last verified scheduled backup.",
                s.last_success_bytes.unwrap_or(0) as f64,
            ),
            ("overlord_backup_successes_total", "Scheduled backups written and verified.", s.successes as f64),
            (
                "overlord_backup_failures_total",
                "Scheduled backups that failed or failed verification.",
                s.failures as f64,
            ),
        ]
    }

    /// Runs one backup now: write, verify, rotate. Waits if one is running. Raises the
    /// backup alert on failure.
    pub async fn run_once(
        &self,
        source: &crate::backup::Source,
        alerts: &crate::alerts::AlertsHandle,
        cfg: &BackupSettings,
    ) -> Result<BackupEntry, ScheduledBackupError> {
        let _one = self.running.lock().await;
        self.lock().running = true;
        let started = crate::clock::now_ms();
        let result = run_inner(source, cfg, started).await;
        let mut st = self.lock();
        st.running = false;
        match &result {
            Ok(e) => {
                st.last_success_ms = Some(started);
                st.last_success_bytes = Some(e.bytes);
                st.successes += 1;
                tracing::info!(path = %e.path, bytes = e.bytes, "scheduled backup written and verified");
            }
            Err(err) => {
                st.last_failure_ms = Some(started);
                st.last_error = Some(err.to_string());
                st.failures += 1;
                drop(st);
                tracing::error!(error = %err, "scheduled backup failed");
                alerts.backup_failed(&err.to_string(), &cfg.dir.display().to_string());
            }
        }
        result
    }

    /// The scheduler loop: sleeps until the next run, runs, repeats; ends with `stop`.
    pub async fn run_schedule(
        self: std::sync::Arc<Self>,
        source: crate::backup::Source,
        alerts: crate::alerts::AlertsHandle,
        cfg: BackupSettings,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut last: Option<i64> = Some(crate::clock::now_ms());
        loop {
            let now = crate::clock::now_ms();
            let wait = cfg.schedule.wait_ms(now, last);
            self.lock().next_run_ms = Some(now + wait);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait.max(0) as u64)) => {}
                _ = stop.changed() => return,
            }
            last = Some(crate::clock::now_ms());
            let _ = self.run_once(&source, &alerts, &cfg).await;
        }
    }
}

async fn run_inner(
    source: &crate::backup::Source,
    cfg: &BackupSettings,
    started_ms: i64,
) -> Result<BackupEntry, ScheduledBackupError> {
    use ScheduledBackupError as E;
    let io_at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| E::Io { path, source }
    };
    std::fs::create_dir_all(&cfg.dir).map_err(io_at(&cfg.dir))?;
    let (name, dest) = claim_folder(&cfg.dir, started_ms)?;
    let mut progress = |line: String| tracing::debug!(%line, "scheduled backup");
    let summary = match crate::backup::online_backup(source, dest.clone(), &mut progress).await {
        Ok(s) => s,
        Err(e) => {
            remove_partial(&dest);
            return Err(E::Backup { dest, source: e });
        }
    };
    let check_dir = dest.clone();
    let report = tokio::task::spawn_blocking(move || crate::backup::restore_check(&check_dir))
        .await
        .map_err(|e| E::Backup { dest: dest.clone(), source: crate::backup::BackupError::Task(e.to_string()) })?;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            // An unverifiable copy is no backup: it must not push a good one out.
            remove_partial(&dest);
            return Err(E::Verify { dest, source: e });
        }
    };
    let marker = serde_json::json!({"verified_ms": crate::clock::now_ms(), "bytes": summary.bytes, "report": report});
    let marker_path = dest.join(VERIFIED_MARKER);
    std::fs::write(&marker_path, format!("{marker:#}")).map_err(io_at(&marker_path))?;
    crate::durable::sync_dir(&dest);
    rotate(&cfg.dir, cfg.keep).map_err(|source| E::Rotate { dir: cfg.dir.clone(), source })?;
    Ok(BackupEntry {
        name,
        path: dest.display().to_string(),
        bytes: summary.bytes,
        verified: true,
        created_ms: Some(started_ms),
    })
}

/// Why a scheduled backup failed (shown on the Backups page and sent as the backup alert).
#[derive(Debug, thiserror::Error)]
pub enum ScheduledBackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No folder name was free (a thousand backups in one millisecond).
    #[error("{dir}: no free folder name for {base}")]
    NoFolderName { dir: PathBuf, base: String },
    #[error("backup into {dest}: {source}")]
    Backup {
        dest: PathBuf,
        #[source]
        source: crate::backup::BackupError,
    },
    /// The copy was written but does not pass `restore-check`; it was removed.
    #[error("{dest}: restore-check failed: {source}")]
    Verify {
        dest: PathBuf,
        #[source]
        source: crate::telemetry::TelemetryError,
    },
    #[error("rotation in {dir}: {source}")]
    Rotate {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `overlord-20261204-031500-250` (UTC, to the millisecond); sorts by time.
pub fn folder_name(ms: i64) -> String {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    format!("{FOLDER_PREFIX}{}", t.format("%Y%m%d-%H%M%S-%3f"))
}

/// Creates this backup's own, new folder: the time's name, or with `-2`, `-3`… when a
/// folder of that name exists (two backups in one millisecond, a clock stepped back).
/// `create_dir` fails on an existing folder, so an earlier copy is never written into —
/// or, on failure, deleted.
fn claim_folder(dir: &Path, started_ms: i64) -> Result<(String, PathBuf), ScheduledBackupError> {
    let base = folder_name(started_ms);
    for n in 1..=1_000u32 {
        let name = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let dest = dir.join(&name);
        match std::fs::create_dir(&dest) {
            Ok(()) => return Ok((name, dest)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(ScheduledBackupError::Io { path: dest, source }),
        }
    }
    Err(ScheduledBackupError::NoFolderName { dir: dir.to_path_buf(), base })
}

/// Our backup folders in `dir`, newest first.
pub fn list(dir: &Path) -> std::io::Result<Vec<BackupEntry>> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in rd {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.starts_with(FOLDER_PREFIX) || !entry.file_type()?.is_dir() {
            continue;
        }
        let marker = std::fs::read(entry.path().join(VERIFIED_MARKER)).ok();
        let parsed: Option<serde_json::Value> = marker.and_then(|m| serde_json::from_slice(&m).ok());
        out.push(BackupEntry {
            name,
            path: entry.path().display().to_string(),
            bytes: parsed.as_ref().and_then(|v| v["bytes"].as_u64()).unwrap_or(0),
            verified: parsed.is_some(),
            created_ms: parsed.as_ref().and_then(|v| v["verified_ms"].as_i64()),
        });
    }
    out.sort_by(|a, b| b.name.cmp(&a.name));
    out.truncate(MAX_LISTED);
    Ok(out)
}

/// Deletes verified copies beyond the newest `keep`, and unverified leftovers older than
/// the newest verified one (a crash mid-backup leaves one).
pub fn rotate(dir: &Path, keep: u32) -> std::io::Result<usize> {
    let all = list(dir)?;
    let newest_verified = all.iter().find(|e| e.verified).map(|e| e.name.clone());
    let mut removed = 0;
    let mut kept = 0u32;
    for e in &all {
        let drop_it = if e.verified {
            kept += 1;
            kept > keep
        } else {
            newest_verified.as_ref().is_some_and(|n| e.name < *n)
        };
        if drop_it {
            std::fs::remove_dir_all(&e.path)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Deletes the folder this run claimed after it failed. Only ever called on a folder
/// `claim_folder` created for this run; a verified marker in it (impossible unless
/// something else wrote there) keeps it anyway.
fn remove_partial(dest: &Path) {
    let ours = dest.file_name().is_some_and(|n| n.to_string_lossy().starts_with(FOLDER_PREFIX));
    if ours && !dest.join(VERIFIED_MARKER).exists() {
        let _ = std::fs::remove_dir_all(dest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_compute_the_next_run() {
        assert_eq!(Schedule::parse("daily 03:30").unwrap(), Schedule::DailyAt { minute_of_day: 210 });
        assert_eq!(Schedule::parse("every 6h").unwrap(), Schedule::Every(Duration::from_secs(21_600)));
        assert_eq!(Schedule::parse("Every 30 m").unwrap(), Schedule::Every(Duration::from_secs(1_800)));
        assert!(matches!(Schedule::parse("daily 25:00"), Err(ScheduleError::BadTime(_))));
        assert!(matches!(Schedule::parse("every 10s"), Err(ScheduleError::Unrecognized(_))));
        assert!(Schedule::parse("weekly").unwrap_err().to_string().contains("daily HH:MM"));
        let d = Schedule::DailyAt { minute_of_day: 210 };
        // 01:00 UTC → 2.5 h; 04:00 → 23.5 h.
        assert_eq!(d.wait_ms(3_600_000, None), 9_000_000);
        assert_eq!(d.wait_ms(4 * 3_600_000, None), 84_600_000);
        let e = Schedule::Every(Duration::from_secs(60));
        assert_eq!(e.wait_ms(100_000, Some(90_000)), 50_000);
        assert_eq!(e.wait_ms(100_000, Some(0)), 0);
    }

    #[test]
    fn rotation_keeps_the_newest_verified_and_never_foreign_folders() {
        let dir = tempfile::tempdir().unwrap();
        let mk = |name: &str, verified: bool| {
            let p = dir.path().join(name);
            std::fs::create_dir_all(&p).unwrap();
            if verified {
                std::fs::write(p.join(VERIFIED_MARKER), b"{\"bytes\":5}").unwrap();
            }
        };
        mk("overlord-20261201-000000", true);
        mk("overlord-20261202-000000", false);
        mk("overlord-20261203-000000", true);
        mk("overlord-20261204-000000", true);
        mk("overlord-20261205-000000", false);
        mk("family-photos", false);
        assert_eq!(rotate(dir.path(), 2).unwrap(), 2);
        let names: Vec<String> = list(dir.path()).unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["overlord-20261205-000000", "overlord-20261204-000000", "overlord-20261203-000000"]);
        assert!(dir.path().join("family-photos").exists());
    }
}
