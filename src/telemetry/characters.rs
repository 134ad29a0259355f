//! The character registry: names ↔ compact u32 ids, first/last seen, in `state.redb`.
//!
//! Telemetry keys use the id (4 bytes) instead of the name. Names are matched
//! case-insensitively (docs/api.md); the display form is the one first seen. A new character is
//! written durably at once (ids must never be reused after a crash); `last_seen_ms` is
//! kept in memory and persisted at each writer checkpoint.

use super::store::TelemetryError;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const CHARACTERS: TableDefinition<u32, &[u8]> = TableDefinition::new("characters");
/// At most this many distinct characters (a whole game server's population is far less);
/// beyond it new names are refused rather than growing the registry without bound.
pub const MAX_CHARACTERS: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CharacterInfo {
    pub id: u32,
    pub name: String,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
}

#[derive(Clone)]
pub struct Characters {
    db: Arc<Database>,
    inner: Arc<RwLock<Registry>>,
}

#[derive(Default)]
struct Registry {
    by_key: HashMap<String, u32>,
    by_id: HashMap<u32, CharacterInfo>,
    dirty: Vec<u32>,
}

impl Characters {
    pub fn open(db: Arc<Database>) -> Result<Self, TelemetryError> {
        let mut reg = Registry::default();
        let txn = db.begin_write()?;
        txn.open_table(CHARACTERS)?;
        txn.commit()?;
        let rtxn = db.begin_read()?;
        let table = rtxn.open_table(CHARACTERS)?;
        for entry in table.iter()? {
            let (_, v) = entry?;
            let Ok((info, _)) =
                bincode::serde::decode_from_slice::<CharacterInfo, _>(v.value(), bincode::config::standard())
            else {
                continue;
            };
            reg.by_key.insert(crate::protocol::name_key(&info.name), info.id);
            reg.by_id.insert(info.id, info);
        }
        Ok(Characters { db, inner: Arc::new(RwLock::new(reg)) })
    }

    pub fn id_of(&self, name: &str) -> Option<u32> {
        self.inner.read().ok()?.by_key.get(&crate::protocol::name_key(name)).copied()
    }

    pub fn get(&self, id: u32) -> Option<CharacterInfo> {
        self.inner.read().ok()?.by_id.get(&id).cloned()
    }

    pub fn by_name(&self, name: &str) -> Option<CharacterInfo> {
        let inner = self.inner.read().ok()?;
        let id = inner.by_key.get(&crate::protocol::name_key(name))?;
        inner.by_id.get(id).cloned()
    }

    pub fn all(&self) -> Vec<CharacterInfo> {
        let mut v: Vec<_> = self.inner.read().map(|r| r.by_id.values().cloned().collect()).unwrap_or_default();
        v.sort_by_key(|a| a.name.to_lowercase());
        v
    }

    /// The id for `name`, registering it (durably) when new. Called by the single writer.
    pub fn ensure(&self, name: &str, seen_ms: i64) -> Result<u32, TelemetryError> {
        let key = crate::protocol::name_key(name);
        {
            let mut inner = self.inner.write().map_err(|_| TelemetryError::Poisoned("registry"))?;
            if let Some(id) = inner.by_key.get(&key).copied() {
                if let Some(info) = inner.by_id.get_mut(&id)
                    && seen_ms > info.last_seen_ms
                {
                    info.last_seen_ms = seen_ms;
                    inner.dirty.push(id);
                }
                return Ok(id);
            }
            if inner.by_id.len() >= MAX_CHARACTERS {
                return Err(TelemetryError::Full(format!("character registry is full ({MAX_CHARACTERS})")));
            }
        }
        let mut inner = self.inner.write().map_err(|_| TelemetryError::Poisoned("registry"))?;
        let id = inner.by_id.keys().max().map_or(1, |m| m + 1);
        let info = CharacterInfo { id, name: name.trim().to_string(), first_seen_ms: seen_ms, last_seen_ms: seen_ms };
        let mut txn = self.db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        {
            let mut t = txn.open_table(CHARACTERS)?;
            let bytes = bincode::serde::encode_to_vec(&info, bincode::config::standard())
                .map_err(|e| TelemetryError::Encode(format!("character {}: {e}", info.id)))?;
            t.insert(id, bytes.as_slice())?;
        }
        txn.commit()?;
        inner.by_key.insert(key, id);
        inner.by_id.insert(id, info);
        Ok(id)
    }

    /// Widens a character's first/last seen to cover `[first_ms, last_ms]` (history imported
    /// from the old stack); written by the next `persist_dirty`.
    pub fn widen_seen(&self, id: u32, first_ms: i64, last_ms: i64) -> Result<(), TelemetryError> {
        let mut inner = self.inner.write().map_err(|_| TelemetryError::Poisoned("registry"))?;
        let changed = match inner.by_id.get_mut(&id) {
            Some(info) if first_ms < info.first_seen_ms || last_ms > info.last_seen_ms => {
                info.first_seen_ms = info.first_seen_ms.min(first_ms);
                info.last_seen_ms = info.last_seen_ms.max(last_ms);
                true
            }
            _ => false,
        };
        if changed {
            inner.dirty.push(id);
        }
        Ok(())
    }

    /// Writes changed `last_seen_ms` values inside the caller's transaction.
    pub fn persist_dirty(&self, txn: &redb::WriteTransaction) -> Result<(), TelemetryError> {
        let dirty: Vec<CharacterInfo> = {
            let mut inner = self.inner.write().map_err(|_| TelemetryError::Poisoned("registry"))?;
            let mut ids = std::mem::take(&mut inner.dirty);
            ids.sort_unstable();
            ids.dedup();
            ids.iter().filter_map(|id| inner.by_id.get(id).cloned()).collect()
        };
        let mut t = txn.open_table(CHARACTERS)?;
        for info in dirty {
            let bytes = bincode::serde::encode_to_vec(&info, bincode::config::standard())
                .map_err(|e| TelemetryError::Encode(format!("character {}: {e}", info.id)))?;
            t.insert(info.id, bytes.as_slice())?;
        }
        Ok(())
    }
}
