//! `AuthService`: the one handle the server shares for sign-in, sessions, users and
//! first-run setup.
//!
//! Owns: the order of operations that makes sign-in safe — rate limit first, then a
//! password check that costs the same for unknown users and wrong passwords, then the
//! session — plus the bounded pool of password-hash workers and the setup token.
//! Never: hashes on an async worker thread (hashes and redb writes run on the blocking
//! pool), keeps a session id after handing it out (only its SHA-256 is stored), or logs a
//! password or a session id.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use redb::Database;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::password::{MAX_PASSWORD_BYTES, Verified, validate_new_password};
use super::store::{self, SessionRecord, UserRecord};
use super::{AuthConfig, AuthError, LoginLimiter, Role, UserInfo, now_ms, username_key, validate_username};

/// Password hashes computed at once. One argon2id hash holds a core and 19 MiB for tens
/// of milliseconds; on a 2-core host that also ingests telemetry, one at a time keeps a
/// login flood from starving ingest. Sign-ins are rare, so queueing costs people nothing.
pub const MAX_CONCURRENT_PASSWORD_HASHES: usize = 1;
/// How long a request waits for a hash worker before it is answered "busy" (503).
pub const HASH_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);
/// Session ids are 256 random bits.
pub const SESSION_ID_BYTES: usize = 32;
/// Sliding expiry is written at most this often per session (or every tenth of the TTL if
/// that is shorter), so an active browser does not cost a durable write per request.
pub const SESSION_EXTEND_INTERVAL: Duration = Duration::from_secs(3600);
/// Setup tokens are 256 random bits too.
const SETUP_TOKEN_BYTES: usize = 32;

/// Sign-in, sessions, users and first-run setup. Cheap to clone.
#[derive(Clone)]
pub struct AuthService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the setup token or the dummy hash.
        f.debug_struct("AuthService").field("config", &self.inner.cfg).finish_non_exhaustive()
    }
}

struct Inner {
    db: Arc<Database>,
    cfg: AuthConfig,
    limiter: LoginLimiter,
    /// Verified against for unknown users so they cost as much as a wrong password.
    dummy_hash: String,
    setup_token: Mutex<Option<String>>,
    hash_workers: Arc<Semaphore>,
    token_last_used: super::tokens::LastUsed,
    public_view: super::PublicView,
}

/// A session just created: `token` goes into the cookie and nowhere else (its `Debug`
/// output leaves it out, so a stray `{:?}` cannot log it).
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub user: UserInfo,
    pub expires_ms: i64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("token", &"<redacted>")
            .field("user", &self.user)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// The user behind a valid session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub username: String,
    pub role: Role,
    pub expires_ms: i64,
    /// The expiry moved forward on this request (re-send the cookie with a new Max-Age).
    pub extended: bool,
}

impl AuthService {
    /// Opens (creates if missing) the `auth_*` tables in the shared database, purges expired
    /// sessions and, when no user exists, makes the one-time setup token.
    pub fn new(db: Arc<Database>, cfg: AuthConfig) -> Result<Self, AuthError> {
        cfg.validate()?;
        store::ensure_tables(&db)?;
        let purged = store::purge_expired(&db, now_ms())?;
        if purged > 0 {
            tracing::info!(purged, "removed expired sessions");
        }
        let dummy_hash = cfg.password_hashing.dummy_hash()?;
        let setup_token = (store::user_count(&db)? == 0).then(|| random_hex(SETUP_TOKEN_BYTES));
        let public_view = super::PublicView::new(cfg.public_pages.clone());
        Ok(AuthService {
            inner: Arc::new(Inner {
                limiter: LoginLimiter::new(cfg.login_max_failures, cfg.login_window),
                db,
                cfg,
                dummy_hash,
                setup_token: Mutex::new(setup_token),
                hash_workers: Arc::new(Semaphore::new(MAX_CONCURRENT_PASSWORD_HASHES)),
                token_last_used: Default::default(),
                public_view,
            }),
        })
    }

    pub fn config(&self) -> &AuthConfig {
        &self.inner.cfg
    }

    /// The public view's pages (changed at run time by the settings page).
    pub fn public_view(&self) -> &super::PublicView {
        &self.inner.public_view
    }

    pub(super) fn db(&self) -> Arc<Database> {
        self.inner.db.clone()
    }

    pub(super) fn limiter(&self) -> &LoginLimiter {
        &self.inner.limiter
    }

    pub(super) fn last_used(&self) -> &super::tokens::LastUsed {
        &self.inner.token_last_used
    }

    /// The one-time setup token while no user exists; `None` once any user exists.
    pub fn setup_token(&self) -> Option<String> {
        let mut slot = self.lock_setup();
        if slot.is_some() && store::user_count(&self.inner.db).unwrap_or(0) > 0 {
            *slot = None;
        }
        slot.clone()
    }

    /// Whether first-run setup is still open.
    pub fn setup_needed(&self) -> bool {
        self.setup_token().is_some()
    }

    /// `{base_url}/setup?token=…` while setup is open, for the start-up log line.
    pub fn setup_url(&self, base_url: &str) -> Option<String> {
        self.setup_token().map(|t| format!("{}/setup?token={t}", base_url.trim_end_matches('/')))
    }

    /// Logs the setup URL once at start when no user exists (the only place the token is
    /// ever shown). Returns whether it logged.
    pub fn log_setup_url(&self, base_url: &str) -> bool {
        match self.setup_url(base_url) {
            Some(url) => {
                tracing::warn!(
                    "no user exists yet: open {url} to create the first admin \
                     (or run `overlord user add NAME --role admin`)"
                );
                true
            }
            None => false,
        }
    }

    /// First-run setup: with the right token, creates the first admin and signs them in.
    /// The token dies on success.
    pub async fn complete_setup(
        &self,
        token: &str,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> Result<NewSession, AuthError> {
        let limiter = &self.inner.limiter;
        limiter.begin_address_attempt(client).map_err(AuthError::RateLimited)?;
        let expected = self.setup_token().ok_or(AuthError::SetupDone)?;
        if !bool::from(expected.as_bytes().ct_eq(token.trim().as_bytes())) {
            tracing::warn!(client = %client, "setup attempted with a wrong token");
            return Err(AuthError::SetupTokenRejected);
        }
        validate_username(username)?;
        validate_new_password(password)?;
        let permit = self.hash_worker().await?;
        let inner = self.inner.clone();
        let (username, password) = (username.to_string(), password.to_string());
        let session = tokio::task::spawn_blocking(move || {
            let _permit: OwnedSemaphorePermit = permit;
            inner.create_first_admin(&username, &password)
        })
        .await??;
        *self.lock_setup() = None;
        limiter.address_attempt_succeeded(client);
        tracing::info!(user = %session.user.username, client = %client, "first admin created by setup");
        Ok(session)
    }

    /// Signs in. Unknown user and wrong password give the same error after the same work;
    /// too many failures from the address or for the username give `RateLimited`.
    pub async fn login(&self, username: &str, password: &str, client: IpAddr) -> Result<NewSession, AuthError> {
        let limiter = &self.inner.limiter;
        limiter.begin_attempt(client, username).map_err(AuthError::RateLimited)?;
        let permit = self.hash_worker().await?;
        let inner = self.inner.clone();
        let (name, pass) = (username.to_string(), password.to_string());
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit: OwnedSemaphorePermit = permit;
            inner.check_password_and_open_session(&name, &pass)
        })
        .await?;
        match &outcome {
            Ok(s) => {
                limiter.attempt_succeeded(client, username);
                tracing::info!(user = %s.user.username, client = %client, "signed in");
            }
            Err(AuthError::BadCredentials) => {
                tracing::info!(client = %client, "failed sign-in");
            }
            Err(_) => {}
        }
        outcome
    }

    /// The user behind a session cookie value, or `None` for a missing, malformed,
    /// unknown, revoked or expired one. Moves the expiry forward when due (sliding).
    pub async fn authenticate(&self, token: &str) -> Result<Option<SessionUser>, AuthError> {
        let Some(hash) = session_hash(token) else {
            return Ok(None);
        };
        let now = now_ms();
        // A read transaction: cheap, never blocks on writers.
        let Some(found) = store::find_session(&self.inner.db, &hash, now)? else {
            return Ok(None);
        };
        let ttl_ms = duration_ms(self.inner.cfg.session_ttl);
        let extend_every = duration_ms(SESSION_EXTEND_INTERVAL).min(ttl_ms / 10);
        let mut expires_ms = found.session.expires_ms;
        let mut extended = false;
        if expires_ms - now < ttl_ms - extend_every {
            let new_expiry = now + ttl_ms;
            let db = self.inner.db.clone();
            match tokio::task::spawn_blocking(move || store::extend_session(&db, &hash, new_expiry)).await? {
                Ok(true) => {
                    expires_ms = new_expiry;
                    extended = true;
                }
                // Revoked between our read and the write: it stays revoked.
                Ok(false) => return Ok(None),
                // The session is still valid; failing to extend it is not the caller's problem.
                Err(e) => tracing::warn!(error = %e, "could not extend a session"),
            }
        }
        Ok(Some(SessionUser { username: found.user.username, role: found.user.role, expires_ms, extended }))
    }

    /// Revokes the session of this cookie value (logout). Unknown values are fine.
    pub async fn logout(&self, token: &str) -> Result<(), AuthError> {
        let Some(hash) = session_hash(token) else {
            return Ok(());
        };
        self.blocking(move |db| store::revoke_session(db, &hash)).await
    }

    /// Revokes every session of a user; returns how many.
    pub async fn revoke_all_sessions(&self, username: &str) -> Result<usize, AuthError> {
        let name = username.to_string();
        self.blocking(move |db| store::revoke_all_for_user(db, &name)).await
    }

    pub async fn list_users(&self) -> Result<Vec<UserInfo>, AuthError> {
        self.blocking(store::list_users).await
    }

    /// Creates a user (409 if the name exists in any case, 422 for a bad name or a weak
    /// password). Closes first-run setup.
    pub async fn create_user(&self, username: &str, password: &str, role: Role) -> Result<UserInfo, AuthError> {
        validate_username(username)?;
        validate_new_password(password)?;
        let hash = self.hash_password(password).await?;
        let rec = UserRecord {
            username: username.to_string(),
            role,
            password_hash: hash,
            created_ms: now_ms(),
            last_login_ms: None,
        };
        let info = UserInfo::from(&rec);
        self.blocking(move |db| store::insert_user(db, &rec, false)).await?;
        *self.lock_setup() = None;
        tracing::info!(user = %info.username, role = %info.role, "user created");
        Ok(info)
    }

    /// Changes a user's password and/or role. A new password revokes all of the user's
    /// sessions; demoting the last admin is a conflict.
    pub async fn update_user(
        &self,
        username: &str,
        password: Option<&str>,
        role: Option<Role>,
    ) -> Result<UserInfo, AuthError> {
        if password.is_none() && role.is_none() {
            return Err(AuthError::Invalid("nothing to change: send `password` and/or `role`".into()));
        }
        let new_hash = match password {
            Some(p) => {
                validate_new_password(p)?;
                Some(self.hash_password(p).await?)
            }
            None => None,
        };
        let changed_password = new_hash.is_some();
        let name = username.to_string();
        let rec = self.blocking(move |db| store::update_user(db, &name, new_hash, role)).await?;
        tracing::info!(user = %rec.username, role = %rec.role, changed_password, "user changed");
        Ok(UserInfo::from(&rec))
    }

    /// Deletes a user and their sessions; the last admin cannot be deleted.
    pub async fn delete_user(&self, username: &str) -> Result<(), AuthError> {
        let name = username.to_string();
        self.blocking(move |db| store::delete_user(db, &name)).await?;
        tracing::info!(user = %username, "user deleted");
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<usize, AuthError> {
        self.blocking(|db| store::purge_expired(db, now_ms())).await
    }

    /// Purges expired sessions every `every` until the returned task is aborted.
    pub fn spawn_session_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match svc.purge_expired_sessions().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(purged = n, "removed expired sessions"),
                    Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                }
            }
        })
    }

    async fn hash_password(&self, password: &str) -> Result<String, AuthError> {
        let permit = self.hash_worker().await?;
        let hashing = self.inner.cfg.password_hashing;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || {
            let _permit: OwnedSemaphorePermit = permit;
            hashing.hash(&password).map_err(AuthError::from)
        })
        .await?
    }

    async fn hash_worker(&self) -> Result<OwnedSemaphorePermit, AuthError> {
        let sem = self.inner.hash_workers.clone();
        match tokio::time::timeout(HASH_QUEUE_TIMEOUT, sem.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out, or the semaphore was closed (never happens: we never close it).
            _ => Err(AuthError::Busy),
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let db = self.inner.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await?
    }

    fn lock_setup(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // The slot holds a plain Option; a panic elsewhere cannot leave it half-written.
        self.inner.setup_token.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    /// Runs on the blocking pool with a hash worker held.
    fn check_password_and_open_session(&self, username: &str, password: &str) -> Result<NewSession, AuthError> {
        let hashing = &self.cfg.password_hashing;
        let plausible = validate_username(username).is_ok() && password.len() <= MAX_PASSWORD_BYTES;
        let user = if plausible { store::get_user(&self.db, username)? } else { None };
        let Some(user) = user else {
            // Same work as a wrong password: one verification with current parameters.
            let probe = if password.len() <= MAX_PASSWORD_BYTES { password } else { "" };
            let _ = hashing.verify(probe, &self.dummy_hash);
            return Err(AuthError::BadCredentials);
        };
        let upgraded = match hashing.verify(password, &user.password_hash) {
            Verified::Wrong => return Err(AuthError::BadCredentials),
            Verified::Ok => None,
            Verified::OkNeedsRehash => match hashing.hash(password) {
                Ok(h) => {
                    tracing::info!(user = %user.username, "password hash upgraded to current argon2id parameters");
                    Some(h)
                }
                // The login is still good; the upgrade will be retried next time.
                Err(e) => {
                    tracing::warn!(user = %user.username, error = %e, "could not rehash password");
                    None
                }
            },
        };
        let now = now_ms();
        let (token, hash, session) = self.new_session(&user.username, now);
        let rec = store::record_login(&self.db, &user.username, upgraded, &hash, &session, now)?;
        Ok(NewSession { token, user: UserInfo::from(&rec), expires_ms: session.expires_ms })
    }

    /// Runs on the blocking pool with a hash worker held.
    fn create_first_admin(&self, username: &str, password: &str) -> Result<NewSession, AuthError> {
        let now = now_ms();
        let rec = UserRecord {
            username: username.to_string(),
            role: Role::Admin,
            password_hash: self.cfg.password_hashing.hash(password)?,
            created_ms: now,
            last_login_ms: Some(now),
        };
        let (token, hash, session) = self.new_session(username, now);
        store::create_first_admin(&self.db, &rec, &hash, &session, now)?;
        Ok(NewSession { token, user: UserInfo::from(&rec), expires_ms: session.expires_ms })
    }

    fn new_session(&self, username: &str, now: i64) -> (String, [u8; 32], SessionRecord) {
        let mut id = [0u8; SESSION_ID_BYTES];
        // ThreadRng is a CSPRNG (ChaCha, reseeded from the OS) in rand 0.9.
        rand::rng().fill(&mut id);
        let token = hex(&id);
        let hash: [u8; 32] = Sha256::digest(id).into();
        let session = SessionRecord {
            user_key: username_key(username),
            created_ms: now,
            expires_ms: now + duration_ms(self.cfg.session_ttl),
        };
        (token, hash, session)
    }
}

/// SHA-256 of the id a cookie value encodes; `None` unless it is exactly 64 hex digits.
fn session_hash(token: &str) -> Option<[u8; 32]> {
    let token = token.trim().as_bytes();
    if token.len() != SESSION_ID_BYTES * 2 {
        return None;
    }
    let mut id = [0u8; SESSION_ID_BYTES];
    for (i, pair) in token.chunks_exact(2).enumerate() {
        let hi = hex_value(pair[0])?;
        let lo = hex_value(pair[1])?;
        id[i] = hi << 4 | lo;
    }
    Some(Sha256::digest(id).into())
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rng().fill(buf.as_mut_slice());
    hex(&buf)
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_round_trip_to_the_stored_hash() {
        let id = [0xabu8; 32];
        let token = hex(&id);
        let expected: [u8; 32] = Sha256::digest(id).into();
        assert_eq!(session_hash(&token), Some(expected));
        assert_eq!(session_hash(&token.to_uppercase()), Some(expected));
    }

    #[test]
    fn malformed_tokens_are_rejected_without_lookup() {
        assert_eq!(session_hash(""), None);
        assert_eq!(session_hash(&"g".repeat(64)), None);
        assert_eq!(session_hash(&"a".repeat(63)), None);
        assert_eq!(session_hash(&"é".repeat(32)), None);
    }
}
