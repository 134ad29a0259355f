//! Day-bucket redb files and every read over them.
//!
//! `telemetry/YYYY-MM-DD.redb` holds one UTC day: sealed/open telemetry blocks keyed
//! `(character_id, first_ts_ms, seq)`, one row per event for the low-rate kinds, hourly
//! rollups, and the checkpoint (`meta.checkpoint_seq`: every journal record up to it is in
//! this file durably). Readers open read transactions and never block the writer.
//!
//! `telemetry/snapshots/YYYY-MM-DD.redb` is a consistent copy of a day file that is still
//! written (or closed within the hour): taken by the writer thread between two of its own
//! commits, closed cleanly, fsynced and renamed over the previous copy, so it is never
//! written in place and a `cp -r` always gets a whole one. A day file that fails its
//! integrity check after an unclean stop (a torn copy) is replaced by its snapshot and the
//! journal replays what came after; only a day without a snapshot is rebuilt from the
//! journal alone.

use super::block::{self, Row};
use super::day::parse_day_name;
pub use super::day::{DAY_MS, day_name, day_of};
pub use super::error::TelemetryError;
use super::kinds;
pub use super::rollups::Rollup;
use super::rollups::{self, DayRollups, RollupArchive};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

pub(crate) use super::day::{EventKey, optional_table};
use super::tail::{TAIL, TailRows};
pub(crate) const BLOCKS: TableDefinition<EventKey, &[u8]> = TableDefinition::new("telemetry_blocks");
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const ROLLUPS: TableDefinition<(u32, i64), &[u8]> = TableDefinition::new("rollups_hourly");
pub(crate) const ROLLUP_STATE: TableDefinition<u32, &[u8]> = TableDefinition::new("rollup_state");

/// The persisted kinds other than telemetry, one table each (JSON values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    Spawn,
    Rare,
    Portal,
    CharacterStats,
    CombatStats,
}

impl EventKind {
    pub const ALL: [EventKind; 5] =
        [EventKind::Spawn, EventKind::Rare, EventKind::Portal, EventKind::CharacterStats, EventKind::CombatStats];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Spawn => "spawn",
            EventKind::Rare => "rare",
            EventKind::Portal => "portal",
            EventKind::CharacterStats => "character_stats",
            EventKind::CombatStats => "combat_stats",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The kind's tail table: one row per event, until a sealing pass moves it into a
    /// block (`kinds`).
    pub(crate) fn table(self) -> TableDefinition<'static, EventKey, &'static [u8]> {
        TableDefinition::new(self.name())
    }

    /// The kind's sealed blocks (`kind_block`), keyed by their first row's key.
    pub(crate) fn blocks_table(self) -> TableDefinition<'static, EventKey, &'static [u8]> {
        TableDefinition::new(match self {
            EventKind::Spawn => "spawn_blocks",
            EventKind::Rare => "rare_blocks",
            EventKind::Portal => "portal_blocks",
            EventKind::CharacterStats => "character_stats_blocks",
            EventKind::CombatStats => "combat_stats_blocks",
        })
    }
}

pub use super::day::MAX_BLOCK_SPAN_MS;
/// Consistent copies of the day files still written, beside them (see the module header).
pub const SNAPSHOT_DIR: &str = "snapshots";
/// Per-file page cache; most day files are cold and read rarely.
pub const DAY_CACHE_BYTES: usize = 12 * 1024 * 1024;

/// The open day files, shared by the writer and readers (redb allows one handle per file
/// per process, so this registry is the only place that opens them), and the rollup
/// archive that answers for days already archived.
#[derive(Clone)]
pub struct DayFiles {
    dir: PathBuf,
    archive: Arc<RollupArchive>,
    open: Arc<RwLock<BTreeMap<i64, Arc<Database>>>>,
    /// Days moved aside by `verify_recent_days`, to be rebuilt by a full journal replay.
    damaged: Arc<std::sync::Mutex<Vec<i64>>>,
}

impl DayFiles {
    /// The day files in `data_dir/telemetry/` and the archive `data_dir/rollups.redb`.
    pub fn open(data_dir: &Path) -> Result<Self, TelemetryError> {
        let dir = data_dir.join("telemetry");
        std::fs::create_dir_all(&dir)?;
        Ok(DayFiles {
            dir,
            archive: Arc::new(RollupArchive::open(data_dir)?),
            open: Arc::new(RwLock::new(BTreeMap::new())),
            damaged: Arc::new(std::sync::Mutex::new(Vec::new())),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn archive(&self) -> &RollupArchive {
        &self.archive
    }

    /// Days that have a file, ascending.
    pub fn days(&self) -> Vec<i64> {
        let mut days: Vec<i64> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| parse_day_name(e.file_name().to_str()?))
            .collect();
        days.sort_unstable();
        days
    }

    /// The day's database, opening (and with `create`, creating) it on first use.
    pub fn get(&self, day: i64, create: bool) -> Result<Option<Arc<Database>>, TelemetryError> {
        if let Some(db) = self.open.read().map_err(|_| TelemetryError::Poisoned("day registry"))?.get(&day) {
            return Ok(Some(db.clone()));
        }
        let path = self.path_of(day);
        if !create && !path.exists() {
            return Ok(None);
        }
        let mut open = self.open.write().map_err(|_| TelemetryError::Poisoned("day registry"))?;
        if let Some(db) = open.get(&day) {
            return Ok(Some(db.clone()));
        }
        let mut builder = redb::Builder::new();
        builder.set_cache_size(DAY_CACHE_BYTES);
        // Readers open, never create: a file retention just deleted must not come back empty.
        let opened = if create { builder.create(&path) } else { builder.open(&path) };
        let db = match opened {
            Ok(db) => Arc::new(db),
            Err(redb::DatabaseError::Storage(redb::StorageError::Io(e)))
                if !create && e.kind() == std::io::ErrorKind::NotFound =>
            {
                return Ok(None);
            }
            Err(e) => return Err(TelemetryError::Open(format!("opening {}: {e}", path.display()))),
        };
        if create {
            let txn = db.begin_write()?;
            {
                txn.open_table(BLOCKS)?;
                txn.open_table(TAIL)?;
                txn.open_table(META)?;
                txn.open_table(ROLLUPS)?;
                txn.open_table(ROLLUP_STATE)?;
                for k in EventKind::ALL {
                    txn.open_table(k.table())?;
                    txn.open_table(k.blocks_table())?;
                }
            }
            txn.commit()?;
        }
        open.insert(day, db.clone());
        Ok(Some(db))
    }

    /// After an unclean stop (a crash, or a copy taken of a running directory), the files
    /// that may have been written recently — the newest `recent` days; older days were closed
    /// long before and are never written — are opened with redb's integrity check. A file
    /// that fails it is moved aside (`*.damaged-<ms>`) and replaced by its snapshot when one
    /// is intact (the journal replays what came after its checkpoint); without one it is
    /// rebuilt from the whole journal. Returns the days moved aside.
    pub fn verify_recent_days(&self, recent: usize) -> Result<Vec<i64>, TelemetryError> {
        let mut damaged = Vec::new();
        let days = self.days();
        for day in days.iter().rev().take(recent).copied() {
            let path = self.path_of(day);
            let checked =
                redb::Builder::new().set_cache_size(DAY_CACHE_BYTES).set_check_integrity_on_open(true).open(&path);
            match checked {
                Ok(db) => {
                    let mut open = self.open.write().map_err(|_| TelemetryError::Poisoned("day registry"))?;
                    open.insert(day, Arc::new(db));
                }
                Err(e) => {
                    let aside = path.with_extension(format!("redb.damaged-{}", chrono::Utc::now().timestamp_millis()));
                    std::fs::rename(&path, &aside)?;
                    damaged.push(day);
                    match self.restore_from_snapshot(day)? {
                        Some(cp) => {
                            tracing::error!(file = %path.display(), error = %e, aside = %aside.display(),
                                snapshot = %self.snapshot_path(day).display(), snapshot_checkpoint_seq = cp,
                                "day file failed its integrity check; restored from its snapshot, the journal replays the rest");
                        }
                        None => {
                            tracing::error!(file = %path.display(), error = %e, aside = %aside.display(),
                                "day file failed its integrity check and has no intact snapshot; rebuilding it from the journal");
                            if let Ok(mut d) = self.damaged.lock() {
                                d.push(day);
                            }
                        }
                    }
                }
            }
        }
        Ok(damaged)
    }

    /// Where the consistent copy of `day`'s file lives.
    pub fn snapshot_path(&self, day: i64) -> PathBuf {
        self.dir.join(SNAPSHOT_DIR).join(format!("{}.redb", day_name(day)))
    }

    /// Days that have a snapshot, ascending.
    pub fn snapshot_days(&self) -> Vec<i64> {
        let mut days: Vec<i64> = std::fs::read_dir(self.dir.join(SNAPSHOT_DIR))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| parse_day_name(e.file_name().to_str()?))
            .collect();
        days.sort_unstable();
        days
    }

    /// The checkpoint a day's snapshot covers (read-only: the file is never written in
    /// place). `None` when there is no snapshot or it does not open.
    pub fn snapshot_checkpoint(&self, day: i64) -> Option<u64> {
        let path = self.snapshot_path(day);
        if !path.exists() {
            return None;
        }
        match redb::Builder::new().set_cache_size(1 << 20).open_read_only(&path) {
            Ok(db) => day_meta(&db).ok().map(|m| m.checkpoint_seq),
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "day snapshot does not open; ignored");
                None
            }
        }
    }

    /// Starts `day`'s next snapshot: a read transaction on the file as it is now (step one
    /// of two; `PendingDaySnapshot::finish` writes it out, off the writer thread). The
    /// caller (the writer thread, the only writer) guarantees that no write transaction is
    /// open and that the last commit was durable, so the transaction sees one checkpointed
    /// commit. Taking it costs the writer next to nothing, whatever the file's size; the
    /// file keeps the pages this commit uses until the snapshot is written.
    pub fn begin_snapshot(&self, day: i64) -> Result<PendingDaySnapshot, TelemetryError> {
        let db = self.get(day, false)?.ok_or_else(|| {
            TelemetryError::Open(format!("{} vanished before its snapshot", self.path_of(day).display()))
        })?;
        let read = db.begin_read()?;
        let dir = self.dir.join(SNAPSHOT_DIR);
        std::fs::create_dir_all(&dir)?;
        let dest = self.snapshot_path(day);
        let tmp = dest.with_extension("redb.tmp");
        Ok(PendingDaySnapshot { day, read, tmp, dest, dir })
    }

    /// Rewrites a closed day's file compacted and puts it in place; returns its size before
    /// and after. Why: a day file carries the pages its open-block tail freed all day (about
    /// half the file at 600 characters), and a closed file is kept for `retention_days`.
    ///
    /// Safe at any moment because a closed file is never written again: the copy is taken
    /// from an immutable file, marked `compacted`, compacted while nothing else has it open,
    /// fsynced, and renamed over the original under the registry lock, which then holds a
    /// handle on the new file. Readers holding the old handle finish on the old inode; a
    /// `cp -r` or backup reads one inode or the other, both whole. A kill in the middle
    /// leaves a `.compacting` file, which the next attempt deletes. A day deleted by
    /// retention meanwhile stays deleted (the caller never runs both for one day, and the
    /// rename is skipped when the file is gone).
    pub fn compact_closed_day(&self, day: i64) -> Result<(u64, u64), TelemetryError> {
        let path = self.path_of(day);
        let tmp = path.with_extension("redb.compacting");
        let _ = std::fs::remove_file(&tmp);
        let before = std::fs::metadata(&path)?.len();
        std::fs::copy(&path, &tmp)?;
        let prepared = (|| -> Result<(), TelemetryError> {
            let mut db = redb::Builder::new()
                .set_cache_size(1 << 20)
                .open(&tmp)
                .map_err(|e| TelemetryError::Open(format!("opening {}: {e}", tmp.display())))?;
            if !day_meta(&db)?.closed {
                return Err(TelemetryError::Corrupt(format!("{} is not closed; not compacted", path.display())));
            }
            let txn = db.begin_write()?;
            {
                let mut meta = txn.open_table(META)?;
                meta.insert("compacted", 1u64)?;
            }
            txn.commit()?;
            db.compact().map_err(redb::Error::from)?;
            drop(db);
            std::fs::File::open(&tmp)?.sync_all()?;
            Ok(())
        })();
        if let Err(e) = prepared {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let mut open = self.open.write().map_err(|_| TelemetryError::Poisoned("day registry"))?;
        if !path.exists() {
            let _ = std::fs::remove_file(&tmp);
            return Ok((before, 0));
        }
        std::fs::rename(&tmp, &path)?;
        crate::durable::sync_dir(&self.dir);
        let db = redb::Builder::new()
            .set_cache_size(DAY_CACHE_BYTES)
            .open(&path)
            .map_err(|e| TelemetryError::Open(format!("opening {}: {e}", path.display())))?;
        open.insert(day, Arc::new(db));
        drop(open);
        Ok((before, std::fs::metadata(&path)?.len()))
    }

    /// Deletes a day's snapshot (the day is long closed, or deleted by retention).
    pub fn delete_day_snapshot(&self, day: i64) -> Result<(), TelemetryError> {
        match std::fs::remove_file(self.snapshot_path(day)) {
            Ok(()) => {
                crate::durable::sync_dir(&self.dir.join(SNAPSHOT_DIR));
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Puts an intact copy of `day`'s snapshot in place of its (moved-aside) file and opens
    /// it. Returns the checkpoint it covers, or `None` when there is no intact snapshot.
    fn restore_from_snapshot(&self, day: i64) -> Result<Option<u64>, TelemetryError> {
        let snap = self.snapshot_path(day);
        if !snap.exists() {
            return Ok(None);
        }
        let path = self.path_of(day);
        let tmp = path.with_extension("redb.restoring");
        std::fs::copy(&snap, &tmp)?;
        match redb::Builder::new().set_cache_size(DAY_CACHE_BYTES).set_check_integrity_on_open(true).open(&tmp) {
            Ok(db) => drop(db),
            Err(e) => {
                tracing::error!(file = %snap.display(), error = %e, "day snapshot failed its integrity check");
                let _ = std::fs::remove_file(&tmp);
                return Ok(None);
            }
        }
        std::fs::rename(&tmp, &path)?;
        crate::durable::sync_dir(&self.dir);
        let db = redb::Builder::new().set_cache_size(DAY_CACHE_BYTES).open(&path)?;
        let cp = day_meta(&db)?.checkpoint_seq;
        let mut open = self.open.write().map_err(|_| TelemetryError::Poisoned("day registry"))?;
        open.insert(day, Arc::new(db));
        Ok(Some(cp))
    }

    /// Days that must be rebuilt from the whole journal (taken once by recovery).
    pub fn take_damaged(&self) -> Vec<i64> {
        self.damaged.lock().map(|mut d| std::mem::take(&mut *d)).unwrap_or_default()
    }

    pub fn path_of(&self, day: i64) -> PathBuf {
        self.dir.join(format!("{}.redb", day_name(day)))
    }

    /// Retention: closes a day's handle and deletes its file. Readers still holding the
    /// handle finish their reads; the file is gone for everyone after.
    pub fn delete_day(&self, day: i64) -> Result<(), TelemetryError> {
        if let Ok(mut open) = self.open.write() {
            open.remove(&day);
        }
        match std::fs::remove_file(self.path_of(day)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        crate::durable::sync_dir(&self.dir);
        self.delete_day_snapshot(day)
    }

    /// A day file's hourly rollup rows, for the archive.
    pub fn day_rollups(&self, day: i64) -> Result<DayRollups, TelemetryError> {
        let rows = self.read_day_table(day, ROLLUPS, |table| {
            let mut rows = Vec::new();
            for entry in table.iter()? {
                let (k, v) = entry?;
                rows.push((k.value(), rollups::decode(v.value())?));
            }
            Ok(rows)
        })?;
        Ok(rows.unwrap_or_default())
    }

    /// Runs `read` over one table of a day file; a missing file or table reads as nothing.
    fn read_day_table<K: redb::Key + 'static, V: redb::Value + 'static, R>(
        &self,
        day: i64,
        def: TableDefinition<K, V>,
        read: impl FnOnce(redb::ReadOnlyTable<K, V>) -> Result<R, TelemetryError>,
    ) -> Result<Option<R>, TelemetryError> {
        let Some(db) = self.get(day, false)? else { return Ok(None) };
        let txn = db.begin_read()?;
        optional_table(&txn, def)?.map(read).transpose()
    }

    /// Days overlapping `[from, to]` that exist on disk.
    fn days_in(&self, from: i64, to: i64) -> Vec<i64> {
        let (a, b) = (day_of(from), day_of(to));
        self.days().into_iter().filter(|d| *d >= a && *d <= b).collect()
    }

    /// Telemetry rows of one character in `[from, to]`, ascending. Collects them all: for
    /// ranges that may be long, use `trail_for_each`.
    pub fn trail(&self, character_id: u32, from: i64, to: i64) -> Result<Vec<Row>, TelemetryError> {
        let mut out = Vec::new();
        self.trail_for_each(character_id, from, to, |r| {
            out.push(r);
            true
        })?;
        out.sort_by_key(|r| r.t);
        Ok(out)
    }

    /// Visits one character's telemetry rows in `[from, to]` one block at a time, in block
    /// order (ascending, save across a server clock step), until `visit` returns false.
    /// Memory stays at one block however long the range.
    pub fn trail_for_each(
        &self,
        character_id: u32,
        from: i64,
        to: i64,
        mut visit: impl FnMut(Row) -> bool,
    ) -> Result<(), TelemetryError> {
        for day in self.days_in(from - MAX_BLOCK_SPAN_MS, to) {
            let Some(db) = self.get(day, false)? else { continue };
            let txn = db.begin_read()?;
            let Some(table) = optional_table(&txn, BLOCKS)? else { continue };
            let start = (character_id, from - MAX_BLOCK_SPAN_MS, 0u32);
            let end = (character_id, to, u32::MAX);
            for entry in table.range(start..=end)? {
                let (_, value) = entry?;
                let rows = block::decode(value.value()).map_err(|e| TelemetryError::Corrupt(e.to_string()))?;
                for row in rows.into_iter().filter(|r| r.t >= from && r.t <= to) {
                    if !visit(row) {
                        return Ok(());
                    }
                }
            }
            // The open block's rows follow the day's sealed blocks (a file written before
            // the tail table existed has none).
            let Some(tail) = optional_table(&txn, TAIL)? else { continue };
            let mut rows = TailRows::new(&tail);
            for entry in tail.range((character_id, from, 0u32)..=(character_id, to, u32::MAX))? {
                let (key, value) = entry?;
                let row = rows.decode(key.value(), value.value())?;
                if !visit(row) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// One character's newest telemetry row in `[from, to]` that `wanted` accepts, reading
    /// backwards (the open block's rows, then sealed blocks, newest day first) and stopping
    /// at the first match, so it costs a block or two however long the range.
    pub fn trail_last(
        &self,
        character_id: u32,
        from: i64,
        to: i64,
        wanted: impl Fn(&Row) -> bool,
    ) -> Result<Option<Row>, TelemetryError> {
        let in_range = |r: &Row| r.t >= from && r.t <= to && wanted(r);
        for day in self.days_in(from - MAX_BLOCK_SPAN_MS, to).into_iter().rev() {
            let Some(db) = self.get(day, false)? else { continue };
            let txn = db.begin_read()?;
            if let Some(tail) = optional_table(&txn, TAIL)? {
                let mut rows = TailRows::new(&tail);
                for entry in tail.range((character_id, from, 0u32)..=(character_id, to, u32::MAX))?.rev() {
                    let (key, value) = entry?;
                    let row = rows.decode(key.value(), value.value())?;
                    if in_range(&row) {
                        return Ok(Some(row));
                    }
                }
            }
            let Some(table) = optional_table(&txn, BLOCKS)? else { continue };
            let range = (character_id, from - MAX_BLOCK_SPAN_MS, 0u32)..=(character_id, to, u32::MAX);
            for entry in table.range(range)?.rev() {
                let (_, value) = entry?;
                let rows = block::decode(value.value()).map_err(|e| TelemetryError::Corrupt(e.to_string()))?;
                if let Some(row) = rows.into_iter().filter(|r| in_range(r)).max_by_key(|r| r.t) {
                    return Ok(Some(row));
                }
            }
        }
        Ok(None)
    }

    /// Events of one kind in `[from, to]`, optionally for one character, in key order
    /// within each day, at most `limit`; stops early when `visit` returns false.
    pub fn events(
        &self,
        kind: EventKind,
        character_id: Option<u32>,
        from: i64,
        to: i64,
        limit: usize,
        mut visit: impl FnMut(EventKey, &[u8]) -> bool,
    ) -> Result<(), TelemetryError> {
        let mut taken = 0;
        let wanted = kinds::Wanted { character: character_id, from, to };
        for day in self.days_in(from, to) {
            let Some(db) = self.get(day, false)? else { continue };
            let txn = db.begin_read()?;
            let blocks = optional_table(&txn, kind.blocks_table())?;
            let tail = optional_table(&txn, kind.table())?;
            let went_on = kinds::for_each(kind.name(), blocks.as_ref(), tail.as_ref(), wanted, |key, bytes| {
                if !visit(key, bytes) {
                    return false;
                }
                taken += 1;
                taken < limit
            })?;
            if !went_on {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The newest event of a kind for a character, looking back at most `max_days`.
    pub fn latest(
        &self,
        kind: EventKind,
        character_id: u32,
        max_days: usize,
    ) -> Result<Option<(i64, Vec<u8>)>, TelemetryError> {
        for day in self.days().into_iter().rev().take(max_days) {
            let Some(db) = self.get(day, false)? else { continue };
            let txn = db.begin_read()?;
            let blocks = optional_table(&txn, kind.blocks_table())?;
            let tail = optional_table(&txn, kind.table())?;
            if let Some((key, bytes)) = kinds::newest(kind.name(), blocks.as_ref(), tail.as_ref(), character_id)? {
                return Ok(Some((key.1, bytes)));
            }
        }
        Ok(None)
    }

    /// Hourly rollups overlapping `[from, to]`, summed per character: archived days from
    /// the archive, the others (the open days, normally one or two) from their day files.
    pub fn rollup_totals(&self, from: i64, to: i64) -> Result<BTreeMap<u32, Rollup>, TelemetryError> {
        let mut totals: BTreeMap<u32, Rollup> = BTreeMap::new();
        let archived = self.archive.view();
        archived.add_totals(from, to, &mut totals)?;
        for day in self.days_in(from, to).into_iter().filter(|d| !archived.holds(*d)) {
            self.read_day_table(day, ROLLUPS, |table| {
                for entry in table.iter()? {
                    let (k, v) = entry?;
                    let (id, hour) = k.value();
                    if hour + 3_600_000 <= from || hour > to {
                        continue;
                    }
                    let Ok(r) = rollups::decode(v.value()) else { continue };
                    totals.entry(id).or_default().merge(&r);
                }
                Ok(())
            })?;
        }
        Ok(totals)
    }

    /// One character's hourly rollups with hour starts in `[from, to]`, ascending, from the
    /// archive and the day files alike (long-range charts outlive the day files).
    pub fn rollup_hours(&self, character_id: u32, from: i64, to: i64) -> Result<Vec<(i64, Rollup)>, TelemetryError> {
        let archived = self.archive.view();
        let mut out = archived.hours(character_id, from, to)?;
        for day in self.days_in(from, to).into_iter().filter(|d| !archived.holds(*d)) {
            self.read_day_table(day, ROLLUPS, |table| {
                for entry in table.range((character_id, from)..=(character_id, to))? {
                    let (k, v) = entry?;
                    if let Ok(r) = rollups::decode(v.value()) {
                        out.push((k.value().1, r));
                    }
                }
                Ok(())
            })?;
        }
        out.sort_by_key(|(h, _)| *h);
        Ok(out)
    }

    /// Storage figures for benches and restore-check: (files, bytes, telemetry rows, blocks).
    pub fn telemetry_footprint(&self) -> Result<(usize, u64, u64, u64), TelemetryError> {
        let (mut files, mut bytes, mut rows, mut blocks) = (0, 0, 0, 0);
        for day in self.days() {
            files += 1;
            bytes += std::fs::metadata(self.dir.join(format!("{}.redb", day_name(day))))?.len();
            let Some(db) = self.get(day, false)? else { continue };
            let txn = db.begin_read()?;
            if let Some(table) = optional_table(&txn, BLOCKS)? {
                for entry in table.iter()? {
                    let (_, v) = entry?;
                    blocks += 1;
                    rows += block::decode(v.value()).map_err(|e| TelemetryError::Corrupt(e.to_string()))?.len() as u64;
                }
            }
            if let Some(table) = optional_table(&txn, TAIL)? {
                rows += redb::ReadableTableMetadata::len(&table)?;
            }
        }
        Ok((files, bytes, rows, blocks))
    }
}

/// What a day file says about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayMeta {
    /// Every journal record up to this seq is in the file durably.
    pub checkpoint_seq: u64,
    /// The first journal seq that wrote to this day (0 = unknown / empty).
    pub first_seq: u64,
    /// Closed days are never written again (copy-safe as they are).
    pub closed: bool,
    pub closed_at_ms: i64,
    /// A closed day's file rewritten compacted (`DayFiles::compact_closed_day`).
    pub compacted: bool,
}

pub fn day_meta(db: &impl ReadableDatabase) -> Result<DayMeta, TelemetryError> {
    day_meta_in(&db.begin_read()?)
}

fn day_meta_in(txn: &redb::ReadTransaction) -> Result<DayMeta, TelemetryError> {
    match txn.open_table(META) {
        Ok(t) => Ok(DayMeta {
            checkpoint_seq: t.get("checkpoint_seq")?.map(|v| v.value()).unwrap_or(0),
            first_seq: t.get("first_seq")?.map(|v| v.value()).unwrap_or(0),
            closed: t.get("closed")?.map(|v| v.value()).unwrap_or(0) == 1,
            closed_at_ms: t.get("closed_at_ms")?.map(|v| v.value() as i64).unwrap_or(0),
            compacted: t.get("compacted")?.map(|v| v.value()).unwrap_or(0) == 1,
        }),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(DayMeta::default()),
        Err(e) => Err(e.into()),
    }
}

pub fn checkpoint_of(db: &Database) -> Result<u64, TelemetryError> {
    Ok(day_meta(db)?.checkpoint_seq)
}

/// A day file's commit on its way to becoming that day's snapshot
/// (`DayFiles::begin_snapshot`).
pub struct PendingDaySnapshot {
    pub day: i64,
    read: redb::ReadTransaction,
    tmp: PathBuf,
    dest: PathBuf,
    dir: PathBuf,
}

impl std::fmt::Debug for PendingDaySnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingDaySnapshot").field("day", &self.day).field("dest", &self.dest).finish()
    }
}

/// The snapshot writer's page cache: it writes each page once, in key order.
const SNAPSHOT_CACHE_BYTES: usize = 2 * 1024 * 1024;
/// The snapshot is committed (not durably) every this many bytes of rows, so its dirty
/// pages go to the file as it is written instead of piling up in memory until the end.
const SNAPSHOT_CHUNK_BYTES: usize = 4 * 1024 * 1024;

impl PendingDaySnapshot {
    /// Writes every row of the commit into a new file in key order, commits it durably,
    /// fsyncs it and renames it over the previous snapshot. Returns the checkpoint it covers
    /// and its size. Runs off the writer thread: a kill in the middle leaves only a `.tmp`
    /// that the next snapshot deletes.
    ///
    /// Why rows and not the file's bytes: a byte copy must be taken while nothing writes
    /// (the writer paused for it) and repaired and compacted afterwards, and all three grow
    /// with the open day file; written from a read transaction, the snapshot is compact by
    /// construction and the writer never waits.
    pub fn finish(self) -> Result<(u64, u64), TelemetryError> {
        let _ = std::fs::remove_file(&self.tmp);
        let written = (|| -> Result<u64, TelemetryError> {
            let checkpoint = day_meta_in(&self.read)?.checkpoint_seq;
            let mut db = redb::Builder::new()
                .set_cache_size(SNAPSHOT_CACHE_BYTES)
                .create(&self.tmp)
                .map_err(|e| TelemetryError::Open(format!("creating {}: {e}", self.tmp.display())))?;
            copy_day_tables(&self.read, &db)?;
            // The chunked commits grow the file in redb's doubling steps; compaction gives
            // back the never-used end (up to half the file) before anyone can copy it.
            db.compact()?;
            drop(db);
            std::fs::File::open(&self.tmp)?.sync_all()?;
            Ok(checkpoint)
        })();
        let checkpoint = match written {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_file(&self.tmp);
                return Err(e);
            }
        };
        let bytes = std::fs::metadata(&self.tmp)?.len();
        std::fs::rename(&self.tmp, &self.dest)?;
        crate::durable::sync_dir(&self.dir);
        Ok((checkpoint, bytes))
    }
}

/// Copies every table of `src` into the empty `dst`, the last commit durable. The copies
/// below are the one list of a day file's tables: a file holding any other table is refused
/// a snapshot (an error, the unfinished file deleted by the caller) rather than given one
/// that lacks it.
fn copy_day_tables(src: &redb::ReadTransaction, dst: &Database) -> Result<(), TelemetryError> {
    let mut out = ChunkedWrite { db: dst, txn: None, copied: Vec::new() };
    out.copy(src, META)?;
    out.copy(src, BLOCKS)?;
    out.copy(src, TAIL)?;
    out.copy(src, ROLLUPS)?;
    out.copy(src, ROLLUP_STATE)?;
    for kind in EventKind::ALL {
        out.copy(src, kind.table())?;
        out.copy(src, kind.blocks_table())?;
    }
    if let Some(unknown) =
        src.list_tables()?.map(|t| redb::TableHandle::name(&t).to_string()).find(|n| !out.copied.contains(n))
    {
        return Err(TelemetryError::Corrupt(format!("day file holds a table the snapshot does not know: {unknown}")));
    }
    if let Some(t) = src.list_multimap_tables()?.next() {
        let name = redb::MultimapTableHandle::name(&t).to_string();
        return Err(TelemetryError::Corrupt(format!(
            "day file holds a multimap table the snapshot does not know: {name}"
        )));
    }
    // No open transaction means nothing was copied (a day file with no tables): the empty
    // file is the snapshot.
    if let Some(mut txn) = out.txn.take() {
        txn.set_durability(redb::Durability::Immediate)?;
        txn.commit()?;
    }
    Ok(())
}

/// Writes into a new file in commits of about `SNAPSHOT_CHUNK_BYTES`.
struct ChunkedWrite<'a> {
    db: &'a Database,
    txn: Option<redb::WriteTransaction>,
    /// The names of the tables `copy` was given, whether or not the file held them.
    copied: Vec<String>,
}

impl ChunkedWrite<'_> {
    /// One table, in key order (a table the file never created is not created in the copy).
    fn copy<K: redb::Key + 'static, V: redb::Value + 'static>(
        &mut self,
        src: &redb::ReadTransaction,
        def: TableDefinition<K, V>,
    ) -> Result<(), TelemetryError> {
        self.copied.push(redb::TableHandle::name(&def).to_string());
        let Some(from) = optional_table(src, def)? else { return Ok(()) };
        let mut rows = from.iter()?;
        loop {
            let mut txn = match self.txn.take() {
                Some(txn) => txn,
                None => self.db.begin_write()?,
            };
            let mut chunk = 0usize;
            {
                let mut to = txn.open_table(def)?;
                for row in rows.by_ref() {
                    let (k, v) = row?;
                    let (key, value) = (k.value(), v.value());
                    chunk += K::as_bytes(&key).as_ref().len() + V::as_bytes(&value).as_ref().len();
                    to.insert(key, value)?;
                    if chunk >= SNAPSHOT_CHUNK_BYTES {
                        break;
                    }
                }
            }
            if chunk < SNAPSHOT_CHUNK_BYTES {
                self.txn = Some(txn);
                return Ok(());
            }
            // One write transaction at a time: this chunk commits before the next begins.
            txn.set_durability(redb::Durability::None)?;
            txn.commit()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Rows = Vec<(Vec<u8>, Vec<u8>)>;

    fn rows<K: redb::Key + 'static, V: redb::Value + 'static>(db: &Database, def: TableDefinition<K, V>) -> Rows {
        let txn = db.begin_read().unwrap();
        let Some(table) = optional_table(&txn, def).unwrap() else { return Vec::new() };
        table
            .iter()
            .unwrap()
            .map(|row| {
                let (k, v) = row.unwrap();
                (K::as_bytes(&k.value()).as_ref().to_vec(), V::as_bytes(&v.value()).as_ref().to_vec())
            })
            .collect()
    }

    /// Every table of `a` and `b`, row by row, the tail aside (`tail_extra` rows more in `a`).
    fn assert_same_tables(a: &Database, b: &Database, tail_extra: usize) {
        assert_eq!(rows(a, META), rows(b, META));
        assert_eq!(rows(a, BLOCKS), rows(b, BLOCKS));
        assert_eq!(rows(a, ROLLUPS), rows(b, ROLLUPS));
        assert_eq!(rows(a, ROLLUP_STATE), rows(b, ROLLUP_STATE));
        for kind in EventKind::ALL {
            assert_eq!(rows(a, kind.table()), rows(b, kind.table()), "{}", kind.name());
            assert_eq!(rows(a, kind.blocks_table()), rows(b, kind.blocks_table()), "{}", kind.name());
        }
        let (tail_a, tail_b) = (rows(a, TAIL), rows(b, TAIL));
        assert_eq!(tail_a.len(), tail_b.len() + tail_extra);
        assert!(tail_b.iter().all(|r| tail_a.contains(r)));
    }

    fn fill(db: &Database) {
        let txn = db.begin_write().unwrap();
        {
            let mut meta = txn.open_table(META).unwrap();
            meta.insert("checkpoint_seq", 4_242u64).unwrap();
            meta.insert("first_seq", 7u64).unwrap();
            // More than one chunk of rows, so the copy commits part-way.
            let mut blocks = txn.open_table(BLOCKS).unwrap();
            for i in 0..400u32 {
                let value = vec![(i % 251) as u8; 20 * 1024];
                blocks.insert((i % 7, i64::from(i) * 1_000, i), value.as_slice()).unwrap();
            }
            let mut tail = txn.open_table(TAIL).unwrap();
            for i in 0..2_000u32 {
                tail.insert((i % 13, i64::from(i), i), i.to_le_bytes().as_slice()).unwrap();
            }
            let mut rollups = txn.open_table(ROLLUPS).unwrap();
            rollups.insert((3, 1_700_000_000_000), b"hour".as_slice()).unwrap();
            let mut state = txn.open_table(ROLLUP_STATE).unwrap();
            state.insert(3, b"cursor".as_slice()).unwrap();
            for (n, kind) in EventKind::ALL.into_iter().enumerate() {
                let n = n as u32;
                txn.open_table(kind.table()).unwrap().insert((n, 5, n), b"{\"a\":1}".as_slice()).unwrap();
                txn.open_table(kind.blocks_table()).unwrap().insert((n, 1, n), b"block".as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }

    #[test]
    fn a_snapshot_holds_every_row_of_the_commit_it_started_on_and_nothing_later() {
        let dir = tempfile::tempdir().unwrap();
        let days = DayFiles::open(dir.path()).unwrap();
        let day = 20_400;
        let db = days.get(day, true).unwrap().unwrap();
        fill(&db);
        let pending = days.begin_snapshot(day).unwrap();
        // The writer goes on meanwhile; the snapshot is of the commit it started on.
        let txn = db.begin_write().unwrap();
        txn.open_table(TAIL).unwrap().insert((99, 99, 99), b"later".as_slice()).unwrap();
        txn.open_table(META).unwrap().insert("checkpoint_seq", 5_000u64).unwrap();
        txn.commit().unwrap();
        let (checkpoint, bytes) = pending.finish().unwrap();
        assert_eq!(checkpoint, 4_242);
        let path = days.snapshot_path(day);
        assert_eq!(bytes, std::fs::metadata(&path).unwrap().len());
        assert!(!path.with_extension("redb.tmp").exists());
        let snap = redb::Builder::new().set_check_integrity_on_open(true).open(&path).unwrap();
        assert_eq!(rows(&snap, META).len(), 2);
        assert_eq!(day_meta(&snap).unwrap().checkpoint_seq, 4_242);
        let txn = db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert("checkpoint_seq", 4_242u64).unwrap();
        txn.commit().unwrap();
        assert_same_tables(&db, &snap, 1);
    }

    #[test]
    fn a_day_file_holding_a_table_the_snapshot_does_not_know_gets_no_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let days = DayFiles::open(dir.path()).unwrap();
        let day = 20_401;
        let db = days.get(day, true).unwrap().unwrap();
        fill(&db);
        let txn = db.begin_write().unwrap();
        let mystery: TableDefinition<u32, u32> = TableDefinition::new("mystery");
        txn.open_table(mystery).unwrap().insert(1, 2).unwrap();
        txn.commit().unwrap();
        let err = days.begin_snapshot(day).unwrap().finish().unwrap_err();
        assert!(err.to_string().contains("mystery"), "{err}");
        assert!(!days.snapshot_path(day).exists());
        assert!(!days.snapshot_path(day).with_extension("redb.tmp").exists());
    }
}
