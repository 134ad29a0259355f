//! Making file-system changes durable: the directory fsync that makes a created, renamed
//! or removed file name survive a power cut. One definition for the journal, the day
//! files, the snapshots and backups.
//!
//! Owns only that. Never opens databases or decides what to write.

use std::fs::File;
use std::path::Path;

/// Makes a created, renamed or removed file name in `dir` durable. Best effort: some
/// file systems refuse to fsync a directory (the data itself was already fsynced by its
/// writer), so a refusal is logged at debug level, not raised.
pub fn sync_dir(dir: &Path) {
    match File::open(dir).and_then(|d| d.sync_all()) {
        Ok(()) => {}
        Err(e) => tracing::debug!(dir = %dir.display(), error = %e, "directory fsync refused"),
    }
}
