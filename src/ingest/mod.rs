//! The plugin ingest pipeline: one plugin frame from its text to everything it changes.
//! decode → bind the socket to its character → live state and browser fanout → attention
//! and alerts → the persist decision → the telemetry writer (or, for an inventory, the
//! state writer, `crate::state_writer`). docs/protocol.md is the contract it implements.
//!
//! Owns the per-socket session ([`PluginSession`]: binding, rate limit, degraded-storage
//! notices, replies) and which kinds are persisted ([`persisted`]). Never touches a socket
//! or any transport type: `http::plugin_ws` reads frames and calls in here, and sends back
//! what it is told to.

mod rate;
mod session;

pub use rate::RateLimit;
pub use session::{Fatal, PluginSession};

use crate::protocol::{PluginEvent, PluginFrame};
use crate::telemetry::{JournalEntry, Persisted};

/// The stored form of an event, or `None` for the kinds that live only in memory (vitals,
/// chat, quests, …; docs/protocol.md §3). The one place that decides what is persisted.
pub fn persisted(body: &PluginEvent) -> Option<Persisted> {
    Some(match body {
        PluginEvent::Telemetry(t) => Persisted::Telemetry(t.clone()),
        PluginEvent::Spawn(s) => Persisted::Spawn(s.clone()),
        PluginEvent::Rare(r) => Persisted::Rare(r.clone()),
        PluginEvent::Portal(p) => Persisted::Portal(p.clone()),
        PluginEvent::CharacterStats(v) => Persisted::CharacterStats(v.to_string()),
        PluginEvent::CombatStats(v) => Persisted::CombatStats(v.to_string()),
        _ => return None,
    })
}

/// The journal record of a frame received at `recv_ms`, or `None` for memory-only kinds.
pub fn journal_entry(frame: &PluginFrame, recv_ms: i64) -> Option<JournalEntry> {
    Some(JournalEntry {
        recv_ms,
        character: frame.character_name.clone(),
        client_time_ms: frame.client_time_ms,
        plugin_version: frame.plugin_version.clone(),
        event: persisted(&frame.body)?,
    })
}
