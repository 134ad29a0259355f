//! How the other persisted kinds (spawn, rare, portal, character and combat stats) lie in a
//! day file, and the two operations over that layout: sealing (rows move from a kind's tail
//! table into compressed blocks) and the merged read (blocks and tail together, in key
//! order, each row once).
//!
//! Layout: each kind has a tail table named for it (`spawn`, `rare`, ...: one row per event,
//! as the writer's apply step stores it) and a blocks table (`spawn_blocks`, ...:
//! `kind_block` blocks, keyed by their first row's key). A sealing pass moves every tail
//! row of a file into blocks, growing each character's newest block while it has room (see
//! `kind_block::chunks`), so an hour of a character's rows ends up compressed together.
//! Readers accept any mixture (a file written before blocks existed holds tail rows only).
//!
//! Never opens a file or a transaction: callers hand it tables, so the writer decides when
//! a pass runs and how it commits.

use super::day::{EventKey, MAX_BLOCK_SPAN_MS};
use super::error::TelemetryError;
use super::kind_block::{self, KindRow};
use redb::{ReadableTable, Table};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// A block never spans more than this from its first row to its last, so a reader of
/// `[from, to]` starts its block scan this far before `from`.
pub const KIND_BLOCK_SPAN_MS: i64 = MAX_BLOCK_SPAN_MS;

type Tbl<'t> = Table<'t, EventKey, &'static [u8]>;

fn corrupt(what: &str, key: EventKey, e: impl std::fmt::Display) -> TelemetryError {
    TelemetryError::Corrupt(format!("{what} block at {key:?}: {e}"))
}

/// Moves every row of `tail` into `blocks` and empties `tail`; returns the rows moved.
/// A character's newest block is decoded and re-encoded with the new rows while it has
/// room. The caller commits (or drops) the transaction both tables belong to, so a failed
/// pass changes nothing. `what` names the kind in errors.
pub(crate) fn seal(what: &str, blocks: &mut Tbl<'_>, tail: &mut Tbl<'_>) -> Result<usize, TelemetryError> {
    let mut moved = 0;
    // One character at a time, so a pass holds one character's rows in memory, not the
    // whole tail (an imported day can hold a day of them).
    loop {
        let Some(id) = tail.first()?.map(|(k, _)| k.value().0) else { break };
        let range = (id, i64::MIN, 0u32)..=(id, i64::MAX, u32::MAX);
        let mut rows = Vec::new();
        for entry in tail.range(range.clone())? {
            let (k, v) = entry?;
            let (_, t, seq) = k.value();
            rows.push(KindRow { t, seq, bytes: v.value().to_vec() });
        }
        moved += rows.len();
        let newest = match blocks.range(range.clone())?.next_back() {
            Some(entry) => {
                let (k, v) = entry?;
                Some((k.value(), v.value().to_vec()))
            }
            None => None,
        };
        if let Some((key, bytes)) = newest {
            let old = kind_block::decode(&bytes).map_err(|e| corrupt(what, key, e))?;
            let old_bytes: usize = old.iter().map(|r| r.bytes.len()).sum();
            let has_room = old.len() < kind_block::MAX_ROWS && old_bytes < kind_block::MAX_RAW_BYTES;
            let near = rows.first().is_some_and(|r| r.t.saturating_sub(key.1) <= KIND_BLOCK_SPAN_MS);
            if has_room && near {
                blocks.remove(key)?;
                rows = merge_rows(old, rows);
            }
        }
        for run in kind_block::chunks(rows, KIND_BLOCK_SPAN_MS) {
            let first = (id, run[0].t, run[0].seq);
            let block = kind_block::encode(&run)
                .map_err(|e| TelemetryError::Encode(format!("{what} block at {first:?}: {e}")))?;
            blocks.insert(first, block.as_slice())?;
        }
        tail.retain_in(range, |_, _| false)?;
    }
    Ok(moved)
}

/// Two key-ordered runs as one; a key in both keeps the newer run's row (a row is only
/// ever stored once, so this is defence, not a path the writer takes).
fn merge_rows(old: Vec<KindRow>, new: Vec<KindRow>) -> Vec<KindRow> {
    let mut by_key: BTreeMap<(i64, u32), KindRow> = old.into_iter().map(|r| (r.order(), r)).collect();
    for r in new {
        by_key.insert(r.order(), r);
    }
    by_key.into_values().collect()
}

/// Which rows a read wants: one character or all, within `[from, to]` (key times).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted {
    pub character: Option<u32>,
    pub from: i64,
    pub to: i64,
}

impl Wanted {
    fn holds(&self, key: EventKey) -> bool {
        self.character.is_none_or(|id| id == key.0) && key.1 >= self.from && key.1 <= self.to
    }

    /// Whether a block keyed `key` (its first row) can hold a wanted row.
    fn may_hold_block(&self, key: EventKey) -> bool {
        self.character.is_none_or(|id| id == key.0)
            && key.1 <= self.to
            && key.1.saturating_add(KIND_BLOCK_SPAN_MS) >= self.from
    }
}

/// Visits the wanted rows of one day file's kind, blocks and tail merged, in key order;
/// stops early when `visit` returns false, and then returns false. Either table may be
/// missing (a file that never held the kind, or one older than blocks).
pub(crate) fn for_each<B, T>(
    what: &str,
    blocks: Option<&B>,
    tail: Option<&T>,
    wanted: Wanted,
    mut visit: impl FnMut(EventKey, &[u8]) -> bool,
) -> Result<bool, TelemetryError>
where
    B: ReadableTable<EventKey, &'static [u8]>,
    T: ReadableTable<EventKey, &'static [u8]>,
{
    let mut block_iter = match blocks {
        Some(b) => Some(match wanted.character {
            Some(id) => {
                b.range((id, wanted.from.saturating_sub(KIND_BLOCK_SPAN_MS), 0u32)..=(id, wanted.to, u32::MAX))?
            }
            None => b.iter()?,
        }),
        None => None,
    };
    let mut tail_iter = match tail {
        Some(t) => Some(match wanted.character {
            Some(id) => t.range((id, wanted.from, 0u32)..=(id, wanted.to, u32::MAX))?,
            None => t.iter()?,
        }),
        None => None,
    };
    let mut next_block: Option<(EventKey, Vec<u8>)> = None;
    let mut next_tail: Option<(EventKey, Vec<u8>)> = None;
    // Rows of decoded blocks not yet visited, smallest key first. Blocks are keyed by their
    // first row, so once the next undecoded block's key is past the smallest row here, no
    // undecoded row can come before it.
    let mut pending: BinaryHeap<Reverse<(EventKey, Vec<u8>)>> = BinaryHeap::new();
    loop {
        if next_block.is_none()
            && let Some(it) = block_iter.as_mut()
            && let Some(entry) = it.next()
        {
            let (k, v) = entry?;
            next_block = Some((k.value(), v.value().to_vec()));
        }
        if next_tail.is_none()
            && let Some(it) = tail_iter.as_mut()
        {
            for entry in it.by_ref() {
                let (k, v) = entry?;
                let key = k.value();
                if wanted.holds(key) {
                    next_tail = Some((key, v.value().to_vec()));
                    break;
                }
            }
        }
        let smallest_pending = pending.peek().map(|Reverse((k, _))| *k);
        if let Some((bkey, _)) = &next_block
            && smallest_pending.is_none_or(|p| *bkey <= p)
        {
            let (bkey, bytes) = next_block.take().expect("checked just above");
            // A block's rows lie within a span after its key: one that cannot reach the
            // wanted range (a scan of every character) is not decoded.
            if !wanted.may_hold_block(bkey) {
                continue;
            }
            for row in kind_block::decode(&bytes).map_err(|e| corrupt(what, bkey, e))? {
                let key = (bkey.0, row.t, row.seq);
                if wanted.holds(key) {
                    pending.push(Reverse((key, row.bytes)));
                }
            }
            continue;
        }
        let take_tail = match (&next_tail, smallest_pending) {
            (Some((tk, _)), Some(p)) => *tk < p,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return Ok(true),
        };
        let (key, bytes) = if take_tail {
            next_tail.take().expect("checked just above")
        } else {
            pending.pop().expect("checked just above").0
        };
        if !visit(key, &bytes) {
            return Ok(false);
        }
    }
}

/// The newest row of a character in one day file's kind (blocks and tail), if any.
pub(crate) fn newest<B, T>(
    what: &str,
    blocks: Option<&B>,
    tail: Option<&T>,
    character: u32,
) -> Result<Option<(EventKey, Vec<u8>)>, TelemetryError>
where
    B: ReadableTable<EventKey, &'static [u8]>,
    T: ReadableTable<EventKey, &'static [u8]>,
{
    let range = (character, i64::MIN, 0u32)..=(character, i64::MAX, u32::MAX);
    let mut best: Option<(EventKey, Vec<u8>)> = match tail {
        Some(t) => match t.range(range.clone())?.next_back() {
            Some(entry) => {
                let (k, v) = entry?;
                Some((k.value(), v.value().to_vec()))
            }
            None => None,
        },
        None => None,
    };
    if let Some(b) = blocks {
        // Newest first; a block keyed more than a span before the best row so far cannot
        // hold a newer one.
        for entry in b.range(range)?.rev() {
            let (k, v) = entry?;
            let bkey = k.value();
            if best.as_ref().is_some_and(|(key, _)| bkey.1 < key.1.saturating_sub(KIND_BLOCK_SPAN_MS)) {
                break;
            }
            for row in kind_block::decode(v.value()).map_err(|e| corrupt(what, bkey, e))? {
                let key = (character, row.t, row.seq);
                if best.as_ref().is_none_or(|(b, _)| key > *b) {
                    best = Some((key, row.bytes));
                }
            }
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::store::{EventKind, optional_table};
    use redb::{Database, ReadableDatabase};

    const KIND: EventKind = EventKind::Spawn;

    fn row(id: u32, t: i64, seq: u32) -> (EventKey, Vec<u8>) {
        ((id, t, seq), format!(r#"{{"monster_name":"Mosswart {}","object_id":{seq}}}"#, t % 7).into_bytes())
    }

    fn put(db: &Database, rows: &[(EventKey, Vec<u8>)]) {
        let txn = db.begin_write().unwrap();
        {
            let mut tail = txn.open_table(KIND.table()).unwrap();
            for (k, v) in rows {
                tail.insert(*k, v.as_slice()).unwrap();
            }
        }
        txn.commit().unwrap();
    }

    fn seal_all(db: &Database) -> usize {
        let txn = db.begin_write().unwrap();
        let moved = {
            let mut blocks = txn.open_table(KIND.blocks_table()).unwrap();
            let mut tail = txn.open_table(KIND.table()).unwrap();
            seal("spawn", &mut blocks, &mut tail).unwrap()
        };
        txn.commit().unwrap();
        moved
    }

    fn read(db: &Database, wanted: Wanted, limit: usize) -> Vec<(EventKey, Vec<u8>)> {
        let txn = db.begin_read().unwrap();
        let blocks = optional_table(&txn, KIND.blocks_table()).unwrap();
        let tail = optional_table(&txn, KIND.table()).unwrap();
        let mut out = Vec::new();
        for_each("spawn", blocks.as_ref(), tail.as_ref(), wanted, |k, v| {
            out.push((k, v.to_vec()));
            out.len() < limit
        })
        .unwrap();
        out
    }

    fn newest_of(db: &Database, id: u32) -> Option<(EventKey, Vec<u8>)> {
        let txn = db.begin_read().unwrap();
        let blocks = optional_table(&txn, KIND.blocks_table()).unwrap();
        let tail = optional_table(&txn, KIND.table()).unwrap();
        newest("spawn", blocks.as_ref(), tail.as_ref(), id).unwrap()
    }

    fn block_count(db: &Database) -> u64 {
        use redb::ReadableTableMetadata;
        let txn = db.begin_read().unwrap();
        txn.open_table(KIND.blocks_table()).map(|t| t.len().unwrap()).unwrap_or(0)
    }

    const ALL: Wanted = Wanted { character: None, from: i64::MIN, to: i64::MAX };

    #[test]
    fn sealed_rows_read_back_the_same_in_the_same_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("day.redb")).unwrap();
        let mut rows: Vec<_> =
            (0..3u32).flat_map(|id| (0..200).map(move |i| row(id, 1_000 + i * 7_000, i as u32 * 3 + id))).collect();
        rows.sort();
        put(&db, &rows[..300]);
        let before = read(&db, ALL, usize::MAX);
        assert_eq!(seal_all(&db), 300);
        assert_eq!(read(&db, ALL, usize::MAX), before);
        // The rest arrives later: each character's newest block grows instead of a new one.
        put(&db, &rows[300..]);
        let blocks_before = block_count(&db);
        assert_eq!(seal_all(&db), 300);
        assert_eq!(read(&db, ALL, usize::MAX), rows);
        assert!(block_count(&db) <= blocks_before + 3, "{} blocks", block_count(&db));
        assert_eq!(seal_all(&db), 0, "a second pass finds nothing to move");

        let one = Wanted { character: Some(1), from: 50_000, to: 500_000 };
        let expected: Vec<_> =
            rows.iter().filter(|(k, _)| k.0 == 1 && (50_000..=500_000).contains(&k.1)).cloned().collect();
        assert_eq!(read(&db, one, usize::MAX), expected);
        assert_eq!(read(&db, one, 5), expected[..5].to_vec());
        assert_eq!(newest_of(&db, 2), rows.iter().filter(|(k, _)| k.0 == 2).max().cloned());
        assert_eq!(newest_of(&db, 9), None);
    }

    #[test]
    fn late_rows_and_mixed_tables_keep_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("day.redb")).unwrap();
        let first: Vec<_> = (0..100).map(|i| row(4, 10_000_000 + i * 1_000, i as u32)).collect();
        put(&db, &first);
        seal_all(&db);
        // A row older than the sealed block (a replay), and new rows still in the tail.
        let late = row(4, 9_000_000, 999);
        let newer: Vec<_> = (0..10).map(|i| row(4, 20_000_000 + i, 1_000 + i as u32)).collect();
        put(&db, std::slice::from_ref(&late));
        seal_all(&db);
        put(&db, &newer);
        let mut all: Vec<_> = first.iter().chain(&newer).cloned().chain([late]).collect();
        all.sort();
        assert_eq!(read(&db, ALL, usize::MAX), all);
        assert_eq!(newest_of(&db, 4), all.last().cloned());
        seal_all(&db);
        assert_eq!(read(&db, ALL, usize::MAX), all);
    }

    #[test]
    fn blocks_stay_within_the_span_readers_look_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("day.redb")).unwrap();
        // Three hours of rows, sealed every ten minutes.
        let rows: Vec<_> = (0..180).map(|i| row(7, i * 60_000, i as u32)).collect();
        for chunk in rows.chunks(10) {
            put(&db, chunk);
            seal_all(&db);
        }
        let txn = db.begin_read().unwrap();
        let blocks = txn.open_table(KIND.blocks_table()).unwrap();
        for entry in blocks.iter().unwrap() {
            let (k, v) = entry.unwrap();
            let decoded = kind_block::decode(v.value()).unwrap();
            assert_eq!((decoded[0].t, decoded[0].seq), (k.value().1, k.value().2));
            assert!(decoded.last().unwrap().t - k.value().1 <= KIND_BLOCK_SPAN_MS);
        }
        drop((blocks, txn));
        let window = Wanted { character: Some(7), from: 95 * 60_000, to: 125 * 60_000 };
        assert_eq!(read(&db, window, usize::MAX), rows[95..=125].to_vec());
    }
}
