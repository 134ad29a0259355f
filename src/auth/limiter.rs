//! Login rate limiting that an attacker cannot turn against a user.
//!
//! Two independent rules:
//! - **Per client address** (IPv6 per /64, the block one subscriber usually holds): at most
//!   `max_failures` attempts in a fixed window; past that, 429 until the window ends. An
//!   address can only lock itself out.
//! - **Per username**, across all addresses: the first `max_failures` failures are free;
//!   after that each attempt must wait a delay that doubles from [`USER_DELAY_BASE`] up to
//!   [`USER_DELAY_MAX`] (429 with the wait meanwhile). It slows guessing; it never locks:
//!   the delay is seconds, and an address this user has signed in from before (remembered
//!   for [`KNOWN_ADDRESS_TTL`]) skips it, so strangers on other addresses cannot keep a
//!   member out. A user's record is forgotten [`USER_FORGET_AFTER`] after its last attempt.
//!
//! Bound (documented in README "Security"): one account guessed from any number of
//! addresses gets at most `max_failures` + 6 + 59 + 1 (76 with the default 10) guesses in
//! its first hour and 60 an hour after that; from the user's own known addresses, only the
//! per-address rule applies.
//!
//! Owns: bounded in-memory maps. Never: touches storage, sees a password, or grows past
//! [`MAX_TRACKED_KEYS`] entries per map. An attempt is counted *before* the password is
//! checked and refunded on success, so a burst of parallel guesses cannot slip past the
//! limit while hashes are computed. Unknown usernames are counted like real ones, so a 429
//! never reveals that an account exists.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept per map (addresses, usernames, known sign-in addresses). At ~100 bytes
/// each this caps the limiter near 3 MB; when full, expired entries go first, then the oldest.
pub const MAX_TRACKED_KEYS: usize = 10_000;
/// The first per-username delay once the free failures are used up; it doubles per attempt.
pub const USER_DELAY_BASE: Duration = Duration::from_secs(1);
/// The per-username delay stops growing here: guessing stays at one try a minute, and a
/// member on a new address waits at most this long.
pub const USER_DELAY_MAX: Duration = Duration::from_secs(60);
/// A username's failures are forgotten this long after its last attempt.
pub const USER_FORGET_AFTER: Duration = Duration::from_secs(3600);
/// An address a user signed in from skips that user's delay for this long.
pub const KNOWN_ADDRESS_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Username keys are cut to this many bytes: longer names cannot exist (32 chars) and an
/// attacker must not make us store long strings.
const MAX_USERNAME_KEY_BYTES: usize = 128;

/// Per-address windows, per-username growing delays, and known sign-in addresses.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    maps: Mutex<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    by_addr: HashMap<IpAddr, Bucket>,
    by_user: HashMap<String, UserDelay>,
    /// (username key, address key) → last successful sign-in.
    known: HashMap<(String, IpAddr), Instant>,
}

#[derive(Debug, Clone, Copy)]
struct UserDelay {
    failures: u32,
    last_attempt: Instant,
    next_allowed: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    window_start: Instant,
    attempts: u32,
}

/// The limit is reached: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up, at least 1 (the `Retry-After` header value).
    pub fn seconds(&self) -> u64 {
        let s = self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0);
        s.max(1)
    }
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginLimiter { max_failures: max_failures.max(1), window, maps: Mutex::new(Maps::default()) }
    }

    /// Counts one attempt for `addr` and `username` unless either is over the limit, in
    /// which case nothing is counted and the wait is returned.
    pub fn begin_attempt(&self, addr: IpAddr, username: &str) -> Result<(), RetryAfter> {
        self.begin_attempt_at(addr, Some(username), Instant::now())
    }

    /// Like [`Self::begin_attempt`] for attempts that name no account (first-run setup):
    /// only the address is counted, so strangers cannot lock setup for everyone.
    pub fn begin_address_attempt(&self, addr: IpAddr) -> Result<(), RetryAfter> {
        self.begin_attempt_at(addr, None, Instant::now())
    }

    /// Refunds a successful [`Self::begin_address_attempt`].
    pub fn address_attempt_succeeded(&self, addr: IpAddr) {
        let mut maps = self.lock();
        if let Some(b) = maps.by_addr.get_mut(&addr_key(addr)) {
            b.attempts = b.attempts.saturating_sub(1);
        }
    }

    /// Records a successful sign-in: the address becomes known for this user (it skips the
    /// username's delay from now on) and gets its attempt back (a success does not wipe an
    /// address's other failures, so one valid account cannot be used to reset a guessing
    /// run against others).
    pub fn attempt_succeeded(&self, addr: IpAddr, username: &str) {
        self.attempt_succeeded_at(addr, username, Instant::now());
    }

    fn attempt_succeeded_at(&self, addr: IpAddr, username: &str, now: Instant) {
        let (user, addr) = (user_key(username), addr_key(addr));
        let mut maps = self.lock();
        // The username's delay is kept: clearing it on every success would hand strangers
        // a fresh set of free guesses each time the real user signs in. The user's own
        // address is known from now on and skips the delay anyway.
        if let Some(b) = maps.by_addr.get_mut(&addr) {
            b.attempts = b.attempts.saturating_sub(1);
        }
        let key = (user, addr);
        if !maps.known.contains_key(&key) && maps.known.len() >= MAX_TRACKED_KEYS {
            maps.known.retain(|_, at| now.duration_since(*at) < KNOWN_ADDRESS_TTL);
            if maps.known.len() >= MAX_TRACKED_KEYS
                && let Some(oldest) = maps.known.iter().min_by_key(|(_, at)| **at).map(|(k, _)| k.clone())
            {
                maps.known.remove(&oldest);
            }
        }
        maps.known.insert(key, now);
    }

    /// Number of tracked (address, username) keys; for tests and metrics.
    pub fn tracked(&self) -> (usize, usize) {
        let maps = self.lock();
        (maps.by_addr.len(), maps.by_user.len().max(maps.known.len()))
    }

    fn begin_attempt_at(&self, addr: IpAddr, username: Option<&str>, now: Instant) -> Result<(), RetryAfter> {
        let addr = addr_key(addr);
        let user = username.map(user_key);
        let mut maps = self.lock();
        let wait_addr = self.blocked_for(maps.by_addr.get(&addr), now);
        let wait_user = user.as_ref().and_then(|u| {
            let known =
                maps.known.get(&(u.clone(), addr)).is_some_and(|at| now.duration_since(*at) < KNOWN_ADDRESS_TTL);
            if known {
                return None;
            }
            let d = maps.by_user.get(u).filter(|d| now.duration_since(d.last_attempt) < USER_FORGET_AFTER)?;
            (d.failures >= self.max_failures && now < d.next_allowed).then(|| d.next_allowed - now)
        });
        if let Some(wait) = wait_addr.max(wait_user) {
            return Err(RetryAfter(wait));
        }
        let (max_failures, window) = (self.max_failures, self.window);
        count(&mut maps.by_addr, addr, now, window, max_failures);
        if let Some(user) = user {
            count_user(&mut maps.by_user, user, now, max_failures);
        }
        Ok(())
    }

    fn blocked_for(&self, bucket: Option<&Bucket>, now: Instant) -> Option<Duration> {
        let b = bucket?;
        let ends = b.window_start + self.window;
        (now < ends && b.attempts >= self.max_failures).then(|| ends - now)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Maps> {
        // A panic while holding this lock cannot leave the counters inconsistent in a way
        // that matters (worst case one attempt is miscounted), so keep going.
        self.maps.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn count<K: Hash + Eq + Clone>(
    map: &mut HashMap<K, Bucket>,
    key: K,
    now: Instant,
    window: Duration,
    max_failures: u32,
) {
    if !map.contains_key(&key) && map.len() >= MAX_TRACKED_KEYS {
        make_room(map, now, window);
    }
    let b = map.entry(key).or_insert(Bucket { window_start: now, attempts: 0 });
    if now.duration_since(b.window_start) >= window {
        *b = Bucket { window_start: now, attempts: 0 };
    }
    b.attempts = b.attempts.saturating_add(1).min(max_failures);
}

/// Counts one attempt against a username and sets when the next may come.
fn count_user(map: &mut HashMap<String, UserDelay>, user: String, now: Instant, free_failures: u32) {
    if !map.contains_key(&user) && map.len() >= MAX_TRACKED_KEYS {
        map.retain(|_, d| now.duration_since(d.last_attempt) < USER_FORGET_AFTER);
        if map.len() >= MAX_TRACKED_KEYS
            && let Some(oldest) = map.iter().min_by_key(|(_, d)| d.last_attempt).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
    }
    let d = map.entry(user).or_insert(UserDelay { failures: 0, last_attempt: now, next_allowed: now });
    if now.duration_since(d.last_attempt) >= USER_FORGET_AFTER {
        *d = UserDelay { failures: 0, last_attempt: now, next_allowed: now };
    }
    d.failures = d.failures.saturating_add(1);
    d.last_attempt = now;
    if d.failures >= free_failures {
        d.next_allowed = now + user_delay(d.failures - free_failures);
    }
}

/// The wait after the `k`-th attempt past the free ones: base · 2^k, capped.
fn user_delay(k: u32) -> Duration {
    USER_DELAY_BASE.saturating_mul(1u32 << k.min(16)).min(USER_DELAY_MAX)
}

fn make_room<K: Hash + Eq + Clone>(map: &mut HashMap<K, Bucket>, now: Instant, window: Duration) {
    map.retain(|_, b| now.duration_since(b.window_start) < window);
    if map.len() >= MAX_TRACKED_KEYS {
        let oldest = map.iter().min_by_key(|(_, b)| b.window_start).map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            map.remove(&k);
        }
    }
}

fn addr_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let masked = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(masked.into())
        }
        v4 => v4,
    }
}

fn user_key(username: &str) -> String {
    let lower = username.trim().to_lowercase();
    if lower.len() <= MAX_USERNAME_KEY_BYTES {
        return lower;
    }
    let mut cut = MAX_USERNAME_KEY_BYTES;
    while !lower.is_char_boundary(cut) {
        cut -= 1;
    }
    lower[..cut].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn stranger(i: u32) -> IpAddr {
        IpAddr::V4((0x0A00_0000 + i).into())
    }

    #[test]
    fn address_is_blocked_after_max_failures_until_window_ends() {
        let l = LoginLimiter::new(3, Duration::from_secs(300));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.begin_attempt_at(ip("1.2.3.4"), Some(&format!("u{i}")), t0).is_ok());
        }
        let wait =
            l.begin_attempt_at(ip("1.2.3.4"), Some("other"), t0 + Duration::from_secs(100)).expect_err("blocked");
        assert_eq!(wait.seconds(), 200);
        assert!(l.begin_attempt_at(ip("1.2.3.4"), Some("other"), t0 + Duration::from_secs(300)).is_ok());
    }

    #[test]
    fn username_guessing_across_addresses_is_slowed_with_growing_delays() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("Mossy"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("2.2.2.2"), Some("mossy"), t0).is_ok());
        // Free failures used: 1 s, then 2 s, then 4 s between attempts, whatever the address.
        assert_eq!(l.begin_attempt_at(ip("3.3.3.3"), Some("MOSSY"), t0).map_err(|w| w.seconds()), Err(1));
        let t1 = t0 + Duration::from_secs(1);
        assert!(l.begin_attempt_at(ip("3.3.3.3"), Some("MOSSY"), t1).is_ok());
        assert_eq!(l.begin_attempt_at(ip("4.4.4.4"), Some("mossy"), t1).map_err(|w| w.seconds()), Err(2));
        let t2 = t1 + Duration::from_secs(2);
        assert!(l.begin_attempt_at(ip("4.4.4.4"), Some("mossy"), t2).is_ok());
        assert_eq!(l.begin_attempt_at(ip("5.5.5.5"), Some("mossy"), t2).map_err(|w| w.seconds()), Err(4));
        // Forgotten an hour after the last attempt.
        let later = t2 + USER_FORGET_AFTER;
        assert!(l.begin_attempt_at(ip("6.6.6.6"), Some("mossy"), later).is_ok());
        assert!(l.begin_attempt_at(ip("7.7.7.7"), Some("mossy"), later).is_ok());
    }

    #[test]
    fn delays_stop_growing_at_the_maximum() {
        assert_eq!(user_delay(0), USER_DELAY_BASE);
        assert_eq!(user_delay(3), Duration::from_secs(8));
        assert_eq!(user_delay(6), USER_DELAY_MAX);
        assert_eq!(user_delay(u32::MAX), USER_DELAY_MAX);
    }

    #[test]
    fn strangers_cannot_keep_a_user_out_of_an_address_they_signed_in_from() {
        let l = LoginLimiter::new(10, Duration::from_secs(300));
        let t0 = Instant::now();
        let home = ip("203.0.113.7");
        assert!(l.begin_attempt_at(home, Some("victim"), t0).is_ok());
        l.attempt_succeeded_at(home, "victim", t0);
        // An hour of guessing from thousands of addresses, as fast as they are let through.
        let mut now = t0;
        for i in 0..36_000u32 {
            now += Duration::from_millis(100);
            let _ = l.begin_attempt_at(stranger(i), Some("victim"), now);
            if i % 600 == 0 {
                assert!(l.begin_attempt_at(home, Some("victim"), now).is_ok(), "home refused at attempt {i}");
                l.attempt_succeeded_at(home, "victim", now);
            }
        }
    }

    #[test]
    fn guesses_against_one_account_from_many_addresses_stay_under_the_documented_bound() {
        let free = 10;
        let l = LoginLimiter::new(free, Duration::from_secs(300));
        let t0 = Instant::now();
        let mut allowed = 0u32;
        let mut now = t0;
        let mut i = 0u32;
        while now < t0 + Duration::from_secs(3600) {
            i += 1;
            if l.begin_attempt_at(stranger(i), Some("victim"), now).is_ok() {
                allowed += 1;
            }
            now += Duration::from_millis(50);
        }
        // README "Security": max_failures + 6 + 59 + 1 in the first hour.
        assert!(allowed <= free + 66, "{allowed} guesses in an hour");
        assert!(allowed >= free + 60, "{allowed}: the delay should allow about one a minute");
        // The second hour: one a minute.
        let mut second = 0u32;
        let end = now + Duration::from_secs(3600);
        while now < end {
            i += 1;
            if l.begin_attempt_at(stranger(i), Some("victim"), now).is_ok() {
                second += 1;
            }
            now += Duration::from_millis(50);
        }
        assert!(second <= 61, "{second} guesses in the second hour");
    }

    #[test]
    fn success_remembers_the_address_and_refunds_one_address_attempt() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        l.attempt_succeeded_at(ip("1.1.1.1"), "a", t0);
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("b"), t0).is_err());
    }

    #[test]
    fn a_known_address_still_obeys_its_own_address_limit() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        l.attempt_succeeded_at(ip("1.1.1.1"), "a", t0);
        for _ in 0..3 {
            assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        }
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_err());
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let l = LoginLimiter::new(1, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.begin_attempt_at(ip("2001:db8::1"), Some("a"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("2001:db8::ffff"), Some("b"), t0).is_err());
        assert!(l.begin_attempt_at(ip("2001:db8:0:1::1"), Some("c"), t0).is_ok());
    }

    #[test]
    fn maps_never_exceed_their_bound() {
        let l = LoginLimiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..(MAX_TRACKED_KEYS as u32 + 50) {
            let addr = IpAddr::V4(i.into());
            let _ = l.begin_attempt_at(addr, Some(&format!("user{i}")), t0);
            l.attempt_succeeded_at(addr, &format!("user{i}"), t0);
        }
        let (a, u) = l.tracked();
        assert!(a <= MAX_TRACKED_KEYS && u <= MAX_TRACKED_KEYS);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1001)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::ZERO).seconds(), 1);
    }
}
