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

/// Percent-decodes a URL path (the `percent-encoding` crate: byte-wise, never slices a
/// string inside a character); bytes that are not UTF-8 become U+FFFD, which no embedded
/// file name contains, so such a path is simply not found.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_decode_never_splits_a_character() {
        // issue 13: `/%a\xc3\xa9x` used to panic slicing inside 'é'.
        assert_eq!(percent_decode("%aéx"), "%aéx");
        assert_eq!(percent_decode("%C3%A9"), "é");
        assert_eq!(percent_decode("a%2e%2E/b"), "a../b");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%zz%ff"), "%zz\u{fffd}");
    }
}
