//! `/ws/position`: the plugin socket (protocol.md §1, §8).
//!
//! The secret is compared in constant time before the upgrade; an unset secret refuses
//! everyone. One socket is one character session. Frames are decoded by `protocol`, fed to
//! the hub, and persisted kinds go to the writer (awaiting it is the backpressure).

use super::guard::{SocketSlot, run_socket};
use super::{AppState, now_ms};
use crate::live::PluginOutgoing;
use crate::protocol::{self, FrameError, PluginEvent, PluginFrame};
use crate::telemetry::{JournalEntry, Persisted};
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;
use tokio::sync::mpsc;

/// protocol.md §1: the server pings every 30 s.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);
/// protocol.md §1: a socket that sends nothing for 90 s is offline.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Tolerated burst above the sustained per-socket rate (a login sends several frames at once).
const RATE_BURST_SECONDS: f64 = 4.0;
/// While storage refuses writes, the plugin is told so at most this often.
const DEGRADED_NOTICE_EVERY: Duration = Duration::from_secs(10);
/// Frames longer than this (inventory dumps, dungeon maps) are decoded at most
/// `crate::memory::LARGE_FRAME_DECODES` at a time across all sockets (see there).
const LARGE_FRAME_BYTES: usize = 16 * 1024;
static LARGE_FRAME_PERMITS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(crate::memory::LARGE_FRAME_DECODES);

pub fn router() -> Router<AppState> {
    Router::new().route("/ws/position", get(upgrade))
}

async fn upgrade(State(app): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let Some(expected) = app.settings.plugin_secret.as_deref() else {
        app.metrics.plugin_refused_auth.fetch_add(1, Ordering::Relaxed);
        return refuse(
            StatusCode::UNAUTHORIZED,
            "plugin sockets are disabled: the server has no plugin secret configured (OVERLORD_PLUGIN_SECRET)",
        );
    };
    let given = headers.get("x-plugin-secret").map(|v| v.as_bytes()).unwrap_or_default();
    if !bool::from(given.ct_eq(expected.as_bytes())) {
        app.metrics.plugin_refused_auth.fetch_add(1, Ordering::Relaxed);
        return refuse(StatusCode::UNAUTHORIZED, "missing or wrong X-Plugin-Secret");
    }
    // Reserved here, atomically, and held by the socket task: a burst cannot overshoot.
    let Some(slot) = SocketSlot::reserve(&app, |m| &m.plugin_connections, app.settings.max_plugin_connections) else {
        app.metrics.plugin_refused_capacity.fetch_add(1, Ordering::Relaxed);
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "the server is at its plugin connection limit");
    };
    ws.max_message_size(protocol::MAX_LARGE_FRAME_BYTES + 1024)
        .max_frame_size(protocol::MAX_LARGE_FRAME_BYTES + 1024)
        .read_buffer_size(crate::memory::SOCKET_READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            let guard_app = app.clone();
            run_socket(&guard_app.metrics, "plugin", socket, move |socket| Box::pin(session(app, socket))).await;
        })
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::UNAUTHORIZED { "unauthorized" } else { "unavailable" };
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

/// A token bucket: `rate` frames/s sustained, `burst` at once.
struct RateLimit {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
    dropped_since_warn: u64,
    last_warn: Option<Instant>,
}

impl RateLimit {
    fn new(rate: f64) -> Self {
        let burst = (rate * RATE_BURST_SECONDS).max(10.0);
        RateLimit { tokens: burst, rate, burst, last: Instant::now(), dropped_since_warn: 0, last_warn: None }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Session {
    app: AppState,
    bound: Option<(String, u64)>,
    outbox_tx: mpsc::Sender<PluginOutgoing>,
    last_degraded_notice: Option<Instant>,
    /// Why the session ended; stays "panic" if the task unwound.
    close_reason: &'static str,
}

/// The character goes offline however the session ends, a panic included.
impl Drop for Session {
    fn drop(&mut self) {
        if let Some((name, conn_id)) = &self.bound {
            self.app.hub.unbind_plugin(name, *conn_id, self.close_reason);
            self.app.attention.on_offline(name, *conn_id, self.close_reason, now_ms());
            self.app.alerts.on_online(name, false, now_ms());
        }
    }
}

async fn session(app: AppState, socket: &mut WebSocket) {
    let (outbox_tx, mut outbox) = mpsc::channel(crate::live::PLUGIN_OUTBOX);
    let mut s = Session { app: app.clone(), bound: None, outbox_tx, last_degraded_notice: None, close_reason: "panic" };
    let mut limiter = RateLimit::new(f64::from(app.settings.plugin_rate_per_s));
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut last_frame = Instant::now();
    let close_reason: &str = loop {
        let idle_left = IDLE_TIMEOUT.saturating_sub(last_frame.elapsed());
        tokio::select! {
            msg = socket.recv() => {
                let Some(msg) = msg else { break "socket_closed" };
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        // Over the transport limit (a frame larger than any type allows).
                        let text = e.to_string();
                        if text.contains("too long") || text.contains("too big") || text.contains("Space limit") {
                            app.metrics.frames_oversize.fetch_add(1, Ordering::Relaxed);
                            app.metrics.rejected("too_large");
                            let _ = close(socket, 1009, "frame too large").await;
                        }
                        break "socket_error";
                    }
                };
                last_frame = Instant::now();
                match msg {
                    Message::Text(text) => {
                        if !limiter.allow() {
                            app.metrics.frames_rate_limited.fetch_add(1, Ordering::Relaxed);
                            app.metrics.rejected("rate_limited");
                            limiter.dropped_since_warn += 1;
                            if limiter.last_warn.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                                tracing::warn!(character = s.name().unwrap_or("?"), dropped = limiter.dropped_since_warn, "plugin over its frame rate; frames dropped");
                                limiter.last_warn = Some(Instant::now());
                                limiter.dropped_since_warn = 0;
                            }
                            continue;
                        }
                        match s.handle_text(text.as_str()).await {
                            Ok(Some(reply)) => { let _ = socket.send(Message::Text(reply.into())).await; }
                            Ok(None) => {}
                            Err(Fatal { code, reason, reply }) => {
                                if let Some(r) = reply { let _ = socket.send(Message::Text(r.into())).await; }
                                let _ = close(socket, code, reason).await;
                                break "protocol_error";
                            }
                        }
                    }
                    Message::Binary(_) => {
                        app.metrics.frames_binary.fetch_add(1, Ordering::Relaxed);
                        app.metrics.rejected("binary");
                        let _ = close(socket, 1003, "binary frames are not accepted").await;
                        break "protocol_error";
                    }
                    Message::Close(_) => break "socket_closed",
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            out = outbox.recv() => {
                match out {
                    Some(PluginOutgoing::Text(t)) => {
                        if socket.send(Message::Text(t.into())).await.is_err() { break "socket_error"; }
                    }
                    Some(PluginOutgoing::Close(code, reason)) => {
                        let _ = close(socket, code, &reason).await;
                        break if code == 4000 { "superseded" } else { "closed_by_server" };
                    }
                    None => break "socket_closed",
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() { break "socket_error"; }
            }
            _ = tokio::time::sleep(idle_left) => {
                let _ = close(socket, 1001, "idle for 90 s").await;
                break "idle";
            }
        }
    };
    s.close_reason = close_reason;
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> Result<(), axum::Error> {
    socket.send(Message::Close(Some(CloseFrame { code, reason: reason.to_string().into() }))).await
}

struct Fatal {
    code: u16,
    reason: &'static str,
    reply: Option<String>,
}

fn error_reply(code: &str, message: &str) -> String {
    json!({"type":"error","code":code,"message":message}).to_string()
}

impl Session {
    fn name(&self) -> Option<&str> {
        self.bound.as_ref().map(|(n, _)| n.as_str())
    }

    /// Handles one text frame. `Ok(Some)` is a reply to send; `Err` closes the socket.
    async fn handle_text(&mut self, text: &str) -> Result<Option<String>, Fatal> {
        let app = self.app.clone();
        let recv_ms = now_ms();
        // Held until the frame is handed on (an inventory is queued for the state writer).
        let _large_frame_permit =
            if text.len() > LARGE_FRAME_BYTES { LARGE_FRAME_PERMITS.acquire().await.ok() } else { None };
        let frame = match protocol::decode_plugin_frame(text) {
            Ok(f) => f,
            Err(FrameError::TooLarge { kind, bytes, limit }) => {
                app.metrics.frames_oversize.fetch_add(1, Ordering::Relaxed);
                app.metrics.rejected("too_large");
                tracing::info!(kind, bytes, limit, "plugin frame over its size limit; closing 1009");
                return Err(Fatal { code: 1009, reason: "frame too large for its type", reply: None });
            }
            Err(e) => {
                let reason = match &e {
                    FrameError::NotJson(_) => "not_json",
                    FrameError::NotObject => "not_object",
                    FrameError::MissingType => "missing_type",
                    _ => "bad_field",
                };
                app.metrics.rejected(reason);
                tracing::debug!(error = %e, "plugin frame rejected");
                return Ok(Some(error_reply("bad_request", &e.to_string())));
            }
        };
        app.metrics.received(frame.body.kind());
        match &self.bound {
            None => {
                let conn_id = app.hub.bind_plugin(&frame.character_name, self.outbox_tx.clone(), recv_ms);
                tracing::info!(character = %frame.character_name, "plugin connected");
                app.alerts.on_online(&frame.character_name, true, recv_ms);
                app.attention.on_online(&frame.character_name, conn_id, recv_ms);
                self.bound = Some((frame.character_name.clone(), conn_id));
            }
            Some((name, _)) if protocol::name_key(name) != protocol::name_key(&frame.character_name) => {
                app.metrics.rejected("character_switch");
                let msg = format!(
                    "this socket is bound to '{name}'; a frame for '{}' needs its own socket (one socket is one character session)",
                    frame.character_name
                );
                return Err(Fatal {
                    code: 1008,
                    reason: "character_name changed on this socket",
                    reply: Some(error_reply("bad_request", &msg)),
                });
            }
            Some(_) => {}
        }
        if let PluginEvent::Unknown(kind) = &frame.body {
            tracing::debug!(kind, "unknown plugin frame type ignored");
            return Ok(None);
        }
        if let PluginEvent::Inventory(inv) = &frame.body {
            return self.submit_inventory(&frame.character_name, recv_ms, inv).await;
        }
        let outcome = app.hub.on_frame(&frame, recv_ms);
        if let PluginEvent::Telemetry(t) = &frame.body {
            app.attention.on_telemetry(&frame.character_name, t, recv_ms);
        }
        if !outcome.duplicate {
            app.alerts.on_frame(&frame, recv_ms);
        }
        if outcome.persist
            && let Some(entry) = journal_entry(&frame, recv_ms)
        {
            let kind = frame.body.kind().to_string();
            let reply = self.degraded_notice();
            if app.writer.submit(entry).await.is_err() {
                return Err(Fatal { code: 1011, reason: "server shutting down", reply: None });
            }
            app.metrics.stored(&kind);
            return Ok(reply);
        }
        Ok(None)
    }

    /// Hands an inventory frame to the state writer (waiting while its queue is full). The
    /// verdict arrives after the commit and goes back through this socket's outbox: rejected
    /// items are named; the rest of the dump is kept.
    async fn submit_inventory(
        &mut self,
        name: &str,
        recv_ms: i64,
        inv: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<String>, Fatal> {
        let app = self.app.clone();
        let Ok(verdict) = app.inventory.submit(name, recv_ms, inv).await else {
            return Err(Fatal { code: 1011, reason: "server shutting down", reply: None });
        };
        app.metrics.stored("inventory");
        let outbox = self.outbox_tx.clone();
        let metrics_app = app.clone();
        tokio::spawn(async move {
            let message = match verdict.await {
                Ok(Ok(s)) if s.rejected_count == 0 => return,
                Ok(Ok(s)) => {
                    metrics_app.metrics.rejected("bad_item");
                    format!("{} item(s) rejected, {} stored: {}", s.rejected_count, s.stored, s.rejected.join("; "))
                }
                Ok(Err(e)) => {
                    metrics_app.metrics.rejected("bad_inventory");
                    format!("inventory not stored: {e}")
                }
                Err(_) => return,
            };
            let _ = outbox.try_send(PluginOutgoing::Text(error_reply("bad_request", &message)));
        });
        Ok(None)
    }

    /// While storage refuses writes, tell the plugin (rate-limited) — its frames wait.
    fn degraded_notice(&mut self) -> Option<String> {
        if !self.app.writer.is_degraded() {
            return None;
        }
        if self.last_degraded_notice.is_some_and(|t| t.elapsed() < DEGRADED_NOTICE_EVERY) {
            return None;
        }
        self.last_degraded_notice = Some(Instant::now());
        let why = self.app.writer.stats.degraded_reason().unwrap_or_else(|| "storage is failing".into());
        Some(error_reply("unavailable", &format!("events are not being accepted: {why}")))
    }
}

/// The persisted form of a frame, or `None` for memory-only kinds.
pub fn journal_entry(frame: &PluginFrame, recv_ms: i64) -> Option<JournalEntry> {
    let event = match &frame.body {
        PluginEvent::Telemetry(t) => Persisted::Telemetry(t.clone()),
        PluginEvent::Spawn(s) => Persisted::Spawn(s.clone()),
        PluginEvent::Rare(r) => Persisted::Rare(r.clone()),
        PluginEvent::Portal(p) => Persisted::Portal(p.clone()),
        PluginEvent::CharacterStats(v) => Persisted::CharacterStats(v.to_string()),
        PluginEvent::CombatStats(v) => Persisted::CombatStats(v.to_string()),
        _ => return None,
    };
    Some(JournalEntry {
        recv_ms,
        character: frame.character_name.clone(),
        client_time_ms: frame.client_time_ms,
        plugin_version: frame.plugin_version.clone(),
        event,
    })
}
