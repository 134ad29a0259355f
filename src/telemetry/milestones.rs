//! Milestones for the overview page: deaths and level-ups, read from the stored telemetry
//! (a death is a rise of `total_deaths`, a level-up a rise of `level` between two rows of
//! one character).
//!
//! Owns that one definition, so the overview's "recent deaths" and the alerts' death count
//! never disagree with the charts drawn from the same rows. Scans are bounded by
//! [`MAX_ROWS_SCANNED`]. Never does HTTP.

use super::block::Row;
use super::store::{DayFiles, TelemetryError};

/// Telemetry rows one overview request may read in total (about 6 h of 20 characters at
/// 1 Hz); past it the answer says it is partial instead of taking longer.
pub const MAX_ROWS_SCANNED: usize = 500_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneKind {
    Death,
    LevelUp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub t: i64,
    pub character_id: u32,
    pub kind: MilestoneKind,
    /// The new level (level-ups) or lifetime death count (deaths).
    pub value: u32,
}

/// Newest-first milestones of `character_ids` in `[from, to]`, at most `limit`, and
/// whether the scan stopped at its row budget.
pub fn recent_milestones(
    days: &DayFiles,
    character_ids: &[u32],
    from: i64,
    to: i64,
    limit: usize,
) -> Result<(Vec<Milestone>, bool), TelemetryError> {
    let mut out = Vec::new();
    let mut scanned = 0usize;
    let mut partial = false;
    for id in character_ids {
        let mut rows = Vec::new();
        days.trail_for_each(*id, from, to, |row| {
            scanned += 1;
            rows.push(row);
            scanned < MAX_ROWS_SCANNED
        })?;
        rows.sort_by_key(|r| r.t);
        out.extend(milestones_of(*id, &rows));
        if scanned >= MAX_ROWS_SCANNED {
            partial = true;
            break;
        }
    }
    out.sort_by(|a, b| b.t.cmp(&a.t).then(a.character_id.cmp(&b.character_id)));
    out.truncate(limit);
    Ok((out, partial))
}

/// Milestones in one character's rows (ascending by time). A value that goes down (a new
/// character under an old name, a plugin restart reporting 0) starts a new baseline.
pub fn milestones_of(character_id: u32, rows: &[Row]) -> Vec<Milestone> {
    let mut out = Vec::new();
    let (mut level, mut deaths): (Option<u32>, Option<u32>) = (None, None);
    for row in rows {
        if let Some(now) = row.tel.level {
            if level.is_some_and(|before| now > before) {
                out.push(Milestone { t: row.t, character_id, kind: MilestoneKind::LevelUp, value: now });
            }
            level = Some(now);
        }
        if let Some(now) = row.tel.total_deaths {
            if deaths.is_some_and(|before| now > before) {
                out.push(Milestone { t: row.t, character_id, kind: MilestoneKind::Death, value: now });
            }
            deaths = Some(now);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Telemetry;

    fn row(t: i64, level: Option<u32>, total_deaths: Option<u32>) -> Row {
        Row {
            t,
            client_time_ms: None,
            plugin_version: None,
            tel: Telemetry { level, total_deaths, ..Telemetry::default() },
        }
    }

    #[test]
    fn rises_are_milestones_and_the_first_row_is_only_a_baseline() {
        let rows =
            [row(1, Some(10), Some(3)), row(2, Some(11), Some(3)), row(3, None, Some(4)), row(4, Some(11), Some(4))];
        let m = milestones_of(7, &rows);
        assert_eq!(
            m,
            vec![
                Milestone { t: 2, character_id: 7, kind: MilestoneKind::LevelUp, value: 11 },
                Milestone { t: 3, character_id: 7, kind: MilestoneKind::Death, value: 4 },
            ]
        );
    }

    #[test]
    fn a_drop_resets_the_baseline_without_a_milestone() {
        let rows = [row(1, Some(50), Some(9)), row(2, Some(1), Some(0)), row(3, Some(2), Some(0))];
        let m = milestones_of(1, &rows);
        assert_eq!(m, vec![Milestone { t: 3, character_id: 1, kind: MilestoneKind::LevelUp, value: 2 }]);
    }
}
