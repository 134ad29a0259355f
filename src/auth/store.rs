//! The auth tables in `state.redb` and every transaction on them.
//!
//! Owns: `auth_users` (lower-cased username → user record), `auth_sessions` (SHA-256 of a
//! session id → session record) and `auth_user_sessions` (username → its session hashes,
//! so a user's sessions can be revoked without a scan). Each write is one small
//! transaction with Immediate durability that also checks its own invariants (the last
//! admin, the user count, one session table entry per index entry).
//! Never: hashes passwords (callers pass finished hashes), sees a raw session id, or runs
//! on an async worker thread (callers use the blocking pool for writes).
//!
//! Records are JSON: tiny, readable in a debugger, and tolerant of fields added later.

use redb::{
    Database, Durability, MultimapTableDefinition, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::{Deserialize, Serialize};

use super::{AuthError, MAX_SESSIONS_PER_USER, MAX_USERS, Role, username_key};

const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("auth_users");
const SESSIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("auth_sessions");
const USER_SESSIONS: MultimapTableDefinition<&str, &[u8]> = MultimapTableDefinition::new("auth_user_sessions");

/// A stored user. `password_hash` is a PHC argon2 string or an imported bcrypt hash; its
/// `Debug` output leaves the hash out.
#[derive(Clone, Serialize, Deserialize)]
pub struct UserRecord {
    pub username: String,
    pub role: Role,
    pub password_hash: String,
    pub created_ms: i64,
    #[serde(default)]
    pub last_login_ms: Option<i64>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("password_hash", &"<redacted>")
            .field("created_ms", &self.created_ms)
            .field("last_login_ms", &self.last_login_ms)
            .finish()
    }
}

/// What clients may see of a user (docs/api.md `GET /api/admin/users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct UserInfo {
    pub username: String,
    pub role: Role,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

impl From<&UserRecord> for UserInfo {
    fn from(u: &UserRecord) -> Self {
        UserInfo {
            username: u.username.clone(),
            role: u.role,
            created_ms: u.created_ms,
            last_login_ms: u.last_login_ms,
        }
    }
}

/// A stored session, keyed by the SHA-256 of its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    /// `username_key` of the owner.
    pub user_key: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// A session found by its hash, joined with its (current) user.
#[derive(Debug, Clone)]
pub struct FoundSession {
    pub session: SessionRecord,
    pub user: UserRecord,
}

/// Creates the tables if missing. Called once at start (server and CLI).
pub fn ensure_tables(db: &Database) -> Result<(), AuthError> {
    let txn = write_txn(db)?;
    txn.open_table(USERS)?;
    txn.open_table(SESSIONS)?;
    txn.open_multimap_table(USER_SESSIONS)?;
    txn.commit()?;
    Ok(())
}

pub fn user_count(db: &Database) -> Result<u64, AuthError> {
    let txn = db.begin_read()?;
    Ok(txn.open_table(USERS)?.len()?)
}

pub fn get_user(db: &Database, name: &str) -> Result<Option<UserRecord>, AuthError> {
    let txn = db.begin_read()?;
    let users = txn.open_table(USERS)?;
    let key = username_key(name);
    match users.get(key.as_str())? {
        Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
        None => Ok(None),
    }
}

/// Every user, sorted by name.
pub fn list_users(db: &Database) -> Result<Vec<UserInfo>, AuthError> {
    let txn = db.begin_read()?;
    let users = txn.open_table(USERS)?;
    let mut out = Vec::new();
    for entry in users.iter()? {
        let (_, v) = entry?;
        let rec: UserRecord = serde_json::from_slice(v.value())?;
        out.push(UserInfo::from(&rec));
    }
    Ok(out)
}

/// Inserts a new user. With `only_if_empty` (first-run setup) it fails with `SetupDone`
/// when any user exists, checked inside the same transaction so two setups cannot race.
pub fn insert_user(db: &Database, rec: &UserRecord, only_if_empty: bool) -> Result<(), AuthError> {
    let txn = write_txn(db)?;
    {
        let mut users = txn.open_table(USERS)?;
        let count = users.len()?;
        if only_if_empty && count > 0 {
            return Err(AuthError::SetupDone);
        }
        let key = username_key(&rec.username);
        if users.get(key.as_str())?.is_some() {
            return Err(AuthError::Conflict(format!(
                "user `{}` already exists: pick another name or change that user",
                rec.username
            )));
        }
        if count >= MAX_USERS as u64 {
            return Err(AuthError::Conflict(format!(
                "there are already {MAX_USERS} users, the most this server keeps: remove one first"
            )));
        }
        users.insert(key.as_str(), serde_json::to_vec(rec)?.as_slice())?;
    }
    txn.commit()?;
    Ok(())
}

/// Changes a user's password hash and/or role in one transaction. A new password revokes
/// every session of the user; demoting the last admin is refused (409).
pub fn update_user(
    db: &Database,
    name: &str,
    new_hash: Option<String>,
    new_role: Option<Role>,
) -> Result<UserRecord, AuthError> {
    let key = username_key(name);
    let txn = write_txn(db)?;
    let updated = {
        let mut users = txn.open_table(USERS)?;
        let mut rec = read_user(&users, &key)?.ok_or_else(|| no_such_user(name))?;
        if let Some(role) = new_role {
            if rec.role == Role::Admin && role != Role::Admin && admin_count(&users)? <= 1 {
                return Err(last_admin(&rec.username, "demoted"));
            }
            rec.role = role;
        }
        let password_changed = new_hash.is_some();
        if let Some(hash) = new_hash {
            rec.password_hash = hash;
        }
        users.insert(key.as_str(), serde_json::to_vec(&rec)?.as_slice())?;
        if password_changed {
            revoke_all_in(&txn, &key)?;
        }
        rec
    };
    txn.commit()?;
    Ok(updated)
}

/// Deletes a user and all their sessions; the last admin cannot be deleted (409).
pub fn delete_user(db: &Database, name: &str) -> Result<(), AuthError> {
    let key = username_key(name);
    let txn = write_txn(db)?;
    {
        let mut users = txn.open_table(USERS)?;
        let rec = read_user(&users, &key)?.ok_or_else(|| no_such_user(name))?;
        if rec.role == Role::Admin && admin_count(&users)? <= 1 {
            return Err(last_admin(&rec.username, "deleted"));
        }
        users.remove(key.as_str())?;
        revoke_all_in(&txn, &key)?;
    }
    txn.commit()?;
    Ok(())
}

/// Records a successful login in one transaction: `last_login_ms`, an upgraded hash when
/// given, the new session (evicting the user's oldest past [`MAX_SESSIONS_PER_USER`]) and
/// the removal of the user's expired sessions.
pub fn record_login(
    db: &Database,
    name: &str,
    upgraded_hash: Option<String>,
    session_hash: &[u8; 32],
    session: &SessionRecord,
    now_ms: i64,
) -> Result<UserRecord, AuthError> {
    let key = username_key(name);
    let txn = write_txn(db)?;
    let rec = {
        let mut users = txn.open_table(USERS)?;
        // The user may have been deleted while the password was being checked.
        let mut rec = read_user(&users, &key)?.ok_or(AuthError::BadCredentials)?;
        rec.last_login_ms = Some(now_ms);
        if let Some(h) = upgraded_hash {
            rec.password_hash = h;
        }
        users.insert(key.as_str(), serde_json::to_vec(&rec)?.as_slice())?;
        insert_session_in(&txn, &key, session_hash, session, now_ms)?;
        rec
    };
    txn.commit()?;
    Ok(rec)
}

/// First-run setup in one transaction: create the first admin (only while no user exists)
/// and its session.
pub fn create_first_admin(
    db: &Database,
    rec: &UserRecord,
    session_hash: &[u8; 32],
    session: &SessionRecord,
    now_ms: i64,
) -> Result<(), AuthError> {
    let key = username_key(&rec.username);
    let txn = write_txn(db)?;
    {
        let mut users = txn.open_table(USERS)?;
        if users.len()? > 0 {
            return Err(AuthError::SetupDone);
        }
        users.insert(key.as_str(), serde_json::to_vec(rec)?.as_slice())?;
        insert_session_in(&txn, &key, session_hash, session, now_ms)?;
    }
    txn.commit()?;
    Ok(())
}

/// Looks a session up by hash. Expired sessions, and sessions whose user is gone, are
/// answered as absent (the sweeper deletes them later).
pub fn find_session(db: &Database, session_hash: &[u8; 32], now_ms: i64) -> Result<Option<FoundSession>, AuthError> {
    let txn = db.begin_read()?;
    let sessions = txn.open_table(SESSIONS)?;
    let Some(v) = sessions.get(session_hash.as_slice())? else {
        return Ok(None);
    };
    let session: SessionRecord = serde_json::from_slice(v.value())?;
    if session.expires_ms <= now_ms {
        return Ok(None);
    }
    let users = txn.open_table(USERS)?;
    Ok(read_user(&users, &session.user_key)?.map(|user| FoundSession { session, user }))
}

/// Moves a live session's expiry (sliding sessions). A session revoked meanwhile stays
/// revoked: nothing is written when it is gone.
pub fn extend_session(db: &Database, session_hash: &[u8; 32], expires_ms: i64) -> Result<bool, AuthError> {
    let txn = write_txn(db)?;
    let extended = {
        let mut sessions = txn.open_table(SESSIONS)?;
        let current = match sessions.get(session_hash.as_slice())? {
            Some(v) => Some(serde_json::from_slice::<SessionRecord>(v.value())?),
            None => None,
        };
        match current {
            Some(mut s) => {
                s.expires_ms = s.expires_ms.max(expires_ms);
                sessions.insert(session_hash.as_slice(), serde_json::to_vec(&s)?.as_slice())?;
                true
            }
            None => false,
        }
    };
    txn.commit()?;
    Ok(extended)
}

/// Revokes one session (logout). Absent is fine.
pub fn revoke_session(db: &Database, session_hash: &[u8; 32]) -> Result<(), AuthError> {
    let txn = write_txn(db)?;
    {
        let mut sessions = txn.open_table(SESSIONS)?;
        let owner = match sessions.remove(session_hash.as_slice())? {
            Some(v) => Some(serde_json::from_slice::<SessionRecord>(v.value())?.user_key),
            None => None,
        };
        if let Some(owner) = owner {
            let mut index = txn.open_multimap_table(USER_SESSIONS)?;
            index.remove(owner.as_str(), session_hash.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Revokes every session of one user; returns how many there were.
pub fn revoke_all_for_user(db: &Database, name: &str) -> Result<usize, AuthError> {
    let txn = write_txn(db)?;
    let n = revoke_all_in(&txn, &username_key(name))?;
    txn.commit()?;
    Ok(n)
}

/// Deletes every expired session; returns how many.
pub fn purge_expired(db: &Database, now_ms: i64) -> Result<usize, AuthError> {
    let txn = write_txn(db)?;
    let mut removed = 0;
    {
        let mut sessions = txn.open_table(SESSIONS)?;
        let mut index = txn.open_multimap_table(USER_SESSIONS)?;
        let mut expired: Vec<(Vec<u8>, String)> = Vec::new();
        for entry in sessions.iter()? {
            let (k, v) = entry?;
            let s: SessionRecord = serde_json::from_slice(v.value())?;
            if s.expires_ms <= now_ms {
                expired.push((k.value().to_vec(), s.user_key));
            }
        }
        for (hash, owner) in &expired {
            sessions.remove(hash.as_slice())?;
            index.remove(owner.as_str(), hash.as_slice())?;
            removed += 1;
        }
    }
    txn.commit()?;
    Ok(removed)
}

/// Number of stored sessions of one user (expired ones included until purged).
pub fn session_count(db: &Database, name: &str) -> Result<usize, AuthError> {
    let txn = db.begin_read()?;
    let index = txn.open_multimap_table(USER_SESSIONS)?;
    Ok(index.get(username_key(name).as_str())?.count())
}

fn write_txn(db: &Database) -> Result<WriteTransaction, AuthError> {
    let mut txn = db.begin_write()?;
    // Auth writes are rare and must survive a crash right after the answer (a revoked
    // session must stay revoked), so every one is durable on commit.
    txn.set_durability(Durability::Immediate)?;
    Ok(txn)
}

fn read_user(
    users: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<UserRecord>, AuthError> {
    match users.get(key)? {
        Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
        None => Ok(None),
    }
}

fn admin_count(users: &impl ReadableTable<&'static str, &'static [u8]>) -> Result<usize, AuthError> {
    let mut n = 0;
    for entry in users.iter()? {
        let (_, v) = entry?;
        let rec: UserRecord = serde_json::from_slice(v.value())?;
        if rec.role == Role::Admin {
            n += 1;
        }
    }
    Ok(n)
}

fn insert_session_in(
    txn: &WriteTransaction,
    user_key: &str,
    session_hash: &[u8; 32],
    session: &SessionRecord,
    now_ms: i64,
) -> Result<(), AuthError> {
    let mut sessions = txn.open_table(SESSIONS)?;
    let mut index = txn.open_multimap_table(USER_SESSIONS)?;
    // The user's current sessions: drop the expired ones, and the oldest past the cap.
    let mut live: Vec<(i64, Vec<u8>)> = Vec::new();
    let mut dead: Vec<Vec<u8>> = Vec::new();
    for h in index.get(user_key)? {
        let h = h?.value().to_vec();
        match sessions.get(h.as_slice())? {
            Some(v) => {
                let s: SessionRecord = serde_json::from_slice(v.value())?;
                if s.expires_ms <= now_ms {
                    dead.push(h);
                } else {
                    live.push((s.created_ms, h));
                }
            }
            None => dead.push(h),
        }
    }
    live.sort();
    let excess = (live.len() + 1).saturating_sub(MAX_SESSIONS_PER_USER);
    dead.extend(live.into_iter().take(excess).map(|(_, h)| h));
    for h in &dead {
        sessions.remove(h.as_slice())?;
        index.remove(user_key, h.as_slice())?;
    }
    sessions.insert(session_hash.as_slice(), serde_json::to_vec(session)?.as_slice())?;
    index.insert(user_key, session_hash.as_slice())?;
    Ok(())
}

fn revoke_all_in(txn: &WriteTransaction, user_key: &str) -> Result<usize, AuthError> {
    let mut sessions = txn.open_table(SESSIONS)?;
    let mut index = txn.open_multimap_table(USER_SESSIONS)?;
    let mut hashes = Vec::new();
    for h in index.remove_all(user_key)? {
        hashes.push(h?.value().to_vec());
    }
    for h in &hashes {
        sessions.remove(h.as_slice())?;
    }
    Ok(hashes.len())
}

fn no_such_user(name: &str) -> AuthError {
    AuthError::NotFound(format!("user `{name}` does not exist: GET /api/admin/users lists them"))
}

fn last_admin(name: &str, what: &str) -> AuthError {
    AuthError::Conflict(format!("`{name}` is the last admin and cannot be {what}: make another user admin first"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::create(dir.path().join("state.redb")).expect("db");
        ensure_tables(&db).expect("tables");
        (dir, db)
    }

    fn user(name: &str, role: Role) -> UserRecord {
        UserRecord {
            username: name.into(),
            role,
            password_hash: "$argon2id$x".into(),
            created_ms: 1,
            last_login_ms: None,
        }
    }

    fn session(user: &str, created_ms: i64, expires_ms: i64) -> SessionRecord {
        SessionRecord { user_key: username_key(user), created_ms, expires_ms }
    }

    #[test]
    fn usernames_are_unique_regardless_of_case() {
        let (_d, db) = db();
        insert_user(&db, &user("Mossy", Role::Admin), false).expect("insert");
        let err = insert_user(&db, &user("mOSSY", Role::Member), false).expect_err("dup");
        assert!(matches!(err, AuthError::Conflict(_)));
        assert_eq!(get_user(&db, "MOSSY").expect("get").map(|u| u.username), Some("Mossy".into()));
    }

    #[test]
    fn last_admin_cannot_be_deleted_or_demoted() {
        let (_d, db) = db();
        insert_user(&db, &user("boss", Role::Admin), false).expect("insert");
        insert_user(&db, &user("pleb", Role::Member), false).expect("insert");
        assert!(matches!(delete_user(&db, "boss"), Err(AuthError::Conflict(_))));
        assert!(matches!(update_user(&db, "boss", None, Some(Role::Member)), Err(AuthError::Conflict(_))));
        update_user(&db, "pleb", None, Some(Role::Admin)).expect("promote");
        delete_user(&db, "boss").expect("now deletable");
    }

    #[test]
    fn sessions_past_the_per_user_cap_evict_the_oldest() {
        let (_d, db) = db();
        insert_user(&db, &user("a", Role::Admin), false).expect("insert");
        for i in 0..(MAX_SESSIONS_PER_USER as u8 + 3) {
            let s = session("a", i64::from(i), 1_000_000);
            record_login(&db, "a", None, &[i; 32], &s, 10).expect("login");
        }
        assert_eq!(session_count(&db, "a").expect("count"), MAX_SESSIONS_PER_USER);
        assert!(find_session(&db, &[0; 32], 10).expect("find").is_none());
        assert!(find_session(&db, &[MAX_SESSIONS_PER_USER as u8 + 2; 32], 10).expect("find").is_some());
    }

    #[test]
    fn expired_sessions_are_absent_and_purged() {
        let (_d, db) = db();
        insert_user(&db, &user("a", Role::Admin), false).expect("insert");
        record_login(&db, "a", None, &[1; 32], &session("a", 0, 100), 0).expect("login");
        record_login(&db, "a", None, &[2; 32], &session("a", 0, 1_000), 0).expect("login");
        assert!(find_session(&db, &[1; 32], 100).expect("find").is_none());
        assert!(find_session(&db, &[2; 32], 100).expect("find").is_some());
        assert_eq!(purge_expired(&db, 100).expect("purge"), 1);
        assert_eq!(session_count(&db, "a").expect("count"), 1);
    }

    #[test]
    fn password_change_revokes_sessions_but_role_change_does_not() {
        let (_d, db) = db();
        insert_user(&db, &user("a", Role::Admin), false).expect("insert");
        insert_user(&db, &user("b", Role::Admin), false).expect("insert");
        record_login(&db, "a", None, &[1; 32], &session("a", 0, 1_000), 0).expect("login");
        update_user(&db, "a", None, Some(Role::Member)).expect("demote");
        let found = find_session(&db, &[1; 32], 1).expect("find").expect("still there");
        assert_eq!(found.user.role, Role::Member);
        update_user(&db, "a", Some("$argon2id$new".into()), None).expect("passwd");
        assert!(find_session(&db, &[1; 32], 1).expect("find").is_none());
    }

    #[test]
    fn deleting_a_user_revokes_their_sessions_even_if_recreated() {
        let (_d, db) = db();
        insert_user(&db, &user("a", Role::Admin), false).expect("insert");
        insert_user(&db, &user("b", Role::Member), false).expect("insert");
        record_login(&db, "b", None, &[7; 32], &session("b", 0, 1_000), 0).expect("login");
        delete_user(&db, "b").expect("delete");
        insert_user(&db, &user("b", Role::Member), false).expect("recreate");
        assert!(find_session(&db, &[7; 32], 1).expect("find").is_none());
    }

    #[test]
    fn first_admin_can_only_be_created_while_no_user_exists() {
        let (_d, db) = db();
        create_first_admin(&db, &user("a", Role::Admin), &[1; 32], &session("a", 0, 9), 0).expect("setup");
        assert!(matches!(
            create_first_admin(&db, &user("b", Role::Admin), &[2; 32], &session("b", 0, 9), 0),
            Err(AuthError::SetupDone)
        ));
    }
}
