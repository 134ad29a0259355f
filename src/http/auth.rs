//! HTTP side of accounts and security: the `/api/auth/*` and `/api/admin/users*` routes,
//! the session middleware and extractors; the CSRF guard and the security headers live in
//! the `guards` submodule and are re-exported here.
//!
//! Owns: cookies (`overlord_session`: HttpOnly, SameSite=Lax, Secure over https), the
//! translation of `auth` results into docs/api.md answers, and the body limit of its routes.
//! Never: decides who may do what beyond "has a session" / "is admin" (that is
//! `auth`), or puts a session id or password in a log line or an error message.
//!
//! Wiring (the lead's `serve`), outermost first:
//! ```text
//! Router::new()
//!     .merge(http::auth::router())                      // login/setup open, the rest by Caller
//!     .merge(protected)
//!     .route_layer(from_fn_with_state(auth.clone(), enforce_access)) // auth::access::ROUTES
//!     .layer(from_fn_with_state(auth.clone(), csrf_guard)) // every route, /ws/live too
//!     .layer(from_fn(security_headers))
//!     .with_state(app_state)
//! // served with into_make_service_with_connect_info::<SocketAddr>()
//! ```
//! The handlers here also authenticate through the [`Caller`] extractor themselves, so they
//! stay safe if a router is built without `enforce_access`; login and setup are `Open` in
//! the access table and stay reachable without a session.

use std::net::{Ipv4Addr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::access::{self, Access, Decision, Who};
use crate::auth::{
    AuthConfig, AuthError, AuthService, ClientIdentity, ForwardingHeaders, LOOPBACK_USERNAME, NewSession, Role,
    UserInfo, now_ms,
};
use crate::http::error::ApiError;

mod guards;
pub use guards::{CONTENT_SECURITY_POLICY, csrf_guard, security_headers};

/// The session cookie's name (docs/api.md).
pub const SESSION_COOKIE: &str = "overlord_session";
/// Largest request body on the auth routes. The biggest legitimate body is a username
/// (32 chars) and a password (≤ 1 KiB) in JSON; 8 KiB leaves room and refuses the rest.
pub const AUTH_BODY_LIMIT_BYTES: usize = 8 * 1024;
/// Most `overlord_session` values looked at in one request (a browser sends one; more
/// come from cookie tossing by a sibling domain, and each costs a lookup).
pub const MAX_SESSION_COOKIES: usize = 4;
/// Most `X-Forwarded-For` header lines read.
const MAX_FORWARDED_LINES: usize = 8;

/// The routes of docs/api.md "Auth and users" plus first-run setup. Login and setup are open;
/// the rest authenticate through [`Caller`] / [`AdminCaller`].
pub fn router<S>() -> Router<S>
where
    AuthService: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
        .route("/api/auth/setup", get(setup_status).post(setup))
        .route("/api/admin/users", get(list_users).post(create_user))
        .route("/api/admin/users/{username}", patch(update_user).delete(delete_user))
        .layer(DefaultBodyLimit::max(AUTH_BODY_LIMIT_BYTES))
}

/// Who is making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub username: String,
    pub role: Role,
    pub via: AuthVia,
}

/// How a [`Caller`] was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// A session cookie; the session ends at `expires_ms`.
    Session { expires_ms: i64 },
    /// The loopback trust rule (no cookie; acts as admin under [`LOOPBACK_USERNAME`]).
    Loopback,
    /// An API token (`Authorization: Bearer`); the role is the scope's, capped at the user's.
    Token,
    /// Nobody: the public view lets anonymous visitors read a few pages' endpoints.
    Public,
}

/// The name an anonymous public-view request acts under (never a real account: usernames
/// cannot contain parentheses).
pub const PUBLIC_USERNAME: &str = "(public)";

/// A [`Caller`] who is an admin; members get 403.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminCaller(pub Caller);

/// The caller set by [`enforce_access`], or — when that middleware is not in front of
/// the route — authenticated here. 401 without a valid session or loopback trust.
impl<S> FromRequestParts<S> for Caller
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let auth = AuthService::from_ref(state);
        let identity = identity_of(&parts.headers, &parts.extensions, auth.config());
        match authenticate(&auth, &parts.headers, &identity).await? {
            Some(found) => {
                if let Some(token) = found.token {
                    parts.extensions.insert(SessionToken(token));
                }
                parts.extensions.insert(found.caller.clone());
                Ok(found.caller)
            }
            None => Err(ApiError::unauthorized()),
        }
    }
}

impl<S> FromRequestParts<S> for AdminCaller
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.role != Role::Admin {
            return Err(ApiError::Forbidden("this needs an admin: ask one to change your role".into()));
        }
        Ok(AdminCaller(caller))
    }
}

/// Middleware over every route of the router (as a `route_layer`, so the dashboard's
/// fallback is untouched): looks the matched route up in `auth::access::ROUTES`,
/// authenticates by bearer token, cookie or the loopback rule, applies the route's class
/// (`auth::access::decide`), and puts [`Caller`] and [`ClientIdentity`] into the request
/// extensions. 401 without a credential (unless the public view opens the route), 403 for
/// a caller the class refuses, 500 for a route missing from the table (fail closed: a test
/// keeps the table complete). Re-sends the cookie when its sliding expiry moved.
pub async fn enforce_access(State(auth): State<AuthService>, mut req: Request, next: Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_default();
    let method = req.method().as_str().to_string();
    let Some(route) = access::route(&method, &template) else {
        if access::ROUTES.iter().any(|r| r.path == template) {
            let message = format!("{method} is not allowed on {template}");
            let body = json!({"error": {"code": "method_not_allowed", "message": message}});
            return (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response();
        }
        tracing::error!(route = %template, method = %method, "route missing from auth::access::ROUTES; refused");
        return ApiError::Internal("this route has no access rule".into()).into_response();
    };
    if route.access == Access::Open {
        return next.run(req).await;
    }
    let identity = identity_of(req.headers(), req.extensions(), auth.config());
    let found = match authenticate(&auth, req.headers(), &identity).await {
        Ok(found) => found,
        Err(e) => return e.into_response(),
    };
    let who = match &found {
        // A wrong bearer token is never downgraded to the public view.
        None if bearer_token(req.headers()).is_some() => return ApiError::unauthorized().into_response(),
        None => Who::Anonymous,
        Some(f) if f.caller.via == AuthVia::Token => Who::Token(f.caller.role),
        Some(f) => Who::Person(f.caller.role),
    };
    let found = match access::decide(route, who, auth.public_view()) {
        Decision::Allow => found,
        Decision::AllowPublic => Some(Authenticated {
            caller: Caller { username: PUBLIC_USERNAME.to_string(), role: Role::Viewer, via: AuthVia::Public },
            token: None,
            refreshed_cookie: None,
        }),
        Decision::Unauthenticated => return ApiError::unauthorized().into_response(),
        Decision::Forbidden(why) => return ApiError::Forbidden(why.into()).into_response(),
    };
    let Some(found) = found else {
        return ApiError::unauthorized().into_response();
    };
    req.extensions_mut().insert(found.caller);
    req.extensions_mut().insert(identity);
    if let Some(token) = found.token {
        req.extensions_mut().insert(SessionToken(token));
    }
    let mut response = next.run(req).await;
    if let Some(cookie) = found.refreshed_cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The client identity of a request: peer address from `ConnectInfo<SocketAddr>`, the
/// forwarding, origin and host headers, and the config's trust settings.
pub fn client_identity(peer: SocketAddr, headers: &HeaderMap, cfg: &AuthConfig) -> ClientIdentity {
    let x_forwarded_for: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .take(MAX_FORWARDED_LINES)
        // An unreadable entry stops the address walk at the hop that wrote it.
        .map(|v| v.to_str().unwrap_or("invalid"))
        .collect();
    let facts = ForwardingHeaders {
        x_forwarded_for,
        x_forwarded_proto: headers.get_all("x-forwarded-proto").iter().next_back().and_then(|v| v.to_str().ok()),
        other_forwarding: headers.contains_key(header::FORWARDED) || headers.contains_key("x-real-ip"),
        host: header_str(headers, header::HOST.as_str()),
        origin: header_str(headers, header::ORIGIN.as_str()),
        sec_fetch_site: header_str(headers, "sec-fetch-site"),
    };
    crate::auth::client_identity(peer, &facts, cfg)
}

/// Domain errors as docs/api.md answers.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => ApiError::Unauthorized(e.to_string()),
            AuthError::RateLimited(wait) => {
                ApiError::RateLimited { message: e.to_string(), retry_after_s: wait.seconds() }
            }
            AuthError::Invalid(m) => ApiError::Invalid(m),
            AuthError::Conflict(m) => ApiError::Conflict(m),
            AuthError::NotFound(m) => ApiError::NotFound(m),
            AuthError::Forbidden(m) => ApiError::Forbidden(m),
            AuthError::SetupTokenRejected => ApiError::Forbidden(e.to_string()),
            AuthError::SetupDone => ApiError::Conflict(e.to_string()),
            AuthError::Busy => ApiError::Unavailable(e.to_string()),
            AuthError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct SetupBody {
    token: String,
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct CreateUserBody {
    username: String,
    password: String,
    #[serde(default = "default_role")]
    role: Role,
}

#[derive(Deserialize)]
struct UpdateUserBody {
    password: Option<String>,
    role: Option<Role>,
}

fn default_role() -> Role {
    Role::Member
}

async fn login(
    State(auth): State<AuthService>,
    ClientInfo(identity): ClientInfo,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let session = auth.login(&body.username, &body.password, identity.addr).await?;
    Ok(signed_in(StatusCode::OK, &session, &identity))
}

async fn logout(State(auth): State<AuthService>, _caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    for token in session_cookies(&headers).take(MAX_SESSION_COOKIES) {
        auth.logout(token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(CLEAR_COOKIE));
    Ok(response)
}

/// How the server knows the caller: a session cookie, or the loopback trust rule (which has
/// no session to end, so the dashboard offers no sign-out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum SignedInVia {
    Session,
    Loopback,
}

/// `GET /api/auth/me`, and the `user` of a sign-in or setup answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Me {
    pub username: String,
    pub role: Role,
    pub via: SignedInVia,
}

/// `POST /api/auth/login` and `POST /api/auth/setup`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SignedIn {
    pub user: Me,
}

/// `GET /api/auth/setup`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SetupStatus {
    /// No user exists yet: the first admin is still to be created.
    pub needed: bool,
}

/// `GET /api/admin/users`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct UserList {
    pub users: Vec<UserInfo>,
}

/// One user created or changed by an admin.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct OneUser {
    pub user: UserInfo,
}

/// `{"username","role"}`. For a cookie session it also re-sends the cookie with the
/// remaining lifetime, so the browser's copy follows the server's sliding expiry.
async fn me(caller: Caller, ClientInfo(identity): ClientInfo, token: Option<Extension<SessionToken>>) -> Response {
    // `via` tells the dashboard whether signing out means anything (loopback trust has no session).
    let via = if caller.via == AuthVia::Loopback { SignedInVia::Loopback } else { SignedInVia::Session };
    let body = Json(Me { username: caller.username.clone(), role: caller.role, via });
    let mut response = body.into_response();
    if let (AuthVia::Session { expires_ms }, Some(Extension(SessionToken(token)))) = (caller.via, token)
        && let Some(cookie) = session_cookie(&token, expires_ms, &identity)
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The cookie value that authenticated this request (kept in the request extensions so
/// `me` re-sends that one, not a look-alike planted by a sibling domain).
#[derive(Clone)]
struct SessionToken(String);

async fn setup_status(State(auth): State<AuthService>) -> Json<SetupStatus> {
    Json(SetupStatus { needed: auth.setup_needed() })
}

async fn setup(
    State(auth): State<AuthService>,
    ClientInfo(identity): ClientInfo,
    body: Result<Json<SetupBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let session = auth.complete_setup(&body.token, &body.username, &body.password, identity.addr).await?;
    Ok(signed_in(StatusCode::CREATED, &session, &identity))
}

async fn list_users(State(auth): State<AuthService>, _admin: AdminCaller) -> Result<Json<UserList>, ApiError> {
    let users = auth.list_users().await?;
    Ok(Json(UserList { users }))
}

async fn create_user(
    State(auth): State<AuthService>,
    _admin: AdminCaller,
    body: Result<Json<CreateUserBody>, JsonRejection>,
) -> Result<(StatusCode, Json<OneUser>), ApiError> {
    let Json(body) = body?;
    let user = auth.create_user(&body.username, &body.password, body.role).await?;
    Ok((StatusCode::CREATED, Json(OneUser { user })))
}

async fn update_user(
    State(auth): State<AuthService>,
    _admin: AdminCaller,
    username: Result<Path<String>, PathRejection>,
    body: Result<Json<UpdateUserBody>, JsonRejection>,
) -> Result<Json<OneUser>, ApiError> {
    let Path(username) = username?;
    let Json(body) = body?;
    let user: UserInfo = auth.update_user(&username, body.password.as_deref(), body.role).await?;
    Ok(Json(OneUser { user }))
}

async fn delete_user(
    State(auth): State<AuthService>,
    _admin: AdminCaller,
    username: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(username) = username?;
    auth.delete_user(&username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The client identity as an extractor (never fails: an unknown peer is simply not
/// loopback and not a trusted proxy).
struct ClientInfo(ClientIdentity);

impl<S> FromRequestParts<S> for ClientInfo
where
    AuthService: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(id) = parts.extensions.get::<ClientIdentity>() {
            return Ok(ClientInfo(*id));
        }
        let auth = AuthService::from_ref(state);
        Ok(ClientInfo(identity_of(&parts.headers, &parts.extensions, auth.config())))
    }
}

struct Authenticated {
    caller: Caller,
    /// The cookie value that authenticated, for a session.
    token: Option<String>,
    /// A new `Set-Cookie` when the session's sliding expiry moved.
    refreshed_cookie: Option<HeaderValue>,
}

/// Cookie session first (a signed-in user on the host keeps their own name), then the
/// loopback rule.
async fn authenticate(
    auth: &AuthService,
    headers: &HeaderMap,
    identity: &ClientIdentity,
) -> Result<Option<Authenticated>, ApiError> {
    // A bearer token, when present, is the only credential looked at: a wrong one is 401
    // even from loopback or with a cookie, so a script learns its token is bad.
    if let Some(bearer) = bearer_token(headers) {
        return Ok(auth.authenticate_token(bearer, identity.addr).await?.map(|t| Authenticated {
            caller: Caller { username: t.username, role: t.role, via: AuthVia::Token },
            token: None,
            refreshed_cookie: None,
        }));
    }
    for token in session_cookies(headers).take(MAX_SESSION_COOKIES) {
        if let Some(user) = auth.authenticate(token).await? {
            let refreshed_cookie = if user.extended { session_cookie(token, user.expires_ms, identity) } else { None };
            let caller = Caller {
                username: user.username,
                role: user.role,
                via: AuthVia::Session { expires_ms: user.expires_ms },
            };
            return Ok(Some(Authenticated { caller, token: Some(token.to_string()), refreshed_cookie }));
        }
    }
    if identity.loopback_trusted {
        let caller = Caller { username: LOOPBACK_USERNAME.to_string(), role: Role::Admin, via: AuthVia::Loopback };
        return Ok(Some(Authenticated { caller, token: None, refreshed_cookie: None }));
    }
    Ok(None)
}

fn identity_of(headers: &HeaderMap, extensions: &axum::http::Extensions, cfg: &AuthConfig) -> ClientIdentity {
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
        .or_else(|| extensions.get::<axum::extract::connect_info::MockConnectInfo<SocketAddr>>().map(|c| c.0))
        // Served without connect info: an unknown peer is neither loopback nor a proxy.
        .unwrap_or(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0));
    client_identity(peer, headers, cfg)
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().unwrap_or("");
    let (scheme, rest) = v.trim().split_once(' ').unwrap_or((v, ""));
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// Values of every `overlord_session` cookie, in order, across all `Cookie` headers.
fn session_cookies(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).filter_map(
        |pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name.trim() == SESSION_COOKIE).then(|| value.trim().trim_matches('"'))
        },
    )
}

const CLEAR_COOKIE: &str = "overlord_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax";

fn session_cookie(token: &str, expires_ms: i64, identity: &ClientIdentity) -> Option<HeaderValue> {
    let max_age_s = ((expires_ms - now_ms()) / 1000).max(0);
    let secure = if identity.via_https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

fn signed_in(status: StatusCode, session: &NewSession, identity: &ClientIdentity) -> Response {
    let user = Me { username: session.user.username.clone(), role: session.user.role, via: SignedInVia::Session };
    let mut response = (status, Json(SignedIn { user })).into_response();
    if let Some(cookie) = session_cookie(&session.token, session.expires_ms, identity) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; overlord_session=abc ; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("overlord_session=\"def\""));
        assert_eq!(session_cookies(&h).collect::<Vec<_>>(), vec!["abc", "def"]);
    }

    #[test]
    fn cookie_attributes_follow_the_transport() {
        let mut id = ClientIdentity {
            addr: Ipv4Addr::LOCALHOST.into(),
            via_https: false,
            loopback_trusted: false,
            via_trusted_proxy: false,
        };
        let c = session_cookie("tok", now_ms() + 10_000, &id).expect("cookie");
        let c = c.to_str().expect("ascii");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        id.via_https = true;
        let c = session_cookie("tok", now_ms() + 10_000, &id).expect("cookie");
        assert!(c.to_str().expect("ascii").ends_with("; Secure"));
    }
}
