//! `TextQuery`: the free-text part of a search (one or two words, each an exact, a
//! typo-tolerant and a prefix match on name and spell names), matched with bit sets and
//! scored only for the documents that match every word.
//!
//! Owns: only how the word clauses are evaluated. tantivy's boolean union scores every
//! document of every clause while it buffers them and its intersection then seeks through
//! those unions document by document; for a common word (`legendary`: a quarter of all
//! items) that is most of the query time. Here each word's matches are one bit set (the
//! fuzzy and prefix clauses are bit sets in tantivy too, built the same way from the same
//! automata), the words are intersected a 64-bit word at a time, and a score is computed
//! only for a document in the intersection.
//! Never does: change what matches or how it scores. A document matches when every word
//! has a matching clause; a word's score is the sum of its matching clauses' scores in
//! clause order from 0 (tantivy's `SumCombiner`), with term clauses scored by tantivy's own
//! BM25 scorer and fuzzy/prefix clauses by their constant boost exactly as tantivy computes
//! it. At most `MAX_WORDS` words: tantivy adds the scores of more than two intersected
//! clauses in an order picked by cost estimates, which this query could not reproduce bit
//! for bit; with two, every order gives the same float sum.

use std::sync::Arc;

use tantivy::index::InvertedIndexReader;
use tantivy::postings::TermInfo;
use tantivy::query::{
    AutomatonWeight, BoostQuery, DfaWrapper, EmptyScorer, EnableScoring, Explanation, FuzzyTermQuery, Query, Scorer,
    TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

/// Most words one `TextQuery` takes (see module doc).
pub const MAX_WORDS: usize = 2;

/// One clause of a word, in the order its score is added.
#[derive(Debug, Clone)]
pub enum Clause {
    /// The exact term, BM25-scored, times `boost`.
    Term { term: Term, boost: Score },
    /// A fuzzy or prefix match (`FuzzyTermQuery` on `field`), scoring the constant `boost`.
    Automaton { query: FuzzyTermQuery, field: Field, boost: Score },
}

/// The conjunction of up to `MAX_WORDS` words, each a list of clauses.
#[derive(Debug, Clone)]
pub struct TextQuery {
    words: Vec<Vec<Clause>>,
}

impl TextQuery {
    /// `None` when there are more than `MAX_WORDS` words or none.
    pub fn new(words: Vec<Vec<Clause>>) -> Option<TextQuery> {
        (!words.is_empty() && words.len() <= MAX_WORDS).then_some(TextQuery { words })
    }
}

impl Query for TextQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let mut words = Vec::with_capacity(self.words.len());
        for clauses in &self.words {
            let mut weights = Vec::with_capacity(clauses.len());
            for clause in clauses {
                weights.push(match clause {
                    Clause::Term { term, boost } => {
                        // The same weight tantivy builds for `BoostQuery(TermQuery)`, so the
                        // BM25 statistics and the boost are applied identically.
                        let query = BoostQuery::new(
                            Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                            *boost,
                        );
                        ClauseWeight::Term { weight: query.weight(enable_scoring)?, term: term.clone() }
                    }
                    Clause::Automaton { query, field, boost } => ClauseWeight::Automaton {
                        field: *field,
                        // What `FuzzyTermQuery::weight` builds for a plain text field.
                        weight: AutomatonWeight::new(*field, query.automaton()?),
                        boost: *boost,
                    },
                });
            }
            words.push(weights);
        }
        Ok(Box::new(TextWeight { words }))
    }
}

enum ClauseWeight {
    Term { weight: Box<dyn Weight>, term: Term },
    Automaton { field: Field, weight: AutomatonWeight<DfaWrapper>, boost: Score },
}

struct TextWeight {
    words: Vec<Vec<ClauseWeight>>,
}

impl Weight for TextWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let max_doc = reader.max_doc();
        let mut matches: Option<Bits> = None;
        let mut words = Vec::with_capacity(self.words.len());
        for clauses in &self.words {
            let mut union = Bits::new(max_doc);
            let mut scored = Vec::with_capacity(clauses.len());
            // Terms already in the union through an automaton clause, per field.
            let mut covered: Vec<(Field, TermInfo)> = Vec::new();
            for clause in clauses {
                if let ClauseWeight::Automaton { field, weight, .. } = clause {
                    let inverted = reader.inverted_index(*field)?;
                    let mut bits = Bits::new(max_doc);
                    for info in weight.get_match_term_infos(reader)? {
                        add_postings(&inverted, &info, &mut bits)?;
                        covered.push((*field, info));
                    }
                    union.or(&bits);
                    scored.push(Some(bits));
                } else {
                    scored.push(None);
                }
            }
            let mut parts = Vec::with_capacity(clauses.len());
            for (clause, bits) in clauses.iter().zip(scored) {
                parts.push(match (clause, bits) {
                    (ClauseWeight::Term { weight, term }, _) => {
                        let inverted = reader.inverted_index(term.field())?;
                        if let Some(info) = inverted.get_term_info(term)? {
                            let field = term.field();
                            if !covered.iter().any(|(f, i)| *f == field && *i == info) {
                                add_postings(&inverted, &info, &mut union)?;
                            }
                        }
                        Part::Term(weight.scorer(reader, boost)?)
                    }
                    (ClauseWeight::Automaton { boost: clause_boost, .. }, Some(bits)) => {
                        // What `BoostWeight` hands `AutomatonWeight`: the constant score.
                        Part::Constant(bits, boost * *clause_boost)
                    }
                    (ClauseWeight::Automaton { .. }, None) => continue,
                });
            }
            match &mut matches {
                Some(m) => m.and(&union),
                None => matches = Some(union),
            }
            words.push(parts);
        }
        let Some(matches) = matches else { return Ok(Box::new(EmptyScorer)) };
        let count = matches.count();
        if count == 0 {
            return Ok(Box::new(EmptyScorer));
        }
        let mut scorer = TextScorer { matches, doc: 0, count, words };
        scorer.doc = scorer.next_from(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        Ok(Explanation::new("sum of the matching clauses of each word", scorer.score()))
    }
}

fn add_postings(inverted: &Arc<InvertedIndexReader>, info: &TermInfo, bits: &mut Bits) -> tantivy::Result<()> {
    let mut postings = inverted.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)?;
    loop {
        let docs = postings.docs();
        if docs.is_empty() {
            return Ok(());
        }
        for &doc in docs {
            bits.insert(doc);
        }
        postings.advance();
    }
}

/// A clause of a word, ready to score a matching document.
enum Part {
    /// tantivy's BM25 term scorer (moved forward with `seek` as documents are scored).
    Term(Box<dyn Scorer>),
    /// The clause's documents and its constant score.
    Constant(Bits, Score),
}

/// Iterates the documents matching every word; scores them clause by clause.
struct TextScorer {
    matches: Bits,
    doc: DocId,
    count: u32,
    words: Vec<Vec<Part>>,
}

impl TextScorer {
    fn next_from(&self, from: DocId) -> DocId {
        self.matches.next_from(from)
    }
}

impl DocSet for TextScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.doc = self.next_from(self.doc + 1);
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            self.doc = self.next_from(target);
        }
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.count
    }
}

impl Scorer for TextScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut total: Option<Score> = None;
        for parts in &mut self.words {
            let mut score: Score = 0.0;
            for part in parts.iter_mut() {
                match part {
                    Part::Term(scorer) => {
                        if scorer.doc() < doc {
                            scorer.seek(doc);
                        }
                        if scorer.doc() == doc {
                            score += scorer.score();
                        }
                    }
                    Part::Constant(bits, value) => {
                        if bits.contains(doc) {
                            score += *value;
                        }
                    }
                }
            }
            total = Some(match total {
                Some(t) => t + score,
                None => score,
            });
        }
        total.unwrap_or(0.0)
    }
}

/// A plain bit set over a segment's documents.
struct Bits {
    words: Vec<u64>,
}

impl Bits {
    fn new(max_doc: DocId) -> Bits {
        Bits { words: vec![0; (max_doc as usize).div_ceil(64)] }
    }

    fn insert(&mut self, doc: DocId) {
        if let Some(w) = self.words.get_mut(doc as usize / 64) {
            *w |= 1u64 << (doc % 64);
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        self.words.get(doc as usize / 64).is_some_and(|w| w & (1u64 << (doc % 64)) != 0)
    }

    fn or(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= *b;
        }
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= *b;
        }
    }

    fn count(&self) -> u32 {
        self.words.iter().map(|w| w.count_ones()).sum()
    }

    /// The first document ≥ `from`, or `TERMINATED`.
    fn next_from(&self, from: DocId) -> DocId {
        let mut i = from as usize / 64;
        let Some(first) = self.words.get(i) else { return TERMINATED };
        let mut word = first & (u64::MAX << (from % 64));
        loop {
            if word != 0 {
                return (i * 64) as DocId + word.trailing_zeros();
            }
            i += 1;
            match self.words.get(i) {
                Some(w) => word = *w,
                None => return TERMINATED,
            }
        }
    }
}
