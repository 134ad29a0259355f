//! The staging area `DATA/import/staging/`: decoded rows partitioned by UTC day and by
//! character bucket, so a day can be written whole with only one bucket's rows in memory.
//!
//! The old tables arrive in any order (a JSONL dump, a COPY without ORDER BY), while a day
//! file must be written once, whole. Phase 1 appends every decoded row to the partition
//! file of its (day, character id % `BUCKETS`); phase 2 reads one partition at a time.
//! Staging is scratch: deleted at the start and the end of every import, never read by the
//! server. Never writes anything outside its directory.

use super::ImportError;
use crate::telemetry::Persisted;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Partitions per day. Memory in phase 2 is one partition: a day's rows / `BUCKETS`
/// (a 600-character day of ~35 M rows is ~550 k rows, ~150 MB decoded; a 60-character
/// group's day is a few MB).
pub const BUCKETS: u32 = 64;
/// Partition files kept open at once (each with a 64 KiB buffer): time-ordered input
/// touches a day's buckets at a time, so this rarely closes anything.
const MAX_OPEN: usize = 256;
const WRITE_BUFFER: usize = 64 * 1024;
/// A staged record larger than this is damage, not data (the largest is a 64 KiB document).
const MAX_RECORD_BYTES: u32 = 1024 * 1024;

/// One decoded row as staged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Staged {
    pub id: u32,
    pub t: i64,
    pub plugin_version: Option<String>,
    pub event: Persisted,
    /// Arrival order, so equal times keep the source's order (deterministic reruns).
    pub order: u64,
}

pub struct Stage {
    dir: PathBuf,
    open: HashMap<(i64, u32), BufWriter<File>>,
    /// Rows per day.
    days: BTreeMap<i64, u64>,
    next_order: u64,
}

impl Stage {
    /// A fresh, empty staging directory under `data_dir/import/`.
    pub fn create(data_dir: &Path) -> Result<Stage, ImportError> {
        let dir = data_dir.join("import").join("staging");
        remove_dir(&dir)?;
        std::fs::create_dir_all(&dir).map_err(|e| ImportError::io(&dir, e))?;
        Ok(Stage { dir, open: HashMap::new(), days: BTreeMap::new(), next_order: 0 })
    }

    pub fn push(
        &mut self,
        day: i64,
        id: u32,
        t: i64,
        plugin_version: Option<String>,
        event: Persisted,
    ) -> Result<(), ImportError> {
        let rec = Staged { id, t, plugin_version, event, order: self.next_order };
        self.next_order += 1;
        let bytes = bincode::serde::encode_to_vec(&rec, bincode::config::standard())
            .map_err(|e| ImportError::Internal(format!("staging encode: {e}")))?;
        let key = (day, id % BUCKETS);
        if !self.open.contains_key(&key) && self.open.len() >= MAX_OPEN {
            self.close_all()?;
        }
        let w = match self.open.entry(key) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let path = self.dir.join(format!("{}-{}.bin", day, key.1));
                let f =
                    OpenOptions::new().create(true).append(true).open(&path).map_err(|e| ImportError::io(&path, e))?;
                v.insert(BufWriter::with_capacity(WRITE_BUFFER, f))
            }
        };
        let io = |e| ImportError::io(&self.dir, e);
        w.write_all(&(bytes.len() as u32).to_le_bytes()).map_err(io)?;
        w.write_all(&bytes).map_err(io)?;
        *self.days.entry(day).or_insert(0) += 1;
        Ok(())
    }

    /// Flushes every partition; call before reading.
    pub fn close_all(&mut self) -> Result<(), ImportError> {
        for (_, mut w) in self.open.drain() {
            w.flush().map_err(|e| ImportError::io(&self.dir, e))?;
        }
        Ok(())
    }

    /// The staging directory (other scratch, such as spilled items, may live under it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Days with staged rows and their row counts, ascending.
    pub fn days(&self) -> &BTreeMap<i64, u64> {
        &self.days
    }

    /// One partition's rows, in arrival order.
    pub fn read(&self, day: i64, bucket: u32) -> Result<Vec<Staged>, ImportError> {
        let path = self.dir.join(format!("{day}-{bucket}.bin"));
        let f = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(ImportError::io(&path, e)),
        };
        let mut r = BufReader::with_capacity(WRITE_BUFFER, f);
        let mut out = Vec::new();
        let mut len = [0u8; 4];
        let mut buf = Vec::new();
        loop {
            match r.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(ImportError::io(&path, e)),
            }
            let n = u32::from_le_bytes(len);
            if n > MAX_RECORD_BYTES {
                return Err(ImportError::Internal(format!("{} holds a damaged record", path.display())));
            }
            buf.resize(n as usize, 0);
            r.read_exact(&mut buf).map_err(|e| ImportError::io(&path, e))?;
            let (rec, _) = bincode::serde::decode_from_slice::<Staged, _>(&buf, bincode::config::standard())
                .map_err(|e| ImportError::Internal(format!("{}: {e}", path.display())))?;
            out.push(rec);
        }
        Ok(out)
    }

    /// Deletes the staging directory.
    pub fn remove(mut self) -> Result<(), ImportError> {
        self.open.clear();
        remove_dir(&self.dir)
    }
}

fn remove_dir(dir: &Path) -> Result<(), ImportError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ImportError::io(dir, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Place, Spawn};

    #[test]
    fn partitions_round_trip_in_arrival_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Stage::create(dir.path()).expect("stage");
        let ev = |n: &str| {
            Persisted::Spawn(Spawn { monster_name: n.into(), object_id: None, wcid: None, place: Place::default() })
        };
        s.push(20_000, 3, 5, None, ev("b")).expect("push");
        s.push(20_000, 3, 1, Some("4.2".into()), ev("a")).expect("push");
        s.push(20_001, 3 + BUCKETS, 9, None, ev("c")).expect("push");
        s.close_all().expect("flush");
        let rows = s.read(20_000, 3).expect("read");
        assert_eq!(rows.iter().map(|r| r.t).collect::<Vec<_>>(), vec![5, 1]);
        assert_eq!(rows[1].plugin_version.as_deref(), Some("4.2"));
        assert_eq!(s.read(20_001, 3).expect("read").len(), 1);
        assert!(s.read(20_002, 0).expect("missing partition").is_empty());
        assert_eq!(s.days().get(&20_000), Some(&2));
        s.remove().expect("remove");
        assert!(!dir.path().join("import/staging").exists());
    }
}
