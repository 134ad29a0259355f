//! Item storage in `state.redb`, the source of truth for items.
//!
//! Owns the tables `inv_items`, `inv_owners`, `inv_meta` and `inv_changes`. Writes take the
//! lead's `&WriteTransaction` and never commit, so the single state writer can batch several
//! inventory messages (and other modules' writes) into one commit. Reads take a
//! `&ReadTransaction` and never block the writer. This module never touches the search
//! index: an `ApplyReport` tells the caller which keys changed so the index can follow
//! after the commit.
//!
//! Encoding: one format byte (`ITEM_FORMAT`) followed by bincode 2 (serde, standard config)
//! of `Item`. Bincode is about a third of the JSON size (750k items: roughly 0.5 GB instead
//! of 1.5+ GB, and decoding is several times faster for searches and reindex). Bincode is
//! positional, so a change to `Item` bumps `ITEM_FORMAT`; old records can always be
//! re-derived because each record keeps the raw Decal maps (`normalize` accepts an item's own
//! JSON with `raw`).
//!
//! Change log: every stored change gets a sequence number in `inv_changes` (bounded by
//! `MAX_CHANGE_LOG`), so a search index that missed updates (crash between the store commit
//! and the index commit) catches up on open instead of silently serving stale results.

use std::collections::{BTreeMap, HashMap, HashSet};

use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::inventory::item::{Item, Location};
use crate::inventory::normalize::{
    ItemError, MAX_OWNER_BYTES, NormalizeContext, derive_location, has_explicit_location, merge_update, normalize_with,
    wire_object_id,
};
use crate::protocol::lenient;

/// Items by (canonical owner key, object id) → `ITEM_FORMAT` byte + bincode `Item`.
pub const ITEMS: TableDefinition<(&str, u32), &[u8]> = TableDefinition::new("inv_items");
/// Owners by canonical key → bincode `OwnerInfo`.
pub const OWNERS: TableDefinition<&str, &[u8]> = TableDefinition::new("inv_owners");
/// Counters: `seq` (last change sequence number).
pub const META: TableDefinition<&str, u64> = TableDefinition::new("inv_meta");
/// Change log: sequence number → (owner key, object id) changed or removed.
pub const CHANGES: TableDefinition<u64, (&str, u32)> = TableDefinition::new("inv_changes");

/// Version of the stored item encoding (first byte of every `inv_items` value).
pub const ITEM_FORMAT: u8 = 1;
/// A full dump with more items than this is refused as a whole: a full character holds
/// about 300 (docs/protocol.md §7), and the 4 MiB frame limit allows far fewer than this.
pub const MAX_ITEMS_PER_DUMP: usize = 10_000;
/// A delta with more entries (added + updated + removed) than this is refused as a whole;
/// real deltas carry a handful.
pub const MAX_DELTA_ENTRIES: usize = 2_000;
/// Change-log entries kept; more than a login storm at 600 characters (~180k changes), so
/// an index that crashed during one can still catch up without a full rebuild.
pub const MAX_CHANGE_LOG: u64 = 250_000;
/// At most this many rejection messages are kept per report (the count is always exact).
pub const MAX_REJECTIONS_REPORTED: usize = 100;

const SEQ_KEY: &str = "seq";

/// Stateless handle on the inventory tables; cheap to copy, share it freely.
#[derive(Debug, Clone, Copy, Default)]
pub struct InventoryStore;

/// One item's key: the canonical (lowercase) owner key and the object id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ItemKey {
    pub owner_key: String,
    pub object_id: u32,
}

/// One item the store refused, with a message naming where it was and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedItem {
    /// `items`, `added`, `updated` or `removed`.
    pub section: &'static str,
    pub index: usize,
    pub object_id: Option<u32>,
    pub message: String,
}

/// What one `apply_full`/`apply_delta` did. After the caller commits, hand it to the
/// search index (`SearchIndex::apply`).
#[derive(Debug, Clone, Default)]
pub struct ApplyReport {
    pub owner: String,
    pub owner_key: String,
    /// Items stored for this owner after the apply.
    pub stored: u64,
    /// Items written (new or different).
    pub changed: Vec<ItemKey>,
    /// Items deleted.
    pub removed: Vec<ItemKey>,
    /// Items that were received but equal to the stored version.
    pub unchanged: u64,
    /// Number of rejected entries (exact).
    pub rejected_count: u64,
    /// The first `MAX_REJECTIONS_REPORTED` rejections.
    pub rejected: Vec<RejectedItem>,
    /// The store's change sequence number after this apply (see module doc).
    pub seq: u64,
}

impl ApplyReport {
    fn reject(&mut self, section: &'static str, index: usize, object_id: Option<u32>, message: String) {
        self.rejected_count += 1;
        if self.rejected.len() < MAX_REJECTIONS_REPORTED {
            self.rejected.push(RejectedItem { section, index, object_id, message });
        }
    }

    fn reject_item(&mut self, section: &'static str, index: usize, e: &ItemError) {
        self.reject(section, index, e.object_id, format!("{section}[{index}]: {e}; the rest of the message was kept"));
    }
}

/// What the store knows about one owner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnerInfo {
    pub owner_key: String,
    /// The character name as last sent.
    pub display_name: String,
    /// The character's GUID, learned from the container of wielded items.
    pub guid: Option<u32>,
    pub item_count: u64,
    pub updated_at_ms: i64,
    /// Whether the last full dump said `complete: true`.
    pub last_dump_complete: bool,
}

/// Store failures. Messages are for logs and operators (never sent to HTTP clients as-is).
#[derive(Debug)]
pub enum StoreError {
    /// The owner name is empty or too long.
    InvalidOwner(String),
    /// The message carries more entries than the named limit.
    TooLarge { what: &'static str, got: usize, limit: usize },
    /// A stored record could not be decoded.
    Corrupt { key: ItemKey, reason: String },
    /// redb failed.
    Storage(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::InvalidOwner(why) => write!(f, "invalid owner: {why}"),
            StoreError::TooLarge { what, got, limit } => {
                write!(f, "{what} has {got} entries, more than the limit of {limit}; nothing was stored")
            }
            StoreError::Corrupt { key, reason } => write!(
                f,
                "stored item ({}, 0x{:08X}) cannot be decoded: {reason}; run `overlord reindex` after restoring a snapshot",
                key.owner_key, key.object_id
            ),
            StoreError::Storage(e) => write!(f, "inventory storage (state.redb) failed: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

macro_rules! storage_from {
    ($($t:ty),*) => {
        $(impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Storage(e.to_string())
            }
        })*
    };
}
storage_from!(redb::StorageError, redb::TableError, redb::TransactionError, redb::CommitError);

/// The canonical owner key: trimmed and lowercased (names are matched without case).
pub fn owner_key(owner: &str) -> String {
    owner.trim().to_lowercase()
}

impl InventoryStore {
    pub fn new() -> Self {
        InventoryStore
    }

    /// Creates the tables, so that reads before the first write see empty tables. Call once
    /// at start-up inside any write transaction.
    pub fn ensure_tables(&self, txn: &WriteTransaction) -> Result<(), StoreError> {
        txn.open_table(ITEMS)?;
        txn.open_table(OWNERS)?;
        txn.open_table(META)?;
        txn.open_table(CHANGES)?;
        Ok(())
    }

    /// Replaces `owner`'s item set with a full dump (docs/protocol.md §3.3): items it omits are
    /// deleted, appraisal fields missing from an item are kept from its stored version,
    /// malformed items are rejected (their stored version, if any, is kept) and the rest is
    /// stored. Does not commit.
    pub fn apply_full(
        &self,
        txn: &WriteTransaction,
        owner: &str,
        items: &[Value],
        complete: bool,
        now_ms: i64,
    ) -> Result<ApplyReport, StoreError> {
        let (display, key) = check_owner(owner)?;
        if items.len() > MAX_ITEMS_PER_DUMP {
            return Err(StoreError::TooLarge {
                what: "full inventory dump",
                got: items.len(),
                limit: MAX_ITEMS_PER_DUMP,
            });
        }
        let mut table = txn.open_table(ITEMS)?;
        let mut owners = txn.open_table(OWNERS)?;
        let mut info = read_owner(&owners, &key)?.unwrap_or_else(|| new_owner(&key, &display));
        let existing = load_owner_items(&table, &key)?;
        let mut report = ApplyReport { owner: display.clone(), owner_key: key.clone(), ..ApplyReport::default() };
        let ctx = NormalizeContext { owner_guid: info.guid };

        let mut seen: HashSet<u32> = HashSet::with_capacity(items.len());
        let mut fresh: Vec<(usize, Item)> = Vec::with_capacity(items.len());
        for (index, wire) in items.iter().enumerate() {
            let id = match wire_object_id(wire) {
                Ok(id) => id,
                Err(e) => {
                    report.reject_item("items", index, &e);
                    continue;
                }
            };
            if !seen.insert(id) {
                let msg =
                    format!("items[{index}]: object_id 0x{id:08X} appears twice in the dump; the first one was kept");
                report.reject("items", index, Some(id), msg);
                continue;
            }
            match normalize_with(&display, wire, existing.get(&id), now_ms, ctx) {
                Ok(item) => fresh.push((index, item)),
                // A malformed item with a known id keeps its stored version (it is in the
                // dump, so it was not dropped from the character).
                Err(e) => report.reject_item("items", index, &e),
            }
        }

        // Learn the character's GUID from wielded items (their container is the wielder).
        let learned = fresh.iter().find(|(_, it)| it.wielded_mask != 0).and_then(|(_, it)| it.container_id);
        if let Some(guid) = learned
            && info.guid != Some(guid)
        {
            info.guid = Some(guid);
            for (index, item) in &mut fresh {
                if !has_explicit_location(&items[*index]) {
                    item.location = derive_location(item.wielded_mask, item.container_id, info.guid);
                }
            }
        }

        let mut seq = read_seq(txn)?;
        let mut changes = txn.open_table(CHANGES)?;
        for (_, item) in &fresh {
            let unchanged = existing.get(&item.object_id).is_some_and(|prev| prev == item);
            if unchanged {
                report.unchanged += 1;
                continue;
            }
            write_item(&mut table, &key, item)?;
            seq += 1;
            changes.insert(seq, (key.as_str(), item.object_id))?;
            report.changed.push(ItemKey { owner_key: key.clone(), object_id: item.object_id });
        }
        for id in existing.keys().filter(|id| !seen.contains(id)) {
            table.remove((key.as_str(), *id))?;
            seq += 1;
            changes.insert(seq, (key.as_str(), *id))?;
            report.removed.push(ItemKey { owner_key: key.clone(), object_id: *id });
        }
        report.removed.sort();
        trim_change_log(&mut changes, seq)?;
        write_seq(txn, seq)?;
        report.seq = seq;

        info.display_name = display;
        info.item_count = count_owner_items(&table, &key)?;
        info.updated_at_ms = now_ms;
        info.last_dump_complete = complete;
        write_owner(&mut owners, &info)?;
        report.stored = info.item_count;
        Ok(report)
    }

    /// Applies a delta (docs/protocol.md §3.3): `added` items are stored (merged with a stored
    /// version of the same id like a full dump), `updated` entries are partial items merged
    /// field by field, `removed` holds object ids. Sections apply in that order. Does not
    /// commit.
    pub fn apply_delta(
        &self,
        txn: &WriteTransaction,
        owner: &str,
        added: &[Value],
        updated: &[Value],
        removed: &[Value],
        now_ms: i64,
    ) -> Result<ApplyReport, StoreError> {
        let (display, key) = check_owner(owner)?;
        let total = added.len() + updated.len() + removed.len();
        if total > MAX_DELTA_ENTRIES {
            return Err(StoreError::TooLarge { what: "inventory delta", got: total, limit: MAX_DELTA_ENTRIES });
        }
        let mut table = txn.open_table(ITEMS)?;
        let mut owners = txn.open_table(OWNERS)?;
        let mut info = read_owner(&owners, &key)?.unwrap_or_else(|| new_owner(&key, &display));
        let ctx = NormalizeContext { owner_guid: info.guid };
        let mut report = ApplyReport { owner: display.clone(), owner_key: key.clone(), ..ApplyReport::default() };
        // Working state of the touched items: Some = store it, None = delete it.
        let mut touched: HashMap<u32, Option<Item>> = HashMap::new();
        let mut order: Vec<u32> = Vec::new();
        let current = |id: u32, touched: &HashMap<u32, Option<Item>>| -> Result<Option<Item>, StoreError> {
            match touched.get(&id) {
                Some(state) => Ok(state.clone()),
                None => read_item(&table, &key, id),
            }
        };

        for (index, wire) in added.iter().enumerate() {
            let id = match wire_object_id(wire) {
                Ok(id) => id,
                Err(e) => {
                    report.reject_item("added", index, &e);
                    continue;
                }
            };
            let prev = current(id, &touched)?;
            match normalize_with(&display, wire, prev.as_ref(), now_ms, ctx) {
                Ok(item) => record(&mut touched, &mut order, id, Some(item)),
                Err(e) => report.reject_item("added", index, &e),
            }
        }
        for (index, wire) in updated.iter().enumerate() {
            let id = match wire_object_id(wire) {
                Ok(id) => id,
                Err(e) => {
                    report.reject_item("updated", index, &e);
                    continue;
                }
            };
            let result = match current(id, &touched)? {
                Some(prev) => merge_update(&display, &prev, wire, now_ms, ctx),
                // An update for an item we never saw is stored if it is a whole item.
                None => normalize_with(&display, wire, None, now_ms, ctx).map_err(|e| ItemError {
                    reason: format!("{}; no stored item has this id, so the entry must be a whole item (send it in `added` or a full dump)", e.reason),
                    ..e
                }),
            };
            match result {
                Ok(item) => record(&mut touched, &mut order, id, Some(item)),
                Err(e) => report.reject_item("updated", index, &e),
            }
        }
        for (index, v) in removed.iter().enumerate() {
            match lenient::u32_id_of(v).filter(|id| *id != 0) {
                Some(id) => record(&mut touched, &mut order, id, None),
                None => report.reject(
                    "removed",
                    index,
                    None,
                    format!("removed[{index}]: {v} is not an object id (signed, unsigned or 0x-hex); the rest of the message was kept"),
                ),
            }
        }

        let mut seq = read_seq(txn)?;
        let mut changes = txn.open_table(CHANGES)?;
        for id in order {
            let Some(state) = touched.remove(&id) else { continue };
            let stored = read_item(&table, &key, id)?;
            match state {
                Some(item) => {
                    if stored.as_ref() == Some(&item) {
                        report.unchanged += 1;
                        continue;
                    }
                    if item.wielded_mask != 0
                        && let Some(guid) = item.container_id
                    {
                        info.guid = Some(guid);
                    }
                    write_item(&mut table, &key, &item)?;
                    report.changed.push(ItemKey { owner_key: key.clone(), object_id: id });
                }
                None => {
                    if stored.is_none() {
                        continue;
                    }
                    table.remove((key.as_str(), id))?;
                    report.removed.push(ItemKey { owner_key: key.clone(), object_id: id });
                }
            }
            seq += 1;
            changes.insert(seq, (key.as_str(), id))?;
        }
        trim_change_log(&mut changes, seq)?;
        write_seq(txn, seq)?;
        report.seq = seq;

        info.display_name = display;
        info.item_count = count_owner_items(&table, &key)?;
        info.updated_at_ms = now_ms;
        write_owner(&mut owners, &info)?;
        report.stored = info.item_count;
        Ok(report)
    }

    /// The owner's items, optionally only those at one location, in object id order.
    pub fn list(
        &self,
        txn: &ReadTransaction,
        owner: &str,
        location: Option<Location>,
    ) -> Result<Vec<Item>, StoreError> {
        let Some(table) = open_read(txn, ITEMS)? else {
            return Ok(Vec::new());
        };
        let key = owner_key(owner);
        let mut out = Vec::new();
        for entry in table.range((key.as_str(), 0u32)..=(key.as_str(), u32::MAX))? {
            let (k, v) = entry?;
            let item = decode_item(v.value(), &key, k.value().1)?;
            if location.is_none_or(|l| item.location == l) {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// One item, or `None`.
    pub fn get(&self, txn: &ReadTransaction, owner: &str, object_id: u32) -> Result<Option<Item>, StoreError> {
        let Some(table) = open_read(txn, ITEMS)? else {
            return Ok(None);
        };
        let key = owner_key(owner);
        read_item(&table, &key, object_id)
    }

    /// Item counts by owner display name (for `GET /api/items/stats`).
    pub fn counts_by_owner(&self, txn: &ReadTransaction) -> Result<BTreeMap<String, u64>, StoreError> {
        Ok(self.owners(txn)?.into_iter().map(|o| (o.display_name, o.item_count)).collect())
    }

    /// Every owner the store has seen, in key order.
    pub fn owners(&self, txn: &ReadTransaction) -> Result<Vec<OwnerInfo>, StoreError> {
        let Some(table) = open_read(txn, OWNERS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            out.push(decode_owner(v.value(), k.value())?);
        }
        Ok(out)
    }

    /// Total number of stored items (constant time).
    pub fn item_count(&self, txn: &ReadTransaction) -> Result<u64, StoreError> {
        Ok(open_read(txn, ITEMS)?.map(|t| t.len()).transpose()?.unwrap_or(0))
    }

    /// The change sequence number of the snapshot `txn` reads.
    pub fn change_seq(&self, txn: &ReadTransaction) -> Result<u64, StoreError> {
        let Some(meta) = open_read(txn, META)? else {
            return Ok(0);
        };
        Ok(meta.get(SEQ_KEY)?.map(|g| g.value()).unwrap_or(0))
    }

    /// The keys changed after sequence number `after` (deduplicated), or `None` when the
    /// log no longer reaches back that far (the caller must then rebuild).
    pub fn changes_since(&self, txn: &ReadTransaction, after: u64) -> Result<Option<Vec<ItemKey>>, StoreError> {
        let current = self.change_seq(txn)?;
        if after >= current {
            return Ok(Some(Vec::new()));
        }
        let Some(log) = open_read(txn, CHANGES)? else {
            return Ok(None);
        };
        let oldest = log.first()?.map(|(k, _)| k.value());
        if oldest.is_none_or(|o| o > after + 1) {
            return Ok(None);
        }
        let mut keys = BTreeMap::new();
        for entry in log.range(after + 1..)? {
            let (_, v) = entry?;
            let (owner, id) = v.value();
            keys.insert(ItemKey { owner_key: owner.to_string(), object_id: id }, ());
        }
        Ok(Some(keys.into_keys().collect()))
    }

    /// Calls `f` for every stored item, in key order (for reindex). Returns the count.
    pub fn for_each_item<F>(&self, txn: &ReadTransaction, mut f: F) -> Result<u64, StoreError>
    where
        F: FnMut(&str, Item),
    {
        let Some(table) = open_read(txn, ITEMS)? else {
            return Ok(0);
        };
        let mut n = 0;
        for entry in table.iter()? {
            let (k, v) = entry?;
            let (owner, id) = k.value();
            let item = decode_item(v.value(), owner, id)?;
            f(owner, item);
            n += 1;
        }
        Ok(n)
    }

    /// Reads the items of `keys` that still exist (missing keys are skipped), in the given
    /// order. Used by search to return results from the source of truth.
    pub fn get_many(&self, txn: &ReadTransaction, keys: &[ItemKey]) -> Result<Vec<Option<Item>>, StoreError> {
        let Some(table) = open_read(txn, ITEMS)? else {
            return Ok(vec![None; keys.len()]);
        };
        keys.iter().map(|k| read_item(&table, &k.owner_key, k.object_id)).collect()
    }
}

fn check_owner(owner: &str) -> Result<(String, String), StoreError> {
    let display = owner.trim();
    if display.is_empty() || display.len() > MAX_OWNER_BYTES {
        return Err(StoreError::InvalidOwner(format!(
            "character_name must be 1–{MAX_OWNER_BYTES} bytes, got {} bytes",
            display.len()
        )));
    }
    Ok((display.to_string(), owner_key(display)))
}

fn new_owner(key: &str, display: &str) -> OwnerInfo {
    OwnerInfo {
        owner_key: key.to_string(),
        display_name: display.to_string(),
        guid: None,
        item_count: 0,
        updated_at_ms: 0,
        last_dump_complete: false,
    }
}

fn record(touched: &mut HashMap<u32, Option<Item>>, order: &mut Vec<u32>, id: u32, state: Option<Item>) {
    if touched.insert(id, state).is_none() {
        order.push(id);
    }
}

fn open_read<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn encode_item(item: &Item) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![ITEM_FORMAT];
    let body = bincode::serde::encode_to_vec(item, bincode::config::standard())
        .map_err(|e| StoreError::Storage(format!("encoding item 0x{:08X}: {e}", item.object_id)))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes one stored item.
pub fn decode_item(bytes: &[u8], owner_key: &str, object_id: u32) -> Result<Item, StoreError> {
    let corrupt =
        |reason: String| StoreError::Corrupt { key: ItemKey { owner_key: owner_key.to_string(), object_id }, reason };
    match bytes.split_first() {
        Some((&ITEM_FORMAT, body)) => bincode::serde::decode_from_slice(body, bincode::config::standard())
            .map(|(item, _)| item)
            .map_err(|e| corrupt(e.to_string())),
        Some((v, _)) => Err(corrupt(format!("unknown item format {v} (this build reads {ITEM_FORMAT})"))),
        None => Err(corrupt("empty record".to_string())),
    }
}

fn decode_owner(bytes: &[u8], key: &str) -> Result<OwnerInfo, StoreError> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .map(|(o, _)| o)
        .map_err(|e| StoreError::Storage(format!("owner record {key:?} cannot be decoded: {e}")))
}

fn write_item(table: &mut redb::Table<'_, (&str, u32), &[u8]>, key: &str, item: &Item) -> Result<(), StoreError> {
    let bytes = encode_item(item)?;
    table.insert((key, item.object_id), bytes.as_slice())?;
    Ok(())
}

fn read_item<T: ReadableTable<(&'static str, u32), &'static [u8]>>(
    table: &T,
    key: &str,
    id: u32,
) -> Result<Option<Item>, StoreError> {
    match table.get((key, id))? {
        Some(v) => decode_item(v.value(), key, id).map(Some),
        None => Ok(None),
    }
}

fn load_owner_items<T: ReadableTable<(&'static str, u32), &'static [u8]>>(
    table: &T,
    key: &str,
) -> Result<HashMap<u32, Item>, StoreError> {
    let mut out = HashMap::new();
    for entry in table.range((key, 0u32)..=(key, u32::MAX))? {
        let (k, v) = entry?;
        let id = k.value().1;
        out.insert(id, decode_item(v.value(), key, id)?);
    }
    Ok(out)
}

fn count_owner_items<T: ReadableTable<(&'static str, u32), &'static [u8]>>(
    table: &T,
    key: &str,
) -> Result<u64, StoreError> {
    let mut n = 0;
    for entry in table.range((key, 0u32)..=(key, u32::MAX))? {
        entry?;
        n += 1;
    }
    Ok(n)
}

fn read_owner<T: ReadableTable<&'static str, &'static [u8]>>(
    table: &T,
    key: &str,
) -> Result<Option<OwnerInfo>, StoreError> {
    match table.get(key)? {
        Some(v) => decode_owner(v.value(), key).map(Some),
        None => Ok(None),
    }
}

fn write_owner(table: &mut redb::Table<'_, &str, &[u8]>, info: &OwnerInfo) -> Result<(), StoreError> {
    let bytes = bincode::serde::encode_to_vec(info, bincode::config::standard())
        .map_err(|e| StoreError::Storage(format!("encoding owner {:?}: {e}", info.owner_key)))?;
    table.insert(info.owner_key.as_str(), bytes.as_slice())?;
    Ok(())
}

fn read_seq(txn: &WriteTransaction) -> Result<u64, StoreError> {
    let meta = txn.open_table(META)?;
    Ok(meta.get(SEQ_KEY)?.map(|g| g.value()).unwrap_or(0))
}

fn write_seq(txn: &WriteTransaction, seq: u64) -> Result<(), StoreError> {
    let mut meta = txn.open_table(META)?;
    meta.insert(SEQ_KEY, seq)?;
    Ok(())
}

/// Drops the oldest change-log entries beyond `MAX_CHANGE_LOG`.
fn trim_change_log(changes: &mut redb::Table<'_, u64, (&str, u32)>, seq: u64) -> Result<(), StoreError> {
    let keep_from = seq.saturating_sub(MAX_CHANGE_LOG) + 1;
    loop {
        let first = match changes.first()? {
            Some((k, _)) => k.value(),
            None => return Ok(()),
        };
        if first >= keep_from {
            return Ok(());
        }
        changes.remove(first)?;
    }
}
