//! Discord webhook alerts: rare found, death, idle character, low prismatic tapers, and the
//! allegiance chat relay (docs/protocol.md §2.2, §2.3, §3.1, §3.5, §3.9).
//!
//! Owns: the alert settings and their validation, detection (which frames mean "alert"),
//! de-duplication, batching several lines into one webhook post, delivery with Discord's
//! rate limits (429 `retry_after`, `X-RateLimit-*`) and retries with backoff, and the
//! counters shown on `/metrics`.
//!
//! Must never: block or slow the ingest path (every method the ingest path calls is a
//! `try_send` or a short map update, and a full queue drops and counts); grow memory
//! without bound while Discord is down (every queue and map has a named limit); log or
//! print a webhook URL's token.
//!
//! Shape: [`Alerts::start`] spawns one detection task (fed by a bounded channel from
//! [`AlertsHandle::on_frame`], plus a timer tick for idle checks) and one delivery worker
//! per distinct webhook URL. The detection task turns events into one-line alerts and
//! pushes them onto the worker's bounded queue; the worker waits briefly so lines that
//! arrive together share one post, then posts and retries. With no webhook configured
//! nothing is spawned. The settings the dashboard's Alerts page edits are persisted by
//! [`AlertSettings`] (`overlord.toml`/env win) and applied by
//! [`AlertsHandle::reconfigure`] without a restart; its "send test" goes through the same
//! worker as real alerts ([`AlertsHandle::send_test`]), and [`AlertsHandle::recent`]
//! lists the latest outcomes.

mod attention;
mod config;
mod deliver;
mod detect;
mod format;
mod recent;
mod samples;
mod settings;

use crate::clock::now_ms;
pub use attention::{
    Attention, AttentionSnapshot, DEFAULT_DISCONNECTED_MINUTES, DEFAULT_STUCK_MINUTES, DisconnectedCharacter,
    StuckCharacter, is_disconnect_reason,
};
pub use config::{AlertConfig, AlertConfigError, AlertKind, AlertTuning, WebhookUrlError};
pub use deliver::{ClientSetupError, WorkerUrlError};
pub use format::{MAX_TEMPLATE_CHARS, TemplateError, redact_webhook_url};
pub use recent::{RECENT_ALERTS_KEPT, SentAlert, TestReport};
pub use samples::test_line;
pub use settings::{
    AlertSettings, AlertSettingsPatch, AlertSettingsView, KindPatch, KindView, SettingsError, Source, THRESHOLD_KEYS,
    ThresholdView,
};

use crate::protocol::{PluginEvent, PluginFrame, name_key};
use deliver::{QueuedLine, WebhookQueue, Worker};
use detect::{Detector, Event, OpenSocket};
use recent::{Probe, RecentLog};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Frames waiting for the detection task. It handles one in a few microseconds (2.3 µs
/// measured in an unoptimized build), so this only fills if the task is starved; 600
/// characters send ~200 telemetry/s plus chat bursts of up to 600 copies of a line, so
/// 8,192 is seconds of headroom at about 150 bytes per event (≈1.2 MB worst case).
pub const EVENT_QUEUE_CAPACITY: usize = 8_192;
/// Alert lines waiting per webhook. Discord accepts about 30 posts a minute per channel,
/// each up to 2,000 characters; 1,000 lines is several minutes of a busy relay and at most
/// ~1 MB. Beyond it the oldest line is dropped and counted (an outage must not grow memory).
pub const MAX_QUEUED_LINES: usize = 1_000;
/// Characters tracked for death, taper and idle state (and open sockets). Well above the
/// 600-character design scale and the 2,000-socket default connection limit; when full the
/// least recently seen character is forgotten.
pub const MAX_TRACKED_CHARACTERS: usize = 20_000;
/// Discord's limit on a message's `content`.
pub const DISCORD_CONTENT_LIMIT: usize = 2_000;
/// The name posts appear under.
pub const WEBHOOK_USERNAME: &str = "Overlord";
/// docs/protocol.md §3.9: the same allegiance line arrives from every member online; copies
/// within this window are one line.
pub const CHAT_DEDUP_WINDOW: Duration = Duration::from_secs(10);
/// A reconnecting plugin may resend its rare; the same character and item within this
/// window is one alert (real repeats are one in thousands of kills apart).
pub const RARE_DEDUP_WINDOW: Duration = Duration::from_secs(60);
/// Low tapers re-arm once the count is back at `low_taper_threshold` plus this, so a
/// count hovering around the threshold does not alert on every wobble.
pub const LOW_TAPER_HYSTERESIS: u32 = 50;
/// A `deaths` step larger than this between two telemetry frames (2–5 s apart) is not a
/// death but a glitch or a counter from another source: it becomes the new baseline.
pub const MAX_DEATHS_PER_STEP: u32 = 20;
/// How often idle characters are looked for, unless tuned.
pub const IDLE_CHECK_EVERY: Duration = Duration::from_secs(30);
/// Lines that arrive within this time of the first one share a post.
pub const BATCH_LINGER: Duration = Duration::from_secs(1);
/// Discord allows a webhook about 30 messages a minute per channel (and 5 per 2 s): one
/// post every 2 s stays under both, so steady traffic never meets a 429.
pub const MIN_POST_INTERVAL: Duration = Duration::from_secs(2);
/// First retry delay after a 5xx or network error; doubles per attempt.
pub const RETRY_BACKOFF_BASE: Duration = Duration::from_secs(2);
/// Longest wait between two attempts of one post.
pub const RETRY_BACKOFF_CAP: Duration = Duration::from_secs(60);
/// Attempts of one post on 5xx or network errors before it is given up and counted
/// (2+4+8+16+32+60+60 s: about 3 minutes of outage per post).
pub const MAX_DELIVERY_ATTEMPTS: u32 = 8;
/// 429 answers tolerated for one post before it is given up (each waits `retry_after`).
pub const MAX_RATE_LIMITED_RETRIES: u32 = 30;
/// A `retry_after` above this is clamped (a bogus or hostile value must not park a worker
/// for hours; a real long ban just answers 429 again).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(900);
/// One webhook request, connect to last body byte.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Discord's answers are small JSON documents; more is not read.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// On shutdown, queued lines get this long to be posted; the rest is counted as dropped.
pub const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);
/// A webhook URL longer than this is a mistake (Discord's are about 120 characters).
pub const MAX_WEBHOOK_URL_BYTES: usize = 2_048;

/// Counters for `/metrics`. Every alert raised is eventually sent or dropped:
/// `alerts_raised == alerts_sent + alerts_dropped + queued`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertStats {
    /// Frames not looked at because the detection queue was full (ingest never waits).
    pub events_dropped: u64,
    /// Alert lines produced (after de-duplication).
    pub alerts_raised: u64,
    /// Copies suppressed by de-duplication (allegiance chat, resent rares).
    pub duplicates_suppressed: u64,
    /// Alert lines Discord accepted.
    pub alerts_sent: u64,
    /// Webhook posts Discord accepted (each holds one or more lines).
    pub posts_sent: u64,
    /// Alert lines lost: queue overflow (oldest first), posts given up, shutdown leftovers.
    pub alerts_dropped: u64,
    /// Lines waiting in the webhook queues now.
    pub queued: u64,
    /// Repeated attempts (after a 429, a 5xx or a network error).
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Posts given up: attempts exhausted, or refused with a 4xx other than 429.
    pub failures: u64,
}

impl AlertStats {
    /// `(name, help, value)` rows in the shape `Metrics::render`'s `extra` takes.
    pub fn metric_rows(&self) -> [(&'static str, &'static str, f64); 10] {
        [
            (
                "overlord_alert_events_dropped_total",
                "Frames the alert detector skipped because its queue was full.",
                self.events_dropped as f64,
            ),
            ("overlord_alerts_raised_total", "Alert lines raised (after de-duplication).", self.alerts_raised as f64),
            (
                "overlord_alert_duplicates_total",
                "Duplicate chat lines and rares suppressed.",
                self.duplicates_suppressed as f64,
            ),
            ("overlord_alerts_sent_total", "Alert lines delivered to Discord.", self.alerts_sent as f64),
            ("overlord_alert_posts_total", "Webhook posts Discord accepted.", self.posts_sent as f64),
            (
                "overlord_alerts_dropped_total",
                "Alert lines lost (queue overflow, posts given up, shutdown).",
                self.alerts_dropped as f64,
            ),
            ("overlord_alerts_queued", "Alert lines waiting for delivery.", self.queued as f64),
            ("overlord_alert_retries_total", "Webhook post retries (429, 5xx, network).", self.retries as f64),
            ("overlord_alert_rate_limited_total", "Webhook 429 answers.", self.rate_limited as f64),
            ("overlord_alert_failures_total", "Webhook posts given up or refused.", self.failures as f64),
        ]
    }
}

/// Starts the alert tasks.
pub struct Alerts;

impl Alerts {
    /// Spawns the detection task and one delivery worker per distinct webhook URL on the
    /// current tokio runtime. With no webhook configured it spawns nothing (a later
    /// [`AlertsHandle::reconfigure`] may). Call [`AlertConfig::validate`] first (at config
    /// load): a config that fails it here is logged and alerts stay off rather than the
    /// server failing late.
    pub fn start(cfg: AlertConfig) -> AlertsHandle {
        Alerts::start_with(cfg, Arc::new(Attention::default()))
    }

    /// As [`Alerts::start`], raising stuck and disconnected alerts from `attention` (the
    /// server's one detection, also behind `/api/attention`).
    pub fn start_with(cfg: AlertConfig, attention: Arc<Attention>) -> AlertsHandle {
        let handle = AlertsHandle::with_attention(attention);
        if let Err(e) = handle.reconfigure(cfg) {
            tracing::error!(error = %e, "alerts are off: invalid alert settings");
        }
        handle
    }
}

/// What the ingest path and the Alerts page hold. Cheap to clone; every method the ingest
/// path calls returns at once.
///
/// The settings can change while running ([`AlertsHandle::reconfigure`], from the Alerts
/// page): a new *generation* (detection routes, webhook queues and workers) replaces the
/// old one, which posts what it had queued and ends. What outlives generations is kept
/// here: open sockets, detection state (so a settings change does not repeat a stuck
/// alert or forget a death baseline), counters and the recent-alerts list.
#[derive(Clone)]
pub struct AlertsHandle {
    core: Arc<Core>,
}

impl Default for AlertsHandle {
    fn default() -> Self {
        AlertsHandle::inert()
    }
}

struct Core {
    /// Open plugin sockets per character. A map under a short lock rather than channel
    /// messages: an open or close must never be lost to a full queue, or idle alerts would
    /// be wrong until restart.
    presence: Arc<Mutex<HashMap<String, Presence>>>,
    counters: Arc<Counters>,
    recent: Arc<RecentLog>,
    detector: Arc<Mutex<Detector>>,
    attention: Arc<Attention>,
    current: RwLock<Option<Arc<Generation>>>,
    /// Detection tasks of replaced generations, flushing their queues.
    retiring: Mutex<Vec<JoinHandle<()>>>,
    /// Webhooks with a "send test" in progress (one at a time per URL).
    testing: Mutex<HashSet<String>>,
}

impl AlertsHandle {
    /// A handle with no alert running (until [`AlertsHandle::reconfigure`]).
    pub fn inert() -> AlertsHandle {
        AlertsHandle::with_attention(Arc::new(Attention::default()))
    }

    fn with_attention(attention: Arc<Attention>) -> AlertsHandle {
        let detector = Detector::new(detect::DetectSettings {
            wants: Wants::default(),
            idle_after_ms: i64::MAX,
            low_taper_threshold: 0,
        });
        AlertsHandle {
            core: Arc::new(Core {
                presence: Arc::new(Mutex::new(HashMap::new())),
                counters: Arc::new(Counters::default()),
                recent: Arc::new(RecentLog::default()),
                detector: Arc::new(Mutex::new(detector)),
                attention,
                current: RwLock::new(None),
                retiring: Mutex::new(Vec::new()),
                testing: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// Whether any alert is running.
    pub fn is_active(&self) -> bool {
        self.current().is_some()
    }

    fn current(&self) -> Option<Arc<Generation>> {
        self.core.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Replaces the running settings with `cfg` (validated first; on error nothing
    /// changes). Lines already queued are still posted to the webhooks they were queued
    /// for. Must be called on a tokio runtime.
    pub fn reconfigure(&self, cfg: AlertConfig) -> Result<(), ReconfigureError> {
        cfg.validate()?;
        let next = if cfg.is_enabled() { Some(self.spawn_generation(&cfg)?) } else { None };
        let old = {
            let mut cur = self.core.current.write().unwrap_or_else(|p| p.into_inner());
            std::mem::replace(&mut *cur, next)
        };
        if let Some(old) = old {
            let _ = old.stop.send(true);
            if let Some(task) = old.task.lock().ok().and_then(|mut t| t.take()) {
                let mut retiring = self.core.retiring.lock().unwrap_or_else(|p| p.into_inner());
                retiring.retain(|t| !t.is_finished());
                retiring.push(task);
            }
        }
        Ok(())
    }

    fn spawn_generation(&self, cfg: &AlertConfig) -> Result<Arc<Generation>, ReconfigureError> {
        let client = deliver::https_client(cfg.tuning.request_timeout)?;
        let core = &self.core;
        // One worker per distinct URL: kinds sharing a webhook share its posts and its
        // rate limit, which is how Discord counts them.
        let mut queues: Vec<Arc<WebhookQueue>> = Vec::new();
        let mut urls: Vec<String> = Vec::new();
        let mut route: HashMap<AlertKind, Vec<usize>> = HashMap::new();
        let mut labels: Vec<Vec<&'static str>> = Vec::new();
        for kind in AlertKind::ALL {
            for url in cfg.active_webhooks(kind) {
                let idx = match urls.iter().position(|u| u == url) {
                    Some(i) => i,
                    None => {
                        urls.push(url.to_string());
                        queues.push(Arc::new(WebhookQueue::new(MAX_QUEUED_LINES)));
                        labels.push(Vec::new());
                        urls.len() - 1
                    }
                };
                labels[idx].push(kind.name());
                route.entry(kind).or_default().push(idx);
            }
        }
        let mut workers = Vec::new();
        for (i, url) in urls.iter().enumerate() {
            let label = format!("{} ({})", redact_webhook_url(url), labels[i].join(", "));
            let worker = Worker::new(
                url,
                label,
                queues[i].clone(),
                client.clone(),
                core.counters.clone(),
                core.recent.clone(),
                cfg.tuning.clone(),
            );
            match worker {
                Ok(w) => {
                    tracing::info!(webhook = %redact_webhook_url(url), kinds = %labels[i].join(", "), "alert webhook configured");
                    workers.push(tokio::spawn(w.run()));
                }
                // Unreachable after validate(); its lines would wait and count as dropped.
                Err(e) => tracing::error!(error = %e, "alert webhook skipped"),
            }
        }
        let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let (stop_tx, stop_rx) = watch::channel(false);
        let wants = Wants {
            rare: route.contains_key(&AlertKind::Rare),
            death: route.contains_key(&AlertKind::Death),
            idle: route.contains_key(&AlertKind::Idle),
            tapers: route.contains_key(&AlertKind::Tapers),
            chat: route.contains_key(&AlertKind::Chat),
            stuck: route.contains_key(&AlertKind::Stuck),
            disconnected: route.contains_key(&AlertKind::Disconnected),
            levelup: route.contains_key(&AlertKind::Levelup),
        };
        let templates: HashMap<AlertKind, String> =
            AlertKind::ALL.iter().filter_map(|k| cfg.template(*k).map(|t| (*k, t.to_string()))).collect();
        core.detector.lock().unwrap_or_else(|p| p.into_inner()).set_settings(detect::DetectSettings {
            wants,
            idle_after_ms: i64::try_from(cfg.idle_after().as_millis()).unwrap_or(i64::MAX),
            low_taper_threshold: cfg.low_taper_threshold,
        });
        let routes = Arc::new(Routes { queues, urls, route, templates, tuning: cfg.tuning.clone() });
        let engine = Engine {
            rx,
            stop: stop_rx,
            detector: core.detector.clone(),
            presence: core.presence.clone(),
            counters: core.counters.clone(),
            routes: routes.clone(),
            attention: core.attention.clone(),
            idle_check_every: cfg.tuning.idle_check_every,
        };
        let task = tokio::spawn(engine.run(workers));
        Ok(Arc::new(Generation { tx, wants, routes, stop: stop_tx, task: Mutex::new(Some(task)) }))
    }

    /// Looks at one decoded plugin frame. Never waits: only telemetry, rare and allegiance
    /// chat frames of configured kinds are queued, and a full queue drops and counts.
    pub fn on_frame(&self, frame: &PluginFrame, recv_ms: i64) {
        let cur = self.core.current.read().unwrap_or_else(|p| p.into_inner());
        let Some(s) = cur.as_ref() else { return };
        let event = match &frame.body {
            PluginEvent::Telemetry(t) if s.wants.death || s.wants.tapers || s.wants.idle || s.wants.levelup => {
                Event::Telemetry {
                    name: frame.character_name.clone(),
                    recv_ms,
                    deaths: t.deaths,
                    total_deaths: t.total_deaths,
                    session_seconds: t.session_seconds,
                    tapers: t.prismatic_taper_count,
                    place: Some((t.ew, t.ns, t.is_dungeon)),
                    level: t.level,
                }
            }
            PluginEvent::Rare(r) if s.wants.rare => Event::Rare {
                name: frame.character_name.clone(),
                recv_ms,
                rare_name: r.rare_name.clone(),
                place: r.place.ew.zip(r.place.ns).map(|(ew, ns)| (ew, ns, r.place.is_dungeon)),
            },
            PluginEvent::Chat(c) if s.wants.chat && detect::is_allegiance(c) => {
                Event::Chat { recv_ms, sender: c.sender.clone(), text: c.text.clone() }
            }
            _ => return,
        };
        if s.tx.try_send(event).is_err() {
            self.core.counters.events_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A plugin socket bound to `name` opened (`online`) or closed. Call once with `true`
    /// per bound socket and once with `false` when that socket ends, superseded or not:
    /// open sockets are counted, so a replacement socket keeps the character online.
    /// Tracked whether or not idle alerts are on, so turning them on later sees who is
    /// connected.
    pub fn on_online(&self, name: &str, online: bool, recv_ms: i64) {
        let key = name_key(name);
        let Ok(mut presence) = self.core.presence.lock() else { return };
        if online {
            if let Some(p) = presence.get_mut(&key) {
                p.open_sockets = p.open_sockets.saturating_add(1);
                p.opened_ms = recv_ms;
            } else if presence.len() < MAX_TRACKED_CHARACTERS {
                presence
                    .insert(key, Presence { display: name.trim().to_string(), open_sockets: 1, opened_ms: recv_ms });
            } else {
                self.core.counters.events_dropped.fetch_add(1, Ordering::Relaxed);
            }
        } else if let Some(p) = presence.get_mut(&key) {
            p.open_sockets = p.open_sockets.saturating_sub(1);
            if p.open_sockets == 0 {
                presence.remove(&key);
            }
        }
    }

    /// A scheduled backup failed: raises a "backup" alert (when a webhook takes them).
    /// Never waits.
    pub fn backup_failed(&self, error: &str, backup_dir: &str) {
        let Some(s) = self.current() else { return };
        let alert = detect::Alert {
            kind: AlertKind::Backup,
            line: format::backup_failed(error),
            fields: vec![("error", error.to_string()), ("backup_dir", backup_dir.to_string())],
        };
        let raised = route_alert(&s.routes, alert);
        self.core.counters.alerts_raised.fetch_add(raised.0, Ordering::Relaxed);
        self.core.counters.alerts_dropped.fetch_add(raised.1, Ordering::Relaxed);
    }

    /// Posts `line` (a test message) to `url` through the real delivery worker: the
    /// running one when `url` is a configured webhook (its pacing and rate-limit state
    /// apply), else a worker started for this one post. Waits up to `wait` for the
    /// outcome; a post still retrying then is reported with `done: false` and carries on.
    pub async fn send_test(
        &self,
        kind: AlertKind,
        url: &str,
        line: String,
        wait: Duration,
    ) -> Result<TestReport, TestError> {
        config::validate_webhook_url(url)?;
        let url = url.trim().to_string();
        {
            let mut testing = self.core.testing.lock().unwrap_or_else(|p| p.into_inner());
            if !testing.insert(url.clone()) {
                return Err(TestError::Busy);
            }
        }
        let _release = TestSlot { core: self.core.clone(), url: url.clone() };
        let (probe, mut rx) = Probe::new();
        let mut queued = QueuedLine::new(kind, line);
        queued.probe = Some(Arc::new(probe));
        self.core.counters.alerts_raised.fetch_add(1, Ordering::Relaxed);
        let running = self
            .current()
            .and_then(|g| g.routes.urls.iter().position(|u| *u == url).and_then(|i| g.routes.queues.get(i).cloned()));
        match running {
            Some(queue) => {
                if queue.push(queued) {
                    self.core.counters.alerts_dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
            None => {
                let tuning = self.current().map(|g| g.routes.tuning.clone()).unwrap_or_default();
                let client = deliver::https_client(tuning.request_timeout)?;
                let queue = Arc::new(WebhookQueue::new(1));
                let worker = Worker::new(
                    &url,
                    format!("{} (test)", redact_webhook_url(&url)),
                    queue.clone(),
                    client,
                    self.core.counters.clone(),
                    self.core.recent.clone(),
                    tuning,
                )?;
                queue.push(queued);
                // Closed at once: the worker posts this one line (with its retries) and ends.
                queue.close();
                tokio::spawn(worker.run());
            }
        }
        let _ = tokio::time::timeout(wait, rx.wait_for(|r| r.done)).await;
        let report = rx.borrow().clone();
        Ok(report)
    }

    /// The newest alert outcomes, newest first.
    pub fn recent(&self) -> Vec<SentAlert> {
        self.core.recent.list()
    }

    /// The counters, for `/metrics`. All zero while nothing ran.
    pub fn stats(&self) -> AlertStats {
        let mut st = self.core.counters.snapshot();
        if let Some(g) = self.current() {
            st.queued = g.routes.queues.iter().map(|q| q.len() as u64).sum();
        }
        st
    }

    /// Stops detection, gives queued lines up to [`SHUTDOWN_FLUSH_TIMEOUT`] to be posted,
    /// counts the rest as dropped, and returns. Later calls return at once.
    pub async fn shutdown(&self) {
        let current = self.core.current.write().unwrap_or_else(|p| p.into_inner()).take();
        let mut tasks: Vec<JoinHandle<()>> =
            std::mem::take(&mut *self.core.retiring.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(g) = current {
            let _ = g.stop.send(true);
            if let Some(task) = g.task.lock().ok().and_then(|mut t| t.take()) {
                tasks.push(task);
            }
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Checks a template for `kind` (length, braces, known placeholders).
pub fn validate_template_for(kind: AlertKind, template: &str) -> Result<(), KindTemplateError> {
    format::validate_template(template, kind.placeholders()).map_err(|source| KindTemplateError { kind, source })
}

/// A template typed for one alert kind is unusable; the message starts with the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} template: {source}", .kind.name())]
pub struct KindTemplateError {
    pub kind: AlertKind,
    #[source]
    pub source: TemplateError,
}

/// Why new alert settings were not applied (the running ones stay).
#[derive(Debug, thiserror::Error)]
pub enum ReconfigureError {
    /// A setting is invalid; the message names it.
    #[error(transparent)]
    Invalid(#[from] AlertConfigError),
    /// The HTTPS client for the webhooks could not be built.
    #[error("cannot set up the HTTPS client: {0}")]
    HttpsClient(#[from] ClientSetupError),
}

/// Why a test post could not be made at all.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    /// The URL is not an acceptable webhook (the text says why; no token in it).
    #[error("webhook URL {0}")]
    BadUrl(#[from] WebhookUrlError),
    /// The URL passed the check but the delivery worker could not parse it (a bug).
    #[error("webhook URL {0}")]
    WorkerUrl(#[from] WorkerUrlError),
    /// A test to this webhook is already in progress.
    #[error("a test to this webhook is already in progress; wait for its result")]
    Busy,
    /// The HTTPS client could not be set up.
    #[error("cannot send: {0}")]
    Setup(#[from] ClientSetupError),
}

/// Frees the webhook's test slot when the request ends (answered or cancelled).
struct TestSlot {
    core: Arc<Core>,
    url: String,
}

impl Drop for TestSlot {
    fn drop(&mut self) {
        self.core.testing.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.url);
    }
}

/// Which kinds have a webhook; detection skips the rest.
#[derive(Debug, Clone, Copy, Default)]
struct Wants {
    rare: bool,
    death: bool,
    idle: bool,
    tapers: bool,
    chat: bool,
    stuck: bool,
    disconnected: bool,
    levelup: bool,
}

struct Presence {
    display: String,
    open_sockets: u32,
    /// When the newest socket opened: an idle spell starts no earlier than this.
    opened_ms: i64,
}

/// Where one generation's alert lines go.
struct Routes {
    queues: Vec<Arc<WebhookQueue>>,
    /// `urls[i]` is `queues[i]`'s webhook.
    urls: Vec<String>,
    route: HashMap<AlertKind, Vec<usize>>,
    templates: HashMap<AlertKind, String>,
    tuning: AlertTuning,
}

/// One set of running settings: its detection task, queues and workers.
struct Generation {
    tx: mpsc::Sender<Event>,
    wants: Wants,
    routes: Arc<Routes>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Counters {
    events_dropped: AtomicU64,
    alerts_raised: AtomicU64,
    duplicates_suppressed: AtomicU64,
    alerts_sent: AtomicU64,
    posts_sent: AtomicU64,
    alerts_dropped: AtomicU64,
    retries: AtomicU64,
    rate_limited: AtomicU64,
    failures: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> AlertStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        AlertStats {
            events_dropped: g(&self.events_dropped),
            alerts_raised: g(&self.alerts_raised),
            duplicates_suppressed: g(&self.duplicates_suppressed),
            alerts_sent: g(&self.alerts_sent),
            posts_sent: g(&self.posts_sent),
            alerts_dropped: g(&self.alerts_dropped),
            queued: 0,
            retries: g(&self.retries),
            rate_limited: g(&self.rate_limited),
            failures: g(&self.failures),
        }
    }
}

/// The detection task: events and idle ticks in, alert lines onto the webhook queues.
struct Engine {
    rx: mpsc::Receiver<Event>,
    stop: watch::Receiver<bool>,
    /// Shared with the generations before and after this one.
    detector: Arc<Mutex<Detector>>,
    presence: Arc<Mutex<HashMap<String, Presence>>>,
    counters: Arc<Counters>,
    routes: Arc<Routes>,
    attention: Arc<Attention>,
    idle_check_every: Duration,
}

impl Engine {
    fn detector(&self) -> std::sync::MutexGuard<'_, Detector> {
        // The detector's maps stay usable after a panic elsewhere (each update is small).
        self.detector.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn run(mut self, workers: Vec<JoinHandle<()>>) {
        let mut tick = tokio::time::interval(self.idle_check_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut out = Vec::new();
        loop {
            tokio::select! {
                ev = self.rx.recv() => {
                    let Some(ev) = ev else { break };
                    self.detector().on_event(ev, &mut out);
                    // Drain what is already queued without going back through select.
                    while let Ok(ev) = self.rx.try_recv() {
                        self.detector().on_event(ev, &mut out);
                        if out.len() >= 64 { self.route(&mut out); }
                    }
                }
                _ = tick.tick() => {
                    let open = self.open_sockets();
                    let snapshot = self.attention.snapshot(now_ms());
                    let mut d = self.detector();
                    d.check_idle(&open, now_ms(), &mut out);
                    d.check_attention(&snapshot, &mut out);
                }
                _ = self.stop.changed() => break,
            }
            self.route(&mut out);
        }
        // Events accepted before the stop still count.
        self.rx.close();
        while let Ok(ev) = self.rx.try_recv() {
            self.detector().on_event(ev, &mut out);
        }
        self.route(&mut out);
        self.flush_and_stop(workers).await;
    }

    fn open_sockets(&self) -> Vec<OpenSocket> {
        let Ok(p) = self.presence.lock() else { return Vec::new() };
        p.iter()
            .filter(|(_, v)| v.open_sockets > 0)
            .map(|(k, v)| OpenSocket { key: k.clone(), display: v.display.clone(), opened_ms: v.opened_ms })
            .collect()
    }

    fn route(&mut self, out: &mut Vec<detect::Alert>) {
        let dup = self.detector().take_duplicates();
        if dup > 0 {
            self.counters.duplicates_suppressed.fetch_add(dup, Ordering::Relaxed);
        }
        for alert in out.drain(..) {
            let (raised, dropped) = route_alert(&self.routes, alert);
            self.counters.alerts_raised.fetch_add(raised, Ordering::Relaxed);
            self.counters.alerts_dropped.fetch_add(dropped, Ordering::Relaxed);
        }
    }

    async fn flush_and_stop(self, workers: Vec<JoinHandle<()>>) {
        for q in &self.routes.queues {
            q.close();
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_FLUSH_TIMEOUT;
        for mut w in workers {
            if tokio::time::timeout_at(deadline, &mut w).await.is_err() {
                // Wait for the cancellation to land, so the worker is not counting a
                // post as sent while its lines are counted as dropped below.
                w.abort();
                let _ = w.await;
            }
        }
        let left: u64 = self.routes.queues.iter().map(|q| q.drain_all() as u64).sum();
        if left > 0 {
            self.counters.alerts_dropped.fetch_add(left, Ordering::Relaxed);
            tracing::warn!(lines = left, "alerts not delivered before shutdown");
        }
    }
}

/// Puts one alert on every webhook queue of its kind, its template applied. Returns
/// (lines raised, lines dropped by a full queue). Detection only raises kinds that have a
/// webhook, so a route normally exists; one that does not raises nothing.
fn route_alert(routes: &Routes, alert: detect::Alert) -> (u64, u64) {
    let Some(targets) = routes.route.get(&alert.kind) else { return (0, 0) };
    let line = match routes.templates.get(&alert.kind) {
        Some(t) => format::apply_template(t, &alert.fields),
        None => alert.line,
    };
    let raised_ms = now_ms();
    let (mut raised, mut dropped) = (0, 0);
    for &idx in targets {
        let Some(queue) = routes.queues.get(idx) else { continue };
        raised += 1;
        let queued = QueuedLine { kind: alert.kind, text: line.clone(), raised_ms, probe: None };
        if queue.push(queued) {
            dropped += 1;
        }
    }
    (raised, dropped)
}
