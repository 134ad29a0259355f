//! Running a `SearchQuery`: tantivy clauses, sorting, paging, facets, and the answer.
//!
//! Owns relevance (typo tolerance, prefix matching, field boosts) and the result shape of
//! api.md. Items in results are read from the inventory store, the source of truth, so a
//! result item always equals the stored item; a document whose item was deleted after the
//! last index commit is skipped (the index trails the store by under a second).

use std::collections::HashMap;
use std::ops::Bound;
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

use crate::inventory::item::Item;
use crate::inventory::store::ItemKey;
use crate::search::index::{SearchError, SearchIndex};
use crate::search::query::{CantripFilter, Direction, FacetKind, SearchQuery, Sort, SortField, words_of};
use crate::search::schema::TIEBREAK_FIELD;

/// Most distinct values returned per facet (most frequent first).
pub const MAX_FACET_VALUES: usize = 100;
/// Words of at least this many letters are matched with typos (api.md: 5+).
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

/// The answer of `GET /api/items/search`; serializes exactly as api.md shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult {
    pub total: u64,
    pub took_ms: f64,
    pub items: Vec<Item>,
    /// Per requested facet: (value, count), most frequent first, then by value.
    pub facets: Vec<(FacetKind, Vec<(String, u64)>)>,
}

impl Serialize for SearchResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(4))?;
        m.serialize_entry("total", &self.total)?;
        m.serialize_entry("took_ms", &self.took_ms)?;
        let views: Vec<_> = self.items.iter().map(|i| i.view(false)).collect();
        m.serialize_entry("items", &views)?;
        m.serialize_entry("facets", &FacetsView(&self.facets))?;
        m.end()
    }
}

struct FacetsView<'a>(&'a [(FacetKind, Vec<(String, u64)>)]);

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
        let query = self.build_query(q);
        let window = q.limit + q.offset;
        let facet_fields: Vec<(FacetKind, &'static str)> = q.facets.iter().map(|f| (*f, facet_field(*f))).collect();
        let facets = FacetCollector { fields: facet_fields.iter().map(|(_, f)| *f).collect() };
        let (addresses, total, facet_counts) = if window == 0 {
            let (total, counts) = searcher.search(&*query, &(Count, facets))?;
            (Vec::new(), total, counts)
        } else {
            self.collect(&searcher, &*query, q, window, facets)?
        };
        let keys = doc_keys(&searcher, &addresses[q.offset.min(addresses.len())..])?;
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

    /// One pass over the matches: the first `window` addresses in the requested order, the
    /// total, and the facet counts. Every sort ends with the unique tie-break field, so equal
    /// values page the same way in every build of the index.
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        q: &SearchQuery,
        window: usize,
        facets: FacetCollector,
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
        let f = &self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = &q.q {
            let words = words_of(text);
            let last = words.len().saturating_sub(1);
            for (i, word) in words.iter().enumerate() {
                must.push((Occur::Must, self.word_query(word, i == last)));
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

    /// One word of `q`: exact match on name or spell names, typo-tolerant for 5+ letters,
    /// and a prefix match for the last word (search as you type).
    fn word_query(&self, word: &str, is_last: bool) -> Box<dyn Query> {
        let f = &self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let boosted = |q: Box<dyn Query>, boost: Score| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(BoostQuery::new(q, boost)))
        };
        for (field, exact, fuzzy, prefix) in [
            (f.name, BOOST_NAME_EXACT, BOOST_NAME_FUZZY, BOOST_NAME_PREFIX),
            (f.spells, BOOST_SPELL_EXACT, BOOST_SPELL_FUZZY, BOOST_SPELL_PREFIX),
        ] {
            let t = Term::from_field_text(field, word);
            any.push(boosted(Box::new(TermQuery::new(t.clone(), IndexRecordOption::WithFreqs)), exact));
            let letters = word.chars().count();
            if letters >= FUZZY_MIN_CHARS {
                let distance = if letters > FUZZY_DISTANCE_2_ABOVE { 2 } else { 1 };
                any.push(boosted(Box::new(FuzzyTermQuery::new(t.clone(), distance, true)), fuzzy));
            }
            if is_last {
                any.push(boosted(Box::new(FuzzyTermQuery::new_prefix(t, 0, true)), prefix));
            }
        }
        Box::new(BooleanQuery::new(any))
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

/// Ordered addresses, total hits, facet counts.
type Collected = (Vec<DocAddress>, usize, Vec<Vec<(String, u64)>>);

fn run<K, C>(searcher: &Searcher, query: &dyn Query, top: C, facets: FacetCollector) -> Result<Collected, SearchError>
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

/// Reads (owner key, object id) of each address from the fast fields.
fn doc_keys(searcher: &Searcher, addresses: &[DocAddress]) -> Result<Vec<ItemKey>, SearchError> {
    let mut columns: HashMap<SegmentOrdinal, (Option<StrColumn>, tantivy::columnar::Column<u64>)> = HashMap::new();
    let mut out = Vec::with_capacity(addresses.len());
    let mut owner = String::new();
    for addr in addresses {
        if let std::collections::hash_map::Entry::Vacant(slot) = columns.entry(addr.segment_ord) {
            let ff = searcher.segment_reader(addr.segment_ord).fast_fields();
            slot.insert((ff.str("owner")?, ff.u64("object_id")?));
        }
        let Some((owners, ids)) = columns.get(&addr.segment_ord) else {
            continue;
        };
        let Some(id) = ids.first(addr.doc_id).and_then(|id| u32::try_from(id).ok()) else {
            continue;
        };
        let Some(owners) = owners else { continue };
        let Some(ord) = owners.term_ords(addr.doc_id).next() else {
            continue;
        };
        if !owners.ord_to_str(ord, &mut owner).map_err(|e| SearchError::Index(e.to_string()))? {
            continue;
        }
        out.push(ItemKey { owner_key: owner.clone(), object_id: id });
    }
    Ok(out)
}

/// Counts the values of string fast fields over the matching documents.
struct FacetCollector {
    fields: Vec<&'static str>,
}

struct FacetSegment {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
}

impl Collector for FacetCollector {
    type Fruit = Vec<Vec<(String, u64)>>;
    type Child = FacetSegment;

    fn for_segment(&self, _ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let mut columns = Vec::with_capacity(self.fields.len());
        let mut counts = Vec::with_capacity(self.fields.len());
        for name in &self.fields {
            let col = segment.fast_fields().str(name)?;
            counts.push(vec![0u32; col.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(col);
        }
        Ok(FacetSegment { columns, counts })
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
        for (col, counts) in self.columns.iter().zip(self.counts) {
            let mut values = Vec::new();
            if let Some(col) = col {
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                        values.push((buf.clone(), u64::from(n)));
                    }
                }
            }
            out.push(values);
        }
        out
    }
}
