//! Overlord: real-time telemetry, inventory and suit building for Asheron's Call player
//! groups, in one process and one data directory. See ARCHITECTURE.md for the code map.

pub mod alerts;
pub mod app;
pub mod auth;
pub mod backup;
pub mod backup_schedule;
pub mod budget;
pub mod character_view;
pub mod cli_http;
pub mod clock;
pub mod config;
pub mod durable;
pub mod game;
pub mod http;
pub mod import;
pub mod ingest;
pub mod inventory;
pub mod journal;
pub mod live;
pub mod map_image;
pub mod memory;
pub mod metrics;
pub mod notes;
pub mod protocol;
pub mod search;
pub mod server;
pub mod sim;
pub mod snapshot;
pub mod solver;
pub mod state_writer;
pub mod suitbuilder;
pub mod telemetry;
