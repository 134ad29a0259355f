//! World-wide views: the outdoor spawn heatmap and the leaderboards.

use super::{QueryError, ServedRange, Source, TelemetryQuery, TimeRange};
use crate::protocol::Spawn;
use crate::telemetry::EventKind;
use crate::telemetry::store::DAY_MS;
use serde::Serialize;
use std::collections::HashMap;

/// Spawns a heatmap may scan before answering with what it has.
const HEATMAP_SCAN_CAP: usize = 500_000;
/// Heatmap cells, in map units: finer than 0.05 is noise, coarser than 50 is one blob.
const MIN_CELL: f64 = 0.05;
const MAX_CELL: f64 = 50.0;
/// Most leaderboard rows.
pub const LEADERBOARD_MAX: usize = 1_000;

/// `GET /api/spawns/heatmap`: bins by count, largest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Heatmap {
    pub cell: f64,
    pub range: Option<ServedRange>,
    pub bins: Vec<HeatmapBin>,
}

/// A bin's centre and the spawns seen in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HeatmapBin {
    pub ew: f64,
    pub ns: f64,
    pub count: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LeaderboardMetric {
    Kills,
    Rares,
    Deaths,
    Xp,
}

impl LeaderboardMetric {
    pub fn parse(s: &str) -> Result<Self, QueryError> {
        Ok(match s {
            "kills" => LeaderboardMetric::Kills,
            "rares" => LeaderboardMetric::Rares,
            "deaths" => LeaderboardMetric::Deaths,
            "xp" => LeaderboardMetric::Xp,
            other => {
                return Err(QueryError::bad("metric", format!("'{other}' is not one of kills, rares, deaths, xp")));
            }
        })
    }
}

/// How far back a leaderboard counts: the last 24 hours, 7 days, 30 days, or everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    All,
}

impl Period {
    pub fn parse(s: &str) -> Result<Self, QueryError> {
        Ok(match s {
            "day" => Period::Day,
            "week" => Period::Week,
            "month" => Period::Month,
            "all" => Period::All,
            other => return Err(QueryError::bad("period", format!("'{other}' is not one of day, week, month, all"))),
        })
    }

    fn start(self, now_ms: i64) -> i64 {
        match self {
            Period::Day => now_ms - DAY_MS,
            Period::Week => now_ms - 7 * DAY_MS,
            Period::Month => now_ms - 30 * DAY_MS,
            Period::All => 0,
        }
    }
}

/// `GET /api/leaderboard`: largest first, ties by name.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Leaderboard {
    pub metric: LeaderboardMetric,
    pub period: Period,
    pub rows: Vec<LeaderboardRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct LeaderboardRow {
    pub character_name: String,
    pub value: i64,
}

impl TelemetryQuery {
    /// Outdoor spawns in `range` (clamped to stored days) binned on a `cell` grid;
    /// `monster` matches part of the name, without case.
    pub fn heatmap(&self, range: TimeRange, cell: f64, monster: Option<&str>) -> Result<Heatmap, QueryError> {
        if !cell.is_finite() || !(MIN_CELL..=MAX_CELL).contains(&cell) {
            return Err(QueryError::bad("cell", format!("must be between {MIN_CELL} and {MAX_CELL} map units")));
        }
        let monster = monster.map(|m| m.trim().to_lowercase()).filter(|m| !m.is_empty());
        let Some(served) = self.clamp(range, Source::RawEvents) else {
            return Ok(Heatmap { cell, range: None, bins: Vec::new() });
        };
        let mut bins: HashMap<(i64, i64), u64> = HashMap::new();
        let mut undecodable = 0usize;
        self.days.events(EventKind::Spawn, None, served.from, served.to, HEATMAP_SCAN_CAP, |_, bytes| {
            let spawn = match serde_json::from_slice::<Spawn>(bytes) {
                Ok(s) => s,
                Err(_) => {
                    undecodable += 1;
                    return true;
                }
            };
            if spawn.place.is_dungeon {
                return true;
            }
            if let Some(m) = &monster
                && !spawn.monster_name.to_lowercase().contains(m.as_str())
            {
                return true;
            }
            if let (Some(ew), Some(ns)) = (spawn.place.ew, spawn.place.ns) {
                *bins.entry(((ew / cell).floor() as i64, (ns / cell).floor() as i64)).or_default() += 1;
            }
            true
        })?;
        if undecodable > 0 {
            tracing::warn!(undecodable, "stored spawns that do not decode were left out of a heatmap");
        }
        let mut bins: Vec<HeatmapBin> = bins
            .into_iter()
            .map(|((x, y), count)| HeatmapBin { ew: (x as f64 + 0.5) * cell, ns: (y as f64 + 0.5) * cell, count })
            .collect();
        bins.sort_by_key(|b| std::cmp::Reverse(b.count));
        Ok(Heatmap { cell, range: Some(served.into()), bins })
    }

    /// Characters ranked by `metric` over `period` ending at `now_ms`, from the hourly
    /// rollups (so `all` reaches past retention); characters at 0 are left out.
    pub fn leaderboard(
        &self,
        metric: LeaderboardMetric,
        period: Period,
        limit: usize,
        now_ms: i64,
    ) -> Result<Leaderboard, QueryError> {
        let totals = self.days.rollup_totals(period.start(now_ms), now_ms)?;
        let mut rows: Vec<LeaderboardRow> = totals
            .into_iter()
            .filter_map(|(id, r)| {
                let value = match metric {
                    LeaderboardMetric::Kills => r.kills as i64,
                    LeaderboardMetric::Rares => r.rares as i64,
                    LeaderboardMetric::Deaths => r.deaths as i64,
                    LeaderboardMetric::Xp => r.xp,
                };
                (value > 0).then(|| LeaderboardRow { character_name: self.name_of(id), value })
            })
            .collect();
        rows.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.character_name.cmp(&b.character_name)));
        rows.truncate(limit.clamp(1, LEADERBOARD_MAX));
        Ok(Leaderboard { metric, period, rows })
    }
}
