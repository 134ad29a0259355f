//! `/api/admin/backups`: the scheduled backups' status and folders (admin), and
//! `POST /api/admin/backups/run` to take one now with the configured settings. The work
//! is `backup_schedule`'s.

use super::auth::AdminCaller;
use super::{ApiError, AppState};
use crate::backup_schedule::{BackupEntry, BackupStatus};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/backups", get(status)).route("/api/admin/backups/run", post(run_now))
}

#[derive(Serialize)]
struct Listing {
    status: BackupStatus,
    backups: Vec<BackupEntry>,
}

async fn status(State(app): State<AppState>, _admin: AdminCaller) -> Result<Json<Listing>, ApiError> {
    let status = app.backups.status();
    let backups = match app.settings.backups.clone() {
        Some(cfg) => tokio::task::spawn_blocking(move || crate::backup_schedule::list(&cfg.dir))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    Ok(Json(Listing { status, backups }))
}

/// `{"ok":true,"backup":{…}}` or `{"ok":false,"error":"…"}`: a failed backup is an
/// answer the admin must read (disk full, bad folder), not an opaque 500.
#[derive(Serialize)]
struct RunResult {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<BackupEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn run_now(State(app): State<AppState>, _admin: AdminCaller) -> Result<Json<RunResult>, ApiError> {
    let Some(cfg) = app.settings.backups.clone() else {
        return Err(ApiError::Invalid(
            "scheduled backups are off: set backup_dir and backup_schedule in overlord.toml".into(),
        ));
    };
    Ok(Json(match app.backups.run_once(&app.backup_source(), &app.alerts, &cfg).await {
        Ok(b) => RunResult { ok: true, backup: Some(b), error: None },
        Err(e) => RunResult { ok: false, backup: None, error: Some(e.to_string()) },
    }))
}
