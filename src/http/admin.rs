//! Operations endpoints for admins: `POST /api/admin/backup` writes an online backup and
//! streams its progress as text lines, the last one a JSON verdict.

use super::auth::AdminCaller;
use super::{ApiError, AppState};
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use std::path::PathBuf;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/admin/backup", post(backup))
}

#[derive(Deserialize)]
struct BackupRequest {
    dest: String,
}

async fn backup(
    State(app): State<AppState>,
    _admin: AdminCaller,
    body: Result<Json<BackupRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let dest = PathBuf::from(req.dest.trim());
    crate::backup::check_destination(&app.settings.data_dir, &dest).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        let progress_tx = tx.clone();
        let mut progress = move |line: String| {
            let _ = progress_tx.try_send(line);
        };
        let verdict = match crate::backup::online_backup(&app.backup_source(), dest, &mut progress).await {
            Ok(s) => serde_json::json!({"ok": true, "files": s.files, "bytes": s.bytes}),
            Err(e) => {
                tracing::error!(error = %e, "backup failed");
                serde_json::json!({"ok": false, "error": e.to_string()})
            }
        };
        let _ = tx.send(verdict.to_string()).await;
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|line| (Ok::<_, std::convert::Infallible>(format!("{line}\n")), rx))
    });
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], Body::from_stream(stream)).into_response())
}
