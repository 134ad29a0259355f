//! The plugin simulator: realistic characters walking Dereth, fighting, dying, finding
//! rares and dumping inventories over real WebSockets, for `serve --demo`, `overlord
//! simulate`, tests and benches.
//!
//! Owns the simulated population and its connections. Never does anything the real server
//! needs, never prints (callers read [`SimStats`] / [`SimReport`]), and never touches the
//! server's storage: it only speaks the plugin protocol of docs/protocol.md.
//!
//! Layout: `world` (map maths, towns, dungeons), `roster` (names, kinds, allegiances,
//! chat), `character` (state machine in simulated time), `frames` (wire JSON and quirks),
//! `items` + `item_tables` (inventory generator), `item_dump` (items as import lines),
//! `client` (one socket), `stats`.

pub(crate) mod character;
pub(crate) mod client;
mod events;
pub mod frames;
pub mod item_dump;
mod item_record;
mod item_render;
pub(crate) mod item_tables;
pub(crate) mod items;
pub(crate) mod kind;
mod play;
mod quests;
pub mod roster;
pub(crate) mod stats;
pub(crate) mod wire_style;
pub(crate) mod world;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinSet;

pub use character::{Character, CharacterConfig, CharacterKind, REALISTIC_TELEMETRY_RATE};
pub use items::generate_inventory;
pub use roster::{MAX_CHARACTERS, Roster};
pub use stats::{Progress, ProgressLine, SimStats, StatsSnapshot};

use client::{ClientContext, ClientEnd};
use roster::ChatLine;

/// The per-socket rate the server enforces is about 50 frames/s (docs/protocol.md §1); the
/// simulator stays a little under it unless `rate` itself asks for more.
pub const SOCKET_FRAME_LIMIT: f64 = 45.0;
/// Highest accepted telemetry rate per character: beyond this one socket cannot carry it.
pub const MAX_RATE: f64 = 10_000.0;
/// Lines buffered per allegiance channel; a client that falls further behind skips lines.
pub const CHAT_CHANNEL_CAPACITY: usize = 32;
/// Mean seconds between allegiance chat bursts (docs/protocol.md §3: 0–0.1 lines/s).
pub const CHAT_MEAN_GAP_S: f64 = 45.0;
/// Allegiance mates a character shares vitals with.
pub const SHARE_FELLOWS: usize = 3;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// WebSocket base URL of the server, e.g. `ws://127.0.0.1:8770`; `/ws/position` is
    /// appended unless present.
    pub url: String,
    /// Sent as `X-Plugin-Secret`.
    pub secret: String,
    /// Number of characters, one socket each (at most [`MAX_CHARACTERS`]).
    pub characters: usize,
    /// Telemetry frames per second per character. The default
    /// [`REALISTIC_TELEMETRY_RATE`] gives docs/protocol.md's realistic mix (~1.5–3 frames/s
    /// per hunter); `100.0` means 100 telemetry frames/s per character for load tests.
    pub rate: f64,
    /// Stop after this long; `None` runs until `shutdown` resolves.
    pub duration: Option<Duration>,
    /// Seed for every random choice; the same seed gives the same characters and items.
    pub seed: u64,
    /// Rares per hour of fighting (accelerated; ACE's real rate is 0.1–0.25).
    pub rares_per_hour: f64,
    /// Deaths per hour of fighting.
    pub deaths_per_hour: f64,
    /// Send the docs/protocol.md §1 quirks (strings for numbers, signed ids, …).
    pub quirks: bool,
    /// Simulate allegiance chat (each line sent by every member).
    pub chat: bool,
    /// Send a full inventory on every reconnect, not only the first login.
    pub inventory_on_connect: bool,
    /// Spread the first connections over this long (0 = a login storm).
    pub ramp_up: Duration,
}

impl Default for SimulateOptions {
    fn default() -> Self {
        SimulateOptions {
            url: "ws://127.0.0.1:8770".into(),
            secret: String::new(),
            characters: 8,
            rate: REALISTIC_TELEMETRY_RATE,
            duration: None,
            seed: 1,
            rares_per_hour: 2.0,
            deaths_per_hour: 0.4,
            quirks: true,
            chat: true,
            inventory_on_connect: true,
            ramp_up: Duration::from_secs(2),
        }
    }
}

impl SimulateOptions {
    /// Checks every option and returns the full plugin-socket URL.
    pub fn validate(&self) -> Result<String, SimError> {
        let bad = |m: String| Err(SimError::InvalidOptions(m));
        if self.characters == 0 || self.characters > MAX_CHARACTERS {
            return bad(format!("--characters must be 1..={MAX_CHARACTERS} (got {})", self.characters));
        }
        if !(self.rate > 0.0 && self.rate <= MAX_RATE) {
            return bad(format!(
                "--rate must be in (0, {MAX_RATE}] telemetry frames/s per character (got {})",
                self.rate
            ));
        }
        if !(self.rares_per_hour >= 0.0 && self.rares_per_hour.is_finite()) {
            return bad(format!("rares per hour must be ≥ 0 (got {})", self.rares_per_hour));
        }
        if !(self.deaths_per_hour >= 0.0 && self.deaths_per_hour.is_finite()) {
            return bad(format!("deaths per hour must be ≥ 0 (got {})", self.deaths_per_hour));
        }
        if self.secret.is_empty() {
            return bad("a plugin secret is required (the server refuses every plugin without one)".into());
        }
        let url = self.url.trim().trim_end_matches('/');
        if url.starts_with("wss://") {
            return bad("wss:// is not supported by the simulator; point it at the plain ws:// listener".into());
        }
        if !url.starts_with("ws://") {
            return bad(format!("the URL must start with ws:// (got {url:?}), e.g. ws://127.0.0.1:8770"));
        }
        Ok(if url.ends_with("/ws/position") { url.to_string() } else { format!("{url}/ws/position") })
    }

    /// The frame budget of one socket: [`SOCKET_FRAME_LIMIT`], or more when `rate` asks
    /// for more telemetry than that (a load test knowingly exceeds the server's limit).
    pub fn socket_frame_limit(&self) -> f64 {
        if self.rate * 1.2 > SOCKET_FRAME_LIMIT { self.rate * 1.2 + 10.0 } else { SOCKET_FRAME_LIMIT }
    }
}

/// Why a simulation could not run.
#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    InvalidOptions(String),
    /// Every character was refused with 401.
    Unauthorized,
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidOptions(m) => write!(f, "invalid simulation options: {m}"),
            SimError::Unauthorized => write!(
                f,
                "the server refused every simulated plugin with 401: pass the server's plugin secret with --secret"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// What a run achieved.
#[derive(Debug, Clone)]
pub struct SimReport {
    pub characters: usize,
    pub elapsed: Duration,
    pub frames_sent: u64,
    pub bytes_sent: u64,
    pub frames_per_s: f64,
    pub bytes_per_s: f64,
    pub errors: u64,
    pub connects: u64,
    pub reconnects: u64,
    pub connect_failures: u64,
    pub auth_failures: u64,
    pub superseded: u64,
    pub commands_acked: u64,
    pub frames_dropped: u64,
    pub by_type: Vec<(&'static str, u64)>,
    pub last_error: Option<String>,
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "simulated {} characters for {}: {} frames ({}), {:.0} events/s, {}/s",
            self.characters,
            stats::secs(self.elapsed),
            self.frames_sent,
            stats::human_bytes(self.bytes_sent as f64),
            self.frames_per_s,
            stats::human_bytes(self.bytes_per_s)
        )?;
        let kinds: Vec<String> = self.by_type.iter().filter(|(_, n)| *n > 0).map(|(k, n)| format!("{k} {n}")).collect();
        writeln!(f, "  by type: {}", kinds.join(", "))?;
        write!(
            f,
            "  connects {} (reconnects {}), connect failures {}, 401s {}, superseded {}, commands acked {}, dropped {}, errors {}",
            self.connects,
            self.reconnects,
            self.connect_failures,
            self.auth_failures,
            self.superseded,
            self.commands_acked,
            self.frames_dropped,
            self.errors
        )?;
        if let Some(e) = &self.last_error {
            write!(f, "\n  last error: {e}")?;
        }
        Ok(())
    }
}

/// A configured run whose counters can be watched while it runs.
pub struct Simulation {
    opts: SimulateOptions,
    url: String,
    stats: Arc<SimStats>,
}

impl Simulation {
    pub fn new(opts: SimulateOptions) -> Result<Simulation, SimError> {
        let url = opts.validate()?;
        Ok(Simulation { opts, url, stats: Arc::new(SimStats::new()) })
    }

    /// Live counters: hand to [`Progress`] for the CLI's "events/s every few seconds".
    pub fn stats(&self) -> Arc<SimStats> {
        Arc::clone(&self.stats)
    }

    /// Drives every character until `duration` passes or `shutdown` resolves.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<SimReport, SimError> {
        let opts = self.opts;
        let started = std::time::Instant::now();
        let roster = Roster::generate(opts.seed, opts.characters);
        let (stop_tx, stop_rx) = watch::channel(false);
        let cfg = CharacterConfig {
            telemetry_rate: opts.rate,
            rares_per_hour: opts.rares_per_hour,
            deaths_per_hour: opts.deaths_per_hour,
            quirks: opts.quirks,
            inventory_on_connect: opts.inventory_on_connect,
            start_unix_ms: chrono::Utc::now().timestamp_millis(),
            seed: opts.seed,
        };
        let chat_senders: Vec<broadcast::Sender<Arc<ChatLine>>> =
            roster.allegiances.iter().map(|_| broadcast::channel(CHAT_CHANNEL_CAPACITY).0).collect();
        let mut tasks: JoinSet<ClientEnd> = JoinSet::new();
        let mut helpers: JoinSet<()> = JoinSet::new();
        if opts.chat {
            for (a, tx) in chat_senders.iter().enumerate() {
                let tx = tx.clone();
                let roster = roster.clone();
                let mut stop = stop_rx.clone();
                let seed = roster::mix_seed(opts.seed ^ 0xC4A7, a as u64);
                helpers.spawn(async move { chat_loop(a, &roster, tx, seed, &mut stop).await });
            }
        }
        let ramp = opts.ramp_up.as_secs_f64() / opts.characters.max(1) as f64;
        let ctx = ClientContext {
            url: self.url.clone(),
            secret: opts.secret.clone(),
            frame_limit: opts.socket_frame_limit(),
            stats: Arc::clone(&self.stats),
            shutdown: stop_rx.clone(),
        };
        // Characters are built inside their tasks, so inventory generation for thousands
        // of characters is spread over the ramp instead of stalling the start.
        let roster = Arc::new(roster);
        for i in 0..roster.entries.len() {
            let roster = Arc::clone(&roster);
            let cfg = cfg.clone();
            let ctx = ctx.clone();
            let chat_rx = (opts.chat).then(|| chat_senders[roster.entries[i].allegiance].subscribe());
            let delay = Duration::from_secs_f64(ramp * i as f64);
            tasks.spawn(async move {
                let mut stop = ctx.shutdown.clone();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stop.changed() => return ClientEnd::Shutdown,
                }
                let character = build_character(&roster, i, &cfg);
                client::run_client(character, chat_rx, ctx).await
            });
        }
        drop(chat_senders);
        let deadline = async {
            match opts.duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        let mut ends = Vec::with_capacity(opts.characters);
        tokio::pin!(shutdown);
        tokio::pin!(deadline);
        let mut stopping = false;
        loop {
            tokio::select! {
                _ = &mut shutdown, if !stopping => { stopping = true; let _ = stop_tx.send(true); }
                _ = &mut deadline, if !stopping => { stopping = true; let _ = stop_tx.send(true); }
                joined = tasks.join_next() => match joined {
                    Some(Ok(end)) => ends.push(end),
                    Some(Err(e)) => self.stats.record_error(&format!("a client task failed: {e}")),
                    None => break,
                },
            }
        }
        let _ = stop_tx.send(true);
        while helpers.join_next().await.is_some() {}
        let elapsed = started.elapsed();
        let s = self.stats.snapshot();
        if s.auth_failures as usize == opts.characters && s.connects == 0 {
            return Err(SimError::Unauthorized);
        }
        let secs = elapsed.as_secs_f64().max(1e-6);
        Ok(SimReport {
            characters: opts.characters,
            elapsed,
            frames_sent: s.frames_sent,
            bytes_sent: s.bytes_sent,
            frames_per_s: s.frames_sent as f64 / secs,
            bytes_per_s: s.bytes_sent as f64 / secs,
            errors: s.errors,
            connects: s.connects,
            reconnects: s.reconnects,
            connect_failures: s.connect_failures,
            auth_failures: s.auth_failures,
            superseded: ends.iter().filter(|e| **e == ClientEnd::Superseded).count() as u64,
            commands_acked: s.commands_acked,
            frames_dropped: s.frames_dropped,
            by_type: s.by_kind,
            last_error: s.last_error,
        })
    }
}

/// Runs a simulation (see [`SimulateOptions`]) until its duration passes or `shutdown`
/// resolves. Prints nothing; use [`Simulation`] to watch progress while it runs.
pub async fn run(opts: SimulateOptions, shutdown: impl Future<Output = ()>) -> Result<SimReport, SimError> {
    Simulation::new(opts)?.run(shutdown).await
}

/// Demo characters for `serve --demo`: gentle realistic rates, rares and deaths a little
/// more often so a newcomer sees them, quirks on. Runs until the handle is aborted.
/// `url` is the server's WebSocket base (e.g. `ws://127.0.0.1:8770`).
pub fn spawn_demo(url: String, secret: String, characters: usize) -> tokio::task::JoinHandle<()> {
    let opts = SimulateOptions {
        url,
        secret,
        characters: characters.clamp(1, MAX_CHARACTERS),
        rares_per_hour: 6.0,
        deaths_per_hour: 1.0,
        ramp_up: Duration::from_secs(3),
        ..SimulateOptions::default()
    };
    tokio::spawn(async move {
        // Errors are visible in the server's own logs (401s, closed sockets); the demo
        // has no channel of its own to report them.
        let _ = run(opts, std::future::pending::<()>()).await;
    })
}

fn build_character(roster: &Roster, i: usize, cfg: &CharacterConfig) -> Character {
    let entry = &roster.entries[i];
    let alleg = &roster.allegiances[entry.allegiance];
    let monarch = alleg.members.first().map(|&m| roster.entries[m].name.as_str()).unwrap_or("");
    let pos = alleg.members.iter().position(|&m| m == i).unwrap_or(0);
    let patron = (pos > 0).then(|| roster.entries[alleg.members[(pos - 1) / 2]].name.as_str());
    let fellows: Vec<String> = alleg
        .members
        .iter()
        .filter(|&&m| m != i)
        .skip(pos % 7)
        .take(SHARE_FELLOWS)
        .map(|&m| roster.entries[m].name.clone())
        .collect();
    Character::new(entry, (&alleg.name, monarch, patron, fellows), cfg)
}

async fn chat_loop(
    allegiance: usize,
    roster: &Roster,
    tx: broadcast::Sender<Arc<ChatLine>>,
    seed: u64,
    stop: &mut watch::Receiver<bool>,
) {
    use rand::Rng;
    let mut rng = SmallRng::seed_from_u64(seed);
    loop {
        // Bursty: a quiet gap, then one to four lines a few seconds apart.
        let gap = character::exp_sample(&mut rng, CHAT_MEAN_GAP_S);
        let burst = if rng.random_bool(0.3) { rng.random_range(2..=4) } else { 1 };
        let mut wait = Duration::from_secs_f64(gap);
        for _ in 0..burst {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.changed() => return,
            }
            if let Some(line) = roster::random_chat_line(&mut rng, roster, allegiance) {
                // No receivers (everyone offline) is fine: nobody hears the line.
                let _ = tx.send(Arc::new(line));
            }
            wait = Duration::from_secs_f64(rng.random_range(1.0..5.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_validate_url_secret_and_limits() {
        let ok = SimulateOptions { secret: "s".into(), ..SimulateOptions::default() };
        assert_eq!(ok.validate().as_deref(), Ok("ws://127.0.0.1:8770/ws/position"));
        let with_path = SimulateOptions { url: "ws://h:1/ws/position/".into(), ..ok.clone() };
        assert_eq!(with_path.validate().as_deref(), Ok("ws://h:1/ws/position"));
        for bad in [
            SimulateOptions { secret: String::new(), ..ok.clone() },
            SimulateOptions { characters: 0, ..ok.clone() },
            SimulateOptions { rate: 0.0, ..ok.clone() },
            SimulateOptions { rate: f64::NAN, ..ok.clone() },
            SimulateOptions { url: "http://x".into(), ..ok.clone() },
            SimulateOptions { url: "wss://x".into(), ..ok.clone() },
        ] {
            assert!(matches!(bad.validate(), Err(SimError::InvalidOptions(_))), "{bad:?}");
        }
    }

    #[test]
    fn socket_limit_respects_the_server_unless_rate_asks_for_more() {
        let o = SimulateOptions::default();
        assert_eq!(o.socket_frame_limit(), SOCKET_FRAME_LIMIT);
        let load = SimulateOptions { rate: 100.0, ..o };
        assert!(load.socket_frame_limit() >= 120.0);
    }
}
