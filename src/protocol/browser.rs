//! Messages a browser sends on `/ws/live` (docs/protocol.md §4), decoded and validated.

use super::lenient;
use serde_json::Value;

/// docs/protocol.md §4: at most 500 characters per command.
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

/// Why a browser frame was refused. The message is sent back to the browser on the
/// socket, so it says what to change; player text in it is clipped.
#[derive(Debug, thiserror::Error)]
pub enum BrowserMessageError {
    /// Over [`MAX_BROWSER_FRAME_BYTES`].
    #[error("message is {bytes} bytes; the limit is {max}")]
    TooLarge { bytes: usize, max: usize },
    /// Not parseable JSON.
    #[error("message is not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// JSON, but not an object.
    #[error("message must be a JSON object")]
    NotAnObject,
    /// A message that names a character has none.
    #[error("field 'player_name' is required")]
    MissingPlayer,
    /// A subscription names a topic not in [`TOPICS`].
    #[error("unknown topic '{0}'; known topics: {known}", known = TOPICS.join(", "))]
    UnknownTopic(String),
    /// `topics` is present but not a list.
    #[error("field 'topics' must be a list of topic names")]
    TopicsNotAList,
    /// More than `max` names in `characters`.
    #[error("at most {max} characters per subscription")]
    TooManyCharacters { max: usize },
    /// `characters` is neither `"*"` nor a list.
    #[error("field 'characters' must be \"*\" or a list of names")]
    CharactersNotAList,
    /// A command message without a (non-blank) command.
    #[error("field 'command' is required")]
    MissingCommand,
    /// A command over `max` characters.
    #[error("command is longer than {max} characters")]
    CommandTooLong { max: usize },
    /// A command with a newline or other control character.
    #[error("command must be one line without control characters")]
    CommandHasControlCharacters,
    /// `type` is not one this socket understands (clipped to 64 characters).
    #[error("unknown message type '{0}'")]
    UnknownType(String),
}

pub fn decode_browser_message(text: &str) -> Result<BrowserMessage, BrowserMessageError> {
    if text.len() > MAX_BROWSER_FRAME_BYTES {
        return Err(BrowserMessageError::TooLarge { bytes: text.len(), max: MAX_BROWSER_FRAME_BYTES });
    }
    let v: Value = serde_json::from_str(text)?;
    let Value::Object(obj) = v else { return Err(BrowserMessageError::NotAnObject) };
    let kind = obj.get("type").and_then(Value::as_str).map(str::trim);
    let player = || {
        obj.get("player_name")
            .or_else(|| obj.get("character_name"))
            .and_then(lenient::string_of)
            .ok_or(BrowserMessageError::MissingPlayer)
    };
    match kind {
        Some("subscribe") => {
            let topics = match obj.get("topics") {
                None => TOPICS.iter().map(|s| s.to_string()).collect(),
                Some(Value::Array(t)) => {
                    let mut out = Vec::new();
                    for topic in t.iter().filter_map(Value::as_str) {
                        if !TOPICS.contains(&topic) {
                            return Err(BrowserMessageError::UnknownTopic(topic.to_string()));
                        }
                        out.push(topic.to_string());
                    }
                    out
                }
                Some(_) => return Err(BrowserMessageError::TopicsNotAList),
            };
            let characters = match obj.get("characters") {
                None => None,
                Some(Value::String(s)) if s.trim() == "*" => None,
                Some(Value::Array(names)) if names.len() <= MAX_SUBSCRIBED_NAMES => {
                    Some(names.iter().filter_map(lenient::string_of).map(|n| super::name_key(&n)).collect())
                }
                Some(Value::Array(_)) => {
                    return Err(BrowserMessageError::TooManyCharacters { max: MAX_SUBSCRIBED_NAMES });
                }
                Some(_) => return Err(BrowserMessageError::CharactersNotAList),
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
                .ok_or(BrowserMessageError::MissingCommand)?;
            if command.chars().count() > MAX_COMMAND_CHARS {
                return Err(BrowserMessageError::CommandTooLong { max: MAX_COMMAND_CHARS });
            }
            if command.chars().any(|c| c.is_control()) {
                return Err(BrowserMessageError::CommandHasControlCharacters);
            }
            let request_id = obj.get("request_id").and_then(lenient::string_of).map(|s| super::clip(s, 64));
            Ok(BrowserMessage::Command { player_name: player()?, command: command.to_string(), request_id })
        }
        Some(other) => Err(BrowserMessageError::UnknownType(super::clip(other.to_string(), 64))),
    }
}
