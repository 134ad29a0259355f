//! Old clients of "Mosswart Overlord" (the stack Overlord replaces): its hyphenated and
//! un-prefixed routes, its inventory service under `/inv/`, its static pages, and the
//! fallback that decides which unknown paths get the dashboard's `index.html`.
//!
//! Owns: a compatible answer where the old route maps obviously onto a new one
//! (`/api-version`, `/live`, `/me`, the old HTML pages as redirects), a JSON 404 naming the
//! new path for everything else the old stack served, and a JSON 404 for any unknown
//! `/api/…` path. Only real dashboard routes (and `/`) fall back to `index.html`, so an old
//! script never reads the app shell with 200 and takes it for data. Never holds domain
//! logic: answers are rendered from the hub and the caller as the new routes render them.

use super::auth::Caller;
use super::{AppState, now_ms};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// First path segments of the dashboard's client-side routes (frontend/src/lib/routes.ts).
/// Only these (and `/`) are answered with `index.html`.
pub const DASHBOARD_ROUTES: &[&str] = &[
    "overview",
    "map",
    "characters",
    "rares",
    "portals",
    "spawns",
    "leaderboards",
    "chat",
    "notes",
    "items",
    "suits",
    "users",
    "tokens",
    "backups",
    "alerts",
    "login",
    "setup",
];

/// Old routes with an obvious new equivalent, answered in a shape old scripts can read.
pub fn router() -> Router<AppState> {
    Router::new().route("/api-version", get(api_version)).route("/live", get(live)).route("/me", get(me))
}

/// The fallback for every path no route matched: legacy paths get a JSON error naming the
/// new path (or a redirect for the old HTML pages), unknown `/api/` and `/ws/` paths a JSON
/// 404, dashboard routes and files the embedded assets.
pub async fn fallback(uri: Uri) -> Response {
    let path = uri.path();
    if let Some(answer) = legacy_answer(path) {
        return answer;
    }
    let trimmed = path.trim_start_matches('/');
    let first = trimmed.split('/').next().unwrap_or("");
    let last = trimmed.rsplit('/').next().unwrap_or("");
    let is_file = last.contains('.');
    if trimmed.is_empty() || is_file || DASHBOARD_ROUTES.contains(&first) {
        // Files (present or not) and dashboard routes: the asset handler decides.
        if !(first == "api" || first == "ws") {
            return super::assets::serve(uri).await;
        }
    }
    not_found(
        &format!("no endpoint or page {path}"),
        if first == "api" { "see the API reference (docs/api.md); e.g. /api/characters" } else { "/" },
    )
}

/// What an old path gets, or `None` when it is not one of the old stack's.
fn legacy_answer(path: &str) -> Option<Response> {
    let p = path.to_ascii_lowercase();
    let redirect =
        |to: &str| Some((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to.to_string())]).into_response());
    match p.as_str() {
        "/suitbuilder.html" => return redirect("/suits"),
        "/inventory.html" => return redirect("/items"),
        "/index.html" => return None,
        _ => {}
    }
    if p == "/classic" || p.starts_with("/classic/") || p.starts_with("/classic.") {
        return redirect("/");
    }
    if p == "/inv" || p.starts_with("/inv/") {
        let new = if p.contains("suit") {
            "/api/suitbuilder/jobs"
        } else if p.contains("character") || p.contains("inventory") {
            "/api/characters/{name}/inventory"
        } else {
            "/api/items/search"
        };
        return Some(not_found(
            &format!("{path} was the old inventory service; Overlord serves items itself at {new}"),
            new,
        ));
    }
    if p == "/api-admin" || p.starts_with("/api-admin/") {
        let rest = &path["/api-admin".len()..];
        let new = format!("/api/admin{}", if rest.is_empty() { "/users" } else { rest });
        return Some(not_found(&format!("{path} moved: the admin API is now under {new}"), &new));
    }
    if p.starts_with("/api-") {
        let new = format!("/api/{}", &path["/api-".len()..]);
        return Some(not_found(&format!("{path} moved: hyphenated routes are now under {new}"), &new));
    }
    None
}

/// A JSON 404 in the API's error shape, with the path to use instead.
fn not_found(message: &str, new_path: &str) -> Response {
    let body = json!({"error": {"code": "not_found", "message": message, "new_path": new_path}});
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// The old `/api-version`: `{"version"}`, plus where the full answer lives now.
async fn api_version() -> Json<Value> {
    Json(json!({"version": super::service::VERSION, "moved_to": "/api/version"}))
}

/// The old `/me`: who is signed in, with the old `is_admin` flag beside the new role.
async fn me(caller: Caller) -> Json<Value> {
    let admin = caller.role == crate::auth::Role::Admin;
    Json(json!({"username": caller.username, "role": caller.role, "is_admin": admin, "moved_to": "/api/auth/me"}))
}

/// The old `/live`: `{"players":[…]}`, one flat object per character seen within
/// `live_window_s`, with the plugin's field names and an RFC 3339 `timestamp`.
async fn live(_caller: Caller, State(app): State<AppState>) -> Json<Value> {
    let now = now_ms();
    let since = now - app.settings.live_window_s as i64 * 1000;
    let players: Vec<Value> = app
        .hub
        .characters_since(since)
        .iter()
        .map(|c| {
            let mut row = match c.telemetry.as_ref().and_then(|(_, _, tel)| serde_json::to_value(tel).ok()) {
                Some(Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            if let Some(Value::Number(cell)) = row.get("landcell").cloned()
                && let Some(v) = cell.as_u64()
            {
                row.insert("landcell".into(), Value::String(format!("0x{v:08X}")));
            }
            let seen = c.telemetry.as_ref().map(|t| t.0).unwrap_or(c.last_seen_ms);
            row.insert("character_name".into(), Value::String(c.name.clone()));
            row.insert("online".into(), Value::Bool(c.online));
            row.insert(
                "timestamp".into(),
                chrono::DateTime::from_timestamp_millis(seen)
                    .map(|d| Value::String(d.to_rfc3339()))
                    .unwrap_or(Value::Null),
            );
            Value::Object(row)
        })
        .collect();
    Json(json!({"players": players, "moved_to": "/api/live"}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dashboard_route_falls_back_to_the_page() {
        // The dashboard's route table owns its URLs; a page missing here would answer a
        // reload with a JSON 404.
        let routes = include_str!("../../frontend/src/lib/routes.ts");
        let firsts: Vec<&str> = routes
            .lines()
            .filter_map(|l| l.split("segments: ['").nth(1))
            .filter_map(|rest| rest.split('\'').next())
            .collect();
        assert!(firsts.len() >= 15, "{firsts:?}");
        for first in firsts {
            assert!(DASHBOARD_ROUTES.contains(&first), "dashboard route /{first} is not in DASHBOARD_ROUTES");
        }
    }

    #[test]
    fn old_paths_name_their_new_place() {
        for (old, new) in [
            ("/inv/search/items?x=1", "/api/items/search"),
            ("/inv/characters/Mossy", "/api/characters/{name}/inventory"),
            ("/api-admin/users/bob", "/api/admin/users/bob"),
            ("/api-admin", "/api/admin/users"),
        ] {
            let r = legacy_answer(old).expect(old);
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{old}");
            let _ = new;
        }
        assert_eq!(legacy_answer("/suitbuilder.html").map(|r| r.status()), Some(StatusCode::MOVED_PERMANENTLY));
        assert_eq!(legacy_answer("/classic/index.html").map(|r| r.status()), Some(StatusCode::MOVED_PERMANENTLY));
        assert!(legacy_answer("/characters/Mossy").is_none());
        assert!(legacy_answer("/").is_none());
    }
}
