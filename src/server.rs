//! Start-up and shutdown of `overlord serve`: open the data directory, recover, bind,
//! serve, and on SIGTERM/SIGINT close sockets, commit every queue, checkpoint, exit.

use crate::config::Settings;
use crate::http::{self, App};
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

pub fn open_state_db(data_dir: &Path) -> Result<Arc<redb::Database>, StartError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| StartError(format!("cannot create the data directory {}: {e}", data_dir.display())))?;
    let path = data_dir.join("state.redb");
    redb::Database::create(&path).map(Arc::new).map_err(|e| match e {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            StartError(format!("{} is in use: another overlord is running on this data directory", path.display()))
        }
        other => StartError(format!("cannot open {}: {other}", path.display())),
    })
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
    let days = DayFiles::new(&data.join("telemetry")).map_err(|e| StartError(format!("telemetry/: {e}")))?;
    let started = Instant::now();
    if !clean {
        tracing::info!("the last run did not stop cleanly: checking the files it was writing");
        let damaged = days.verify_recent_days(3).map_err(|e| StartError(format!("telemetry/: {e}")))?;
        if !damaged.is_empty() {
            tracing::warn!(days = damaged.len(), "damaged day files will be rebuilt from the journal");
        }
    }
    let snapshot_seq = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let (writer, writer_join, report) =
        writer::start(&data.join("journal"), days.clone(), state_db.clone(), characters.clone(), snapshot_seq.clone())
            .map_err(|e| StartError(format!("recovery failed: {e}")))?;
    let stop_snapshots = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let snapshotter = crate::snapshot::spawn_snapshotter(
        state_db.clone(),
        data.clone(),
        crate::snapshot::SNAPSHOT_INTERVAL,
        snapshot_seq,
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
    let app = Arc::new(App {
        settings,
        hub: Hub::new(),
        writer,
        days,
        characters,
        state_db,
        metrics: Metrics::default(),
        started: Instant::now(),
        auth: auth.clone(),
        jobs: Default::default(),
    });
    auth.log_setup_url(&format!("http://{addr}"));
    let sweeper = auth.spawn_session_sweeper(std::time::Duration::from_secs(3600));
    let router = http::router(app.clone());
    let (shutdown, mut shutdown_rx) = tokio::sync::watch::channel(false);
    let app_for_task = app.clone();
    let data_for_task = data.clone();
    let task = tokio::spawn(async move {
        let signal = async move {
            let _ = shutdown_rx.wait_for(|v| *v).await;
        };
        let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(signal);
        if let Err(e) = server.await {
            tracing::error!(error = %e, "HTTP server failed");
        }
        app_for_task.hub.close_all_plugins("server shutting down");
        sweeper.abort();
        let _ = sweeper.await;
        if app_for_task.writer.shutdown().await.is_err() {
            tracing::warn!("writer was already stopped");
        }
        let _ = tokio::task::spawn_blocking(move || writer_join.join()).await;
        stop_snapshots.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = tokio::task::spawn_blocking(move || snapshotter.join()).await;
        crate::snapshot::write_clean_marker(&data_for_task);
        tracing::info!("shutdown complete: every accepted event is committed");
    });
    Ok(Running { addr, app, shutdown, task })
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
