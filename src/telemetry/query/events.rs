//! Raw persisted events page by page (the export), and the rares list.

use super::{QueryError, ServedRange, Source, TelemetryQuery, TimeRange, day_slices};
use crate::protocol::Rare;
use crate::telemetry::EventKind;
use crate::telemetry::block::Row;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BinaryHeap};

/// Most events in one export page.
pub const EVENTS_MAX: usize = 10_000;
/// Most rares in one answer.
pub const RARES_MAX: usize = 1_000;
/// Rows the rares list may scan before answering with what it has.
const RARES_SCAN_CAP: usize = 500_000;

/// Where an export page ended: the `(t, character id, seq)` of its last event. Written as
/// `t.character_id.seq`; opaque to clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    t: i64,
    character_id: u32,
    seq: u32,
}

impl Cursor {
    pub fn parse(s: &str) -> Result<Cursor, QueryError> {
        let bad = || QueryError::bad("cursor", "not a cursor this server returned");
        let mut parts = s.split('.');
        let (Some(t), Some(c), Some(q), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        Ok(Cursor {
            t: t.parse().map_err(|_| bad())?,
            character_id: c.parse().map_err(|_| bad())?,
            seq: q.parse().map_err(|_| bad())?,
        })
    }

    fn key(self) -> (i64, u32, u32) {
        (self.t, self.character_id, self.seq)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.t, self.character_id, self.seq)
    }
}

/// `GET /api/events`: one page, ascending.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct EventsPage {
    pub range: Option<ServedRange>,
    pub events: Vec<ExportedEvent>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// One exported event: when, what and whose, then the stored fields of its kind as they were
/// stored (telemetry as the `telemetry` socket message's body plus `client_time_ms` and
/// `plugin_version`; spawns, rares and portals normalized; character and combat stats as the
/// plugin sent them, docs/protocol.md §3).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ExportedEvent {
    /// When the server received it (unix ms).
    pub t: i64,
    /// `telemetry` or an event kind name.
    #[serde(rename = "type")]
    pub kind: String,
    pub character_name: String,
    #[serde(flatten)]
    pub fields: BTreeMap<String, Value>,
}

impl ExportedEvent {
    /// `stored` under the envelope; the envelope's own names win over stored fields of the
    /// same name, and a stored value that is not an object is kept as `value`.
    fn new(t: i64, kind: &str, character_name: String, stored: Value) -> Self {
        let mut fields: BTreeMap<String, Value> = match stored {
            Value::Object(m) => m.into_iter().collect(),
            other => BTreeMap::from([("value".to_string(), other)]),
        };
        for envelope in ["t", "type", "character_name"] {
            fields.remove(envelope);
        }
        ExportedEvent { t, kind: kind.to_string(), character_name, fields }
    }
}

/// `GET /api/rares`, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct Rares {
    pub range: Option<ServedRange>,
    pub rares: Vec<RareRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct RareRow {
    pub t: i64,
    pub character_name: String,
    pub rare_name: String,
    pub ew: Option<f64>,
    pub ns: Option<f64>,
    pub landcell: Option<u32>,
    pub is_dungeon: bool,
    pub wcid: Option<u32>,
}

/// One event of a page before rendering: its key and its JSON.
type Keyed = ((i64, u32, u32), Value);

impl TelemetryQuery {
    /// One page of raw events of type `kind` (`telemetry` or an [`EventKind`] name), for
    /// one character or all, in `range` (clamped to stored days), after `cursor`.
    pub fn events(
        &self,
        kind: &str,
        character: Option<&str>,
        range: TimeRange,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<EventsPage, QueryError> {
        let limit = limit.clamp(1, EVENTS_MAX);
        let stored_kind = match kind {
            "telemetry" => None,
            other => Some(EventKind::parse(other).ok_or_else(|| {
                QueryError::bad(
                    "type",
                    format!("'{other}' is not one of telemetry, spawn, rare, portal, character_stats, combat_stats"),
                )
            })?),
        };
        let id = character.map(|n| self.character(n).map(|c| c.id)).transpose()?;
        if stored_kind.is_none() && id.is_none() {
            return Err(QueryError::bad("character", "a telemetry export needs 'character'"));
        }
        let Some(served) = self.clamp(range, Source::RawEvents) else {
            return Ok(EventsPage { range: None, events: Vec::new(), next_cursor: None });
        };
        let from = cursor.map_or(served.from, |c| c.t).max(served.from);
        let scan = TimeRange { from, to: served.to };
        let mut rows = match (stored_kind, id) {
            (Some(kind), id) => self.stored_page(kind, id, scan, limit, cursor)?,
            (None, Some(id)) => self.telemetry_page(id, scan, limit, cursor)?,
            (None, None) => Vec::new(),
        };
        rows.sort_by_key(|r| r.0);
        if let Some(c) = cursor {
            rows.retain(|r| r.0 > c.key());
        }
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last()
                .map(|((t, character_id, seq), _)| Cursor { t: *t, character_id: *character_id, seq: *seq }.to_string())
        } else {
            None
        };
        let events =
            rows.into_iter().map(|((t, cid, _), v)| ExportedEvent::new(t, kind, self.name_of(cid), v)).collect();
        Ok(EventsPage { range: Some(served.into()), events, next_cursor })
    }

    /// Telemetry of one character: read only as far as one page needs (plus the rest of
    /// its last millisecond), so an export of a long range never holds more than a page.
    fn telemetry_page(
        &self,
        id: u32,
        range: TimeRange,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<Vec<Keyed>, QueryError> {
        let after_t = cursor.map_or(i64::MIN, |c| c.t);
        let mut past_cursor = 0;
        let mut raw: Vec<Row> = Vec::new();
        self.days.trail_for_each(id, range.from, range.to, |r| {
            if past_cursor > limit && raw.last().is_some_and(|l| l.t != r.t) {
                return false;
            }
            if r.t > after_t {
                past_cursor += 1;
            }
            raw.push(r);
            true
        })?;
        raw.sort_by_key(|r| r.t);
        let mut rows = Vec::with_capacity(raw.len());
        // Rows of one character share a millisecond only in bursts; number them.
        let mut last = (i64::MIN, 0u32);
        for r in raw {
            let seq = if r.t == last.0 { last.1 + 1 } else { 0 };
            last = (r.t, seq);
            let mut v = serde_json::to_value(crate::live::TelemetryBody::of(&r.tel)).map_err(|e| {
                crate::telemetry::TelemetryError::Corrupt(format!("stored telemetry of character {id}: {e}"))
            })?;
            if let Value::Object(m) = &mut v {
                m.insert("client_time_ms".into(), r.client_time_ms.into());
                m.insert("plugin_version".into(), r.plugin_version.clone().into());
            }
            rows.push(((r.t, id, seq), v));
        }
        Ok(rows)
    }

    /// Day by day, keeps the page's `limit + 1` earliest events after the cursor (a bounded
    /// max-heap: tables are ordered by character, not time), and stops at the first day
    /// that fills it — later days only hold later events.
    fn stored_page(
        &self,
        kind: EventKind,
        id: Option<u32>,
        range: TimeRange,
        limit: usize,
        cursor: Option<Cursor>,
    ) -> Result<Vec<Keyed>, QueryError> {
        let mut page: BinaryHeap<((i64, u32, u32), Vec<u8>)> = BinaryHeap::new();
        let existing = self.days.days();
        for (_, slice) in day_slices(range).filter(|(d, _)| existing.binary_search(d).is_ok()) {
            if page.len() > limit {
                break;
            }
            self.days.events(kind, id, slice.from, slice.to, usize::MAX, |(cid, t, seq), bytes| {
                let key = (t, cid, seq);
                if cursor.is_some_and(|c| key <= c.key()) {
                    return true;
                }
                if page.len() <= limit {
                    page.push((key, bytes.to_vec()));
                } else if page.peek().is_some_and(|(top, _)| key < *top) {
                    page.pop();
                    page.push((key, bytes.to_vec()));
                }
                true
            })?;
        }
        let mut rows = Vec::with_capacity(page.len());
        let mut undecodable = 0usize;
        for (key, bytes) in page {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => rows.push((key, v)),
                Err(_) => undecodable += 1,
            }
        }
        if undecodable > 0 {
            tracing::warn!(
                kind = kind.name(),
                undecodable,
                "stored events that are not JSON were left out of an export"
            );
        }
        Ok(rows)
    }

    /// Rares in `range` (clamped to stored days), newest first, at most `limit`.
    pub fn rares(&self, character: Option<&str>, range: TimeRange, limit: usize) -> Result<Rares, QueryError> {
        let limit = limit.clamp(1, RARES_MAX);
        let id = character.map(|n| self.character(n).map(|c| c.id)).transpose()?;
        let Some(served) = self.clamp(range, Source::RawEvents) else {
            return Ok(Rares { range: None, rares: Vec::new() });
        };
        let mut rows: Vec<((u32, i64, u32), Rare)> = Vec::new();
        let mut undecodable = 0usize;
        self.days.events(EventKind::Rare, id, served.from, served.to, RARES_SCAN_CAP, |key, bytes| {
            match serde_json::from_slice::<Rare>(bytes) {
                Ok(r) => rows.push((key, r)),
                Err(_) => undecodable += 1,
            }
            true
        })?;
        if undecodable > 0 {
            tracing::warn!(undecodable, "stored rares that do not decode were left out");
        }
        rows.sort_by(|a, b| b.0.1.cmp(&a.0.1).then(b.0.2.cmp(&a.0.2)));
        rows.truncate(limit);
        let rares = rows
            .into_iter()
            .map(|((cid, t, _), r)| RareRow {
                t,
                character_name: self.name_of(cid),
                rare_name: r.rare_name,
                ew: r.place.ew,
                ns: r.place.ns,
                landcell: r.place.landcell,
                is_dungeon: r.place.is_dungeon,
                wcid: r.wcid,
            })
            .collect();
        Ok(Rares { range: Some(served.into()), rares })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_exported_event_keeps_the_stored_fields_under_its_envelope() {
        let e = ExportedEvent::new(5, "spawn", "Mossy".into(), json!({"monster_name": "Drudge", "t": 1, "type": "x"}));
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(v, json!({"t": 5, "type": "spawn", "character_name": "Mossy", "monster_name": "Drudge"}));
    }

    #[test]
    fn a_stored_value_that_is_not_an_object_is_kept_as_value() {
        let e = ExportedEvent::new(5, "combat_stats", "Mossy".into(), json!([1, 2]));
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(v, json!({"t": 5, "type": "combat_stats", "character_name": "Mossy", "value": [1, 2]}));
    }
}
