//! Asheron's Call game facts that more than one part of Overlord names: equipment sets and
//! cantrip tiers and families.
//!
//! Owns: one table per fact, so item search, the item model, the suit solver and the
//! simulator can never disagree about a name (a test in `solver::sets` holds the solver's
//! tables to these names). Must never: depend on any other Overlord module, do I/O, or hold
//! values that belong to one consumer (the solver's set values stay in `solver::sets`).

pub mod cantrips;
pub(crate) mod sets;

/// Lowercase with spaces, apostrophes, hyphens and underscores removed, for forgiving name
/// matches (`"Reed Shark Hide"` = `"reedsharkhide"`).
pub fn fold_name(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '\'' | '’' | '-' | '_')).flat_map(char::to_lowercase).collect()
}
