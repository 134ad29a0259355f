//! Accounts and security: users with roles and argon2id password hashes, server-side
//! sessions, the loopback trust rule, login rate limiting and first-run setup.
//!
//! Owns: the `auth_*` tables in `state.redb` (each write is its own small transaction
//! with Immediate durability), the in-memory login limiter and the one-time setup token.
//! Never: renders anything or knows about HTTP types (the `http::auth` module translates),
//! stores a session id (only its SHA-256), or logs, stores or returns a password.
//!
//! Map: [`service`] (the `AuthService` the server shares), [`store`] (the redb tables),
//! [`password`] (argon2id/bcrypt), [`limiter`] (login rate limiting), [`client`] (client
//! address, https and loopback trust), [`cli`] (`overlord user …`).

pub mod access;
pub mod cli;
pub(crate) mod client;
pub(crate) mod limiter;
pub(crate) mod password;
pub(crate) mod service;
pub mod store;
pub(crate) mod tokens;

pub use crate::clock::now_ms;
use std::time::Duration;

pub use access::{Access, PublicPage, PublicView};
pub use client::{ClientIdentity, ForwardingHeaders, IpCidr, client_identity, origin_matches_authority};
pub use limiter::{LoginLimiter, RetryAfter};
pub use password::PasswordHashing;
pub use service::{AuthService, NewSession, SessionUser};
pub use store::UserInfo;
pub use tokens::{NewToken, TokenInfo, TokenScope, TokenUser};

/// Shortest and longest usernames, in characters.
pub const MIN_USERNAME_CHARS: usize = 1;
pub const MAX_USERNAME_CHARS: usize = 32;
/// Most user accounts. A player group is tens of people; the bound keeps `GET
/// /api/admin/users` and the last-admin scan small.
pub const MAX_USERS: usize = 1_000;
/// Most live sessions per user (browsers, devices). A new login past this evicts the
/// oldest session, so a script that logs in in a loop cannot grow the table.
pub const MAX_SESSIONS_PER_USER: usize = 32;
/// The name a loopback-trusted request acts under. Parentheses are not allowed in
/// usernames, so it can never be confused with a real account.
pub const LOOPBACK_USERNAME: &str = "(loopback)";

/// A user's role. `admin` can do everything; `member` everything but administration;
/// `viewer` reads everything a member reads but sends no commands and writes nothing
/// shared (notes are read-only; the suit builder, which stores nothing, is allowed).
///
/// Stored by variant index: new roles are only ever appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum Role {
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    /// Higher is more: viewer 0, member 1, admin 2.
    pub fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Member => 1,
            Role::Admin => 2,
        }
    }

    /// The lesser of two roles (a token never acts above its user).
    pub fn min(self, other: Role) -> Role {
        if self.rank() <= other.rank() { self } else { other }
    }

    /// Whether this role may send commands to game clients and change shared data.
    pub fn can_write(self) -> bool {
        self != Role::Viewer
    }
}

impl std::str::FromStr for Role {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "viewer" => Ok(Role::Viewer),
            other => {
                Err(AuthError::Invalid(format!("role `{other}` does not exist: use `admin`, `member` or `viewer`")))
            }
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Settings of the auth module. The server fills it from `overlord.toml` / `OVERLORD_*`.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The loopback trust rule (docs/api.md). Default on.
    pub trust_loopback: bool,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed. Default none.
    pub trusted_proxies: Vec<IpCidr>,
    /// Session lifetime; sliding (extended while used). Default 30 days.
    pub session_ttl: Duration,
    /// The origin browsers use to reach us when a proxy rewrites `Host`, e.g.
    /// `https://overlord.example.org`. The CSRF check accepts it besides the `Host` header.
    pub public_origin: Option<String>,
    /// Failed logins per client address and per username before 429. Default 10.
    pub login_max_failures: u32,
    /// The window those failures are counted in. Default 5 minutes.
    pub login_window: Duration,
    /// Argon2id cost. Default OWASP (19 MiB, t=2, p=1); tests use the cheapest.
    pub password_hashing: PasswordHashing,
    /// Pages anonymous visitors may see (`public_view` on); empty = public view off.
    pub public_pages: Vec<PublicPage>,
}

/// Default session lifetime (docs/api.md: "valid 30 days").
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Longest session lifetime a config may ask for.
pub const MAX_SESSION_TTL: Duration = Duration::from_secs(365 * 24 * 3600);
/// Longest `public_origin` accepted.
const MAX_ORIGIN_CHARS: usize = 256;

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            trust_loopback: true,
            trusted_proxies: Vec::new(),
            session_ttl: DEFAULT_SESSION_TTL,
            public_origin: None,
            login_max_failures: 10,
            login_window: Duration::from_secs(300),
            password_hashing: PasswordHashing::default(),
            public_pages: Vec::new(),
        }
    }
}

impl AuthConfig {
    /// Checks every setting; the message names the setting and the fix.
    pub fn validate(&self) -> Result<(), AuthConfigError> {
        if self.session_ttl < Duration::from_secs(1) || self.session_ttl > MAX_SESSION_TTL {
            return Err(AuthConfigError::SessionTtlOutOfRange { seconds: self.session_ttl.as_secs() });
        }
        if self.login_max_failures == 0 {
            return Err(AuthConfigError::NoLoginFailuresAllowed);
        }
        if self.login_window < Duration::from_secs(1) {
            return Err(AuthConfigError::LoginWindowTooShort);
        }
        if let Some(origin) = &self.public_origin {
            normalize_origin(origin)?;
        }
        Ok(self.password_hashing.validate()?)
    }

    /// `public_origin` in the canonical form the CSRF check compares against.
    pub fn public_origin_normalized(&self) -> Option<String> {
        self.public_origin.as_deref().and_then(|o| normalize_origin(o).ok())
    }
}

/// An [`AuthConfig`] setting is out of range or malformed; the message names the setting
/// (as the operator writes it in `overlord.toml`) and the fix.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    /// `session_ttl` is under 1 s or over [`MAX_SESSION_TTL`].
    #[error(
        "session_ttl_s = {seconds} is out of range: use 1 s to {} s (default 30 days = {} s)",
        MAX_SESSION_TTL.as_secs(),
        DEFAULT_SESSION_TTL.as_secs()
    )]
    SessionTtlOutOfRange { seconds: u64 },
    /// `login_max_failures` is 0, which would lock everyone out.
    #[error("login_max_failures must be at least 1 (default 10)")]
    NoLoginFailuresAllowed,
    /// `login_window` is under 1 s.
    #[error("login_window_s must be at least 1 s (default 300)")]
    LoginWindowTooShort,
    /// `public_origin` is not `scheme://host[:port]`.
    #[error(transparent)]
    PublicOrigin(#[from] BadOrigin),
    /// The argon2 parameters are unusable.
    #[error(transparent)]
    PasswordHashing(#[from] password::HashingError),
}

/// An origin that is not `http(s)://host[:port]` (holds the text as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("public_origin `{0}` is not an origin: write it as scheme://host[:port], e.g. https://overlord.example.org")]
pub struct BadOrigin(pub String);

/// `scheme://host[:port]`, lower-cased, without a trailing slash or default port.
pub fn normalize_origin(origin: &str) -> Result<String, BadOrigin> {
    let bad = || BadOrigin(origin.to_string());
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    if o.len() > MAX_ORIGIN_CHARS {
        return Err(bad());
    }
    let (scheme, authority) = o.split_once("://").ok_or_else(bad)?;
    if !(scheme == "http" || scheme == "https") || authority.is_empty() || authority.contains(['/', '?', '#', '@', ' '])
    {
        return Err(bad());
    }
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    Ok(format!("{scheme}://{authority}"))
}

/// Failures of the auth module. The HTTP layer maps each to one status.
#[derive(Debug)]
pub enum AuthError {
    /// Unknown user or wrong password: one answer for both.
    BadCredentials,
    /// Too many failed logins; wait this long.
    RateLimited(RetryAfter),
    /// Input breaks a rule (bad username, weak password, bad role); the message says which.
    Invalid(String),
    /// The user exists, or the change would remove the last admin.
    Conflict(String),
    NotFound(String),
    /// Allowed for nobody in this role (e.g. a token scope above the user's role).
    Forbidden(String),
    /// The setup token is wrong or missing.
    SetupTokenRejected,
    /// First-run setup is over (a user exists).
    SetupDone,
    /// Too many password hashes queued; try again shortly.
    Busy,
    /// Storage or other internal failure; the detail is for the log only.
    Internal(String),
}

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthError::BadCredentials => f.write_str("username or password is wrong"),
            AuthError::RateLimited(r) => write!(f, "too many failed sign-ins; try again in {} s", r.seconds()),
            AuthError::Invalid(m) | AuthError::Conflict(m) | AuthError::NotFound(m) | AuthError::Forbidden(m) => {
                f.write_str(m)
            }
            AuthError::SetupTokenRejected => {
                f.write_str("the setup token is wrong: use the setup URL printed in the server log")
            }
            AuthError::SetupDone => f.write_str("setup is already done: sign in with an existing account"),
            AuthError::Busy => f.write_str("the server is busy checking passwords; retry shortly"),
            AuthError::Internal(m) => write!(f, "auth storage failure: {m}"),
        }
    }
}

impl std::error::Error for AuthError {}

macro_rules! internal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AuthError {
            fn from(e: $t) -> Self {
                AuthError::Internal(e.to_string())
            }
        }
    )*};
}
internal_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError,
    serde_json::Error,
    tokio::task::JoinError,
    password::HashingError
);

/// A weak or oversized new password is the user's input breaking a rule.
impl From<password::PasswordError> for AuthError {
    fn from(e: password::PasswordError) -> Self {
        AuthError::Invalid(e.to_string())
    }
}

/// A bad setting is reported like bad input: the message names the setting.
impl From<AuthConfigError> for AuthError {
    fn from(e: AuthConfigError) -> Self {
        AuthError::Invalid(e.to_string())
    }
}

/// Checks a username: 1–32 characters of ASCII letters, digits, space and `_-.'`, not
/// starting or ending with a space.
pub fn validate_username(name: &str) -> Result<(), AuthError> {
    let n = name.chars().count();
    if !(MIN_USERNAME_CHARS..=MAX_USERNAME_CHARS).contains(&n) {
        return Err(AuthError::Invalid(format!(
            "username must be {MIN_USERNAME_CHARS}–{MAX_USERNAME_CHARS} characters long"
        )));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || " _-.'".contains(*c))) {
        return Err(AuthError::Invalid(format!(
            "username contains `{}`: use letters, digits, space and _ - . ' only",
            c.escape_default()
        )));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Err(AuthError::Invalid("username must not start or end with a space".into()));
    }
    Ok(())
}

/// The storage key of a username: usernames are unique regardless of case.
pub fn username_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_character_rules() {
        for ok in ["a", "Mossy Tank", "o'Brien-2.x_y", &"z".repeat(32)] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        for bad in ["", " lead", "trail ", "semi;colon", "(loopback)", "é", &"z".repeat(33)] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_normalize_default_ports_and_case() {
        assert_eq!(
            normalize_origin("HTTPS://Overlord.Example.org:443/").ok(),
            Some("https://overlord.example.org".into())
        );
        assert_eq!(normalize_origin("http://10.0.0.2:8080").ok(), Some("http://10.0.0.2:8080".into()));
        assert!(normalize_origin("overlord.example.org").is_err());
        assert!(normalize_origin("https://x.org/path").is_err());
    }

    #[test]
    fn config_validation_names_the_setting() {
        let cfg = AuthConfig { session_ttl: Duration::ZERO, ..AuthConfig::default() };
        assert!(cfg.validate().is_err_and(|e| e.to_string().contains("session_ttl_s")));
        assert!(AuthConfig::default().validate().is_ok());
    }
}
