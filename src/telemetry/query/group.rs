//! Group-wide summaries for the overview and the gains leaderboard: the domain figures of
//! `telemetry::gains` and `telemetry::milestones`, with each character named, as the
//! typed results the API serializes.
//!
//! Owns only the naming and the result shapes; the definitions of a gain, a rank change, a
//! death and a level-up stay in their own modules. Never knows HTTP.

use super::{QueryError, TelemetryQuery};
use crate::telemetry::activity::{self, HourWithData};
use crate::telemetry::gains::{self, GainRow, Metric, Period};
use crate::telemetry::milestones::{self, MilestoneKind};
use serde::Serialize;

/// What each character gained in a period, ranked by one metric (`GET /api/leaderboard/gains`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GainsTable {
    pub metric: Metric,
    pub period: Period,
    pub from_ms: i64,
    pub to_ms: i64,
    pub rows: Vec<NamedGain>,
}

/// One row of a gains table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct NamedGain {
    pub character_name: String,
    #[serde(flatten)]
    pub gain: GainRow,
}

/// A death or level-up of a named character.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct NamedMilestone {
    /// When it was stored, unix ms.
    pub t: i64,
    pub character_name: String,
    /// The new level (level-ups) or the lifetime death count (deaths).
    pub value: u32,
}

/// Recent deaths and level-ups, newest first, over `[from_ms, to_ms]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RecentMilestones {
    pub from_ms: i64,
    pub to_ms: i64,
    pub deaths: Vec<NamedMilestone>,
    pub level_ups: Vec<NamedMilestone>,
    /// The scan stopped at its row budget (`milestones::MAX_ROWS_SCANNED`): older ones may be missing.
    pub partial: bool,
}

/// The hours of a range that hold stored telemetry (`GET /api/replay/hours`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ReplayHours {
    pub from_ms: i64,
    pub to_ms: i64,
    /// Start of the newest hour with data, where replay opens.
    pub latest_hour_ms: Option<i64>,
    pub hours: Vec<HourWithData>,
}

impl TelemetryQuery {
    /// Characters seen since `since_ms`: the only ones a summary from then on can name.
    fn seen_since(&self, since_ms: i64) -> Vec<u32> {
        self.characters.all().into_iter().filter(|c| c.last_seen_ms >= since_ms).map(|c| c.id).collect()
    }

    /// The gains table for `period` ending at `now_ms`, at most `limit` rows.
    pub fn gains(&self, metric: Metric, period: Period, limit: usize, now_ms: i64) -> Result<GainsTable, QueryError> {
        let mut rows = gains::gains(&self.days, period, metric, now_ms)?;
        rows.truncate(limit);
        Ok(GainsTable {
            metric,
            period,
            from_ms: now_ms - period.span_ms(),
            to_ms: now_ms,
            rows: rows
                .into_iter()
                .map(|gain| NamedGain { character_name: self.name_of(gain.character_id), gain })
                .collect(),
        })
    }

    /// Deaths and level-ups in `[from, to]`, at most `limit` of all kinds together.
    pub fn recent_milestones(&self, from: i64, to: i64, limit: usize) -> Result<RecentMilestones, QueryError> {
        let (found, partial) = milestones::recent_milestones(&self.days, &self.seen_since(from), from, to, limit)?;
        let named = |kind: MilestoneKind| -> Vec<NamedMilestone> {
            found
                .iter()
                .filter(|m| m.kind == kind)
                .map(|m| NamedMilestone { t: m.t, character_name: self.name_of(m.character_id), value: m.value })
                .collect()
        };
        Ok(RecentMilestones {
            from_ms: from,
            to_ms: to,
            deaths: named(MilestoneKind::Death),
            level_ups: named(MilestoneKind::LevelUp),
            partial,
        })
    }

    /// Hours of `[from, to]` with stored data, ascending.
    pub fn replay_hours(&self, from: i64, to: i64) -> Result<ReplayHours, QueryError> {
        let hours = activity::hours_with_data(&self.days, &self.seen_since(from), from, to)?;
        Ok(ReplayHours { from_ms: from, to_ms: to, latest_hour_ms: hours.last().map(|h| h.hour_ms), hours })
    }
}
