//! API tokens: long-lived bearer credentials for scripts and bots on other hosts.
//!
//! Owns: the `auth_tokens` table in `state.redb` (token id → JSON record holding the
//! SHA-256 of the secret, never the secret), scopes, issuing, listing, revoking, and
//! checking a presented token. Never: stores or logs a secret, compares secrets in
//! variable time, or lets a token act above its user's *current* role.
//!
//! A token reads `ovl_<id>_<secret>`: 16 hex digits of id (the lookup key) and 64 hex
//! digits (256 random bits) of secret. Every check reads the table, so a revocation or an
//! expiry is effective on the next request. Failed checks count against the client
//! address in the login limiter (the same window and limit as sign-ins).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use rand::Rng;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AuthError, AuthService, Role, now_ms, username_key};

const TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("auth_tokens");

/// Tokens one user may hold; a bot per purpose is a handful, not hundreds.
pub const MAX_TOKENS_PER_USER: usize = 50;
/// Tokens in all (bounds the table and `GET /api/tokens` for an admin).
pub const MAX_TOKENS: usize = 2_000;
/// A token's name, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;
/// Longest lifetime a token may be given (10 years); no `expires_in_days` means never.
pub const MAX_TOKEN_DAYS: u32 = 3_650;
/// `last_used_ms` is written to disk at most this often per token (it is kept in memory
/// in between), so a bot polling every second does not cost a durable write each time.
pub const LAST_USED_WRITE_EVERY_MS: i64 = 10 * 60 * 1000;
const ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
const PREFIX: &str = "ovl_";
/// A header value longer than this is not one of our tokens (read no further).
const MAX_PRESENTED_BYTES: usize = 128;

/// What a token may do. Each maps onto a role; the token acts as the lesser of that role
/// and its user's current role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenScope {
    /// Every read endpoint and `/ws/live` without commands.
    Read,
    /// Read plus commands and the writes a member may do.
    Command,
    /// Everything an admin may do.
    Admin,
}

impl TokenScope {
    pub fn role(self) -> Role {
        match self {
            TokenScope::Read => Role::Viewer,
            TokenScope::Command => Role::Member,
            TokenScope::Admin => Role::Admin,
        }
    }
}

/// A stored token (no secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub username: String,
    pub scope: TokenScope,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

#[derive(Clone, Serialize, Deserialize)]
struct TokenRecord {
    info: TokenInfo,
    /// SHA-256 of the secret's bytes.
    secret_sha256: [u8; 32],
    /// The user's `created_ms` when the token was made: a user deleted and re-created
    /// under the same name does not inherit the old account's tokens.
    user_created_ms: i64,
}

/// A token just made: `token` is shown once and stored nowhere.
#[derive(Clone)]
pub struct NewToken {
    pub token: String,
    pub info: TokenInfo,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken").field("token", &"<redacted>").field("info", &self.info).finish()
    }
}

/// The identity a valid token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUser {
    pub username: String,
    /// The scope's role capped at the user's current role.
    pub role: Role,
    pub token_id: String,
}

/// In-memory `last_used_ms` newer than what is on disk.
#[derive(Default)]
pub(crate) struct LastUsed {
    map: Mutex<HashMap<String, (i64, i64)>>,
}

impl LastUsed {
    /// Notes a use; returns true when the disk copy is due for an update.
    fn touch(&self, id: &str, stored: Option<i64>, now: i64) -> bool {
        let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= MAX_TOKENS && !m.contains_key(id) {
            m.clear();
        }
        let e = m.entry(id.to_string()).or_insert((now, stored.unwrap_or(i64::MIN)));
        e.0 = now;
        if now.saturating_sub(e.1) >= LAST_USED_WRITE_EVERY_MS {
            e.1 = now;
            true
        } else {
            false
        }
    }

    fn get(&self, id: &str) -> Option<i64> {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).get(id).map(|e| e.0)
    }
}

impl AuthService {
    /// Makes a token for `username` (an existing account). `scope` may not exceed the
    /// user's role.
    pub async fn create_token(
        &self,
        username: &str,
        name: &str,
        scope: TokenScope,
        expires_in_days: Option<u32>,
    ) -> Result<NewToken, AuthError> {
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(AuthError::Invalid(format!(
                "name: 1 to {MAX_TOKEN_NAME_CHARS} characters, no control characters (e.g. \"discord bot\")"
            )));
        }
        if let Some(d) = expires_in_days
            && !(1..=MAX_TOKEN_DAYS).contains(&d)
        {
            return Err(AuthError::Invalid(format!(
                "expires_in_days: {d} is outside 1..={MAX_TOKEN_DAYS} (leave it out for a token that never expires)"
            )));
        }
        let username = username.to_string();
        self.blocking_db(move |db| {
            let user = super::store::get_user(db, &username)?
                .ok_or_else(|| AuthError::NotFound(format!("user `{username}` does not exist")))?;
            if scope.role().rank() > user.role.rank() {
                return Err(AuthError::Forbidden(format!(
                    "scope `{}` is above your role `{}`",
                    scope.role().as_str().replace("viewer", "read").replace("member", "command"),
                    user.role
                )));
            }
            let mut id = [0u8; ID_BYTES];
            let mut secret = [0u8; SECRET_BYTES];
            rand::rng().fill(&mut id);
            rand::rng().fill(&mut secret);
            let id = hex(&id);
            let now = now_ms();
            let info = TokenInfo {
                id: id.clone(),
                name,
                username: user.username.clone(),
                scope,
                created_ms: now,
                expires_ms: expires_in_days.map(|d| now + i64::from(d) * 86_400_000),
                last_used_ms: None,
            };
            let rec = TokenRecord {
                info: info.clone(),
                secret_sha256: Sha256::digest(secret).into(),
                user_created_ms: user.created_ms,
            };
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            {
                let mut t = txn.open_table(TOKENS)?;
                let mut total = 0usize;
                let mut mine = 0usize;
                for e in t.iter()? {
                    let (_, v) = e?;
                    total += 1;
                    let r: TokenRecord = serde_json::from_slice(v.value())?;
                    if username_key(&r.info.username) == username_key(&user.username) {
                        mine += 1;
                    }
                }
                if mine >= MAX_TOKENS_PER_USER || total >= MAX_TOKENS {
                    return Err(AuthError::Conflict(format!(
                        "token limit reached ({MAX_TOKENS_PER_USER} per user, {MAX_TOKENS} in all): delete unused tokens first"
                    )));
                }
                t.insert(id.as_str(), serde_json::to_vec(&rec)?.as_slice())?;
            }
            txn.commit()?;
            Ok(NewToken { token: format!("{PREFIX}{id}_{}", hex(&secret)), info })
        })
        .await
    }

    /// Tokens of `username`, or every token when `username` is `None` (admins). Newest first.
    pub async fn list_tokens(&self, username: Option<&str>) -> Result<Vec<TokenInfo>, AuthError> {
        let who = username.map(username_key);
        let mut list = self
            .blocking_db(move |db| {
                let txn = db.begin_read()?;
                let t = match txn.open_table(TOKENS) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                    Err(e) => return Err(e.into()),
                };
                let mut out = Vec::new();
                for e in t.iter()? {
                    let (_, v) = e?;
                    let r: TokenRecord = serde_json::from_slice(v.value())?;
                    if who.as_ref().is_none_or(|w| *w == username_key(&r.info.username)) {
                        out.push(r.info);
                    }
                }
                Ok(out)
            })
            .await?;
        for t in &mut list {
            if let Some(mem) = self.last_used().get(&t.id) {
                t.last_used_ms = Some(t.last_used_ms.map_or(mem, |d| d.max(mem)));
            }
        }
        list.sort_by(|a, b| b.created_ms.cmp(&a.created_ms).then_with(|| a.id.cmp(&b.id)));
        Ok(list)
    }

    /// Deletes token `id`. Only its owner may, unless `as_admin`. Effective at once.
    pub async fn delete_token(&self, id: &str, username: &str, as_admin: bool) -> Result<(), AuthError> {
        let (id, who) = (id.to_string(), username_key(username));
        self.blocking_db(move |db| {
            let mut txn = db.begin_write()?;
            txn.set_durability(Durability::Immediate)?;
            {
                let mut t = txn.open_table(TOKENS)?;
                let rec: Option<TokenRecord> = match t.get(id.as_str())? {
                    Some(v) => Some(serde_json::from_slice(v.value())?),
                    None => None,
                };
                match rec {
                    Some(r) if as_admin || username_key(&r.info.username) == who => {
                        t.remove(id.as_str())?;
                    }
                    // Someone else's token is "not found" for a non-admin: no probing ids.
                    _ => return Err(AuthError::NotFound(format!("token `{id}` does not exist"))),
                }
            }
            txn.commit()?;
            Ok(())
        })
        .await
    }

    /// The identity behind a presented bearer token, or `Ok(None)` for a malformed,
    /// unknown, wrong, expired or orphaned one. Every check counts against `client` in the
    /// login limiter first and is refunded on success, so guessing is rate-limited.
    pub async fn authenticate_token(&self, presented: &str, client: IpAddr) -> Result<Option<TokenUser>, AuthError> {
        self.limiter().begin_address_attempt(client).map_err(AuthError::RateLimited)?;
        let Some((id, secret)) = parse_token(presented) else {
            tracing::info!(client = %client, "malformed API token");
            return Ok(None);
        };
        let now = now_ms();
        let id_for_db = id.clone();
        let found = self
            .blocking_db(move |db| {
                let txn = db.begin_read()?;
                let t = match txn.open_table(TOKENS) {
                    Ok(t) => t,
                    Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                    Err(e) => return Err(e.into()),
                };
                let Some(v) = t.get(id_for_db.as_str())? else { return Ok(None) };
                let rec: TokenRecord = serde_json::from_slice(v.value())?;
                let user = super::store::get_user(db, &rec.info.username)?;
                Ok(Some((rec, user)))
            })
            .await?;
        let hash: [u8; 32] = Sha256::digest(secret).into();
        let Some((rec, Some(user))) = found else {
            tracing::info!(client = %client, "unknown API token");
            return Ok(None);
        };
        let secret_ok: bool = rec.secret_sha256[..].ct_eq(&hash[..]).into();
        let live = rec.info.expires_ms.is_none_or(|e| now < e) && user.created_ms == rec.user_created_ms;
        if !secret_ok || !live {
            tracing::info!(client = %client, token = %rec.info.id, "rejected API token (wrong, expired or orphaned)");
            return Ok(None);
        }
        self.limiter().address_attempt_succeeded(client);
        if self.last_used().touch(&id, rec.info.last_used_ms, now) {
            let db_id = id.clone();
            // Best effort: the in-memory value answers `GET /api/tokens` meanwhile.
            let _ = self
                .blocking_db(move |db| {
                    let mut txn = db.begin_write()?;
                    txn.set_durability(Durability::None)?;
                    {
                        let mut t = txn.open_table(TOKENS)?;
                        let rec: Option<TokenRecord> = match t.get(db_id.as_str())? {
                            Some(v) => Some(serde_json::from_slice(v.value())?),
                            None => None,
                        };
                        if let Some(mut r) = rec {
                            r.info.last_used_ms = Some(now);
                            t.insert(db_id.as_str(), serde_json::to_vec(&r)?.as_slice())?;
                        }
                    }
                    txn.commit()?;
                    Ok(())
                })
                .await;
        }
        Ok(Some(TokenUser { username: user.username, role: rec.info.scope.role().min(user.role), token_id: id }))
    }

    async fn blocking_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, AuthError> + Send + 'static,
    ) -> Result<T, AuthError> {
        let db = self.db();
        tokio::task::spawn_blocking(move || f(&db)).await?
    }
}

/// `ovl_<16 hex>_<64 hex>` → (id, secret bytes).
fn parse_token(s: &str) -> Option<(String, [u8; SECRET_BYTES])> {
    let s = s.trim();
    if s.len() > MAX_PRESENTED_BYTES {
        return None;
    }
    let rest = s.strip_prefix(PREFIX)?;
    let (id, secret_hex) = rest.split_once('_')?;
    if id.len() != ID_BYTES * 2 || !id.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = unhex(secret_hex)?;
    let secret: [u8; SECRET_BYTES] = bytes.try_into().ok()?;
    Some((id.to_ascii_lowercase(), secret))
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| {
            let v = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
            Some(v(p[0])? << 4 | v(p[1])?)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_format_round_trips_and_rejects_near_misses() {
        let secret = [7u8; 32];
        let t = format!("ovl_0123456789abcdef_{}", hex(&secret));
        assert_eq!(parse_token(&t), Some(("0123456789abcdef".to_string(), secret)));
        assert_eq!(parse_token(&t[..t.len() - 2]), None);
        assert_eq!(parse_token(&t.replace("ovl_", "ovx_")), None);
        assert_eq!(parse_token(&format!("{t}00")), None);
        assert_eq!(parse_token("ovl_0123_00"), None);
        assert_eq!(parse_token(&"a".repeat(10_000)), None);
    }

    #[test]
    fn scopes_never_exceed_the_user() {
        assert_eq!(TokenScope::Admin.role().min(Role::Member), Role::Member);
        assert_eq!(TokenScope::Read.role().min(Role::Admin), Role::Viewer);
        assert_eq!(TokenScope::Command.role().min(Role::Viewer), Role::Viewer);
    }
}
