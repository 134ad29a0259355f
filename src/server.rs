//! Start-up and shutdown of `overlord serve`: open the data directory, recover, bind,
//! serve, and on SIGTERM/SIGINT close sockets, commit every queue, checkpoint, exit.

use crate::app::App;
use crate::config::Settings;
use crate::http;
use crate::live::Hub;
use crate::metrics::Metrics;
use crate::telemetry::{Characters, DayFiles, writer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A running server: its address, and a way to stop it and wait.
pub struct Running {
    pub addr: SocketAddr,
    pub app: http::AppState,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, closes plugin sockets, commits and checkpoints everything.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Opens `state.redb` for the offline commands (`overlord user`, `overlord import`) by the
/// same rule as `serve` (`snapshot::open_state`): a file that exists but is empty or not a
/// database (or, after an unclean stop, fails redb's integrity check) is moved aside and
/// replaced by the newest intact snapshot — said on stderr — or the command is refused with
/// a one-line error naming the file. Never silently a fresh empty database.
pub fn open_state_db(data_dir: &Path) -> Result<Arc<redb::Database>, StartError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| StartError(format!("cannot create the data directory {}: {e}", data_dir.display())))?;
    // Read, not taken: only `serve` consumes the clean-shutdown marker.
    let clean = crate::snapshot::clean_marker_present(data_dir);
    let (db, note) = crate::snapshot::open_state(data_dir, clean).map_err(|e| StartError(e.to_string()))?;
    if let Some(note) = note {
        tracing::warn!(%note, "state.redb recovered");
        eprintln!("overlord: {note}");
    }
    Ok(Arc::new(db))
}

/// Opens storage, recovers, binds `settings.listen` and serves until `stop` or a signal.
pub async fn start(settings: Settings) -> Result<Running, StartError> {
    let data = settings.data_dir.clone();
    std::fs::create_dir_all(&data)
        .map_err(|e| StartError(format!("cannot create the data directory {}: {e}", data.display())))?;
    let clean = crate::snapshot::take_clean_marker(&data);
    let (state_db, note) = crate::snapshot::open_state(&data, clean).map_err(|e| StartError(e.to_string()))?;
    if let Some(note) = note {
        tracing::warn!("{note}");
    }
    let state_db = Arc::new(state_db);
    let characters = Characters::open(state_db.clone()).map_err(|e| StartError(format!("state.redb: {e}")))?;
    let days = DayFiles::open(&data).map_err(|e| StartError(format!("telemetry/ or rollups.redb: {e}")))?;
    let started = Instant::now();
    if !clean {
        tracing::info!("the last run did not stop cleanly: checking the files it was writing");
        let damaged = days.verify_recent_days(3).map_err(|e| StartError(format!("telemetry/: {e}")))?;
        if !damaged.is_empty() {
            tracing::warn!(days = damaged.len(), "damaged day files will be rebuilt from the journal");
        }
    }
    let snapshot_seq = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let journal_window = std::time::Duration::from_secs(settings.journal_window_s);
    let (writer, writer_join, report) = writer::start(
        &data.join("journal"),
        days.clone(),
        state_db.clone(),
        characters.clone(),
        snapshot_seq.clone(),
        writer::Retention::days(settings.retention_days).with_journal_window(journal_window),
    )
    .map_err(|e| StartError(format!("recovery failed: {e}")))?;
    // Inventory: replay the state journal, then open (or rebuild) the search index.
    let inventory_keep = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let (state_journal, _) =
        crate::state_writer::recover(&data.join("journal").join("state"), &state_db, journal_window)
            .map_err(|e| StartError(format!("inventory recovery failed: {e}")))?;
    let index = open_index(&data, state_db.clone()).await?;
    let (inventory, inventory_join) =
        crate::state_writer::start(state_journal, state_db.clone(), index.clone(), inventory_keep.clone())
            .map_err(|e| StartError(format!("cannot start the state writer: {e}")))?;
    let stop_snapshots = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let snapshotter = crate::snapshot::spawn_snapshotter(
        state_db.clone(),
        data.clone(),
        // Two kept snapshots pin the journals back two intervals: a third of the window each.
        crate::snapshot::SNAPSHOT_INTERVAL.min(journal_window / 3),
        snapshot_seq,
        inventory_keep,
        stop_snapshots.clone(),
    )
    .map_err(|e| StartError(format!("cannot start the snapshot thread: {e}")))?;
    if report.replayed > 0 || report.torn_bytes_dropped > 0 {
        tracing::warn!(
            replayed = report.replayed,
            torn_bytes_dropped = report.torn_bytes_dropped,
            "recovered after an unclean stop: replayed committed events that were not yet in redb"
        );
    }
    tracing::info!(last_seq = report.last_seq, took_ms = started.elapsed().as_millis() as u64, "storage open");
    let auth_cfg = settings.auth_config().map_err(|e| StartError(e.to_string()))?;
    let auth =
        crate::auth::AuthService::new(state_db.clone(), auth_cfg).map_err(|e| StartError(format!("accounts: {e}")))?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", settings.listen)))?;
    let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
    let alert_settings = Arc::new(
        crate::alerts::AlertSettings::open(state_db.clone(), settings.alerts.clone(), settings.fixed.clone())
            .map_err(|e| StartError(e.to_string()))?,
    );
    // The configuration's alert settings with the dashboard's edits over the gaps it left.
    let alert_cfg = alert_settings.effective();
    let attention = Arc::new(crate::alerts::Attention::new(alert_cfg.stuck_minutes, alert_cfg.disconnected_minutes));
    let app = Arc::new(App {
        settings: settings.clone(),
        hub: Hub::new(),
        writer,
        days,
        characters,
        state_db,
        metrics: Metrics::default(),
        started: Instant::now(),
        auth: auth.clone(),
        jobs: Default::default(),
        inventory,
        index,
        map_image: crate::map_image::MapImageStore::open(&settings.data_dir)
            .map_err(|e| StartError(format!("map image: {e}")))?,
        alerts: crate::alerts::Alerts::start_with(alert_cfg, attention.clone()),
        alert_settings,
        attention,
        backups: Arc::new(crate::backup_schedule::Backups::new(settings.backups.as_ref())),
    });
    let (stop_backups, stop_backups_rx) = tokio::sync::watch::channel(false);
    let backup_task = settings.backups.clone().map(|cfg| {
        tracing::info!(dir = %cfg.dir.display(), schedule = %cfg.schedule.describe(), keep = cfg.keep, "scheduled backups on");
        tokio::spawn(app.backups.clone().run_schedule(app.backup_source(), app.alerts.clone(), cfg, stop_backups_rx))
    });
    let _ = app.writer.stats.commit_histogram.set(app.metrics.commit_seconds());
    auth.log_setup_url(&format!("http://{addr}"));
    let sweeper = auth.spawn_session_sweeper(std::time::Duration::from_secs(3600));
    let router = http::router(app.clone());
    let limits = http::listener::ConnectionLimits::from_descriptor_limit(
        settings.max_connections_per_address,
        auth.config().trusted_proxies.clone(),
    );
    let (shutdown, mut shutdown_rx) = tokio::sync::watch::channel(false);
    let app_for_task = app.clone();
    let data_for_task = data.clone();
    let task = tokio::spawn(async move {
        let signal = async move {
            let _ = shutdown_rx.wait_for(|v| *v).await;
        };
        http::listener::serve(listener, router, limits, app_for_task.clone(), signal).await;
        let _ = stop_backups.send(true);
        if let Some(t) = backup_task {
            // A backup in progress finishes first: its copy must not be cut off.
            let _ = t.await;
        }
        app_for_task.hub.close_all_plugins("server shutting down");
        app_for_task.alerts.shutdown().await;
        sweeper.abort();
        let _ = sweeper.await;
        if app_for_task.writer.shutdown().await.is_err() {
            tracing::warn!("writer was already stopped");
        }
        let _ = tokio::task::spawn_blocking(move || writer_join.join()).await;
        if app_for_task.inventory.shutdown().await.is_err() {
            tracing::warn!("state writer was already stopped");
        }
        let _ = tokio::task::spawn_blocking(move || inventory_join.join()).await;
        stop_snapshots.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = tokio::task::spawn_blocking(move || snapshotter.join()).await;
        crate::snapshot::write_clean_marker(&data_for_task);
        tracing::info!("shutdown complete: every accepted event is committed");
    });
    Ok(Running { addr, app, shutdown, task })
}

/// Opens the search index, rebuilding it from `state.redb` when it is missing, from an
/// older schema, or damaged (progress in the log).
async fn open_index(data: &Path, db: Arc<redb::Database>) -> Result<Arc<crate::search::SearchIndex>, StartError> {
    let dir = data.join("index");
    let (index, outcome) = tokio::task::spawn_blocking(move || {
        let mut last_logged = 0u64;
        crate::search::SearchIndex::open_or_rebuild(&dir, db, move |done, total| {
            let pct = (done * 100).checked_div(total).unwrap_or(100);
            if pct >= last_logged + 10 || done == total {
                last_logged = pct;
                tracing::info!(done, total, "rebuilding the item index: {pct}%");
            }
        })
    })
    .await
    .map_err(|e| StartError(e.to_string()))?
    .map_err(|e| StartError(format!("item index: {e}")))?;
    match outcome {
        crate::search::OpenOutcome::Current => {}
        crate::search::OpenOutcome::CaughtUp(n) => tracing::info!(items = n, "item index caught up"),
        crate::search::OpenOutcome::Rebuilt(why) => tracing::warn!(reason = %why, "item index rebuilt from state.redb"),
    }
    Ok(Arc::new(index))
}

/// Resolves on SIGTERM or SIGINT.
pub async fn termination_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
