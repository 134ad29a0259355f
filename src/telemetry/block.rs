//! The sealed-block codec: a run of one character's telemetry rows, column by column,
//! each column delta-encoded as zigzag varints, then zstd-compressed.
//!
//! A telemetry row is ~20 fields that change slowly (position moves a little, counters
//! tick up), so deltas are mostly 0 or tiny and a block of 100+ rows lands in single-digit
//! to low tens of bytes per row. Floats are stored as scaled integers: map coordinates to
//! 1e-5 unit (2.4 mm), local/z metres to 1 mm, heading and rates to 1/100. That rounding is
//! the only loss, and it is far below the plugin's own precision.
//!
//! The rows of a block still open are stored one by one: the same columns and rounding,
//! uncompressed, so appending costs no compression and a row reads back the same before
//! and after its block seals. The block's first row is whole (`encode_row`); every later
//! row is written against it (`encode_row_against` its `Anchor`): each column as its
//! difference from the first row's, a string as "same as the first row" when it is. That
//! halves an open row (about 100 bytes whole, 40 to 50 against its anchor) while any row
//! still decodes from two reads, itself and its block's first row — no chain of rows.
//! This module never touches storage.

use crate::protocol::Telemetry;

const FORMAT_VERSION: u8 = 1;
/// Leads a single open-block row (`encode_row`); distinct from any block format.
const ROW_FORMAT_VERSION: u8 = 0x81;
/// Leads an open-block row written against its block's first row (`encode_row_against`).
const ANCHORED_ROW_FORMAT_VERSION: u8 = 0x82;
const ZSTD_LEVEL: i32 = 3;
/// A block never holds more rows than this (bounds decode work per key).
pub const MAX_BLOCK_ROWS: usize = 1024;

/// One stored telemetry event.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Server receive time, unix ms (the key's time).
    pub t: i64,
    pub client_time_ms: Option<i64>,
    pub plugin_version: Option<String>,
    pub tel: Telemetry,
}

#[derive(Debug)]
pub struct BlockError(pub String);

impl std::fmt::Display for BlockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "telemetry block: {}", self.0)
    }
}

impl std::error::Error for BlockError {}

// Column order is the file format: append new columns at the end and bump the version.
const SCALE_MAP: f64 = 1e5;
const SCALE_M: f64 = 1e3;
const SCALE_CENTI: f64 = 1e2;

/// The numeric columns of a row, as optional scaled integers.
fn columns(r: &Row) -> [Option<i64>; 19] {
    let t = &r.tel;
    let s = |v: Option<f64>, k: f64| v.map(|x| (x * k).round() as i64);
    [
        Some(r.t),
        r.client_time_ms,
        t.landcell.map(i64::from),
        s(t.local_x, SCALE_M),
        s(t.local_y, SCALE_M),
        s(t.z, SCALE_M),
        s(Some(t.ew), SCALE_MAP),
        s(Some(t.ns), SCALE_MAP),
        s(t.heading, SCALE_CENTI),
        Some(i64::from(t.is_dungeon)),
        t.kills.map(i64::from),
        s(t.kills_per_hour, SCALE_CENTI),
        t.deaths.map(i64::from),
        t.total_deaths.map(i64::from),
        t.rares_found.map(i64::from),
        t.prismatic_taper_count.map(i64::from),
        t.session_seconds.map(|v| v as i64),
        t.xp_per_hour,
        t.level.map(i64::from),
    ]
}

// total_xp and luminance get their own columns after the first 19 (kept separate so the
// array above stays a fixed, documented layout).
fn wide_columns(r: &Row) -> [Option<i64>; 2] {
    [r.tel.total_xp, r.tel.luminance]
}

const NCOLS: usize = 21;

/// Encodes rows into a block. Compression failing (zstd on an in-memory buffer fails
/// only when it cannot allocate) is an error, never an empty block.
pub fn encode(rows: &[Row]) -> Result<Vec<u8>, BlockError> {
    let raw = encode_raw(rows);
    let compressed =
        zstd::bulk::compress(&raw, ZSTD_LEVEL).map_err(|e| BlockError(format!("compression failed: {e}")))?;
    let mut out = Vec::with_capacity(compressed.len() + 1);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&compressed);
    Ok(out)
}

pub fn decode(bytes: &[u8]) -> Result<Vec<Row>, BlockError> {
    let (&version, body) = bytes.split_first().ok_or_else(|| BlockError("empty".into()))?;
    if version != FORMAT_VERSION {
        return Err(BlockError(format!("unknown block format {version}")));
    }
    // Bound decompression: rows × worst-case bytes per row.
    let limit = MAX_BLOCK_ROWS * (NCOLS * 10 + 200) + 64;
    let raw = zstd::bulk::decompress(body, limit).map_err(|e| BlockError(e.to_string()))?;
    decode_raw(&raw)
}

/// One row of an open block, as the writer stores it until the block seals: the same
/// columns and rounding as a block (a row reads back identically before and after
/// sealing), uncompressed, so appending a row costs no compression.
pub fn encode_row(row: &Row) -> Vec<u8> {
    let mut out = vec![ROW_FORMAT_VERSION];
    out.extend_from_slice(&encode_raw(std::slice::from_ref(row)));
    out
}

pub fn decode_row(bytes: &[u8]) -> Result<Row, BlockError> {
    let (&version, raw) = bytes.split_first().ok_or_else(|| BlockError("empty row".into()))?;
    if version != ROW_FORMAT_VERSION {
        return Err(BlockError(format!("unknown row format {version}")));
    }
    let mut rows = decode_raw(raw)?;
    match (rows.pop(), rows.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(BlockError("a stored row holds other than one row".into())),
    }
}

/// What an open block's later rows are written against: its first row's stored columns
/// and strings. Built from that row's stored bytes, by the writer and by readers alike, so
/// both hold the very same integers (no float round trip in between).
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    t: i64,
    cols: [Option<i64>; NCOLS],
    vt_state: Option<String>,
    plugin_version: Option<String>,
}

impl Anchor {
    /// The anchor a whole row's stored bytes (`encode_row`) give; an anchored row cannot
    /// be one.
    pub fn from_whole_row(bytes: &[u8]) -> Result<Anchor, BlockError> {
        let (&version, raw) = bytes.split_first().ok_or_else(|| BlockError("empty row".into()))?;
        if version != ROW_FORMAT_VERSION {
            return Err(BlockError(format!("an open block's first row has format {version}")));
        }
        let Decoded { mut table, mut vt, mut pv } = decode_table(raw)?;
        match (table.pop(), vt.pop(), pv.pop(), table.is_empty()) {
            (Some(cols), Some(vt_state), Some(plugin_version), true) => Ok(Anchor {
                t: cols[0].ok_or_else(|| BlockError("row without time".into()))?,
                cols,
                vt_state,
                plugin_version,
            }),
            _ => Err(BlockError("a stored row holds other than one row".into())),
        }
    }

    /// The anchor row's time (the key a reader checks a decoded row against).
    pub fn t(&self) -> i64 {
        self.t
    }
}

/// Whether stored open-row bytes need their block's first row to decode.
pub fn is_anchored(bytes: &[u8]) -> bool {
    bytes.first() == Some(&ANCHORED_ROW_FORMAT_VERSION)
}

/// One open-block row written against its block's first row: a presence word, then each
/// present column as its difference from the anchor's (the value itself where the anchor
/// lacks the column), then each string as 0 = none, 1 = the anchor's, else its length + 2
/// and its bytes.
pub fn encode_row_against(row: &Row, anchor: &Anchor) -> Vec<u8> {
    let cols = all_columns(row);
    let mut out = Vec::with_capacity(64);
    out.push(ANCHORED_ROW_FORMAT_VERSION);
    push_varint(&mut out, u64::from(presence(&cols)));
    for (v, a) in cols.iter().zip(&anchor.cols) {
        if let Some(v) = v {
            push_varint(&mut out, zigzag(v.wrapping_sub(a.unwrap_or(0))));
        }
    }
    push_anchored_string(&mut out, row.tel.vt_state.as_deref(), anchor.vt_state.as_deref());
    push_anchored_string(&mut out, row.plugin_version.as_deref(), anchor.plugin_version.as_deref());
    out
}

/// Decodes an open-block row, whole or written against `anchor` (an anchored row without
/// its anchor is an error, never a guess).
pub fn decode_open_row(bytes: &[u8], anchor: Option<&Anchor>) -> Result<Row, BlockError> {
    if !is_anchored(bytes) {
        return decode_row(bytes);
    }
    let anchor = anchor.ok_or_else(|| BlockError("an anchored row read without its block's first row".into()))?;
    let mut cur = Cursor { buf: bytes, pos: 1 };
    let bits = u32::try_from(cur.varint()?).map_err(|_| BlockError("bad presence word".into()))?;
    if bits >> NCOLS != 0 {
        return Err(BlockError("presence word names unknown columns".into()));
    }
    let mut cols = [None; NCOLS];
    for (i, (c, a)) in cols.iter_mut().zip(&anchor.cols).enumerate() {
        if bits & (1 << i) != 0 {
            *c = Some(a.unwrap_or(0).wrapping_add(unzigzag(cur.varint()?)));
        }
    }
    let vt_state = anchored_string(&mut cur, anchor.vt_state.as_deref())?;
    let plugin_version = anchored_string(&mut cur, anchor.plugin_version.as_deref())?;
    if cur.pos != bytes.len() {
        return Err(BlockError("trailing bytes after an anchored row".into()));
    }
    row_from_columns(cols, vt_state, plugin_version)
}

fn push_anchored_string(out: &mut Vec<u8>, v: Option<&str>, anchor: Option<&str>) {
    match v {
        None => push_varint(out, 0),
        Some(s) if Some(s) == anchor => push_varint(out, 1),
        Some(s) => {
            push_varint(out, s.len() as u64 + 2);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn anchored_string(cur: &mut Cursor<'_>, anchor: Option<&str>) -> Result<Option<String>, BlockError> {
    match cur.varint()? {
        0 => Ok(None),
        1 => anchor
            .map(|s| Some(s.to_owned()))
            .ok_or_else(|| BlockError("string refers to an anchor without one".into())),
        n => {
            let len = usize::try_from(n - 2).map_err(|_| BlockError("string too long".into()))?;
            Ok(Some(String::from_utf8_lossy(cur.take(len)?).into_owned()))
        }
    }
}

fn all_columns(r: &Row) -> [Option<i64>; NCOLS] {
    let mut all = [None; NCOLS];
    all[..19].copy_from_slice(&columns(r));
    all[19..].copy_from_slice(&wide_columns(r));
    all
}

fn presence(cols: &[Option<i64>; NCOLS]) -> u32 {
    cols.iter().enumerate().filter(|(_, c)| c.is_some()).fold(0, |bits, (i, _)| bits | 1 << i)
}

/// The uncompressed column layout shared by blocks and single rows.
fn encode_raw(rows: &[Row]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(rows.len() * 24 + 64);
    push_varint(&mut raw, rows.len() as u64);
    let table: Vec<[Option<i64>; NCOLS]> = rows.iter().map(all_columns).collect();
    // Presence bits per row (delta-free: they rarely change, zstd folds the repeats).
    for row in &table {
        push_varint(&mut raw, u64::from(presence(row)));
    }
    for col in 0..NCOLS {
        let mut prev = 0i64;
        for row in &table {
            if let Some(v) = row[col] {
                push_varint(&mut raw, zigzag(v.wrapping_sub(prev)));
                prev = v;
            }
        }
    }
    encode_strings(&mut raw, rows.iter().map(|r| r.tel.vt_state.as_deref()));
    encode_strings(&mut raw, rows.iter().map(|r| r.plugin_version.as_deref()));
    raw
}

fn decode_raw(raw: &[u8]) -> Result<Vec<Row>, BlockError> {
    let Decoded { table, vt, pv } = decode_table(raw)?;
    table
        .into_iter()
        .zip(vt.into_iter().zip(pv))
        .map(|(cols, (vt_state, plugin_version))| row_from_columns(cols, vt_state, plugin_version))
        .collect()
}

/// The raw layout's columns (scaled integers, as stored) and strings, row by row.
struct Decoded {
    table: Vec<[Option<i64>; NCOLS]>,
    vt: Vec<Option<String>>,
    pv: Vec<Option<String>>,
}

fn decode_table(raw: &[u8]) -> Result<Decoded, BlockError> {
    let mut cur = Cursor { buf: raw, pos: 0 };
    let n = cur.varint()? as usize;
    if n > MAX_BLOCK_ROWS {
        return Err(BlockError(format!("{n} rows")));
    }
    let mut presence = Vec::with_capacity(n);
    for _ in 0..n {
        presence.push(cur.varint()? as u32);
    }
    let mut table = vec![[None::<i64>; NCOLS]; n];
    for col in 0..NCOLS {
        let mut prev = 0i64;
        for (row, bits) in table.iter_mut().zip(&presence) {
            if bits & (1 << col) != 0 {
                prev = prev.wrapping_add(unzigzag(cur.varint()?));
                row[col] = Some(prev);
            }
        }
    }
    let vt = decode_strings(&mut cur, n)?;
    let pv = decode_strings(&mut cur, n)?;
    Ok(Decoded { table, vt, pv })
}

fn row_from_columns(
    c: [Option<i64>; NCOLS],
    vt_state: Option<String>,
    plugin_version: Option<String>,
) -> Result<Row, BlockError> {
    let f = |v: Option<i64>, k: f64| v.map(|x| x as f64 / k);
    let t = c[0].ok_or_else(|| BlockError("row without time".into()))?;
    Ok(Row {
        t,
        client_time_ms: c[1],
        plugin_version,
        tel: Telemetry {
            landcell: c[2].and_then(|v| u32::try_from(v).ok()),
            local_x: f(c[3], SCALE_M),
            local_y: f(c[4], SCALE_M),
            z: f(c[5], SCALE_M),
            ew: f(c[6], SCALE_MAP).unwrap_or_default(),
            ns: f(c[7], SCALE_MAP).unwrap_or_default(),
            heading: f(c[8], SCALE_CENTI),
            is_dungeon: c[9] == Some(1),
            kills: c[10].and_then(|v| u32::try_from(v).ok()),
            kills_per_hour: f(c[11], SCALE_CENTI),
            deaths: c[12].and_then(|v| u32::try_from(v).ok()),
            total_deaths: c[13].and_then(|v| u32::try_from(v).ok()),
            rares_found: c[14].and_then(|v| u32::try_from(v).ok()),
            prismatic_taper_count: c[15].and_then(|v| u32::try_from(v).ok()),
            session_seconds: c[16].and_then(|v| u64::try_from(v).ok()),
            xp_per_hour: c[17],
            level: c[18].and_then(|v| u32::try_from(v).ok()),
            total_xp: c[19],
            luminance: c[20],
            vt_state,
        },
    })
}

/// Strings as a per-block dictionary plus one index per row (0 = none).
fn encode_strings<'a>(out: &mut Vec<u8>, values: impl Iterator<Item = Option<&'a str>>) {
    let mut dict: Vec<&str> = Vec::new();
    let mut idx = Vec::new();
    for v in values {
        idx.push(match v {
            None => 0,
            Some(s) => match dict.iter().position(|d| *d == s) {
                Some(p) => p + 1,
                None => {
                    dict.push(s);
                    dict.len()
                }
            },
        });
    }
    push_varint(out, dict.len() as u64);
    for s in &dict {
        push_varint(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    for i in idx {
        push_varint(out, i as u64);
    }
}

fn decode_strings(cur: &mut Cursor<'_>, n: usize) -> Result<Vec<Option<String>>, BlockError> {
    let dict_len = cur.varint()? as usize;
    if dict_len > n {
        return Err(BlockError("string dictionary larger than the block".into()));
    }
    let mut dict = Vec::with_capacity(dict_len);
    for _ in 0..dict_len {
        let len = cur.varint()? as usize;
        let bytes = cur.take(len)?;
        dict.push(String::from_utf8_lossy(bytes).into_owned());
    }
    (0..n)
        .map(|_| {
            let i = cur.varint()? as usize;
            match i {
                0 => Ok(None),
                i => dict.get(i - 1).cloned().map(Some).ok_or_else(|| BlockError("bad string index".into())),
            }
        })
        .collect()
}

pub(super) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(super) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) struct Cursor<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn varint(&mut self) -> Result<u64, BlockError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.pos).ok_or_else(|| BlockError("truncated".into()))?;
            self.pos += 1;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(BlockError("varint too long".into()))
    }

    pub(super) fn take(&mut self, len: usize) -> Result<&'a [u8], BlockError> {
        let end =
            self.pos.checked_add(len).filter(|e| *e <= self.buf.len()).ok_or_else(|| BlockError("truncated".into()))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_rows(n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| Row {
                t: 1_748_802_125_000 + i as i64 * 3_000,
                client_time_ms: Some(1_748_802_124_000 + i as i64 * 3_000),
                plugin_version: Some("4.2.0".into()),
                tel: Telemetry {
                    landcell: Some(0xA9B4_0019),
                    local_x: Some(81.33 + i as f64 * 0.5),
                    local_y: Some(11.8),
                    z: Some(94.0),
                    ew: 33.589 + i as f64 * 0.002,
                    ns: 42.099,
                    heading: Some(271.5),
                    is_dungeon: false,
                    kills: Some(1523 + i as u32 / 3),
                    kills_per_hour: Some(612.4),
                    deaths: Some(3),
                    total_deaths: Some(41),
                    rares_found: Some(2),
                    prismatic_taper_count: Some(1874),
                    session_seconds: Some(8940 + i as u64 * 3),
                    xp_per_hour: Some(184_000_000),
                    level: Some(275),
                    total_xp: Some(191_226_310_247 + i as i64 * 1000),
                    luminance: if i % 2 == 0 { None } else { Some(1_250_000) },
                    vt_state: Some(if i % 7 == 0 { "Looting" } else { "Combat" }.into()),
                },
            })
            .collect()
    }

    #[test]
    fn rows_round_trip_through_a_block() {
        let rows = sample_rows(200);
        let back = decode(&encode(&rows).unwrap()).unwrap();
        assert_eq!(back.len(), rows.len());
        for (a, b) in rows.iter().zip(&back) {
            assert_eq!(a.t, b.t);
            assert_eq!(a.tel.kills, b.tel.kills);
            assert_eq!(a.tel.luminance, b.tel.luminance);
            assert_eq!(a.tel.vt_state, b.tel.vt_state);
            assert!((a.tel.ew - b.tel.ew).abs() < 1e-5);
            assert_eq!(a.tel.total_xp, b.tel.total_xp);
        }
    }

    #[test]
    fn a_hunting_block_costs_well_under_forty_bytes_a_row() {
        let rows = sample_rows(256);
        let per_row = encode(&rows).unwrap().len() as f64 / rows.len() as f64;
        assert!(per_row < 40.0, "{per_row} bytes per row");
    }

    #[test]
    fn a_row_reads_back_as_it_will_from_its_sealed_block() {
        let rows = sample_rows(20);
        let sealed = decode(&encode(&rows).unwrap()).unwrap();
        for (row, from_block) in rows.iter().zip(&sealed) {
            let bytes = encode_row(row);
            assert!(bytes.len() < 120, "{} bytes for one open row", bytes.len());
            assert_eq!(&decode_row(&bytes).unwrap(), from_block);
        }
    }

    #[test]
    fn rows_written_against_their_first_row_read_back_as_from_their_sealed_block() {
        let mut rows = sample_rows(300);
        // Strings that differ from the anchor's, vanish, and return; a column the anchor
        // lacks (luminance is absent on even rows, so row 0 has none).
        rows[5].plugin_version = None;
        rows[6].plugin_version = Some("4.3.0-beta".into());
        rows[9].tel.vt_state = None;
        let anchor = Anchor::from_whole_row(&encode_row(&rows[0])).unwrap();
        let sealed = decode(&encode(&rows).unwrap()).unwrap();
        let mut total = 0;
        for (row, from_block) in rows.iter().zip(&sealed).skip(1) {
            let bytes = encode_row_against(row, &anchor);
            assert!(is_anchored(&bytes));
            total += bytes.len();
            assert_eq!(&decode_open_row(&bytes, Some(&anchor)).unwrap(), from_block);
        }
        let whole: usize = rows.iter().skip(1).map(|r| encode_row(r).len()).sum();
        assert!(total * 10 < whole * 6, "anchored rows {total} bytes, whole rows {whole}");
        // A whole row decodes with or without an anchor.
        assert_eq!(decode_open_row(&encode_row(&rows[0]), Some(&anchor)).unwrap(), sealed[0]);
        assert_eq!(decode_open_row(&encode_row(&rows[0]), None).unwrap(), sealed[0]);
    }

    #[test]
    fn damaged_or_unanchored_anchored_rows_error_instead_of_panicking() {
        let rows = sample_rows(8);
        let anchor = Anchor::from_whole_row(&encode_row(&rows[0])).unwrap();
        // Row 7 shares the anchor's vt state ("Looting").
        let bytes = encode_row_against(&rows[7], &anchor);
        assert!(decode_open_row(&bytes, None).is_err());
        for cut in 1..bytes.len() {
            assert!(decode_open_row(&bytes[..cut], Some(&anchor)).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_open_row(&longer, Some(&anchor)).is_err());
        let mut unknown_column = vec![ANCHORED_ROW_FORMAT_VERSION];
        push_varint(&mut unknown_column, 1 << 30);
        assert!(decode_open_row(&unknown_column, Some(&anchor)).is_err());
        // "Same string as the anchor" against an anchor without one.
        let mut bare = rows[0].clone();
        bare.tel.vt_state = None;
        assert!(decode_open_row(&bytes, Some(&Anchor::from_whole_row(&encode_row(&bare)).unwrap())).is_err());
        assert!(Anchor::from_whole_row(&bytes).is_err());
        assert!(Anchor::from_whole_row(&encode(&rows).unwrap()).is_err());
    }

    #[test]
    fn damaged_rows_error_instead_of_panicking() {
        let bytes = encode_row(&sample_rows(1)[0]);
        for cut in 0..bytes.len() {
            assert!(decode_row(&bytes[..cut]).is_err());
        }
        assert!(decode_row(&encode(&sample_rows(1)).unwrap()).is_err());
        let mut two = vec![ROW_FORMAT_VERSION];
        two.extend_from_slice(&encode_raw(&sample_rows(2)));
        assert!(decode_row(&two).is_err());
    }

    #[test]
    fn damaged_blocks_error_instead_of_panicking() {
        let bytes = encode(&sample_rows(10)).unwrap();
        for cut in 0..bytes.len() {
            let _ = decode(&bytes[..cut]);
        }
        let mut flipped = bytes.clone();
        flipped[5] ^= 0xFF;
        let _ = decode(&flipped);
        assert!(decode(&[]).is_err());
        assert!(decode(&[99, 1, 2]).is_err());
    }
}
