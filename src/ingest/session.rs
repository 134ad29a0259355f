//! One plugin socket's session: the character it is bound to, its rate limit, and what each
//! text frame does. Replies are JSON strings for the transport to send; a [`Fatal`] tells
//! it to close the socket with a code.

use super::RateLimit;
use crate::app::AppState;
use crate::clock::now_ms;
use crate::live::PluginOutgoing;
use crate::protocol::{self, FrameError, PluginEvent};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// While storage refuses writes, the plugin is told so at most this often.
const DEGRADED_NOTICE_EVERY: Duration = Duration::from_secs(10);
/// A plugin over its frame rate is logged at most this often (with the count dropped).
const RATE_WARN_EVERY: Duration = Duration::from_secs(60);
/// Frames longer than this (inventory dumps, dungeon maps) are decoded at most
/// `crate::memory::LARGE_FRAME_DECODES` at a time across all sockets (see there).
const LARGE_FRAME_BYTES: usize = 16 * 1024;
static LARGE_FRAME_PERMITS: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(crate::memory::LARGE_FRAME_DECODES);

/// The socket must close: with this code and reason, after sending `reply` if any.
#[derive(Debug)]
pub struct Fatal {
    pub code: u16,
    pub reason: &'static str,
    pub reply: Option<String>,
}

impl Fatal {
    fn shutting_down() -> Self {
        Fatal { code: 1011, reason: "server shutting down", reply: None }
    }
}

/// A protocol error message (docs/protocol.md §7).
pub fn error_reply(code: &str, message: &str) -> String {
    json!({"type":"error","code":code,"message":message}).to_string()
}

/// One plugin socket's session. The character goes offline when it is dropped, however
/// the session ends (a panic included).
pub struct PluginSession {
    app: AppState,
    bound: Option<(String, u64)>,
    outbox_tx: mpsc::Sender<PluginOutgoing>,
    limiter: RateLimit,
    dropped_since_warn: u64,
    last_rate_warn: Option<Instant>,
    last_degraded_notice: Option<Instant>,
    /// Why the session ended; stays "panic" if the task unwound.
    close_reason: &'static str,
}

impl Drop for PluginSession {
    fn drop(&mut self) {
        if let Some((name, conn_id)) = &self.bound {
            self.app.hub.unbind_plugin(name, *conn_id, self.close_reason);
            self.app.attention.on_offline(name, *conn_id, self.close_reason, now_ms());
            self.app.alerts.on_online(name, false, now_ms());
        }
    }
}

impl PluginSession {
    /// A new session; what the server sends the plugin (commands, replies to inventories,
    /// a supersede) arrives on `outbox_tx`'s receiver, which the transport drains.
    pub fn new(app: AppState, outbox_tx: mpsc::Sender<PluginOutgoing>) -> Self {
        let limiter = RateLimit::new(f64::from(app.settings.plugin_rate_per_s), Instant::now());
        PluginSession {
            app,
            bound: None,
            outbox_tx,
            limiter,
            dropped_since_warn: 0,
            last_rate_warn: None,
            last_degraded_notice: None,
            close_reason: "panic",
        }
    }

    /// Records why the session ended (reported when the character goes offline).
    pub fn set_close_reason(&mut self, reason: &'static str) {
        self.close_reason = reason;
    }

    fn name(&self) -> Option<&str> {
        self.bound.as_ref().map(|(n, _)| n.as_str())
    }

    /// A frame larger than any type allows, refused by the transport before decoding.
    pub fn on_oversize_transport_frame(&self) {
        self.app.metrics.frames_oversize.fetch_add(1, Ordering::Relaxed);
        self.app.metrics.rejected("too_large");
    }

    /// A binary frame: the protocol is text only; the socket closes 1003.
    pub fn on_binary_frame(&self) -> Fatal {
        self.app.metrics.frames_binary.fetch_add(1, Ordering::Relaxed);
        self.app.metrics.rejected("binary");
        Fatal { code: 1003, reason: "binary frames are not accepted", reply: None }
    }

    /// Handles one text frame. `Ok(Some)` is a reply to send; `Err` closes the socket.
    pub async fn handle_text(&mut self, text: &str) -> Result<Option<String>, Fatal> {
        if !self.limiter.allow(Instant::now()) {
            self.on_rate_limited();
            return Ok(None);
        }
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
        self.bind(&frame.character_name, recv_ms)?;
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
        if outcome.duplicate {
            return Ok(None);
        }
        app.alerts.on_frame(&frame, recv_ms);
        let Some(entry) = super::journal_entry(&frame, recv_ms) else { return Ok(None) };
        let kind = frame.body.kind();
        let reply = self.degraded_notice();
        if app.writer.submit(entry).await.is_err() {
            return Err(Fatal::shutting_down());
        }
        app.metrics.stored(kind);
        Ok(reply)
    }

    fn on_rate_limited(&mut self) {
        self.app.metrics.frames_rate_limited.fetch_add(1, Ordering::Relaxed);
        self.app.metrics.rejected("rate_limited");
        self.dropped_since_warn += 1;
        if self.last_rate_warn.is_none_or(|t| t.elapsed() > RATE_WARN_EVERY) {
            tracing::warn!(
                character = self.name().unwrap_or("?"),
                dropped = self.dropped_since_warn,
                "plugin over its frame rate; frames dropped"
            );
            self.last_rate_warn = Some(Instant::now());
            self.dropped_since_warn = 0;
        }
    }

    /// The first frame binds the socket to its character; a frame for another character
    /// closes it (one socket is one character session, docs/protocol.md §1).
    fn bind(&mut self, character: &str, recv_ms: i64) -> Result<(), Fatal> {
        let app = &self.app;
        match &self.bound {
            None => {
                let conn_id = app.hub.bind_plugin(character, self.outbox_tx.clone(), recv_ms);
                tracing::info!(character = %character, "plugin connected");
                app.alerts.on_online(character, true, recv_ms);
                app.attention.on_online(character, conn_id, recv_ms);
                self.bound = Some((character.to_string(), conn_id));
                Ok(())
            }
            Some((name, _)) if protocol::name_key(name) != protocol::name_key(character) => {
                app.metrics.rejected("character_switch");
                let msg = format!(
                    "this socket is bound to '{name}'; a frame for '{character}' needs its own socket (one socket is one character session)"
                );
                Err(Fatal {
                    code: 1008,
                    reason: "character_name changed on this socket",
                    reply: Some(error_reply("bad_request", &msg)),
                })
            }
            Some(_) => Ok(()),
        }
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
            return Err(Fatal::shutting_down());
        };
        app.metrics.stored("inventory");
        let outbox = self.outbox_tx.clone();
        tokio::spawn(async move {
            let message = match verdict.await {
                Ok(Ok(s)) if s.rejected_count == 0 => return,
                Ok(Ok(s)) => {
                    app.metrics.rejected("bad_item");
                    format!("{} item(s) rejected, {} stored: {}", s.rejected_count, s.stored, s.rejected.join("; "))
                }
                Ok(Err(e)) => {
                    app.metrics.rejected("bad_inventory");
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
