//! The chat history ring: the last [`CHAT_HISTORY`] chat lines the hub broadcast, kept in
//! memory so a browser that connects (or reconnects) sees the recent conversation at once.
//!
//! Owns the ring and its `chat_history` browser message. Never stores chat on disk (chat is
//! not persisted, protocol.md §3.9) and never grows past its bound.

use std::collections::VecDeque;
use std::sync::Arc;

/// Chat lines kept for browsers that connect: a few hundred lines is about an evening of a
/// busy allegiance channel and at most ~150 kB of JSON.
pub const CHAT_HISTORY: usize = 300;

/// The newest chat lines, oldest first, each the exact `chat` message browsers received.
#[derive(Debug, Default)]
pub struct ChatHistory {
    lines: VecDeque<Arc<str>>,
}

impl ChatHistory {
    /// Appends one rendered `chat` message, forgetting the oldest past the bound.
    pub fn push(&mut self, line: Arc<str>) {
        self.lines.push_back(line);
        while self.lines.len() > CHAT_HISTORY {
            self.lines.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> Vec<Arc<str>> {
        self.lines.iter().cloned().collect()
    }

    /// The browser message `{"type":"chat_history","lines":[chat message…]}` (protocol.md
    /// §4): the lines are already JSON objects, so they are joined, not re-encoded.
    pub fn message_json(&self) -> String {
        let mut out = String::from("{\"type\":\"chat_history\",\"lines\":[");
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(line);
        }
        out.push_str("]}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize) -> Arc<str> {
        format!("{{\"type\":\"chat\",\"text\":\"line {i}\"}}").into()
    }

    #[test]
    fn keeps_only_the_newest_lines_in_order() {
        let mut h = ChatHistory::default();
        for i in 0..CHAT_HISTORY + 25 {
            h.push(line(i));
        }
        assert_eq!(h.len(), CHAT_HISTORY);
        let lines = h.lines();
        assert_eq!(&*lines[0], &*line(25));
        assert_eq!(&*lines[CHAT_HISTORY - 1], &*line(CHAT_HISTORY + 24));
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
        assert_eq!(v["lines"].as_array().map(Vec::len), Some(2));
    }
}
