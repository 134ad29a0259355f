//! The job registry: bounded running slots, bounded retention of finished jobs, and each
//! job's event log (last progress, newest `best` events, the final event) so a late
//! subscriber sees what it missed.

use super::SuitBuilderError;
use super::convert::SkippedItem;
use crate::solver::{self, Problem, SolveOutcome, SolverEvent};
use futures_util::stream::Stream;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
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
/// Events buffered per live subscriber; one that falls further behind skips ahead (the
/// log still gives it the final event).
const EVENT_BUFFER: usize = 256;

/// One server-sent event of a job: `progress`, `best`, `done` or `error`, with its JSON.
#[derive(Clone, Debug)]
pub struct JobEvent {
    pub seq: u64,
    pub name: &'static str,
    pub data: Arc<str>,
}

impl JobEvent {
    fn is_final(&self) -> bool {
        self.name == "done" || self.name == "error"
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Running,
    Done,
    Cancelled,
    Failed,
}

/// The `done` payload: the solver's outcome plus the stored items that could not be used.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct JobOutcome {
    #[serde(flatten)]
    pub outcome: SolveOutcome,
    pub skipped_items: Vec<SkippedItem>,
}

/// `POST /api/suitbuilder/jobs` → 202.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct JobCreated {
    pub job_id: String,
    pub events_url: String,
}

/// `GET /api/suitbuilder/jobs/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct JobSnapshot {
    pub state: JobStatus,
    pub result: Option<JobOutcome>,
}

/// `{"code","message"}` of an `error` event.
#[derive(Serialize)]
struct JobFailure<'a> {
    code: &'static str,
    message: &'a str,
}

struct JobState {
    status: JobStatus,
    progress: Option<JobEvent>,
    best: Vec<JobEvent>,
    last: Option<JobEvent>,
    result: Option<Arc<JobOutcome>>,
    finished: Option<Instant>,
}

struct Job {
    cancel: AtomicBool,
    seq: AtomicU64,
    state: Mutex<JobState>,
    tx: broadcast::Sender<JobEvent>,
}

impl Job {
    fn new() -> Job {
        Job {
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
            tx: broadcast::channel(EVENT_BUFFER).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, JobState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Logs and broadcasts one event. A payload that will not serialize (none of ours
    /// should) is logged and not sent, rather than sent empty.
    fn emit(&self, name: &'static str, payload: &impl Serialize) {
        let data = match serde_json::to_string(payload) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, event = name, "a suit-builder event did not serialize");
                return;
            }
        };
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

    /// Runs the search to its end on this (blocking) thread and records the outcome.
    fn run(&self, problem: &Problem, skipped: Vec<SkippedItem>) {
        let mut sink = |ev: SolverEvent| self.emit(ev.event_name(), &ev);
        match solver::solve(problem, &mut sink, &self.cancel) {
            Ok(o) => {
                // A final progress report, so even a search that ends before the first
                // periodic tick streams its figures before `done`.
                let last = SolverEvent::Progress {
                    nodes: o.stats.nodes,
                    nodes_per_s: o.stats.nodes_per_s,
                    best_score: o.suits.first().map(|s| s.score),
                    upper_bound: o.stats.upper_bound,
                    elapsed_ms: o.stats.elapsed_ms,
                };
                self.emit("progress", &last);
                let result = Arc::new(JobOutcome { outcome: o, skipped_items: skipped });
                let cancelled = self.cancel.load(Ordering::Relaxed);
                self.finish(if cancelled { JobStatus::Cancelled } else { JobStatus::Done }, Some(result.clone()));
                self.emit("done", &*result);
            }
            Err(e) => {
                self.finish(JobStatus::Failed, None);
                self.emit("error", &JobFailure { code: e.code(), message: e.message() });
            }
        }
    }

    fn finish(&self, status: JobStatus, result: Option<Arc<JobOutcome>>) {
        let mut st = self.lock();
        st.status = status;
        st.result = result;
        st.finished = Some(Instant::now());
    }
}

/// Jobs by id, bounded.
#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    running: Arc<AtomicUsize>,
    next: AtomicU64,
}

/// A reserved running slot; released on drop.
struct RunningSlot(Arc<AtomicUsize>);

impl Drop for RunningSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Jobs {
    /// Starts a search on the blocking pool; its events stream from `events_url`.
    pub fn start(&self, problem: Problem, skipped: Vec<SkippedItem>) -> Result<JobCreated, SuitBuilderError> {
        let slot = self.reserve()?;
        let job = Arc::new(Job::new());
        let job_id = self.insert(job.clone());
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            job.run(&problem, skipped);
        });
        let events_url = format!("/api/suitbuilder/jobs/{job_id}/events");
        Ok(JobCreated { job_id, events_url })
    }

    /// Runs a search to its end and answers with the `done` payload.
    pub async fn solve_now(&self, problem: Problem, skipped: Vec<SkippedItem>) -> Result<JobOutcome, SuitBuilderError> {
        let slot = self.reserve()?;
        let outcome = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            solver::solve(&problem, &mut |_| {}, &AtomicBool::new(false))
        })
        .await??;
        Ok(JobOutcome { outcome, skipped_items: skipped })
    }

    pub fn snapshot(&self, id: &str) -> Option<JobSnapshot> {
        let job = self.get(id)?;
        let st = job.lock();
        Some(JobSnapshot { state: st.status, result: st.result.as_deref().cloned() })
    }

    /// Asks a job to stop (the search checks within 100 ms). False when there is no such job.
    pub fn cancel(&self, id: &str) -> bool {
        match self.get(id) {
            Some(job) => {
                job.cancel.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    /// The job's events: the backlog, then live events until the final one.
    pub fn subscribe(&self, id: &str) -> Option<impl Stream<Item = JobEvent> + Send + use<>> {
        let job = self.get(id)?;
        // Subscribe before reading the backlog so nothing falls between the two.
        let rx = job.tx.subscribe();
        let backlog = job.backlog();
        let last_seq = backlog.last().map(|e| e.seq).unwrap_or(0);
        let finished = backlog.iter().any(JobEvent::is_final);
        let live = futures_util::stream::unfold((rx, finished, last_seq), |(mut rx, finished, last)| async move {
            if finished {
                return None;
            }
            loop {
                match rx.recv().await {
                    Ok(e) if e.seq <= last => continue,
                    Ok(e) => {
                        let (end, seq) = (e.is_final(), e.seq);
                        return Some((e, (rx, end, seq)));
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Some(futures_util::StreamExt::chain(futures_util::stream::iter(backlog), live))
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs.lock().ok()?.get(id).cloned()
    }

    /// Reserves a running slot, or says to come back later.
    fn reserve(&self) -> Result<RunningSlot, SuitBuilderError> {
        let n = self.running.fetch_add(1, Ordering::SeqCst);
        let slot = RunningSlot(self.running.clone());
        if n >= MAX_RUNNING_JOBS {
            return Err(SuitBuilderError::Busy { running: MAX_RUNNING_JOBS });
        }
        Ok(slot)
    }

    fn insert(&self, job: Arc<Job>) -> String {
        let id = format!("j{}-{:08x}", self.next.fetch_add(1, Ordering::Relaxed) + 1, rand::random::<u32>());
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
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
        id
    }
}
