//! `/healthz`, `/metrics`, `/api/version`.

use super::{AppState, now_ms};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::atomic::Ordering;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Bumped when the on-disk layout changes incompatibly. 2: journal batch frames (a
/// format-1 binary reads them as a torn tail; README, "Backup, restore, upgrade"). 3: open
/// telemetry rows written against their block's first row (`overlord downgrade` rewrites
/// them whole for a format-2 binary).
pub const DATA_FORMAT: u32 = 3;

pub fn open_router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

pub fn protected_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics)).route("/api/version", get(version))
}

/// `GET /healthz`: 200 `ok`, or 503 `degraded` with the reason (the writer cannot store).
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Health {
    pub status: HealthStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub reason: Option<String>,
    pub version: &'static str,
    pub uptime_s: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum HealthStatus {
    Ok,
    Degraded,
}

async fn healthz(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    let uptime_s = app.started.elapsed().as_secs();
    let reason = app.writer.stats.degraded_reason();
    let (code, status) = match reason {
        None => (StatusCode::OK, HealthStatus::Ok),
        Some(_) => (StatusCode::SERVICE_UNAVAILABLE, HealthStatus::Degraded),
    };
    (code, Json(Health { status, reason, version: VERSION, uptime_s }))
}

/// `GET /api/version`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct VersionInfo {
    pub version: &'static str,
    /// The build's label (`OVERLORD_BUILD` at compile time), `dev` otherwise.
    pub build: &'static str,
    /// Bumped when the on-disk layout changes incompatibly.
    pub data_format: u32,
    /// The server's clock, so the dashboard can allow for a skewed browser clock.
    pub server_time_ms: i64,
    pub map_image: Option<super::map_image::MapImageView>,
}

async fn version(State(app): State<AppState>) -> Json<VersionInfo> {
    Json(VersionInfo {
        version: VERSION,
        build: option_env!("OVERLORD_BUILD").unwrap_or("dev"),
        data_format: DATA_FORMAT,
        server_time_ms: now_ms(),
        map_image: super::map_image::effective(&app),
    })
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    let w = &app.writer.stats;
    let batches = w.batches.load(Ordering::Relaxed).max(1) as f64;
    let extra = [
        (
            "overlord_writer_committed_events_total",
            "Events committed to the journal since start.",
            w.committed.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_applied_events_total",
            "Committed events applied to redb since start.",
            w.applied.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_writer_batches_total",
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
            "overlord_writer_checkpoints_total",
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
    let storage_rows = storage_metric_rows(&app);
    let backup_rows = app.backups.metric_rows();
    let all: Vec<(&str, &str, f64)> = extra
        .iter()
        .copied()
        .chain(alert_rows.iter().copied())
        .chain(storage_rows.iter().copied())
        .chain(backup_rows.iter().copied())
        .collect();
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], app.metrics.render(&all))
}

/// The journals' size and age span and the storage failure counters (issue 11, 16).
fn storage_metric_rows(app: &crate::http::App) -> Vec<(&'static str, &'static str, f64)> {
    let w = &app.writer.stats;
    let now = now_ms();
    let mut rows = vec![
        (
            "overlord_writer_encode_failures_total",
            "Events refused because they did not encode for the journal.",
            w.encode_failures.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_block_encode_failures_total",
            "Event blocks (telemetry or other kinds) that could not be compressed (retried).",
            w.block_encode_failures.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_rollup_decode_failures_total",
            "Stored hourly rollup rows that did not decode (batch retried).",
            w.rollup_decode_failures.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_day_snapshots_total",
            "Day-file snapshots written since start.",
            w.day_snapshots.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_day_snapshot_written_bytes_total",
            "Bytes of day snapshots written since start (each holds the whole open day so far).",
            w.day_snapshot_written_bytes.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_day_snapshot_start_seconds",
            "The last day-snapshot pass's time on the writer thread (applies wait meanwhile).",
            w.day_snapshot_start_us.load(Ordering::Relaxed) as f64 / 1e6,
        ),
        (
            "overlord_day_snapshot_finish_seconds",
            "The last day snapshot's writing, fsync and rename on the helper thread.",
            w.day_snapshot_finish_us.load(Ordering::Relaxed) as f64 / 1e6,
        ),
        (
            "overlord_event_rows_sealed_total",
            "Spawn, rare, portal and stats rows moved into compressed blocks since start.",
            w.kind_rows_sealed.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_stale_blocks_sealed_total",
            "Open telemetry blocks sealed since start because their character stopped sending for five minutes.",
            w.stale_blocks_sealed.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_day_files_compacted_total",
            "Closed day files rewritten compacted since start.",
            w.days_compacted.load(Ordering::Relaxed) as f64,
        ),
        (
            "overlord_inventory_encode_failures_total",
            "Inventory frames refused because they did not encode for the journal.",
            app.inventory.encode_failures.load(Ordering::Relaxed) as f64,
        ),
    ];
    let journals: [(Option<std::sync::Arc<crate::journal::JournalGauge>>, [&'static str; 6]); 2] = [
        (
            w.journal_gauge(),
            [
                "overlord_journal_bytes",
                "overlord_journal_oldest_record_age_seconds",
                "overlord_journal_newest_record_age_seconds",
                "overlord_journal_segments",
                "overlord_journal_short_seqs",
                "overlord_journal_missing_seqs",
            ],
        ),
        (
            Some(app.inventory.journal.clone()),
            [
                "overlord_state_journal_bytes",
                "overlord_state_journal_oldest_record_age_seconds",
                "overlord_state_journal_newest_record_age_seconds",
                "overlord_state_journal_segments",
                "overlord_state_journal_short_seqs",
                "overlord_state_journal_missing_seqs",
            ],
        ),
    ];
    for (gauge, names) in journals {
        let Some(g) = gauge else { continue };
        rows.extend([
            (names[0], "Bytes of journal segments on disk.", g.bytes.load(Ordering::Relaxed) as f64),
            (names[1], "Age of the oldest record the journal holds (0 when empty).", g.oldest_age_s(now)),
            (names[2], "Age of the newest record the journal holds (0 when empty).", g.newest_age_s(now)),
            (names[3], "Journal segment files.", g.segments.load(Ordering::Relaxed) as f64),
            (
                names[4],
                "At start, seqs its files had applied past the journal's end (the journal was shorter than its files).",
                g.short_seqs.load(Ordering::Relaxed) as f64,
            ),
            (
                names[5],
                "At start, seqs its files still needed that the journal no longer held (committed records lost).",
                g.missing_seqs.load(Ordering::Relaxed) as f64,
            ),
        ]);
    }
    rows
}
