//! Overlord: real-time telemetry, inventory and suit building for Asheron's Call player
//! groups, in one process and one data directory. See ARCHITECTURE.md for the code map.

pub mod alerts;
pub(crate) mod app;
pub mod auth;
pub mod backup;
pub mod backup_schedule;
pub(crate) mod budget;
pub mod character_view;
pub mod cli_http;
pub(crate) mod clock;
pub mod config;
pub(crate) mod durable;
pub mod game;
pub mod http;
pub mod import;
pub(crate) mod ingest;
pub mod inventory;
pub(crate) mod journal;
pub mod live;
pub(crate) mod map_image;
pub mod memory;
pub mod metrics;
pub mod notes;
pub mod protocol;
pub mod search;
pub mod server;
pub mod sim;
pub mod snapshot;
pub mod solver;
pub(crate) mod state_writer;
pub mod suitbuilder;
pub mod telemetry;
