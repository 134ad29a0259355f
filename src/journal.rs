//! The append-only, checksummed journal: the commit point of every persisted write.
//!
//! An event is *committed* when the batch holding it has been appended here and
//! `fdatasync` has returned. redb files are materialized state rebuilt from the journal
//! after a crash (ARCHITECTURE.md, "The journals hold minutes, copies stay safe"). Append-only files copy safely:
//! a copy holds a prefix, and a torn tail fails its checksum and is dropped.
//!
//! Layout: `DIR/<first_seq:020>.seg`, each a run of frames, all with a 16-byte header
//! `[word: u32 LE][crc32: u32 LE][seq: u64 LE]` whose CRC covers the seq and the body:
//! - a *batch frame* (bit 31 of `word` set; the low bits are the body's length) holds the
//!   consecutive records `seq, seq+1, …` as `[count: u32 LE][raw_len: u32 LE][zstd]`, where
//!   the zstd frame decompresses to `raw_len` bytes of `[len: u32 LE][payload]` per record.
//!   Each frame is compressed with the last `HISTORY_BYTES` of the segment's record stream
//!   before it as a raw-content dictionary, so a batch of a few records still compresses
//!   like a long stream (telemetry ~150 → ~70 bytes a record) while a frame stays whole or
//!   absent, never half: a torn frame fails its CRC like a torn record;
//! - a *plain record* (bit 31 clear; `word` is the payload's length) holds one record,
//!   `seq`, uncompressed: what journals written before batch frames hold. Both read back
//!   alike, so an older data directory replays unchanged.
//!
//! Sequence numbers are global, start at 1 and never repeat, and
//! never go backwards relative to what the journal fed: the caller passes the highest seq
//! its files have applied (`JournalOptions::floor_seq`) and numbering continues past it,
//! in a fresh segment, when the journal itself ends earlier (deleted, truncated, or copied
//! before the files it fed). A segment holds consecutive seqs; segments may have gaps
//! between them. Segments also roll by age (`roll_after`) so trimming frees whole files
//! at the granularity a short journal window needs, and a fully covered current segment
//! is rolled away by `trim_before`, leaving an empty segment whose name keeps the numbering.
//! Owns: segment files, checksums, torn-tail repair, replay, trimming, and the size and
//! age span figures of `/metrics`. Never interprets payloads.

use crate::clock::now_ms;
use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A segment is closed and a new one started past this size, so trimming frees space in
/// steps small enough to matter and replay can skip whole files.
pub const SEGMENT_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// The largest payload a record may hold (an inventory frame is at most 4 MiB of JSON).
pub const MAX_RECORD_BYTES: u32 = 8 * 1024 * 1024;
const HEADER_BYTES: usize = 16;
/// Marks a batch frame in a header's first word (a plain record's length never has it).
const BATCH_FLAG: u32 = 1 << 31;
/// A batch frame's records, uncompressed, stop growing past this (a single record may be
/// larger, up to `MAX_RECORD_BYTES`, alone in its frame), bounding the memory a read needs.
const FRAME_RAW_TARGET: usize = 4 * 1024 * 1024;
/// The most a frame's records take uncompressed: one record of `MAX_RECORD_BYTES`.
const MAX_FRAME_RAW: usize = MAX_RECORD_BYTES as usize + 4;
/// The longest body a batch frame may have (zstd's worst case for `MAX_FRAME_RAW`, with room).
const MAX_FRAME_BODY: usize = 8 + MAX_FRAME_RAW + MAX_FRAME_RAW / 128 + 4096;
/// How much of a segment's record stream primes the next frame's compression. Larger
/// barely helps (the previous few batches hold the repeated names and layouts) and costs
/// loading time on every frame.
const HISTORY_BYTES: usize = 8 * 1024;
/// Leads every dictionary, so zstd always reads it as raw content: a dictionary starting
/// with zstd's own magic number would otherwise be parsed as a trained one.
const DICTIONARY_LEAD: &[u8; 8] = b"overlord";
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug)]
pub enum JournalError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    RecordTooLarge(usize),
    /// zstd failed on a batch (it fails only when it cannot allocate); nothing was written.
    Compress(String),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Io { path, source } => write!(f, "journal I/O on {}: {source}", path.display()),
            JournalError::RecordTooLarge(n) => write!(f, "journal record of {n} bytes exceeds {MAX_RECORD_BYTES}"),
            JournalError::Compress(e) => write!(f, "journal batch did not compress: {e}"),
        }
    }
}

impl std::error::Error for JournalError {}

impl JournalError {
    /// True when the failure is the disk being full (ingest pauses and retries).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, JournalError::Io { source, .. } if source.raw_os_error() == Some(28))
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
    move |source| JournalError::Io { path: path.to_path_buf(), source }
}

/// What opening found: how far the journal goes and whether a torn tail was cut off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    pub segments: usize,
    /// The last seq the journal itself held (0 when it held none).
    pub last_seq: u64,
    pub torn_bytes_dropped: u64,
    /// Set when the journal ended before `floor_seq`: the first seq new records get
    /// (`floor_seq + 1`). The seqs after `last_seq` up to the floor exist only in the files.
    pub numbered_past: Option<u64>,
}

/// How a journal is opened.
#[derive(Debug, Clone, Copy, Default)]
pub struct JournalOptions {
    /// The highest seq anything the journal fed has applied (day-file and state
    /// checkpoints, snapshot coverage). New records are numbered past it whatever the
    /// journal holds, so a record is never skipped as "already applied".
    pub floor_seq: u64,
    /// Start a new segment once the current one's oldest record is this old (whole
    /// segments are the unit of trimming). `None`: roll by size only.
    pub roll_after: Option<Duration>,
}

/// Live figures for `/metrics`: bytes on disk and the write-time span of the records held.
#[derive(Debug, Default)]
pub struct JournalGauge {
    pub bytes: AtomicU64,
    pub segments: AtomicU64,
    /// Unix ms the oldest held record was written (0 = the journal holds no record).
    pub oldest_ms: AtomicI64,
    /// Unix ms the newest held record was written (0 = none).
    pub newest_ms: AtomicI64,
    /// At open, how many seqs the files it fed had applied past the journal's end (the
    /// journal was shorter than its files); 0 when it was not.
    pub short_seqs: AtomicU64,
    /// At open, how many seqs the files still needed that the journal no longer held
    /// (set by the owner, which knows the files' checkpoints).
    pub missing_seqs: AtomicU64,
}

impl JournalGauge {
    /// Seconds between now and the oldest record held (0 when empty).
    pub fn oldest_age_s(&self, now_ms: i64) -> f64 {
        match self.oldest_ms.load(Ordering::Relaxed) {
            0 => 0.0,
            t => (now_ms - t).max(0) as f64 / 1000.0,
        }
    }

    /// Seconds between now and the newest record held (0 when empty).
    pub fn newest_age_s(&self, now_ms: i64) -> f64 {
        match self.newest_ms.load(Ordering::Relaxed) {
            0 => 0.0,
            t => (now_ms - t).max(0) as f64 / 1000.0,
        }
    }
}

/// One segment as the open journal tracks it.
#[derive(Debug, Clone)]
struct SegMeta {
    first_seq: u64,
    path: PathBuf,
    bytes: u64,
    /// Write times (unix ms) of its oldest and newest record; `None` while empty.
    oldest_ms: Option<i64>,
    newest_ms: Option<i64>,
}

pub struct Journal {
    dir: PathBuf,
    file: File,
    path: PathBuf,
    /// Bytes of whole, checksummed records in the current segment.
    good_len: u64,
    next_seq: u64,
    buf: Vec<u8>,
    /// Every segment on disk, oldest first; the last is the current one.
    segs: VecDeque<SegMeta>,
    roll_after: Option<Duration>,
    gauge: Arc<JournalGauge>,
    /// The current segment's record stream so far (its tail), priming the next frame.
    history: History,
    codec: FrameEncoder,
}

fn mtime_ms(path: &Path) -> Option<i64> {
    let modified = fs::metadata(path).ok()?.modified().ok()?;
    let d = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(d.as_millis() as i64)
}

impl Journal {
    /// Opens (creating if needed) the journal in `dir`, cutting off a torn tail of the
    /// newest segment so appends continue after the last whole record.
    #[cfg(test)]
    pub fn open(dir: &Path) -> Result<(Journal, OpenReport), JournalError> {
        Journal::open_with(dir, JournalOptions::default())
    }

    /// Opens the journal numbering past `opts.floor_seq` (see [`JournalOptions`]).
    pub fn open_with(dir: &Path, opts: JournalOptions) -> Result<(Journal, OpenReport), JournalError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let segments = list_segments(dir)?;
        let mut report = OpenReport { segments: segments.len(), ..OpenReport::default() };
        let (path, first_seq) = match segments.last() {
            Some((first, path)) => (path.clone(), *first),
            None => (segment_path(dir, 1), 1),
        };
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        let mut scan = scan_segment(&mut file, &path, |_, _| {})?;
        let file_len = file.metadata().map_err(io_err(&path))?.len();
        if scan.good_len < file_len {
            report.torn_bytes_dropped = file_len - scan.good_len;
            file.set_len(scan.good_len).map_err(io_err(&path))?;
            file.sync_data().map_err(io_err(&path))?;
        }
        file.seek(SeekFrom::Start(scan.good_len)).map_err(io_err(&path))?;
        let last_seq = scan.last_seq.unwrap_or(first_seq.saturating_sub(1));
        report.last_seq = last_seq;
        if segments.is_empty() {
            crate::durable::sync_dir(dir);
        }
        // What each segment holds, for trimming and the gauge. Write times are not in the
        // format: a segment's records were written after the previous segment's last write
        // and up to its own (file modification times).
        let mut segs = VecDeque::new();
        let listed: Vec<(u64, PathBuf)> =
            if segments.is_empty() { vec![(first_seq, path.clone())] } else { segments.clone() };
        let mut prev_mtime = None;
        for (i, (first, p)) in listed.iter().enumerate() {
            let bytes =
                if i + 1 == listed.len() { scan.good_len } else { fs::metadata(p).map(|m| m.len()).unwrap_or(0) };
            let mtime = mtime_ms(p);
            let (oldest_ms, newest_ms) = if bytes == 0 { (None, None) } else { (prev_mtime.or(mtime), mtime) };
            prev_mtime = mtime.or(prev_mtime);
            segs.push_back(SegMeta { first_seq: *first, path: p.clone(), bytes, oldest_ms, newest_ms });
        }
        let mut journal = Journal {
            dir: dir.to_path_buf(),
            file,
            path,
            good_len: scan.good_len,
            next_seq: last_seq + 1,
            buf: Vec::new(),
            segs,
            roll_after: opts.roll_after,
            gauge: Arc::new(JournalGauge::default()),
            history: std::mem::take(&mut scan.history),
            codec: FrameEncoder::new()?,
        };
        if opts.floor_seq > last_seq {
            // The journal ends before what its files applied: continue numbering past them in
            // a fresh segment (a segment holds consecutive seqs only).
            journal.next_seq = opts.floor_seq + 1;
            journal.roll_segment()?;
            report.numbered_past = Some(journal.next_seq);
            journal.gauge.short_seqs.store(opts.floor_seq - last_seq, Ordering::Relaxed);
        }
        journal.publish();
        Ok((journal, report))
    }

    /// The figures `/metrics` shows; updated by every append, roll and trim.
    pub fn gauge(&self) -> Arc<JournalGauge> {
        self.gauge.clone()
    }

    /// The first seq a record held on disk has, if any.
    pub fn first_held_seq(&self) -> Option<u64> {
        self.segs.iter().find(|s| s.bytes > 0).map(|s| s.first_seq)
    }

    fn publish(&self) {
        let g = &self.gauge;
        g.bytes.store(self.segs.iter().map(|s| s.bytes).sum(), Ordering::Relaxed);
        g.segments.store(self.segs.len() as u64, Ordering::Relaxed);
        g.oldest_ms.store(self.segs.iter().find_map(|s| s.oldest_ms).unwrap_or(0), Ordering::Relaxed);
        g.newest_ms.store(self.segs.iter().rev().find_map(|s| s.newest_ms).unwrap_or(0), Ordering::Relaxed);
    }

    fn current_meta(&mut self) -> Option<&mut SegMeta> {
        self.segs.back_mut()
    }

    /// The sequence number the next appended record gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends `payloads` as consecutive records and makes them durable. Returns the seq of
    /// the first one. On failure nothing of the batch counts: the segment is cut back to
    /// its last whole record, so a retry after the disk frees up appends cleanly.
    pub fn append_batch<P: AsRef<[u8]>>(&mut self, payloads: &[P]) -> Result<u64, JournalError> {
        let now = now_ms();
        let aged = match (self.roll_after, self.segs.back().and_then(|s| s.oldest_ms)) {
            (Some(after), Some(oldest)) => now - oldest >= after.as_millis() as i64,
            _ => false,
        };
        if self.good_len >= SEGMENT_MAX_BYTES || (aged && self.good_len > 0) {
            self.roll_segment()?;
        }
        let first = self.next_seq;
        if let Some(p) = payloads.iter().find(|p| p.as_ref().len() > MAX_RECORD_BYTES as usize) {
            return Err(JournalError::RecordTooLarge(p.as_ref().len()));
        }
        self.buf.clear();
        // The history changes only once the batch is durable: a failed append is retried
        // against the same stream.
        let mut history = self.history.clone();
        self.codec.encode(&mut history, first, payloads, &mut self.buf)?;
        let result = self.file.write_all(&self.buf).and_then(|()| self.file.sync_data());
        if let Err(source) = result {
            // Undo a partial write so the file ends on a whole frame again.
            let _ = self.file.set_len(self.good_len);
            let _ = self.file.seek(SeekFrom::Start(self.good_len));
            return Err(JournalError::Io { path: self.path.clone(), source });
        }
        self.history = history;
        self.good_len += self.buf.len() as u64;
        self.next_seq += payloads.len() as u64;
        let added = self.buf.len() as u64;
        if let Some(cur) = self.current_meta() {
            cur.bytes += added;
            cur.oldest_ms.get_or_insert(now);
            cur.newest_ms = Some(now);
        }
        if self.buf.capacity() > 4 * SEGMENT_MAX_BYTES as usize / 16 {
            self.buf = Vec::new();
        }
        self.publish();
        Ok(first)
    }

    fn roll_segment(&mut self) -> Result<(), JournalError> {
        let path = segment_path(&self.dir, self.next_seq);
        let file =
            OpenOptions::new().create(true).read(true).write(true).truncate(true).open(&path).map_err(io_err(&path))?;
        crate::durable::sync_dir(&self.dir);
        self.file = file;
        self.path = path.clone();
        self.good_len = 0;
        self.history = History::default();
        // Re-rolling onto the same name (an empty segment) replaces its entry.
        if self.segs.back().is_some_and(|s| s.path == path) {
            self.segs.pop_back();
        }
        self.segs.push_back(SegMeta { first_seq: self.next_seq, path, bytes: 0, oldest_ms: None, newest_ms: None });
        Ok(())
    }

    /// Deletes whole segments all of whose records have `seq < keep_from` (they are
    /// covered by a durable checkpoint). When every record is covered, the current segment
    /// is rolled first (an empty segment named for the next seq stays, so numbering
    /// survives a restart) and deleted too.
    pub fn trim_before(&mut self, keep_from: u64) -> Result<usize, JournalError> {
        if self.good_len > 0 && self.next_seq <= keep_from {
            self.roll_segment()?;
        }
        let mut removed = 0;
        while self.segs.len() >= 2 {
            let next_first = self.segs[1].first_seq;
            if next_first > keep_from {
                break;
            }
            let Some(old) = self.segs.pop_front() else { break };
            match fs::remove_file(&old.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    self.segs.push_front(old.clone());
                    return Err(JournalError::Io { path: old.path, source: e });
                }
            }
            removed += 1;
        }
        if removed > 0 {
            crate::durable::sync_dir(&self.dir);
            self.publish();
        }
        Ok(removed)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// What a replay or verification saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Segments that ended in bytes that are not a whole record (a torn tail in a copy).
    pub torn_segments: usize,
    pub bytes: u64,
}

/// Reads every whole record with `seq > after` in order, read-only (safe on a copy and on
/// a live journal). Stops each segment at its first bad record.
pub fn replay(dir: &Path, after: u64, mut f: impl FnMut(u64, &[u8])) -> Result<ReplayReport, JournalError> {
    let mut report = ReplayReport::default();
    if !dir.exists() {
        return Ok(report);
    }
    let segments = list_segments(dir)?;
    for (i, (_, path)) in segments.iter().enumerate() {
        // Skip a segment when the next one starts at or before `after + 1`.
        if let Some((next_first, _)) = segments.get(i + 1)
            && *next_first <= after + 1
        {
            continue;
        }
        let mut file = File::open(path).map_err(io_err(path))?;
        let len = file.metadata().map_err(io_err(path))?.len();
        let scan = scan_segment(&mut file, path, |seq, payload| {
            if seq > after {
                report.records += 1;
                report.bytes += payload.len() as u64;
                report.first_seq.get_or_insert(seq);
                report.last_seq = Some(seq);
                f(seq, payload);
            }
        })?;
        if scan.good_len < len {
            report.torn_segments += 1;
        }
    }
    Ok(report)
}

struct Scan {
    good_len: u64,
    last_seq: Option<u64>,
    /// The segment's record stream up to `good_len` (what primes an appended frame).
    history: History,
}

/// Reads a segment's whole frames in order, handing each record to `f`, and stops at the
/// first frame that is not whole and valid (short, a bad CRC, a seq out of order, a body
/// that does not decode to what its header says): a torn tail or damage, dropped.
fn scan_segment(file: &mut File, path: &Path, mut f: impl FnMut(u64, &[u8])) -> Result<Scan, JournalError> {
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    let mut scan = Scan { good_len: 0, last_seq: None, history: History::default() };
    let mut decoder = FrameDecoder::new()?;
    let mut header = [0u8; HEADER_BYTES];
    let mut body = Vec::new();
    loop {
        if read_full(&mut reader, &mut header).map_err(io_err(path))? < HEADER_BYTES {
            break;
        }
        let word = u32::from_le_bytes(header[0..4].try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
        let seq = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        let batch = word & BATCH_FLAG != 0;
        let len = (word & !BATCH_FLAG) as usize;
        let too_long = if batch { len > MAX_FRAME_BODY } else { len > MAX_RECORD_BYTES as usize };
        if too_long || scan.last_seq.is_some_and(|l| seq != l + 1) {
            break;
        }
        body.resize(len, 0);
        if read_full(&mut reader, &mut body).map_err(io_err(path))? < len {
            break;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&seq.to_le_bytes());
        h.update(&body);
        if h.finalize() != crc {
            break;
        }
        if batch {
            let Some(records) = decoder.decode(&scan.history, &body) else { break };
            for (i, payload) in records.iter().enumerate() {
                f(seq + i as u64, payload);
                scan.history.push(payload);
            }
            scan.last_seq = Some(seq + records.len() as u64 - 1);
        } else {
            f(seq, &body);
            scan.history.push(&body);
            scan.last_seq = Some(seq);
        }
        scan.good_len += (HEADER_BYTES + len) as u64;
    }
    Ok(scan)
}

/// The tail of a segment's record stream (`[len: u32 LE][payload]` per record, in seq
/// order): the dictionary of the segment's next batch frame. Writer and reader keep it the
/// same way, so both derive the same dictionary for every frame.
#[derive(Debug, Default, Clone)]
struct History(Vec<u8>);

impl History {
    fn push(&mut self, payload: &[u8]) {
        if payload.len() >= HISTORY_BYTES {
            // Only the last HISTORY_BYTES of the stream count: this payload's own tail.
            self.0.clear();
            self.0.extend_from_slice(&payload[payload.len() - HISTORY_BYTES..]);
            return;
        }
        self.0.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        self.0.extend_from_slice(payload);
        if self.0.len() > 4 * HISTORY_BYTES {
            let cut = self.0.len() - HISTORY_BYTES;
            self.0.drain(..cut);
        }
    }

    fn dictionary(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(DICTIONARY_LEAD);
        out.extend_from_slice(&self.0[self.0.len().saturating_sub(HISTORY_BYTES)..]);
    }
}

/// Writes batch frames (see the module header).
struct FrameEncoder {
    zstd: zstd::bulk::Compressor<'static>,
    dictionary: Vec<u8>,
    raw: Vec<u8>,
}

impl FrameEncoder {
    fn new() -> Result<Self, JournalError> {
        let zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(|e| JournalError::Compress(e.to_string()))?;
        Ok(FrameEncoder { zstd, dictionary: Vec::new(), raw: Vec::new() })
    }

    /// Appends `payloads`, numbered from `first`, to `out` as one or more batch frames
    /// (records are grouped up to `FRAME_RAW_TARGET`), advancing `history` past them.
    fn encode<P: AsRef<[u8]>>(
        &mut self,
        history: &mut History,
        first: u64,
        payloads: &[P],
        out: &mut Vec<u8>,
    ) -> Result<(), JournalError> {
        let mut start = 0;
        while start < payloads.len() {
            self.raw.clear();
            let mut end = start;
            while let Some(p) = payloads.get(end).map(AsRef::as_ref) {
                if end > start && self.raw.len() + 4 + p.len() > FRAME_RAW_TARGET {
                    break;
                }
                self.raw.extend_from_slice(&(p.len() as u32).to_le_bytes());
                self.raw.extend_from_slice(p);
                end += 1;
            }
            history.dictionary(&mut self.dictionary);
            let compress = |z: &mut zstd::bulk::Compressor<'static>, dict: &[u8], raw: &[u8]| {
                z.set_dictionary(ZSTD_LEVEL, dict)?;
                z.compress(raw)
            };
            let compressed = compress(&mut self.zstd, &self.dictionary, &self.raw)
                .map_err(|e| JournalError::Compress(e.to_string()))?;
            let body_len = 8 + compressed.len();
            if body_len > MAX_FRAME_BODY {
                return Err(JournalError::Compress(format!("a frame of {body_len} bytes exceeds {MAX_FRAME_BODY}")));
            }
            let seq = first + start as u64;
            let count = ((end - start) as u32).to_le_bytes();
            let raw_len = (self.raw.len() as u32).to_le_bytes();
            let mut crc = crc32fast::Hasher::new();
            crc.update(&seq.to_le_bytes());
            crc.update(&count);
            crc.update(&raw_len);
            crc.update(&compressed);
            out.extend_from_slice(&(BATCH_FLAG | body_len as u32).to_le_bytes());
            out.extend_from_slice(&crc.finalize().to_le_bytes());
            out.extend_from_slice(&seq.to_le_bytes());
            out.extend_from_slice(&count);
            out.extend_from_slice(&raw_len);
            out.extend_from_slice(&compressed);
            for p in &payloads[start..end] {
                history.push(p.as_ref());
            }
            start = end;
        }
        if self.raw.capacity() > FRAME_RAW_TARGET {
            self.raw = Vec::new();
        }
        Ok(())
    }
}

/// Reads batch frames back.
struct FrameDecoder {
    zstd: zstd::bulk::Decompressor<'static>,
    dictionary: Vec<u8>,
}

impl FrameDecoder {
    fn new() -> Result<Self, JournalError> {
        let zstd = zstd::bulk::Decompressor::new().map_err(|e| JournalError::Compress(e.to_string()))?;
        Ok(FrameDecoder { zstd, dictionary: Vec::new() })
    }

    /// A checksummed batch frame's records, or `None` when its body does not decode to
    /// exactly what it declares (a bug or damage the CRC missed: the segment ends there).
    fn decode(&mut self, history: &History, body: &[u8]) -> Option<Vec<Vec<u8>>> {
        let count = u32::from_le_bytes(body.get(0..4)?.try_into().ok()?) as usize;
        let raw_len = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?) as usize;
        if count == 0 || raw_len > MAX_FRAME_RAW || count > raw_len / 4 {
            return None;
        }
        history.dictionary(&mut self.dictionary);
        self.zstd.set_dictionary(&self.dictionary).ok()?;
        let raw = self.zstd.decompress(&body[8..], raw_len).ok()?;
        if raw.len() != raw_len {
            return None;
        }
        let mut records = Vec::with_capacity(count);
        let mut at = 0usize;
        while records.len() < count {
            let len = u32::from_le_bytes(raw.get(at..at + 4)?.try_into().ok()?) as usize;
            if len > MAX_RECORD_BYTES as usize {
                return None;
            }
            records.push(raw.get(at + 4..at + 4 + len)?.to_vec());
            at += 4 + len;
        }
        (at == raw.len()).then_some(records)
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.seg"))
}

fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else { continue };
        if let Ok(first) = stem.parse::<u64>() {
            out.push((first, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(dir: &Path, after: u64) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        replay(dir, after, |s, p| out.push((s, p.to_vec()))).unwrap();
        out
    }

    #[test]
    fn appended_records_replay_in_order_after_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, report) = Journal::open(tmp.path()).unwrap();
        assert_eq!(report.last_seq, 0);
        assert_eq!(j.append_batch(&[b"a".as_slice(), b"bb"]).unwrap(), 1);
        assert_eq!(j.append_batch(&[b"ccc"]).unwrap(), 3);
        drop(j);
        let (j, report) = Journal::open(tmp.path()).unwrap();
        assert_eq!(report.last_seq, 3);
        assert_eq!(j.next_seq(), 4);
        assert_eq!(collect(tmp.path(), 1), vec![(2, b"bb".to_vec()), (3, b"ccc".to_vec())]);
    }

    /// A record as journals wrote them before batch frames (`[len][crc][seq][payload]`).
    fn append_plain(path: &Path, seq: u64, payload: &[u8]) {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&seq.to_le_bytes());
        crc.update(payload);
        let mut f = OpenOptions::new().create(true).append(true).open(path).unwrap();
        f.write_all(&(payload.len() as u32).to_le_bytes()).unwrap();
        f.write_all(&crc.finalize().to_le_bytes()).unwrap();
        f.write_all(&seq.to_le_bytes()).unwrap();
        f.write_all(payload).unwrap();
    }

    /// Bytes that do not compress (xorshift), so a frame is as large as its records.
    fn noise(n: usize, seed: u64) -> Vec<u8> {
        let mut x = 0x2545_f491_4f6c_dd1du64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Telemetry-like records: the same names and layout, numbers that drift.
    fn records(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"character\":\"Character {}\",\"ew\":{:.5},\"ns\":{:.5},\"kills\":{},\"vt_state\":\"Combat\"}}",
                    i % 7,
                    12.5 + (i as f64 * 0.37).sin(),
                    -40.25 + (i as f64 * 0.11).cos(),
                    i * 3
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn plain_records_of_an_older_journal_replay_and_appends_continue_after_them() {
        let tmp = tempfile::tempdir().unwrap();
        let seg = segment_path(tmp.path(), 1);
        let old = records(5);
        for (i, r) in old.iter().enumerate() {
            append_plain(&seg, i as u64 + 1, r);
        }
        let (mut j, report) = Journal::open(tmp.path()).unwrap();
        assert_eq!((report.last_seq, report.torn_bytes_dropped), (5, 0));
        let new = records(12);
        assert_eq!(j.append_batch(&new[5..]).unwrap(), 6);
        drop(j);
        let got: Vec<Vec<u8>> = collect(tmp.path(), 0).into_iter().map(|(_, p)| p).collect();
        let want: Vec<Vec<u8>> = old.into_iter().chain(new[5..].iter().cloned()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn batches_compress_and_read_back_the_same_across_reopens() {
        let tmp = tempfile::tempdir().unwrap();
        let all = records(600);
        for chunk in all.chunks(150) {
            // Reopening rebuilds the stream history the next frame's dictionary comes from.
            let (mut j, _) = Journal::open(tmp.path()).unwrap();
            for batch in chunk.chunks(10) {
                j.append_batch(batch).unwrap();
            }
        }
        let got: Vec<Vec<u8>> = collect(tmp.path(), 0).into_iter().map(|(_, p)| p).collect();
        assert_eq!(got, all);
        let raw: usize = all.iter().map(|r| r.len() + HEADER_BYTES).sum();
        let disk = fs::metadata(segment_path(tmp.path(), 1)).unwrap().len() as usize;
        assert!(disk * 2 < raw, "{disk} bytes on disk for {raw} bytes of plain records");
    }

    #[test]
    fn large_batches_split_into_frames_and_a_record_of_the_largest_size_fits() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        // Incompressible bytes, so frames really are as large as their records.
        let batch = vec![noise(3 << 20, 1), noise(3 << 20, 2), noise(10, 3), noise(MAX_RECORD_BYTES as usize, 4)];
        assert_eq!(j.append_batch(&batch).unwrap(), 1);
        assert!(matches!(
            j.append_batch(&[vec![0u8; MAX_RECORD_BYTES as usize + 1]]),
            Err(JournalError::RecordTooLarge(_))
        ));
        j.append_batch(&[b"after"]).unwrap();
        drop(j);
        let got: Vec<Vec<u8>> = collect(tmp.path(), 0).into_iter().map(|(_, p)| p).collect();
        assert_eq!(got.len(), 5);
        assert!(got[..4] == batch[..], "every record of the split batch reads back");
        assert_eq!(got[4], b"after");
    }

    #[test]
    fn a_copy_cut_anywhere_holds_exactly_the_frames_written_whole_before_the_cut() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        let all = records(40);
        // Where each frame ends, and how many records the journal holds up to there.
        let mut ends = vec![(0u64, 0usize)];
        for (i, batch) in all.chunks(4).enumerate() {
            j.append_batch(batch).unwrap();
            ends.push((j.good_len, 4 * (i + 1)));
        }
        let path = j.path.clone();
        drop(j);
        let bytes = fs::read(&path).unwrap();
        let copy = tempfile::tempdir().unwrap();
        for cut in 0..=bytes.len() {
            fs::write(segment_path(copy.path(), 1), &bytes[..cut]).unwrap();
            let whole = ends.iter().filter(|(end, _)| *end as usize <= cut).map(|(_, n)| *n).max().unwrap_or(0);
            let got: Vec<Vec<u8>> = collect(copy.path(), 0).into_iter().map(|(_, p)| p).collect();
            assert_eq!(got, all[..whole], "cut at byte {cut}");
        }
    }

    #[test]
    fn torn_tail_is_dropped_and_appends_continue() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        j.append_batch(&[b"one", b"two"]).unwrap();
        let path = j.path.clone();
        drop(j);
        // A crash mid-write: half a record, then garbage.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2, 3]).unwrap();
        drop(f);
        assert_eq!(collect(tmp.path(), 0).len(), 2);
        let (mut j, report) = Journal::open(tmp.path()).unwrap();
        assert_eq!(report.torn_bytes_dropped, 7);
        assert_eq!(j.append_batch(&[b"three"]).unwrap(), 3);
        assert_eq!(collect(tmp.path(), 0).len(), 3);
    }

    #[test]
    fn a_flipped_bit_ends_the_segment_at_the_last_good_record() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        j.append_batch(&[b"good"]).unwrap();
        j.append_batch(&[b"flip"]).unwrap();
        let path = j.path.clone();
        drop(j);
        let mut bytes = fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        fs::write(&path, bytes).unwrap();
        assert_eq!(collect(tmp.path(), 0), vec![(1, b"good".to_vec())]);
    }

    #[test]
    fn trimming_keeps_every_record_not_yet_checkpointed() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        for i in 0..70 {
            j.append_batch(&[noise(1024 * 1024, i)]).unwrap();
        }
        assert!(list_segments(tmp.path()).unwrap().len() >= 2);
        j.trim_before(65).unwrap();
        let left = collect(tmp.path(), 0);
        assert!(left.first().unwrap().0 <= 65);
        assert_eq!(left.last().unwrap().0, 70);
    }

    #[test]
    fn numbering_continues_past_the_floor_when_the_journal_ends_before_it() {
        let tmp = tempfile::tempdir().unwrap();
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        j.append_batch(&[b"a", b"b", b"c"]).unwrap();
        drop(j);
        // The files it fed had applied up to 10: the journal lost 4..=10 (or never held them).
        let opts = JournalOptions { floor_seq: 10, roll_after: None };
        let (mut j, report) = Journal::open_with(tmp.path(), opts).unwrap();
        assert_eq!(report.last_seq, 3);
        assert_eq!(report.numbered_past, Some(11));
        assert_eq!(j.gauge().short_seqs.load(Ordering::Relaxed), 7);
        assert_eq!(j.append_batch(&[b"d"]).unwrap(), 11);
        drop(j);
        let seqs: Vec<u64> = collect(tmp.path(), 0).into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, vec![1, 2, 3, 11], "both segments replay, across the gap");
        let (j, report) = Journal::open(tmp.path()).unwrap();
        assert_eq!((report.last_seq, j.next_seq()), (11, 12));
    }

    #[test]
    fn an_empty_or_deleted_journal_still_numbers_past_the_floor() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = JournalOptions { floor_seq: 150, roll_after: None };
        let (mut j, report) = Journal::open_with(tmp.path(), opts).unwrap();
        assert_eq!(report.numbered_past, Some(151));
        assert_eq!(j.append_batch(&[b"x"]).unwrap(), 151);
        // Fully trimmed: the empty segment left behind keeps the numbering without a floor.
        j.trim_before(152).unwrap();
        assert_eq!(collect(tmp.path(), 0).len(), 0);
        assert_eq!(j.gauge().bytes.load(Ordering::Relaxed), 0);
        assert_eq!(j.gauge().oldest_ms.load(Ordering::Relaxed), 0);
        drop(j);
        let (mut j, _) = Journal::open(tmp.path()).unwrap();
        assert_eq!(j.append_batch(&[b"y"]).unwrap(), 152);
    }

    #[test]
    fn segments_roll_by_age_and_the_gauge_tracks_size_and_span() {
        let tmp = tempfile::tempdir().unwrap();
        let opts = JournalOptions { floor_seq: 0, roll_after: Some(Duration::from_millis(50)) };
        let (mut j, _) = Journal::open_with(tmp.path(), opts).unwrap();
        j.append_batch(&[b"one"]).unwrap();
        std::thread::sleep(Duration::from_millis(80));
        j.append_batch(&[b"two"]).unwrap();
        assert_eq!(list_segments(tmp.path()).unwrap().len(), 2, "the aged segment rolled");
        let g = j.gauge();
        let sizes: Vec<u64> =
            list_segments(tmp.path()).unwrap().iter().map(|(_, p)| fs::metadata(p).unwrap().len()).collect();
        assert_eq!(g.bytes.load(Ordering::Relaxed), sizes.iter().sum::<u64>());
        let (old, new) = (g.oldest_ms.load(Ordering::Relaxed), g.newest_ms.load(Ordering::Relaxed));
        assert!(new - old >= 80, "span {old}..{new}");
        j.trim_before(2).unwrap();
        assert_eq!(list_segments(tmp.path()).unwrap().len(), 1);
        assert_eq!(g.bytes.load(Ordering::Relaxed), sizes[1]);
        assert_eq!(collect(tmp.path(), 0), vec![(2, b"two".to_vec())]);
    }
}
