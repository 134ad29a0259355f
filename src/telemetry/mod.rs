//! Persisted events — telemetry, spawn, rare, portal, character_stats, combat_stats — in
//! redb day-bucket files; the single batching writer; range queries and hourly rollups.
//!
//! Owns: the journal-first write path (`writer`), the day files and their key layout
//! (`store`) and the rows of their open blocks (`tail`), the sealed-block codecs (`block`
//! for telemetry, `kind_block` for the other kinds) and the other kinds' block layout
//! (`kinds`), the character-id registry and the portal registry, the read side (`query`:
//! trails, series, event pages, heatmap, leaderboards, and clamping requested ranges to
//! stored data), and the read-side definitions the dashboard shows (`gains`, `activity`
//! hours with data, `milestones`). Never does HTTP, and never writes a redb file anywhere
//! but the writer thread (save `overlord downgrade`, which runs with the server stopped).

pub mod activity;
pub mod block;
pub(crate) mod characters;
pub(crate) mod day;
mod error;
pub mod gains;
pub mod kind_block;
pub(crate) mod kinds;
pub(crate) mod milestones;
pub mod portals;
pub mod query;
pub(crate) mod rollups;
pub mod store;
pub mod tail;
pub mod writer;

pub use characters::{CharacterInfo, Characters};
pub use query::{QueryError, TelemetryQuery, TimeRange};
pub use store::{DayFiles, EventKind, Rollup, TelemetryError};
pub use writer::{JournalEntry, Persisted, Retention, WriterHandle};
