//! Leaderboard gains (Wise Old Man style): per character, what they gained in a period —
//! kills, XP, levels, rares, deaths — their rank by one metric, and how that rank moved
//! against the previous period of the same length.
//!
//! Owns the one definition of a period's gain and of rank change. Counters (kills, XP,
//! rares, deaths, time online) are the sum of the hourly rollups overlapping the period, the
//! same figures the plain leaderboard ranks. Levels are the character's level in its last
//! stored telemetry row of the period minus its level in the first: a level cannot change
//! while offline, so the first row seen in the period carries the level the period began
//! with. A level that goes down (a new character under an old name) gains nothing. Levels
//! are read from the day files, so a period older than the retention window reports none.
//! Never does HTTP.

use super::store::{DAY_MS, DayFiles, Rollup, TelemetryError};
use serde::Serialize;
use std::collections::BTreeMap;

/// The periods gains are reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "GainsPeriod"))]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    pub fn span_ms(self) -> i64 {
        match self {
            Period::Day => DAY_MS,
            Period::Week => 7 * DAY_MS,
            Period::Month => 30 * DAY_MS,
        }
    }
}

/// The figure a gains table is ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "GainsMetric"))]
pub enum Metric {
    Kills,
    Xp,
    Level,
    Rares,
    Deaths,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Metric> {
        match s {
            "kills" => Some(Metric::Kills),
            "xp" => Some(Metric::Xp),
            "level" => Some(Metric::Level),
            "rares" => Some(Metric::Rares),
            "deaths" => Some(Metric::Deaths),
            _ => None,
        }
    }

    fn of(self, g: &PeriodGain) -> i64 {
        let r = &g.rollup;
        match self {
            Metric::Kills => r.kills as i64,
            Metric::Xp => r.xp,
            Metric::Level => i64::from(g.levels()),
            Metric::Rares => r.rares as i64,
            Metric::Deaths => r.deaths as i64,
        }
    }
}

/// What one character did in one period: its rollup totals and the level it had in its
/// first and last stored row of the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeriodGain {
    pub rollup: Rollup,
    pub level_from: Option<u32>,
    pub level_to: Option<u32>,
}

impl PeriodGain {
    /// Levels gained: never negative, none without a level at both ends.
    pub fn levels(&self) -> u32 {
        match (self.level_from, self.level_to) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        }
    }
}

/// One character's gains in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct GainRow {
    /// Internal: the query layer names the character (`telemetry::query::NamedGain`).
    #[serde(skip)]
    pub character_id: u32,
    /// 1-based rank by the chosen metric in this period.
    pub rank: usize,
    /// Rank in the previous period of the same length; `None` when they gained nothing then.
    pub previous_rank: Option<usize>,
    /// `previous_rank - rank`: positive when the character climbed; `None` if new.
    pub rank_change: Option<i64>,
    pub kills: u64,
    pub xp: i64,
    /// Levels gained in the period.
    pub levels: u32,
    /// Level in the character's last stored row of the period.
    pub level: Option<u32>,
    pub rares: u64,
    pub deaths: u64,
    /// Seconds online in the period.
    pub online_s: u64,
}

/// Gains in `[now - span, now]`, ranked by `metric`, with rank change against
/// `[now - 2·span, now - span)`.
pub fn gains(days: &DayFiles, period: Period, metric: Metric, now_ms: i64) -> Result<Vec<GainRow>, TelemetryError> {
    let span = period.span_ms();
    // Every row shows the level gained; the previous period's levels only matter when
    // they decide the previous ranks.
    let current = period_gains(days, now_ms - span, now_ms, true)?;
    let previous = period_gains(days, now_ms - 2 * span, now_ms - span - 1, metric == Metric::Level)?;
    Ok(rank_gains(&current, &previous, metric))
}

/// Each character's gains in `[from, to]`: the characters with a rollup there, with their
/// first and last stored level when `with_levels`.
pub fn period_gains(
    days: &DayFiles,
    from: i64,
    to: i64,
    with_levels: bool,
) -> Result<BTreeMap<u32, PeriodGain>, TelemetryError> {
    let mut out = BTreeMap::new();
    for (id, rollup) in days.rollup_totals(from, to)? {
        let (mut level_from, mut level_to) = (None, None);
        if with_levels {
            days.trail_for_each(id, from, to, |row| {
                level_from = row.tel.level;
                level_from.is_none()
            })?;
            if level_from.is_some() {
                level_to = days.trail_last(id, from, to, |row| row.tel.level.is_some())?.and_then(|r| r.tel.level);
            }
        }
        out.insert(id, PeriodGain { rollup, level_from, level_to });
    }
    Ok(out)
}

/// Ranks `current` by `metric` (ties by id, so the order is stable), leaving out
/// characters who gained nothing by it, and attaches each one's rank in `previous`.
pub fn rank_gains(
    current: &BTreeMap<u32, PeriodGain>,
    previous: &BTreeMap<u32, PeriodGain>,
    metric: Metric,
) -> Vec<GainRow> {
    let previous_ranks: BTreeMap<u32, usize> =
        ranked(previous, metric).into_iter().enumerate().map(|(i, (id, _))| (id, i + 1)).collect();
    ranked(current, metric)
        .into_iter()
        .enumerate()
        .map(|(i, (id, g))| {
            let r = &g.rollup;
            let rank = i + 1;
            let previous_rank = previous_ranks.get(&id).copied();
            GainRow {
                character_id: id,
                rank,
                previous_rank,
                rank_change: previous_rank.map(|p| p as i64 - rank as i64),
                kills: r.kills,
                xp: r.xp,
                levels: g.levels(),
                level: g.level_to,
                rares: r.rares,
                deaths: r.deaths,
                online_s: r.online_s,
            }
        })
        .collect()
}

fn ranked(totals: &BTreeMap<u32, PeriodGain>, metric: Metric) -> Vec<(u32, &PeriodGain)> {
    let mut rows: Vec<(u32, &PeriodGain)> =
        totals.iter().filter(|(_, r)| metric.of(r) > 0).map(|(id, r)| (*id, r)).collect();
    rows.sort_by(|a, b| metric.of(b.1).cmp(&metric.of(a.1)).then(a.0.cmp(&b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(rows: &[(u32, u64, i64)]) -> BTreeMap<u32, PeriodGain> {
        rows.iter()
            .map(|(id, kills, xp)| {
                (
                    *id,
                    PeriodGain { rollup: Rollup { kills: *kills, xp: *xp, ..Rollup::default() }, ..Default::default() },
                )
            })
            .collect()
    }

    fn levels(rows: &[(u32, Option<u32>, Option<u32>)]) -> BTreeMap<u32, PeriodGain> {
        rows.iter()
            .map(|(id, from, to)| (*id, PeriodGain { level_from: *from, level_to: *to, ..Default::default() }))
            .collect()
    }

    #[test]
    fn level_gains_rank_by_levels_gained_with_rank_change() {
        let previous = levels(&[(1, Some(100), Some(104)), (2, Some(50), Some(51))]);
        let current = levels(&[(1, Some(104), Some(105)), (2, Some(51), Some(54)), (3, Some(9), Some(9))]);
        let rows = rank_gains(&current, &previous, Metric::Level);
        let summary: Vec<_> = rows.iter().map(|r| (r.character_id, r.levels, r.level, r.rank_change)).collect();
        // 3 gained no level and is left out; 2 climbed from second to first.
        assert_eq!(summary, vec![(2, 3, Some(54), Some(1)), (1, 1, Some(105), Some(-1))]);
    }

    #[test]
    fn a_level_that_drops_or_is_unknown_gains_nothing() {
        assert_eq!(PeriodGain { level_from: Some(80), level_to: Some(12), ..Default::default() }.levels(), 0);
        assert_eq!(PeriodGain { level_from: None, level_to: Some(12), ..Default::default() }.levels(), 0);
        assert_eq!(PeriodGain { level_from: Some(10), level_to: Some(12), ..Default::default() }.levels(), 2);
    }

    #[test]
    fn ranks_by_metric_and_reports_rank_change_against_the_previous_period() {
        let previous = totals(&[(1, 100, 5), (2, 50, 9), (3, 10, 0)]);
        let current = totals(&[(1, 20, 1), (2, 70, 2), (4, 30, 0)]);
        let rows = rank_gains(&current, &previous, Metric::Kills);
        let summary: Vec<_> = rows.iter().map(|r| (r.character_id, r.rank, r.previous_rank, r.rank_change)).collect();
        assert_eq!(summary, vec![(2, 1, Some(2), Some(1)), (4, 2, None, None), (1, 3, Some(1), Some(-2))]);
        assert_eq!(rows[0].kills, 70);
        assert_eq!(rows[0].xp, 2);
    }

    #[test]
    fn characters_without_a_gain_in_the_metric_are_left_out() {
        let current = totals(&[(1, 5, 0), (2, 0, 40)]);
        let by_xp = rank_gains(&current, &BTreeMap::new(), Metric::Xp);
        assert_eq!(by_xp.iter().map(|r| r.character_id).collect::<Vec<_>>(), vec![2]);
        assert_eq!(by_xp[0].previous_rank, None);
        let by_kills = rank_gains(&current, &BTreeMap::new(), Metric::Kills);
        assert_eq!(by_kills.iter().map(|r| r.character_id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn ties_rank_in_a_stable_order() {
        let current = totals(&[(9, 10, 0), (3, 10, 0)]);
        let rows = rank_gains(&current, &BTreeMap::new(), Metric::Kills);
        assert_eq!(rows.iter().map(|r| r.character_id).collect::<Vec<_>>(), vec![3, 9]);
    }

    #[test]
    fn periods_and_metrics_parse_only_known_names() {
        assert_eq!(Period::parse("week").map(Period::span_ms), Some(7 * DAY_MS));
        assert_eq!(Period::parse("all"), None);
        assert_eq!(Metric::parse("rares"), Some(Metric::Rares));
        assert_eq!(Metric::parse("level"), Some(Metric::Level));
        assert_eq!(Metric::parse("levels"), None);
    }
}
