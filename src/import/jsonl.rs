//! `overlord import jsonl --table NAME FILE...`: the same import from JSON Lines dumps, one
//! row object per line, as `psql -c "COPY (SELECT row_to_json(t) FROM NAME t) TO STDOUT"`
//! writes them (`-` reads stdin).
//!
//! Owns line reading with a size limit and turning each object into the column values the
//! row decoder takes. A line that is not a JSON object is counted and skipped. Never
//! reads anything but the named files.

use super::columns::{self, TableKind};
use super::{ImportError, Importer};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

/// A row longer than this is skipped (an item's raw JSON is the largest real row, ~10 KB).
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
const READ_BUFFER: usize = 1024 * 1024;

pub fn import_files(imp: &mut Importer, table: &str, files: &[PathBuf]) -> Result<(), ImportError> {
    if files.is_empty() {
        return Err(ImportError::Usage("name at least one JSON Lines file (or - for stdin)".into()));
    }
    let lname = table.to_ascii_lowercase();
    if lname == "items" {
        return import_items(imp, files);
    }
    if lname == "openissues" || lname == "issues" {
        for f in files {
            super::state::import_issues(imp, f)?;
        }
        return Ok(());
    }
    let mut reader = Lines::new(files)?;
    // Columns come from the first object; later objects with new keys extend them.
    let Some(first) = reader.next_object(None)? else {
        return Err(ImportError::Usage(format!("{}: no rows", files[0].display())));
    };
    let mut columns: Vec<String> = first.keys().cloned().collect();
    let kind = columns::classify(table, &columns);
    let total = reader.total_bytes;
    let mut progress = imp.progress(table, None);
    let started = std::time::Instant::now();
    let mut pending = Some(first);
    match kind {
        k if k.is_event() => {
            let (mut dec, mut tr) = imp.begin_events(table, kind, &columns);
            if tr.not_imported.is_some() {
                imp.report.tables.push(tr);
                return Ok(());
            }
            let mut values: Vec<Value> = Vec::new();
            loop {
                let obj = match pending.take() {
                    Some(o) => o,
                    None => match reader.next_object(Some(&mut tr))? {
                        Some(o) => o,
                        None => break,
                    },
                };
                if obj.keys().any(|k| !columns.contains(k)) {
                    columns.extend(obj.keys().filter(|k| !columns.contains(k)).cloned().collect::<Vec<_>>());
                    let (d, t2) = imp.begin_events(table, kind, &columns);
                    dec = d;
                    tr.unused_columns = t2.unused_columns;
                }
                fill(&columns, obj, &mut values);
                imp.event_row(&mut dec, &mut tr, &mut values)?;
                progress.tick(tr.rows_read);
            }
            progress.finish(tr.rows_read);
            tr.seconds = started.elapsed().as_secs_f64();
            imp.report.tables.push(tr);
        }
        TableKind::Users => {
            let mut users = super::state::UserImport::new(table, &columns);
            let mut values = Vec::new();
            let mut n = 0;
            while let Some(obj) = match pending.take() {
                Some(o) => Some(o),
                None => reader.next_object(None)?,
            } {
                fill(&columns, obj, &mut values);
                users.row(imp, &mut values)?;
                n += 1;
                progress.tick(n);
            }
            progress.finish(n);
            users.finish(imp);
        }
        _ => {
            return Err(ImportError::Usage(format!(
                "--table {table}: not a table Overlord imports (telemetry_events, spawn_events, rare_events, portals, character_stats, combat_stats, users, items, openissues); {total} bytes not read"
            )));
        }
    }
    Ok(())
}

/// Items from JSONL: rows of `items` (owner column plus the item's fields, or a raw JSON
/// column), grouped per character in the order they come.
fn import_items(imp: &mut Importer, files: &[PathBuf]) -> Result<(), ImportError> {
    let mut reader = Lines::new(files)?;
    let Some(first) = reader.next_object(None)? else { return Ok(()) };
    let columns: Vec<String> = first.keys().cloned().collect();
    let mut inv = super::state::ItemImport::new(imp, &columns)?;
    let mut progress = imp.progress("items", None);
    let mut values = Vec::new();
    let mut pending = Some(first);
    let mut n = 0;
    while let Some(obj) = match pending.take() {
        Some(o) => Some(o),
        None => reader.next_object(None)?,
    } {
        fill(&columns, obj, &mut values);
        inv.row(imp, &mut values)?;
        n += 1;
        progress.tick(n);
    }
    progress.finish(n);
    inv.finish(imp)
}

fn fill(columns: &[String], mut obj: Map<String, Value>, values: &mut Vec<Value>) {
    values.clear();
    values.extend(columns.iter().map(|c| obj.remove(c).unwrap_or(Value::Null)));
}

/// Lines of several files in turn, as JSON objects.
struct Lines {
    files: Vec<PathBuf>,
    current: Option<Box<dyn BufRead>>,
    next_file: usize,
    buf: Vec<u8>,
    total_bytes: u64,
}

impl Lines {
    fn new(files: &[PathBuf]) -> Result<Lines, ImportError> {
        let mut total = 0;
        for f in files {
            if f.as_os_str() != "-" {
                total += std::fs::metadata(f).map_err(|e| ImportError::Usage(format!("{}: {e}", f.display())))?.len();
            }
        }
        Ok(Lines { files: files.to_vec(), current: None, next_file: 0, buf: Vec::new(), total_bytes: total })
    }

    /// The next line that is a JSON object; other lines are counted as skipped in `tr`.
    fn next_object(
        &mut self,
        mut tr: Option<&mut super::TableReport>,
    ) -> Result<Option<Map<String, Value>>, ImportError> {
        loop {
            if self.current.is_none() {
                let Some(path) = self.files.get(self.next_file) else { return Ok(None) };
                self.next_file += 1;
                let reader: Box<dyn Read> = if path.as_os_str() == "-" {
                    Box::new(std::io::stdin())
                } else {
                    Box::new(
                        std::fs::File::open(path)
                            .map_err(|e| ImportError::Usage(format!("{}: {e}", path.display())))?,
                    )
                };
                self.current = Some(Box::new(BufReader::with_capacity(READ_BUFFER, reader)));
            }
            let Some(r) = self.current.as_mut() else { continue };
            self.buf.clear();
            let n = r
                .by_ref()
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| ImportError::Usage(format!("reading JSON Lines: {e}")))?;
            if n == 0 {
                self.current = None;
                continue;
            }
            if self.buf.len() > MAX_LINE_BYTES && !self.buf.ends_with(b"\n") {
                // Skip the rest of the overlong line.
                let mut sink = Vec::new();
                let _ = r.read_until(b'\n', &mut sink);
                if let Some(tr) = tr.as_deref_mut() {
                    tr.rows_read += 1;
                    tr.skip("line too long", format!("a line over {MAX_LINE_BYTES} bytes"));
                }
                continue;
            }
            let line = trim_ascii(&self.buf);
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(m)) => return Ok(Some(m)),
                Ok(_) | Err(_) => {
                    if let Some(tr) = tr.as_deref_mut() {
                        tr.rows_read += 1;
                        let text = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
                        tr.skip("not a JSON object", text);
                    }
                }
            }
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end]
}
