//! The server's wall clock in the unit every `*_ms` field uses.
//!
//! Owns: [`now_ms`], the one place Overlord reads the time of day (receive times, session
//! expiry, alert timing, journal trimming). Must never: be used for measuring durations
//! (use `std::time::Instant`, which does not jump when the clock is stepped).

/// Milliseconds since the Unix epoch (UTC), the unit of every `*_ms` field.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
