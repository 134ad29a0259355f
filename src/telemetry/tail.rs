//! The open-block tail of a day file: the `telemetry_tail` table and the two forms of its
//! rows.
//!
//! Owns: the table's definition, reading its rows back (`TailRows`: a whole row, or a row
//! written against its block's first row), and rewriting a file's rows whole for an older
//! binary (`overlord downgrade`). Never writes a row during normal operation (the writer
//! thread does, through `block::encode_row*`), and never reads any other table: the rest
//! of a day file is `store`'s.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::block::{self, Row};
use super::day::{EventKey, optional_table};
use super::error::TelemetryError;

/// The rows of each character's open block, one entry a row, keyed like the events: the
/// block's first row whole (`block::encode_row`), every later one written against it
/// (`block::encode_row_against`; read them through `TailRows`). When the block seals they
/// are written once as a compressed block in `BLOCKS` and removed here, so a day file never
/// rewrites a block. The tail holds one open block per character at most.
pub(crate) const TAIL: TableDefinition<EventKey, &[u8]> = TableDefinition::new("telemetry_tail");

/// Decodes rows of a tail table: a row written against its block's first row gets that
/// row's anchor from the table (read once per character in a row, the tail holding one
/// open block per character), and must then carry its own key's time — a row read against
/// the wrong first row is an error, never a wrong position.
pub(crate) struct TailRows<'t, T> {
    table: &'t T,
    anchor: Option<(u32, block::Anchor)>,
}

impl<'t, T: ReadableTable<EventKey, &'static [u8]>> TailRows<'t, T> {
    pub(crate) fn new(table: &'t T) -> Self {
        TailRows { table, anchor: None }
    }

    pub(crate) fn decode(&mut self, key: EventKey, bytes: &[u8]) -> Result<Row, TelemetryError> {
        let corrupt = |e: block::BlockError| {
            TelemetryError::Corrupt(format!("open row of character {} at {} ms: {e}", key.0, key.1))
        };
        if !block::is_anchored(bytes) {
            return block::decode_row(bytes).map_err(corrupt);
        }
        if self.anchor.as_ref().is_none_or(|(id, _)| *id != key.0) {
            let first = self
                .table
                .range((key.0, i64::MIN, 0u32)..=(key.0, i64::MAX, u32::MAX))?
                .next()
                .transpose()?
                .ok_or_else(|| TelemetryError::Corrupt(format!("character {} has no open rows", key.0)))?;
            self.anchor = Some((key.0, block::Anchor::from_whole_row(first.1.value()).map_err(corrupt)?));
        }
        let anchor = self.anchor.as_ref().map(|(_, a)| a);
        let row = block::decode_open_row(bytes, anchor).map_err(corrupt)?;
        if row.t != key.1 {
            return Err(corrupt(block::BlockError(format!("decodes to time {} ms", row.t))));
        }
        Ok(row)
    }
}

/// Rewrites a day file's (or day snapshot's) open rows whole, as data format 2 wrote
/// them, so a format-2 binary reads the file (`overlord downgrade`); returns the rows
/// rewritten. The file must not be open elsewhere (the server stopped). One transaction:
/// the file holds either every row as it was or every row rewritten.
pub fn write_open_rows_whole(path: &Path) -> Result<usize, TelemetryError> {
    let db = Database::open(path).map_err(|e| TelemetryError::Open(format!("opening {}: {e}", path.display())))?;
    let rewritten: Vec<(EventKey, Vec<u8>)> = {
        let txn = db.begin_read()?;
        let Some(tail) = optional_table(&txn, TAIL)? else { return Ok(0) };
        let mut rows = TailRows::new(&tail);
        let mut out = Vec::new();
        for entry in tail.iter()? {
            let (key, value) = entry?;
            if block::is_anchored(value.value()) {
                let row = rows.decode(key.value(), value.value())?;
                out.push((key.value(), block::encode_row(&row)));
            }
        }
        out
    };
    if rewritten.is_empty() {
        return Ok(0);
    }
    let txn = db.begin_write()?;
    {
        let mut tail = txn.open_table(TAIL)?;
        for (key, bytes) in &rewritten {
            tail.insert(*key, bytes.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(rewritten.len())
}
