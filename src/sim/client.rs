//! One simulated plugin connection: a WebSocket to `/ws/position` carrying one
//! character's frames, with the secret header, a per-socket rate limit, replies to server
//! commands, and reconnection with backoff.
//!
//! Owns the socket lifecycle and pacing in real time. Never decides what a character does
//! (that is `character`) and never prints: it reports through the shared [`SimStats`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::Value;

use super::frames::Frame;
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use super::character::Character;
use super::roster::ChatLine;
use super::stats::SimStats;

/// First reconnect delay; doubles up to [`MAX_BACKOFF`].
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A session that lasted this long resets the backoff.
pub const STABLE_SESSION: Duration = Duration::from_secs(10);
/// Giving up on a TCP + WebSocket handshake after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A send blocked this long (the server stopped reading) counts as a dead socket.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Frames waiting for rate-limit tokens. Beyond this the oldest are dropped and counted:
/// a real plugin would lose them too, and memory must not grow while a socket is slow.
pub const MAX_OUTBOX: usize = 1024;
/// Largest server → plugin message accepted (commands and relays are small).
pub const MAX_INBOUND_MESSAGE: usize = 1 << 20;
/// Socket read buffer: server → plugin messages are small commands and relays, and the
/// default 128 KiB per socket adds up to hundreds of MB across thousands of characters.
pub const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Wake at least this often (keeps simulated time close to real time) and at most this
/// often (timer granularity; faster telemetry is batched per wake).
pub const MAX_WAKE_GAP: Duration = Duration::from_secs(1);
pub const MIN_WAKE_GAP: Duration = Duration::from_millis(10);
/// Simulated time skipped over while disconnected is capped at an hour of replay.
pub const MAX_OFFLINE_REPLAY_S: f64 = 3600.0;
/// Close code a server uses when a newer socket for the same character takes over.
pub const CLOSE_SUPERSEDED: u16 = 4000;

/// What a client needs besides its character.
#[derive(Clone)]
pub struct ClientContext {
    /// Full URL of the plugin socket, e.g. `ws://127.0.0.1:8770/ws/position`.
    pub url: String,
    pub secret: String,
    /// Frames per second allowed on this socket.
    pub frame_limit: f64,
    pub stats: Arc<SimStats>,
    pub shutdown: watch::Receiver<bool>,
}

/// Why a client stopped for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEnd {
    Shutdown,
    /// The server closed with 4000 "superseded": another socket owns this character.
    Superseded,
    /// The server answered 401: the secret is wrong or unset; retrying cannot help.
    Unauthorized,
}

enum SessionEnd {
    Shutdown,
    Superseded,
    Lost(String),
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs one character until shutdown, supersession or a 401.
pub async fn run_client(
    mut character: Character,
    mut chat: Option<broadcast::Receiver<Arc<ChatLine>>>,
    mut ctx: ClientContext,
) -> ClientEnd {
    let mut jitter = SmallRng::seed_from_u64(character.name().len() as u64 ^ 0x5EED);
    let mut backoff = INITIAL_BACKOFF;
    let mut first = true;
    let mut last_tick = Instant::now();
    loop {
        if *ctx.shutdown.borrow() {
            return ClientEnd::Shutdown;
        }
        match connect(&ctx).await {
            Ok(ws) => {
                ctx.stats.on_connect(first);
                // Time passed offline still happened in game: replay it, discarding frames.
                let gap = last_tick.elapsed().as_secs_f64().min(MAX_OFFLINE_REPLAY_S);
                if !first && gap > 0.0 {
                    let mut discarded = Vec::new();
                    character.advance(gap, &mut discarded);
                }
                let started = Instant::now();
                let end = session(&mut character, ws, first, &mut chat, &mut ctx, &mut last_tick).await;
                first = false;
                ctx.stats.on_disconnect();
                match end {
                    SessionEnd::Shutdown => return ClientEnd::Shutdown,
                    SessionEnd::Superseded => return ClientEnd::Superseded,
                    SessionEnd::Lost(reason) => {
                        ctx.stats.record_error(&format!("{}: connection lost: {reason}", character.name()));
                        if started.elapsed() >= STABLE_SESSION {
                            backoff = INITIAL_BACKOFF;
                        }
                    }
                }
            }
            Err(ConnectError::Unauthorized) => {
                ctx.stats.on_auth_failure();
                return ClientEnd::Unauthorized;
            }
            Err(ConnectError::Other(e)) => {
                ctx.stats.on_connect_failure(&format!("{}: {e}", ctx.url));
            }
        }
        let wait = backoff.mul_f64(jitter.random_range(0.5..1.0));
        backoff = (backoff * 2).min(MAX_BACKOFF);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = ctx.shutdown.changed() => return ClientEnd::Shutdown,
        }
    }
}

enum ConnectError {
    Unauthorized,
    Other(String),
}

async fn connect(ctx: &ClientContext) -> Result<Socket, ConnectError> {
    let mut request =
        ctx.url.as_str().into_client_request().map_err(|e| ConnectError::Other(format!("bad url: {e}")))?;
    let secret = HeaderValue::from_str(&ctx.secret)
        .map_err(|_| ConnectError::Other("the plugin secret is not a valid header value".into()))?;
    request.headers_mut().insert("X-Plugin-Secret", secret);
    let config =
        WebSocketConfig::default().max_message_size(Some(MAX_INBOUND_MESSAGE)).read_buffer_size(READ_BUFFER_BYTES);
    let attempt = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
        Err(_) => Err(ConnectError::Other("connect timed out".into())),
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(tungstenite::Error::Http(resp))) if resp.status().as_u16() == 401 => Err(ConnectError::Unauthorized),
        Ok(Err(e)) => Err(ConnectError::Other(e.to_string())),
    }
}

/// Token bucket: `rate` tokens per second, one second of burst.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new(rate: f64) -> TokenBucket {
        TokenBucket { rate, tokens: rate.max(1.0), at: Instant::now() }
    }

    fn refill(&mut self) {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate.max(1.0));
        self.at = now;
    }

    fn time_to_next(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.rate.max(1e-3))
        }
    }
}

async fn session(
    character: &mut Character,
    ws: Socket,
    first: bool,
    chat: &mut Option<broadcast::Receiver<Arc<ChatLine>>>,
    ctx: &mut ClientContext,
    last_tick: &mut Instant,
) -> SessionEnd {
    let (mut sink, mut stream) = ws.split();
    let mut frames: Vec<Frame> = Vec::new();
    let mut outbox: VecDeque<(usize, String)> = VecDeque::new();
    let mut bucket = TokenBucket::new(ctx.frame_limit);
    character.login(&mut frames, first);
    *last_tick = Instant::now();
    loop {
        enqueue(&mut frames, &mut outbox, &ctx.stats);
        if let Err(e) = flush_outbox(&mut sink, &mut outbox, &mut bucket, &ctx.stats).await {
            return SessionEnd::Lost(e);
        }
        let wait = if outbox.is_empty() {
            Duration::from_secs_f64(character.seconds_until_due())
        } else {
            bucket.time_to_next()
        };
        let wake = Instant::now() + wait.clamp(MIN_WAKE_GAP, MAX_WAKE_GAP);
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                let dt = now.duration_since(*last_tick).as_secs_f64();
                *last_tick = now;
                character.advance(dt, &mut frames);
            }
            msg = stream.next() => match msg {
                Some(Ok(Message::Text(text))) => {
                    ctx.stats.on_received();
                    if let Ok(v) = serde_json::from_str::<Value>(text.as_str()) {
                        let before = frames.len();
                        character.on_server_frame(&v, &mut frames);
                        ctx.stats.on_replies(&frames[before..]);
                    }
                }
                Some(Ok(Message::Close(close))) => {
                    let code = close.as_ref().map(|c| u16::from(c.code));
                    return if code == Some(CLOSE_SUPERSEDED) {
                        SessionEnd::Superseded
                    } else {
                        let reason = close.map(|c| format!("{} {}", u16::from(c.code), c.reason)).unwrap_or_default();
                        SessionEnd::Lost(format!("closed by server {reason}"))
                    };
                }
                // Pings are answered by tungstenite itself; binary frames are not ours.
                Some(Ok(_)) => {}
                Some(Err(e)) => return SessionEnd::Lost(e.to_string()),
                None => return SessionEnd::Lost("stream ended".into()),
            },
            line = next_chat(chat) => match line {
                Ok(line) => character.on_chat(&line, &mut frames),
                // A lagging receiver lost lines; the plugin would have missed them too.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => *chat = None,
            },
            _ = ctx.shutdown.changed() => {
                let _ = tokio::time::timeout(
                    Duration::from_secs(2),
                    sink.send(Message::Close(Some(tungstenite::protocol::CloseFrame {
                        code: CloseCode::Normal,
                        reason: "simulation finished".into(),
                    }))),
                )
                .await;
                return SessionEnd::Shutdown;
            }
        }
    }
}

async fn next_chat(
    chat: &mut Option<broadcast::Receiver<Arc<ChatLine>>>,
) -> Result<Arc<ChatLine>, broadcast::error::RecvError> {
    match chat {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Serializes new frames into the outbox, dropping the oldest beyond [`MAX_OUTBOX`].
fn enqueue(frames: &mut Vec<Frame>, outbox: &mut VecDeque<(usize, String)>, stats: &SimStats) {
    for f in frames.drain(..) {
        let kind = super::stats::frame_kind_index(f.kind());
        match f.into_text() {
            Ok(s) => outbox.push_back((kind, s)),
            Err(e) => stats.record_error(&format!("could not serialize a frame: {e}")),
        }
        if outbox.len() > MAX_OUTBOX {
            outbox.pop_front();
            stats.on_dropped(1);
        }
    }
}

/// Sends as many queued frames as the rate limit allows, then flushes once.
async fn flush_outbox<S>(
    sink: &mut S,
    outbox: &mut VecDeque<(usize, String)>,
    bucket: &mut TokenBucket,
    stats: &SimStats,
) -> Result<(), String>
where
    S: futures_util::Sink<Message, Error = tungstenite::Error> + Unpin,
{
    if outbox.is_empty() {
        return Ok(());
    }
    bucket.refill();
    let mut batch = super::stats::BatchCounts::default();
    let send_all = async {
        while bucket.tokens >= 1.0 {
            let Some((kind, text)) = outbox.pop_front() else {
                break;
            };
            bucket.tokens -= 1.0;
            batch.add(kind, text.len());
            sink.feed(Message::text(text)).await.map_err(|e| e.to_string())?;
        }
        sink.flush().await.map_err(|e| e.to_string())
    };
    let result = match tokio::time::timeout(WRITE_TIMEOUT, send_all).await {
        Ok(r) => r,
        Err(_) => Err("write timed out (server not reading)".to_string()),
    };
    stats.add_batch(&batch);
    result
}
