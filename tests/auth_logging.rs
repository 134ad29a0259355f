//! Passwords and session ids never reach the log, whatever path a request takes.

#[path = "auth_support/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode, header};
use common::*;
use overlord::auth::{Role, cli};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_and_session_ids_never_reach_the_log() {
    let captured = Captured::default();
    let sink = captured.clone();
    // Global, so log lines from the blocking pool are captured too (one test per binary).
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();

    let t = app();
    let token = t.auth.setup_token().expect("setup open");
    let setup = json_body(
        request(Method::POST, "/api/auth/setup", REMOTE),
        &json!({"token": token, "username": "root", "password": "SETUP-SECRET-1"}),
    );
    let root = send(&t.app, setup).await;
    assert_eq!(root.status, StatusCode::CREATED);
    let legacy = bcrypt::hash("LEGACY-SECRET-2", 4).expect("bcrypt");
    cli::user_import_hash(&t.db, "old", Role::Member, &legacy).expect("import");
    let old = login(&t, "old", "LEGACY-SECRET-2").await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(login(&t, "old", "WRONG-SECRET-3").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&t, "WRONG-SECRET-4", "WRONG-SECRET-4").await.status, StatusCode::UNAUTHORIZED);
    let patch = json_body(
        request(Method::PATCH, "/api/admin/users/old", REMOTE)
            .header(header::COOKIE, root.cookie())
            .header(header::ORIGIN, origin()),
        &json!({"password": "PATCH-SECRET-5"}),
    );
    assert_eq!(send(&t.app, patch).await.status, StatusCode::OK);
    t.auth.log_setup_url("http://x");

    let log = String::from_utf8(captured.0.lock().unwrap_or_else(|e| e.into_inner()).clone()).expect("utf-8 log");
    assert!(log.contains("signed in"), "the capture works: {log}");
    for secret in ["SETUP-SECRET-1", "LEGACY-SECRET-2", "WRONG-SECRET-3", "WRONG-SECRET-4", "PATCH-SECRET-5"] {
        assert!(!log.contains(secret), "{secret} leaked into the log:\n{log}");
    }
    for cookie in [root.cookie(), old.cookie()] {
        let id = &cookie["overlord_session=".len()..];
        assert!(!log.contains(id), "a session id leaked into the log");
    }
    assert!(!log.contains("$argon2") && !log.contains("$2b$"), "a hash leaked");
}
