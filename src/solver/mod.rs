//! The suit builder: chooses the armor, clothing and jewelry a character should wear from
//! the items of that character and its mules (docs/solver.md).
//!
//! Owns: the slot model, scoring, eligibility, the exact branch-and-bound search and its
//! progress reporting. Must never: perform I/O (no files, network, store or clock-based
//! randomness), spawn anything but the scoped search threads of one call, or return a
//! suit it has not scored with [`score::evaluate`]. Progress leaves through the `sink`
//! callback; cancellation comes in through an `AtomicBool`.
//!
//! Use: decode a [`SuitRequest`] (and the items, as [`Wearable`]s), build a
//! [`Problem`] (eligibility; 413/422 errors naming items), then [`solve`].

pub(crate) mod bound;
pub(crate) mod dominance;
pub mod eligibility;
pub(crate) mod engine;
pub(crate) mod incumbent;
pub(crate) mod model;
pub(crate) mod request;
pub mod score;
pub(crate) mod search;
pub mod sets;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
#[cfg(test)]
mod tests;

use std::sync::atomic::AtomicBool;

pub use eligibility::{EligibilityCounts, Problem};
pub use model::{Part, Placement, SlotGroup, Wearable, WieldRequirement};
pub use request::{AetheriaSlots, Profile, SuitRequest};
pub use score::{Components, SolveOutcome, SolveStats, SolverEvent, StopReason, Suit, SuitItem, SuitSet, SuitSpell};

/// Why a request cannot be solved. [`SolverError::http_status`] gives the status docs/api.md
/// assigns; the message names the field or items and the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SolverError {
    /// 422 `invalid`: a bad value, or locked items that are missing, ineligible or in
    /// conflict (named).
    Invalid(String),
    /// 413 `too_large`: more items than [`request::MAX_ITEMS`].
    TooLarge(String),
}

impl SolverError {
    /// 422 for `Invalid`, 413 for `TooLarge`.
    pub fn http_status(&self) -> u16 {
        match self {
            SolverError::Invalid(_) => 422,
            SolverError::TooLarge(_) => 413,
        }
    }

    /// docs/api.md error code: `"invalid"` or `"too_large"`.
    pub fn code(&self) -> &'static str {
        match self {
            SolverError::Invalid(_) => "invalid",
            SolverError::TooLarge(_) => "too_large",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            SolverError::Invalid(m) | SolverError::TooLarge(m) => m,
        }
    }
}

impl std::fmt::Display for SolverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for SolverError {}

/// Searches `problem` for its top-k suits. Emits [`SolverEvent::Progress`] about four
/// times a second and [`SolverEvent::Best`] whenever the best suit improves, all from the
/// calling thread. Stops within 100 ms of `cancel` becoming true, or at the problem's
/// time limit, returning the best suits so far with `optimal: false` and the remaining
/// gap. The result does not depend on the thread count.
pub fn solve(
    problem: &Problem,
    sink: &mut dyn FnMut(SolverEvent),
    cancel: &AtomicBool,
) -> Result<SolveOutcome, SolverError> {
    search::run(problem, sink, cancel)
}

/// [`Problem::new`] then [`solve`]: the whole request in one call.
pub fn solve_request(
    request: &SuitRequest,
    items: Vec<Wearable>,
    stored_profile: Option<Profile>,
    sink: &mut dyn FnMut(SolverEvent),
    cancel: &AtomicBool,
) -> Result<SolveOutcome, SolverError> {
    let problem = Problem::new(request, items, stored_profile)?;
    solve(&problem, sink, cancel)
}
