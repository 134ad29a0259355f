//! Hours with data: which hours of the stored days hold telemetry, and for how many
//! characters — the replay strip's source, so replay can open on the newest hour with data
//! instead of an empty one.
//!
//! Owns that one definition: an hour "has data" when some character's hourly rollup for it
//! counted at least one stored event. Only days whose day file still exists are reported
//! (replay reads trails from day files; archived rollups outlive them). Never does HTTP.

use super::store::{DayFiles, Rollup, TelemetryError, day_of};
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many hours are reported in one answer (a month); longer ranges are refused
/// by the caller, so one request never walks the whole retention.
pub const MAX_HOURS: i64 = 31 * 24;
const HOUR_MS: i64 = 3_600_000;

/// One hour that holds data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct HourWithData {
    /// Start of the hour, unix ms (UTC hour boundary).
    pub hour_ms: i64,
    /// Characters with at least one stored event in the hour.
    pub characters: usize,
    /// Stored events (telemetry rows and others) in the hour, all characters.
    pub events: u64,
}

/// Hours overlapping `[from, to]` with data, ascending, for the given characters.
pub fn hours_with_data(
    days: &DayFiles,
    character_ids: &[u32],
    from: i64,
    to: i64,
) -> Result<Vec<HourWithData>, TelemetryError> {
    let stored: Vec<i64> = days.days();
    let from = from - from.rem_euclid(HOUR_MS);
    let mut per_character = Vec::with_capacity(character_ids.len());
    for id in character_ids {
        let hours = days.rollup_hours(*id, from, to)?;
        per_character.push(hours.into_iter().filter(|(h, _)| stored.contains(&day_of(*h))).collect::<Vec<_>>());
    }
    Ok(merge_hours(per_character))
}

/// Folds per-character hourly rollups into hours with data (events > 0), ascending.
pub fn merge_hours(per_character: Vec<Vec<(i64, Rollup)>>) -> Vec<HourWithData> {
    let mut hours: BTreeMap<i64, (usize, u64)> = BTreeMap::new();
    for rows in per_character {
        let mut seen_hours: BTreeMap<i64, u64> = BTreeMap::new();
        for (h, r) in rows {
            *seen_hours.entry(h).or_default() += r.events;
        }
        for (h, events) in seen_hours.into_iter().filter(|(_, e)| *e > 0) {
            let e = hours.entry(h).or_default();
            e.0 += 1;
            e.1 += events;
        }
    }
    hours.into_iter().map(|(hour_ms, (characters, events))| HourWithData { hour_ms, characters, events }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(events: u64) -> Rollup {
        Rollup { events, ..Rollup::default() }
    }

    #[test]
    fn counts_characters_and_events_per_hour_and_skips_empty_hours() {
        let a = vec![(0, r(3)), (HOUR_MS, r(0)), (2 * HOUR_MS, r(1))];
        let b = vec![(2 * HOUR_MS, r(4))];
        let hours = merge_hours(vec![a, b]);
        assert_eq!(
            hours,
            vec![
                HourWithData { hour_ms: 0, characters: 1, events: 3 },
                HourWithData { hour_ms: 2 * HOUR_MS, characters: 2, events: 5 },
            ]
        );
    }

    #[test]
    fn one_character_counted_once_per_hour_even_with_split_rows() {
        let a = vec![(HOUR_MS, r(2)), (HOUR_MS, r(5))];
        assert_eq!(merge_hours(vec![a]), vec![HourWithData { hour_ms: HOUR_MS, characters: 1, events: 7 }]);
    }

    #[test]
    fn nothing_stored_answers_no_hour() {
        assert!(merge_hours(vec![vec![], vec![]]).is_empty());
    }
}
