//! The append-only, checksummed journal: the commit point of every persisted write.
//!
//! An event is *committed* when the batch holding it has been appended here and
//! `fdatasync` has returned. redb files are materialized state rebuilt from the journal
//! after a crash (ARCHITECTURE.md, "The journals hold minutes, copies stay safe"). Append-only files copy safely:
//! a copy holds a prefix, and a torn tail fails its checksum and is dropped.
//!
//! Layout: `DIR/<first_seq:020>.seg`, each a run of records
//! `[len: u32 LE][crc32: u32 LE][seq: u64 LE][payload: len bytes]`, where the CRC covers
//! the seq and the payload. Sequence numbers are global, start at 1 and never repeat, and
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

#[derive(Debug)]
pub enum JournalError {
    Io { path: PathBuf, source: io::Error },
    RecordTooLarge(usize),
}

impl std::fmt::Display for JournalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JournalError::Io { path, source } => write!(f, "journal I/O on {}: {source}", path.display()),
            JournalError::RecordTooLarge(n) => write!(f, "journal record of {n} bytes exceeds {MAX_RECORD_BYTES}"),
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
        let scan = scan_segment(&mut file, &path, |_, _| {})?;
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
        self.buf.clear();
        for (i, p) in payloads.iter().enumerate() {
            let p = p.as_ref();
            if p.len() > MAX_RECORD_BYTES as usize {
                return Err(JournalError::RecordTooLarge(p.len()));
            }
            let seq = first + i as u64;
            let mut crc = crc32fast::Hasher::new();
            crc.update(&seq.to_le_bytes());
            crc.update(p);
            self.buf.extend_from_slice(&(p.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(&crc.finalize().to_le_bytes());
            self.buf.extend_from_slice(&seq.to_le_bytes());
            self.buf.extend_from_slice(p);
        }
        let result = self.file.write_all(&self.buf).and_then(|()| self.file.sync_data());
        if let Err(source) = result {
            // Undo a partial write so the file ends on a whole record again.
            let _ = self.file.set_len(self.good_len);
            let _ = self.file.seek(SeekFrom::Start(self.good_len));
            return Err(JournalError::Io { path: self.path.clone(), source });
        }
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
}

fn scan_segment(file: &mut File, path: &Path, mut f: impl FnMut(u64, &[u8])) -> Result<Scan, JournalError> {
    file.seek(SeekFrom::Start(0)).map_err(io_err(path))?;
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    let mut good_len = 0u64;
    let mut last_seq = None;
    let mut header = [0u8; HEADER_BYTES];
    let mut payload = Vec::new();
    loop {
        if read_full(&mut reader, &mut header).map_err(io_err(path))? < HEADER_BYTES {
            break;
        }
        let len = u32::from_le_bytes(header[0..4].try_into().unwrap_or_default());
        let crc = u32::from_le_bytes(header[4..8].try_into().unwrap_or_default());
        let seq = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        if len > MAX_RECORD_BYTES || last_seq.is_some_and(|l| seq != l + 1) {
            break;
        }
        payload.resize(len as usize, 0);
        if read_full(&mut reader, &mut payload).map_err(io_err(path))? < len as usize {
            break;
        }
        let mut h = crc32fast::Hasher::new();
        h.update(&seq.to_le_bytes());
        h.update(&payload);
        if h.finalize() != crc {
            break;
        }
        f(seq, &payload);
        last_seq = Some(seq);
        good_len += (HEADER_BYTES + len as usize) as u64;
    }
    Ok(Scan { good_len, last_seq })
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
        j.append_batch(&[b"good", b"flip"]).unwrap();
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
        let big = vec![7u8; 1024 * 1024];
        for _ in 0..70 {
            j.append_batch(&[&big]).unwrap();
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
        assert_eq!(g.bytes.load(Ordering::Relaxed), 2 * (HEADER_BYTES as u64 + 3));
        let (old, new) = (g.oldest_ms.load(Ordering::Relaxed), g.newest_ms.load(Ordering::Relaxed));
        assert!(new - old >= 80, "span {old}..{new}");
        j.trim_before(2).unwrap();
        assert_eq!(list_segments(tmp.path()).unwrap().len(), 1);
        assert_eq!(g.bytes.load(Ordering::Relaxed), HEADER_BYTES as u64 + 3);
        assert_eq!(collect(tmp.path(), 0), vec![(2, b"two".to_vec())]);
    }
}
