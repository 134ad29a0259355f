//! Fault injection for the hardening tests: a request handler and a browser-socket task
//! that panic on purpose, served by the real router so the real containment (the
//! panic-catching layer, `guard::run_socket`) is what the tests exercise.
//!
//! Compiled only in debug builds (`cfg(debug_assertions)`: never in a release binary) and
//! mounted only when the process has `OVERLORD_TEST_PANIC_ROUTES=1` in its environment, so
//! a debug binary run for the browser suite does not serve them either. They sit outside
//! the access table (`auth::access::ROUTES`), merged after the access layer.

use super::AppState;
use super::guard::run_socket;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;

/// The environment variable that mounts these routes (debug builds only).
pub const ENV: &str = "OVERLORD_TEST_PANIC_ROUTES";

/// The routes, when the environment asks for them.
pub fn router() -> Option<Router<AppState>> {
    (std::env::var(ENV).as_deref() == Ok("1"))
        .then(|| Router::new().route("/debug/panic", get(panic_now)).route("/debug/panic-socket", get(panic_socket)))
}

async fn panic_now() -> &'static str {
    if std::hint::black_box(true) {
        panic!("deliberate test panic (debug route)");
    }
    "unreachable"
}

/// Echoes text frames; the text `panic` makes the socket task panic.
async fn panic_socket(State(app): State<AppState>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| async move {
        let metrics_app = app.clone();
        run_socket(&metrics_app.metrics, "debug", socket, move |socket| {
            Box::pin(async move {
                while let Some(Ok(msg)) = socket.recv().await {
                    if let Message::Text(t) = msg {
                        if t.as_str() == "panic" {
                            panic!("deliberate test panic (debug socket)");
                        }
                        let _ = socket.send(Message::Text(t)).await;
                    }
                }
            })
        })
        .await
    })
}
