//! Shared set-up for the integration tests: a temp data dir with `state.redb`, the store,
//! and helpers that write the way the lead's single state writer does (one write
//! transaction, commit, then hand the report to the index).
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use overlord::inventory::{ApplyReport, InventoryStore, Item};
use overlord::search::SearchIndex;
use redb::{Database, ReadableDatabase};
use serde_json::Value;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: Arc<Database>,
    pub store: InventoryStore,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Arc::new(Database::create(dir.path().join("state.redb")).expect("create state.redb"));
        let store = InventoryStore::new();
        let txn = db.begin_write().expect("begin write");
        store.ensure_tables(&txn).expect("tables");
        txn.commit().expect("commit");
        Env { dir, db, store }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    pub fn open_index(&self) -> (SearchIndex, overlord::search::OpenOutcome) {
        SearchIndex::open_or_rebuild(&self.index_dir(), self.db.clone(), |_, _| {}).expect("open index")
    }

    pub fn full(&self, owner: &str, items: &[Value], now_ms: i64) -> ApplyReport {
        let txn = self.db.begin_write().expect("begin write");
        let report = self.store.apply_full(&txn, owner, items, true, now_ms).expect("apply_full");
        txn.commit().expect("commit");
        report
    }

    pub fn delta(
        &self,
        owner: &str,
        added: &[Value],
        updated: &[Value],
        removed: &[Value],
        now_ms: i64,
    ) -> ApplyReport {
        let txn = self.db.begin_write().expect("begin write");
        let report = self.store.apply_delta(&txn, owner, added, updated, removed, now_ms).expect("apply_delta");
        txn.commit().expect("commit");
        report
    }

    pub fn get(&self, owner: &str, id: u32) -> Option<Item> {
        let txn = self.db.begin_read().expect("begin read");
        self.store.get(&txn, owner, id).expect("get")
    }

    pub fn all_items(&self) -> Vec<(String, Item)> {
        let txn = self.db.begin_read().expect("begin read");
        let mut out = Vec::new();
        self.store.for_each_item(&txn, |owner, item| out.push((owner.to_string(), item))).expect("scan");
        out
    }
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}
