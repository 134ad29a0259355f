//! `/api/suitbuilder/*`: suit-builder jobs with SSE progress, status, cancel, and the
//! synchronous solve. The solver itself is pure (`crate::solver`); this module resolves
//! items and the profile, runs the search on the blocking pool, and relays its events.

use super::{ApiError, AppState};
use crate::solver::{self, Profile, SolverError, SolverEvent, SuitRequest, Wearable};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

/// Searches running at once. The machine has 2 cores; more would only slow each down.
pub const MAX_RUNNING_JOBS: usize = 2;
/// Finished jobs kept for `GET /jobs/{id}`; older ones are dropped first.
pub const MAX_KEPT_JOBS: usize = 64;
/// A finished job is forgotten after this long.
pub const JOB_TTL: Duration = Duration::from_secs(3600);
/// `best` events kept for a late subscriber (the newest are the ones that matter).
const MAX_LOGGED_BEST: usize = 32;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/suitbuilder/jobs", post(create_job))
        .route("/api/suitbuilder/jobs/{id}", get(job_status).delete(cancel_job))
        .route("/api/suitbuilder/jobs/{id}/events", get(job_events))
        .route("/api/suitbuilder/solve", post(solve_now))
}

impl From<SolverError> for ApiError {
    fn from(e: SolverError) -> Self {
        match e {
            SolverError::TooLarge(m) => ApiError::TooLarge(m),
            SolverError::Invalid(m) => ApiError::Invalid(m),
        }
    }
}

#[derive(Clone, Debug)]
struct JobEvent {
    seq: u64,
    name: &'static str,
    data: Arc<str>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum JobStatus {
    Running,
    Done,
    Cancelled,
    Failed,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Failed => "failed",
        }
    }
}

struct JobState {
    status: JobStatus,
    progress: Option<JobEvent>,
    best: Vec<JobEvent>,
    last: Option<JobEvent>,
    result: Option<Value>,
    finished: Option<Instant>,
}

pub struct Job {
    cancel: AtomicBool,
    seq: AtomicU64,
    state: Mutex<JobState>,
    tx: broadcast::Sender<JobEvent>,
}

impl Job {
    fn lock(&self) -> std::sync::MutexGuard<'_, JobState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn emit(&self, name: &'static str, data: String) {
        let ev = JobEvent { seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1, name, data: data.into() };
        {
            let mut st = self.lock();
            match name {
                "progress" => st.progress = Some(ev.clone()),
                "best" => {
                    st.best.push(ev.clone());
                    if st.best.len() > MAX_LOGGED_BEST {
                        st.best.remove(0);
                    }
                }
                _ => st.last = Some(ev.clone()),
            }
        }
        let _ = self.tx.send(ev);
    }

    /// Everything a new subscriber should see first, in order.
    fn backlog(&self) -> Vec<JobEvent> {
        let st = self.lock();
        let mut v: Vec<JobEvent> = st.best.iter().cloned().chain(st.progress.clone()).chain(st.last.clone()).collect();
        v.sort_by_key(|e| e.seq);
        v
    }
}

/// Jobs by id, bounded.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    running: std::sync::atomic::AtomicUsize,
    next: AtomicU64,
}

impl Jobs {
    fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs.lock().ok()?.get(id).cloned()
    }

    fn insert(&self, job: Arc<Job>) -> String {
        let id = format!("j{}-{:08x}", self.next.fetch_add(1, Ordering::Relaxed) + 1, rand::random::<u32>());
        if let Ok(mut jobs) = self.jobs.lock() {
            let now = Instant::now();
            jobs.retain(|_, j| j.lock().finished.is_none_or(|t| now.duration_since(t) < JOB_TTL));
            while jobs.len() >= MAX_KEPT_JOBS {
                let oldest =
                    jobs.iter().filter_map(|(k, j)| j.lock().finished.map(|t| (t, k.clone()))).min().map(|(_, k)| k);
                match oldest {
                    Some(k) => {
                        jobs.remove(&k);
                    }
                    None => break,
                }
            }
            jobs.insert(id.clone(), job);
        }
        id
    }
}

/// A reserved running slot; released on drop.
struct RunningSlot(AppState);

/// Reserves a running slot, or says to come back later.
fn reserve(app: &AppState) -> Result<RunningSlot, ApiError> {
    let n = app.jobs.running.fetch_add(1, Ordering::SeqCst);
    if n >= MAX_RUNNING_JOBS {
        app.jobs.running.fetch_sub(1, Ordering::SeqCst);
        return Err(ApiError::RateLimited {
            message: format!("{MAX_RUNNING_JOBS} suit-builder searches are running; try again shortly"),
            retry_after_s: 5,
        });
    }
    Ok(RunningSlot(app.clone()))
}

impl Drop for RunningSlot {
    fn drop(&mut self) {
        self.0.jobs.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Items and stored profile for a request: self-contained `items`, or the `owners`' items
/// from the store and the character's latest `character_stats`.
fn resolve(app: &AppState, req: &mut SuitRequest) -> Result<(Vec<Wearable>, Option<Profile>), ApiError> {
    if let Some(items) = req.items.take() {
        return Ok((items, None));
    }
    let owners = req.owners.clone().unwrap_or_else(|| vec![req.character.clone()]);
    if owners.len() > solver::request::MAX_OWNERS {
        return Err(ApiError::TooLarge(format!("at most {} owners per request", solver::request::MAX_OWNERS)));
    }
    let mut items = Vec::new();
    for owner in &owners {
        let owner_items = app.items_of(owner)?;
        let Some(owner_items) = owner_items else {
            return Err(ApiError::NotFound(format!("no items are stored for '{owner}'")));
        };
        for v in owner_items {
            if let Ok(w) = Wearable::from_item_json(&v) {
                items.push(w);
            }
        }
        if items.len() > solver::request::MAX_ITEMS {
            return Err(ApiError::TooLarge(format!(
                "the owners hold more than {} wearable items",
                solver::request::MAX_ITEMS
            )));
        }
    }
    let profile = stored_profile(app, &req.character);
    Ok((items, profile))
}

fn stored_profile(app: &AppState, character: &str) -> Option<Profile> {
    if let Some(stats) = app.hub.character(character).and_then(|c| c.character_stats) {
        return Profile::from_character_stats(&stats);
    }
    let info = app.characters.by_name(character)?;
    let (_, bytes) = app.days.latest(crate::telemetry::EventKind::CharacterStats, info.id, 62).ok()??;
    Profile::from_character_stats(&serde_json::from_slice(&bytes).ok()?)
}

fn parse(body: Result<Json<Value>, JsonRejection>) -> Result<SuitRequest, ApiError> {
    let Json(v) = body?;
    serde_json::from_value(v).map_err(|e| ApiError::Invalid(format!("suit-builder request: {e}")))
}

async fn create_job(
    State(app): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let mut req = parse(body)?;
    let (items, profile) = resolve(&app, &mut req)?;
    let problem = solver::Problem::new(&req, items, profile)?;
    let slot = reserve(&app)?;
    let (tx, _) = broadcast::channel(256);
    let job = Arc::new(Job {
        cancel: AtomicBool::new(false),
        seq: AtomicU64::new(0),
        state: Mutex::new(JobState {
            status: JobStatus::Running,
            progress: None,
            best: Vec::new(),
            last: None,
            result: None,
            finished: None,
        }),
        tx,
    });
    let id = app.jobs.insert(job.clone());
    app.metrics.solver_jobs.fetch_add(1, Ordering::Relaxed);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut sink = |ev: SolverEvent| {
            let data = serde_json::to_string(&ev).unwrap_or_default();
            job.emit(ev.event_name(), data);
        };
        let outcome = solver::solve(&problem, &mut sink, &job.cancel);
        let (status, name, data) = match outcome {
            Ok(o) => {
                // A final progress report, so even a search that ends before the first
                // periodic tick streams its figures before `done`.
                let best = o.suits.first().map(|s| s.score);
                let last = json!({"nodes": o.stats.nodes, "nodes_per_s": o.stats.nodes_per_s, "best_score": best,
                    "upper_bound": o.stats.upper_bound, "elapsed_ms": o.stats.elapsed_ms});
                job.emit("progress", last.to_string());
                let v = serde_json::to_value(&o).unwrap_or_default();
                let status = if job.cancel.load(Ordering::Relaxed) { JobStatus::Cancelled } else { JobStatus::Done };
                job.lock().result = Some(v.clone());
                (status, "done", v.to_string())
            }
            Err(e) => (JobStatus::Failed, "error", json!({"code": e.code(), "message": e.message()}).to_string()),
        };
        {
            let mut st = job.lock();
            st.status = status;
            st.finished = Some(Instant::now());
        }
        job.emit(name, data);
    });
    let body = json!({"job_id": id, "events_url": format!("/api/suitbuilder/jobs/{id}/events")});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

async fn job_status(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let job = app.jobs.get(&id).ok_or_else(|| ApiError::NotFound(format!("no suit-builder job {id}")))?;
    let st = job.lock();
    Ok(Json(json!({"state": st.status.as_str(), "result": st.result})))
}

async fn cancel_job(State(app): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let job = app.jobs.get(&id).ok_or_else(|| ApiError::NotFound(format!("no suit-builder job {id}")))?;
    job.cancel.store(true, Ordering::Relaxed);
    Ok(StatusCode::NO_CONTENT)
}

async fn job_events(State(app): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let job = app.jobs.get(&id).ok_or_else(|| ApiError::NotFound(format!("no suit-builder job {id}")))?;
    // Subscribe before reading the backlog so nothing falls between the two.
    let rx = job.tx.subscribe();
    let backlog = job.backlog();
    let last_seq = backlog.last().map(|e| e.seq).unwrap_or(0);
    let finished = backlog.iter().any(|e| e.name == "done" || e.name == "error");
    let to_event = |e: &JobEvent| Event::default().event(e.name).id(e.seq.to_string()).data(&*e.data);
    let first: Vec<Result<Event, std::convert::Infallible>> = backlog.iter().map(|e| Ok(to_event(e))).collect();
    let live = futures_util::stream::unfold((rx, finished, last_seq), move |(mut rx, finished, last)| async move {
        if finished {
            return None;
        }
        loop {
            match rx.recv().await {
                Ok(e) if e.seq <= last => continue,
                Ok(e) => {
                    let end = e.name == "done" || e.name == "error";
                    let ev = Event::default().event(e.name).id(e.seq.to_string()).data(&*e.data);
                    return Some((Ok(ev), (rx, end, e.seq)));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    let stream = futures_util::StreamExt::chain(futures_util::stream::iter(first), live);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

async fn solve_now(
    State(app): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let mut req = parse(body)?;
    let (items, profile) = resolve(&app, &mut req)?;
    let problem = solver::Problem::new(&req, items, profile)?;
    let slot_guard = reserve(&app)?;
    app.metrics.solver_jobs.fetch_add(1, Ordering::Relaxed);
    let outcome = tokio::task::spawn_blocking(move || {
        let cancel = AtomicBool::new(false);
        solver::solve(&problem, &mut |_| {}, &cancel)
    })
    .await
    .map_err(ApiError::internal)??;
    drop(slot_guard);
    Ok(Json(serde_json::to_value(&outcome).map_err(ApiError::internal)?))
}
