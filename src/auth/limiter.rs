//! Login rate limiting: at most `max_failures` failed sign-ins per client address and per
//! username in a fixed window; past that, 429 with the seconds until the window ends.
//!
//! Owns: two bounded in-memory maps of attempt counters. Never: touches storage, sees a
//! password, or grows past [`MAX_TRACKED_KEYS`] entries per map.
//!
//! An attempt is counted *before* the password is checked and refunded on success, so
//! a burst of parallel guesses cannot slip past the limit while hashes are computed.
//! Unknown usernames are counted like real ones, so a 429 never reveals that an account
//! exists. Trade-off taken: the per-username limit lets anyone lock a known account out
//! for one window; the window is short and the per-address limit still applies to them.
//! IPv6 clients are counted per /64, the block one subscriber usually holds.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept per map (addresses, usernames). At ~100 bytes each this caps the limiter
/// near 2 MB; when full, expired windows go first, then the oldest window.
pub const MAX_TRACKED_KEYS: usize = 10_000;
/// Username keys are cut to this many bytes: longer names cannot exist (32 chars) and an
/// attacker must not make us store long strings.
const MAX_USERNAME_KEY_BYTES: usize = 128;

/// Per-address and per-username failed-login counters.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: u32,
    window: Duration,
    maps: Mutex<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    by_addr: HashMap<IpAddr, Bucket>,
    by_user: HashMap<String, Bucket>,
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

    /// Refunds a successful attempt: clears the username's counter and gives the address
    /// its attempt back (a success does not wipe an address's other failures, so one valid
    /// account cannot be used to reset a guessing run against others).
    pub fn attempt_succeeded(&self, addr: IpAddr, username: &str) {
        let mut maps = self.lock();
        maps.by_user.remove(&user_key(username));
        if let Some(b) = maps.by_addr.get_mut(&addr_key(addr)) {
            b.attempts = b.attempts.saturating_sub(1);
        }
    }

    /// Number of tracked (address, username) keys; for tests and metrics.
    pub fn tracked(&self) -> (usize, usize) {
        let maps = self.lock();
        (maps.by_addr.len(), maps.by_user.len())
    }

    fn begin_attempt_at(&self, addr: IpAddr, username: Option<&str>, now: Instant) -> Result<(), RetryAfter> {
        let addr = addr_key(addr);
        let user = username.map(user_key);
        let mut maps = self.lock();
        let wait_addr = self.blocked_for(maps.by_addr.get(&addr), now);
        let wait_user = user.as_ref().and_then(|u| self.blocked_for(maps.by_user.get(u), now));
        if let Some(wait) = wait_addr.max(wait_user) {
            return Err(RetryAfter(wait));
        }
        let (max_failures, window) = (self.max_failures, self.window);
        count(&mut maps.by_addr, addr, now, window, max_failures);
        if let Some(user) = user {
            count(&mut maps.by_user, user, now, window, max_failures);
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
    fn username_is_blocked_across_addresses_and_case() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("Mossy"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("2.2.2.2"), Some("mossy"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("3.3.3.3"), Some("MOSSY"), t0).is_err());
    }

    #[test]
    fn success_clears_username_and_refunds_one_address_attempt() {
        let l = LoginLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        l.attempt_succeeded(ip("1.1.1.1"), "a");
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("a"), t0).is_ok());
        assert!(l.begin_attempt_at(ip("1.1.1.1"), Some("b"), t0).is_err());
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
