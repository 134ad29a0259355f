//! Containment at the HTTP edge: a panic in a request handler or a socket task, and the
//! race between counting sockets and admitting them.
//!
//! Owns: the panic-catching middleware (500 with the usual JSON error, logged with the
//! request path, counted), the socket wrapper (a panicking socket task closes its socket
//! with 1011, counted; nothing else is touched) and [`SocketSlot`], a connection slot
//! reserved atomically at upgrade and released on drop (even while unwinding).
//! Never: decides what a handler does or retries anything.

use crate::metrics::Metrics;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Request paths are logged up to this many bytes (a path is attacker-chosen).
const MAX_LOGGED_PATH_BYTES: usize = 256;

/// Middleware: runs the rest of the stack and turns a panic into a 500 `internal` error.
pub async fn catch_panics<T: AsRef<Metrics>>(State(holder): State<Arc<T>>, req: Request, next: Next) -> Response {
    let metrics: &Metrics = (*holder).as_ref();
    let path = loggable(req.uri().path());
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(response) => response,
        Err(payload) => {
            metrics.guard.http_panics.fetch_add(1, Ordering::Relaxed);
            tracing::error!(path = %path, panic = %panic_message(payload.as_ref()), "a request handler panicked; answered 500");
            super::ApiError::Internal("handler panicked".into()).into_response()
        }
    }
}

/// Runs one socket task. If it panics, the socket is closed with 1011 ("internal error")
/// and the panic is logged and counted; other sockets and the server carry on.
pub async fn run_socket<F>(metrics: &Metrics, kind: &'static str, mut socket: WebSocket, task: F)
where
    F: for<'a> FnOnce(&'a mut WebSocket) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>,
{
    let outcome = AssertUnwindSafe(task(&mut socket)).catch_unwind().await;
    if let Err(payload) = outcome {
        metrics.guard.socket_panics.fetch_add(1, Ordering::Relaxed);
        tracing::error!(socket = kind, panic = %panic_message(payload.as_ref()), "a socket task panicked; closing it with 1011");
        let close = CloseFrame { code: 1011, reason: "internal error".into() };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), socket.send(Message::Close(Some(close)))).await;
    }
}

/// One admitted socket, counted in `gauge` from the moment it was reserved (before the
/// upgrade) until it is dropped. `reserve` checks and increments in one atomic step, so a
/// burst can never push the gauge past the limit.
pub struct SocketSlot<T: AsRef<Metrics>> {
    holder: Arc<T>,
    which: fn(&Metrics) -> &AtomicI64,
}

impl<T: AsRef<Metrics>> SocketSlot<T> {
    /// Takes a slot if fewer than `limit` are taken; `None` at the limit.
    pub fn reserve(holder: &Arc<T>, which: fn(&Metrics) -> &AtomicI64, limit: usize) -> Option<SocketSlot<T>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        which((**holder).as_ref())
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()
            .map(|_| SocketSlot { holder: holder.clone(), which })
    }
}

impl<T: AsRef<Metrics>> Drop for SocketSlot<T> {
    fn drop(&mut self) {
        (self.which)((*self.holder).as_ref()).fetch_sub(1, Ordering::AcqRel);
    }
}

fn loggable(path: &str) -> String {
    let mut cut = path.len().min(MAX_LOGGED_PATH_BYTES);
    while !path.is_char_boundary(cut) {
        cut -= 1;
    }
    path[..cut].to_string()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_never_exceed_the_limit_under_contention() {
        let metrics = Arc::new(Metrics::default());
        let held = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..100 {
                        if let Some(slot) = SocketSlot::reserve(&metrics, |m| &m.browser_connections, 20) {
                            held.lock().unwrap().push(slot);
                        }
                    }
                });
            }
        });
        assert_eq!(held.lock().unwrap().len(), 20);
        assert_eq!(metrics.browser_connections.load(Ordering::Relaxed), 20);
        held.lock().unwrap().clear();
        assert_eq!(metrics.browser_connections.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn long_paths_are_cut_on_a_character_boundary() {
        let p = format!("/{}", "é".repeat(300));
        let l = loggable(&p);
        assert!(l.len() <= MAX_LOGGED_PATH_BYTES && p.starts_with(&l));
    }
}
