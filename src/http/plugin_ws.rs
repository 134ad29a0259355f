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
                let result = match msg {
                    Message::Text(text) => s.handle_text(text.as_str()).await,
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

async fn close(socket: &mut WebSocket, code: u16, reason: &str) -> Result<(), axum::Error> {
    socket.send(Message::Close(Some(CloseFrame { code, reason: reason.to_string().into() }))).await
}
