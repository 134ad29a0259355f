//! HTTP: routing, extraction, serialization. One module per resource, each exposing
//! `router()`. Handlers are thin: they parse, call domain code (`telemetry`, `live`,
//! `inventory`, `search`, `solver`, `auth`), and render. Never holds domain logic.

pub mod admin;
pub mod assets;
pub mod auth;
pub mod characters;
pub mod error;
pub mod items;
pub mod live_ws;
pub mod notes;
pub mod plugin_ws;
pub mod service;
pub mod suitbuilder;
pub mod world;

use crate::config::Settings;
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::telemetry::{Characters, DayFiles, WriterHandle};
use axum::Router;
pub use error::ApiError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Request bodies on the API are small JSON documents; the suit builder's self-contained
/// requests (up to 5,000 items) are the largest.
pub const MAX_API_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A request that takes longer than this is answered 503 (streams are exempt).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything handlers need, shared.
pub struct App {
    pub settings: Settings,
    pub hub: Hub,
    pub writer: WriterHandle,
    pub days: DayFiles,
    pub characters: Characters,
    pub state_db: Arc<redb::Database>,
    pub metrics: Metrics,
    pub started: Instant,
    pub auth: crate::auth::AuthService,
    pub jobs: suitbuilder::Jobs,
    pub inventory: crate::inventory::writer::InventoryWriter,
    pub index: Arc<crate::search::SearchIndex>,
    pub alerts: crate::alerts::AlertsHandle,
}

impl App {
    /// The normalized items (JSON) stored for `owner`, or `None` if the owner has none.
    pub fn items_of(&self, owner: &str) -> Result<Option<Vec<serde_json::Value>>, ApiError> {
        use redb::ReadableDatabase;
        let txn = self.state_db.begin_read().map_err(ApiError::internal)?;
        let items = crate::inventory::InventoryStore::new().list(&txn, owner, None).map_err(ApiError::internal)?;
        if items.is_empty() {
            return Ok(None);
        }
        Ok(Some(items.iter().filter_map(|i| serde_json::to_value(i.view(false)).ok()).collect()))
    }
}

pub type AppState = Arc<App>;

impl axum::extract::FromRef<AppState> for crate::auth::AuthService {
    fn from_ref(app: &AppState) -> Self {
        app.auth.clone()
    }
}

pub fn router(app: AppState) -> Router {
    let protected = Router::new()
        .merge(service::protected_router())
        .merge(characters::router())
        .merge(world::router())
        .merge(live_ws::router())
        .merge(admin::router())
        .merge(notes::router())
        .merge(suitbuilder::router())
        .merge(items::router())
        .route_layer(axum::middleware::from_fn_with_state(app.auth.clone(), auth::require_session));
    Router::new()
        .merge(service::open_router())
        .merge(plugin_ws::router())
        .merge(auth::router())
        .merge(protected)
        .fallback(assets::serve)
        .layer(axum::middleware::from_fn_with_state(app.clone(), map_image_csp))
        .layer(axum::middleware::from_fn_with_state(app.auth.clone(), auth::csrf_guard))
        .layer(axum::middleware::from_fn(auth::security_headers))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_API_BODY_BYTES))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(app)
}

/// The dashboard's CSP allows images from this server only; an operator-supplied map image
/// (`map_image_url`, never bundled) may live elsewhere, so its origin is added to `img-src`.
async fn map_image_csp(
    axum::extract::State(app): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(req).await;
    if let Some(origin) = app.settings.map_image_url.as_deref().and_then(url_origin) {
        let csp = auth::CONTENT_SECURITY_POLICY.replacen(
            "img-src 'self' data: blob:",
            &format!("img-src 'self' data: blob: {origin}"),
            1,
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
            response.headers_mut().insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    response
}

/// `https://maps.example.org:8443/dereth.png` → `https://maps.example.org:8443`.
fn url_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    ok.then(|| format!("{scheme}://{host}"))
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// api.md: time parameters accept unix milliseconds or RFC 3339.
pub fn parse_time(v: &str, name: &str) -> Result<i64, ApiError> {
    let t = v.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    crate::protocol::lenient::parse_rfc3339_ms(t).ok_or_else(|| {
        ApiError::BadRequest(format!("parameter '{name}': '{v}' is neither unix milliseconds nor an RFC 3339 time"))
    })
}

/// `from`/`to` with a default window ending now; `to` before `from` is an error.
pub fn time_range(from: Option<&str>, to: Option<&str>, default_span_ms: i64) -> Result<(i64, i64), ApiError> {
    let to = match to {
        Some(v) => parse_time(v, "to")?,
        None => now_ms(),
    };
    let from = match from {
        Some(v) => parse_time(v, "from")?,
        None => to - default_span_ms,
    };
    if from > to {
        return Err(ApiError::BadRequest("parameter 'from' is after 'to'".into()));
    }
    Ok((from, to))
}

/// api.md: larger limits are clamped, not refused.
pub fn clamp_limit(limit: Option<usize>, default: usize, max: usize) -> usize {
    limit.unwrap_or(default).clamp(1, max)
}
