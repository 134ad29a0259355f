//! `SegmentCache`: facts about one index segment that are expensive to read and never
//! change while the segment exists, kept between searches.
//!
//! Owns: per segment and string fast field, the term dictionary decoded once (ord → value;
//! tantivy otherwise decompresses a dictionary block for every single lookup), the count of
//! every value over all of the segment's documents, and those counts minus the deleted
//! documents for the segment's current number of deletes.
//! Never does: hold an entry for a segment the current searcher no longer has (`prune` drops
//! them after every reload, so the cache is bounded by the live segments), cache anything
//! that depends on a query, or serve a count computed for another set of deletes (a
//! segment's documents never change; only its deletes grow, and they are part of the key).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::index::SegmentId;
use tantivy::{DocId, Searcher, SegmentReader};

/// Largest dictionary decoded into memory (terms); bigger ones are read from the index on
/// each use. Facet fields and owners have a few thousand values; this keeps a damaged or
/// unexpected field from pinning hundreds of MB.
pub const MAX_CACHED_TERMS: usize = 1_000_000;

/// Decoded dictionaries and value counts of the live segments (see module doc).
#[derive(Default)]
pub struct SegmentCache {
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    dictionaries: HashMap<(SegmentId, &'static str), Option<Arc<Vec<String>>>>,
    /// Counts over every document, deleted or not (never changes for a segment).
    base_counts: HashMap<(SegmentId, &'static str), Arc<Vec<u32>>>,
    /// Counts over the alive documents, for the number of deletes in the key.
    alive_counts: HashMap<(SegmentId, &'static str, u32), Arc<Vec<u32>>>,
    /// The deleted documents, for the number of deletes in the key (shared by all fields).
    deleted_docs: HashMap<(SegmentId, u32), Arc<Vec<DocId>>>,
}

impl SegmentCache {
    /// Drops every entry of a segment `searcher` does not hold (merged away or deleted).
    pub fn prune(&self, searcher: &Searcher) {
        let live: HashSet<SegmentId> = searcher.segment_readers().iter().map(|s| s.segment_id()).collect();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.dictionaries.retain(|(id, _), _| live.contains(id));
        state.base_counts.retain(|(id, _), _| live.contains(id));
        // Older delete counts of a live segment are dead too: deletes only grow.
        let current: HashSet<(SegmentId, u32)> =
            searcher.segment_readers().iter().map(|s| (s.segment_id(), s.num_deleted_docs())).collect();
        state.alive_counts.retain(|(id, _, deleted), _| current.contains(&(*id, *deleted)));
        state.deleted_docs.retain(|key, _| current.contains(key));
    }

    /// Every value of the string fast field `field` in `segment`, indexed by term ordinal;
    /// `None` when the segment has no such column or its dictionary is too large to cache.
    pub fn dictionary(
        &self,
        segment: &SegmentReader,
        field: &'static str,
    ) -> tantivy::Result<Option<Arc<Vec<String>>>> {
        let key = (segment.segment_id(), field);
        if let Some(found) = self.lock().dictionaries.get(&key) {
            return Ok(found.clone());
        }
        let decoded = match segment.fast_fields().str(field)? {
            Some(column) if column.num_terms() <= MAX_CACHED_TERMS => {
                let mut values = Vec::with_capacity(column.num_terms());
                let mut stream = column.dictionary().stream()?;
                while stream.advance() {
                    values.push(String::from_utf8_lossy(stream.key()).into_owned());
                }
                Some(Arc::new(values))
            }
            _ => None,
        };
        self.lock().dictionaries.insert(key, decoded.clone());
        Ok(decoded)
    }

    /// How many alive documents of `segment` hold each value (by term ordinal) of the string
    /// fast field `field`; a document holding a value twice counts twice, as in a per-document
    /// count. `None` when the segment has no such column.
    pub fn alive_counts(&self, segment: &SegmentReader, field: &'static str) -> tantivy::Result<Option<Arc<Vec<u32>>>> {
        let deleted = segment.num_deleted_docs();
        let key = (segment.segment_id(), field, deleted);
        if let Some(found) = self.lock().alive_counts.get(&key) {
            return Ok(Some(found.clone()));
        }
        let Some(column) = segment.fast_fields().str(field)? else {
            return Ok(None);
        };
        let Some(base) = self.base_counts(segment, field)? else { return Ok(None) };
        let alive = if deleted > 0 {
            let mut counts: Vec<u32> = base.as_ref().clone();
            for doc in self.deleted_docs(segment).iter() {
                for ord in column.term_ords(*doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c = c.saturating_sub(1);
                    }
                }
            }
            Arc::new(counts)
        } else {
            base
        };
        self.lock().alive_counts.insert(key, alive.clone());
        Ok(Some(alive))
    }

    /// How many documents of `segment`, deleted or not, hold each value (by term ordinal) of
    /// the string fast field `field`. `None` when the segment has no such column.
    pub fn base_counts(&self, segment: &SegmentReader, field: &'static str) -> tantivy::Result<Option<Arc<Vec<u32>>>> {
        let key = (segment.segment_id(), field);
        if let Some(found) = self.lock().base_counts.get(&key) {
            return Ok(Some(found.clone()));
        }
        let Some(column) = segment.fast_fields().str(field)? else {
            return Ok(None);
        };
        let mut counts = vec![0u32; column.num_terms()];
        for ord in column.ords().values.iter() {
            if let Some(c) = counts.get_mut(ord as usize) {
                *c += 1;
            }
        }
        let counts = Arc::new(counts);
        self.lock().base_counts.insert(key, counts.clone());
        Ok(Some(counts))
    }

    /// The deleted documents of `segment` (one scan of its delete bit set per delete count).
    fn deleted_docs(&self, segment: &SegmentReader) -> Arc<Vec<DocId>> {
        let key = (segment.segment_id(), segment.num_deleted_docs());
        if let Some(found) = self.lock().deleted_docs.get(&key) {
            return found.clone();
        }
        let docs: Vec<DocId> = match segment.alive_bitset() {
            Some(bits) => (0..segment.max_doc()).filter(|d| bits.is_deleted(*d)).collect(),
            None => Vec::new(),
        };
        let docs = Arc::new(docs);
        self.lock().deleted_docs.insert(key, docs.clone());
        docs
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
