//! Password hashing: argon2id for everything we write, bcrypt (`$2a$`/`$2b$`/`$2y$`)
//! accepted on verify so users carried over from the seed system can sign in once and be
//! upgraded.
//!
//! Owns: the argon2id parameters, the PHC hash strings, the "needs rehash" decision and
//! the dummy hash that makes an unknown user cost as much as a wrong password.
//! Never: logs, stores or returns a password, and never runs on an async worker thread
//! (callers run these functions on the blocking pool: one hash is tens of milliseconds of
//! CPU and 19 MiB of memory with the production parameters).

use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use argon2::{Algorithm, Argon2, Params, Version};

/// Longest password accepted, in bytes. Argon2 has no practical limit, but a password is
/// typed by a person; anything longer is a mistake or an attempt to make us hash megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Shortest password accepted, in characters (docs/api.md: "422 for a weak password (< 8 chars)").
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest stored hash we agree to parse; real argon2id/bcrypt strings are under 128 bytes.
pub const MAX_HASH_STRING_BYTES: usize = 256;

/// Argon2id cost parameters.
///
/// The default is OWASP's Password Storage Cheat Sheet recommendation for argon2id:
/// m = 19 MiB (19,456 KiB), t = 2 iterations, p = 1 lane — about 20–40 ms per hash on
/// this class of machine, which is what bounds a brute-force attempt's cost to us.
/// Tests use [`PasswordHashing::insecure_fast_for_tests`] through `AuthConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordHashing {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordHashing {
    fn default() -> Self {
        PasswordHashing { memory_kib: 19_456, iterations: 2, parallelism: 1 }
    }
}

/// A new password breaks a house rule; the message says what to fix (and is shown to the
/// user, so it never contains the password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than `min` characters.
    #[error("password is too short: use at least {min} characters")]
    TooShort { min: usize },
    /// More than `max` bytes.
    #[error("password is too long: use at most {max} bytes")]
    TooLong { max: usize },
}

/// Hashing could not run: the configured argon2 parameters are unusable, or argon2 itself
/// failed. Internal: the detail is for the operator's log, never a client.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// `PasswordHashing` holds parameters argon2 rejects; the message names the fix.
    #[error(
        "argon2 parameters m={memory_kib} KiB, t={iterations}, p={parallelism} are not usable ({source}); \
         memory must be at least 8 × parallelism KiB and iterations at least 1"
    )]
    UnusableParams {
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        #[source]
        source: argon2::Error,
    },
    /// argon2 failed while hashing (e.g. no randomness for the salt).
    #[error("argon2 hashing failed: {0}")]
    Hash(#[from] argon2::password_hash::Error),
}

/// What a stored hash said about a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Right password, and the stored hash already uses the current argon2id parameters.
    Ok,
    /// Right password, but the stored hash is bcrypt or older argon2 parameters: rehash it.
    OkNeedsRehash,
    /// Wrong password, or a stored hash we cannot read (logged by the caller, never the password).
    Wrong,
}

impl PasswordHashing {
    /// The smallest parameters argon2 accepts. Fast and worthless against an attacker: only
    /// for tests, which hash hundreds of passwords.
    pub fn insecure_fast_for_tests() -> Self {
        PasswordHashing { memory_kib: 8, iterations: 1, parallelism: 1 }
    }

    /// Checks the parameters are ones argon2 accepts; the message names the field to fix.
    pub fn validate(&self) -> Result<(), HashingError> {
        self.params().map(|_| ())
    }

    fn params(&self) -> Result<Params, HashingError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None).map_err(|source| {
            HashingError::UnusableParams {
                memory_kib: self.memory_kib,
                iterations: self.iterations,
                parallelism: self.parallelism,
                source,
            }
        })
    }

    fn hasher(&self) -> Result<Argon2<'static>, HashingError> {
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params()?))
    }

    /// The PHC prefix every hash made with these parameters starts with; a stored hash
    /// with another prefix is rehashed at the next successful login.
    fn current_prefix(&self) -> String {
        format!("$argon2id$v=19$m={},t={},p={}$", self.memory_kib, self.iterations, self.parallelism)
    }

    /// Hashes a password into a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a
    /// fresh random salt.
    pub fn hash(&self, password: &str) -> Result<String, HashingError> {
        let hash = self.hasher()?.hash_password(password.as_bytes())?;
        Ok(hash.to_string())
    }

    /// Verifies `password` against a stored argon2 or bcrypt hash. Comparison of the hash
    /// outputs is constant-time in both libraries.
    pub fn verify(&self, password: &str, stored: &str) -> Verified {
        if stored.len() > MAX_HASH_STRING_BYTES {
            return Verified::Wrong;
        }
        if is_bcrypt(stored) {
            // bcrypt only looks at the first 72 bytes; the seed system hashed that way, so
            // verify that way (the truncating verify), then move the user to argon2id.
            return match bcrypt::verify(password.as_bytes(), stored) {
                Ok(true) => Verified::OkNeedsRehash,
                _ => Verified::Wrong,
            };
        }
        let Ok(parsed) = PasswordHash::new(stored) else {
            return Verified::Wrong;
        };
        // Verification uses the parameters recorded in the hash, not ours.
        let Ok(verifier) = self.hasher() else {
            return Verified::Wrong;
        };
        match verifier.verify_password(password.as_bytes(), &parsed) {
            Ok(()) if stored.starts_with(&self.current_prefix()) => Verified::Ok,
            Ok(()) => Verified::OkNeedsRehash,
            Err(_) => Verified::Wrong,
        }
    }

    /// A hash of a random password nobody knows, made with the current parameters. Unknown
    /// users are verified against it so they cost the same time as a wrong password.
    pub fn dummy_hash(&self) -> Result<String, HashingError> {
        let mut secret = [0u8; 32];
        rand::Rng::fill(&mut rand::rng(), &mut secret);
        let password: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        self.hash(&password)
    }
}

/// Whether a stored hash is a bcrypt hash we can import (`$2a$`, `$2b$`, `$2x$`, `$2y$`).
pub fn is_bcrypt(stored: &str) -> bool {
    ["$2a$", "$2b$", "$2x$", "$2y$"].iter().any(|p| stored.starts_with(p))
}

/// Whether a hash string can be stored for a user: argon2id/argon2i/argon2d PHC strings
/// or bcrypt. Used when importing users with existing hashes.
pub fn is_importable_hash(stored: &str) -> bool {
    if stored.len() > MAX_HASH_STRING_BYTES {
        return false;
    }
    if is_bcrypt(stored) {
        return stored.len() == 60;
    }
    stored.starts_with("$argon2") && PasswordHash::new(stored).is_ok()
}

/// Checks a new password against the house rules; the message says what to fix.
pub fn validate_new_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort { min: MIN_PASSWORD_CHARS });
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong { max: MAX_PASSWORD_BYTES });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_and_rejects_wrong_password() {
        let h = PasswordHashing::insecure_fast_for_tests();
        let stored = h.hash("correct horse").expect("hash");
        assert!(stored.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert_eq!(h.verify("correct horse", &stored), Verified::Ok);
        assert_eq!(h.verify("wrong horse", &stored), Verified::Wrong);
    }

    #[test]
    fn hash_made_with_other_parameters_asks_for_rehash() {
        let old = PasswordHashing { memory_kib: 16, iterations: 1, parallelism: 1 };
        let stored = old.hash("correct horse").expect("hash");
        let now = PasswordHashing::insecure_fast_for_tests();
        assert_eq!(now.verify("correct horse", &stored), Verified::OkNeedsRehash);
    }

    #[test]
    fn bcrypt_2b_hash_verifies_and_asks_for_rehash() {
        let stored = bcrypt::hash("legacy password", 4).expect("bcrypt");
        assert!(stored.starts_with("$2b$04$"));
        let h = PasswordHashing::insecure_fast_for_tests();
        assert_eq!(h.verify("legacy password", &stored), Verified::OkNeedsRehash);
        assert_eq!(h.verify("legacy passwore", &stored), Verified::Wrong);
        assert!(is_importable_hash(&stored));
    }

    #[test]
    fn garbage_hash_never_verifies() {
        let h = PasswordHashing::insecure_fast_for_tests();
        assert_eq!(h.verify("anything", "not a hash"), Verified::Wrong);
        assert_eq!(h.verify("anything", "$argon2id$v=19$garbage"), Verified::Wrong);
        assert!(!is_importable_hash("plaintext"));
    }

    #[test]
    fn password_rules_count_characters_and_bound_bytes() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("ééééééé").is_err());
        assert!(validate_new_password("éééééééé").is_ok());
        assert!(validate_new_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }

    #[test]
    fn default_parameters_are_the_owasp_argon2id_recommendation() {
        let d = PasswordHashing::default();
        assert_eq!((d.memory_kib, d.iterations, d.parallelism), (19_456, 2, 1));
        assert!(d.validate().is_ok());
        assert!(PasswordHashing { memory_kib: 1, iterations: 1, parallelism: 1 }.validate().is_err());
    }
}
