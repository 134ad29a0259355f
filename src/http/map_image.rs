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
use serde::Deserialize;
use serde_json::{Value, json};

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

/// The effective map image for the dashboard: what an admin set here, else the
/// configuration's `map_image_url`, else `null`. Also used by `GET /api/version`.
pub fn effective_json(app: &AppState) -> Value {
    match app.map_image.current() {
        Some(image) => image_json(&image),
        None => match &app.settings.map_image_url {
            Some(url) => json!({"source": "config", "url": url, "bounds": app.settings.map_image_bounds}),
            None => Value::Null,
        },
    }
}

fn image_json(image: &MapImage) -> Value {
    match &image.source {
        MapImageSource::Upload { content_type, version, bytes } => json!({
            "source": "upload", "url": format!("/api/map-image/file/{version}"), "bounds": image.bounds,
            "content_type": content_type, "bytes": bytes, "updated_ms": image.updated_ms,
        }),
        MapImageSource::Url { url } => {
            json!({"source": "url", "url": url, "bounds": image.bounds, "updated_ms": image.updated_ms})
        }
    }
}

async fn current(State(app): State<AppState>, _caller: Caller) -> Json<Value> {
    Json(json!({"map_image": effective_json(&app), "default_bounds": crate::map_image::DEFAULT_BOUNDS}))
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
) -> Result<Json<Value>, ApiError> {
    let bounds = q.bounds.as_deref().map(parse_bounds).transpose()?;
    let store = app.clone();
    let image = tokio::task::spawn_blocking(move || store.map_image.set_upload(&body, bounds, now_ms()))
        .await
        .map_err(ApiError::internal)?
        .map_err(domain_error)?;
    tracing::info!(bytes = ?image.source, "map image uploaded");
    Ok(Json(json!({"map_image": image_json(&image)})))
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
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let image = app.map_image.set_url(&body.url, body.bounds, now_ms()).map_err(domain_error)?;
    Ok(Json(json!({"map_image": image_json(&image)})))
}

#[derive(Deserialize)]
struct BoundsBody {
    bounds: [f64; 4],
}

async fn set_bounds(
    State(app): State<AppState>,
    _admin: AdminCaller,
    body: Result<Json<BoundsBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    let image = app.map_image.set_bounds(body.bounds, now_ms()).map_err(domain_error)?;
    Ok(Json(json!({"map_image": image_json(&image)})))
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
