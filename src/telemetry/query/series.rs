//! One character's metric over time, one value per step: the last reported value, or for
//! the two rates at steps of an hour or more, the rate over time online from the hourly
//! rollups (which outlive the day files retention deletes).

use super::{QueryError, ServedRange, Source, TelemetryQuery, TimeRange};
use crate::telemetry::block::Row;
use crate::telemetry::{DayFiles, TelemetryError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Series buckets at most (a chart has no use for more).
pub const SERIES_MAX_BUCKETS: i64 = 10_000;
/// Below this many seconds online an hour says nothing about a rate.
const MIN_ONLINE_S_FOR_RATE: u64 = 60;
const HOUR_MS: i64 = 3_600_000;

/// The metrics a series can chart (docs/api.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SeriesMetric {
    Kills,
    KillsPerHour,
    Deaths,
    XpPerHour,
    TotalXp,
    Level,
    Luminance,
    PrismaticTaperCount,
}

impl SeriesMetric {
    pub const ALL: [SeriesMetric; 8] = [
        SeriesMetric::Kills,
        SeriesMetric::KillsPerHour,
        SeriesMetric::Deaths,
        SeriesMetric::XpPerHour,
        SeriesMetric::TotalXp,
        SeriesMetric::Level,
        SeriesMetric::Luminance,
        SeriesMetric::PrismaticTaperCount,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SeriesMetric::Kills => "kills",
            SeriesMetric::KillsPerHour => "kills_per_hour",
            SeriesMetric::Deaths => "deaths",
            SeriesMetric::XpPerHour => "xp_per_hour",
            SeriesMetric::TotalXp => "total_xp",
            SeriesMetric::Level => "level",
            SeriesMetric::Luminance => "luminance",
            SeriesMetric::PrismaticTaperCount => "prismatic_taper_count",
        }
    }

    pub fn parse(s: &str) -> Result<SeriesMetric, QueryError> {
        SeriesMetric::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = SeriesMetric::ALL.iter().map(|m| m.name()).collect();
            QueryError::bad("metric", format!("'{s}' is not one of {}", names.join(", ")))
        })
    }

    fn value(self, r: &Row) -> Option<f64> {
        let t = &r.tel;
        match self {
            SeriesMetric::Kills => t.kills.map(f64::from),
            SeriesMetric::KillsPerHour => t.kills_per_hour,
            SeriesMetric::Deaths => t.deaths.map(f64::from),
            SeriesMetric::XpPerHour => t.xp_per_hour.map(|v| v as f64),
            SeriesMetric::TotalXp => t.total_xp.map(|v| v as f64),
            SeriesMetric::Level => t.level.map(f64::from),
            SeriesMetric::Luminance => t.luminance.map(|v| v as f64),
            SeriesMetric::PrismaticTaperCount => t.prismatic_taper_count.map(f64::from),
        }
    }

    fn is_rate(self) -> bool {
        matches!(self, SeriesMetric::KillsPerHour | SeriesMetric::XpPerHour)
    }
}

/// `GET /api/characters/{name}/series`: `points` are `[t, value]`, `t` the step's start.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Series {
    pub metric: SeriesMetric,
    pub step_s: i64,
    /// The range served (the request clamped to stored data), `None` when nothing stored
    /// overlaps it.
    pub range: Option<ServedRange>,
    pub points: Vec<(i64, f64)>,
}

impl TelemetryQuery {
    /// `name`'s `metric` over `range`, one value per `step_s` (default about a 300th of the
    /// served range, at least 10 s; widened so there are at most `SERIES_MAX_BUCKETS`).
    pub fn series(
        &self,
        name: &str,
        metric: SeriesMetric,
        range: TimeRange,
        step_s: Option<i64>,
    ) -> Result<Series, QueryError> {
        let info = self.character(name)?;
        let step_for = |served: Option<TimeRange>| {
            let span_s = (served.map_or(range.to - range.from, |s| s.to - s.from) / 1000).max(1);
            step_s.unwrap_or((span_s / 300).max(10)).max(1).max(span_s / SERIES_MAX_BUCKETS)
        };
        // Rates at steps of an hour or more come from the rollups, which reach further back
        // than the raw events; everything else is clamped to the raw events.
        let mut served = self.clamp(range, if metric.is_rate() { Source::Rollups } else { Source::RawEvents });
        let mut step_s = step_for(served);
        if metric.is_rate() && step_s < 3600 {
            served = self.clamp(range, Source::RawEvents);
            step_s = step_for(served);
        }
        let Some(served) = served else {
            return Ok(Series { metric, step_s, range: None, points: Vec::new() });
        };
        let step_ms = step_s * 1000;
        // Steps stay on the grid the request asked for, whatever was clamped off its start.
        let anchor = range.from + (served.from - range.from).div_euclid(step_ms) * step_ms;
        let points = series_points(&self.days, info.id, metric, anchor, served, step_ms)?;
        Ok(Series { metric, step_s, range: Some(served.into()), points })
    }
}

/// Steps of an hour or more answer the two rates from the hourly rollups — kills or XP per
/// hour online in each step — so long-range charts stay cheap and outlive the day files
/// that retention deletes. Everything else is the last reported value in each step, read
/// block by block so memory holds one value per step.
fn series_points(
    days: &DayFiles,
    id: u32,
    metric: SeriesMetric,
    anchor: i64,
    range: TimeRange,
    step_ms: i64,
) -> Result<Vec<(i64, f64)>, TelemetryError> {
    let TimeRange { from, to } = range;
    let bucket_of = |t: i64| anchor + (t - anchor).div_euclid(step_ms) * step_ms;
    if step_ms >= HOUR_MS && metric.is_rate() {
        let first_hour = from - from.rem_euclid(HOUR_MS);
        let mut sums: BTreeMap<i64, (f64, u64)> = BTreeMap::new();
        for (hour, r) in days.rollup_hours(id, first_hour, to)? {
            let e = sums.entry(bucket_of(hour.max(from))).or_default();
            e.0 += if metric == SeriesMetric::KillsPerHour { r.kills as f64 } else { r.xp as f64 };
            e.1 += r.online_s;
        }
        return Ok(sums
            .into_iter()
            .filter(|(_, (_, online))| *online >= MIN_ONLINE_S_FOR_RATE)
            .map(|(b, (n, online))| (b, (n * 3600.0 / online as f64).round()))
            .collect());
    }
    let mut last: BTreeMap<i64, (i64, f64)> = BTreeMap::new();
    days.trail_for_each(id, from, to, |r| {
        if let Some(v) = metric.value(&r) {
            let e = last.entry(bucket_of(r.t)).or_insert((r.t, v));
            if r.t >= e.0 {
                *e = (r.t, v);
            }
        }
        true
    })?;
    Ok(last.into_iter().map(|(b, (_, v))| (b, v)).collect())
}
