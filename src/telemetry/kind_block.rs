//! The sealed-block codec of the other persisted kinds (spawns, rares, portals, character
//! and combat stats): a run of one character's rows of one kind, as their times, sequence
//! numbers and lengths (zigzag varint deltas) followed by their stored bytes, then
//! zstd-compressed.
//!
//! Why blocks: these rows are JSON whose keys and most values repeat from one row to the
//! next (the same monsters nearby, the same stats layout every minute), so an hour of one
//! character's rows compresses many times over, where a row alone barely compresses at all.
//! The bytes pass through unchanged: a row reads back byte for byte. This module never
//! touches storage.

use super::block::{BlockError, Cursor, push_varint, unzigzag, zigzag};

const FORMAT_VERSION: u8 = 1;
const ZSTD_LEVEL: i32 = 3;
/// A block never holds more rows than this.
pub const MAX_ROWS: usize = 1024;
/// Nor more stored bytes than this, unless it is a single row (bounds the memory a read
/// decodes per block and the work of re-encoding a block that grows).
pub const MAX_RAW_BYTES: usize = 256 * 1024;
/// A block claiming a larger body is damaged: nothing the writer makes comes near it
/// (a single row is bounded by the plugin socket's frame limit, far below).
const DECODE_LIMIT: usize = 16 * 1024 * 1024;

/// One stored event of a kind other than telemetry: its key's time and sequence number
/// (the character is the block's) and its stored bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRow {
    pub t: i64,
    pub seq: u32,
    pub bytes: Vec<u8>,
}

impl KindRow {
    /// Rows order as their keys do: by time, then sequence number.
    pub fn order(&self) -> (i64, u32) {
        (self.t, self.seq)
    }
}

/// Encodes rows (in key order) into one block. Compression failing (zstd on an in-memory
/// buffer fails only when it cannot allocate) is an error, never an empty block.
pub fn encode(rows: &[KindRow]) -> Result<Vec<u8>, BlockError> {
    let mut raw = Vec::with_capacity(rows.iter().map(|r| r.bytes.len() + 8).sum::<usize>() + 8);
    push_varint(&mut raw, rows.len() as u64);
    let (mut prev_t, mut prev_seq) = (0i64, 0i64);
    for r in rows {
        push_varint(&mut raw, zigzag(r.t.wrapping_sub(prev_t)));
        push_varint(&mut raw, zigzag(i64::from(r.seq) - prev_seq));
        push_varint(&mut raw, r.bytes.len() as u64);
        (prev_t, prev_seq) = (r.t, i64::from(r.seq));
    }
    for r in rows {
        raw.extend_from_slice(&r.bytes);
    }
    let compressed =
        zstd::bulk::compress(&raw, ZSTD_LEVEL).map_err(|e| BlockError(format!("compression failed: {e}")))?;
    let mut out = Vec::with_capacity(compressed.len() + 6);
    out.push(FORMAT_VERSION);
    push_varint(&mut out, raw.len() as u64);
    out.extend_from_slice(&compressed);
    Ok(out)
}

/// Decodes a block into its rows, in the order they were encoded.
pub fn decode(bytes: &[u8]) -> Result<Vec<KindRow>, BlockError> {
    let (&version, rest) = bytes.split_first().ok_or_else(|| BlockError("empty".into()))?;
    if version != FORMAT_VERSION {
        return Err(BlockError(format!("unknown event block format {version}")));
    }
    let mut head = Cursor { buf: rest, pos: 0 };
    let raw_len = usize::try_from(head.varint()?).map_err(|_| BlockError("length out of range".into()))?;
    if raw_len > DECODE_LIMIT {
        return Err(BlockError(format!("event block claims {raw_len} bytes")));
    }
    let raw = zstd::bulk::decompress(&rest[head.pos..], raw_len).map_err(|e| BlockError(e.to_string()))?;
    if raw.len() != raw_len {
        return Err(BlockError("event block shorter than its header says".into()));
    }
    let mut cur = Cursor { buf: &raw, pos: 0 };
    let n = usize::try_from(cur.varint()?).map_err(|_| BlockError("row count out of range".into()))?;
    if n > MAX_ROWS {
        return Err(BlockError(format!("event block claims {n} rows")));
    }
    let (mut t, mut seq) = (0i64, 0i64);
    let mut heads = Vec::with_capacity(n);
    for _ in 0..n {
        t = t.wrapping_add(unzigzag(cur.varint()?));
        seq += unzigzag(cur.varint()?);
        let seq = u32::try_from(seq).map_err(|_| BlockError("sequence number out of range".into()))?;
        let len = usize::try_from(cur.varint()?).map_err(|_| BlockError("row length out of range".into()))?;
        heads.push((t, seq, len));
    }
    let mut rows = Vec::with_capacity(n);
    for (t, seq, len) in heads {
        rows.push(KindRow { t, seq, bytes: cur.take(len)?.to_vec() });
    }
    if cur.pos != raw.len() {
        return Err(BlockError("trailing bytes after the last event row".into()));
    }
    Ok(rows)
}

/// Splits rows (in key order) into the runs that become blocks: at most `MAX_ROWS` rows,
/// `MAX_RAW_BYTES` stored bytes (a larger single row goes alone) and `max_span_ms` from a
/// run's first row to its last (readers look that far back for a block).
pub fn chunks(rows: Vec<KindRow>, max_span_ms: i64) -> Vec<Vec<KindRow>> {
    let mut out: Vec<Vec<KindRow>> = Vec::new();
    let mut current: Vec<KindRow> = Vec::new();
    let mut bytes = 0usize;
    for row in rows {
        let fits = current.first().is_some_and(|first| {
            current.len() < MAX_ROWS
                && bytes + row.bytes.len() <= MAX_RAW_BYTES
                && row.t.saturating_sub(first.t) <= max_span_ms
        });
        if !fits && !current.is_empty() {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += row.bytes.len();
        current.push(row);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spawn_rows(n: usize) -> Vec<KindRow> {
        let monsters = ["Empyrean Ghost", "Ruschk Draktehn", "Mukkir Guard", "Revenant"];
        (0..n)
            .map(|i| KindRow {
                t: 1_796_593_814_376 + i as i64 * 7_000,
                seq: 5_338 + i as u32 * 600,
                bytes: format!(
                    r#"{{"monster_name":"{}","object_id":{},"wcid":null,"place":{{"ew":19.{:03},"ns":-3.{:03},"z":88.28,"landcell":2541420581,"is_dungeon":false}}}}"#,
                    monsters[i % monsters.len()],
                    3_221_225_473u64 + i as u64,
                    (i * 37) % 1000,
                    (i * 91) % 1000
                )
                .into_bytes(),
            })
            .collect()
    }

    #[test]
    fn rows_round_trip_byte_for_byte() {
        let rows = spawn_rows(300);
        let block = encode(&rows).unwrap();
        assert_eq!(decode(&block).unwrap(), rows);
    }

    #[test]
    fn an_hour_of_spawns_compresses_several_times_over() {
        let rows = spawn_rows(500);
        let raw: usize = rows.iter().map(|r| r.bytes.len()).sum();
        let block = encode(&rows).unwrap();
        assert!(block.len() * 4 < raw, "{} bytes for {raw} bytes of rows", block.len());
    }

    #[test]
    fn empty_and_odd_rows_round_trip() {
        let rows = vec![
            KindRow { t: -5, seq: u32::MAX, bytes: Vec::new() },
            KindRow { t: i64::MAX, seq: 0, bytes: vec![0, 255, 7] },
        ];
        assert_eq!(decode(&encode(&rows).unwrap()).unwrap(), rows);
        assert_eq!(decode(&encode(&[]).unwrap()).unwrap(), Vec::new());
    }

    #[test]
    fn damaged_blocks_are_errors_not_rows() {
        let block = encode(&spawn_rows(10)).unwrap();
        assert!(decode(&[]).is_err());
        assert!(decode(&[9, 1, 2]).is_err());
        assert!(decode(&block[..block.len() / 2]).is_err());
        let mut wrong_length = block.clone();
        wrong_length[1] ^= 0x01;
        assert!(decode(&wrong_length).is_err());
        // A header claiming a huge body is refused before any allocation.
        let mut huge = vec![FORMAT_VERSION];
        push_varint(&mut huge, 1 << 40);
        assert!(decode(&huge).is_err());
    }

    #[test]
    fn chunks_respect_rows_bytes_and_span() {
        let rows = spawn_rows(2_500);
        let runs = chunks(rows.clone(), i64::MAX);
        assert!(runs.iter().all(|r| r.len() <= MAX_ROWS));
        assert_eq!(runs.concat(), rows);

        let by_span = chunks(rows.clone(), 60_000);
        assert!(by_span.iter().all(|r| r.last().unwrap().t - r[0].t <= 60_000));
        assert_eq!(by_span.concat(), rows);

        let big = vec![
            KindRow { t: 1, seq: 1, bytes: vec![b'x'; MAX_RAW_BYTES + 10] },
            KindRow { t: 2, seq: 2, bytes: vec![b'y'; 10] },
        ];
        let runs = chunks(big, i64::MAX);
        assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), vec![1, 1]);
    }
}
