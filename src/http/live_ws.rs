//! `/ws/live`: the browser socket (docs/protocol.md §4) — snapshot, filtered broadcasts,
//! telemetry batching for large fleets, commands with `command_ack`, dungeon maps.

use super::auth::Caller;
use super::error::ApiError;
use super::guard::{SocketSlot, run_socket};
use super::{AppState, now_ms};
use crate::live::Broadcast;
use crate::live::fanout::RecvError;
use crate::live::render::{CommandAckMessage, CommandStatus, SocketError, TelemetryBatchMessage};
use crate::protocol::browser::{self, BrowserMessage};
use crate::protocol::name_key;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// docs/protocol.md §7: coalesce telemetry into 1 Hz batches beyond about 100 characters.
pub const BATCH_ABOVE_ONLINE: usize = 100;
const BATCH_PERIOD: Duration = Duration::from_secs(1);
/// Commands a browser may send: a burst of this many, refilled one per second.
const COMMAND_BURST: u32 = 10;
/// A browser that takes longer than this to accept one message has stopped reading.
const SLOW_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Topics a new browser gets before it subscribes (the heavy ones only on request).
const DEFAULT_TOPICS: &[&str] =
    &["telemetry", "vitals", "chat", "rare", "portal", "online", "command_result", "character_stats", "combat_stats"];

pub fn router() -> Router<AppState> {
    Router::new().route("/ws/live", get(upgrade))
}

async fn upgrade(State(app): State<AppState>, caller: Caller, ws: WebSocketUpgrade) -> Response {
    // Reserved here, atomically, and held by the socket task: a burst cannot overshoot.
    let Some(slot) = SocketSlot::reserve(&app, |m| &m.browser_connections, app.settings.max_browser_connections) else {
        return ApiError::Unavailable("the server is at its browser connection limit".into()).into_response();
    };
    ws.max_message_size(browser::MAX_BROWSER_FRAME_BYTES)
        .read_buffer_size(crate::memory::SOCKET_READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let _slot = slot;
            let guard_app = app.clone();
            run_socket(&guard_app.metrics, "browser", socket, move |socket| Box::pin(session(app, caller, socket)))
                .await;
        })
}

struct Subscription {
    topics: HashSet<String>,
    characters: Option<HashSet<String>>,
}

impl Subscription {
    fn wants(&self, b: &Broadcast) -> bool {
        self.topics.contains(b.topic) && self.characters.as_ref().is_none_or(|c| c.contains(&b.character))
    }
}

async fn session(app: AppState, caller: Caller, socket: &mut WebSocket) {
    let mut rx = app.hub.subscribe();
    let mut sub = Subscription { topics: DEFAULT_TOPICS.iter().map(|s| s.to_string()).collect(), characters: None };
    let mut awaiting_maps: HashSet<String> = HashSet::new();
    let mut batch: HashMap<String, std::sync::Arc<str>> = HashMap::new();
    let mut tick = tokio::time::interval(BATCH_PERIOD);
    let mut command_tokens = COMMAND_BURST;
    let mut last_refill = Instant::now();
    let snapshot = app.hub.snapshot_json(None, now_ms());
    let mut ok = send_text(socket, &app, snapshot.into()).await;
    // The recent chat (kept in memory by the hub), so the chat page is not empty on open.
    if ok {
        ok = send_text(socket, &app, app.hub.chat_history_json().into()).await;
    }
    while ok {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { break };
                let text = match msg {
                    Message::Text(t) => t,
                    Message::Close(_) => break,
                    Message::Binary(_) => {
                        ok = send_error(socket, &app, "binary frames are not accepted").await;
                        continue;
                    }
                    _ => continue,
                };
                match browser::decode_browser_message(text.as_str()) {
                    Err(e) => ok = send_error(socket, &app, &e.to_string()).await,
                    Ok(BrowserMessage::Subscribe { topics, characters }) => {
                        sub = Subscription {
                            topics: topics.into_iter().collect(),
                            characters: characters.clone().map(|c| c.into_iter().collect()),
                        };
                        let snap = app.hub.snapshot_json(characters.as_deref(), now_ms());
                        ok = send_text(socket, &app, snap.into()).await;
                    }
                    Ok(BrowserMessage::Command { player_name, command, request_id }) => {
                        let refill = last_refill.elapsed().as_secs() as u32;
                        if refill > 0 {
                            command_tokens = (command_tokens + refill).min(COMMAND_BURST);
                            last_refill = Instant::now();
                        }
                        let request_id = request_id.unwrap_or_else(|| app.hub.next_request_id("c"));
                        let status = if !caller.role.can_write() {
                            // Viewers and read tokens watch; they never drive a character.
                            CommandStatus::Forbidden
                        } else if command_tokens == 0 {
                            CommandStatus::RateLimited
                        } else {
                            command_tokens -= 1;
                            let s = app.hub.send_command(&player_name, &command, &caller.username, &request_id);
                            if s == CommandStatus::Sent {
                                app.metrics.commands_sent.fetch_add(1, Ordering::Relaxed);
                                tracing::info!(user = %caller.username, character = %player_name, "command routed to plugin");
                            }
                            s
                        };
                        let ack = CommandAckMessage { kind: "command_ack", player_name, request_id, status };
                        ok = send_message(socket, &app, "command_ack", &ack).await;
                    }
                    Ok(BrowserMessage::RequestDungeonMap { player_name }) => {
                        if let Some(map) = app.hub.cached_dungeon_map(&player_name) {
                            ok = send_text(socket, &app, map.to_string().into()).await;
                        } else if app.hub.request_dungeon_map(&player_name) {
                            awaiting_maps.insert(name_key(&player_name));
                        } else {
                            ok = send_error(socket, &app, &format!("'{player_name}' is not connected")).await;
                        }
                    }
                }
            }
            b = rx.recv() => {
                match b {
                    Ok(b) => {
                        let awaited = b.topic == "dungeon_map" && awaiting_maps.remove(&b.character);
                        if !awaited && !sub.wants(&b) { continue; }
                        if b.topic == "telemetry" && app.hub.online_count() > BATCH_ABOVE_ONLINE {
                            batch.insert(b.character.clone(), b.json.clone());
                            continue;
                        }
                        ok = send_text(socket, &app, b.json.to_string().into()).await;
                    }
                    Err(RecvError::Lagged { messages, bytes }) => {
                        app.metrics.browser_drops.fetch_add(messages, Ordering::Relaxed);
                        app.metrics.guard.browser_dropped_bytes.fetch_add(bytes, Ordering::Relaxed);
                    }
                    Err(RecvError::Closed) => break,
                }
            }
            _ = tick.tick() => {
                if !batch.is_empty() {
                    let message = TelemetryBatchMessage::of(batch.values().map(|s| &**s));
                    ok = send_message(socket, &app, "telemetry_batch", &message).await;
                    batch.clear();
                }
            }
        }
    }
    // Drops that happened while this browser was not reading (it may have been closed for
    // exactly that) are counted even though it never came back for them.
    let (messages, bytes) = rx.take_lag();
    app.metrics.browser_drops.fetch_add(messages, Ordering::Relaxed);
    app.metrics.guard.browser_dropped_bytes.fetch_add(bytes, Ordering::Relaxed);
}

async fn send_error(socket: &mut WebSocket, app: &AppState, message: &str) -> bool {
    send_message(socket, app, "error", &SocketError::bad_request(message)).await
}

/// Sends one typed message. These types always serialize; if one ever did not, it is
/// logged and skipped (the socket stays open), never sent empty.
async fn send_message<T: serde::Serialize>(socket: &mut WebSocket, app: &AppState, what: &str, message: &T) -> bool {
    match crate::live::render::to_text(what, message) {
        Some(text) => send_text(socket, app, text.into()).await,
        None => true,
    }
}

/// Sends one message; a browser that does not take it within [`SLOW_CLIENT_TIMEOUT`]
/// (its TCP window stays full) is disconnected and counted, so it holds no more than its
/// backlog and one message in flight.
async fn send_text(socket: &mut WebSocket, app: &AppState, text: axum::extract::ws::Utf8Bytes) -> bool {
    match tokio::time::timeout(SLOW_CLIENT_TIMEOUT, socket.send(Message::Text(text))).await {
        Ok(r) => r.is_ok(),
        Err(_) => {
            app.metrics.guard.browser_slow_disconnects.fetch_add(1, Ordering::Relaxed);
            tracing::info!("browser socket closed: it stopped reading for {} s", SLOW_CLIENT_TIMEOUT.as_secs());
            false
        }
    }
}
