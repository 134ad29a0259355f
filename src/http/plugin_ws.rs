//! `/ws/position`: the plugin socket's transport (docs/protocol.md §1, §8).
//!
//! The secret is compared in constant time before the upgrade; an unset secret refuses
//! everyone. One socket is one character session: this file reads frames, pings, enforces
//! the idle timeout and closes; what a frame does is `ingest::PluginSession`'s business.

use super::AppState;
use super::guard::{SocketSlot, run_socket};
use crate::ingest::{Fatal, PluginSession};
use crate::live::PluginOutgoing;
use crate::protocol;
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

/// docs/protocol.md §1: the server pings every 30 s.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);
/// docs/protocol.md §1: a socket that sends nothing for 90 s is offline.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

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

/// Whether a receive error is the transport's size limit (a frame larger than any type
/// allows), told by the error's type, not its text.
fn is_over_size_limit(e: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::Error as WsError;
    matches!(e.into_inner().downcast_ref::<WsError>(), Some(WsError::Capacity(_)))
}

async fn session(app: AppState, socket: &mut WebSocket) {
    let (outbox_tx, mut outbox) = mpsc::channel(crate::live::PLUGIN_OUTBOX);
    let mut s = PluginSession::new(app, outbox_tx);
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut last_frame = Instant::now();
    let mut large_reads = LargeReads::default();
    let close_reason: &str = loop {
        let idle_left = IDLE_TIMEOUT.saturating_sub(last_frame.elapsed());
        tokio::select! {
            msg = socket.recv() => {
                let Some(msg) = msg else { break "socket_closed" };
                let msg = match msg {
                    Ok(m) => m,
                    Err(e) => {
                        if is_over_size_limit(e) {
                            s.on_oversize_transport_frame();
                            let _ = close(socket, 1009, "frame too large").await;
                        }
                        break "socket_error";
                    }
                };
                last_frame = Instant::now();
                large_reads.release_moved();
                let result = match msg {
                    Message::Text(text) => {
                        let result = s.handle_text(text.as_str()).await;
                        large_reads.hold(text.into());
                        result
                    }
                    Message::Binary(_) => Err(s.on_binary_frame()),
                    Message::Close(_) => break "socket_closed",
                    Message::Ping(_) | Message::Pong(_) => Ok(None),
                };
                match result {
                    Ok(Some(reply)) => { let _ = socket.send(Message::Text(reply.into())).await; }
                    Ok(None) => {}
                    Err(Fatal { code, reason, reply }) => {
                        if let Some(r) = reply { let _ = socket.send(Message::Text(r.into())).await; }
                        let _ = close(socket, code, reason).await;
                        break "protocol_error";
                    }
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
    s.set_close_reason(close_reason);
}

/// Lets the memory of a large frame go once the socket has read past it.
///
/// Why: tungstenite reads each frame into one growing buffer and hands the message out as
/// a view of it. When the message is dropped, the buffer is again the sole owner of that
/// memory and keeps its full capacity for the life of the socket, so every plugin's
/// inventory dump pinned 100+ KiB (80 MiB at 600 plugins, measured with heaptrack). While a
/// view is still held, tungstenite cannot reclaim the memory in place: when the next frames
/// no longer fit, it moves its buffer to a new allocation sized for them. Once only the
/// held view is left (`is_unique`), dropping it frees the large one.
#[derive(Default)]
struct LargeReads {
    held: Vec<bytes::Bytes>,
}

impl LargeReads {
    /// Messages at least this large are held; smaller ones never grew the buffer much.
    const THRESHOLD: usize = 16 * 1024;
    /// Views held at once (each is a large frame the buffer has not moved off yet).
    const MAX_HELD: usize = 4;

    fn hold(&mut self, message: bytes::Bytes) {
        if message.len() < Self::THRESHOLD {
            return;
        }
        if self.held.len() >= Self::MAX_HELD {
            self.held.remove(0);
        }
        self.held.push(message);
    }

    /// Drops the held views the read buffer no longer shares.
    fn release_moved(&mut self) {
        self.held.retain(|b| !b.is_unique());
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> Result<(), axum::Error> {
    socket.send(Message::Close(Some(CloseFrame { code, reason: reason.to_string().into() }))).await
}

#[cfg(test)]
mod tests {
    use super::LargeReads;
    use bytes::BytesMut;

    /// tungstenite's read path in miniature: a buffer grown for one large frame, the frame
    /// split off and frozen as the message, then small frames read after it.
    fn read_large_then_small(hold: bool) -> (usize, LargeReads) {
        let mut in_buffer = BytesMut::with_capacity(8 * 1024);
        in_buffer.reserve(200 * 1024);
        in_buffer.resize(200 * 1024, b'x');
        let message = in_buffer.split_to(200 * 1024).freeze();
        let mut reads = LargeReads::default();
        if hold {
            reads.hold(message);
        } else {
            drop(message);
        }
        for _ in 0..3 {
            reads.release_moved();
            in_buffer.reserve(300);
            in_buffer.extend_from_slice(&[b'y'; 300]);
            drop(in_buffer.split_to(300));
        }
        reads.release_moved();
        (in_buffer.capacity(), reads)
    }

    #[test]
    fn a_dropped_large_message_leaves_its_size_in_the_read_buffer() {
        let (capacity, _) = read_large_then_small(false);
        assert!(capacity >= 190 * 1024, "{capacity}");
    }

    #[test]
    fn a_held_large_message_lets_the_read_buffer_move_and_is_then_released() {
        let (capacity, reads) = read_large_then_small(true);
        assert!(capacity < 100 * 1024, "{capacity}");
        assert!(reads.held.is_empty(), "the view is dropped once the buffer moved off it");
    }
}
