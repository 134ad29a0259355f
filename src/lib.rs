//! Overlord: real-time telemetry, inventory and suit building for Asheron's Call player
//! groups, in one process and one data directory. See ARCHITECTURE.md for the code map.

pub mod journal;
pub mod protocol;
pub mod telemetry;
pub mod auth;
pub mod config;
pub mod live;
pub mod metrics;
pub mod http;
pub mod server;
