//! JSON shapes the hub sends to browsers and the API returns: normalized values with the
//! plugin's field names (docs/protocol.md §4), `received_at` in unix milliseconds.

use super::CharacterLive;
use crate::protocol::{Chat, Place, Portal, Rare, Spawn, Telemetry, Vitals};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// The normalized telemetry fields (docs/protocol.md §3.1) and the position as map text.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct TelemetryBody {
    #[serde(flatten)]
    pub frame: Telemetry,
    /// The position as the game writes it, e.g. `"12.3N, 45.6E"`.
    pub coords: String,
}

impl TelemetryBody {
    pub fn of(t: &Telemetry) -> Self {
        TelemetryBody { frame: t.clone(), coords: crate::protocol::format_coords(t.ew, t.ns) }
    }
}

/// A telemetry frame as browsers receive it (the `telemetry` socket message, and the
/// `telemetry` of `/api/live` and `/api/characters/{name}`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct TelemetryMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"telemetry\""))]
    pub kind: &'static str,
    pub character_name: String,
    /// When the server received it (unix ms).
    pub received_at: i64,
    /// The plugin's own clock, when it sent one.
    pub client_time_ms: Option<i64>,
    #[serde(flatten)]
    pub body: TelemetryBody,
}

impl TelemetryMessage {
    pub fn new(name: &str, recv_ms: i64, client_time_ms: Option<i64>, t: &Telemetry) -> Self {
        TelemetryMessage {
            kind: "telemetry",
            character_name: name.to_string(),
            received_at: recv_ms,
            client_time_ms,
            body: TelemetryBody::of(t),
        }
    }
}

/// The `vitals` socket message.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct VitalsMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"vitals\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    #[serde(flatten)]
    pub vitals: Vitals,
}

/// This session's counters, as the plugin last reported them in telemetry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SessionCounters {
    pub kills: Option<u32>,
    pub kills_per_hour: Option<f64>,
    pub deaths: Option<u32>,
    pub rares_found: Option<u32>,
    pub session_seconds: Option<u64>,
}

impl SessionCounters {
    pub fn of(t: &Telemetry) -> Self {
        SessionCounters {
            kills: t.kills,
            kills_per_hour: t.kills_per_hour,
            deaths: t.deaths,
            rares_found: t.rares_found,
            session_seconds: t.session_seconds,
        }
    }
}

/// One character in `/api/live` and in the socket's `snapshot` message.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LiveCharacter {
    pub character_name: String,
    pub online: bool,
    pub last_seen_ms: i64,
    pub telemetry: Option<TelemetryMessage>,
    pub vitals: Option<Vitals>,
    /// From the last telemetry; `null` until one arrived.
    pub session: Option<SessionCounters>,
}

impl LiveCharacter {
    pub fn of(c: &CharacterLive) -> Self {
        let t = c.telemetry.as_ref();
        LiveCharacter {
            character_name: c.name.clone(),
            online: c.online,
            last_seen_ms: c.last_seen_ms,
            telemetry: t.map(|(recv, client, tel)| TelemetryMessage::new(&c.name, *recv, *client, tel)),
            vitals: c.vitals.clone(),
            session: t.map(|x| SessionCounters::of(&x.2)),
        }
    }
}

/// The socket's `snapshot` message (docs/protocol.md §4), sent on connect and on subscribe.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SnapshotMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"snapshot\""))]
    pub kind: &'static str,
    /// RFC 3339.
    pub server_time: String,
    pub server_time_ms: i64,
    pub characters: Vec<LiveCharacter>,
}

/// A message as socket text. Serializing these types cannot fail (no map has non-string
/// keys); if it ever did, the message is not sent and the failure is logged, never an
/// empty frame.
pub fn to_text<T: Serialize>(what: &str, message: &T) -> Option<String> {
    match serde_json::to_string(message) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(message = what, error = %e, "browser message does not serialize; not sent");
            None
        }
    }
}

/// `{"type", "character_name", "received_at", ...body}` as text: a plugin object relayed
/// with its envelope. The envelope's names win over body fields of the same name, and a
/// body that is not an object is relayed as `value`. Written straight from the body (no
/// copy of its tree: these relays are a few per character per second). A `Value` always
/// serializes; if it ever did not, nothing is sent and the failure is logged.
pub fn forward_json(kind: &str, name: &str, recv_ms: i64, body: &Value) -> Option<String> {
    to_text(kind, &Forwarded { kind, name, recv_ms, body })
}

struct Forwarded<'a> {
    kind: &'a str,
    name: &'a str,
    recv_ms: i64,
    body: &'a Value,
}

impl Serialize for Forwarded<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        const ENVELOPE: [&str; 3] = ["type", "character_name", "received_at"];
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("type", self.kind)?;
        m.serialize_entry("character_name", self.name)?;
        m.serialize_entry("received_at", &self.recv_ms)?;
        match self.body {
            Value::Object(fields) => {
                for (k, v) in fields.iter().filter(|(k, _)| !ENVELOPE.contains(&k.as_str())) {
                    m.serialize_entry(k, v)?;
                }
            }
            other => m.serialize_entry("value", other)?,
        }
        m.end()
    }
}

/// A `spawn` socket message: a monster seen for the first time (docs/protocol.md §3.11).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SpawnMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"spawn\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    pub monster_name: String,
    pub object_id: Option<u32>,
    pub wcid: Option<u32>,
    #[serde(flatten)]
    pub place: Place,
}

impl SpawnMessage {
    pub fn new(name: &str, recv_ms: i64, s: &Spawn) -> Self {
        SpawnMessage {
            kind: "spawn",
            character_name: name.to_string(),
            received_at: recv_ms,
            monster_name: s.monster_name.clone(),
            object_id: s.object_id,
            wcid: s.wcid,
            place: s.place.clone(),
        }
    }
}

/// A `rare` socket message (docs/protocol.md §3.5).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RareMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"rare\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    pub rare_name: String,
    pub wcid: Option<u32>,
    pub object_id: Option<u32>,
    /// The chat line that announced it.
    pub chat_text: Option<String>,
    #[serde(flatten)]
    pub place: Place,
}

impl RareMessage {
    pub fn new(name: &str, recv_ms: i64, r: &Rare) -> Self {
        RareMessage {
            kind: "rare",
            character_name: name.to_string(),
            received_at: recv_ms,
            rare_name: r.rare_name.clone(),
            wcid: r.wcid,
            object_id: r.object_id,
            chat_text: r.chat_text.clone(),
            place: r.place.clone(),
        }
    }
}

/// A `portal` socket message (docs/protocol.md §3.6).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PortalMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"portal\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    pub portal_name: String,
    pub object_id: Option<u32>,
    pub destination: Option<String>,
    #[serde(flatten)]
    pub place: Place,
}

impl PortalMessage {
    pub fn new(name: &str, recv_ms: i64, p: &Portal) -> Self {
        PortalMessage {
            kind: "portal",
            character_name: name.to_string(),
            received_at: recv_ms,
            portal_name: p.portal_name.clone(),
            object_id: p.object_id,
            destination: p.destination.clone(),
            place: p.place.clone(),
        }
    }
}

/// The `online` socket message: a character's plugin socket was bound or released.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct OnlineMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"online\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub online: bool,
    /// When the server saw the socket bind or go (unix ms).
    pub received_at: i64,
    /// Why the socket went away (`socket_closed`, `socket_error`, `protocol_error`, `idle`,
    /// `superseded`, `closed_by_server`, `panic`); absent when it came online.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub reason: Option<String>,
}

impl OnlineMessage {
    pub fn new(name: &str, online: bool, at_ms: i64, reason: Option<&str>) -> Self {
        OnlineMessage {
            kind: "online",
            character_name: name.trim().to_string(),
            online,
            received_at: at_ms,
            reason: reason.map(str::to_string),
        }
    }
}

/// A `chat` socket message (docs/protocol.md §3.9): one chat line a character saw, relayed once
/// however many members saw it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ChatMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"chat\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    #[serde(flatten)]
    pub line: Chat,
}

impl ChatMessage {
    pub fn new(name: &str, recv_ms: i64, line: &Chat) -> Self {
        ChatMessage { kind: "chat", character_name: name.to_string(), received_at: recv_ms, line: line.clone() }
    }
}

/// The `chat_history` socket message, sent once right after the first snapshot: the recent
/// chat lines the hub keeps in memory, oldest first.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ChatHistoryMessage<'a> {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"chat_history\""))]
    pub kind: &'static str,
    pub lines: Vec<&'a ChatMessage>,
}

/// The `telemetry_batch` socket message: above 100 online characters a browser gets each
/// character's latest telemetry once a second in one message instead of one per frame.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct TelemetryBatchMessage<'a> {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"telemetry_batch\""))]
    pub kind: &'static str,
    /// Each a `telemetry` message exactly as it was broadcast (already JSON, not re-encoded).
    #[cfg_attr(feature = "bindings", ts(as = "Vec<TelemetryMessage>"))]
    pub items: Vec<&'a RawValue>,
}

impl<'a> TelemetryBatchMessage<'a> {
    /// The batch of broadcast `telemetry` texts. Each was serialized by this server, so each
    /// parses; one that ever did not is left out (logged) rather than breaking the batch.
    pub fn of(texts: impl Iterator<Item = &'a str>) -> Self {
        let items = texts
            .filter_map(|t| match serde_json::from_str::<&RawValue>(t) {
                Ok(raw) => Some(raw),
                Err(e) => {
                    tracing::error!(error = %e, "a broadcast telemetry message is not JSON; left out of the batch");
                    None
                }
            })
            .collect();
        TelemetryBatchMessage { kind: "telemetry_batch", items }
    }
}

/// A plugin's `command_result`, relayed to browsers (docs/protocol.md §3.14).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CommandResultMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"command_result\""))]
    pub kind: &'static str,
    pub character_name: String,
    pub received_at: i64,
    /// The `request_id` of the browser's command (its `command_ack` carries the same).
    pub request_id: String,
    /// Whether the plugin ran it; `null` when the plugin did not say.
    pub ok: Option<bool>,
    /// The plugin's own words, e.g. why the command failed.
    pub message: Option<String>,
}

/// How a browser's command was routed: the `status` of `command_ack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Handed to the character's plugin socket.
    Sent,
    /// The character has no plugin socket.
    NotConnected,
    /// The caller may only watch (viewers and read tokens).
    Forbidden,
    /// More than the socket's command budget (a burst of 10, one more a second).
    RateLimited,
}

/// The `command_ack` socket message: the server's immediate answer to a browser command.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct CommandAckMessage {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"command_ack\""))]
    pub kind: &'static str,
    pub player_name: String,
    /// The browser's `request_id`, or one the server chose.
    pub request_id: String,
    pub status: CommandStatus,
}

/// The `error` socket message: a browser message the server could not act on.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SocketError {
    #[serde(rename = "type")]
    #[cfg_attr(feature = "bindings", ts(type = "\"error\""))]
    pub kind: &'static str,
    /// `bad_request` (the message was wrong) or `internal` (the server failed).
    pub code: &'static str,
    pub message: String,
}

impl SocketError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        SocketError { kind: "error", code: "bad_request", message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        SocketError { kind: "error", code: "internal", message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_relayed_object_gets_its_envelope_and_the_envelope_wins() {
        let body = json!({"quests": [{"name": "Stipend"}], "type": "spoofed", "received_at": 1});
        let text = forward_json("quest", "Mossy", 42, &body).expect("serializes");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            v,
            json!({"type": "quest", "character_name": "Mossy", "received_at": 42, "quests": [{"name": "Stipend"}]})
        );
        assert!(text.starts_with(r#"{"type":"quest","#), "{text}");
    }

    #[test]
    fn a_relayed_value_that_is_not_an_object_is_kept_as_value() {
        let text = forward_json("cantrips", "Mossy", 7, &json!([{"name": "Major Strength"}])).expect("serializes");
        let v: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["value"][0]["name"], "Major Strength");
        assert_eq!(v["type"], "cantrips");
    }
}
