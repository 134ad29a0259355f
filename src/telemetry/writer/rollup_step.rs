//! The per-character rollup step: what each telemetry event adds to its hour's totals
//! (kills, deaths, XP, distance, time online), from the session counters the plugin sends.
//!
//! Pure: shared by the live writer and the importer, so both count history the same way.

use crate::protocol::Telemetry;
use crate::telemetry::store::Rollup;
use serde::{Deserialize, Serialize};

/// The per-character state rollups need between events (persisted with each batch).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct RollupCursor {
    kills: Option<u32>,
    deaths: Option<u32>,
    total_xp: Option<i64>,
    t: i64,
    ew: f64,
    ns: f64,
    is_dungeon: bool,
    /// Online time not yet counted in whole seconds.
    online_carry_ms: u64,
}

#[derive(Default)]
pub(crate) struct Delta {
    kills: u64,
    deaths: u64,
    xp: i64,
    distance_m: f64,
    online_s: u64,
}

pub(crate) fn add_rollup(r: &mut Rollup, d: &Delta) {
    r.kills += d.kills;
    r.deaths += d.deaths;
    r.xp += d.xp;
    r.distance_m += d.distance_m;
    r.online_s += d.online_s;
    r.events += 1;
}

/// Per-event rollup increments from session counters: a counter that goes down starts a
/// new session (docs/protocol.md), so its new value is the increment.
pub(crate) fn rollup_step(c: &mut RollupCursor, t: i64, tel: &Telemetry) -> Delta {
    let counter = |prev: Option<u32>, now: Option<u32>| match (prev, now) {
        (Some(p), Some(n)) if n >= p => u64::from(n - p),
        (Some(_), Some(n)) => u64::from(n),
        _ => 0,
    };
    let mut d = Delta { kills: counter(c.kills, tel.kills), deaths: counter(c.deaths, tel.deaths), ..Delta::default() };
    if let (Some(p), Some(n)) = (c.total_xp, tel.total_xp) {
        d.xp = (n - p).max(0);
    }
    let gap = t - c.t;
    if c.t > 0 && (0..=120_000).contains(&gap) {
        // Sub-second gaps add up through the carry instead of rounding to nothing.
        c.online_carry_ms += gap as u64;
        d.online_s = c.online_carry_ms / 1000;
        c.online_carry_ms %= 1000;
        let jump = ((tel.ew - c.ew).powi(2) + (tel.ns - c.ns).powi(2)).sqrt();
        if jump <= 1.0 && tel.is_dungeon == c.is_dungeon && !tel.is_dungeon {
            d.distance_m = jump * 240.0;
        }
    }
    if tel.kills.is_some() {
        c.kills = tel.kills;
    }
    if tel.deaths.is_some() {
        c.deaths = tel.deaths;
    }
    if tel.total_xp.is_some() {
        c.total_xp = tel.total_xp;
    }
    c.t = t;
    c.ew = tel.ew;
    c.ns = tel.ns;
    c.is_dungeon = tel.is_dungeon;
    d
}
