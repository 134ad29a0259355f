//! The running server's shared state: every handle the HTTP handlers, the plugin ingest
//! pipeline and the background tasks use, built once by `server::start`.
//!
//! Owns the composition only (which handles exist and the narrow views made of them, such as
//! the telemetry read side and a backup's source). Never holds logic of its own and never
//! depends on `http`: transports and tasks depend on it, not the reverse.

use crate::config::Settings;
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::telemetry::{Characters, DayFiles, WriterHandle};
use std::sync::Arc;
use std::time::Instant;

/// Everything the handlers, the ingest pipeline and the background tasks share.
pub struct App {
    pub settings: Settings,
    pub hub: Hub,
    pub writer: WriterHandle,
    pub days: DayFiles,
    pub characters: Characters,
    pub state_db: Arc<redb::Database>,
    pub metrics: Metrics,
    pub started: Instant,
    pub auth: crate::auth::AuthService,
    pub jobs: crate::suitbuilder::Jobs,
    pub inventory: crate::state_writer::InventoryWriter,
    pub index: Arc<crate::search::SearchIndex>,
    pub alerts: crate::alerts::AlertsHandle,
    /// The alert settings as the dashboard edits them (persisted; toml/env win).
    pub alert_settings: Arc<crate::alerts::AlertSettings>,
    /// The map image an admin set from the dashboard.
    pub map_image: crate::map_image::MapImageStore,
    /// Stuck and disconnected characters (one definition for the API, overview and alerts).
    pub attention: Arc<crate::alerts::Attention>,
    /// Scheduled backups' status (and the lock that keeps them one at a time).
    pub backups: Arc<crate::backup_schedule::Backups>,
}

impl App {
    /// The read side of stored telemetry (cheap: shared handles).
    pub fn telemetry_query(&self) -> crate::telemetry::TelemetryQuery {
        crate::telemetry::TelemetryQuery::new(self.days.clone(), self.characters.clone())
    }

    /// What an online backup copies from (the state database, the day files, the writer
    /// that pauses for the open days).
    pub fn backup_source(&self) -> crate::backup::Source {
        crate::backup::Source {
            data_dir: self.settings.data_dir.clone(),
            state_db: self.state_db.clone(),
            days: self.days.clone(),
            writer: self.writer.clone(),
        }
    }
}

pub type AppState = Arc<App>;

impl AsRef<Metrics> for App {
    fn as_ref(&self) -> &Metrics {
        &self.metrics
    }
}
