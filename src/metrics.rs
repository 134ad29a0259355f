//! Process-wide counters rendered in Prometheus text format at `/metrics`.
//!
//! Owns counter names and rendering. Counters are plain atomics (no locks on the ingest
//! path); per-type counters live in a small map whose key set is bounded (unknown plugin
//! types are folded into one label once the map is full).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Distinct label values per labelled counter; beyond it values fold into "other".
const MAX_LABELS: usize = 128;

#[derive(Default)]
pub struct Metrics {
    pub plugin_connections: AtomicI64,
    pub browser_connections: AtomicI64,
    pub plugin_refused_auth: AtomicU64,
    pub plugin_refused_capacity: AtomicU64,
    pub frames_oversize: AtomicU64,
    pub frames_binary: AtomicU64,
    pub frames_rate_limited: AtomicU64,
    pub browser_drops: AtomicU64,
    pub commands_sent: AtomicU64,
    pub search_queries: AtomicU64,
    pub search_micros_total: AtomicU64,
    pub solver_jobs: AtomicU64,
    received: Mutex<BTreeMap<String, u64>>,
    rejected: Mutex<BTreeMap<String, u64>>,
    stored: Mutex<BTreeMap<String, u64>>,
}

fn bump(map: &Mutex<BTreeMap<String, u64>>, label: &str) {
    if let Ok(mut m) = map.lock() {
        if let Some(v) = m.get_mut(label) {
            *v += 1;
        } else if m.len() < MAX_LABELS {
            m.insert(label.to_string(), 1);
        } else {
            *m.entry("other".to_string()).or_default() += 1;
        }
    }
}

impl Metrics {
    pub fn received(&self, kind: &str) {
        bump(&self.received, kind);
    }

    pub fn rejected(&self, reason: &str) {
        bump(&self.rejected, reason);
    }

    pub fn stored(&self, kind: &str) {
        bump(&self.stored, kind);
    }

    pub fn received_count(&self, kind: &str) -> u64 {
        self.received.lock().ok().and_then(|m| m.get(kind).copied()).unwrap_or(0)
    }

    pub fn rejected_count(&self, reason: &str) -> u64 {
        self.rejected.lock().ok().and_then(|m| m.get(reason).copied()).unwrap_or(0)
    }

    /// Renders every counter; `extra` appends gauges owned elsewhere (writer, search).
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let labelled = |out: &mut String, name: &str, help: &str, label: &str, map: &Mutex<BTreeMap<String, u64>>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            if let Ok(m) = map.lock() {
                for (k, v) in m.iter() {
                    let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {v}", k.replace(['"', '\\', '\n'], "_"));
                }
            }
        };
        labelled(
            &mut out,
            "overlord_events_received_total",
            "Plugin frames received, by type.",
            "type",
            &self.received,
        );
        labelled(
            &mut out,
            "overlord_events_stored_total",
            "Events committed to storage, by type.",
            "type",
            &self.stored,
        );
        labelled(
            &mut out,
            "overlord_events_rejected_total",
            "Plugin frames rejected, by reason.",
            "reason",
            &self.rejected,
        );
        let plain: [(&str, &str, &str, f64); 12] = [
            (
                "overlord_plugin_connections",
                "gauge",
                "Open plugin sockets.",
                self.plugin_connections.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_browser_connections",
                "gauge",
                "Open browser sockets.",
                self.browser_connections.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_plugin_refused_auth_total",
                "counter",
                "Plugin upgrades refused for a missing or wrong secret.",
                self.plugin_refused_auth.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_plugin_refused_capacity_total",
                "counter",
                "Plugin upgrades refused at the connection limit.",
                self.plugin_refused_capacity.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_oversize_total",
                "counter",
                "Frames over their size limit (socket closed 1009).",
                self.frames_oversize.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_binary_total",
                "counter",
                "Binary frames (socket closed 1003).",
                self.frames_binary.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_rate_limited_total",
                "counter",
                "Plugin frames dropped over the per-socket rate.",
                self.frames_rate_limited.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_browser_drops_total",
                "counter",
                "Messages dropped for browsers that could not keep up.",
                self.browser_drops.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_commands_sent_total",
                "counter",
                "Browser commands routed to plugins.",
                self.commands_sent.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_search_queries_total",
                "counter",
                "Item searches answered.",
                self.search_queries.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_search_seconds_total",
                "counter",
                "Time spent answering item searches.",
                self.search_micros_total.load(Ordering::Relaxed) as f64 / 1e6,
            ),
            (
                "overlord_solver_jobs_total",
                "counter",
                "Suit-builder jobs started.",
                self.solver_jobs.load(Ordering::Relaxed) as f64,
            ),
        ];
        for (name, kind, help, v) in plain {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
        }
        for (name, help, v) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
        }
        out
    }
}
