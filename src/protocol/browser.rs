//! Messages a browser sends on `/ws/live` (protocol.md §4), decoded and validated.

use super::lenient;
use serde_json::Value;

/// protocol.md §4: at most 500 characters per command.
pub const MAX_COMMAND_CHARS: usize = 500;
/// A browser frame is small; anything larger is not the dashboard.
pub const MAX_BROWSER_FRAME_BYTES: usize = 16 * 1024;
/// Names in one subscription list.
pub const MAX_SUBSCRIBED_NAMES: usize = 1_000;

/// Topics a browser may subscribe to.
pub const TOPICS: &[&str] = &[
    "telemetry",
    "vitals",
    "chat",
    "rare",
    "portal",
    "spawn",
    "combat_stats",
    "character_stats",
    "quest",
    "cantrips",
    "nearby_objects",
    "online",
    "combat",
    "dungeon_map",
    "command_result",
    "inventory",
];

#[derive(Debug, Clone, PartialEq)]
pub enum BrowserMessage {
    Subscribe { topics: Vec<String>, characters: Option<Vec<String>> },
    RequestDungeonMap { player_name: String },
    Command { player_name: String, command: String, request_id: Option<String> },
}

pub fn decode_browser_message(text: &str) -> Result<BrowserMessage, String> {
    if text.len() > MAX_BROWSER_FRAME_BYTES {
        return Err(format!("message is {} bytes; the limit is {MAX_BROWSER_FRAME_BYTES}", text.len()));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("message is not valid JSON: {e}"))?;
    let Value::Object(obj) = v else { return Err("message must be a JSON object".into()) };
    let kind = obj.get("type").and_then(Value::as_str).map(str::trim);
    let player = || {
        obj.get("player_name")
            .or_else(|| obj.get("character_name"))
            .and_then(lenient::string_of)
            .ok_or_else(|| "field 'player_name' is required".to_string())
    };
    match kind {
        Some("subscribe") => {
            let topics = match obj.get("topics") {
                None => TOPICS.iter().map(|s| s.to_string()).collect(),
                Some(Value::Array(t)) => {
                    let mut out = Vec::new();
                    for topic in t.iter().filter_map(Value::as_str) {
                        if !TOPICS.contains(&topic) {
                            return Err(format!("unknown topic '{topic}'; known topics: {}", TOPICS.join(", ")));
                        }
                        out.push(topic.to_string());
                    }
                    out
                }
                Some(_) => return Err("field 'topics' must be a list of topic names".into()),
            };
            let characters = match obj.get("characters") {
                None => None,
                Some(Value::String(s)) if s.trim() == "*" => None,
                Some(Value::Array(names)) if names.len() <= MAX_SUBSCRIBED_NAMES => {
                    Some(names.iter().filter_map(lenient::string_of).map(|n| super::name_key(&n)).collect())
                }
                Some(Value::Array(_)) => {
                    return Err(format!("at most {MAX_SUBSCRIBED_NAMES} characters per subscription"));
                }
                Some(_) => return Err("field 'characters' must be \"*\" or a list of names".into()),
            };
            Ok(BrowserMessage::Subscribe { topics, characters })
        }
        Some("request_dungeon_map") => Ok(BrowserMessage::RequestDungeonMap { player_name: player()? }),
        None | Some("command") => {
            let command = obj
                .get("command")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| "field 'command' is required".to_string())?;
            if command.chars().count() > MAX_COMMAND_CHARS {
                return Err(format!("command is longer than {MAX_COMMAND_CHARS} characters"));
            }
            if command.chars().any(|c| c.is_control()) {
                return Err("command must be one line without control characters".into());
            }
            let request_id = obj.get("request_id").and_then(lenient::string_of).map(|s| super::clip(s, 64));
            Ok(BrowserMessage::Command { player_name: player()?, command: command.to_string(), request_id })
        }
        Some(other) => Err(format!("unknown message type '{}'", super::clip(other.to_string(), 64))),
    }
}
