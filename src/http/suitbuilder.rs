//! `/api/suitbuilder/*`: suit-builder jobs with SSE progress, status, cancel, and the
//! synchronous solve. Extraction and serialization only: resolution, jobs and their
//! events are `crate::suitbuilder`, the search is `crate::solver`.

use super::{ApiError, App, AppState};
use crate::solver::{self, SolverError, SuitRequest};
use crate::suitbuilder::{self as builder, JobCreated, JobOutcome, JobSnapshot, Sources, SuitBuilderError};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::atomic::Ordering;

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

impl From<SuitBuilderError> for ApiError {
    fn from(e: SuitBuilderError) -> Self {
        match e {
            SuitBuilderError::Solver(e) => e.into(),
            SuitBuilderError::NoItems(_) => ApiError::NotFound(e.to_string()),
            SuitBuilderError::TooManyOwners { .. } | SuitBuilderError::TooManyItems { .. } => {
                ApiError::TooLarge(e.to_string())
            }
            SuitBuilderError::Busy { .. } => ApiError::RateLimited { message: e.to_string(), retry_after_s: 5 },
            SuitBuilderError::Store(_) | SuitBuilderError::Transaction(_) | SuitBuilderError::SearchFailed(_) => {
                ApiError::internal(e)
            }
        }
    }
}

fn sources(app: &App) -> Sources<'_> {
    Sources { state_db: &app.state_db, hub: &app.hub, characters: &app.characters, days: &app.days }
}

/// The request, its items and profile resolved, validated into a problem.
fn prepare(
    app: &App,
    body: Result<Json<SuitRequest>, JsonRejection>,
) -> Result<(solver::Problem, Vec<builder::SkippedItem>), ApiError> {
    let Json(mut req) = body.map_err(|e| match e {
        JsonRejection::JsonDataError(e) => ApiError::Invalid(format!("suit-builder request: {}", e.body_text())),
        other => ApiError::from(other),
    })?;
    let resolved = builder::resolve(&sources(app), &mut req)?;
    let problem = solver::Problem::new(&req, resolved.items, resolved.profile)?;
    Ok((problem, resolved.skipped))
}

async fn create_job(
    State(app): State<AppState>,
    body: Result<Json<SuitRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<JobCreated>), ApiError> {
    let (problem, skipped) = prepare(&app, body)?;
    let created = app.jobs.start(problem, skipped)?;
    app.metrics.solver_jobs.fetch_add(1, Ordering::Relaxed);
    Ok((StatusCode::ACCEPTED, Json(created)))
}

async fn job_status(State(app): State<AppState>, Path(id): Path<String>) -> Result<Json<JobSnapshot>, ApiError> {
    app.jobs.snapshot(&id).map(Json).ok_or_else(|| no_job(&id))
}

async fn cancel_job(State(app): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    app.jobs.cancel(&id).then_some(StatusCode::NO_CONTENT).ok_or_else(|| no_job(&id))
}

async fn job_events(State(app): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let events = app.jobs.subscribe(&id).ok_or_else(|| no_job(&id))?;
    let stream = futures_util::StreamExt::map(events, |e| {
        Ok::<_, std::convert::Infallible>(Event::default().event(e.name).id(e.seq.to_string()).data(&*e.data))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn solve_now(
    State(app): State<AppState>,
    body: Result<Json<SuitRequest>, JsonRejection>,
) -> Result<Json<JobOutcome>, ApiError> {
    let (problem, skipped) = prepare(&app, body)?;
    let outcome = app.jobs.solve_now(problem, skipped).await;
    if !matches!(outcome, Err(SuitBuilderError::Busy { .. })) {
        app.metrics.solver_jobs.fetch_add(1, Ordering::Relaxed);
    }
    Ok(Json(outcome?))
}

fn no_job(id: &str) -> ApiError {
    ApiError::NotFound(format!("no suit-builder job {id}"))
}
