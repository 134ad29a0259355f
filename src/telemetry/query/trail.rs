//! One character's trail: fixes thinned while they are read (bounded memory whatever the
//! range), split into segments at teleports and dungeon changes, and down-sampled evenly
//! per segment so the shape survives.

use super::{QueryError, ServedRange, Source, TelemetryQuery, TimeRange};
use crate::telemetry::block::Row;
use crate::telemetry::{DayFiles, TelemetryError};
use serde::Serialize;

/// Trail points returned at most (docs/api.md: default 5,000, at most 100,000).
pub const TRAIL_DEFAULT_POINTS: usize = 5_000;
pub const TRAIL_MAX_POINTS: usize = 100_000;
/// docs/protocol.md §2.1: fixes more than ~1 map unit apart start a new trail segment.
pub const TELEPORT_UNITS: f64 = 1.0;

/// `GET /api/characters/{name}/trail`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Trail {
    pub character_name: String,
    /// The range served: the request clamped to stored data; `None` when nothing stored
    /// overlaps it.
    pub range: Option<ServedRange>,
    pub points: Vec<TrailPoint>,
    /// `[first_index, last_index]` into `points` of each segment.
    pub segments: Vec<[usize; 2]>,
}

/// The fields of a telemetry row a trail needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct TrailPoint {
    pub t: i64,
    pub ew: f64,
    pub ns: f64,
    pub z: Option<f64>,
    pub landcell: Option<u32>,
    pub is_dungeon: bool,
}

impl TrailPoint {
    pub fn of(r: &Row) -> TrailPoint {
        TrailPoint {
            t: r.t,
            ew: r.tel.ew,
            ns: r.tel.ns,
            z: r.tel.z,
            landcell: r.tel.landcell,
            is_dungeon: r.tel.is_dungeon,
        }
    }
}

impl TelemetryQuery {
    /// The trail of `name` in `range` (clamped to stored days), at most `max_points`
    /// points (clamped to 1..=`TRAIL_MAX_POINTS`).
    pub fn trail(&self, name: &str, range: TimeRange, max_points: usize) -> Result<Trail, QueryError> {
        let info = self.character(name)?;
        let max_points = max_points.clamp(1, TRAIL_MAX_POINTS);
        let Some(served) = self.clamp(range, Source::RawEvents) else {
            return Ok(Trail { character_name: info.name, range: None, points: Vec::new(), segments: Vec::new() });
        };
        let rows = thin_trail(&self.days, info.id, served.from, served.to, max_points)?;
        let (points, segments) = trail_points(&rows, max_points);
        Ok(Trail { character_name: info.name, range: Some(served.into()), points, segments })
    }
}

/// A teleport or a dungeon change between consecutive fixes starts a new segment.
fn is_break(a: &TrailPoint, b: &TrailPoint) -> bool {
    let jump = ((a.ew - b.ew).powi(2) + (a.ns - b.ns).powi(2)).sqrt();
    jump > TELEPORT_UNITS || a.is_dungeon != b.is_dungeon
}

/// Reads a trail in bounded memory, however long the range. Every fix is kept until more
/// than `4 × max_points` are held; then the kept fixes are thinned to a minimum time gap
/// (doubled each time the budget fills again), except the two fixes around each segment
/// break, which are pinned, so the down-sampling that follows still sees every segment
/// whole. (A year at one fix a second is 31 M rows; this holds ≤ 4 × max plus the breaks.)
pub fn thin_trail(
    days: &DayFiles,
    id: u32,
    from: i64,
    to: i64,
    max_points: usize,
) -> Result<Vec<TrailPoint>, TelemetryError> {
    let budget = max_points.saturating_mul(4).max(16);
    let mut gap = 0i64;
    // (fix, pinned)
    let mut kept: Vec<(TrailPoint, bool)> = Vec::new();
    let mut prev: Option<(TrailPoint, bool)> = None;
    days.trail_for_each(id, from, to, |r| {
        let p = TrailPoint::of(&r);
        let broke = prev.as_ref().is_some_and(|(q, _)| is_break(q, &p));
        if broke {
            match prev.take() {
                Some((q, false)) => kept.push((q, true)),
                Some((_, true)) => {
                    if let Some(last) = kept.last_mut() {
                        last.1 = true;
                    }
                }
                None => {}
            }
        }
        let keep = broke || kept.last().is_none_or(|(k, _)| p.t - k.t >= gap);
        if keep {
            kept.push((p.clone(), broke));
        }
        prev = Some((p, keep));
        if kept.len() > budget {
            gap = (gap * 2).max((to - from) / budget as i64).max(1);
            let mut last_t = i64::MIN;
            kept.retain(|(k, pinned)| {
                let stay = *pinned || k.t.saturating_sub(last_t) >= gap;
                if stay {
                    last_t = k.t;
                }
                stay
            });
            // The newest fix may have been thinned away; the next keep test uses what is left.
            if let Some((q, kept_it)) = prev.as_mut() {
                *kept_it = kept.last().is_some_and(|(k, _)| k.t == q.t);
            }
        }
        true
    })?;
    if let Some((q, false)) = prev {
        kept.push((q, false));
    }
    let mut out: Vec<TrailPoint> = kept.into_iter().map(|(p, _)| p).collect();
    out.sort_by_key(|p| p.t);
    Ok(out)
}

/// Splits fixes into segments at teleports and dungeon changes, then down-samples each
/// segment evenly, always keeping its first and last point so the shape survives.
pub fn trail_points(rows: &[TrailPoint], max_points: usize) -> (Vec<TrailPoint>, Vec<[usize; 2]>) {
    let mut bounds = Vec::new();
    let mut start = 0;
    for i in 1..rows.len() {
        if is_break(&rows[i - 1], &rows[i]) {
            bounds.push((start, i - 1));
            start = i;
        }
    }
    if !rows.is_empty() {
        bounds.push((start, rows.len() - 1));
    }
    let total = rows.len().max(1);
    let mut points = Vec::new();
    let mut segments = Vec::new();
    for (s, e) in bounds {
        let len = e - s + 1;
        let budget = ((len as f64 / total as f64) * max_points as f64).floor().max(2.0) as usize;
        let first_index = points.len();
        let picks: Vec<usize> = if len <= budget {
            (s..=e).collect()
        } else {
            let step = (len - 1) as f64 / (budget - 1) as f64;
            let mut v: Vec<usize> = (0..budget).map(|k| s + (k as f64 * step).round() as usize).collect();
            v.dedup();
            v
        };
        points.extend(picks.into_iter().map(|i| rows[i].clone()));
        segments.push([first_index, points.len() - 1]);
    }
    (points, segments)
}
