//! Writing imported history into the data directory's telemetry layout: whole past-day
//! files and the rollup archive, both written beside the live file and renamed in.
//!
//! Owns the import's copy-safety: a past day's file is built in `telemetry/.import-*.tmp`
//! (blocks through the same codec and hourly rollups through the same rollup step as the
//! writer), committed durably, closed, synced and renamed over its name, so a `cp -r`
//! sees the old file or the new one, never half of either; `rollups.redb` is replaced the
//! same way (never written in place, like the archive's own step). A day that already has
//! a file (live data of a closed day) is merged: its rows are read and written again with
//! the imported ones. Each file carries `meta.imported = 1`, each archived day a row in
//! `imported_days`, which is what makes a rerun add nothing.
//!
//! Runs only offline (the server holds the files otherwise); never touches an open day
//! (today, or a day the writer has not closed): those rows go through the journal
//! (`mod.rs`).

use super::ImportError;
use super::stage::{BUCKETS, Stage, Staged};
use crate::telemetry::Persisted;
use crate::telemetry::block::{self, MAX_BLOCK_ROWS, Row};
use crate::telemetry::kinds;
use crate::telemetry::rollups::{self as archive, DAILY, DAYS, HOURLY, LIFETIME};
use crate::telemetry::store::{
    self, BLOCKS, DAY_MS, DayMeta, EventKind, MAX_BLOCK_SPAN_MS, META, ROLLUP_STATE, ROLLUPS, Rollup,
};
use crate::telemetry::tail::{TAIL, TailRows};
use crate::telemetry::writer::{RollupCursor, add_rollup, rollup_step};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// Imported rows get key sequence numbers from here up, apart from the live writer's
/// (journal sequence numbers, far below 2^31).
pub const IMPORT_SEQ_BASE: u32 = 0x8000_0000;
/// Archive rows: days the import has added to `rollups.redb` (day → when).
pub const IMPORTED_DAYS: TableDefinition<i64, i64> = TableDefinition::new("imported_days");
const HOUR_MS: i64 = 3_600_000;
const DAY_CACHE_BYTES: usize = 32 * 1024 * 1024;

pub type Hours = BTreeMap<(u32, i64), Rollup>;

/// What building one day did.
#[derive(Debug, Default)]
pub struct DayOutcome {
    /// Hourly rollups of everything the day holds (live rows included).
    pub hours_all: Hours,
    /// Hourly rollups of the imported rows alone (added to an archive that held the day).
    pub hours_imported: Hours,
    /// Rows stored per event kind name ("telemetry", "rare", …).
    pub stored: BTreeMap<&'static str, u64>,
    /// Exact duplicates within the import.
    pub duplicates: BTreeMap<&'static str, u64>,
    /// Rows already present in the day (a previous run, or the same event live).
    pub present: BTreeMap<&'static str, u64>,
    /// Whether a file was written (false: it already held this import, or archive only).
    pub wrote_file: bool,
}

/// How one day is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayTarget {
    /// A day file (merged with a live one if it exists), then the archive.
    File,
    /// Older than `retention_days`: rollups into the archive only.
    ArchiveOnly,
}

pub fn kind_name(e: &Persisted) -> &'static str {
    match e {
        Persisted::Telemetry(_) => "telemetry",
        Persisted::Spawn(_) => "spawn",
        Persisted::Rare(_) => "rare",
        Persisted::Portal(_) => "portal",
        Persisted::CharacterStats(_) => "character_stats",
        Persisted::CombatStats(_) => "combat_stats",
    }
}

fn event_kind(e: &Persisted) -> Option<EventKind> {
    match e {
        Persisted::Telemetry(_) => None,
        Persisted::Spawn(_) => Some(EventKind::Spawn),
        Persisted::Rare(_) => Some(EventKind::Rare),
        Persisted::Portal(_) => Some(EventKind::Portal),
        Persisted::CharacterStats(_) => Some(EventKind::CharacterStats),
        Persisted::CombatStats(_) => Some(EventKind::CombatStats),
    }
}

fn event_bytes(e: &Persisted) -> Result<Vec<u8>, ImportError> {
    let r = match e {
        Persisted::Spawn(s) => serde_json::to_vec(s),
        Persisted::Rare(r) => serde_json::to_vec(r),
        Persisted::Portal(p) => serde_json::to_vec(p),
        Persisted::CharacterStats(s) | Persisted::CombatStats(s) => Ok(s.as_bytes().to_vec()),
        Persisted::Telemetry(_) => Ok(Vec::new()),
    };
    r.map_err(|e| ImportError::Internal(e.to_string()))
}

fn event_from_bytes(kind: EventKind, bytes: &[u8]) -> Option<Persisted> {
    Some(match kind {
        EventKind::Spawn => Persisted::Spawn(serde_json::from_slice(bytes).ok()?),
        EventKind::Rare => Persisted::Rare(serde_json::from_slice(bytes).ok()?),
        EventKind::Portal => Persisted::Portal(serde_json::from_slice(bytes).ok()?),
        EventKind::CharacterStats => Persisted::CharacterStats(String::from_utf8(bytes.to_vec()).ok()?),
        EventKind::CombatStats => Persisted::CombatStats(String::from_utf8(bytes.to_vec()).ok()?),
    })
}

/// A row of the day being built: staged (imported) or read from the live file.
struct Item {
    id: u32,
    t: i64,
    plugin_version: Option<String>,
    client_time_ms: Option<i64>,
    event: Persisted,
    order: u64,
    /// The live key's sequence number (events keep their key when a day is merged).
    live_seq: Option<u32>,
}

/// The day file's path and the temporary name it is built under.
pub fn day_paths(telemetry_dir: &Path, day: i64) -> (PathBuf, PathBuf) {
    let name = store::day_name(day);
    (telemetry_dir.join(format!("{name}.redb")), telemetry_dir.join(format!(".import-{name}.redb.tmp")))
}

/// Whether a day file holds this import already, and its meta (for open/closed checks).
pub fn existing_day(telemetry_dir: &Path, day: i64, dry_run: bool) -> Result<Option<(DayMeta, bool)>, ImportError> {
    let (path, _) = day_paths(telemetry_dir, day);
    if !path.exists() {
        return Ok(None);
    }
    let db = open_existing(&path, dry_run)?;
    let meta = store::day_meta(&db).map_err(|e| ImportError::store(&path, e))?;
    let imported = read_imported_flag(&db).map_err(|e| ImportError::store(&path, e))?;
    Ok(Some((meta, imported)))
}

/// Opens an existing day file for reading only: a writable open rewrites the file's header
/// (and a dry run must leave every byte alone). A file that needs recovery (left by a
/// crash) is repaired by one writable open first, except in a dry run, which refuses it.
pub fn open_existing(path: &Path, dry_run: bool) -> Result<redb::ReadOnlyDatabase, ImportError> {
    let err = |e: redb::DatabaseError| ImportError::Storage(format!("cannot open {}: {e}", path.display()));
    let read_only = || redb::Builder::new().set_cache_size(DAY_CACHE_BYTES).open_read_only(path);
    match read_only() {
        Ok(db) => Ok(db),
        Err(e @ redb::DatabaseError::DatabaseAlreadyOpen) => Err(err(e)),
        Err(e) if dry_run => Err(ImportError::Storage(format!(
            "cannot open {} without writing to it ({e}): start the server once and stop it so it recovers, then run the dry run again",
            path.display()
        ))),
        Err(_) => {
            drop(redb::Builder::new().set_cache_size(DAY_CACHE_BYTES).open(path).map_err(err)?);
            read_only().map_err(err)
        }
    }
}

fn read_imported_flag(db: &impl ReadableDatabase) -> Result<bool, store::TelemetryError> {
    let txn = db.begin_read()?;
    match txn.open_table(META) {
        Ok(t) => Ok(t.get("imported")?.map(|v| v.value()).unwrap_or(0) == 1),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Everything `build_day` needs besides the day.
pub struct DayContext<'a> {
    pub telemetry_dir: &'a Path,
    pub stage: &'a Stage,
    /// Every registered character id (the buckets' members, for reading a live file).
    pub character_ids: &'a [u32],
    /// Journal position a new file says it covers (no journal record is for a past day).
    pub covered_seq: u64,
    pub now_ms: i64,
    /// Only compute (rollups, counts); write nothing (dry run).
    pub dry_run: bool,
}

/// Builds one past day: reads its staged partitions (and a live file of that day, if any),
/// de-duplicates, computes rollups with `cursors` (carried from the previous day), and —
/// for `DayTarget::File`, unless the file already holds this import — writes the day file
/// whole and renames it in.
pub fn build_day(
    ctx: &DayContext<'_>,
    day: i64,
    target: DayTarget,
    cursors: &mut HashMap<u32, RollupCursor>,
) -> Result<DayOutcome, ImportError> {
    let (final_path, tmp_path) = day_paths(ctx.telemetry_dir, day);
    let existing = if final_path.exists() { Some(open_existing(&final_path, ctx.dry_run)?) } else { None };
    let (meta, already) = match &existing {
        Some(db) => (
            store::day_meta(db).map_err(|e| ImportError::store(&final_path, e))?,
            read_imported_flag(db).map_err(|e| ImportError::store(&final_path, e))?,
        ),
        None => (DayMeta::default(), false),
    };
    // A day file is rebuilt whenever rows are staged for it: the merge below drops rows the
    // file already holds (a previous run, another table's import, the same event live), and
    // a rebuild that adds nothing is discarded, so a rerun writes nothing.
    let _ = already;
    let write = target == DayTarget::File && !ctx.dry_run;
    let mut out = DayOutcome { wrote_file: write, ..DayOutcome::default() };
    let tmp = if write {
        let _ = std::fs::remove_file(&tmp_path);
        let db = redb::Builder::new()
            .set_cache_size(DAY_CACHE_BYTES)
            .create(&tmp_path)
            .map_err(|e| ImportError::Storage(format!("cannot create {}: {e}", tmp_path.display())))?;
        Some(db)
    } else {
        None
    };
    let mut event_seq = IMPORT_SEQ_BASE;
    let mut block_seq = IMPORT_SEQ_BASE;
    let mut day_cursors: BTreeMap<u32, RollupCursor> = BTreeMap::new();
    for bucket in 0..BUCKETS {
        let staged = ctx.stage.read(day, bucket)?;
        let live = match &existing {
            Some(db) => read_live(db, ctx.character_ids, bucket).map_err(|e| ImportError::store(&final_path, e))?,
            None => Vec::new(),
        };
        if staged.is_empty() && live.is_empty() {
            continue;
        }
        let items = merge(staged, live, &mut out);
        // New imported events are keyed past those an earlier import stored in this file.
        event_seq =
            items.iter().filter_map(|it| it.live_seq).filter(|s| *s >= IMPORT_SEQ_BASE).fold(event_seq, u32::max);
        let txn = match &tmp {
            Some(db) => {
                let mut txn = db.begin_write().map_err(|e| ImportError::store(&tmp_path, e.into()))?;
                txn.set_durability(Durability::None).map_err(|e| ImportError::Storage(e.to_string()))?;
                Some(txn)
            }
            None => None,
        };
        {
            let mut blocks_t = match &txn {
                Some(t) => Some(t.open_table(BLOCKS).map_err(|e| ImportError::store(&tmp_path, e.into()))?),
                None => None,
            };
            let mut kinds: HashMap<EventKind, EventTable<'_>> = HashMap::new();
            let mut i = 0;
            while i < items.len() {
                let id = items[i].id;
                let end = items[i..].iter().position(|x| x.id != id).map_or(items.len(), |p| i + p);
                let cursor = cursors.entry(id).or_default();
                let mut block: Vec<Row> = Vec::new();
                for it in &items[i..end] {
                    let hour = it.t - it.t.rem_euclid(HOUR_MS);
                    let imported = it.live_seq.is_none();
                    match &it.event {
                        Persisted::Telemetry(tel) => {
                            let delta = rollup_step(cursor, it.t, tel);
                            add_rollup(out.hours_all.entry((id, hour)).or_default(), &delta);
                            if imported {
                                add_rollup(out.hours_imported.entry((id, hour)).or_default(), &delta);
                            }
                            if let Some(first) = block.first()
                                && (block.len() >= MAX_BLOCK_ROWS || it.t - first.t > MAX_BLOCK_SPAN_MS)
                            {
                                put_block(blocks_t.as_mut(), (id, first.t, block_seq), &block, &tmp_path)?;
                                block_seq += 1;
                                block.clear();
                            }
                            block.push(Row {
                                t: it.t,
                                client_time_ms: it.client_time_ms,
                                plugin_version: it.plugin_version.clone(),
                                tel: tel.clone(),
                            });
                        }
                        other => {
                            if matches!(other, Persisted::Rare(_)) {
                                out.hours_all.entry((id, hour)).or_default().rares += 1;
                                if imported {
                                    out.hours_imported.entry((id, hour)).or_default().rares += 1;
                                }
                            }
                            let Some(kind) = event_kind(other) else { continue };
                            let seq = match it.live_seq {
                                Some(s) => s,
                                None => {
                                    event_seq += 1;
                                    event_seq
                                }
                            };
                            if let Some(txn) = &txn {
                                let table = match kinds.entry(kind) {
                                    std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                                    std::collections::hash_map::Entry::Vacant(v) => v.insert(
                                        txn.open_table(kind.table())
                                            .map_err(|e| ImportError::store(&tmp_path, e.into()))?,
                                    ),
                                };
                                table
                                    .insert((id, it.t, seq), event_bytes(other)?.as_slice())
                                    .map_err(|e| ImportError::store(&tmp_path, e.into()))?;
                            }
                        }
                    }
                    if imported {
                        *out.stored.entry(kind_name(&it.event)).or_insert(0) += 1;
                    }
                }
                if let Some(first) = block.first() {
                    put_block(blocks_t.as_mut(), (id, first.t, block_seq), &block, &tmp_path)?;
                    block_seq += 1;
                }
                day_cursors.insert(id, cursor.clone());
                i = end;
            }
        }
        if let Some(txn) = txn {
            txn.commit().map_err(|e| ImportError::store(&tmp_path, e.into()))?;
        }
    }
    drop(existing);
    if let Some(db) = tmp {
        if out.stored.values().all(|n| *n == 0) {
            // Nothing new: the file in place already holds every row.
            drop(db);
            let _ = std::fs::remove_file(&tmp_path);
            out.wrote_file = false;
        } else {
            finish_day_file(db, &tmp_path, &final_path, &out.hours_all, &day_cursors, &meta, ctx, day)?;
        }
    }
    Ok(out)
}

/// Writes one sealed block of the day being built (none on a dry run).
fn put_block(
    table: Option<&mut EventTable<'_>>,
    key: (u32, i64, u32),
    rows: &[Row],
    tmp_path: &Path,
) -> Result<(), ImportError> {
    let Some(t) = table else { return Ok(()) };
    let bytes = block::encode(rows).map_err(|e| ImportError::Internal(format!("telemetry block: {e}")))?;
    t.insert(key, bytes.as_slice()).map_err(|e| ImportError::store(tmp_path, e.into()))?;
    Ok(())
}

/// Staged and live rows of one bucket, sorted by (character, time, arrival), with exact
/// duplicates dropped and counted.
fn merge(staged: Vec<Staged>, live: Vec<Item>, out: &mut DayOutcome) -> Vec<Item> {
    let mut items: Vec<Item> = live;
    items.extend(staged.into_iter().map(|s| Item {
        id: s.id,
        t: s.t,
        event: stored_form(s.t, &s.plugin_version, s.event),
        plugin_version: s.plugin_version,
        client_time_ms: None,
        order: s.order,
        live_seq: None,
    }));
    // Live rows first within equal times (order 0), so an imported copy of a live row is
    // the one dropped.
    items.sort_by_key(|a| (a.id, a.t, a.live_seq.is_none(), a.order));
    let mut kept: Vec<Item> = Vec::with_capacity(items.len());
    let mut run_start = 0;
    for it in items {
        if kept.last().is_none_or(|l| (l.id, l.t) != (it.id, it.t)) {
            run_start = kept.len();
        }
        let twin = kept[run_start..].iter().find(|k| k.event == it.event);
        match twin {
            Some(k) if it.live_seq.is_none() => {
                let name = kind_name(&it.event);
                if k.live_seq.is_some() {
                    *out.present.entry(name).or_insert(0) += 1;
                } else {
                    *out.duplicates.entry(name).or_insert(0) += 1;
                }
            }
            _ => kept.push(it),
        }
    }
    kept
}

/// A staged event as the day file will give it back: telemetry goes through the block
/// codec's rounding (NaN and infinities included), so a row stored by an earlier run
/// compares equal to the same row staged again and is not stored twice.
fn stored_form(t: i64, plugin_version: &Option<String>, event: Persisted) -> Persisted {
    let Persisted::Telemetry(tel) = event else { return event };
    let row = Row { t, client_time_ms: None, plugin_version: plugin_version.clone(), tel };
    match block::decode_row(&block::encode_row(&row)) {
        Ok(back) => Persisted::Telemetry(back.tel),
        // Cannot happen for bytes just encoded; the row is then merely not deduplicated.
        Err(_) => Persisted::Telemetry(row.tel),
    }
}

/// The rows of an existing day file for the characters of one bucket.
fn read_live(db: &impl ReadableDatabase, ids: &[u32], bucket: u32) -> Result<Vec<Item>, store::TelemetryError> {
    let txn = db.begin_read()?;
    let mut out = Vec::new();
    let members: Vec<u32> = ids.iter().copied().filter(|id| id % BUCKETS == bucket).collect();
    if let Some(blocks) = store::optional_table(&txn, BLOCKS)? {
        for id in &members {
            for entry in blocks.range((*id, i64::MIN, 0u32)..=(*id, i64::MAX, u32::MAX))? {
                let (_, v) = entry?;
                let rows = block::decode(v.value()).map_err(|e| store::TelemetryError::Corrupt(e.to_string()))?;
                out.extend(rows.into_iter().map(|r| Item {
                    id: *id,
                    t: r.t,
                    plugin_version: r.plugin_version,
                    client_time_ms: r.client_time_ms,
                    event: Persisted::Telemetry(r.tel),
                    order: 0,
                    live_seq: Some(0),
                }));
            }
        }
    }
    // Rows of blocks the server had not sealed yet (a day left open by a stop).
    if let Some(tail) = store::optional_table(&txn, TAIL)? {
        let mut decoder = TailRows::new(&tail);
        for id in &members {
            for entry in tail.range((*id, i64::MIN, 0u32)..=(*id, i64::MAX, u32::MAX))? {
                let (k, v) = entry?;
                let r = decoder.decode(k.value(), v.value())?;
                out.push(Item {
                    id: *id,
                    t: r.t,
                    plugin_version: r.plugin_version,
                    client_time_ms: r.client_time_ms,
                    event: Persisted::Telemetry(r.tel),
                    order: 0,
                    live_seq: Some(0),
                });
            }
        }
    }
    for kind in EventKind::ALL {
        let blocks = store::optional_table(&txn, kind.blocks_table())?;
        let tail = store::optional_table(&txn, kind.table())?;
        for id in &members {
            let wanted = kinds::Wanted { character: Some(*id), from: i64::MIN, to: i64::MAX };
            kinds::for_each(kind.name(), blocks.as_ref(), tail.as_ref(), wanted, |(_, t, seq), bytes| {
                if let Some(event) = event_from_bytes(kind, bytes) {
                    out.push(Item {
                        id: *id,
                        t,
                        plugin_version: None,
                        client_time_ms: None,
                        event,
                        order: 0,
                        live_seq: Some(seq),
                    });
                }
                true
            })?;
        }
    }
    Ok(out)
}

/// Rollups, cursors and meta; then the durable commit, close, sync and rename.
#[allow(clippy::too_many_arguments)]
fn finish_day_file(
    db: Database,
    tmp_path: &Path,
    final_path: &Path,
    hours: &Hours,
    cursors: &BTreeMap<u32, RollupCursor>,
    meta: &DayMeta,
    ctx: &DayContext<'_>,
    day: i64,
) -> Result<(), ImportError> {
    let err = |e: redb::Error| ImportError::store(tmp_path, e.into());
    let mut txn = db.begin_write().map_err(|e| err(e.into()))?;
    txn.set_durability(Durability::Immediate).map_err(|e| ImportError::Storage(e.to_string()))?;
    {
        txn.open_table(BLOCKS).map_err(|e| err(e.into()))?;
        // The other kinds' rows go into their compressed blocks, as a closed day's do.
        for k in EventKind::ALL {
            let mut blocks = txn.open_table(k.blocks_table()).map_err(|e| err(e.into()))?;
            let mut tail = txn.open_table(k.table()).map_err(|e| err(e.into()))?;
            kinds::seal(k.name(), &mut blocks, &mut tail).map_err(|e| ImportError::store(tmp_path, e))?;
        }
        let mut rollups = txn.open_table(ROLLUPS).map_err(|e| err(e.into()))?;
        for (key, r) in hours {
            rollups
                .insert(*key, archive::encode(r).map_err(|e| ImportError::store(tmp_path, e))?.as_slice())
                .map_err(|e| err(e.into()))?;
        }
        let mut state = txn.open_table(ROLLUP_STATE).map_err(|e| err(e.into()))?;
        for (id, c) in cursors {
            let bytes = bincode::serde::encode_to_vec(c, bincode::config::standard())
                .map_err(|e| ImportError::Internal(e.to_string()))?;
            state.insert(*id, bytes.as_slice()).map_err(|e| err(e.into()))?;
        }
        let mut m = txn.open_table(META).map_err(|e| err(e.into()))?;
        let existed = meta.checkpoint_seq > 0 || meta.first_seq > 0 || meta.closed;
        m.insert("checkpoint_seq", if existed { meta.checkpoint_seq } else { ctx.covered_seq })
            .map_err(|e| err(e.into()))?;
        if meta.first_seq > 0 {
            m.insert("first_seq", meta.first_seq).map_err(|e| err(e.into()))?;
        }
        // A past day is closed: no live event can arrive for it (events carry receive time).
        m.insert("closed", 1u64).map_err(|e| err(e.into()))?;
        let closed_at = if meta.closed { meta.closed_at_ms } else { ctx.now_ms.max((day + 1) * DAY_MS) };
        m.insert("closed_at_ms", closed_at as u64).map_err(|e| err(e.into()))?;
        m.insert("imported", 1u64).map_err(|e| err(e.into()))?;
    }
    txn.commit().map_err(|e| err(e.into()))?;
    drop(db);
    std::fs::File::open(tmp_path).and_then(|f| f.sync_all()).map_err(|e| ImportError::io(tmp_path, e))?;
    std::fs::rename(tmp_path, final_path).map_err(|e| ImportError::io(final_path, e))?;
    crate::durable::sync_dir(ctx.telemetry_dir);
    Ok(())
}

/// One day's contribution to the archive.
pub struct ArchiveDay {
    pub day: i64,
    pub hours_all: Hours,
    pub hours_imported: Hours,
    pub target: DayTarget,
    /// Event kinds this run staged for the day (`kind_bit`).
    pub kinds: i64,
}

/// A kind's bit in `imported_days`' mask (archive-only days remember which tables they
/// took, so importing another table later adds it and importing one again adds nothing).
pub fn kind_bit(kind: &str) -> i64 {
    match kind {
        "telemetry" => 1,
        "spawn" => 2,
        "rare" => 4,
        "portal" => 8,
        "character_stats" => 16,
        "combat_stats" => 32,
        _ => 64,
    }
}

/// Rollups with the fields of kinds outside `kinds` zeroed (rares come from rare events,
/// everything else from telemetry).
fn only_kinds(r: &Rollup, kinds: i64) -> Rollup {
    let tel = kinds & kind_bit("telemetry") != 0;
    Rollup {
        kills: if tel { r.kills } else { 0 },
        deaths: if tel { r.deaths } else { 0 },
        xp: if tel { r.xp } else { 0 },
        distance_m: if tel { r.distance_m } else { 0.0 },
        online_s: if tel { r.online_s } else { 0 },
        events: if tel { r.events } else { 0 },
        rares: if kinds & kind_bit("rare") != 0 { r.rares } else { 0 },
    }
}

/// What an archive step did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ArchiveOutcome {
    /// Days new to the archive.
    pub added: usize,
    /// Days the archive held already (live data), with the imported rollups added.
    pub merged: usize,
    /// Days that held this import already.
    pub already: usize,
}

/// Which of `days` the archive holds, and which it holds with this import.
pub fn archive_status(data_dir: &Path) -> Result<ArchiveStatus, ImportError> {
    let path = data_dir.join(archive::FILE_NAME);
    if !path.exists() {
        return Ok((BTreeMap::new(), BTreeMap::new()));
    }
    let db = redb::Builder::new()
        .open_read_only(&path)
        .map_err(|e| ImportError::Storage(format!("cannot open {}: {e}", path.display())))?;
    let txn = db.begin_read().map_err(|e| ImportError::store(&path, e.into()))?;
    let read = |def: TableDefinition<i64, i64>| -> Result<BTreeMap<i64, i64>, ImportError> {
        let mut out = BTreeMap::new();
        match txn.open_table(def) {
            Ok(t) => {
                for e in t.iter().map_err(|e| ImportError::store(&path, e.into()))? {
                    let (k, v) = e.map_err(|e| ImportError::store(&path, e.into()))?;
                    out.insert(k.value(), v.value());
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(ImportError::store(&path, e.into())),
        }
        Ok(out)
    };
    Ok((read(DAYS)?, read(IMPORTED_DAYS)?))
}

/// Adds imported days to `rollups.redb`: a copy is written beside it
/// (`rollups.redb.import-tmp`), synced and renamed over it.
///
/// A day with a file is *replaced*: its hourly rows become the file's (`hours_all`, live
/// rows and every import merged), and its daily and lifetime rows move by the difference.
/// That is idempotent and survives a kill between the file's rename and this step. A day
/// older than retention (no file) *adds* the rollups of the kinds `imported_days` has not
/// recorded for it yet; a day the live archive held gets only the imported rows.
pub fn archive_days(data_dir: &Path, days: &[ArchiveDay], now_ms: i64) -> Result<ArchiveOutcome, ImportError> {
    let path = data_dir.join(archive::FILE_NAME);
    let tmp = data_dir.join(format!("{}.import-tmp", archive::FILE_NAME));
    let (held, imported) = archive_status(data_dir)?;
    let mut outcome = ArchiveOutcome::default();
    let todo: Vec<(&ArchiveDay, i64)> = days
        .iter()
        .filter_map(|d| {
            let marked = imported.get(&d.day).copied().unwrap_or(0);
            let new_kinds = match d.target {
                DayTarget::File => d.kinds,
                DayTarget::ArchiveOnly => d.kinds & !marked,
            };
            if d.target == DayTarget::ArchiveOnly && new_kinds == 0 {
                outcome.already += 1;
                return None;
            }
            Some((d, new_kinds))
        })
        .collect();
    if todo.is_empty() {
        return Ok(outcome);
    }
    let _ = std::fs::remove_file(&tmp);
    if path.exists() {
        std::fs::copy(&path, &tmp).map_err(|e| ImportError::io(&tmp, e))?;
    }
    let err = |e: redb::Error| ImportError::store(&tmp, e.into());
    let decode = |v: Option<redb::AccessGuard<'_, &[u8]>>| -> Result<Rollup, ImportError> {
        match v {
            Some(v) => archive::decode(v.value()).map_err(|e| ImportError::store(&tmp, e)),
            None => Ok(Rollup::default()),
        }
    };
    {
        let db = Database::builder()
            .set_cache_size(16 * 1024 * 1024)
            .create(&tmp)
            .map_err(|e| ImportError::Storage(format!("cannot create {}: {e}", tmp.display())))?;
        let txn = db.begin_write().map_err(|e| err(e.into()))?;
        {
            let mut hourly = txn.open_table(HOURLY).map_err(|e| err(e.into()))?;
            let mut daily = txn.open_table(DAILY).map_err(|e| err(e.into()))?;
            let mut lifetime = txn.open_table(LIFETIME).map_err(|e| err(e.into()))?;
            let mut archived = txn.open_table(DAYS).map_err(|e| err(e.into()))?;
            let mut marks = txn.open_table(IMPORTED_DAYS).map_err(|e| err(e.into()))?;
            for (d, new_kinds) in todo {
                let was_held = held.contains_key(&d.day);
                let replace = d.target == DayTarget::File;
                let source = if replace || !was_held { &d.hours_all } else { &d.hours_imported };
                // Per character: what the day adds to its daily and lifetime rows.
                let mut per_char: BTreeMap<u32, Rollup> = BTreeMap::new();
                for ((id, hour), r) in source {
                    let r = if replace { r.clone() } else { only_kinds(r, new_kinds) };
                    let cur = decode(hourly.get((*id, *hour)).map_err(|e| err(e.into()))?)?;
                    let mut next = if replace { Rollup::default() } else { cur.clone() };
                    next.merge(&r);
                    hourly
                        .insert(
                            (*id, *hour),
                            archive::encode(&next).map_err(|e| ImportError::store(&tmp, e))?.as_slice(),
                        )
                        .map_err(|e| err(e.into()))?;
                    per_char.entry(*id).or_default().merge(&next.minus(&cur));
                }
                for (id, add) in per_char {
                    let key = (id, d.day);
                    let mut day_row = decode(daily.get(key).map_err(|e| err(e.into()))?)?;
                    day_row.merge(&add);
                    daily
                        .insert(key, archive::encode(&day_row).map_err(|e| ImportError::store(&tmp, e))?.as_slice())
                        .map_err(|e| err(e.into()))?;
                    let mut life = decode(lifetime.get(id).map_err(|e| err(e.into()))?)?;
                    life.merge(&add);
                    lifetime
                        .insert(id, archive::encode(&life).map_err(|e| ImportError::store(&tmp, e))?.as_slice())
                        .map_err(|e| err(e.into()))?;
                }
                if was_held {
                    outcome.merged += 1;
                } else {
                    archived.insert(d.day, now_ms).map_err(|e| err(e.into()))?;
                    outcome.added += 1;
                }
                let marked = imported.get(&d.day).copied().unwrap_or(0);
                marks.insert(d.day, marked | d.kinds).map_err(|e| err(e.into()))?;
            }
        }
        txn.commit().map_err(|e| err(e.into()))?;
    }
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| ImportError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| ImportError::io(&path, e))?;
    crate::durable::sync_dir(data_dir);
    Ok(outcome)
}

/// Drops leftovers of an interrupted import (temporary day files, archive copy).
pub fn remove_leftovers(data_dir: &Path) {
    let _ = std::fs::remove_file(data_dir.join(format!("{}.import-tmp", archive::FILE_NAME)));
    if let Ok(entries) = std::fs::read_dir(data_dir.join("telemetry")) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".import-") && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// An open event table of a day file being built.
type EventTable<'t> = redb::Table<'t, (u32, i64, u32), &'static [u8]>;
/// Archived days (day → when archived) and imported days (day → mask of imported kinds).
pub type ArchiveStatus = (BTreeMap<i64, i64>, BTreeMap<i64, i64>);
