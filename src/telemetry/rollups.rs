//! The rollup archive, `rollups.redb`: hourly and daily per-character totals (kills,
//! deaths, XP, rares, distance, time online) of every closed day, kept forever — retention
//! deletes day files, never this file — plus lifetime totals per character.
//!
//! Owns archiving a closed day's rollups and answering range totals over archived days.
//! Never writes the file in place: each archive step writes a fresh copy beside it
//! (`rollups.redb.tmp`), closes it cleanly, syncs it and renames it over the old one.
//! Readers use a read-only handle, which never touches the file either. So a `cp -r` of a
//! running data directory always copies a complete file, and a crash leaves the old or the
//! new file, never a torn one. Archiving happens once a day, so copying the whole file
//! (about 150 MB per year at 600 characters) is cheap next to what it buys.

use super::day::DAY_MS;
use super::error::TelemetryError;
use redb::{Database, ReadOnlyDatabase, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// Hourly per-character totals (kills, deaths, XP, rares, distance, time online).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rollup {
    pub kills: u64,
    pub deaths: u64,
    pub xp: i64,
    pub rares: u64,
    pub distance_m: f64,
    pub online_s: u64,
    pub events: u64,
}

impl Rollup {
    /// `self - b` field by field, counters floored at zero (what a recomputed hour adds to
    /// the one it replaces).
    pub fn minus(&self, b: &Rollup) -> Rollup {
        Rollup {
            kills: self.kills.saturating_sub(b.kills),
            deaths: self.deaths.saturating_sub(b.deaths),
            xp: self.xp - b.xp,
            rares: self.rares.saturating_sub(b.rares),
            distance_m: self.distance_m - b.distance_m,
            online_s: self.online_s.saturating_sub(b.online_s),
            events: self.events.saturating_sub(b.events),
        }
    }

    pub fn merge(&mut self, b: &Rollup) {
        self.kills += b.kills;
        self.deaths += b.deaths;
        self.xp += b.xp;
        self.rares += b.rares;
        self.distance_m += b.distance_m;
        self.online_s += b.online_s;
        self.events += b.events;
    }
}

pub const FILE_NAME: &str = "rollups.redb";
const HOUR_MS: i64 = 3_600_000;
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// `(character_id, hour_start_ms)` → encoded `Rollup`.
pub(crate) const HOURLY: TableDefinition<(u32, i64), &[u8]> = TableDefinition::new("rollups_hourly");
/// `(character_id, day)` → encoded `Rollup`: long ranges read 24× fewer rows.
pub(crate) const DAILY: TableDefinition<(u32, i64), &[u8]> = TableDefinition::new("rollups_daily");
/// `character_id` → encoded `Rollup` over every archived day.
pub(crate) const LIFETIME: TableDefinition<u32, &[u8]> = TableDefinition::new("lifetime");
/// `day` → when it was archived (ms): the days this file answers for.
pub(crate) const DAYS: TableDefinition<i64, i64> = TableDefinition::new("archived_days");

/// One archived day's hourly rows, as read from its day file.
pub type DayRollups = Vec<((u32, i64), Rollup)>;

/// One consistent view: a read-only handle and the days it holds.
pub struct ArchiveView {
    db: Option<ReadOnlyDatabase>,
    days: BTreeMap<i64, i64>,
}

impl ArchiveView {
    /// Whether `day`'s rollups are answered by the archive (not by its day file).
    pub fn holds(&self, day: i64) -> bool {
        self.days.contains_key(&day)
    }

    /// Archived days with the time each was archived.
    pub fn days(&self) -> &BTreeMap<i64, i64> {
        &self.days
    }

    /// Adds to `totals` the archived rollups of hours overlapping `[from, to]`.
    pub fn add_totals(&self, from: i64, to: i64, totals: &mut BTreeMap<u32, Rollup>) -> Result<(), TelemetryError> {
        let Some(db) = &self.db else { return Ok(()) };
        let txn = db.begin_read()?;
        let (Some(first), Some(last)) = (self.days.keys().next(), self.days.keys().next_back()) else {
            return Ok(());
        };
        if from <= first * DAY_MS && to >= (last + 1) * DAY_MS - 1 {
            for entry in txn.open_table(LIFETIME)?.iter()? {
                let (k, v) = entry?;
                totals.entry(k.value()).or_default().merge(&decode(v.value())?);
            }
            return Ok(());
        }
        // Whole days inside the range come from the daily table, the ragged ends from hours.
        let first_whole = from.div_euclid(DAY_MS) + i64::from(from.rem_euclid(DAY_MS) != 0);
        let last_whole = (to + 1).div_euclid(DAY_MS) - 1;
        let characters: Vec<u32> =
            txn.open_table(LIFETIME)?.iter()?.map(|e| e.map(|(k, _)| k.value())).collect::<Result<_, _>>()?;
        let daily = txn.open_table(DAILY)?;
        let hourly = txn.open_table(HOURLY)?;
        for id in characters {
            let mut sum = Rollup::default();
            // Hours overlapping [from, to]: the hour starting at or before `from` counts.
            let first_hour = from - from.rem_euclid(HOUR_MS);
            if first_whole <= last_whole {
                add_range(&hourly, id, first_hour, first_whole * DAY_MS - 1, &mut sum)?;
                add_range(&daily, id, first_whole, last_whole, &mut sum)?;
                add_range(&hourly, id, (last_whole + 1) * DAY_MS, to, &mut sum)?;
            } else {
                add_range(&hourly, id, first_hour, to, &mut sum)?;
            }
            if sum != Rollup::default() {
                totals.entry(id).or_default().merge(&sum);
            }
        }
        Ok(())
    }

    /// Hourly rows of one character in `[from, to]` (hour starts), ascending.
    pub fn hours(&self, character_id: u32, from: i64, to: i64) -> Result<Vec<(i64, Rollup)>, TelemetryError> {
        let Some(db) = &self.db else { return Ok(Vec::new()) };
        let txn = db.begin_read()?;
        let table = txn.open_table(HOURLY)?;
        let mut out = Vec::new();
        for entry in table.range((character_id, from)..=(character_id, to))? {
            let (k, v) = entry?;
            out.push((k.value().1, decode(v.value())?));
        }
        Ok(out)
    }

    /// Row counts for restore-check: (archived days, hourly rows, characters).
    pub fn counts(&self) -> Result<(usize, u64, u64), TelemetryError> {
        let Some(db) = &self.db else { return Ok((0, 0, 0)) };
        let txn = db.begin_read()?;
        let mut hourly = 0;
        for entry in txn.open_table(HOURLY)?.iter()? {
            decode(entry?.1.value())?;
            hourly += 1;
        }
        let characters = txn.open_table(LIFETIME)?.len()?;
        Ok((self.days.len(), hourly, characters))
    }
}

/// The archive file and its current view; shared by the writer (which archives) and readers.
pub struct RollupArchive {
    path: PathBuf,
    current: RwLock<Arc<ArchiveView>>,
    /// One archive step at a time (the writer thread is the only caller, but tests are not).
    writing: Mutex<()>,
}

impl RollupArchive {
    /// Opens `rollups.redb` in `data_dir`, dropping a leftover `.tmp` from an interrupted
    /// step (the old file is still whole). A missing file is an empty archive.
    pub fn open(data_dir: &Path) -> Result<Self, TelemetryError> {
        let path = data_dir.join(FILE_NAME);
        let _ = std::fs::remove_file(tmp_path(&path));
        let view = load(&path)?;
        Ok(RollupArchive { path, current: RwLock::new(Arc::new(view)), writing: Mutex::new(()) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current view; hold it for the whole of one read so every day is counted once.
    pub fn view(&self) -> Arc<ArchiveView> {
        self.current.read().map(|v| v.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Adds whole days to the archive (days already archived are skipped, so a step
    /// repeated after a crash counts nothing twice) and swaps the new file in.
    pub fn archive_days(&self, days: Vec<(i64, DayRollups)>, now_ms: i64) -> Result<usize, TelemetryError> {
        let _guard = self.writing.lock().map_err(|_| TelemetryError::Poisoned("rollup archive lock"))?;
        let current = self.view();
        let days: Vec<_> = days.into_iter().filter(|(d, _)| !current.holds(*d)).collect();
        if days.is_empty() {
            return Ok(0);
        }
        let tmp = tmp_path(&self.path);
        let _ = std::fs::remove_file(&tmp);
        if self.path.exists() {
            std::fs::copy(&self.path, &tmp)?;
        }
        {
            let db = Database::builder().set_cache_size(CACHE_BYTES).create(&tmp)?;
            let txn = db.begin_write()?;
            {
                let mut hourly = txn.open_table(HOURLY)?;
                let mut daily = txn.open_table(DAILY)?;
                let mut lifetime = txn.open_table(LIFETIME)?;
                let mut archived = txn.open_table(DAYS)?;
                for (day, rows) in &days {
                    let mut per_char: BTreeMap<u32, Rollup> = BTreeMap::new();
                    for ((id, hour), r) in rows {
                        hourly.insert((*id, *hour), encode(r)?.as_slice())?;
                        per_char.entry(*id).or_default().merge(r);
                    }
                    for (id, r) in per_char {
                        daily.insert((id, *day), encode(&r)?.as_slice())?;
                        let mut life = match lifetime.get(id)? {
                            Some(v) => decode(v.value())?,
                            None => Rollup::default(),
                        };
                        life.merge(&r);
                        lifetime.insert(id, encode(&life)?.as_slice())?;
                    }
                    archived.insert(*day, now_ms)?;
                }
            }
            txn.commit()?;
            // Dropping the handle closes the file cleanly, so read-only opens accept it.
        }
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            crate::durable::sync_dir(dir);
        }
        let view = load(&self.path)?;
        *self.current.write().map_err(|_| TelemetryError::Poisoned("rollup archive lock"))? = Arc::new(view);
        Ok(days.len())
    }
}

/// Adds the rows keyed `(id, a..=b)` of an hourly or daily table to `sum`.
fn add_range(
    table: &impl ReadableTable<(u32, i64), &'static [u8]>,
    id: u32,
    a: i64,
    b: i64,
    sum: &mut Rollup,
) -> Result<(), TelemetryError> {
    if a > b {
        return Ok(());
    }
    for entry in table.range((id, a)..=(id, b))? {
        sum.merge(&decode(entry?.1.value())?);
    }
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    path.with_extension("redb.tmp")
}

fn load(path: &Path) -> Result<ArchiveView, TelemetryError> {
    if !path.exists() {
        return Ok(ArchiveView { db: None, days: BTreeMap::new() });
    }
    let db = redb::Builder::new()
        .set_cache_size(CACHE_BYTES)
        .open_read_only(path)
        .map_err(|e| TelemetryError::Open(format!("opening {}: {e}", path.display())))?;
    let mut days = BTreeMap::new();
    {
        let txn = db.begin_read()?;
        match txn.open_table(DAYS) {
            Ok(t) => {
                for entry in t.iter()? {
                    let (k, v) = entry?;
                    days.insert(k.value(), v.value());
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ArchiveView { db: Some(db), days })
}

pub(crate) fn encode(r: &Rollup) -> Result<Vec<u8>, TelemetryError> {
    bincode::serde::encode_to_vec(r, bincode::config::standard())
        .map_err(|e| TelemetryError::Encode(format!("rollup: {e}")))
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Rollup, TelemetryError> {
    bincode::serde::decode_from_slice::<Rollup, _>(bytes, bincode::config::standard())
        .map(|(r, _)| r)
        .map_err(|e| TelemetryError::Corrupt(format!("rollup row does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(kills: u64, xp: i64) -> Rollup {
        Rollup { kills, xp, events: 1, ..Rollup::default() }
    }

    fn day_rows(day: i64, id: u32, per_hour: &[(i64, u64)]) -> (i64, DayRollups) {
        (day, per_hour.iter().map(|(h, k)| ((id, day * DAY_MS + h * HOUR_MS), r(*k, 10))).collect())
    }

    #[test]
    fn empty_archive_answers_nothing_and_holds_no_day() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = RollupArchive::open(dir.path()).expect("open");
        let mut totals = BTreeMap::new();
        a.view().add_totals(0, i64::MAX / 2, &mut totals).expect("totals");
        assert!(totals.is_empty());
        assert!(!a.view().holds(0));
        assert!(!dir.path().join(FILE_NAME).exists(), "nothing is written until a day is archived");
    }

    #[test]
    fn archived_days_survive_reopen_and_sum_over_any_range() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = RollupArchive::open(dir.path()).expect("open");
        let n = a
            .archive_days(vec![day_rows(100, 1, &[(0, 1), (5, 2), (23, 4)]), day_rows(101, 1, &[(1, 8)])], 1)
            .expect("archive");
        assert_eq!(n, 2);
        a.archive_days(vec![day_rows(102, 2, &[(12, 16)])], 2).expect("archive");
        drop(a);
        let a = RollupArchive::open(dir.path()).expect("reopen");
        let v = a.view();
        assert!(v.holds(100) && v.holds(101) && v.holds(102) && !v.holds(103));
        let totals = |from: i64, to: i64| {
            let mut t = BTreeMap::new();
            v.add_totals(from, to, &mut t).expect("totals");
            t.into_iter().map(|(id, r)| (id, r.kills)).collect::<Vec<_>>()
        };
        assert_eq!(totals(0, i64::MAX / 2), vec![(1, 15), (2, 16)], "lifetime");
        assert_eq!(totals(100 * DAY_MS, 101 * DAY_MS - 1), vec![(1, 7)], "one whole day");
        // From 05:30 on day 100 to 01:30 on day 101: hours 05, 23 and 01 overlap.
        let from = 100 * DAY_MS + 5 * HOUR_MS + HOUR_MS / 2;
        let to = 101 * DAY_MS + HOUR_MS + HOUR_MS / 2;
        assert_eq!(totals(from, to), vec![(1, 14)], "ragged ends come from hours");
        assert_eq!(totals(101 * DAY_MS, 103 * DAY_MS), vec![(1, 8), (2, 16)]);
        assert_eq!(totals(103 * DAY_MS, 104 * DAY_MS), vec![], "after every archived day");
        assert_eq!(v.hours(1, 100 * DAY_MS, 100 * DAY_MS + 6 * HOUR_MS).expect("hours").len(), 2);
        assert_eq!(v.counts().expect("counts"), (3, 5, 2));
    }

    #[test]
    fn archiving_a_day_twice_counts_it_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = RollupArchive::open(dir.path()).expect("open");
        a.archive_days(vec![day_rows(7, 3, &[(1, 5)])], 1).expect("first");
        assert_eq!(a.archive_days(vec![day_rows(7, 3, &[(1, 5)])], 2).expect("again"), 0);
        let mut t = BTreeMap::new();
        a.view().add_totals(0, i64::MAX / 2, &mut t).expect("totals");
        assert_eq!(t[&3].kills, 5);
    }

    #[test]
    fn a_leftover_tmp_from_an_interrupted_step_is_discarded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = RollupArchive::open(dir.path()).expect("open");
        a.archive_days(vec![day_rows(7, 3, &[(1, 5)])], 1).expect("archive");
        drop(a);
        std::fs::write(dir.path().join("rollups.redb.tmp"), b"half a file").expect("write tmp");
        let a = RollupArchive::open(dir.path()).expect("reopen");
        assert!(a.view().holds(7));
        assert!(!dir.path().join("rollups.redb.tmp").exists());
    }

    #[test]
    fn a_view_taken_before_a_step_keeps_answering_from_the_old_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = RollupArchive::open(dir.path()).expect("open");
        a.archive_days(vec![day_rows(7, 3, &[(1, 5)])], 1).expect("archive");
        let old = a.view();
        a.archive_days(vec![day_rows(8, 3, &[(1, 6)])], 2).expect("archive");
        let mut t = BTreeMap::new();
        old.add_totals(0, i64::MAX / 2, &mut t).expect("old view still reads");
        assert_eq!(t[&3].kills, 5);
        assert!(!old.holds(8) && a.view().holds(8));
    }
}
