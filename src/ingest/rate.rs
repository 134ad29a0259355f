//! The per-socket frame rate limit: a token bucket. Pure (the caller passes the clock), so
//! its arithmetic is unit-tested without sleeping.

use std::time::Instant;

/// Tolerated burst above the sustained per-socket rate (a login sends several frames at once).
const BURST_SECONDS: f64 = 4.0;
/// The smallest burst, whatever the rate (a login's frames must fit).
const MIN_BURST: f64 = 10.0;

/// A token bucket: `rate` frames/s sustained, `burst` at once.
#[derive(Debug)]
pub struct RateLimit {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
}

impl RateLimit {
    pub fn new(rate_per_s: f64, now: Instant) -> Self {
        let burst = (rate_per_s * BURST_SECONDS).max(MIN_BURST);
        RateLimit { tokens: burst, rate: rate_per_s, burst, last: now }
    }

    /// Takes one token if there is one.
    pub fn allow(&mut self, now: Instant) -> bool {
        self.tokens =
            (self.tokens + now.saturating_duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_sustained_rate_holds() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(5.0, t0);
        // burst = max(5 × 4, 10) = 20 frames at once
        assert_eq!((0..25).filter(|_| r.allow(t0)).count(), 20);
        // one second later, 5 more
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!((0..10).filter(|_| r.allow(t1)).count(), 5);
    }

    #[test]
    fn a_slow_rate_still_allows_a_login_burst() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(0.5, t0);
        assert_eq!((0..15).filter(|_| r.allow(t0)).count(), 10);
        assert!(!r.allow(t0 + Duration::from_millis(1000)));
        assert!(r.allow(t0 + Duration::from_millis(2100)));
    }

    #[test]
    fn tokens_never_exceed_the_burst_after_a_long_idle() {
        let t0 = Instant::now();
        let mut r = RateLimit::new(5.0, t0);
        let later = t0 + Duration::from_secs(3600);
        assert_eq!((0..100).filter(|_| r.allow(later)).count(), 20);
    }
}
