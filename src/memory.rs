//! The process's memory budget: the configured size of every cache, the allocator's
//! tuning, and the resident-memory figures `/metrics` reports.
//!
//! Owns `STATE_CACHE_BYTES` (the page cache of `state.redb`), the socket read buffer and
//! large-frame decode limits, the glibc allocator settings applied at start
//! ([`tune_allocator`]), and reading the process's RSS from `/proc`. Never allocates on a
//! cache's behalf and never decides what a cache holds: each cache's owner enforces its
//! limit. The list of every cache with its size is `crate::budget` (it names the other
//! modules' limits, so it sits above them; this module stays a leaf).
//!
//! Why these sizes: redb's default page cache is 1 GiB *per database*, and a reindex walks
//! all of `state.redb` through it, so an unsized `Builder` lets a 750k-item store pull
//! hundreds of MB into the cache. redb reads through its cache only for pages it needs;
//! past the limit it evicts, and the OS page cache still holds the file, so a small cache
//! costs a few µs per miss, not a disk read. `scripts/footprint.sh` measures the result;
//! `cargo bench --bench storage` and `--bench search` use the same state.redb cache and
//! allocator settings as the server, so they show any cost of these sizes.

use std::path::Path;

/// Page cache of `state.redb` (items, characters, users, sessions, notes). Item writes
/// touch a few hundred pages per inventory dump; searches never read it (tantivy's index
/// holds what a result needs), and a reindex streams it once.
pub const STATE_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Read buffer of each WebSocket (tungstenite's default is 128 KiB, allocated per socket for
/// its lifetime: 75 MiB at 600 plugins). Plugin frames are mostly under 1 KiB. A large
/// frame (an inventory dump) grows the buffer to its size; the plugin socket lets that
/// memory go once it has read past the frame (`http::plugin_ws::LargeReads`), else every
/// socket would keep its largest frame's size for its lifetime.
pub const SOCKET_READ_BUFFER_BYTES: usize = 8 * 1024;

/// Large plugin frames (inventory dumps, dungeon maps) decoded at once, over all sockets.
/// A decoded dump (a `serde_json` tree) takes 3–5× its text; in a login storm every
/// socket would otherwise decode its dump and hold the tree while it waits for the state
/// writer's queue (hundreds of MB at 600 characters). Decoding is CPU work on a 2-core
/// machine, so more than a few at once gains nothing.
pub const LARGE_FRAME_DECODES: usize = 4;

/// Inventory frames in flight to the state writer (`state_writer`). Dumps are up
/// to 4 MiB, so this bounds queued memory at ~64 MiB; past it the sending sockets wait
/// (backpressure), memory does not grow.
pub const INVENTORY_QUEUE_FRAMES: usize = 16;

/// glibc malloc arenas. glibc gives every thread that meets lock contention its own
/// arena (up to 8 per core), and each arena keeps its freed memory: with tokio's worker
/// threads, the writer threads and tantivy's indexing threads, that fragmentation is
/// the slow RSS growth of a long-running server. Two arenas keep contention low on the
/// machines Overlord targets (2–4 cores) while freed memory is reused across threads.
pub const MALLOC_ARENAS: i32 = 2;
/// Allocations at least this large are served by `mmap` and returned to the OS on free.
/// Setting it fixes glibc's threshold, which otherwise climbs (up to 32 MiB) after large
/// frees and then keeps those large buffers (inventory dumps, index segments) in the heap.
pub const MALLOC_MMAP_THRESHOLD: i32 = 256 * 1024;
/// Free memory at the top of an arena beyond this is given back to the OS.
pub const MALLOC_TRIM_THRESHOLD: i32 = 1024 * 1024;

/// A `redb::Builder` for `state.redb` with its cache size set; every open of state.redb
/// (the server, the offline commands, restore-check, benches) goes through it.
pub fn state_db_builder() -> redb::Builder {
    let mut b = redb::Builder::new();
    b.set_cache_size(STATE_CACHE_BYTES);
    b
}

/// Creates or opens `state.redb` at `path` with the budgeted cache.
pub fn create_state_db(path: &Path) -> Result<redb::Database, redb::DatabaseError> {
    state_db_builder().create(path)
}

/// How often freed heap memory is handed back to the OS (see [`spawn_trimmer`]).
pub const TRIM_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    // glibc's malloc tuning entry points (malloc.h); linked statically with the rest of libc.
    unsafe extern "C" {
        pub fn mallopt(param: i32, value: i32) -> i32;
        pub fn malloc_trim(pad: usize) -> i32;
    }
    pub const M_TRIM_THRESHOLD: i32 = -1;
    pub const M_MMAP_THRESHOLD: i32 = -3;
    pub const M_ARENA_MAX: i32 = -8;
}

/// Applies the allocator settings above. Call first thing in `main`, before any thread
/// starts (mallopt is not meant to race with allocations on other threads).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before other threads exist.
    unsafe {
        glibc::mallopt(glibc::M_ARENA_MAX, MALLOC_ARENAS);
        glibc::mallopt(glibc::M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD);
        glibc::mallopt(glibc::M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD);
    }
}

/// Returns freed heap memory to the OS now. glibc gives back only the free space at the top
/// of an arena on its own; after a login storm (hundreds of inventory dumps parsed at once)
/// the freed middle of the heap would stay resident. `malloc_trim` releases those pages.
/// Returns whether anything was released.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn trim() -> bool {
    // SAFETY: malloc_trim is thread-safe (it takes each arena's lock) and only releases free pages.
    unsafe { glibc::malloc_trim(0) == 1 }
}

/// Other allocators return memory on their own; nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn trim() -> bool {
    false
}

/// Runs [`trim`] every [`TRIM_INTERVAL`] on a small background thread for the life of the
/// process. A trim of a quiet heap takes well under a millisecond.
pub fn spawn_trimmer() -> std::io::Result<()> {
    std::thread::Builder::new().name("memory-trim".into()).stack_size(64 * 1024).spawn(|| {
        loop {
            std::thread::sleep(TRIM_INTERVAL);
            trim();
        }
    })?;
    Ok(())
}

/// Resident set size now (VmRSS) and its peak (VmHWM), in bytes, from `/proc/self/status`.
pub fn resident_bytes() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((status_kib(&status, "VmRSS:")? * 1024, status_kib(&status, "VmHWM:")? * 1024))
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix(key)?.trim().strip_suffix("kB")?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_parse_in_kib() {
        let s = "Name:\toverlord\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
        assert_eq!(status_kib(s, "VmRSS:"), Some(102_400));
        assert_eq!(status_kib(s, "VmHWM:"), Some(204_800));
        assert_eq!(status_kib(s, "VmSwap:"), None);
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        let (rss, peak) = resident_bytes().expect("/proc/self/status");
        assert!(rss > 0 && peak >= rss, "rss {rss} peak {peak}");
    }
}
