//! Shared fixture of the auth integration tests: a real `state.redb` in a temp dir, the
//! auth router plus a tiny protected route, wired the way `serve` wires them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRef};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use overlord::auth::{AuthConfig, AuthService, ClientIdentity, PasswordHashing, Role};
use overlord::http::auth::{Caller, csrf_guard, enforce_access, router as auth_router, security_headers};
use redb::Database;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const REMOTE: &str = "203.0.113.5:50000";
pub const LOOPBACK: &str = "127.0.0.1:50000";
pub const HOST: &str = "overlord.test:8080";

/// The app state of the test server: like the real one, it only has to hand out
/// `AuthService` through `FromRef`.
#[derive(Clone)]
pub struct AppState {
    pub auth: AuthService,
}

impl FromRef<AppState> for AuthService {
    fn from_ref(s: &AppState) -> AuthService {
        s.auth.clone()
    }
}

pub struct TestApp {
    pub _dir: tempfile::TempDir,
    pub db: Arc<Database>,
    pub auth: AuthService,
    pub app: Router,
}

pub fn fast_config() -> AuthConfig {
    AuthConfig { password_hashing: PasswordHashing::insecure_fast_for_tests(), ..AuthConfig::default() }
}

pub fn app() -> TestApp {
    app_with(fast_config())
}

pub fn app_with(cfg: AuthConfig) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Arc::new(Database::create(dir.path().join("state.redb")).expect("state.redb"));
    let auth = AuthService::new(db.clone(), cfg).expect("auth service");
    let protected = Router::new()
        .route("/api/notes", get(whoami).post(|caller: Caller| async move { caller.username }))
        // Stand-in for the WebSocket route: the middleware is what is under test.
        .route("/ws/live", get(|| async { "live" }));
    // As `serve` wires it: the access rule over every route (stand-ins use real templates
    // of `auth::access::ROUTES`, so they get the real rule).
    let app = Router::new()
        .merge(auth_router())
        .merge(protected)
        .route_layer(from_fn_with_state(auth.clone(), enforce_access))
        .layer(from_fn_with_state(auth.clone(), csrf_guard))
        .layer(from_fn(security_headers))
        .with_state(AppState { auth: auth.clone() });
    TestApp { _dir: dir, db, auth, app }
}

async fn whoami(caller: Caller, identity: axum::Extension<ClientIdentity>) -> axum::Json<Value> {
    axum::Json(json!({
        "username": caller.username,
        "role": caller.role,
        "client": identity.addr.to_string(),
        "https": identity.via_https,
    }))
}

/// A request from `peer` with `Host: overlord.test:8080`.
pub fn request(method: Method, path: &str, peer: &str) -> axum::http::request::Builder {
    request_to(method, path, peer, HOST)
}

/// A request from `peer` with the given `Host`.
pub fn request_to(method: Method, path: &str, peer: &str, host: &str) -> axum::http::request::Builder {
    let peer: SocketAddr = peer.parse().expect("peer");
    Request::builder().method(method).uri(path).header(header::HOST, host).extension(ConnectInfo(peer))
}

pub fn json_body(builder: axum::http::request::Builder, body: &Value) -> Request<Body> {
    builder.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())).expect("request")
}

pub fn empty(builder: axum::http::request::Builder) -> Request<Body> {
    builder.body(Body::empty()).expect("request")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `overlord_session=…` pair from Set-Cookie, ready for a Cookie header.
    pub fn cookie(&self) -> String {
        let set = self.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("Set-Cookie");
        set.split(';').next().expect("pair").to_string()
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> Answer {
    let response = app.clone().oneshot(req).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Answer { status, headers, body }
}

pub async fn create_user(t: &TestApp, name: &str, password: &str, role: Role) {
    t.auth.create_user(name, password, role).await.expect("create user");
}

/// Logs in from `REMOTE` with a same-origin `Origin`; returns the answer.
pub async fn login(t: &TestApp, name: &str, password: &str) -> Answer {
    login_from(t, name, password, REMOTE).await
}

pub async fn login_from(t: &TestApp, name: &str, password: &str, peer: &str) -> Answer {
    let req = json_body(
        request(Method::POST, "/api/auth/login", peer).header(header::ORIGIN, origin()),
        &json!({"username": name, "password": password}),
    );
    send(&t.app, req).await
}

pub fn origin() -> String {
    format!("http://{HOST}")
}

/// GET with the given cookie from `REMOTE`.
pub async fn get_with_cookie(t: &TestApp, path: &str, cookie: &str) -> Answer {
    let req = empty(request(Method::GET, path, REMOTE).header(header::COOKIE, cookie));
    send(&t.app, req).await
}
