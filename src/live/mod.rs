//! The hub: connected plugin sockets, per-character live state, broadcast to browsers,
//! and command routing browser → plugin.
//!
//! Owns: latest telemetry, vitals, quests, cantrips, nearby objects, the dungeon-map cache,
//! session counters, chat and spawn de-duplication, the plugin socket registry (one socket
//! per character; a newer one supersedes), and the broadcast channel. Never does disk I/O:
//! it tells the caller what to persist. Everything in it is bounded.

pub(crate) mod chat_history;
pub(crate) mod fanout;
pub mod render;

use crate::protocol::{PluginEvent, PluginFrame, Telemetry, Vitals, name_key};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

pub use render::{CommandStatus, LiveCharacter, SessionCounters, TelemetryBody, TelemetryMessage, VitalsMessage};

/// Broadcast backlog per browser, in messages; the byte bound is
/// [`fanout::SUBSCRIBER_BACKLOG_BYTES`]. A browser further behind loses the oldest
/// (counted as drops) instead of slowing the hub or anyone else.
pub const BROADCAST_CAPACITY: usize = fanout::SUBSCRIBER_BACKLOG_MESSAGES;
/// Outgoing queue to one plugin (commands, relays). Full → the sender is told it failed.
pub const PLUGIN_OUTBOX: usize = 256;
/// Characters kept in memory; past it the longest-offline ones are forgotten.
pub const MAX_LIVE_CHARACTERS: usize = 20_000;
/// docs/protocol.md §3.9: de-duplicate chat on (sender, text) within 10 s.
pub const CHAT_DEDUP_MS: i64 = 10_000;
/// docs/protocol.md §3.11: de-duplicate spawns by object id for 10 minutes.
pub const SPAWN_DEDUP_MS: i64 = 600_000;
/// Entries kept for de-duplication (each is 16 bytes; this bounds it at ~2 MB).
const MAX_DEDUP_ENTRIES: usize = 100_000;
/// Dungeon geometry cache: count and total bytes.
pub const MAX_CACHED_DUNGEONS: usize = 512;
pub const MAX_DUNGEON_CACHE_BYTES: usize = 128 * 1024 * 1024;
pub use chat_history::CHAT_HISTORY;

/// What a plugin socket sends out.
#[derive(Debug, Clone)]
pub enum PluginOutgoing {
    Text(String),
    Close(u16, String),
}

/// One message for browsers, serialized once.
#[derive(Debug, Clone)]
pub struct Broadcast {
    pub topic: &'static str,
    /// Name key of the character it concerns.
    pub character: String,
    pub json: Arc<str>,
}

/// A plugin object the hub keeps (quests, cantrips, nearby objects, character and combat
/// stats) as its normalized JSON text. Why text and not a `serde_json::Value`: a value tree
/// takes about ten times its text (every small object is a B-tree node sized for eleven
/// entries), which at 600 characters was tens of MB of resident memory for objects that are
/// only ever re-sent whole; a reader that needs a field parses the text.
pub type PluginJson = Box<serde_json::value::RawValue>;

/// `v` as kept text. A `Value` always serializes; if it ever did not, the object is not
/// kept (logged) rather than kept empty.
pub fn plugin_json(kind: &str, v: &Value) -> Option<PluginJson> {
    match serde_json::value::to_raw_value(v) {
        Ok(raw) => Some(raw),
        Err(e) => {
            tracing::error!(kind, error = %e, "plugin object does not serialize; not kept");
            None
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CharacterLive {
    pub name: String,
    pub online: bool,
    pub last_seen_ms: i64,
    pub telemetry: Option<(i64, Option<i64>, Telemetry)>,
    pub vitals: Option<Vitals>,
    pub quests: Option<PluginJson>,
    pub cantrips: Option<PluginJson>,
    pub nearby_objects: Option<PluginJson>,
    pub character_stats: Option<PluginJson>,
    pub combat_stats: Option<PluginJson>,
    pub plugin_version: Option<String>,
}

struct PluginConn {
    conn_id: u64,
    tx: mpsc::Sender<PluginOutgoing>,
}

#[derive(Default)]
struct State {
    characters: HashMap<String, CharacterLive>,
    plugins: HashMap<String, PluginConn>,
    dungeon_maps: HashMap<u16, Arc<str>>,
    dungeon_bytes: usize,
    chat_seen: HashMap<u64, i64>,
    chat_order: VecDeque<(i64, u64)>,
    spawn_seen: HashMap<u32, i64>,
    spawn_order: VecDeque<(i64, u32)>,
    chat_history: chat_history::ChatHistory,
}

/// What the hub made of a frame. Whether a kind is stored is not the hub's decision
/// (`ingest::persisted` owns it); the hub only says whether the frame was a duplicate.
#[derive(Debug, Default)]
pub struct FrameOutcome {
    /// A duplicate the hub suppressed (chat seen from another member, a repeated spawn).
    pub duplicate: bool,
}

pub struct Hub {
    state: Mutex<State>,
    tx: fanout::Fanout,
    next_conn: AtomicU64,
    request_ids: AtomicU64,
}

impl Default for Hub {
    fn default() -> Self {
        Hub::new()
    }
}

impl Hub {
    pub fn new() -> Self {
        Hub {
            state: Mutex::new(State::default()),
            tx: fanout::Fanout::new(),
            next_conn: AtomicU64::new(1),
            request_ids: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than stopping the service would, so recover the guard.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> fanout::Subscriber {
        self.tx.subscribe()
    }

    fn send(&self, topic: &'static str, character: &str, json: String) {
        self.tx.send(Broadcast { topic, character: name_key(character), json: json.into() });
    }

    /// Renders and broadcasts the message `make` builds, only when a browser is subscribed.
    fn broadcast<T: serde::Serialize>(&self, topic: &'static str, character: &str, make: impl FnOnce() -> T) {
        if !self.tx.is_watched() {
            return;
        }
        if let Some(text) = render::to_text(topic, &make()) {
            self.send(topic, character, text);
        }
    }

    pub fn next_request_id(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.request_ids.fetch_add(1, Ordering::Relaxed))
    }

    /// Binds a plugin socket to `name`. An older socket of the same character is told to
    /// close with 4000 "superseded". Returns this connection's id.
    pub fn bind_plugin(&self, name: &str, tx: mpsc::Sender<PluginOutgoing>, now_ms: i64) -> u64 {
        let conn_id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let key = name_key(name);
        let old = {
            let mut st = self.lock();
            let old = st.plugins.insert(key.clone(), PluginConn { conn_id, tx });
            evict_if_full(&mut st);
            let ch = st.characters.entry(key).or_default();
            ch.name = name.trim().to_string();
            ch.online = true;
            ch.last_seen_ms = now_ms;
            old
        };
        if let Some(old) = old {
            let _ = old.tx.try_send(PluginOutgoing::Close(4000, "superseded".into()));
        }
        if let Some(text) = render::to_text("online", &render::OnlineMessage::new(name, true, now_ms, None)) {
            self.send("online", name, text);
        }
        conn_id
    }

    /// Releases a plugin socket; the character goes offline unless a newer socket took it.
    pub fn unbind_plugin(&self, name: &str, conn_id: u64, reason: &str) {
        let key = name_key(name);
        let went_offline = {
            let mut st = self.lock();
            if st.plugins.get(&key).is_some_and(|c| c.conn_id == conn_id) {
                st.plugins.remove(&key);
                if let Some(ch) = st.characters.get_mut(&key) {
                    ch.online = false;
                }
                true
            } else {
                false
            }
        };
        if !went_offline {
            return;
        }
        let message = render::OnlineMessage::new(name, false, crate::clock::now_ms(), Some(reason));
        if let Some(text) = render::to_text("online", &message) {
            self.send("online", name, text);
        }
    }

    /// Updates live state from a decoded frame and broadcasts it. Returns whether it was a
    /// duplicate the hub suppressed.
    pub fn on_frame(&self, frame: &PluginFrame, recv_ms: i64) -> FrameOutcome {
        let name = frame.character_name.as_str();
        let key = name_key(name);
        let mut out = FrameOutcome::default();
        let mut guard = self.lock();
        let st = &mut *guard;
        let ch = st.characters.entry(key.clone()).or_default();
        if ch.name.is_empty() {
            ch.name = name.to_string();
        }
        ch.last_seen_ms = recv_ms;
        if frame.plugin_version.is_some() {
            ch.plugin_version = frame.plugin_version.clone();
        }
        // Relays a plugin object under its envelope; the topic is its kind.
        let forward = |kind: &'static str, body: &Value| {
            if !self.tx.is_watched() {
                return;
            }
            if let Some(text) = render::forward_json(kind, name, recv_ms, body) {
                self.send(kind, name, text);
            }
        };
        match &frame.body {
            PluginEvent::Telemetry(t) => {
                ch.telemetry = Some((recv_ms, frame.client_time_ms, t.clone()));
                drop(guard);
                self.broadcast("telemetry", name, || TelemetryMessage::new(name, recv_ms, frame.client_time_ms, t));
            }
            PluginEvent::Vitals(v) => {
                ch.vitals = Some(v.clone());
                drop(guard);
                self.broadcast("vitals", name, || VitalsMessage {
                    kind: "vitals",
                    character_name: name.to_string(),
                    received_at: recv_ms,
                    vitals: v.clone(),
                });
            }
            PluginEvent::Quest(v) => {
                ch.quests = plugin_json("quest", v);
                drop(guard);
                forward("quest", v);
            }
            PluginEvent::Cantrips(v) => {
                ch.cantrips = plugin_json("cantrips", v);
                drop(guard);
                forward("cantrips", v);
            }
            PluginEvent::NearbyObjects(v) => {
                ch.nearby_objects = plugin_json("nearby_objects", v);
                drop(guard);
                forward("nearby_objects", v);
            }
            PluginEvent::CharacterStats(v) => {
                ch.character_stats = plugin_json("character_stats", v);
                drop(guard);
                forward("character_stats", v);
            }
            PluginEvent::CombatStats(v) => {
                ch.combat_stats = plugin_json("combat_stats", v);
                drop(guard);
                forward("combat_stats", v);
            }
            PluginEvent::Combat(v) => {
                drop(guard);
                forward("combat", v);
            }
            PluginEvent::DungeonMap { landblock, map } => {
                let Some(text) = render::forward_json("dungeon_map", name, recv_ms, map) else { return out };
                let text: Arc<str> = text.into();
                let size = text.len();
                if let Some(old) = st.dungeon_maps.get(landblock) {
                    st.dungeon_bytes -= old.len();
                }
                if size <= MAX_DUNGEON_CACHE_BYTES / 4 {
                    while (st.dungeon_maps.len() >= MAX_CACHED_DUNGEONS
                        || st.dungeon_bytes + size > MAX_DUNGEON_CACHE_BYTES)
                        && !st.dungeon_maps.is_empty()
                    {
                        let Some(victim) = st.dungeon_maps.keys().next().copied() else { break };
                        if let Some(v) = st.dungeon_maps.remove(&victim) {
                            st.dungeon_bytes -= v.len();
                        }
                    }
                    st.dungeon_bytes += size;
                    st.dungeon_maps.insert(*landblock, text.clone());
                }
                drop(guard);
                self.tx.send(Broadcast { topic: "dungeon_map", character: key, json: text });
            }
            PluginEvent::Chat(c) => {
                let h = chat_hash(c.sender.as_deref().unwrap_or(""), &c.text);
                prune_dedup(&mut st.chat_seen, &mut st.chat_order, recv_ms - CHAT_DEDUP_MS);
                if st.chat_seen.get(&h).is_some_and(|t| recv_ms - t < CHAT_DEDUP_MS) {
                    out.duplicate = true;
                    return out;
                }
                st.chat_seen.insert(h, recv_ms);
                st.chat_order.push_back((recv_ms, h));
                let message = render::ChatMessage::new(name, recv_ms, c);
                st.chat_history.push(message.clone());
                drop(guard);
                self.broadcast("chat", name, || message);
            }
            PluginEvent::Spawn(s) => {
                if let Some(id) = s.object_id {
                    prune_dedup(&mut st.spawn_seen, &mut st.spawn_order, recv_ms - SPAWN_DEDUP_MS);
                    if st.spawn_seen.get(&id).is_some_and(|t| recv_ms - t < SPAWN_DEDUP_MS) {
                        out.duplicate = true;
                        return out;
                    }
                    st.spawn_seen.insert(id, recv_ms);
                    st.spawn_order.push_back((recv_ms, id));
                }
                drop(guard);
                self.broadcast("spawn", name, || render::SpawnMessage::new(name, recv_ms, s));
            }
            PluginEvent::Rare(r) => {
                drop(guard);
                self.broadcast("rare", name, || render::RareMessage::new(name, recv_ms, r));
            }
            PluginEvent::Portal(p) => {
                drop(guard);
                self.broadcast("portal", name, || render::PortalMessage::new(name, recv_ms, p));
            }
            PluginEvent::CommandResult { request_id, ok, message } => {
                drop(guard);
                self.broadcast("command_result", name, || render::CommandResultMessage {
                    kind: "command_result",
                    character_name: name.to_string(),
                    received_at: recv_ms,
                    request_id: request_id.clone(),
                    ok: *ok,
                    message: message.clone(),
                });
            }
            PluginEvent::Share(share) => {
                let mut relay = serde_json::Map::new();
                relay.insert("type".into(), share.kind.clone().into());
                relay.insert("from".into(), name.into());
                relay.insert("payload".into(), share.payload.clone());
                let text = Value::Object(relay).to_string();
                let targets: Vec<mpsc::Sender<PluginOutgoing>> = st
                    .plugins
                    .iter()
                    .filter(|(k, _)| **k != key)
                    .filter(|(k, _)| share.to.as_ref().is_none_or(|names| names.iter().any(|n| name_key(n) == **k)))
                    .map(|(_, c)| c.tx.clone())
                    .collect();
                drop(guard);
                for t in targets {
                    let _ = t.try_send(PluginOutgoing::Text(text.clone()));
                }
            }
            PluginEvent::Inventory(_) | PluginEvent::Unknown(_) => {}
        }
        out
    }

    /// Routes a browser command to the character's plugin socket.
    pub fn send_command(&self, player_name: &str, command: &str, issued_by: &str, request_id: &str) -> CommandStatus {
        let tx = self.lock().plugins.get(&name_key(player_name)).map(|c| c.tx.clone());
        let Some(tx) = tx else { return CommandStatus::NotConnected };
        let msg = json!({"type":"command","request_id":request_id,"command":command,"issued_by":issued_by}).to_string();
        match tx.try_send(PluginOutgoing::Text(msg)) {
            Ok(()) => CommandStatus::Sent,
            Err(_) => CommandStatus::NotConnected,
        }
    }

    /// Asks every plugin socket to close (shutdown). Their sessions end and unbind.
    pub fn close_all_plugins(&self, reason: &str) {
        let conns: Vec<_> = self.lock().plugins.values().map(|c| c.tx.clone()).collect();
        for tx in conns {
            let _ = tx.try_send(PluginOutgoing::Close(1001, reason.to_string()));
        }
    }

    /// A cached dungeon map for the character's current dungeon, if any.
    pub fn cached_dungeon_map(&self, player_name: &str) -> Option<Arc<str>> {
        let st = self.lock();
        let ch = st.characters.get(&name_key(player_name))?;
        let (_, _, t) = ch.telemetry.as_ref()?;
        if !t.is_dungeon {
            return None;
        }
        let landblock = (t.landcell? >> 16) as u16;
        st.dungeon_maps.get(&landblock).cloned()
    }

    /// Asks the plugin for its dungeon map. `false` when it is not connected.
    pub fn request_dungeon_map(&self, player_name: &str) -> bool {
        let tx = self.lock().plugins.get(&name_key(player_name)).map(|c| c.tx.clone());
        let Some(tx) = tx else { return false };
        let msg = json!({"type":"request_dungeon_map","request_id": self.next_request_id("d")}).to_string();
        tx.try_send(PluginOutgoing::Text(msg)).is_ok()
    }

    pub fn character(&self, name: &str) -> Option<CharacterLive> {
        self.lock().characters.get(&name_key(name)).cloned()
    }

    /// Characters seen since `since_ms`, by name.
    pub fn characters_since(&self, since_ms: i64) -> Vec<CharacterLive> {
        let mut v: Vec<_> =
            self.lock().characters.values().filter(|c| c.last_seen_ms >= since_ms || c.online).cloned().collect();
        v.sort_by_key(|a| a.name.to_lowercase());
        v
    }

    pub fn online_count(&self) -> usize {
        self.lock().plugins.len()
    }

    /// The `chat_history` browser message sent on connect (docs/protocol.md §4).
    pub fn chat_history_json(&self) -> String {
        self.lock().chat_history.message_json()
    }

    /// The browser `snapshot` message (docs/protocol.md §4) for the given filter.
    pub fn snapshot_json(&self, characters: Option<&[String]>, server_time_ms: i64) -> String {
        let st = self.lock();
        let mut list: Vec<&CharacterLive> = st
            .characters
            .iter()
            .filter(|(k, _)| characters.is_none_or(|names| names.iter().any(|n| n == *k)))
            .map(|(_, c)| c)
            .collect();
        list.sort_by_key(|a| a.name.to_lowercase());
        let characters: Vec<LiveCharacter> = list.into_iter().map(LiveCharacter::of).collect();
        drop(st);
        let server_time =
            chrono::DateTime::from_timestamp_millis(server_time_ms).map(|t| t.to_rfc3339()).unwrap_or_default();
        let message = render::SnapshotMessage { kind: "snapshot", server_time, server_time_ms, characters };
        render::to_text("snapshot", &message).unwrap_or_else(|| {
            let e = render::SocketError::internal("the snapshot could not be built; see the server log");
            // Two plain strings always serialize; the literal is only the type's shape.
            serde_json::to_string(&e)
                .unwrap_or_else(|_| r#"{"type":"error","code":"internal","message":"internal error"}"#.to_string())
        })
    }
}

fn evict_if_full(st: &mut State) {
    if st.characters.len() < MAX_LIVE_CHARACTERS {
        return;
    }
    if let Some(victim) =
        st.characters.iter().filter(|(_, c)| !c.online).min_by_key(|(_, c)| c.last_seen_ms).map(|(k, _)| k.clone())
    {
        st.characters.remove(&victim);
    }
}

fn chat_hash(sender: &str, text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    sender.trim().to_lowercase().hash(&mut h);
    text.trim().hash(&mut h);
    h.finish()
}

fn prune_dedup<K: std::hash::Hash + Eq + Copy>(
    seen: &mut HashMap<K, i64>,
    order: &mut VecDeque<(i64, K)>,
    older_than: i64,
) {
    while let Some((t, k)) = order.front().copied() {
        if t >= older_than && order.len() < MAX_DEDUP_ENTRIES {
            break;
        }
        order.pop_front();
        if seen.get(&k).is_some_and(|seen_t| *seen_t == t) {
            seen.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::decode_plugin_frame;

    fn frame(text: &str) -> PluginFrame {
        decode_plugin_frame(text).expect("a valid frame")
    }

    #[test]
    fn with_no_browser_watching_state_and_chat_history_still_update() {
        let hub = Hub::new();
        let tel = frame(r#"{"type":"telemetry","character_name":"Mossy","ew":33.5,"ns":42.1}"#);
        let chat = frame(r#"{"type":"chat","character_name":"Mossy","sender":"Bob","text":"hello"}"#);
        assert!(!hub.tx.is_watched());
        hub.on_frame(&tel, 1_000);
        hub.on_frame(&chat, 1_001);
        let live = hub.character("Mossy").expect("known");
        assert!(live.telemetry.is_some_and(|(t, _, tel)| t == 1_000 && tel.ew == 33.5));
        assert!(hub.chat_history_json().contains("\"text\":\"hello\""));
    }

    #[test]
    fn a_browser_watching_gets_each_message_rendered_once() {
        let hub = Hub::new();
        let mut sub = hub.subscribe();
        assert!(hub.tx.is_watched());
        hub.on_frame(&frame(r#"{"type":"telemetry","character_name":"Mossy","ew":33.5,"ns":42.1}"#), 1_000);
        hub.on_frame(&frame(r#"{"type":"chat","character_name":"Mossy","sender":"Bob","text":"hi"}"#), 1_001);
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let got: Vec<Broadcast> = rt.block_on(async {
            let mut v = Vec::new();
            for _ in 0..2 {
                v.push(sub.recv().await.expect("a message"));
            }
            v
        });
        assert_eq!(got.iter().map(|b| b.topic).collect::<Vec<_>>(), ["telemetry", "chat"]);
        let chat: Value = serde_json::from_str(&got[1].json).expect("json");
        assert_eq!(
            (chat["type"].as_str(), chat["text"].as_str(), chat["received_at"].as_i64()),
            (Some("chat"), Some("hi"), Some(1_001))
        );
    }
}
