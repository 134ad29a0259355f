//! Browser-facing defences layered over the whole app: the CSRF guard and the security
//! headers (CSP for the React SPA, nosniff, Referrer-Policy, no framing).
//!
//! Owns: deciding whether a state-changing request comes from this site's pages.
//! Never: authenticates anyone (a request that passes still needs a session or the
//! loopback rule) or rewrites a header a handler set itself.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{header_str, identity_of, session_cookies};
use crate::auth::{AuthConfig, AuthService, origin_matches_authority};
use crate::http::error::ApiError;

/// The Content-Security-Policy for the dashboard: a React SPA served from this origin.
/// Scripts, styles, fonts and API/WebSocket connections only from here; images also from
/// `data:`/`blob:` (map tiles and canvas exports); workers from `blob:` (map libraries);
/// no plugins, no framing, no form posts elsewhere. `style-src` has no `'unsafe-inline'`:
/// React's `style={…}` props go through the CSSOM, which CSP allows; add it only if a
/// library injects `<style>` elements.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; \
    connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// CSRF defence for state-changing requests (POST, PUT, PATCH, DELETE, and WebSocket
/// upgrades): a browser's `Origin` (or, without it, `Referer`) must be this site — the
/// `Host`, a trusted proxy's `X-Forwarded-Host`, or the configured `public_origin` —
/// else 403. A request with neither header passes only without a session cookie
/// (scripts; they still need the loopback rule or a login). SameSite=Lax is the first
/// line; this covers old browsers, sibling subdomains and the cookie-less loopback rule.
pub async fn csrf_guard(State(auth): State<AuthService>, req: Request, next: Next) -> Response {
    if !needs_csrf_check(&req) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = header_str(headers, "sec-fetch-site");
    if fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site") || s.eq_ignore_ascii_case("same-site")) {
        return csrf_refused();
    }
    let source = match header_str(headers, header::ORIGIN.as_str()) {
        Some(origin) => Some(origin.to_string()),
        None => header_str(headers, header::REFERER.as_str()).map(|r| origin_of_url(r).to_string()),
    };
    let allowed = match source {
        Some(origin) => origin_is_ours(&origin, &req, auth.config()),
        None => session_cookies(headers).next().is_none(),
    };
    if allowed { next.run(req).await } else { csrf_refused() }
}

/// Adds the security headers (CSP, nosniff, Referrer-Policy, framing) to every response
/// that does not set them itself, and `Cache-Control: no-store` to `/api/` answers.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Same-origin requests keep their Referer (the CSRF fallback); other sites get none.
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(h, HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    if is_api {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    response
}

fn needs_csrf_check(req: &Request) -> bool {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE);
    let websocket = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    unsafe_method || websocket
}

fn origin_is_ours(origin: &str, req: &Request, cfg: &AuthConfig) -> bool {
    let headers = req.headers();
    let identity = identity_of(headers, req.extensions(), cfg);
    // The scheme this request arrived by: https only when a trusted proxy says so. The Host
    // header carries no scheme, so without this `http://site` would pass for `https://site`.
    let scheme = if identity.via_https { "https" } else { "http" };
    let same_site = |authority: &str| origin_has_scheme(origin, scheme) && origin_matches_authority(origin, authority);
    let host = header_str(headers, header::HOST.as_str()).or_else(|| req.uri().authority().map(|a| a.as_str()));
    if host.is_some_and(same_site) {
        return true;
    }
    // Behind a trusted proxy that rewrites Host, its X-Forwarded-Host names the site.
    if identity.via_trusted_proxy
        && let Some(fwd_host) = header_str(headers, "x-forwarded-host")
        && same_site(fwd_host.rsplit(',').next().unwrap_or(fwd_host))
    {
        return true;
    }
    match (cfg.public_origin_normalized(), crate::auth::normalize_origin(origin)) {
        (Some(public), Ok(o)) => public == o,
        _ => false,
    }
}

fn origin_has_scheme(origin: &str, scheme: &str) -> bool {
    origin.trim().split_once("://").is_some_and(|(s, _)| s.eq_ignore_ascii_case(scheme))
}

/// `scheme://authority` of a URL (`Referer`), or the empty string.
fn origin_of_url(url: &str) -> &str {
    let Some((_, rest)) = url.split_once("://") else {
        return "";
    };
    let scheme_len = url.len() - rest.len();
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    &url[..scheme_len + end]
}

fn csrf_refused() -> Response {
    ApiError::Forbidden("cross-site request refused: state-changing requests must come from this site's pages".into())
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referer_origin_is_scheme_and_authority() {
        assert_eq!(origin_of_url("https://a.example:8443/x/y?q"), "https://a.example:8443");
        assert_eq!(origin_of_url("http://a.example"), "http://a.example");
        assert_eq!(origin_of_url("garbage"), "");
    }

    #[test]
    fn origin_scheme_must_be_the_request_scheme() {
        assert!(origin_has_scheme("http://a.example", "http"));
        assert!(origin_has_scheme("HTTPS://a.example", "https"));
        assert!(!origin_has_scheme("https://a.example", "http"));
        assert!(!origin_has_scheme("null", "http"));
    }
}
