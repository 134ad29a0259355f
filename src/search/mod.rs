//! The tantivy item index derived from `inventory`: queries, filters, facets, sorting, and
//! rebuild from `state.redb`.
//!
//! Owns: the index directory (`<data>/index`), its schema and version marker, the single
//! index writer thread with batched commits, query parsing (`SearchQuery`) and execution.
//! Never does: being the only copy of anything (every document is re-derivable from the
//! store, and results are read back from the store), writing to `state.redb`, or HTTP.

pub mod exec;
pub(crate) mod index;
pub mod query;
pub(crate) mod schema;
pub(crate) mod segment_cache;
pub(crate) mod text_query;

pub use exec::{FacetsView, SearchResult, SearchResultView};
pub use index::{OpenOutcome, SearchError, SearchIndex};
pub use query::{FacetKind, QueryError, SearchQuery};
