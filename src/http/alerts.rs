//! The admin's Alerts page: `GET`/`PUT /api/alerts/settings` (the settings with where each
//! value comes from; edits persisted and applied at once), `POST /api/alerts/test` (a test
//! post through the real delivery worker, answered with its outcome) and
//! `GET /api/alerts/recent` (the latest outcomes and the counters). Admin only. The work
//! is `alerts`'.

use super::auth::AdminCaller;
use super::{ApiError, AppState, now_ms};
use crate::alerts::{AlertKind, AlertSettingsPatch, AlertSettingsView, SentAlert, SettingsError, TestError};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long `POST /api/alerts/test` waits for the post's outcome. The request timeout
/// of a webhook is 15 s; a post still retrying after this is reported as pending.
pub const TEST_WAIT: Duration = Duration::from_secs(20);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/alerts/settings", get(settings).put(update))
        .route("/api/alerts/test", post(send_test))
        .route("/api/alerts/recent", get(recent))
}

async fn settings(State(app): State<AppState>, _admin: AdminCaller) -> Json<AlertSettingsView> {
    Json(app.alert_settings.view())
}

async fn update(
    State(app): State<AppState>,
    AdminCaller(caller): AdminCaller,
    body: Result<Json<AlertSettingsPatch>, JsonRejection>,
) -> Result<Json<AlertSettingsView>, ApiError> {
    let Json(patch) = body?;
    let store = app.clone();
    let by = caller.username.clone();
    let cfg = super::blocking(move || store.alert_settings.update(&patch, &by, now_ms())).await?;
    // Validated by `update`; a failure here would be a bug, and the stored edit then
    // applies at the next start.
    app.alerts.reconfigure(cfg.clone()).map_err(ApiError::internal)?;
    app.attention
        .set_thresholds_ms(i64::from(cfg.stuck_minutes) * 60_000, i64::from(cfg.disconnected_minutes) * 60_000);
    tracing::info!(by = %caller.username, "alert settings changed from the dashboard");
    Ok(Json(app.alert_settings.view()))
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Invalid(m) => ApiError::Invalid(m),
            SettingsError::Fixed(m) => ApiError::Conflict(m),
            SettingsError::Storage(m) => ApiError::internal(m),
        }
    }
}

/// `{"kind", "index"}` tests a saved webhook; `{"kind", "url"}` one typed but not saved.
/// `template` previews an unsaved template (the saved one otherwise).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestRequest {
    kind: AlertKind,
    index: Option<usize>,
    url: Option<String>,
    template: Option<String>,
}

#[derive(Serialize)]
struct TestAnswer {
    /// The webhook, token hidden.
    webhook: String,
    /// The text posted.
    line: String,
    #[serde(flatten)]
    report: crate::alerts::TestReport,
}

async fn send_test(
    State(app): State<AppState>,
    _admin: AdminCaller,
    body: Result<Json<TestRequest>, JsonRejection>,
) -> Result<Json<TestAnswer>, ApiError> {
    let Json(req) = body?;
    let kind = req.kind;
    let url =
        match (req.index, req.url) {
            (Some(i), None) => app.alert_settings.webhooks(kind).get(i).cloned().ok_or_else(|| {
                ApiError::NotFound(format!("the {} alert has no webhook number {}", kind.name(), i + 1))
            })?,
            (None, Some(url)) => url,
            _ => return Err(ApiError::Invalid("give either 'index' (a saved webhook) or 'url', not both".into())),
        };
    let template = match req.template {
        Some(t) => {
            crate::alerts::validate_template_for(kind, &t).map_err(|e| ApiError::Invalid(e.to_string()))?;
            Some(t)
        }
        None => app.alert_settings.template(kind),
    };
    let line = crate::alerts::test_line(kind, template.as_deref());
    let report = app.alerts.send_test(kind, &url, line.clone(), TEST_WAIT).await.map_err(|e| match e {
        TestError::BadUrl(_) | TestError::WorkerUrl(_) => ApiError::Invalid(e.to_string()),
        TestError::Busy => ApiError::Conflict(e.to_string()),
        TestError::Setup(_) => ApiError::internal(e),
    })?;
    Ok(Json(TestAnswer { webhook: crate::alerts::redact_webhook_url(&url), line, report }))
}

#[derive(Serialize)]
struct Recent {
    recent: Vec<SentAlert>,
    stats: Stats,
}

#[derive(Serialize)]
struct Stats {
    active: bool,
    raised: u64,
    sent: u64,
    dropped: u64,
    queued: u64,
    rate_limited: u64,
    failures: u64,
}

async fn recent(State(app): State<AppState>, _admin: AdminCaller) -> Json<Recent> {
    let s = app.alerts.stats();
    Json(Recent {
        recent: app.alerts.recent(),
        stats: Stats {
            active: app.alerts.is_active(),
            raised: s.alerts_raised,
            sent: s.alerts_sent,
            dropped: s.alerts_dropped,
            queued: s.queued,
            rate_limited: s.rate_limited,
            failures: s.failures,
        },
    })
}
