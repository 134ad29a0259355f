//! The map image an admin sets from the dashboard (`crate::map_image`): read the effective
//! setting, upload an image, point at a URL, move its bounds, clear it, and serve the
//! uploaded file with long-lived cache headers (its URL carries the content version).

use super::auth::{AdminCaller, Caller};
use super::{ApiError, AppState, now_ms};
use crate::map_image::{MAX_MAP_IMAGE_BYTES, MapImage, MapImageError, MapImageSource};
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/map-image", get(current))
        .route("/api/map-image/file/{version}", get(file))
        .route(
            "/api/admin/map-image",
            put(upload)
                .delete(clear)
                // The domain check answers an oversized upload with its own message; this
                // only keeps a body far past it from being buffered at all.
                .layer(DefaultBodyLimit::max(MAX_MAP_IMAGE_BYTES + 1)),
        )
        .route("/api/admin/map-image/url", put(set_url))
        .route("/api/admin/map-image/bounds", put(set_bounds))
}

/// Where the effective map image comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "MapImageOrigin"))]
pub enum Origin {
    /// Uploaded from the dashboard, served from the data directory.
    Upload,
    /// A URL an admin set from the dashboard.
    Url,
    /// The configuration's `map_image_url`.
    Config,
}

/// The map image as the dashboard sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "MapImageInfo"))]
pub struct MapImageView {
    pub source: Origin,
    pub url: String,
    /// `[west, south, east, north]` in map units; `null` (configuration only): the usual
    /// full-Dereth box.
    pub bounds: Option<[f64; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "bindings", ts(optional))]
    pub updated_ms: Option<i64>,
}

/// `GET /api/map-image`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "MapImageResponse"))]
pub struct CurrentMapImage {
    pub map_image: Option<MapImageView>,
    /// The box an upload gets when none is given.
    pub default_bounds: [f64; 4],
}

/// The answer to every admin change of the map image.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "MapImageSet"))]
pub struct SetMapImage {
    pub map_image: MapImageView,
}

/// The effective map image for the dashboard: what an admin set here, else the
/// configuration's `map_image_url`, else none. Also used by `GET /api/version` and the
/// content security policy.
pub fn effective(app: &AppState) -> Option<MapImageView> {
    match app.map_image.current() {
        Some(image) => Some(view_of(&image)),
        None => app.settings.map_image_url.as_ref().map(|url| MapImageView {
            source: Origin::Config,
            url: url.clone(),
            bounds: app.settings.map_image_bounds,
            content_type: None,
            bytes: None,
            updated_ms: None,
        }),
    }
}

fn view_of(image: &MapImage) -> MapImageView {
    let (source, url, content_type, bytes) = match &image.source {
        MapImageSource::Upload { content_type, version, bytes } => {
            (Origin::Upload, format!("/api/map-image/file/{version}"), Some(content_type.clone()), Some(*bytes))
        }
        MapImageSource::Url { url } => (Origin::Url, url.clone(), None, None),
    };
    MapImageView { source, url, bounds: Some(image.bounds), content_type, bytes, updated_ms: Some(image.updated_ms) }
}

async fn current(State(app): State<AppState>, _caller: Caller) -> Json<CurrentMapImage> {
    Json(CurrentMapImage { map_image: effective(&app), default_bounds: crate::map_image::DEFAULT_BOUNDS })
}

async fn file(State(app): State<AppState>, _caller: Caller, Path(version): Path<String>) -> Result<Response, ApiError> {
    let store = app.clone();
    let found = tokio::task::spawn_blocking(move || store.map_image.read_upload())
        .await
        .map_err(ApiError::internal)?
        .map_err(domain_error)?;
    let Some((bytes, content_type, current)) = found else {
        return Err(ApiError::NotFound("no map image has been uploaded".into()));
    };
    if current != version {
        return Err(ApiError::NotFound(format!("map image version '{version}' was replaced by '{current}'")));
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).map_err(ApiError::internal)?);
    // The URL names the content: it never changes, so browsers keep it for a year.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    headers.insert(header::ETAG, HeaderValue::from_str(&format!("\"{current}\"")).map_err(ApiError::internal)?);
    Ok((StatusCode::OK, headers, bytes).into_response())
}

#[derive(Deserialize)]
struct UploadQuery {
    /// `west,south,east,north`; the default full-Dereth box when absent.
    bounds: Option<String>,
}

async fn upload(
    State(app): State<AppState>,
    _admin: AdminCaller,
    Query(q): Query<UploadQuery>,
    body: Bytes,
) -> Result<Json<SetMapImage>, ApiError> {
    let bounds = q.bounds.as_deref().map(parse_bounds).transpose()?;
    let store = app.clone();
    let image = tokio::task::spawn_blocking(move || store.map_image.set_upload(&body, bounds, now_ms()))
        .await
        .map_err(ApiError::internal)?
        .map_err(domain_error)?;
    tracing::info!(bytes = ?image.source, "map image uploaded");
    Ok(Json(SetMapImage { map_image: view_of(&image) }))
}

#[derive(Deserialize)]
struct UrlBody {
    url: String,
    bounds: Option<[f64; 4]>,
}

async fn set_url(
    State(app): State<AppState>,
    _admin: AdminCaller,
    body: Result<Json<UrlBody>, JsonRejection>,
) -> Result<Json<SetMapImage>, ApiError> {
    let Json(body) = body?;
    let image = app.map_image.set_url(&body.url, body.bounds, now_ms()).map_err(domain_error)?;
    Ok(Json(SetMapImage { map_image: view_of(&image) }))
}

#[derive(Deserialize)]
struct BoundsBody {
    bounds: [f64; 4],
}

async fn set_bounds(
    State(app): State<AppState>,
    _admin: AdminCaller,
    body: Result<Json<BoundsBody>, JsonRejection>,
) -> Result<Json<SetMapImage>, ApiError> {
    let Json(body) = body?;
    let image = app.map_image.set_bounds(body.bounds, now_ms()).map_err(domain_error)?;
    Ok(Json(SetMapImage { map_image: view_of(&image) }))
}

async fn clear(State(app): State<AppState>, _admin: AdminCaller) -> Result<StatusCode, ApiError> {
    app.map_image.clear().map_err(domain_error)?;
    Ok(StatusCode::NO_CONTENT)
}

fn parse_bounds(s: &str) -> Result<[f64; 4], ApiError> {
    let parts: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
        ApiError::BadRequest(format!("parameter 'bounds': '{s}' is not four numbers west,south,east,north"))
    })?;
    <[f64; 4]>::try_from(parts).map_err(|_| {
        ApiError::BadRequest(format!("parameter 'bounds': '{s}' is not four numbers west,south,east,north"))
    })
}

fn domain_error(e: MapImageError) -> ApiError {
    match e {
        MapImageError::TooLarge { .. } => ApiError::TooLarge(e.to_string()),
        MapImageError::UnsupportedType | MapImageError::BadUrl(_) | MapImageError::BadBounds => {
            ApiError::Invalid(e.to_string())
        }
        MapImageError::NotSet => ApiError::NotFound(e.to_string()),
        MapImageError::Io(_) | MapImageError::Corrupt(_) => ApiError::internal(e),
    }
}
