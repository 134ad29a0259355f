//! The one definition of "a character needs attention": *stuck* (online, has barely moved
//! and gained neither kills nor XP for a while) and *disconnected* (its socket dropped
//! without the character logging out, and it has not come back).
//!
//! Owns: the per-character progress anchor, the list of dropped sockets, and the snapshot
//! served at `GET /api/attention`, shown on the dashboard's overview and turned into
//! stuck/disconnected alerts. Must never: do I/O, block the ingest path (every call is a
//! short map update under one lock), or grow without bound (both maps are capped).
//!
//! *Logged out* vs *disconnected*: Decal disposes the plugin at logoff, which closes the
//! socket with a WebSocket close frame (reason `socket_closed`). A crashed client, a
//! killed process or a dead network ends the socket without one (`socket_error`) or goes
//! silent until the 90 s idle timeout (`idle`): those are disconnections. A socket the
//! server closed itself (protocol error, supersession, shutdown) is neither.
//!
//! *Parked* vs *stuck*: a mule or buff bot stands in town with VTank off (`vt_state`
//! "Idle") all day; that is a choice, not trouble. A spell without progress counts as
//! stuck only if the macro was running (any other `vt_state`, or none reported) at some
//! frame of the spell: VTank jammed on a wall, out of components, or dead after fighting.

use crate::protocol::{Telemetry, name_key};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// Characters tracked; well above the 600-character design scale. When full, the entry
/// seen least recently is forgotten.
pub const MAX_ATTENTION_CHARACTERS: usize = 20_000;
/// Moving less than this far (map units; 1 unit = 240 m, so 0.05 ≈ 12 m) counts as not
/// moving. A character idling in town shuffles a metre or two; a hunter covers this in
/// seconds.
pub const STUCK_MOVE_UNITS: f64 = 0.05;
/// A dropped socket is listed this long at most; after a day nobody is waiting for it.
pub const DISCONNECTED_FORGET_MS: i64 = 24 * 3600 * 1000;
/// Default minutes without progress before a character is stuck (`alert_stuck_minutes`).
pub const DEFAULT_STUCK_MINUTES: u32 = 10;
/// Default minutes a dropped character has to come back (`alert_disconnected_minutes`).
pub const DEFAULT_DISCONNECTED_MINUTES: u32 = 5;

/// `GET /api/attention`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct AttentionSnapshot {
    pub stuck: Vec<StuckCharacter>,
    pub disconnected: Vec<DisconnectedCharacter>,
    pub generated_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct StuckCharacter {
    pub name: String,
    /// When the character last made progress (moved, killed, gained XP).
    pub since_ms: i64,
    pub ew: f64,
    pub ns: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct DisconnectedCharacter {
    pub name: String,
    /// When its socket dropped.
    pub since_ms: i64,
}

/// Shared by the plugin sockets (writers) and the API and alert engine (readers).
pub struct Attention {
    state: Mutex<State>,
    stuck_after_ms: AtomicI64,
    disconnected_after_ms: AtomicI64,
}

#[derive(Default)]
struct State {
    online: HashMap<String, Progress>,
    dropped: HashMap<String, Dropped>,
}

struct Progress {
    display: String,
    conn_id: u64,
    /// Where the character stood when it last made progress, and when.
    anchor: Option<(f64, f64)>,
    anchor_ms: i64,
    kills: Option<u32>,
    total_xp: Option<i64>,
    last: Option<(f64, f64)>,
    last_seen_ms: i64,
    /// The macro was running at some frame since the anchor.
    macro_on: bool,
}

struct Dropped {
    display: String,
    since_ms: i64,
}

impl Default for Attention {
    fn default() -> Self {
        Attention::new(DEFAULT_STUCK_MINUTES, DEFAULT_DISCONNECTED_MINUTES)
    }
}

impl Attention {
    pub fn new(stuck_minutes: u32, disconnected_minutes: u32) -> Attention {
        let a = Attention {
            state: Mutex::new(State::default()),
            stuck_after_ms: AtomicI64::new(0),
            disconnected_after_ms: AtomicI64::new(0),
        };
        a.set_thresholds_ms(i64::from(stuck_minutes) * 60_000, i64::from(disconnected_minutes) * 60_000);
        a
    }

    /// Changes the thresholds at run time (settings page; tests use seconds).
    pub fn set_thresholds_ms(&self, stuck_after_ms: i64, disconnected_after_ms: i64) {
        self.stuck_after_ms.store(stuck_after_ms.max(1), Ordering::Relaxed);
        self.disconnected_after_ms.store(disconnected_after_ms.max(0), Ordering::Relaxed);
    }

    pub fn thresholds_ms(&self) -> (i64, i64) {
        (self.stuck_after_ms.load(Ordering::Relaxed), self.disconnected_after_ms.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The maps stay consistent across a panic elsewhere (each update is one insert).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A plugin socket bound to `name` (connection `conn_id`). The character is back: it is
    /// no longer disconnected, and its progress clock starts now.
    pub fn on_online(&self, name: &str, conn_id: u64, now_ms: i64) {
        let key = name_key(name);
        let mut st = self.lock();
        st.dropped.remove(&key);
        let keep = st.online.get(&key).map(|p| (p.anchor, p.anchor_ms, p.kills, p.total_xp, p.last, p.macro_on));
        let (anchor, anchor_ms, kills, total_xp, last, macro_on) =
            keep.unwrap_or((None, now_ms, None, None, None, false));
        if !st.online.contains_key(&key) && st.online.len() >= MAX_ATTENTION_CHARACTERS {
            evict_oldest(&mut st.online, |p| p.last_seen_ms);
        }
        st.online.insert(
            key,
            Progress {
                display: name.trim().to_string(),
                conn_id,
                anchor,
                anchor_ms,
                kills,
                total_xp,
                last,
                last_seen_ms: now_ms,
                macro_on,
            },
        );
    }

    /// One telemetry frame. Moving at least [`STUCK_MOVE_UNITS`] from the anchor, a kill
    /// or an XP gain is progress and resets the anchor. A counter that goes *down* is a new
    /// session (docs/protocol.md: counters are per session): also a reset, never "stuck".
    pub fn on_telemetry(&self, name: &str, t: &Telemetry, now_ms: i64) {
        let key = name_key(name);
        let mut st = self.lock();
        let Some(p) = st.online.get_mut(&key) else { return };
        p.last_seen_ms = now_ms;
        p.last = Some((t.ew, t.ns));
        let moved =
            p.anchor.is_none_or(|(ew, ns)| ((t.ew - ew).powi(2) + (t.ns - ns).powi(2)).sqrt() >= STUCK_MOVE_UNITS);
        let killed = changed(p.kills, t.kills);
        let gained = changed(p.total_xp, t.total_xp);
        let running = macro_running(t.vt_state.as_deref());
        if moved || killed || gained {
            p.anchor = Some((t.ew, t.ns));
            p.anchor_ms = now_ms;
            p.macro_on = running;
        } else {
            p.macro_on |= running;
        }
        p.kills = t.kills.or(p.kills);
        p.total_xp = t.total_xp.or(p.total_xp);
    }

    /// The socket `conn_id` of `name` ended with `reason` (the hub's offline reason).
    /// A stale socket (superseded by a newer one) changes nothing.
    pub fn on_offline(&self, name: &str, conn_id: u64, reason: &str, now_ms: i64) {
        let key = name_key(name);
        let mut st = self.lock();
        if st.online.get(&key).is_none_or(|p| p.conn_id != conn_id) {
            return;
        }
        st.online.remove(&key);
        if is_disconnect_reason(reason) {
            if !st.dropped.contains_key(&key) && st.dropped.len() >= MAX_ATTENTION_CHARACTERS {
                evict_oldest(&mut st.dropped, |d| d.since_ms);
            }
            st.dropped.insert(key, Dropped { display: name.trim().to_string(), since_ms: now_ms });
        } else {
            st.dropped.remove(&key);
        }
    }

    /// Who is stuck and who is disconnected at `now_ms`, by the current thresholds. Sorted
    /// longest first, then by name. Forgets drops older than [`DISCONNECTED_FORGET_MS`].
    pub fn snapshot(&self, now_ms: i64) -> AttentionSnapshot {
        let (stuck_after, disc_after) = self.thresholds_ms();
        let mut st = self.lock();
        st.dropped.retain(|_, d| now_ms - d.since_ms < DISCONNECTED_FORGET_MS);
        let mut stuck: Vec<StuckCharacter> = st
            .online
            .values()
            .filter(|p| p.macro_on && now_ms - p.anchor_ms >= stuck_after)
            .filter_map(|p| {
                // Never stuck before the first position: a socket that sends nothing is the
                // idle alert's business.
                let (ew, ns) = p.last?;
                Some(StuckCharacter { name: p.display.clone(), since_ms: p.anchor_ms, ew, ns })
            })
            .collect();
        let mut disconnected: Vec<DisconnectedCharacter> = st
            .dropped
            .values()
            .filter(|d| now_ms - d.since_ms >= disc_after)
            .map(|d| DisconnectedCharacter { name: d.display.clone(), since_ms: d.since_ms })
            .collect();
        drop(st);
        stuck.sort_by(|a, b| a.since_ms.cmp(&b.since_ms).then_with(|| a.name.cmp(&b.name)));
        disconnected.sort_by(|a, b| a.since_ms.cmp(&b.since_ms).then_with(|| a.name.cmp(&b.name)));
        AttentionSnapshot { stuck, disconnected, generated_ms: now_ms }
    }
}

/// Close reasons that mean "the client went away without logging out".
pub fn is_disconnect_reason(reason: &str) -> bool {
    matches!(reason, "socket_error" | "idle")
}

/// VTank reports "Idle" when its macro is off; anything else (or no report) is running.
fn macro_running(vt_state: Option<&str>) -> bool {
    vt_state.is_none_or(|s| !s.trim().eq_ignore_ascii_case("idle"))
}

fn changed<T: PartialEq + Copy>(before: Option<T>, now: Option<T>) -> bool {
    matches!((before, now), (Some(a), Some(b)) if a != b)
}

fn evict_oldest<V>(map: &mut HashMap<String, V>, at: impl Fn(&V) -> i64) {
    if let Some(k) = map.iter().min_by_key(|(_, v)| at(v)).map(|(k, _)| k.clone()) {
        map.remove(&k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tel(ew: f64, ns: f64, kills: u32, xp: i64) -> Telemetry {
        Telemetry { ew, ns, kills: Some(kills), total_xp: Some(xp), ..Telemetry::default() }
    }

    #[test]
    fn standing_still_without_kills_or_xp_is_stuck_after_the_threshold() {
        let a = Attention::new(10, 5);
        a.on_online("Mossy Tank", 1, 0);
        a.on_telemetry("Mossy Tank", &tel(30.0, 40.0, 5, 100), 1_000);
        // Shuffling a couple of metres is not movement.
        a.on_telemetry("Mossy Tank", &tel(30.005, 40.0, 5, 100), 300_000);
        assert!(a.snapshot(600_000).stuck.is_empty(), "9m59s without progress is not yet stuck");
        let s = a.snapshot(601_000);
        assert_eq!(s.stuck, vec![StuckCharacter { name: "Mossy Tank".into(), since_ms: 1_000, ew: 30.005, ns: 40.0 }]);
    }

    #[test]
    fn kills_xp_or_movement_reset_the_clock() {
        let a = Attention::new(1, 5);
        a.on_online("A", 1, 0);
        a.on_telemetry("A", &tel(1.0, 1.0, 0, 0), 0);
        a.on_telemetry("A", &tel(1.0, 1.0, 1, 0), 50_000);
        assert!(a.snapshot(100_000).stuck.is_empty());
        a.on_telemetry("A", &tel(1.0, 1.0, 1, 7), 90_000);
        assert!(a.snapshot(140_000).stuck.is_empty());
        a.on_telemetry("A", &tel(1.1, 1.0, 1, 7), 130_000);
        assert!(a.snapshot(180_000).stuck.is_empty());
        assert_eq!(a.snapshot(190_000).stuck.len(), 1);
    }

    #[test]
    fn a_dropped_socket_is_disconnected_a_clean_close_is_not() {
        let a = Attention::new(10, 5);
        a.on_online("Crashy", 1, 0);
        a.on_online("Leaver", 2, 0);
        a.on_offline("Crashy", 1, "socket_error", 1_000);
        a.on_offline("Leaver", 2, "socket_closed", 1_000);
        assert!(a.snapshot(200_000).disconnected.is_empty(), "within the grace period");
        let s = a.snapshot(301_000);
        assert_eq!(s.disconnected, vec![DisconnectedCharacter { name: "Crashy".into(), since_ms: 1_000 }]);
        // Back online: gone from the list.
        a.on_online("crashy", 3, 302_000);
        assert!(a.snapshot(400_000).disconnected.is_empty());
    }

    #[test]
    fn a_superseded_socket_changes_nothing() {
        let a = Attention::new(10, 0);
        a.on_online("Twin", 1, 0);
        a.on_online("Twin", 2, 10);
        a.on_offline("Twin", 1, "superseded", 20);
        a.on_offline("Twin", 1, "socket_error", 20);
        assert!(a.snapshot(30).disconnected.is_empty());
        a.on_offline("Twin", 2, "idle", 40);
        assert_eq!(a.snapshot(50).disconnected.len(), 1);
        assert!(a.snapshot(50 + DISCONNECTED_FORGET_MS).disconnected.is_empty(), "forgotten after a day");
    }

    #[test]
    fn a_parked_character_with_the_macro_off_is_not_stuck_until_it_was_running() {
        let a = Attention::new(1, 1);
        a.on_online("Mule", 1, 0);
        let parked = Telemetry { vt_state: Some("Idle".into()), ..tel(5.0, 5.0, 0, 0) };
        a.on_telemetry("Mule", &parked, 0);
        a.on_telemetry("Mule", &parked, 120_000);
        assert!(a.snapshot(120_000).stuck.is_empty(), "parked with VTank off");
        // VTank on but nothing happens (jammed): stuck once the spell is long enough.
        let jammed = Telemetry { vt_state: Some("Navigating".into()), ..tel(5.0, 5.0, 0, 0) };
        a.on_telemetry("Mule", &jammed, 130_000);
        assert_eq!(a.snapshot(130_000).stuck.len(), 1);
    }

    #[test]
    fn a_character_that_never_sent_a_position_is_not_stuck() {
        let a = Attention::new(1, 1);
        a.on_online("Quiet", 1, 0);
        assert!(a.snapshot(10 * 60_000).stuck.is_empty());
    }
}
