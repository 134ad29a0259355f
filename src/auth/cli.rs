//! `overlord user add|passwd|list|remove|import`: user administration from the host,
//! working directly on `state.redb` (the server must be stopped: redb locks the file).
//!
//! Owns: reading a password from a tty prompt (asked twice) or, when stdin is not a tty,
//! from one line of stdin; the text the commands print. Never: takes a password from
//! the command line (it would land in shell history and `ps`), or echoes one.

use std::io::{BufRead, IsTerminal, Read};

use redb::Database;

use super::password::{MAX_PASSWORD_BYTES, is_importable_hash, validate_new_password};
use super::store::{self, UserRecord};
use super::{AuthError, PasswordHashing, Role, UserInfo, now_ms, validate_username};

/// Adds a user, reading the password from the tty (twice) or from one stdin line.
pub fn user_add(db: &Database, hashing: &PasswordHashing, username: &str, role: Role) -> Result<UserInfo, AuthError> {
    validate_username(username)?;
    let password = read_new_password(username)?;
    user_add_with_password(db, hashing, username, role, &password)
}

/// Adds a user with a password already read. 409 if the name exists in any case.
pub fn user_add_with_password(
    db: &Database,
    hashing: &PasswordHashing,
    username: &str,
    role: Role,
    password: &str,
) -> Result<UserInfo, AuthError> {
    validate_username(username)?;
    validate_new_password(password)?;
    store::ensure_tables(db)?;
    let rec = UserRecord {
        username: username.to_string(),
        role,
        password_hash: hashing.hash(password)?,
        created_ms: now_ms(),
        last_login_ms: None,
    };
    store::insert_user(db, &rec, false)?;
    Ok(UserInfo::from(&rec))
}

/// Sets a new password, reading it like [`user_add`]; revokes all the user's sessions.
/// Returns how many sessions were revoked.
pub fn user_passwd(db: &Database, hashing: &PasswordHashing, username: &str) -> Result<usize, AuthError> {
    store::ensure_tables(db)?;
    if store::get_user(db, username)?.is_none() {
        return Err(AuthError::NotFound(format!("user `{username}` does not exist: `overlord user list` shows them")));
    }
    let password = read_new_password(username)?;
    user_passwd_with_password(db, hashing, username, &password)
}

/// Sets a new password already read; revokes all the user's sessions.
pub fn user_passwd_with_password(
    db: &Database,
    hashing: &PasswordHashing,
    username: &str,
    password: &str,
) -> Result<usize, AuthError> {
    validate_new_password(password)?;
    store::ensure_tables(db)?;
    let hash = hashing.hash(password)?;
    let sessions = store::session_count(db, username)?;
    // Revokes the user's sessions in the same transaction.
    store::update_user(db, username, Some(hash), None)?;
    Ok(sessions)
}

/// Every user, sorted by name.
pub fn user_list(db: &Database) -> Result<Vec<UserInfo>, AuthError> {
    store::ensure_tables(db)?;
    store::list_users(db)
}

/// Removes a user and their sessions; refuses the last admin.
pub fn user_remove(db: &Database, username: &str) -> Result<(), AuthError> {
    store::ensure_tables(db)?;
    store::delete_user(db, username)
}

/// Carries a user over from the seed system with their existing hash (bcrypt `$2b$` or
/// an argon2 PHC string); it is rehashed to argon2id at their first successful login.
pub fn user_import_hash(db: &Database, username: &str, role: Role, password_hash: &str) -> Result<UserInfo, AuthError> {
    validate_username(username)?;
    let hash = password_hash.trim();
    if !is_importable_hash(hash) {
        return Err(AuthError::Invalid(
            "the hash is neither bcrypt ($2a$/$2b$/$2y$, 60 chars) nor an argon2 PHC string".into(),
        ));
    }
    store::ensure_tables(db)?;
    let rec = UserRecord {
        username: username.to_string(),
        role,
        password_hash: hash.to_string(),
        created_ms: now_ms(),
        last_login_ms: None,
    };
    store::insert_user(db, &rec, false)?;
    Ok(UserInfo::from(&rec))
}

/// A plain-text table for `overlord user list`.
pub fn format_user_list(users: &[UserInfo]) -> String {
    let width = users.iter().map(|u| u.username.len()).max().unwrap_or(0).max("USERNAME".len());
    let mut out = format!("{:<width$}  ROLE    CREATED               LAST LOGIN\n", "USERNAME");
    for u in users {
        out.push_str(&format!(
            "{:<width$}  {:<6}  {:<20}  {}\n",
            u.username,
            u.role.as_str(),
            format_ms(Some(u.created_ms)),
            format_ms(u.last_login_ms),
        ));
    }
    out
}

/// Reads a new password: prompted twice on a tty, else one line of stdin (for scripts:
/// `printf '%s\n' "$PW" | overlord user add NAME`).
pub fn read_new_password(username: &str) -> Result<String, AuthError> {
    let input = std::io::stdin();
    if input.is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {username}: "))
            .map_err(|e| AuthError::Invalid(format!("could not read the password: {e}")))?;
        let second = rpassword::prompt_password("Repeat it: ")
            .map_err(|e| AuthError::Invalid(format!("could not read the password: {e}")))?;
        if first != second {
            return Err(AuthError::Invalid("the two passwords differ: run the command again".into()));
        }
        Ok(first)
    } else {
        read_password_line(&mut input.lock())
    }
}

/// One line from a reader, without its line ending, at most [`MAX_PASSWORD_BYTES`].
pub fn read_password_line(reader: &mut impl BufRead) -> Result<String, AuthError> {
    let mut line = String::new();
    // One byte more than allowed plus room for "\r\n", so "too long" is detectable.
    let limit = (MAX_PASSWORD_BYTES + 3) as u64;
    reader
        .take(limit)
        .read_line(&mut line)
        .map_err(|e| AuthError::Invalid(format!("could not read the password from stdin: {e}")))?;
    let password = line.strip_suffix('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).unwrap_or(&line);
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::Invalid(format!("password is too long: use at most {MAX_PASSWORD_BYTES} bytes")));
    }
    if password.is_empty() {
        return Err(AuthError::Invalid(
            "no password on stdin: pipe one line, or run from a terminal to be prompted".into(),
        ));
    }
    Ok(password.to_string())
}

fn format_ms(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| "never".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Database::create(dir.path().join("state.redb")).expect("db");
        (dir, db)
    }

    #[test]
    fn stdin_password_line_drops_only_the_line_ending() {
        let mut r = std::io::Cursor::new(b" pass word \r\nnext".to_vec());
        assert_eq!(read_password_line(&mut r).expect("read"), " pass word ");
        let mut r = std::io::Cursor::new(b"no newline".to_vec());
        assert_eq!(read_password_line(&mut r).expect("read"), "no newline");
        let mut r = std::io::Cursor::new(b"\n".to_vec());
        assert!(read_password_line(&mut r).is_err());
        let mut r = std::io::Cursor::new(vec![b'x'; MAX_PASSWORD_BYTES + 10]);
        assert!(read_password_line(&mut r).is_err());
    }

    #[test]
    fn cli_add_list_passwd_remove_round_trip() {
        let (_d, db) = db();
        let h = PasswordHashing::insecure_fast_for_tests();
        user_add_with_password(&db, &h, "Boss", Role::Admin, "password1").expect("add");
        user_add_with_password(&db, &h, "Pleb", Role::Member, "password2").expect("add");
        assert!(matches!(
            user_add_with_password(&db, &h, "boss", Role::Member, "password3"),
            Err(AuthError::Conflict(_))
        ));
        assert!(matches!(user_add_with_password(&db, &h, "x", Role::Member, "short"), Err(AuthError::Invalid(_))));
        let users = user_list(&db).expect("list");
        assert_eq!(users.len(), 2);
        let table = format_user_list(&users);
        assert!(table.contains("Boss") && table.contains("member") && table.contains("never"));
        user_passwd_with_password(&db, &h, "pleb", "password9").expect("passwd");
        let stored = store::get_user(&db, "pleb").expect("get").expect("user");
        assert_eq!(h.verify("password9", &stored.password_hash), super::super::password::Verified::Ok);
        assert!(matches!(user_remove(&db, "boss"), Err(AuthError::Conflict(_))));
        user_remove(&db, "pleb").expect("remove");
        assert!(matches!(user_remove(&db, "pleb"), Err(AuthError::NotFound(_))));
    }

    #[test]
    fn import_accepts_bcrypt_and_refuses_plaintext() {
        let (_d, db) = db();
        let bc = bcrypt::hash("legacy pw", 4).expect("bcrypt");
        user_import_hash(&db, "old", Role::Admin, &bc).expect("import");
        assert!(matches!(user_import_hash(&db, "plain", Role::Member, "hunter22"), Err(AuthError::Invalid(_))));
    }
}
