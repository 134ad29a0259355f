//! Applying committed events to the day files: telemetry rows into each day's tail and
//! sealed blocks, the other kinds into their tables, hourly rollups and rollup cursors,
//! portals into `state.redb`. All-or-nothing per call, so a failed call is retried with
//! the same batch.
//!
//! Runs only on the writer thread, on events the journal already holds; never syncs (the
//! checkpoint does).

use super::{JournalEntry, OpenBlock, Persisted, RollupCursor, Writer, add_rollup, rollup_step};
use crate::telemetry::block::{self, Anchor, MAX_BLOCK_ROWS, Row};
use crate::telemetry::kinds;
use crate::telemetry::portals;
use crate::telemetry::store::{
    self, BLOCKS, EventKey, EventKind, MAX_BLOCK_SPAN_MS, META, ROLLUP_STATE, ROLLUPS, Rollup, TelemetryError,
};
use crate::telemetry::tail::{TAIL, TailRows};
use redb::{Durability, ReadableTable};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A block seals once its first row is this old (or at `MAX_BLOCK_ROWS`, whichever comes
/// first). Open rows wait uncompressed in the tail table, about 65 bytes each with their key
/// (written against the block's first row) in half-full B-tree pages; at one frame a second, 1,024 rows would keep 17 minutes per character
/// there. Five minutes keeps the tail at 300 rows a character while a block still
/// compresses to a few bytes a row. Must stay below `MAX_BLOCK_SPAN_MS` (readers' scan).
pub const OPEN_BLOCK_MAX_AGE_MS: i64 = 5 * 60 * 1000;
const _: () = assert!(OPEN_BLOCK_MAX_AGE_MS < MAX_BLOCK_SPAN_MS);

impl Writer {
    /// Applies committed events to redb. All-or-nothing per call: memory state (open
    /// blocks, rollup cursors) changes only after every transaction committed, so a failed
    /// call can be retried with the same batch.
    pub(super) fn apply(&mut self, batch: &[(u64, JournalEntry)]) -> Result<(), TelemetryError> {
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
            let db = self
                .days
                .get(*day, true)?
                .ok_or_else(|| TelemetryError::Open("day file vanished while the writer held it".into()))?;
            let cp = match self.checkpoints.get(day) {
                Some(cp) => *cp,
                None => store::checkpoint_of(&db)?,
            };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::None)?;
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
                                        Some(b) => Some(b.clone()),
                                        // After a restart: the tail table says where it stood.
                                        None => open_block_in(&tail_t, id)?,
                                    };
                                    v.insert(known.unwrap_or(OpenBlock {
                                        key: (id, e.recv_ms, *seq as u32),
                                        rows: 0,
                                        anchor: None,
                                    }))
                                }
                            };
                            if blk.rows > 0
                                && (blk.rows >= MAX_BLOCK_ROWS
                                    || e.recv_ms - blk.key.1 > OPEN_BLOCK_MAX_AGE_MS
                                    || e.recv_ms < blk.key.1)
                            {
                                // Seal: the open rows become one compressed block, written once.
                                self.seal_tail(*day, id, &mut blocks_t, &mut tail_t)?;
                                blk.rows = 0;
                            }
                            let row = Row {
                                t: e.recv_ms,
                                client_time_ms: e.client_time_ms,
                                plugin_version: e.plugin_version.clone(),
                                tel: t.clone(),
                            };
                            let bytes = match (&blk.anchor, blk.rows) {
                                (Some(anchor), 1..) => block::encode_row_against(&row, anchor),
                                (_, 0) => {
                                    // The block's first row: whole, and what the rest are written against.
                                    let bytes = block::encode_row(&row);
                                    blk.key = (id, e.recv_ms, *seq as u32);
                                    blk.anchor = Some(Arc::new(Anchor::from_whole_row(&bytes).map_err(|e| {
                                        TelemetryError::Encode(format!("open row of character {id}: {e}"))
                                    })?));
                                    bytes
                                }
                                // `open_block_in` and the arm above give every block with rows
                                // its anchor; this is a bug, refused rather than written.
                                (None, _) => {
                                    return Err(TelemetryError::Encode(format!(
                                        "open block of character {id} without its first row"
                                    )));
                                }
                            };
                            tail_t.insert((id, e.recv_ms, *seq as u32), bytes.as_slice())?;
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
                            let bytes = bytes.map_err(|e| TelemetryError::Encode(format!("{kind:?} event: {e}")))?;
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
                        Some(v) => crate::telemetry::rollups::decode(v.value()).map_err(|e| {
                            self.stats.rollup_decode_failures.fetch_add(1, Ordering::Relaxed);
                            TelemetryError::Corrupt(format!(
                                "{}: hourly rollup of character {id} at {hour} ms: {e}",
                                self.days.path_of(*day).display()
                            ))
                        })?,
                        None => Rollup::default(),
                    };
                    current.merge(&delta);
                    let bytes = bincode::serde::encode_to_vec(&current, bincode::config::standard())
                        .map_err(|e| TelemetryError::Encode(format!("hourly rollup of character {id}: {e}")))?;
                    rollups_t.insert((id, hour), bytes.as_slice())?;
                }
            }
            {
                let mut state_t = txn.open_table(ROLLUP_STATE)?;
                for (id, c) in &new_cursors {
                    let bytes = bincode::serde::encode_to_vec(c, bincode::config::standard())
                        .map_err(|e| TelemetryError::Encode(format!("rollup cursor of character {id}: {e}")))?;
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
    ) -> Result<(), TelemetryError> {
        let range = (id, i64::MIN, 0u32)..=(id, i64::MAX, u32::MAX);
        let mut keys = Vec::new();
        let mut rows = Vec::new();
        let mut decoder = TailRows::new(&*tail_t);
        for entry in tail_t.range(range.clone())? {
            let (k, v) = entry?;
            keys.push(k.value());
            rows.push(decoder.decode(k.value(), v.value()).map_err(|e| match e {
                TelemetryError::Corrupt(m) => {
                    TelemetryError::Corrupt(format!("{}: {m}", self.days.path_of(day).display()))
                }
                other => other,
            })?);
        }
        for (chunk_keys, chunk) in keys.chunks(MAX_BLOCK_ROWS).zip(rows.chunks(MAX_BLOCK_ROWS)) {
            let bytes = block::encode(chunk).map_err(|e| {
                self.stats.block_encode_failures.fetch_add(1, Ordering::Relaxed);
                TelemetryError::Encode(format!("block of {}: {e}", self.days.path_of(day).display()))
            })?;
            blocks_t.insert(chunk_keys[0], bytes.as_slice())?;
        }
        tail_t.retain_in(range, |_, _| false)?;
        Ok(())
    }

    /// Seals every open block of a day (it closes: a closed file holds blocks only).
    pub(super) fn seal_day(&mut self, txn: &redb::WriteTransaction, day: i64) -> Result<usize, TelemetryError> {
        let mut blocks_t = txn.open_table(BLOCKS)?;
        let mut tail_t = txn.open_table(TAIL)?;
        let open = open_block_starts(&tail_t)?;
        for (id, _) in &open {
            self.seal_tail(day, *id, &mut blocks_t, &mut tail_t)?;
        }
        self.seal_kinds(txn, day)?;
        Ok(open.len())
    }

    /// Seals the open blocks of a day whose first row is more than `OPEN_BLOCK_MAX_AGE_MS`
    /// older than `now_ms`, in the caller's transaction; returns the characters sealed.
    /// Why: a block seals on its character's next row, so a character that stopped sending
    /// (logged off, crashed) would keep its rows uncompressed in the tail until the day
    /// closes — about five times the bytes, in every day snapshot until midnight. The
    /// caller forgets these characters' open blocks once the transaction commits.
    pub(super) fn seal_stale_blocks(
        &self,
        txn: &redb::WriteTransaction,
        day: i64,
        now_ms: i64,
    ) -> Result<Vec<u32>, TelemetryError> {
        let mut blocks_t = txn.open_table(BLOCKS)?;
        let mut tail_t = txn.open_table(TAIL)?;
        let stale: Vec<u32> = open_block_starts(&tail_t)?
            .into_iter()
            .filter(|(_, first_ms)| now_ms.saturating_sub(*first_ms) > OPEN_BLOCK_MAX_AGE_MS)
            .map(|(id, _)| id)
            .collect();
        for id in &stale {
            self.seal_tail(day, *id, &mut blocks_t, &mut tail_t)?;
        }
        Ok(stale)
    }

    /// Moves every tail row of the other kinds into their blocks (`kinds::seal`), in the
    /// caller's transaction; returns the rows moved. A compression failure is counted and
    /// fails the pass, never written as an empty block.
    pub(super) fn seal_kinds(&self, txn: &redb::WriteTransaction, day: i64) -> Result<usize, TelemetryError> {
        let mut moved = 0;
        for kind in EventKind::ALL {
            let mut blocks_t = txn.open_table(kind.blocks_table())?;
            let mut tail_t = txn.open_table(kind.table())?;
            moved += kinds::seal(kind.name(), &mut blocks_t, &mut tail_t).map_err(|e| {
                if matches!(e, TelemetryError::Encode(_)) {
                    self.stats.block_encode_failures.fetch_add(1, Ordering::Relaxed);
                }
                match e {
                    TelemetryError::Corrupt(m) => {
                        TelemetryError::Corrupt(format!("{}: {m}", self.days.path_of(day).display()))
                    }
                    other => other,
                }
            })?;
        }
        Ok(moved)
    }
}

/// Every character with an open block in a day file's tail table, with the block's first
/// row's time: one lookup per character (each jumps past the character's rows).
fn open_block_starts(tail_t: &redb::Table<EventKey, &[u8]>) -> Result<Vec<(u32, i64)>, TelemetryError> {
    let mut out = Vec::new();
    let mut next = Some((0u32, i64::MIN, 0u32));
    while let Some(from) = next.take() {
        if let Some(entry) = tail_t.range(from..)?.next() {
            let (id, first_ms, _) = entry?.0.value();
            out.push((id, first_ms));
            next = id.checked_add(1).map(|n| (n, i64::MIN, 0u32));
        }
    }
    Ok(out)
}

/// The open block a day file's tail table holds for a character, if any, with its first
/// row's anchor.
fn open_block_in(tail_t: &redb::Table<EventKey, &[u8]>, id: u32) -> Result<Option<OpenBlock>, TelemetryError> {
    let mut found: Option<OpenBlock> = None;
    for entry in tail_t.range((id, i64::MIN, 0u32)..=(id, i64::MAX, u32::MAX))? {
        let (key, value) = entry?;
        match &mut found {
            Some(b) => b.rows += 1,
            None => {
                let anchor = Anchor::from_whole_row(value.value())
                    .map_err(|e| TelemetryError::Corrupt(format!("first open row of character {id}: {e}")))?;
                found = Some(OpenBlock { key: key.value(), rows: 1, anchor: Some(Arc::new(anchor)) });
            }
        }
    }
    Ok(found)
}
