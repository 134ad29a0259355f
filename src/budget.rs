//! The memory budget as one list: every cache and bounded table of the process with its
//! configured size and what it holds. `/metrics` exports it (`overlord_cache_limit`) and
//! README's memory section is this list.
//!
//! Owns only the list. Each limit is defined by the module that enforces it (this file
//! names them, so it sits above all of them in the module graph); never enforces a limit.

use crate::{live, memory, search, telemetry};

/// One bounded cache or table: its name (a `/metrics` label), its limit in bytes (or
/// entries, for tables bounded by count), and what it holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub name: &'static str,
    pub limit: u64,
    pub unit: &'static str,
    pub what: &'static str,
}

/// Every cache and bounded table, with its configured size. README's memory section is
/// this list; `/metrics` exports it as `overlord_cache_limit{cache,unit}`.
pub fn budget() -> Vec<Budget> {
    let bytes = |name, limit: usize, what| Budget { name, limit: limit as u64, unit: "bytes", what };
    let entries = |name, limit: usize, what| Budget { name, limit: limit as u64, unit: "entries", what };
    vec![
        bytes("state_redb", memory::STATE_CACHE_BYTES, "redb page cache of state.redb"),
        bytes("day_redb", telemetry::store::DAY_CACHE_BYTES, "redb page cache of each open telemetry day file"),
        bytes("rollups_redb", telemetry::rollups::CACHE_BYTES, "redb page cache of rollups.redb"),
        bytes("index_writer", search::index::WRITER_MEMORY_BYTES, "tantivy indexing heap (all writer threads)"),
        entries(
            "index_term_cache",
            search::segment_cache::MAX_CACHED_TERMS,
            "largest term dictionary decoded per index segment and field",
        ),
        bytes(
            "socket_read_buffer",
            memory::SOCKET_READ_BUFFER_BYTES,
            "read buffer of each plugin and browser WebSocket",
        ),
        entries("large_frame_decodes", memory::LARGE_FRAME_DECODES, "large plugin frames decoded at once"),
        bytes(
            "inventory_queue",
            memory::INVENTORY_QUEUE_FRAMES * crate::protocol::MAX_LARGE_FRAME_BYTES,
            "inventory frames queued for the state writer (at most)",
        ),
        bytes("dungeon_maps", live::MAX_DUNGEON_CACHE_BYTES, "live dungeon-map cache"),
        entries("live_characters", live::MAX_LIVE_CHARACTERS, "characters with live state in memory"),
        entries("live_broadcast", live::BROADCAST_CAPACITY, "messages buffered for browsers"),
        entries("sessions_per_user", crate::auth::MAX_SESSIONS_PER_USER, "sessions kept per user (in state.redb)"),
        entries(
            "login_limiter",
            crate::auth::limiter::MAX_TRACKED_KEYS,
            "addresses and names the login limiter tracks",
        ),
        entries("suit_jobs", crate::suitbuilder::MAX_KEPT_JOBS, "finished suit-builder jobs kept for their results"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_budget_is_named_once_and_nonzero() {
        let all = budget();
        let mut names: Vec<_> = all.iter().map(|b| b.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert!(all.iter().all(|b| b.limit > 0));
    }
}
