//! Fan-out of hub broadcasts to browser sockets: one queue per subscriber, bounded in
//! messages and in bytes.
//!
//! Owns: the subscriber queues and their accounting. A queue over either bound drops its
//! oldest messages and reports how many (and how many bytes) to its reader, so a browser
//! that stops reading holds at most [`SUBSCRIBER_BACKLOG_BYTES`] (plus one message) no
//! matter how large or how many the broadcasts are. Never: blocks the sender, awaits
//! anything while holding a lock, or keeps a queue after its subscriber is gone.

use super::Broadcast;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use tokio::sync::Notify;

/// Bytes a browser may be behind. A few dungeon maps (the largest broadcasts, up to 4 MiB
/// each) or about a minute of telemetry for 100 characters; past it the oldest go.
pub const SUBSCRIBER_BACKLOG_BYTES: usize = 8 * 1024 * 1024;
/// Messages a browser may be behind, whatever their size.
pub const SUBSCRIBER_BACKLOG_MESSAGES: usize = 8_192;
/// Accounting overhead per queued message (the `Broadcast` itself and the queue slot).
const PER_MESSAGE_OVERHEAD: usize = 64;

/// What a subscriber gets instead of a message when it fell behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Messages (and their bytes) dropped since the last receive.
    Lagged { messages: u64, bytes: u64 },
    /// The hub is gone.
    Closed,
}

/// The sending side, owned by the hub.
#[derive(Default)]
pub struct Fanout {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    queues: Mutex<Vec<Arc<Queue>>>,
}

#[derive(Default)]
struct Queue {
    inner: Mutex<Backlog>,
    notify: Notify,
}

#[derive(Default)]
struct Backlog {
    items: VecDeque<Broadcast>,
    bytes: usize,
    dropped_messages: u64,
    dropped_bytes: u64,
    closed: bool,
}

/// One browser's receiving side. Dropping it unsubscribes.
pub struct Subscriber {
    queue: Arc<Queue>,
    shared: Weak<Shared>,
}

impl Fanout {
    pub fn new() -> Self {
        Fanout::default()
    }

    pub fn subscribe(&self) -> Subscriber {
        let queue = Arc::new(Queue::default());
        lock(&self.shared.queues).push(queue.clone());
        Subscriber { queue, shared: Arc::downgrade(&self.shared) }
    }

    /// Queues `b` for every subscriber; never waits.
    pub fn send(&self, b: Broadcast) {
        let size = cost(&b);
        for q in lock(&self.shared.queues).iter() {
            {
                let mut backlog = lock(&q.inner);
                backlog.items.push_back(b.clone());
                backlog.bytes += size;
                while backlog.items.len() > 1
                    && (backlog.bytes > SUBSCRIBER_BACKLOG_BYTES || backlog.items.len() > SUBSCRIBER_BACKLOG_MESSAGES)
                {
                    let Some(old) = backlog.items.pop_front() else { break };
                    let old_size = cost(&old);
                    backlog.bytes -= old_size;
                    backlog.dropped_messages += 1;
                    backlog.dropped_bytes += old_size as u64;
                }
            }
            q.notify.notify_one();
        }
    }

    /// Whether any browser is subscribed: with none, the hub skips rendering messages
    /// nobody would receive (a group streams all night with no dashboard open).
    pub fn is_watched(&self) -> bool {
        !lock(&self.shared.queues).is_empty()
    }

    #[cfg(test)]
    pub fn subscribers(&self) -> usize {
        lock(&self.shared.queues).len()
    }
}

impl Drop for Fanout {
    fn drop(&mut self) {
        for q in lock(&self.shared.queues).iter() {
            lock(&q.inner).closed = true;
            q.notify.notify_one();
        }
    }
}

impl Subscriber {
    /// The next message, or how much was dropped since the last call. Cancel-safe: a
    /// message is taken from the queue only when this returns it.
    pub async fn recv(&mut self) -> Result<Broadcast, RecvError> {
        loop {
            {
                let mut backlog = lock(&self.queue.inner);
                if backlog.dropped_messages > 0 {
                    let lag = RecvError::Lagged { messages: backlog.dropped_messages, bytes: backlog.dropped_bytes };
                    backlog.dropped_messages = 0;
                    backlog.dropped_bytes = 0;
                    return Err(lag);
                }
                if let Some(b) = backlog.items.pop_front() {
                    backlog.bytes -= cost(&b);
                    return Ok(b);
                }
                if backlog.closed {
                    return Err(RecvError::Closed);
                }
            }
            self.queue.notify.notified().await;
        }
    }

    /// Takes the drops not yet reported by `recv` (messages, bytes): a reader that ends
    /// while blocked elsewhere (a browser disconnected for not reading) still counts them.
    pub fn take_lag(&mut self) -> (u64, u64) {
        let mut backlog = lock(&self.queue.inner);
        let lag = (backlog.dropped_messages, backlog.dropped_bytes);
        backlog.dropped_messages = 0;
        backlog.dropped_bytes = 0;
        lag
    }

    /// Bytes waiting for this subscriber (for tests and metrics).
    pub fn backlog_bytes(&self) -> usize {
        lock(&self.queue.inner).bytes
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            lock(&shared.queues).retain(|q| !Arc::ptr_eq(q, &self.queue));
        }
    }
}

fn cost(b: &Broadcast) -> usize {
    b.json.len() + b.character.len() + PER_MESSAGE_OVERHEAD
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update under these locks is a few field writes that cannot be left half-done
    // in a way that matters; a poisoned lock is used as is.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(bytes: usize) -> Broadcast {
        Broadcast { topic: "dungeon_map", character: "a".into(), json: "x".repeat(bytes).into() }
    }

    #[test]
    fn drops_a_reader_never_came_back_for_are_still_reported() {
        let f = Fanout::new();
        let mut sub = f.subscribe();
        for _ in 0..3 {
            f.send(msg(SUBSCRIBER_BACKLOG_BYTES / 2));
        }
        let (messages, bytes) = sub.take_lag();
        // Each message is half the budget plus its overhead: only the newest fits.
        assert_eq!(messages, 2);
        assert!(bytes >= SUBSCRIBER_BACKLOG_BYTES as u64);
        assert_eq!(sub.take_lag(), (0, 0), "reported once");
    }

    #[tokio::test]
    async fn a_stalled_subscriber_holds_at_most_its_byte_budget() {
        let f = Fanout::new();
        let mut stalled = f.subscribe();
        for _ in 0..250 {
            f.send(msg(2 * 1024 * 1024));
        }
        assert!(stalled.backlog_bytes() <= SUBSCRIBER_BACKLOG_BYTES, "{}", stalled.backlog_bytes());
        match stalled.recv().await {
            Err(RecvError::Lagged { messages, bytes }) => {
                assert!(messages >= 246, "{messages}");
                assert!(bytes >= messages * 2 * 1024 * 1024);
            }
            other => panic!("expected a lag report, got {other:?}"),
        }
        assert!(stalled.recv().await.is_ok());
    }

    #[tokio::test]
    async fn one_message_larger_than_the_budget_still_arrives() {
        let f = Fanout::new();
        let mut s = f.subscribe();
        f.send(msg(SUBSCRIBER_BACKLOG_BYTES + 1));
        assert_eq!(s.recv().await.map(|b| b.json.len()), Ok(SUBSCRIBER_BACKLOG_BYTES + 1));
    }

    #[tokio::test]
    async fn message_count_is_bounded_too_and_dropping_unsubscribes() {
        let f = Fanout::new();
        let s = f.subscribe();
        for _ in 0..(SUBSCRIBER_BACKLOG_MESSAGES + 10) {
            f.send(msg(1));
        }
        assert_eq!(lock(&s.queue.inner).items.len(), SUBSCRIBER_BACKLOG_MESSAGES);
        assert_eq!(f.subscribers(), 1);
        drop(s);
        assert_eq!(f.subscribers(), 0);
    }

    #[tokio::test]
    async fn a_waiting_subscriber_wakes_on_send_and_sees_close() {
        let f = Fanout::new();
        let mut s = f.subscribe();
        let task = tokio::spawn(async move {
            let first = s.recv().await.map(|b| b.json.len());
            let second = s.recv().await.map(|b| b.json.len());
            (first, second)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        f.send(msg(3));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        drop(f);
        assert_eq!(task.await.unwrap(), (Ok(3), Err(RecvError::Closed)));
    }
}
