//! The suit builder as a service: resolves a request's items (the owners' stored items,
//! converted from the typed inventory model) and profile (live or stored
//! `character_stats`), runs searches on the blocking pool, and keeps the job registry —
//! running slots, retention, and each job's event backlog for late subscribers.
//!
//! Owns: jobs and their lifecycle, the inventory → solver item conversion. Never scores or
//! searches (that is `solver`, which stays pure) and never knows HTTP: handlers turn its
//! typed results and errors into responses.

mod convert;
mod jobs;
mod resolve;

pub use convert::{SkippedItem, wearable_from_item};
pub use jobs::{
    JOB_TTL, JobCreated, JobEvent, JobOutcome, JobSnapshot, JobStatus, Jobs, MAX_KEPT_JOBS, MAX_RUNNING_JOBS,
};
pub use resolve::{Resolved, Sources, resolve};

use crate::solver::SolverError;

/// Why a suit-builder request was not run.
#[derive(Debug, thiserror::Error)]
pub enum SuitBuilderError {
    /// The request itself (422 `invalid` or 413 `too_large`, named by the solver).
    #[error(transparent)]
    Solver(#[from] SolverError),
    #[error("no items are stored for '{0}'")]
    NoItems(String),
    #[error("at most {max} owners per request")]
    TooManyOwners { max: usize },
    #[error("the owners hold more than {max} wearable items")]
    TooManyItems { max: usize },
    #[error("{running} suit-builder searches are running; try again shortly")]
    Busy { running: usize },
    #[error("reading stored items: {0}")]
    Store(#[from] crate::inventory::StoreError),
    #[error("reading stored items: {0}")]
    Transaction(#[from] redb::TransactionError),
    /// The blocking pool failed the search (a panic in the solver).
    #[error("the search failed: {0}")]
    SearchFailed(#[from] tokio::task::JoinError),
}
