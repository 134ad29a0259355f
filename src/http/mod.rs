//! HTTP: routing, extraction, serialization. One module per resource, each exposing
//! `router()`. Handlers are thin: they parse, call domain code (`telemetry`, `live`,
//! `inventory`, `search`, `solver`, `auth`), and render. Never holds domain logic.

pub(crate) mod admin;
pub(crate) mod alerts;
pub(crate) mod assets;
pub(crate) mod attention;
pub mod auth;
pub(crate) mod backups;
pub(crate) mod characters;
#[cfg(debug_assertions)]
pub mod debug;
pub(crate) mod error;
pub(crate) mod gains;
pub(crate) mod game_metrics;
pub mod guard;
pub mod items;
pub(crate) mod legacy;
pub(crate) mod listener;
pub(crate) mod live_ws;
pub mod map_image;
pub mod notes;
pub mod overview;
pub(crate) mod plugin_ws;
pub(crate) mod public;
pub(crate) mod replay;
pub mod service;
pub(crate) mod suitbuilder;
pub(crate) mod tokens;
pub mod world;

pub use crate::app::{App, AppState};
pub use crate::clock::now_ms;
use axum::Router;
pub use error::ApiError;
use std::time::Duration;

/// Request bodies on the API are small JSON documents; the suit builder's self-contained
/// requests (up to 5,000 items) are the largest.
pub const MAX_API_BODY_BYTES: usize = 8 * 1024 * 1024;
/// A request that takes longer than this is answered 503 (streams are exempt).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs blocking domain code (redb reads) on the blocking pool.
pub async fn blocking<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    Ok(tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)??)
}

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
        .merge(gains::router())
        .merge(replay::router())
        .merge(map_image::router())
        .merge(overview::router())
        .merge(attention::router())
        .merge(tokens::router())
        .merge(backups::router())
        .merge(alerts::router())
        .merge(game_metrics::router());
    let routes = Router::new()
        .merge(service::open_router())
        .merge(public::open_router())
        .merge(plugin_ws::router())
        .merge(auth::router())
        .merge(legacy::router())
        .merge(protected)
        // Every route is classified in `auth::access::ROUTES`; the fallback (dashboard) is not a route.
        .route_layer(axum::middleware::from_fn_with_state(app.auth.clone(), auth::enforce_access));
    #[cfg(debug_assertions)]
    let routes = match debug::router() {
        Some(debug) => routes.merge(debug),
        None => routes,
    };
    routes
        .fallback(legacy::fallback)
        .layer(axum::middleware::from_fn_with_state(app.clone(), map_image_csp))
        .layer(axum::middleware::from_fn_with_state(app.auth.clone(), auth::csrf_guard))
        .layer(axum::middleware::from_fn_with_state(app.clone(), guard::catch_panics::<App>))
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
    let url = map_image::effective(&app).map(|image| image.url);
    if let Some(origin) = url.as_deref().and_then(url_origin) {
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

/// docs/api.md: time parameters accept unix milliseconds or RFC 3339.
pub fn parse_time(v: &str, name: &str) -> Result<i64, ApiError> {
    let t = v.trim();
    if let Ok(ms) = t.parse::<i64>() {
        return Ok(ms);
    }
    crate::protocol::lenient::parse_rfc3339_ms(t).ok_or_else(|| {
        ApiError::BadRequest(format!("parameter '{name}': '{v}' is neither unix milliseconds nor an RFC 3339 time"))
    })
}

/// `from`/`to` with a default window ending now. Only a range that cannot be read (not a
/// time, or `from` after `to`) is refused; the query clamps the rest to stored data.
pub fn time_range(
    from: Option<&str>,
    to: Option<&str>,
    default_span_ms: i64,
) -> Result<crate::telemetry::TimeRange, ApiError> {
    let to = match to {
        Some(v) => parse_time(v, "to")?,
        None => now_ms(),
    };
    let from = match from {
        Some(v) => parse_time(v, "from")?,
        None => to.saturating_sub(default_span_ms),
    };
    Ok(crate::telemetry::TimeRange::new(from, to)?)
}

/// docs/api.md: larger limits are clamped, not refused.
pub fn clamp_limit(limit: Option<usize>, default: usize, max: usize) -> usize {
    limit.unwrap_or(default).clamp(1, max)
}
