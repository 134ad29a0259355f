//! Counters shared by every simulated client (frames and bytes sent, per frame type,
//! connects, errors) and the progress meter the CLI prints from.
//!
//! Owns only atomics and formatting. Never blocks the clients: they add whole batches
//! with relaxed atomics, and readers take snapshots.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::frames::Frame;

/// Frame types counted separately; anything else lands in the last slot.
pub const FRAME_KINDS: &[&str] = &[
    "telemetry",
    "vitals",
    "inventory",
    "portal",
    "rare",
    "combat",
    "combat_stats",
    "quest",
    "chat",
    "character_stats",
    "spawn",
    "cantrips",
    "nearby_objects",
    "dungeon_map",
    "share",
    "command_result",
    "other",
];

/// Index into [`FRAME_KINDS`] of a frame type (aliases folded in).
pub fn frame_kind_index(ty: &str) -> usize {
    let ty = if ty == "inventory_delta" {
        "inventory"
    } else if ty.starts_with("share_") {
        "share"
    } else {
        ty
    };
    FRAME_KINDS.iter().position(|k| *k == ty).unwrap_or(FRAME_KINDS.len() - 1)
}

/// Counts of one send batch, added to the shared counters in one go.
#[derive(Debug, Default)]
pub struct BatchCounts {
    frames: u64,
    bytes: u64,
    by_kind: [u64; FRAME_KINDS.len()],
}

impl BatchCounts {
    pub fn add(&mut self, kind: usize, bytes: usize) {
        self.frames += 1;
        self.bytes += bytes as u64;
        if let Some(slot) = self.by_kind.get_mut(kind) {
            *slot += 1;
        }
    }
}

/// Live counters of a simulation run.
#[derive(Debug, Default)]
pub struct SimStats {
    frames_sent: AtomicU64,
    bytes_sent: AtomicU64,
    by_kind: [AtomicU64; FRAME_KINDS.len()],
    frames_received: AtomicU64,
    commands_acked: AtomicU64,
    frames_dropped: AtomicU64,
    connects: AtomicU64,
    reconnects: AtomicU64,
    disconnects: AtomicU64,
    connect_failures: AtomicU64,
    auth_failures: AtomicU64,
    errors: AtomicU64,
    online: AtomicI64,
    last_error: Mutex<Option<String>>,
}

/// Longest error message kept for the report.
const MAX_ERROR_LEN: usize = 300;

impl SimStats {
    pub fn new() -> SimStats {
        SimStats::default()
    }

    pub(crate) fn add_batch(&self, b: &BatchCounts) {
        if b.frames == 0 {
            return;
        }
        self.frames_sent.fetch_add(b.frames, Ordering::Relaxed);
        self.bytes_sent.fetch_add(b.bytes, Ordering::Relaxed);
        for (slot, n) in self.by_kind.iter().zip(b.by_kind) {
            if n > 0 {
                slot.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn on_connect(&self, first: bool) {
        self.connects.fetch_add(1, Ordering::Relaxed);
        if !first {
            self.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        self.online.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn on_disconnect(&self) {
        self.disconnects.fetch_add(1, Ordering::Relaxed);
        self.online.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn on_connect_failure(&self, msg: &str) {
        self.connect_failures.fetch_add(1, Ordering::Relaxed);
        self.record_error(msg);
    }

    pub(crate) fn on_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
        self.record_error("the server answered 401: the plugin secret is wrong or the server has none set (check --secret / OVERLORD_PLUGIN_SECRET)");
    }

    pub(crate) fn on_received(&self) {
        self.frames_received.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn on_replies(&self, replies: &[Frame]) {
        let acks = replies
            .iter()
            .filter(|f| matches!(f, Frame::Json(v) if v["type"] == "command_result" && v["ok"] == true))
            .count();
        self.commands_acked.fetch_add(acks as u64, Ordering::Relaxed);
    }

    pub(crate) fn on_dropped(&self, n: u64) {
        self.frames_dropped.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn record_error(&self, msg: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut m: String = msg.chars().take(MAX_ERROR_LEN).collect();
        m.shrink_to_fit();
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(m);
        }
    }

    /// A consistent-enough copy of every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            frames_sent: r(&self.frames_sent),
            bytes_sent: r(&self.bytes_sent),
            by_kind: FRAME_KINDS.iter().zip(&self.by_kind).map(|(k, a)| (*k, r(a))).collect(),
            frames_received: r(&self.frames_received),
            commands_acked: r(&self.commands_acked),
            frames_dropped: r(&self.frames_dropped),
            connects: r(&self.connects),
            reconnects: r(&self.reconnects),
            disconnects: r(&self.disconnects),
            connect_failures: r(&self.connect_failures),
            auth_failures: r(&self.auth_failures),
            errors: r(&self.errors),
            online: self.online.load(Ordering::Relaxed).max(0) as u64,
            last_error: self.last_error.lock().ok().and_then(|l| l.clone()),
        }
    }
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsSnapshot {
    pub frames_sent: u64,
    pub bytes_sent: u64,
    pub by_kind: Vec<(&'static str, u64)>,
    pub frames_received: u64,
    pub commands_acked: u64,
    pub frames_dropped: u64,
    pub connects: u64,
    pub reconnects: u64,
    pub disconnects: u64,
    pub connect_failures: u64,
    pub auth_failures: u64,
    pub errors: u64,
    pub online: u64,
    pub last_error: Option<String>,
}

/// Rates between two snapshots, for the CLI's periodic line.
pub struct Progress<'a> {
    stats: &'a SimStats,
    last: StatsSnapshot,
    last_at: Instant,
}

/// One progress line: achieved rates since the previous tick.
#[derive(Debug, Clone)]
pub struct ProgressLine {
    pub frames_per_s: f64,
    pub bytes_per_s: f64,
    pub telemetry_per_s: f64,
    pub online: u64,
    pub errors: u64,
    pub total_frames: u64,
}

impl<'a> Progress<'a> {
    pub fn new(stats: &'a SimStats) -> Progress<'a> {
        Progress { stats, last: stats.snapshot(), last_at: Instant::now() }
    }

    /// Rates since the previous call.
    pub fn tick(&mut self) -> ProgressLine {
        let now = self.stats.snapshot();
        let secs = self.last_at.elapsed().as_secs_f64().max(1e-6);
        let telem = |s: &StatsSnapshot| s.by_kind.first().map(|k| k.1).unwrap_or(0);
        let line = ProgressLine {
            frames_per_s: (now.frames_sent - self.last.frames_sent) as f64 / secs,
            bytes_per_s: (now.bytes_sent - self.last.bytes_sent) as f64 / secs,
            telemetry_per_s: (telem(&now) - telem(&self.last)) as f64 / secs,
            online: now.online,
            errors: now.errors,
            total_frames: now.frames_sent,
        };
        self.last = now;
        self.last_at = Instant::now();
        line
    }
}

impl fmt::Display for ProgressLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>9.0} events/s ({:.0} telemetry/s), {}/s, {} online, {} errors, {} sent",
            self.frames_per_s,
            self.telemetry_per_s,
            human_bytes(self.bytes_per_s),
            self.online,
            self.errors,
            self.total_frames
        )
    }
}

/// `12.3 MB` style sizes.
pub fn human_bytes(b: f64) -> String {
    const UNITS: &[&str] = &["B", "KB", "MB", "GB", "TB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

/// Seconds with one decimal.
pub fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_kinds_fold_aliases_and_unknowns() {
        assert_eq!(FRAME_KINDS[frame_kind_index("telemetry")], "telemetry");
        assert_eq!(FRAME_KINDS[frame_kind_index("inventory_delta")], "inventory");
        assert_eq!(FRAME_KINDS[frame_kind_index("share_target")], "share");
        assert_eq!(FRAME_KINDS[frame_kind_index("vtank_profile")], "other");
    }

    #[test]
    fn batches_add_up_in_snapshots() {
        let s = SimStats::new();
        let mut b = BatchCounts::default();
        b.add(0, 700);
        b.add(1, 200);
        s.add_batch(&b);
        let snap = s.snapshot();
        assert_eq!(snap.frames_sent, 2);
        assert_eq!(snap.bytes_sent, 900);
        assert_eq!(snap.by_kind[0], ("telemetry", 1));
    }
}
