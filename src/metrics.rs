//! Process-wide counters, gauges and latency histograms, exposed in Prometheus text format
//! at `/metrics` through `metrics-exporter-prometheus` (the exposition format, escaping,
//! `# TYPE` lines and histogram buckets are the crate's, not hand-written).
//!
//! Owns metric names, their types and help text. Counters are plain atomics (no locks on
//! the ingest path) copied into the exporter's registry when a scrape renders; latency
//! histograms are the exporter's own handles, recorded where the latency is measured.
//! Per-type counters live in a small map whose key set is bounded (unknown plugin types
//! are folded into one label once the map is full). Never: a label whose values come from
//! outside without that bound.
//!
//! Typing rule: a row whose name ends in `_total` is a counter, anything else a gauge
//! (promtool's lint wants exactly that), so a row added to `render`'s tables or to `extra`
//! is typed by its name.

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Label, Metadata, Recorder, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Distinct label values per labelled counter; beyond it values fold into "other".
const MAX_LABELS: usize = 128;
/// Journal group commits take 0.2–5 ms on a healthy SSD and tens of ms on a slow disk;
/// a commit over 2.5 s is an outage. Buckets in seconds.
pub const COMMIT_SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Item searches answer in 1–50 ms at 750k items; the request timeout is 30 s.
pub const SEARCH_SECONDS_BUCKETS: [f64; 14] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// The histogram of journal commit latency.
pub const COMMIT_SECONDS: &str = "overlord_writer_commit_seconds";
/// The histogram of item search latency.
pub const SEARCH_SECONDS: &str = "overlord_search_seconds";
/// The Content-Type of the text format the exporter writes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

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
    /// Hardening counters (panics caught, connections refused or timed out, slow browsers).
    pub guard: GuardCounters,
    received: Mutex<BTreeMap<String, u64>>,
    rejected: Mutex<BTreeMap<String, u64>>,
    stored: Mutex<BTreeMap<String, u64>>,
    registry: Registry,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            plugin_connections: AtomicI64::new(0),
            browser_connections: AtomicI64::new(0),
            plugin_refused_auth: AtomicU64::new(0),
            plugin_refused_capacity: AtomicU64::new(0),
            frames_oversize: AtomicU64::new(0),
            frames_binary: AtomicU64::new(0),
            frames_rate_limited: AtomicU64::new(0),
            browser_drops: AtomicU64::new(0),
            commands_sent: AtomicU64::new(0),
            search_queries: AtomicU64::new(0),
            search_micros_total: AtomicU64::new(0),
            solver_jobs: AtomicU64::new(0),
            guard: GuardCounters::default(),
            received: Mutex::new(BTreeMap::new()),
            rejected: Mutex::new(BTreeMap::new()),
            stored: Mutex::new(BTreeMap::new()),
            registry: Registry::new(&[
                (COMMIT_SECONDS, &COMMIT_SECONDS_BUCKETS[..]),
                (SEARCH_SECONDS, &SEARCH_SECONDS_BUCKETS[..]),
            ]),
        }
    }
}

impl AsRef<Metrics> for Metrics {
    fn as_ref(&self) -> &Metrics {
        self
    }
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

    /// The journal commit latency histogram (seconds); the writer records into it.
    pub fn commit_seconds(&self) -> Histogram {
        self.registry.histogram(COMMIT_SECONDS, "Journal group commit: first event dequeued to journal sync done.")
    }

    /// Records one item search's latency.
    pub fn observe_search(&self, elapsed: std::time::Duration) {
        self.search_queries.fetch_add(1, Ordering::Relaxed);
        self.search_micros_total.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.registry.histogram(SEARCH_SECONDS, "Item search latency.").record(elapsed.as_secs_f64());
    }

    /// Renders every metric; `extra` appends values owned elsewhere (writer, alerts,
    /// backups), typed by name: `_total` → counter, else gauge.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let r = &self.registry;
        let labelled =
            |name: &'static str, help: &'static str, label: &'static str, map: &Mutex<BTreeMap<String, u64>>| {
                if let Ok(m) = map.lock() {
                    for (k, v) in m.iter() {
                        r.counter_with(name, help, label, k).absolute(*v);
                    }
                }
            };
        labelled("overlord_events_received_total", "Plugin frames received, by type.", "type", &self.received);
        labelled("overlord_events_stored_total", "Events committed to storage, by type.", "type", &self.stored);
        labelled("overlord_events_rejected_total", "Plugin frames rejected, by reason.", "reason", &self.rejected);
        let plain: &[(&str, &str, f64)] = &[
            (
                "overlord_plugin_connections",
                "Open plugin sockets.",
                self.plugin_connections.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_browser_connections",
                "Open browser sockets.",
                self.browser_connections.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_plugin_refused_auth_total",
                "Plugin upgrades refused for a missing or wrong secret.",
                self.plugin_refused_auth.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_plugin_refused_capacity_total",
                "Plugin upgrades refused at the connection limit.",
                self.plugin_refused_capacity.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_oversize_total",
                "Frames over their size limit (socket closed 1009).",
                self.frames_oversize.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_binary_total",
                "Binary frames (socket closed 1003).",
                self.frames_binary.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_frames_rate_limited_total",
                "Plugin frames dropped over the per-socket rate.",
                self.frames_rate_limited.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_browser_drops_total",
                "Messages dropped for browsers that could not keep up.",
                self.browser_drops.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_commands_sent_total",
                "Browser commands routed to plugins.",
                self.commands_sent.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_search_queries_total",
                "Item searches answered.",
                self.search_queries.load(Ordering::Relaxed) as f64,
            ),
            (
                "overlord_solver_jobs_total",
                "Suit-builder jobs started.",
                self.solver_jobs.load(Ordering::Relaxed) as f64,
            ),
        ];
        for (name, help, v) in plain.iter().chain(extra.iter()) {
            r.set(name, help, *v);
        }
        for (name, help, v) in self.guard.rows() {
            r.set(name, help, v.load(Ordering::Relaxed) as f64);
        }
        // Histograms are registered up front so they render (with zero counts) before the
        // first observation: a dashboard's p99 panel then shows "no data", not an error.
        let _ = self.commit_seconds();
        let _ = self.registry.histogram(SEARCH_SECONDS, "Item search latency.");
        let mut out = r.handle.render();
        render_memory(&mut out);
        out
    }
}

/// The memory gauges: the process's resident set (now and peak) and the configured limit
/// of every cache and bounded table (`crate::budget::budget`), so an operator can see what
/// the process may hold next to what it holds.
fn render_memory(out: &mut String) {
    use std::fmt::Write;
    if let Some((rss, peak)) = crate::memory::resident_bytes() {
        let _ = writeln!(
            out,
            "# HELP overlord_process_resident_bytes Resident set size (VmRSS).\n\
             # TYPE overlord_process_resident_bytes gauge\noverlord_process_resident_bytes {rss}\n\
             # HELP overlord_process_peak_resident_bytes Peak resident set size since start (VmHWM).\n\
             # TYPE overlord_process_peak_resident_bytes gauge\noverlord_process_peak_resident_bytes {peak}"
        );
    }
    let name = "overlord_cache_limit";
    let _ = writeln!(
        out,
        "# HELP {name} Configured size of each cache or bounded table, in its unit.\n# TYPE {name} gauge"
    );
    for b in crate::budget::budget() {
        let _ = writeln!(out, "{name}{{cache=\"{}\",unit=\"{}\"}} {}", b.name, b.unit, b.limit);
    }
}

/// One exporter registry (per `Metrics`, so two servers in one test process never share
/// counters), plus the help texts already described.
struct Registry {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    described: Mutex<std::collections::HashSet<String>>,
}

impl Registry {
    fn new(buckets: &[(&str, &[f64])]) -> Registry {
        let mut builder = PrometheusBuilder::new();
        for (name, b) in buckets {
            // Only fails on an empty bucket list; ours are constants.
            builder = match builder.set_buckets_for_metric(Matcher::Full((*name).to_string()), b) {
                Ok(next) => next,
                Err(e) => unreachable_bucket_error(e),
            };
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        Registry { recorder, handle, described: Mutex::new(Default::default()) }
    }

    fn describe(&self, name: &str, help: &str, kind: Kind) {
        let mut d = self.described.lock().unwrap_or_else(|p| p.into_inner());
        if d.len() >= 4 * MAX_LABELS || !d.insert(name.to_string()) {
            return;
        }
        let key = KeyName::from(name.to_string());
        let help = SharedString::from(help.to_string());
        match kind {
            Kind::Counter => self.recorder.describe_counter(key, None, help),
            Kind::Gauge => self.recorder.describe_gauge(key, None, help),
            Kind::Histogram => self.recorder.describe_histogram(key, None, help),
        }
    }

    fn counter_with(&self, name: &'static str, help: &str, label: &'static str, value: &str) -> Counter {
        self.describe(name, help, Kind::Counter);
        let key = Key::from_parts(name, vec![Label::new(label, value.to_string())]);
        self.recorder.register_counter(&key, &METADATA)
    }

    fn gauge(&self, name: &str, help: &str) -> Gauge {
        self.describe(name, help, Kind::Gauge);
        self.recorder.register_gauge(&Key::from_name(name.to_string()), &METADATA)
    }

    fn histogram(&self, name: &'static str, help: &str) -> Histogram {
        self.describe(name, help, Kind::Histogram);
        self.recorder.register_histogram(&Key::from_static_name(name), &METADATA)
    }

    /// Sets a value owned elsewhere: a counter (absolute) if the name ends in `_total`,
    /// else a gauge.
    fn set(&self, name: &str, help: &str, v: f64) {
        if name.ends_with("_total") {
            self.describe(name, help, Kind::Counter);
            let c = self.recorder.register_counter(&Key::from_name(name.to_string()), &METADATA);
            // The exporter's counters are whole numbers; every `_total` here counts things
            // (time totals are histograms' `_sum`).
            c.absolute(v.max(0.0).round() as u64);
        } else {
            self.gauge(name, help).set(v);
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

fn unreachable_bucket_error(e: metrics_exporter_prometheus::BuildError) -> PrometheusBuilder {
    // `set_buckets_for_metric` fails only for an empty list; the lists above are not.
    tracing::error!(error = %e, "metric buckets refused; histograms use summaries");
    PrometheusBuilder::new()
}

/// Characters at most in one `/metrics/game` answer (the most recently seen first): the
/// live window already bounds it; this caps a huge window at a size Prometheus takes.
pub const MAX_GAME_CHARACTERS: usize = 2_000;

/// One character's figures for `/metrics/game` (taken from the hub's live state).
#[derive(Debug, Clone, Default)]
pub struct GameCharacter {
    pub name: String,
    pub online: bool,
    pub last_seen_ms: i64,
    pub kills: Option<u32>,
    pub kills_per_hour: Option<f64>,
    pub total_xp: Option<i64>,
    pub xp_per_hour: Option<i64>,
    pub level: Option<u32>,
    pub deaths: Option<u32>,
    pub total_deaths: Option<u32>,
    pub rares_found: Option<u32>,
    pub prismatic_tapers: Option<u32>,
}

/// `/metrics/game`: per-character series for Grafana, labelled `character`. A fresh
/// registry per scrape, so a character that left the live window has no series at all
/// (cardinality = characters online or seen within the window, at most
/// [`MAX_GAME_CHARACTERS`], times the ten families below).
///
/// Session counters (kills, deaths, rares) restart at zero on a new login; Prometheus
/// treats that as a counter reset, so `rate()`/`increase()` stay right.
pub fn render_game(chars: &[GameCharacter]) -> String {
    let mut chars: Vec<&GameCharacter> = chars.iter().collect();
    chars.sort_by(|a, b| b.last_seen_ms.cmp(&a.last_seen_ms).then_with(|| a.name.cmp(&b.name)));
    chars.truncate(MAX_GAME_CHARACTERS);
    let r = Registry::new(&[]);
    let online = chars.iter().filter(|c| c.online).count();
    r.gauge("overlord_game_characters_online", "Characters with a plugin socket open.").set(online as f64);
    r.gauge("overlord_game_characters_listed", "Characters in this answer (online or seen within live_window_s).")
        .set(chars.len() as f64);
    for c in chars {
        let g = |name: &'static str, help: &'static str, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                r.describe(name, help, Kind::Gauge);
                let key = Key::from_parts(name, vec![Label::new("character", c.name.clone())]);
                r.recorder.register_gauge(&key, &METADATA).set(v);
            }
        };
        let n = |name: &'static str, help: &'static str, v: Option<u64>| {
            if let Some(v) = v {
                r.describe(name, help, Kind::Counter);
                let key = Key::from_parts(name, vec![Label::new("character", c.name.clone())]);
                r.recorder.register_counter(&key, &METADATA).absolute(v);
            }
        };
        g(
            "overlord_game_online",
            "1 while the character's plugin socket is open.",
            Some(if c.online { 1.0 } else { 0.0 }),
        );
        n("overlord_game_kills_total", "Kills this session.", c.kills.map(u64::from));
        g("overlord_game_kills_per_hour", "Kills per hour this session (plugin figure).", c.kills_per_hour);
        n("overlord_game_xp_total", "Total experience.", c.total_xp.map(|x| x.max(0) as u64));
        g(
            "overlord_game_xp_per_hour",
            "Experience per hour this session (plugin figure).",
            c.xp_per_hour.map(|x| x as f64),
        );
        g("overlord_game_level", "Character level.", c.level.map(f64::from));
        n("overlord_game_deaths_total", "Deaths this session.", c.deaths.map(u64::from));
        n("overlord_game_lifetime_deaths_total", "Deaths over the character's life.", c.total_deaths.map(u64::from));
        n("overlord_game_rares_total", "Rares found this session.", c.rares_found.map(u64::from));
        g("overlord_game_prismatic_tapers", "Prismatic Tapers carried.", c.prismatic_tapers.map(f64::from));
    }
    r.handle.render()
}

/// Counters of the defences in front of the server: caught panics, refused and timed-out
/// connections, browsers dropped for falling behind. Rendered with the others.
#[derive(Default)]
pub struct GuardCounters {
    pub http_panics: AtomicU64,
    pub socket_panics: AtomicU64,
    pub connections_refused_per_address: AtomicU64,
    pub connections_refused_total: AtomicU64,
    pub connections_header_timeout: AtomicU64,
    pub accept_errors: AtomicU64,
    pub browser_slow_disconnects: AtomicU64,
    pub browser_dropped_bytes: AtomicU64,
}

impl GuardCounters {
    fn rows(&self) -> [(&'static str, &'static str, &AtomicU64); 8] {
        let rows: [(&str, &str, &AtomicU64); 8] = [
            ("overlord_http_panics_total", "Request handlers that panicked (answered 500).", &self.http_panics),
            ("overlord_socket_panics_total", "Socket tasks that panicked (socket closed 1011).", &self.socket_panics),
            (
                "overlord_connections_refused_per_address_total",
                "TCP connections closed at accept: the address was at its connection cap.",
                &self.connections_refused_per_address,
            ),
            (
                "overlord_connections_refused_total",
                "TCP connections closed at accept: the server was at its connection cap.",
                &self.connections_refused_total,
            ),
            (
                "overlord_connections_header_timeout_total",
                "Connections closed for not sending request headers in time.",
                &self.connections_header_timeout,
            ),
            (
                "overlord_accept_errors_total",
                "Failed accept() calls (e.g. out of file descriptors).",
                &self.accept_errors,
            ),
            (
                "overlord_browser_slow_disconnects_total",
                "Browser sockets closed for staying behind their backlog.",
                &self.browser_slow_disconnects,
            ),
            (
                "overlord_browser_dropped_bytes_total",
                "Bytes of broadcast messages dropped for browsers over their backlog.",
                &self.browser_dropped_bytes,
            ),
        ];
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_expose_rss_and_every_cache_limit() {
        let text = Metrics::default().render(&[]);
        let rss: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("overlord_process_resident_bytes "))
            .and_then(|v| v.parse().ok())
            .expect("overlord_process_resident_bytes");
        assert!(rss > 1_000_000.0, "rss {rss}");
        for b in crate::budget::budget() {
            let line = format!("overlord_cache_limit{{cache=\"{}\",unit=\"{}\"}} {}", b.name, b.unit, b.limit);
            assert!(text.lines().any(|l| l == line), "missing {line}");
        }
        let state =
            format!("overlord_cache_limit{{cache=\"state_redb\",unit=\"bytes\"}} {}", crate::memory::STATE_CACHE_BYTES);
        assert!(text.contains(&state), "missing {state}");
    }
}
