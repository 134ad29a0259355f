//! The portal registry in `state.redb`: one row per (name, position rounded to 0.1 unit),
//! with first/last seen and the discoverer (docs/protocol.md §3.4), plus the state checkpoint.
//!
//! Upserts are idempotent (first_seen = min, last_seen = max), so replaying journal
//! records after a crash is harmless.

use super::characters::Characters;
use super::store::TelemetryError;
use crate::protocol::Portal;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

const PORTALS: TableDefinition<&str, &[u8]> = TableDefinition::new("portals");
const STATE_META: TableDefinition<&str, u64> = TableDefinition::new("telemetry_meta");
/// The registry stops growing here (summoned portals are de-duplicated by position, so a
/// real world has a few thousand).
pub const MAX_PORTALS: u64 = 200_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct PortalRecord {
    pub portal_name: String,
    pub ew: Option<f64>,
    pub ns: Option<f64>,
    pub z: Option<f64>,
    pub landcell: Option<u32>,
    pub destination: Option<String>,
    pub is_dungeon: bool,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub discovered_by: String,
}

fn key(p: &Portal) -> String {
    let r = |v: Option<f64>| v.map(|x| format!("{:.1}", x)).unwrap_or_else(|| "?".into());
    format!("{}|{}|{}", p.portal_name.to_lowercase(), r(p.place.ew), r(p.place.ns))
}

pub fn ensure_tables(db: &Database) -> Result<(), TelemetryError> {
    let txn = db.begin_write()?;
    txn.open_table(PORTALS)?;
    txn.open_table(STATE_META)?;
    txn.commit()?;
    Ok(())
}

pub fn checkpoint(db: &Database) -> Result<u64, TelemetryError> {
    let txn = db.begin_read()?;
    let t = txn.open_table(STATE_META)?;
    Ok(t.get("checkpoint_seq")?.map(|v| v.value()).unwrap_or(0))
}

pub fn upsert(db: &Database, updates: &[(Portal, String, i64)]) -> Result<(), TelemetryError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::None)?;
    {
        let mut t = txn.open_table(PORTALS)?;
        let mut len = t.len()?;
        for (p, who, at) in updates {
            let k = key(p);
            let existing = t.get(k.as_str())?.and_then(|v| serde_json::from_slice::<PortalRecord>(v.value()).ok());
            let rec = match existing {
                Some(mut r) => {
                    r.first_seen_ms = r.first_seen_ms.min(*at);
                    if *at >= r.last_seen_ms {
                        r.last_seen_ms = *at;
                        if p.destination.is_some() {
                            r.destination = p.destination.clone();
                        }
                    }
                    r
                }
                None if len >= MAX_PORTALS => continue,
                None => {
                    len += 1;
                    PortalRecord {
                        portal_name: p.portal_name.clone(),
                        ew: p.place.ew,
                        ns: p.place.ns,
                        z: p.place.z,
                        landcell: p.place.landcell,
                        destination: p.destination.clone(),
                        is_dungeon: p.place.is_dungeon,
                        first_seen_ms: *at,
                        last_seen_ms: *at,
                        discovered_by: who.clone(),
                    }
                }
            };
            let bytes = serde_json::to_vec(&rec).map_err(|e| TelemetryError::Encode(format!("portal record: {e}")))?;
            t.insert(k.as_str(), bytes.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Durable commit of `state.redb`'s telemetry-owned rows (portals, last-seen times) with
/// the journal position they cover.
pub fn checkpoint_commit(db: &Database, seq: u64, characters: &Characters) -> Result<(), TelemetryError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(Durability::Immediate)?;
    characters.persist_dirty(&txn)?;
    {
        let mut meta = txn.open_table(STATE_META)?;
        meta.insert("checkpoint_seq", seq)?;
    }
    txn.commit()?;
    Ok(())
}

/// Portals whose name contains `q` (case-insensitive), most recently seen first.
pub fn list(db: &Database, q: Option<&str>, limit: usize) -> Result<Vec<PortalRecord>, TelemetryError> {
    let needle = q.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    let txn = db.begin_read()?;
    let t = txn.open_table(PORTALS)?;
    let mut out = Vec::new();
    for entry in t.iter()? {
        let (k, v) = entry?;
        if let Some(n) = &needle
            && !k.value().split('|').next().unwrap_or("").contains(n.as_str())
        {
            continue;
        }
        if let Ok(r) = serde_json::from_slice::<PortalRecord>(v.value()) {
            out.push(r);
        }
    }
    out.sort_by(|a, b| b.last_seen_ms.cmp(&a.last_seen_ms).then_with(|| a.portal_name.cmp(&b.portal_name)));
    out.truncate(limit);
    Ok(out)
}
