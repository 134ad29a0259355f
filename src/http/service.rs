//! `/healthz`, `/metrics`, `/api/version`.

use super::{AppState, now_ms};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::Ordering;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Bumped when the on-disk layout changes incompatibly.
pub const DATA_FORMAT: u32 = 1;

pub fn open_router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

pub fn protected_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics)).route("/api/version", get(version))
}

async fn healthz(State(app): State<AppState>) -> impl IntoResponse {
    let uptime_s = app.started.elapsed().as_secs();
    match app.writer.stats.degraded_reason() {
        None => (StatusCode::OK, Json(json!({"status":"ok","version":VERSION,"uptime_s":uptime_s}))),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status":"degraded","reason":reason,"version":VERSION,"uptime_s":uptime_s})),
        ),
    }
}

async fn version(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "version": VERSION,
        "build": option_env!("OVERLORD_BUILD").unwrap_or("dev"),
        "data_format": DATA_FORMAT,
        "server_time_ms": now_ms(),
        "map_image": app.settings.map_image_url.as_ref().map(|url| json!({"url": url, "bounds": app.settings.map_image_bounds})),
    }))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let w = &app.writer.stats;
    let batches = w.batches.load(Ordering::Relaxed).max(1) as f64;
    let extra = [
        (
            "overlord_writer_committed_events",
            "Events committed to the journal since start.",
            w.committed.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_applied_events",
            "Committed events applied to redb since start.",
            w.applied.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_batches",
            "Journal batches (group commits) since start.",
            w.batches.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_last_batch_events",
            "Events in the latest batch.",
            w.last_batch_events.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_max_batch_events",
            "Largest batch since start.",
            w.max_batch_events.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_last_commit_seconds",
            "Latest batch: first event dequeued to journal sync done.",
            w.last_commit_us.load(Ordering::Relaxed) as f64 / 1e6,
        ),
        (
            "overlord_writer_max_commit_seconds",
            "Slowest batch commit since start.",
            w.max_commit_us.load(Ordering::Relaxed) as f64 / 1e6,
        ),
        (
            "overlord_writer_mean_commit_seconds",
            "Mean batch commit time since start.",
            w.commit_us_total.load(Ordering::Relaxed) as f64 / 1e6 / batches,
        ),
        (
            "overlord_writer_checkpoints",
            "Durable redb checkpoints since start.",
            w.checkpoints.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_storage_degraded",
            "1 while storage refuses writes.",
            if w.degraded.load(Ordering::Relaxed) { 1.0 } else { 0.0 },
        ),
        ("overlord_characters_online", "Characters with a plugin socket open.", app.hub.online_count() as f64),
    ];
    let alert_rows = app.alerts.stats().metric_rows();
    let all: Vec<(&str, &str, f64)> = extra.iter().copied().chain(alert_rows.iter().copied()).collect();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render(&all))
}
