//! The import's writes to `state.redb` besides characters and portals: users (with their
//! bcrypt hashes), each character's items (one full dump through the live normalizer and
//! store, then the search index), and the issue board's entries as notes.
//!
//! Owns the rules that keep these idempotent: an existing user is left alone (reported);
//! a character's items are gathered from wherever they are in the source and applied as
//! one dump; a character whose stored inventory is newer than the old one (a live dump) is
//! skipped, and applying the same dump again changes nothing; a note with the same title, author and
//! creation time is the same note. Never touches day files.

use super::report::TableReport;
use super::{ImportError, Importer};
use crate::auth::{self, Role};
use crate::inventory::{InventoryStore, owner_key};
use crate::protocol::lenient;
use redb::ReadableDatabase;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Items kept per character before its dump is applied (the store's own limit).
const MAX_ITEMS_PER_OWNER: usize = crate::inventory::store::MAX_ITEMS_PER_DUMP;
/// Item rejection messages kept for the report.
const MAX_REJECTIONS_KEPT: usize = 10;
/// The issue board file is small; refuse anything absurd.
const MAX_ISSUES_FILE_BYTES: u64 = 64 * 1024 * 1024;

pub struct UserImport {
    cols: Vec<Option<&'static str>>,
    report: TableReport,
}

impl UserImport {
    pub fn new(table: &str, columns: &[String]) -> UserImport {
        let cols: Vec<Option<&'static str>> = columns
            .iter()
            .map(|c| match c.to_ascii_lowercase().as_str() {
                "username" | "user_name" | "login" | "name" => Some("username"),
                "password_hash" | "hashed_password" | "password" | "pw_hash" | "hash" => Some("password_hash"),
                "role" => Some("role"),
                "is_admin" | "admin" => Some("is_admin"),
                _ => None,
            })
            .collect();
        let unused = columns.iter().zip(&cols).filter(|(_, s)| s.is_none()).map(|(c, _)| c.clone()).collect();
        UserImport {
            cols,
            report: TableReport {
                table: table.to_string(),
                kind: "users".into(),
                unused_columns: unused,
                ..Default::default()
            },
        }
    }

    pub fn row(&mut self, imp: &mut Importer, row: &mut [Value]) -> Result<(), ImportError> {
        self.report.rows_read += 1;
        let get = |name: &str| self.cols.iter().position(|c| *c == Some(name)).and_then(|i| row.get(i));
        let Some(username) = get("username").and_then(lenient::string_of) else {
            self.report.skip("no username", String::new());
            return Ok(());
        };
        let Some(hash) = get("password_hash").and_then(lenient::string_of) else {
            self.report.skip("no password hash", username);
            return Ok(());
        };
        let admin_flag = get("is_admin").and_then(lenient::bool_of);
        let role_text = get("role").and_then(lenient::string_of).map(|r| r.to_ascii_lowercase());
        // Admin flag → admin, else member; a role column saying admin counts the same.
        let role =
            if admin_flag == Some(true) || role_text.as_deref() == Some("admin") { Role::Admin } else { Role::Member };
        if let Err(e) = auth::validate_username(&username) {
            self.report.skip("bad username", format!("{username}: {e}"));
            return Ok(());
        }
        if !auth::password::is_importable_hash(hash.trim()) {
            self.report.skip("not a bcrypt or argon2 hash", username);
            return Ok(());
        }
        let existing = auth::store::get_user(&imp.state, &username).map_err(|e| ImportError::Storage(e.to_string()))?;
        if existing.is_some() {
            imp.report.users_existing.push(username);
            return Ok(());
        }
        self.report.rows_decoded += 1;
        if !imp.dry_run {
            auth::cli::user_import_hash(&imp.state, &username, role, &hash)
                .map_err(|e| ImportError::Storage(format!("user {username}: {e}")))?;
        }
        imp.report.users_imported.push(username);
        Ok(())
    }

    pub fn finish(self, imp: &mut Importer) {
        imp.report.tables.push(self.report);
    }
}

/// Items: every row is spilled to a partition file of its owner (`ITEM_BUCKETS` of them,
/// by owner key) in the staging directory, then each partition is read back and each
/// owner's items — wherever their rows were in the source — are applied as one full dump.
/// A dump is ordered by nothing (a JSONL file may hold A, B, then A again), and applying
/// each run of rows as it comes would let a later run replace an earlier one. Memory holds
/// one partition's item bytes (the source's item bytes / `ITEM_BUCKETS`, each owner
/// capped at the store's per-dump limit), whatever the number of rows.
pub struct ItemImport {
    owner_col: usize,
    raw_col: Option<usize>,
    spells_col: Option<usize>,
    time_cols: Vec<usize>,
    columns: Vec<String>,
    spill: ItemSpill,
    report: TableReport,
    index: Option<Arc<crate::search::SearchIndex>>,
}

/// Partitions of spilled item rows; each record is
/// `[u32 len][u16 owner len][owner][i64 time or i64::MIN][item JSON]`.
const ITEM_BUCKETS: usize = 64;
const ITEM_SPILL_BUFFER: usize = 32 * 1024;

struct ItemSpill {
    dir: PathBuf,
    files: Vec<Option<BufWriter<File>>>,
}

/// One owner's items gathered from a partition.
struct OwnerItems {
    owner: String,
    t: i64,
    items: Vec<Vec<u8>>,
}

impl ItemSpill {
    fn create(dir: PathBuf) -> Result<ItemSpill, ImportError> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| ImportError::io(&dir, e))?;
        Ok(ItemSpill { dir, files: (0..ITEM_BUCKETS).map(|_| None).collect() })
    }

    fn bucket_of(owner_key: &str) -> usize {
        // FNV-1a: stable and cheap; the partition only has to be the same for one owner.
        let h =
            owner_key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        (h % ITEM_BUCKETS as u64) as usize
    }

    fn path(&self, bucket: usize) -> PathBuf {
        self.dir.join(format!("items-{bucket}.bin"))
    }

    fn push(&mut self, owner: &str, t: Option<i64>, item: &[u8]) -> Result<(), ImportError> {
        let bucket = Self::bucket_of(&owner_key(owner));
        let path = self.path(bucket);
        let w = match &mut self.files[bucket] {
            Some(w) => w,
            slot => {
                let f =
                    OpenOptions::new().create(true).append(true).open(&path).map_err(|e| ImportError::io(&path, e))?;
                slot.insert(BufWriter::with_capacity(ITEM_SPILL_BUFFER, f))
            }
        };
        let owner = owner.as_bytes();
        let len = 2 + owner.len() + 8 + item.len();
        let io = |e| ImportError::io(&path, e);
        w.write_all(&(len as u32).to_le_bytes()).map_err(io)?;
        w.write_all(&(owner.len() as u16).to_le_bytes()).map_err(io)?;
        w.write_all(owner).map_err(io)?;
        w.write_all(&t.unwrap_or(i64::MIN).to_le_bytes()).map_err(io)?;
        w.write_all(item).map_err(io)
    }

    /// One partition's owners in order of first appearance, each with its items in source
    /// order; items past the per-dump limit are counted in `over` instead of kept.
    fn read(&mut self, bucket: usize, over: &mut Vec<String>) -> Result<Vec<OwnerItems>, ImportError> {
        let path = self.path(bucket);
        let Some(mut w) = self.files[bucket].take() else { return Ok(Vec::new()) };
        w.flush().map_err(|e| ImportError::io(&path, e))?;
        drop(w);
        let damaged = || ImportError::Internal(format!("{} holds a damaged record", path.display()));
        let mut r =
            BufReader::with_capacity(ITEM_SPILL_BUFFER, File::open(&path).map_err(|e| ImportError::io(&path, e))?);
        let mut owners: Vec<OwnerItems> = Vec::new();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut len = [0u8; 4];
        loop {
            match r.read_exact(&mut len) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(ImportError::io(&path, e)),
            }
            let mut rec = vec![0u8; u32::from_le_bytes(len) as usize];
            r.read_exact(&mut rec).map_err(|e| ImportError::io(&path, e))?;
            let olen =
                u16::from_le_bytes(rec.get(..2).ok_or_else(damaged)?.try_into().map_err(|_| damaged())?) as usize;
            let owner =
                std::str::from_utf8(rec.get(2..2 + olen).ok_or_else(damaged)?).map_err(|_| damaged())?.to_string();
            let t_bytes: [u8; 8] =
                rec.get(2 + olen..10 + olen).ok_or_else(damaged)?.try_into().map_err(|_| damaged())?;
            let t = i64::from_le_bytes(t_bytes);
            let item = rec.split_off(10 + olen);
            let i = *by_key.entry(owner_key(&owner)).or_insert_with(|| {
                owners.push(OwnerItems { owner: owner.clone(), t: 0, items: Vec::new() });
                owners.len() - 1
            });
            let o = &mut owners[i];
            if t != i64::MIN {
                o.t = o.t.max(t);
            }
            if o.items.len() >= MAX_ITEMS_PER_OWNER {
                over.push(owner);
                continue;
            }
            o.items.push(item);
        }
        drop(r);
        let _ = std::fs::remove_file(&path);
        Ok(owners)
    }
}

impl ItemImport {
    pub fn new(imp: &mut Importer, columns: &[String]) -> Result<ItemImport, ImportError> {
        let find = |names: &[&str]| columns.iter().position(|c| names.contains(&c.to_ascii_lowercase().as_str()));
        let owner_col = find(&["character_name", "owner", "character", "player_name"])
            .ok_or_else(|| ImportError::Usage("items need a character_name column".into()))?;
        let raw_col = find(&["__raw", "raw_data", "original_json", "item_json", "raw_json", "data"]);
        let spells_col = find(&["__spells"]);
        let time_cols: Vec<usize> = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(c.to_ascii_lowercase().as_str(), "timestamp" | "updated_at" | "last_updated" | "created_at")
            })
            .map(|(i, _)| i)
            .collect();
        let index = if imp.dry_run {
            None
        } else {
            let dir = imp.data_dir.join("index");
            let (index, _) = crate::search::SearchIndex::open_or_rebuild(&dir, imp.state.clone(), |_, _| {})
                .map_err(|e| ImportError::Storage(format!("item index: {e}")))?;
            Some(Arc::new(index))
        };
        let spill_dir = imp
            .stage
            .as_ref()
            .map(|s| s.dir().join("items"))
            .ok_or_else(|| ImportError::Internal("items imported after the staging area was closed".into()))?;
        Ok(ItemImport {
            owner_col,
            raw_col,
            spells_col,
            time_cols,
            columns: columns.to_vec(),
            spill: ItemSpill::create(spill_dir)?,
            report: TableReport { table: "items".into(), kind: "items".into(), ..Default::default() },
            index,
        })
    }

    pub fn row(&mut self, _imp: &mut Importer, row: &mut [Value]) -> Result<(), ImportError> {
        self.report.rows_read += 1;
        let owner = match crate::protocol::validate_character_name(row.get(self.owner_col)) {
            Ok(o) => o,
            Err(e) => {
                self.report.skip("bad character_name", e.to_string());
                return Ok(());
            }
        };
        let t = self.time_cols.iter().filter_map(|i| row.get(*i).and_then(lenient::unix_ms_of)).max();
        let item = match self.wire_item(row) {
            Some(item) => item,
            None => {
                self.report.skip("no item data", format!("an item of {owner}"));
                return Ok(());
            }
        };
        if let Some(t) = t {
            self.report.saw_time(t);
        }
        let bytes = serde_json::to_vec(&item).map_err(|e| ImportError::Internal(format!("item spill: {e}")))?;
        self.spill.push(&owner, t, &bytes)
    }

    /// The plugin's item JSON when the raw table has it, else the item's own columns (named
    /// like the normalized fields) and its side tables.
    fn wire_item(&self, row: &mut [Value]) -> Option<Value> {
        let parse = |v: &Value| match v {
            Value::String(s) => serde_json::from_str::<Value>(s).ok(),
            other => Some(other.clone()),
        };
        if let Some(i) = self.raw_col
            && let Some(raw) = row.get(i).and_then(parse)
        {
            // The raw-data row may wrap the item: {"item_id":…, "original_json": {…}}.
            let inner = match &raw {
                Value::Object(m) => ["original_json", "raw_data", "item_json", "data", "json"]
                    .iter()
                    .find_map(|k| m.get(*k))
                    .and_then(parse)
                    .unwrap_or(raw.clone()),
                _ => raw.clone(),
            };
            if inner.is_object() {
                return Some(inner);
            }
        }
        let mut obj = Map::new();
        for (i, c) in self.columns.iter().enumerate() {
            let v = std::mem::take(&mut row[i]);
            if v.is_null() || i == self.owner_col || Some(i) == self.raw_col {
                continue;
            }
            if Some(i) == self.spells_col {
                if let Some(list) = parse(&v) {
                    obj.insert("spells".into(), list);
                }
                continue;
            }
            if let Some(side) = c.strip_prefix("__side_") {
                let _ = side;
                if let Some(Value::Object(m)) = parse(&v) {
                    for (k, v) in m {
                        if !matches!(k.as_str(), "id" | "item_id") && !v.is_null() {
                            obj.entry(k).or_insert(v);
                        }
                    }
                }
                continue;
            }
            let key = match c.to_ascii_lowercase().as_str() {
                "id" => continue,
                "item_id" | "object_id" | "game_id" => "object_id".to_string(),
                other => other.to_string(),
            };
            obj.insert(key, v);
        }
        obj.contains_key("object_id").then_some(Value::Object(obj))
    }

    /// Applies one character's items as one full dump.
    fn apply(&mut self, imp: &mut Importer, gathered: OwnerItems) -> Result<(), ImportError> {
        let OwnerItems { owner, t, items } = gathered;
        let items: Vec<Value> = items
            .iter()
            .map(|b| serde_json::from_slice(b))
            .collect::<Result<_, _>>()
            .map_err(|e| ImportError::Internal(format!("item spill: {e}")))?;
        let at = if t > 0 { t } else { imp.now_ms };
        let store = InventoryStore::new();
        let newer = {
            let txn = imp.state.begin_read().map_err(|e| ImportError::Storage(e.to_string()))?;
            store
                .owners(&txn)
                .map_err(|e| ImportError::Storage(e.to_string()))?
                .into_iter()
                .find(|o| o.owner_key == owner_key(&owner))
                .is_some_and(|o| o.updated_at_ms > at)
        };
        if newer {
            imp.report.item_owners_skipped_newer_live.push(owner);
            return Ok(());
        }
        let mut txn = imp.state.begin_write().map_err(|e| ImportError::Storage(e.to_string()))?;
        txn.set_durability(redb::Durability::Immediate).map_err(|e| ImportError::Storage(e.to_string()))?;
        store.ensure_tables(&txn).map_err(|e| ImportError::Storage(e.to_string()))?;
        let report = match store.apply_full(&txn, &owner, &items, true, at) {
            Ok(r) => r,
            Err(e) => {
                self.report.skip("inventory refused", format!("{owner}: {e}"));
                return Ok(());
            }
        };
        if imp.dry_run {
            txn.abort().map_err(|e| ImportError::Storage(e.to_string()))?;
        } else {
            txn.commit().map_err(|e| ImportError::Storage(e.to_string()))?;
            if let Some(index) = &self.index {
                index.apply(&report).map_err(|e| ImportError::Storage(format!("item index: {e}")))?;
            }
        }
        self.report.rows_decoded += items.len() as u64;
        imp.report.item_owners_imported += 1;
        imp.report.items_stored += report.stored;
        imp.report.items_rejected += report.rejected_count;
        for r in report.rejected.iter().take(MAX_REJECTIONS_KEPT.saturating_sub(imp.report.item_rejections.len())) {
            imp.report.item_rejections.push(r.message.clone());
        }
        Ok(())
    }

    pub fn finish(mut self, imp: &mut Importer) -> Result<(), ImportError> {
        for bucket in 0..ITEM_BUCKETS {
            let mut over = Vec::new();
            let owners = self.spill.read(bucket, &mut over)?;
            for owner in over {
                self.report.skip("too many items for one character", owner);
            }
            for o in owners {
                self.apply(imp, o)?;
            }
        }
        let _ = std::fs::remove_dir_all(&self.spill.dir);
        if let Some(index) = &self.index {
            index.flush().map_err(|e| ImportError::Storage(format!("item index: {e}")))?;
        }
        imp.report.tables.push(self.report);
        Ok(())
    }
}

/// `openissues.json`: an array of entries (or `{"issues": [...]}`), each becoming a note
/// with its original times and state.
pub fn import_issues(imp: &mut Importer, path: &Path) -> Result<(), ImportError> {
    let meta = std::fs::metadata(path).map_err(|e| ImportError::Usage(format!("{}: {e}", path.display())))?;
    if meta.len() > MAX_ISSUES_FILE_BYTES {
        return Err(ImportError::Usage(format!("{}: larger than {MAX_ISSUES_FILE_BYTES} bytes", path.display())));
    }
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Usage(format!("{}: {e}", path.display())))?;
    let mut report = TableReport { table: path.display().to_string(), kind: "notes".into(), ..Default::default() };
    // Either one JSON document or JSON Lines.
    let entries: Vec<Value> = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(a)) => a,
        Ok(Value::Object(mut m)) => match ["issues", "items", "entries"].iter().find_map(|k| m.remove(*k)) {
            Some(Value::Array(a)) => a,
            _ => m.into_iter().map(|(_, v)| v).filter(Value::is_object).collect(),
        },
        _ => text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| serde_json::from_str(l).ok()).collect(),
    };
    let existing = crate::notes::list(&imp.state, None).map_err(|e| ImportError::Storage(e.to_string()))?;
    for e in entries {
        report.rows_read += 1;
        let Value::Object(m) = e else {
            report.skip("not an object", String::new());
            continue;
        };
        let get = |keys: &[&str]| keys.iter().find_map(|k| m.get(*k)).filter(|v| !v.is_null());
        let Some(title) = get(&["title", "name", "summary", "subject"]).and_then(lenient::string_of) else {
            report.skip("no title", crate::protocol::clip(Value::Object(m.clone()).to_string(), 120));
            continue;
        };
        let title = crate::protocol::clip(title, 800);
        let title: String = title.chars().take(crate::notes::MAX_TITLE_CHARS).collect();
        let body: String = get(&["body", "description", "text", "details", "content"])
            .and_then(lenient::string_of)
            .unwrap_or_default()
            .chars()
            .take(crate::notes::MAX_BODY_CHARS)
            .collect();
        let author = get(&["author", "created_by", "reporter", "by", "user", "username"])
            .and_then(lenient::string_of)
            .unwrap_or_else(|| "imported".into());
        let created = get(&["created_at", "created", "timestamp", "date", "opened_at"]).and_then(lenient::unix_ms_of);
        let updated = get(&["updated_at", "updated", "closed_at", "resolved_at"]).and_then(lenient::unix_ms_of);
        let status = get(&["state", "status"]).and_then(lenient::string_of).unwrap_or_else(|| "open".into());
        let closed_flag = get(&["closed", "done", "resolved"]).and_then(lenient::bool_of).unwrap_or(false);
        let done = closed_flag
            || matches!(
                status.to_ascii_lowercase().as_str(),
                "closed" | "done" | "resolved" | "fixed" | "wontfix" | "complete" | "completed"
            );
        let created = created.or(updated).unwrap_or(imp.now_ms);
        let updated = updated.unwrap_or(created).max(created);
        report.saw_time(created);
        let state = if done { crate::notes::NoteState::Done } else { crate::notes::NoteState::Open };
        if let Some(n) =
            existing.iter().find(|n| n.title == title.trim() && n.created_ms == created && n.author == author)
        {
            imp.report.notes_already_present += 1;
            // A run stopped between creating the note and setting its state finishes here.
            if !imp.dry_run && (n.state != state || n.updated_ms != updated) {
                crate::notes::update(&imp.state, n.id, IMPORT_EDITOR, None, None, Some(state), updated)
                    .map_err(|e| ImportError::Storage(format!("note {title:?}: {e}")))?;
            }
            continue;
        }
        report.rows_decoded += 1;
        imp.report.notes_imported += 1;
        if imp.dry_run {
            continue;
        }
        let note = crate::notes::create(&imp.state, &title, &body, &author, created)
            .map_err(|e| ImportError::Storage(format!("note {title:?}: {e}")))?;
        crate::notes::update(&imp.state, note.id, IMPORT_EDITOR, None, None, Some(state), updated)
            .map_err(|e| ImportError::Storage(format!("note {title:?}: {e}")))?;
    }
    imp.report.tables.push(report);
    Ok(())
}

/// The importer rewrites the old board's states with an admin's rights (it runs offline).
const IMPORT_EDITOR: crate::notes::Editor<'static> = crate::notes::Editor { username: "import", is_admin: true };
