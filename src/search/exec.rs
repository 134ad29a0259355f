//! Running a `SearchQuery`: tantivy clauses, sorting, paging, facets, and the answer.
//!
//! Owns relevance (typo tolerance, prefix matching, field boosts) and the result shape of
//! docs/api.md. Items in results are read from the inventory store, the source of truth, so a
//! result item always equals the stored item; a document whose item was deleted after the
//! last index commit is skipped (the index trails the store by under a second).

use std::collections::HashMap;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use redb::ReadableDatabase;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use tantivy::collector::sort_key::{SortBySimilarityScore, SortByStaticFastValue, SortByString};
use tantivy::collector::{Collector, Count, SegmentCollector, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocAddress, DocId, Order, Score, Searcher, SegmentOrdinal, SegmentReader};

use crate::inventory::item::{Item, ItemView};
use crate::inventory::store::ItemKey;
use crate::search::index::{SearchError, SearchIndex};
use crate::search::query::{CantripFilter, Direction, FacetKind, SearchQuery, Sort, SortField, words_of};
use crate::search::schema::TIEBREAK_FIELD;
use crate::search::segment_cache::SegmentCache;
use crate::search::text_query::{self, Clause, TextQuery};

/// Most distinct values returned per facet (most frequent first).
pub const MAX_FACET_VALUES: usize = 100;
/// Words of at least this many letters are matched with typos (docs/api.md: 5+).
pub const FUZZY_MIN_CHARS: usize = 5;
/// Words longer than this get edit distance 2, shorter ones 1.
pub const FUZZY_DISTANCE_2_ABOVE: usize = 8;

/// Relevance weights: a name match outranks a spell-name match, an exact word outranks a
/// typo-tolerant or prefix one.
const BOOST_NAME_EXACT: Score = 4.0;
const BOOST_NAME_PREFIX: Score = 2.0;
const BOOST_NAME_FUZZY: Score = 1.5;
const BOOST_SPELL_EXACT: Score = 1.0;
const BOOST_SPELL_PREFIX: Score = 0.6;
const BOOST_SPELL_FUZZY: Score = 0.4;

/// The answer of `GET /api/items/search`; serializes exactly as docs/api.md shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub total: u64,
    pub took_ms: f64,
    pub items: Vec<Item>,
    /// Per requested facet: (value, count), most frequent first, then by value.
    pub facets: Vec<(FacetKind, Vec<(String, u64)>)>,
}

impl SearchResult {
    /// The API shape (`GET /api/items/search` in docs/api.md).
    pub fn view(&self) -> SearchResultView<'_> {
        SearchResultView {
            total: self.total,
            took_ms: self.took_ms,
            items: self.items.iter().map(|i| i.view(false)).collect(),
            facets: FacetsView(&self.facets),
        }
    }
}

/// `GET /api/items/search`: the page of items, the total match count and the requested
/// facets (`{facet: {value: count}}`, most frequent value first).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "ItemSearchResponse"))]
pub struct SearchResultView<'a> {
    pub total: u64,
    pub took_ms: f64,
    pub items: Vec<ItemView<'a>>,
    /// Serialized by hand to keep each facet's values in count order.
    #[cfg_attr(feature = "bindings", ts(type = "Partial<Record<FacetName, Record<string, number>>>"))]
    pub facets: FacetsView<'a>,
}

/// The requested facets, in request order, each value with its count.
#[derive(Debug)]
pub struct FacetsView<'a>(&'a [(FacetKind, Vec<(String, u64)>)]);

impl Serialize for FacetsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (kind, counts) in self.0 {
            m.serialize_entry(kind.name(), &CountsView(counts))?;
        }
        m.end()
    }
}

struct CountsView<'a>(&'a [(String, u64)]);

impl Serialize for CountsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (value, count) in self.0 {
            m.serialize_entry(value, count)?;
        }
        m.end()
    }
}

impl SearchIndex {
    /// Runs one search. Results reflect updates committed by the writer (≤ ~0.6 s old).
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchError> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        self.cache.prune(&searcher);
        let window = q.limit + q.offset;
        let facet_fields: Vec<(FacetKind, &'static str)> = q.facets.iter().map(|f| (*f, facet_field(*f))).collect();
        let (addresses, total, facet_counts) = if matches_everything(q) {
            // Nothing narrows the match: the total and the facets are properties of the
            // index itself, served from per-segment counts instead of visiting every item.
            let counts = self.all_facet_counts(&searcher, &facet_fields)?;
            let total = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
            let addresses = if window == 0 {
                Vec::new()
            } else {
                match q.sort {
                    Sort::Relevance => self.all_by_name(&searcher, window, Direction::Asc)?,
                    Sort::Field(SortField::Name, dir) => self.all_by_name(&searcher, window, dir)?,
                    _ => None,
                }
                .map_or_else(
                    || {
                        let none = FacetCollector { fields: Vec::new(), cache: &self.cache };
                        self.collect(&searcher, &AllQuery, q, window, none).map(|(a, _, _)| a)
                    },
                    Ok,
                )?
            };
            (addresses, total, counts)
        } else {
            let query = self.build_query(q);
            let facets = FacetCollector { fields: facet_fields.iter().map(|(_, f)| *f).collect(), cache: &self.cache };
            if window == 0 {
                let (total, counts) = searcher.search(&*query, &(Count, facets))?;
                (Vec::new(), total, counts)
            } else {
                self.collect(&searcher, &*query, q, window, facets)?
            }
        };
        let keys = self.doc_keys(&searcher, &addresses[q.offset.min(addresses.len())..])?;
        let txn = self.db.begin_read()?;
        let items: Vec<Item> = self.store.get_many(&txn, &keys)?.into_iter().flatten().collect();
        let mut facets = Vec::with_capacity(facet_fields.len());
        for ((kind, _), counts) in facet_fields.iter().zip(facet_counts) {
            let counts = if *kind == FacetKind::Owner { self.owner_display_names(&txn, counts)? } else { counts };
            facets.push((*kind, top_values(counts)));
        }
        drop(txn);
        let took_ms = (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0;
        Ok(SearchResult { total: total as u64, took_ms, items, facets })
    }

    /// Facet counts over every item: the cached per-segment counts of alive documents,
    /// merged by value exactly as `FacetCollector` merges its segments.
    fn all_facet_counts(
        &self,
        searcher: &Searcher,
        facet_fields: &[(FacetKind, &'static str)],
    ) -> Result<Vec<Vec<(String, u64)>>, SearchError> {
        let mut out = Vec::with_capacity(facet_fields.len());
        for (_, field) in facet_fields {
            let mut merged: HashMap<String, u64> = HashMap::new();
            for segment in searcher.segment_readers() {
                let Some(counts) = self.cache.alive_counts(segment, field)? else { continue };
                let dictionary = self.cache.dictionary(segment, field)?;
                let column = if dictionary.is_none() { segment.fast_fields().str(field)? } else { None };
                let mut buf = String::new();
                for (ord, n) in counts.iter().enumerate() {
                    if *n == 0 {
                        continue;
                    }
                    let value = match (&dictionary, &column) {
                        (Some(d), _) => d.get(ord).map(String::as_str),
                        (None, Some(c)) => c.ord_to_str(ord as u64, &mut buf).unwrap_or(false).then_some(buf.as_str()),
                        (None, None) => None,
                    };
                    if let Some(value) = value {
                        *merged.entry(value.to_string()).or_default() += u64::from(*n);
                    }
                }
            }
            out.push(merged.into_iter().collect());
        }
        Ok(out)
    }

    /// The first `window` of all items by (name, tie-break): per segment, the name ordinals
    /// that cover the window are found from the cached value counts and only the documents
    /// holding them are read and sorted. `None` when a segment has an item without exactly
    /// one name value (the generic collector handles that case).
    fn all_by_name(
        &self,
        searcher: &Searcher,
        window: usize,
        dir: Direction,
    ) -> Result<Option<Vec<DocAddress>>, SearchError> {
        // (name, tie-break, address) of each segment's first `window` documents.
        let mut candidates: Vec<(String, u64, DocAddress)> = Vec::new();
        let mut single: Option<Vec<DocAddress>> = None;
        let segments = searcher.segment_readers();
        for (ord, segment) in segments.iter().enumerate() {
            let ff = segment.fast_fields();
            if segment.num_docs() == 0 {
                continue;
            }
            let Some(names) = ff.str("name_sort")? else { return Ok(None) };
            if names.ords().get_cardinality() != tantivy::columnar::Cardinality::Full {
                return Ok(None);
            }
            let Some(counts) = self.cache.alive_counts(segment, "name_sort")? else { return Ok(None) };
            let tiebreak = ff.u64(TIEBREAK_FIELD)?;
            // The ordinal range whose alive documents cover the window.
            let mut covered = 0usize;
            let range = match dir {
                Direction::Asc => {
                    let mut last = 0u64;
                    for (o, n) in counts.iter().enumerate() {
                        last = o as u64;
                        covered += *n as usize;
                        if covered >= window {
                            break;
                        }
                    }
                    0..=last
                }
                Direction::Desc => {
                    let mut first = counts.len().saturating_sub(1) as u64;
                    for (o, n) in counts.iter().enumerate().rev() {
                        first = o as u64;
                        covered += *n as usize;
                        if covered >= window {
                            break;
                        }
                    }
                    first..=counts.len().saturating_sub(1) as u64
                }
            };
            if counts.is_empty() {
                continue;
            }
            let alive = segment.alive_bitset();
            let mut picked: Vec<(u64, u64, DocId)> = Vec::new();
            if !self.name_postings(segment, range.clone(), &tiebreak, &mut picked)? {
                // The postings do not account for every document: read the column instead.
                picked.clear();
                let mut docs = Vec::new();
                names.ords().get_docids_for_value_range(range, 0..segment.max_doc(), &mut docs);
                picked.extend(
                    docs.into_iter()
                        .filter(|d| alive.is_none_or(|a| a.is_alive(*d)))
                        .filter_map(|d| Some((names.ords().first(d)?, tiebreak.first(d)?, d))),
                );
            }
            let order = |a: &(u64, u64, DocId), b: &(u64, u64, DocId)| {
                let by_name = if dir == Direction::Asc { a.0.cmp(&b.0) } else { b.0.cmp(&a.0) };
                by_name.then(a.1.cmp(&b.1))
            };
            if picked.len() > window && window > 0 {
                picked.select_nth_unstable_by(window - 1, order);
                picked.truncate(window);
            }
            picked.sort_by(order);
            picked.truncate(window);
            let address = |d: DocId| DocAddress::new(ord as SegmentOrdinal, d);
            if segments.len() == 1 {
                single = Some(picked.iter().map(|(_, _, d)| address(*d)).collect());
                break;
            }
            let mut ords: Vec<u64> = picked.iter().map(|p| p.0).collect();
            ords.sort_unstable();
            ords.dedup();
            let mut strings = Vec::with_capacity(ords.len());
            names
                .dictionary()
                .sorted_ords_to_term_cb(&ords, |bytes| strings.push(String::from_utf8_lossy(bytes).into_owned()))
                .map_err(|e| SearchError::Index(e.to_string()))?;
            for (name_ord, tie, d) in picked {
                let Ok(i) = ords.binary_search(&name_ord) else { continue };
                let Some(name) = strings.get(i) else { continue };
                candidates.push((name.clone(), tie, address(d)));
            }
        }
        if let Some(done) = single {
            return Ok(Some(done));
        }
        candidates.sort_by(|a, b| {
            let by_name = if dir == Direction::Asc { a.0.cmp(&b.0) } else { b.0.cmp(&a.0) };
            by_name.then(a.1.cmp(&b.1))
        });
        candidates.truncate(window);
        Ok(Some(candidates.into_iter().map(|(_, _, a)| a).collect()))
    }

    /// One pass over the matches: the first `window` addresses in the requested order, the
    /// total, and the facet counts. Every sort ends with the unique tie-break field, so equal
    /// values page the same way in every build of the index.
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        q: &SearchQuery,
        window: usize,
        facets: FacetCollector<'_>,
    ) -> Result<Collected, SearchError> {
        let order = |d: Direction| if d == Direction::Asc { Order::Asc } else { Order::Desc };
        let tie = || (SortByStaticFastValue::<u64>::for_field(TIEBREAK_FIELD), Order::Asc);
        let top = TopDocs::with_limit(window);
        let by_name = |dir: Direction| ((SortByString::for_field("name_sort"), order(dir)), tie());
        match q.sort {
            Sort::Relevance if q.q.is_none() => run(searcher, query, top.order_by(by_name(Direction::Asc)), facets),
            Sort::Field(SortField::Name, dir) => run(searcher, query, top.order_by(by_name(dir)), facets),
            Sort::Relevance => {
                run(searcher, query, top.order_by(((SortBySimilarityScore, Order::Desc), tie())), facets)
            }
            Sort::Field(SortField::Workmanship, dir) => {
                let sort = ((SortByStaticFastValue::<f64>::for_field("workmanship"), order(dir)), tie());
                run(searcher, query, top.order_by(sort), facets)
            }
            Sort::Field(SortField::Numeric(name), dir) => {
                let sort = ((SortByStaticFastValue::<i64>::for_field(name), order(dir)), tie());
                run(searcher, query, top.order_by(sort), facets)
            }
        }
    }

    /// Text clauses (scored) and filters (constant score 0, so they never change ranking).
    fn build_query(&self, q: &SearchQuery) -> Box<dyn Query> {
        self.build_query_with(q, text_query::MAX_WORDS)
    }

    /// `build_query`, with `TextQuery` used for texts of at most `text_query_words` words
    /// (tests set 0 to compare against tantivy's boolean union).
    fn build_query_with(&self, q: &SearchQuery, text_query_words: usize) -> Box<dyn Query> {
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = &q.q {
            let words = words_of(text);
            let last = words.len().saturating_sub(1);
            let clauses: Vec<Vec<Clause>> =
                words.iter().enumerate().map(|(i, word)| self.word_clauses(word, i == last)).collect();
            if clauses.len() <= text_query_words.min(text_query::MAX_WORDS) {
                if let Some(text) = TextQuery::new(clauses) {
                    must.push((Occur::Must, Box::new(text)));
                }
            } else {
                for word in clauses {
                    must.push((Occur::Must, word_union(word)));
                }
            }
        }
        let filter = |query: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
        };
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let u64_term = |field: Field, value: u64| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_u64(field, value), IndexRecordOption::Basic))
        };
        let any_of = |queries: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(queries.into_iter().map(|q| (Occur::Should, q)).collect()))
        };
        if !q.owners.is_empty() {
            must.push(filter(any_of(q.owners.iter().map(|o| term(f.owner, o)).collect())));
        }
        if let Some(class) = q.object_class {
            must.push(filter(u64_term(f.object_class_id, u64::from(class))));
        }
        if !q.slots.is_empty() {
            must.push(filter(any_of(q.slots.iter().map(|s| term(f.slot, s)).collect())));
        }
        if let Some(set) = q.set_id {
            must.push(filter(u64_term(f.set_id, u64::from(set))));
        }
        for c in &q.cantrips {
            must.push(filter(match c {
                CantripFilter::Exact(name) => term(f.cantrip_key, name),
                CantripFilter::Family(family) => term(f.cantrip_family, family),
            }));
        }
        if let Some(m) = &q.material {
            must.push(filter(term(f.material, m)));
        }
        let at_least = |field: Field, min: i64| -> Box<dyn Query> {
            Box::new(RangeQuery::new(Bound::Included(Term::from_field_i64(field, min)), Bound::Unbounded))
        };
        if let Some(min) = q.min_armor_level
            && let Some(field) = f.numeric_field("armor_level")
        {
            must.push(filter(at_least(field, min)));
        }
        if let Some(max) = q.max_wield_level
            && let Some(field) = f.numeric_field("wield_level")
        {
            must.push(filter(Box::new(RangeQuery::new(
                Bound::Unbounded,
                Bound::Included(Term::from_field_i64(field, max)),
            ))));
        }
        for (rating, min) in &q.min_ratings {
            if let Some(field) = f.numeric_field(rating) {
                must.push(filter(at_least(field, *min)));
            }
        }
        if let Some(equipped) = q.equipped {
            must.push(filter(u64_term(f.equipped, u64::from(equipped))));
        }
        if q.q.is_none() {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(must))
    }

    /// The alive documents holding a name ordinal in `range`, as (ordinal, tie-break, doc),
    /// read from the name postings. Returns false (and the caller scans the column) when a
    /// postings list does not hold exactly the documents the column counts for that name.
    fn name_postings(
        &self,
        segment: &SegmentReader,
        range: std::ops::RangeInclusive<u64>,
        tiebreak: &tantivy::columnar::Column<u64>,
        out: &mut Vec<(u64, u64, DocId)>,
    ) -> Result<bool, SearchError> {
        let Some(names) = self.cache.dictionary(segment, "name_sort")? else { return Ok(false) };
        let Some(counts) = self.cache.base_counts(segment, "name_sort")? else { return Ok(false) };
        let inverted = segment.inverted_index(self.fields.name_sort)?;
        let alive = segment.alive_bitset();
        for ord in range {
            let (Some(name), Some(count)) = (names.get(ord as usize), counts.get(ord as usize)) else {
                return Ok(false);
            };
            let io = |e: std::io::Error| SearchError::Index(e.to_string());
            let Some(info) = inverted.get_term_info(&Term::from_field_text(self.fields.name_sort, name)).map_err(io)?
            else {
                return Ok(false);
            };
            if info.doc_freq != *count {
                return Ok(false);
            }
            let mut postings =
                inverted.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic).map_err(io)?;
            loop {
                let docs = postings.docs();
                if docs.is_empty() {
                    break;
                }
                for &doc in docs {
                    if alive.is_none_or(|a| a.is_alive(doc))
                        && let Some(tie) = tiebreak.first(doc)
                    {
                        out.push((ord, tie, doc));
                    }
                }
                postings.advance();
            }
        }
        Ok(true)
    }

    /// The clauses of one word of `q`, in scoring order: exact match on name or spell names,
    /// typo-tolerant for 5+ letters, and a prefix match for the last word (search as you
    /// type).
    fn word_clauses(&self, word: &str, is_last: bool) -> Vec<Clause> {
        let f = &self.fields;
        let mut clauses = Vec::new();
        for (field, exact, fuzzy, prefix) in [
            (f.name, BOOST_NAME_EXACT, BOOST_NAME_FUZZY, BOOST_NAME_PREFIX),
            (f.spells, BOOST_SPELL_EXACT, BOOST_SPELL_FUZZY, BOOST_SPELL_PREFIX),
        ] {
            let t = Term::from_field_text(field, word);
            clauses.push(Clause::Term { term: t.clone(), boost: exact });
            let letters = word.chars().count();
            if letters >= FUZZY_MIN_CHARS {
                let distance = if letters > FUZZY_DISTANCE_2_ABOVE { 2 } else { 1 };
                clauses.push(Clause::Automaton {
                    query: FuzzyTermQuery::new(t.clone(), distance, true),
                    field,
                    boost: fuzzy,
                });
            }
            if is_last {
                clauses.push(Clause::Automaton { query: FuzzyTermQuery::new_prefix(t, 0, true), field, boost: prefix });
            }
        }
        clauses
    }

    fn owner_display_names(
        &self,
        txn: &redb::ReadTransaction,
        counts: Vec<(String, u64)>,
    ) -> Result<Vec<(String, u64)>, SearchError> {
        let names: HashMap<String, String> =
            self.store.owners(txn)?.into_iter().map(|o| (o.owner_key, o.display_name)).collect();
        Ok(counts.into_iter().map(|(key, n)| (names.get(&key).cloned().unwrap_or(key), n)).collect())
    }
}

/// One word as tantivy's boolean union of its clauses (queries of more than
/// `text_query::MAX_WORDS` words; see that module for why).
fn word_union(clauses: Vec<Clause>) -> Box<dyn Query> {
    let any = clauses
        .into_iter()
        .map(|clause| -> (Occur, Box<dyn Query>) {
            let boosted: Box<dyn Query> = match clause {
                Clause::Term { term, boost } => {
                    Box::new(BoostQuery::new(Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)), boost))
                }
                Clause::Automaton { query, boost, .. } => Box::new(BoostQuery::new(Box::new(query), boost)),
            };
            (Occur::Should, boosted)
        })
        .collect();
    Box::new(BooleanQuery::new(any))
}

/// Ordered addresses, total hits, facet counts.
type Collected = (Vec<DocAddress>, usize, Vec<Vec<(String, u64)>>);

fn run<K, C>(
    searcher: &Searcher,
    query: &dyn Query,
    top: C,
    facets: FacetCollector<'_>,
) -> Result<Collected, SearchError>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (docs, total, counts) = searcher.search(query, &(top, Count, facets))?;
    Ok((docs.into_iter().map(|(_, a)| a).collect(), total, counts))
}

/// The stored fast field a facet counts.
fn facet_field(kind: FacetKind) -> &'static str {
    match kind {
        FacetKind::Owner => "owner",
        FacetKind::Set => "set",
        FacetKind::ObjectClass => "object_class",
        FacetKind::Slot => "slot",
        FacetKind::Cantrip => "cantrip",
    }
}

fn top_values(mut counts: Vec<(String, u64)>) -> Vec<(String, u64)> {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts.truncate(MAX_FACET_VALUES);
    counts
}

/// True when `q` has no text and no filter: it matches every item in the index.
fn matches_everything(q: &SearchQuery) -> bool {
    q.q.is_none()
        && q.owners.is_empty()
        && q.object_class.is_none()
        && q.slots.is_empty()
        && q.set_id.is_none()
        && q.cantrips.is_empty()
        && q.material.is_none()
        && q.min_armor_level.is_none()
        && q.max_wield_level.is_none()
        && q.min_ratings.is_empty()
        && q.equipped.is_none()
}

impl SearchIndex {
    /// Reads (owner key, object id) of each address from the fast fields; owner names come
    /// from the cached dictionary (one lookup in the index would decompress a block each).
    fn doc_keys(&self, searcher: &Searcher, addresses: &[DocAddress]) -> Result<Vec<ItemKey>, SearchError> {
        type OwnerColumns = (Option<StrColumn>, Option<Arc<Vec<String>>>, tantivy::columnar::Column<u64>);
        let mut columns: HashMap<SegmentOrdinal, OwnerColumns> = HashMap::new();
        let mut out = Vec::with_capacity(addresses.len());
        let mut owner = String::new();
        for addr in addresses {
            if let std::collections::hash_map::Entry::Vacant(slot) = columns.entry(addr.segment_ord) {
                let segment = searcher.segment_reader(addr.segment_ord);
                let ff = segment.fast_fields();
                slot.insert((ff.str("owner")?, self.cache.dictionary(segment, "owner")?, ff.u64("object_id")?));
            }
            let Some((owners, dictionary, ids)) = columns.get(&addr.segment_ord) else {
                continue;
            };
            let Some(id) = ids.first(addr.doc_id).and_then(|id| u32::try_from(id).ok()) else {
                continue;
            };
            let Some(owners) = owners else { continue };
            let Some(ord) = owners.term_ords(addr.doc_id).next() else {
                continue;
            };
            let owner_key = match dictionary {
                Some(d) => match d.get(ord as usize) {
                    Some(o) => o.clone(),
                    None => continue,
                },
                None => {
                    if !owners.ord_to_str(ord, &mut owner).map_err(|e| SearchError::Index(e.to_string()))? {
                        continue;
                    }
                    owner.clone()
                }
            };
            out.push(ItemKey { owner_key, object_id: id });
        }
        Ok(out)
    }
}

/// Counts the values of string fast fields over the matching documents.
struct FacetCollector<'a> {
    fields: Vec<&'static str>,
    cache: &'a SegmentCache,
}

struct FacetSegment {
    columns: Vec<Option<StrColumn>>,
    dictionaries: Vec<Option<Arc<Vec<String>>>>,
    counts: Vec<Vec<u32>>,
}

impl Collector for FacetCollector<'_> {
    type Fruit = Vec<Vec<(String, u64)>>;
    type Child = FacetSegment;

    fn for_segment(&self, _ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let mut columns = Vec::with_capacity(self.fields.len());
        let mut counts = Vec::with_capacity(self.fields.len());
        let mut dictionaries = Vec::with_capacity(self.fields.len());
        for name in &self.fields {
            let col = segment.fast_fields().str(name)?;
            counts.push(vec![0u32; col.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(col);
            dictionaries.push(self.cache.dictionary(segment, name)?);
        }
        Ok(FacetSegment { columns, dictionaries, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Vec<(String, u64)>>>) -> tantivy::Result<Self::Fruit> {
        let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); self.fields.len()];
        for fruit in fruits {
            for (i, values) in fruit.into_iter().enumerate() {
                if let Some(m) = merged.get_mut(i) {
                    for (value, n) in values {
                        *m.entry(value).or_default() += n;
                    }
                }
            }
        }
        Ok(merged.into_iter().map(|m| m.into_iter().collect()).collect())
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = Vec<Vec<(String, u64)>>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    if let Some(c) = counts.get_mut(ord as usize) {
                        *c += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = Vec::with_capacity(self.columns.len());
        let mut buf = String::new();
        for ((col, dictionary), counts) in self.columns.iter().zip(&self.dictionaries).zip(self.counts) {
            let mut values = Vec::new();
            if let Some(col) = col {
                for (ord, n) in counts.into_iter().enumerate() {
                    if n == 0 {
                        continue;
                    }
                    match dictionary {
                        Some(d) => {
                            if let Some(v) = d.get(ord) {
                                values.push((v.clone(), u64::from(n)));
                            }
                        }
                        None => {
                            if col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                                values.push((buf.clone(), u64::from(n)));
                            }
                        }
                    }
                }
            }
            out.push(values);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use redb::Database;
    use tantivy::collector::{Count, TopDocs};
    use tantivy::{DocAddress, Score};

    use super::*;
    use crate::inventory::InventoryStore;
    use crate::inventory::testkit::{CharacterKind, ItemGen};

    /// An index over generated characters, then some re-sent dumps so it has several
    /// segments and deleted documents.
    fn churned_index() -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Arc::new(Database::create(dir.path().join("state.redb")).expect("state.redb"));
        let store = InventoryStore::new();
        let mut generator = ItemGen::new(9);
        let txn = db.begin_write().expect("write");
        store.ensure_tables(&txn).expect("tables");
        for i in 0..30 {
            let kind = if i % 3 == 0 { CharacterKind::Mule } else { CharacterKind::Hunter };
            store
                .apply_full(&txn, &ItemGen::character_name(i), &generator.character_dump(kind), true, 1)
                .expect("apply");
        }
        txn.commit().expect("commit");
        let (index, _) = SearchIndex::open_or_rebuild(&dir.path().join("index"), db.clone(), |_, _| {}).expect("index");
        for round in 0..3 {
            for i in (round..30).step_by(4) {
                let txn = db.begin_write().expect("write");
                let items = generator.character_dump(CharacterKind::Hunter);
                let report = store.apply_full(&txn, &ItemGen::character_name(i), &items, true, 2).expect("apply");
                txn.commit().expect("commit");
                index.apply(&report).expect("apply");
            }
            index.flush().expect("flush");
        }
        assert!(index.reader.searcher().segment_readers().len() > 1, "the test needs several segments");
        (dir, index)
    }

    fn ranked(index: &SearchIndex, query: &dyn Query) -> (Vec<(u32, DocAddress)>, usize) {
        let searcher = index.reader.searcher();
        let (top, count): (Vec<(Score, DocAddress)>, usize) =
            searcher.search(query, &(TopDocs::with_limit(100_000).order_by_score(), Count)).expect("search");
        (top.into_iter().map(|(score, addr)| (score.to_bits(), addr)).collect(), count)
    }

    #[test]
    fn text_query_matches_and_scores_bit_for_bit_like_the_boolean_union() {
        let (_dir, index) = churned_index();
        let texts = [
            "koujia",
            "koujai slevees",
            "legendary str",
            "legendry strenght",
            "s",
            "epic foc",
            "amuli sha",
            "impenetrabiltiy",
            "heavy ring",
            "ring",
            "mana",
            "xyzzy",
            "coat xyzzy",
        ];
        let filters: [&[(&str, &str)]; 3] =
            [&[], &[("object_class", "armor")], &[("min_armor_level", "200"), ("equipped", "false")]];
        for text in texts {
            for filter in filters {
                let mut pairs = vec![("q".to_string(), text.to_string())];
                pairs.extend(filter.iter().map(|(k, v)| (k.to_string(), v.to_string())));
                let q = SearchQuery::from_pairs(&pairs).expect("query");
                let fast = ranked(&index, &*index.build_query(&q));
                let union = ranked(&index, &*index.build_query_with(&q, 0));
                assert_eq!(fast.1, union.1, "count of {text:?} {filter:?}");
                assert_eq!(fast.0, union.0, "scores and order of {text:?} {filter:?}");
                assert!(text.contains("xyzzy") || !filter.is_empty() || fast.1 > 0, "test data matches {text:?}");
            }
        }
    }
}
