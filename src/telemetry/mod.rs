//! Persisted events — telemetry, spawn, rare, portal, character_stats, combat_stats — in
//! redb day-bucket files; the single batching writer; range queries and hourly rollups.
//!
//! Owns: the journal-first write path (`writer`), the day files and their key layout
//! (`store`), the sealed-block codec (`block`), the character-id registry and the portal
//! registry. Never does HTTP, and never writes a redb file anywhere but the writer thread.

pub mod block;
pub mod characters;
pub mod portals;
pub mod rollups;
pub mod store;
pub mod writer;

pub use characters::{CharacterInfo, Characters};
pub use store::{DayFiles, EventKind, Rollup, StoreError};
pub use writer::{JournalEntry, Persisted, Retention, WriterHandle};
