//! The read side of telemetry: every question the API asks of stored events, answered as
//! typed, serializable results — trails (thinned while read), series (rates from the
//! hourly rollups), raw event pages with cursors, rares, the spawn heatmap, leaderboards.
//!
//! Owns: clamping a requested time range to the data that is stored (and saying which
//! range was served), the trail and series algorithms, cursor paging. Never writes, never
//! knows HTTP; blocking redb reads, so async callers run it on the blocking pool.

mod events;
mod group;
mod series;
mod trail;
mod world;

pub use events::{Cursor, EVENTS_MAX, EventsPage, ExportedEvent, RARES_MAX, RareRow, Rares};
pub use group::{GainsTable, NamedGain, NamedMilestone, RecentMilestones, ReplayHours};
pub use series::{SERIES_MAX_BUCKETS, Series, SeriesMetric};
pub use trail::{TELEPORT_UNITS, TRAIL_DEFAULT_POINTS, TRAIL_MAX_POINTS, Trail, TrailPoint, thin_trail, trail_points};
pub use world::{Heatmap, HeatmapBin, LEADERBOARD_MAX, Leaderboard, LeaderboardMetric, LeaderboardRow, Period};

use super::store::{DAY_MS, day_of};
use super::{Characters, DayFiles, TelemetryError};
use serde::Serialize;

/// A failed telemetry query: what was asked cannot be answered (the caller's mistake) or
/// storage failed (ours).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no character named '{0}' has been seen")]
    UnknownCharacter(String),
    #[error("parameter '{param}': {message}")]
    BadParameter { param: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] TelemetryError),
}

impl QueryError {
    fn bad(param: &'static str, message: impl Into<String>) -> Self {
        QueryError::BadParameter { param, message: message.into() }
    }
}

/// A requested time range, both ends inclusive unix milliseconds, `from <= to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub from: i64,
    pub to: i64,
}

impl TimeRange {
    /// `from` after `to` is the only invalid range; any other range is clamped later to
    /// what is stored.
    pub fn new(from: i64, to: i64) -> Result<TimeRange, QueryError> {
        if from > to {
            return Err(QueryError::bad("from", "is after 'to'"));
        }
        Ok(TimeRange { from, to })
    }

    /// The part of this range inside `extent`, or `None` when they do not overlap.
    fn within(self, extent: Option<TimeRange>) -> Option<TimeRange> {
        let e = extent?;
        let (from, to) = (self.from.max(e.from), self.to.min(e.to));
        (from <= to).then_some(TimeRange { from, to })
    }
}

/// The range a response actually covers: the request clamped to the stored data
/// (docs/api.md, "Time ranges"). Serialized as `{"from","to"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ServedRange {
    pub from: i64,
    pub to: i64,
}

impl From<TimeRange> for ServedRange {
    fn from(r: TimeRange) -> Self {
        ServedRange { from: r.from, to: r.to }
    }
}

/// Which stored data a query reads: raw events live only in the day files; hourly
/// rollups also in the archive, which outlives retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    RawEvents,
    Rollups,
}

/// Read-only access to stored telemetry. Cheap to clone (shared handles).
#[derive(Clone)]
pub struct TelemetryQuery {
    days: DayFiles,
    characters: Characters,
}

impl TelemetryQuery {
    pub fn new(days: DayFiles, characters: Characters) -> Self {
        TelemetryQuery { days, characters }
    }

    /// Whole UTC days holding data from `source`, as one range (first day's start to last
    /// day's end), or `None` when nothing is stored.
    fn extent(&self, source: Source) -> Option<TimeRange> {
        let files = self.days.days();
        let (mut first, mut last) = (files.first().copied(), files.last().copied());
        if source == Source::Rollups {
            let view = self.days.archive().view();
            let archived = view.days();
            first = [first, archived.keys().next().copied()].into_iter().flatten().min();
            last = [last, archived.keys().next_back().copied()].into_iter().flatten().max();
        }
        Some(TimeRange { from: first? * DAY_MS, to: (last? + 1) * DAY_MS - 1 })
    }

    fn clamp(&self, range: TimeRange, source: Source) -> Option<TimeRange> {
        range.within(self.extent(source))
    }

    fn character(&self, name: &str) -> Result<super::CharacterInfo, QueryError> {
        self.characters.by_name(name).ok_or_else(|| QueryError::UnknownCharacter(name.to_string()))
    }

    fn name_of(&self, id: u32) -> String {
        self.characters.get(id).map(|c| c.name).unwrap_or_default()
    }
}

/// Days in `range`, ascending, as (day, the part of `range` inside it).
fn day_slices(range: TimeRange) -> impl Iterator<Item = (i64, TimeRange)> {
    (day_of(range.from)..=day_of(range.to)).map(move |day| {
        (day, TimeRange { from: (day * DAY_MS).max(range.from), to: ((day + 1) * DAY_MS - 1).min(range.to) })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_is_clamped_to_the_extent_and_empty_outside_it() {
        let extent = Some(TimeRange { from: 1_000, to: 2_000 });
        assert_eq!(TimeRange::new(0, i64::MAX).unwrap().within(extent), Some(TimeRange { from: 1_000, to: 2_000 }));
        assert_eq!(TimeRange::new(1_500, 1_600).unwrap().within(extent), Some(TimeRange { from: 1_500, to: 1_600 }));
        assert_eq!(TimeRange::new(2_001, 3_000).unwrap().within(extent), None);
        assert_eq!(TimeRange::new(0, 10).unwrap().within(None), None);
        assert!(TimeRange::new(2, 1).is_err());
    }

    #[test]
    fn day_slices_cover_the_range_exactly() {
        let r = TimeRange { from: DAY_MS - 5, to: 2 * DAY_MS + 7 };
        let s: Vec<_> = day_slices(r).collect();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].1, TimeRange { from: DAY_MS - 5, to: DAY_MS - 1 });
        assert_eq!(s[1].1, TimeRange { from: DAY_MS, to: 2 * DAY_MS - 1 });
        assert_eq!(s[2].1, TimeRange { from: 2 * DAY_MS, to: 2 * DAY_MS + 7 });
    }
}
