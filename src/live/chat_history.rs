//! The chat history ring: the last [`CHAT_HISTORY`] chat lines the hub broadcast, kept in
//! memory so a browser that connects (or reconnects) sees the recent conversation at once.
//!
//! Owns the ring and its `chat_history` browser message. Never stores chat on disk (chat is
//! not persisted, docs/protocol.md §3.9) and never grows past its bound.

use super::render::{ChatHistoryMessage, ChatMessage};
use std::collections::VecDeque;

/// Chat lines kept for browsers that connect: a few hundred lines is about an evening of a
/// busy allegiance channel and at most ~150 kB of JSON.
pub const CHAT_HISTORY: usize = 300;

/// The newest chat lines, oldest first, each the `chat` message browsers received.
#[derive(Debug, Default)]
pub struct ChatHistory {
    lines: VecDeque<ChatMessage>,
}

impl ChatHistory {
    /// Appends one `chat` message, forgetting the oldest past the bound.
    pub fn push(&mut self, line: ChatMessage) {
        self.lines.push_back(line);
        while self.lines.len() > CHAT_HISTORY {
            self.lines.pop_front();
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// The browser message `{"type":"chat_history","lines":[chat message…]}` (docs/protocol.md
    /// §4). Chat lines are plain strings and numbers, so this always serializes; if it ever
    /// did not, browsers get an empty history (logged) rather than no snapshot at all.
    pub fn message_json(&self) -> String {
        let message = ChatHistoryMessage { kind: "chat_history", lines: self.lines.iter().collect() };
        super::render::to_text("chat_history", &message)
            .unwrap_or_else(|| r#"{"type":"chat_history","lines":[]}"#.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Chat;

    fn line(i: usize) -> ChatMessage {
        let chat = Chat {
            channel: None,
            chat_type: Some(2),
            sender: Some("Bob".into()),
            text: format!("line {i}"),
            raw: None,
        };
        ChatMessage::new("Mossy", 1_000 + i as i64, &chat)
    }

    #[test]
    fn keeps_only_the_newest_lines_in_order() {
        let mut h = ChatHistory::default();
        for i in 0..CHAT_HISTORY + 25 {
            h.push(line(i));
        }
        assert_eq!(h.len(), CHAT_HISTORY);
        let v: serde_json::Value = serde_json::from_str(&h.message_json()).expect("json");
        assert_eq!(v["lines"][0]["text"], "line 25");
        assert_eq!(v["lines"][CHAT_HISTORY - 1]["text"], format!("line {}", CHAT_HISTORY + 24));
    }

    #[test]
    fn message_is_valid_json_with_every_line() {
        let mut h = ChatHistory::default();
        assert_eq!(h.message_json(), "{\"type\":\"chat_history\",\"lines\":[]}");
        h.push(line(1));
        h.push(line(2));
        let v: serde_json::Value = serde_json::from_str(&h.message_json()).expect("json");
        assert_eq!(v["type"], "chat_history");
        assert_eq!(v["lines"][1]["text"], "line 2");
        assert_eq!(v["lines"][1]["type"], "chat");
        assert_eq!(v["lines"][1]["character_name"], "Mossy");
        assert_eq!(v["lines"][1]["received_at"], 1_002);
        assert_eq!(v["lines"].as_array().map(Vec::len), Some(2));
    }
}
