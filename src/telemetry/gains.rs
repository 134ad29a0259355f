//! Leaderboard gains (Wise Old Man style): per character, what they gained in a period —
//! kills, XP, rares, deaths — their rank by one metric, and how that rank moved against the
//! previous period of the same length.
//!
//! Owns the one definition of a period's gain (the sum of the hourly rollups overlapping
//! it, the same figures the plain leaderboard ranks) and of rank change. Never does HTTP.

use super::store::{DAY_MS, DayFiles, Rollup, TelemetryError};
use serde::Serialize;
use std::collections::BTreeMap;

/// The periods gains are reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Kills,
    Xp,
    Rares,
    Deaths,
}

impl Metric {
    pub fn parse(s: &str) -> Option<Metric> {
        match s {
            "kills" => Some(Metric::Kills),
            "xp" => Some(Metric::Xp),
            "rares" => Some(Metric::Rares),
            "deaths" => Some(Metric::Deaths),
            _ => None,
        }
    }

    fn of(self, r: &Rollup) -> i64 {
        match self {
            Metric::Kills => r.kills as i64,
            Metric::Xp => r.xp,
            Metric::Rares => r.rares as i64,
            Metric::Deaths => r.deaths as i64,
        }
    }
}

/// One character's gains in the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GainRow {
    pub character_id: u32,
    /// 1-based rank by the chosen metric in this period.
    pub rank: usize,
    /// Rank in the previous period of the same length; `None` when they gained nothing then.
    pub previous_rank: Option<usize>,
    /// `previous_rank - rank`: positive when the character climbed; `None` if new.
    pub rank_change: Option<i64>,
    pub kills: u64,
    pub xp: i64,
    pub rares: u64,
    pub deaths: u64,
    /// Seconds online in the period.
    pub online_s: u64,
}

/// Gains in `[now - span, now]`, ranked by `metric`, with rank change against
/// `[now - 2·span, now - span)`.
pub fn gains(days: &DayFiles, period: Period, metric: Metric, now_ms: i64) -> Result<Vec<GainRow>, TelemetryError> {
    let span = period.span_ms();
    let current = days.rollup_totals(now_ms - span, now_ms)?;
    let previous = days.rollup_totals(now_ms - 2 * span, now_ms - span - 1)?;
    Ok(rank_gains(&current, &previous, metric))
}

/// Ranks `current` by `metric` (ties by id, so the order is stable), leaving out
/// characters who gained nothing by it, and attaches each one's rank in `previous`.
pub fn rank_gains(current: &BTreeMap<u32, Rollup>, previous: &BTreeMap<u32, Rollup>, metric: Metric) -> Vec<GainRow> {
    let previous_ranks: BTreeMap<u32, usize> =
        ranked(previous, metric).into_iter().enumerate().map(|(i, (id, _))| (id, i + 1)).collect();
    ranked(current, metric)
        .into_iter()
        .enumerate()
        .map(|(i, (id, r))| {
            let rank = i + 1;
            let previous_rank = previous_ranks.get(&id).copied();
            GainRow {
                character_id: id,
                rank,
                previous_rank,
                rank_change: previous_rank.map(|p| p as i64 - rank as i64),
                kills: r.kills,
                xp: r.xp,
                rares: r.rares,
                deaths: r.deaths,
                online_s: r.online_s,
            }
        })
        .collect()
}

fn ranked(totals: &BTreeMap<u32, Rollup>, metric: Metric) -> Vec<(u32, &Rollup)> {
    let mut rows: Vec<(u32, &Rollup)> =
        totals.iter().filter(|(_, r)| metric.of(r) > 0).map(|(id, r)| (*id, r)).collect();
    rows.sort_by(|a, b| metric.of(b.1).cmp(&metric.of(a.1)).then(a.0.cmp(&b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(rows: &[(u32, u64, i64)]) -> BTreeMap<u32, Rollup> {
        rows.iter().map(|(id, kills, xp)| (*id, Rollup { kills: *kills, xp: *xp, ..Rollup::default() })).collect()
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
        assert_eq!(Metric::parse("level"), None);
    }
}
