//! What the admin's Alerts page shows about delivery: the most recent posted (or given up)
//! alert lines, and the probe a "send test" request waits on. Never does I/O; bounded.

use super::AlertKind;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::watch;

/// Alert lines the recent list keeps (newest first). A busy chat relay fills it in
/// minutes; it is a "did my alerts go out" view, not a history.
pub const RECENT_ALERTS_KEPT: usize = 100;

/// One alert line's final outcome on one webhook.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SentAlert {
    /// When the post was accepted or given up (unix ms).
    pub at_ms: i64,
    /// When the alert was raised (unix ms).
    pub raised_ms: i64,
    pub kind: AlertKind,
    /// A "send test" line from the Alerts page.
    pub test: bool,
    /// The webhook, token hidden.
    pub webhook: String,
    pub line: String,
    pub delivered: bool,
    /// The last HTTP status the webhook answered, if it answered.
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// The newest [`RECENT_ALERTS_KEPT`] outcomes.
#[derive(Default)]
pub struct RecentLog {
    entries: Mutex<VecDeque<SentAlert>>,
}

impl RecentLog {
    pub fn push(&self, alert: SentAlert) {
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if e.len() >= RECENT_ALERTS_KEPT {
            e.pop_back();
        }
        e.push_front(alert);
    }

    /// Newest first.
    pub fn list(&self) -> Vec<SentAlert> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}

/// How a test post is going, as the admin sees it.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct TestReport {
    /// The post reached a final outcome (accepted, refused, or given up).
    pub done: bool,
    pub delivered: bool,
    /// Attempts made so far (a 429 or a 5xx is followed by another).
    pub attempts: u32,
    /// The webhook's last HTTP status, if it answered.
    pub status: Option<u16>,
    /// The last error (refusal text, network error, rate-limit wait), token hidden.
    pub error: Option<String>,
}

/// Rides along with a test line through the real delivery worker.
pub struct Probe {
    tx: watch::Sender<TestReport>,
}

impl Probe {
    pub fn new() -> (Probe, watch::Receiver<TestReport>) {
        let (tx, rx) = watch::channel(TestReport::default());
        (Probe { tx }, rx)
    }

    pub(crate) fn attempt(&self, status: Option<u16>, error: Option<String>) {
        self.tx.send_modify(|r| {
            r.attempts += 1;
            r.status = status.or(r.status);
            r.error = error;
        });
    }

    pub(crate) fn finish(&self, delivered: bool, status: Option<u16>, error: Option<String>) {
        self.tx.send_modify(|r| {
            r.done = true;
            r.delivered = delivered;
            r.status = status.or(r.status);
            r.error = error;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(i: i64) -> SentAlert {
        SentAlert {
            at_ms: i,
            raised_ms: i,
            kind: AlertKind::Rare,
            test: false,
            webhook: "https://x/***".into(),
            line: format!("l{i}"),
            delivered: true,
            status: Some(204),
            error: None,
        }
    }

    #[test]
    fn the_recent_list_is_newest_first_and_bounded() {
        let log = RecentLog::default();
        for i in 0..(RECENT_ALERTS_KEPT as i64 + 5) {
            log.push(sent(i));
        }
        let l = log.list();
        assert_eq!(l.len(), RECENT_ALERTS_KEPT);
        assert_eq!(l[0].at_ms, RECENT_ALERTS_KEPT as i64 + 4);
        assert_eq!(l.last().map(|a| a.at_ms), Some(5));
    }

    #[test]
    fn a_probe_keeps_the_last_status_through_a_retry() {
        let (p, rx) = Probe::new();
        p.attempt(Some(429), Some("rate limited".into()));
        assert_eq!(rx.borrow().attempts, 1);
        assert!(!rx.borrow().done);
        p.finish(true, Some(204), None);
        let r = rx.borrow().clone();
        assert_eq!(r, TestReport { done: true, delivered: true, attempts: 1, status: Some(204), error: None });
    }
}
