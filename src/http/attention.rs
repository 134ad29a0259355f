//! `GET /api/attention`: stuck and disconnected characters (the one detection in
//! `alerts::Attention`). Read-only; any session or read token; public when the overview
//! page is.

use super::{AppState, now_ms};
use crate::alerts::AttentionSnapshot;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/attention", get(attention))
}

async fn attention(State(app): State<AppState>) -> Json<AttentionSnapshot> {
    Json(app.attention.snapshot(now_ms()))
}
