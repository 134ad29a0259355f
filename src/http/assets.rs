//! The dashboard's static files, embedded in the binary (rust-embed over `assets/`).
//!
//! Hashed files under `assets/assets/` are immutable and cached for a year; `index.html`
//! is revalidated. Unknown paths that look like client-side routes get `index.html`;
//! `/api/` and `/ws/` paths never do. Lookups are exact keys into the embedded set, so a
//! path can never reach the filesystem.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path.starts_with("ws/") || path == "api" {
        return super::ApiError::NotFound(format!("no endpoint {}", uri.path())).into_response();
    }
    let decoded = percent_decode(path);
    if decoded.split(['/', '\\']).any(|seg| seg == "..") || decoded.contains('\0') {
        return super::ApiError::NotFound("no such file".into()).into_response();
    }
    if !decoded.is_empty() {
        if let Some(file) = Assets::get(&decoded) {
            return file_response(&decoded, file);
        }
        // A missing file with an extension is a 404, not the app shell.
        let last = decoded.rsplit('/').next().unwrap_or("");
        if last.contains('.') {
            return super::ApiError::NotFound(format!("no file /{decoded}")).into_response();
        }
    }
    match Assets::get("index.html") {
        Some(file) => file_response("index.html", file),
        None => (StatusCode::SERVICE_UNAVAILABLE, "the dashboard was not built into this binary").into_response(),
    }
}

fn file_response(path: &str, file: rust_embed::EmbeddedFile) -> Response {
    let mime = file.metadata.mimetype();
    let cache = if path.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut resp = Response::new(Body::from(file.data.into_owned()));
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
