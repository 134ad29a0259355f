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
            let mut extra: Vec<(String, Value)> = Vec::new();
            if let Some(first) = pending.take() {
                fill(&columns, first, &mut values);
                imp.event_row(&mut dec, &mut tr, &mut values)?;
                progress.tick(tr.rows_read);
            }
            while reader.next_row(&columns, &mut values, &mut extra, &mut tr)? {
                if !extra.is_empty() {
                    // Keys no earlier row had: new columns, and the decoder re-mapped.
                    for (key, value) in extra.drain(..) {
                        if let Some(i) = columns.iter().position(|c| *c == key) {
                            values[i] = value; // the same new key twice in one row: last wins
                        } else {
                            columns.push(key);
                            values.push(value);
                        }
                    }
                    let (d, t2) = imp.begin_events(table, kind, &columns);
                    dec = d;
                    tr.unused_columns = t2.unused_columns;
                }
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

    /// The next non-empty line (trimmed), or `None` after the last file. An overlong line
    /// is skipped and counted in `tr`.
    fn next_line(&mut self, mut tr: Option<&mut super::TableReport>) -> Result<Option<&[u8]>, ImportError> {
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
            if !trim_ascii(&self.buf).is_empty() {
                return Ok(Some(trim_ascii(&self.buf)));
            }
        }
    }

    /// The next line that is a JSON object; other lines are counted as skipped in `tr`.
    fn next_object(
        &mut self,
        mut tr: Option<&mut super::TableReport>,
    ) -> Result<Option<Map<String, Value>>, ImportError> {
        loop {
            let Some(line) = self.next_line(tr.as_deref_mut())? else { return Ok(None) };
            match serde_json::from_slice::<Value>(line) {
                Ok(Value::Object(m)) => return Ok(Some(m)),
                Ok(_) | Err(_) => {
                    let text = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
                    if let Some(tr) = tr.as_deref_mut() {
                        tr.rows_read += 1;
                        tr.skip("not a JSON object", text);
                    }
                }
            }
        }
    }

    /// The next object decoded straight into `values` (one slot per column, `null` where
    /// the row lacks the key), keys not in `columns` into `extra`. No map is built and a
    /// key is not copied unless it is new: this is most of a telemetry import's parsing
    /// cost. Lines that are not objects are counted as skipped in `tr`. `false` at the end.
    fn next_row(
        &mut self,
        columns: &[String],
        values: &mut Vec<Value>,
        extra: &mut Vec<(String, Value)>,
        tr: &mut super::TableReport,
    ) -> Result<bool, ImportError> {
        loop {
            let Some(line) = self.next_line(Some(&mut *tr))? else { return Ok(false) };
            let mut de = serde_json::Deserializer::from_slice(line);
            let parsed = serde::de::DeserializeSeed::deserialize(RowSeed { columns, values, extra }, &mut de)
                .and_then(|()| de.end());
            match parsed {
                Ok(()) => return Ok(true),
                Err(_) => {
                    let text = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
                    tr.rows_read += 1;
                    tr.skip("not a JSON object", text);
                }
            }
        }
    }
}

/// Deserializes one JSON object into column slots (see [`Lines::next_row`]).
struct RowSeed<'a> {
    columns: &'a [String],
    values: &'a mut Vec<Value>,
    extra: &'a mut Vec<(String, Value)>,
}

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.values.clear();
        self.values.resize(self.columns.len(), Value::Null);
        self.extra.clear();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.columns.iter().position(|c| *c == *key) {
                Some(i) => self.values[i] = map.next_value()?,
                None => {
                    let value = map.next_value()?;
                    self.extra.push((key.into_owned(), value));
                }
            }
        }
        Ok(())
    }
}

/// An object key, borrowed from the line unless it holds escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(s)))
            }
        }
        d.deserialize_str(V)
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !c.is_ascii_whitespace()).map_or(start, |e| e + 1);
    &b[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_decode_into_column_slots_with_new_keys_and_bad_lines_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.jsonl");
        let text = concat!(
            "{\"a\": 1, \"b\": \"x\"}\n",
            "not json\n",
            "\n",
            "{\"b\": \"y\", \"\\u0061\": 2, \"c\": [3], \"c\": 4}\n",
            "[1, 2]\n",
            "{\"b\": null}\n",
        );
        std::fs::write(&path, text).expect("write");
        let mut lines = Lines::new(&[path]).expect("open");
        let first = lines.next_object(None).expect("read").expect("first object");
        let columns: Vec<String> = first.keys().cloned().collect();
        assert_eq!(columns, ["a", "b"]);
        let mut tr = super::super::TableReport::default();
        let (mut values, mut extra) = (Vec::new(), Vec::new());

        assert!(lines.next_row(&columns, &mut values, &mut extra, &mut tr).expect("row"));
        // "not json" is skipped and counted; the escaped key "\u0061" is column a.
        assert_eq!(values, [serde_json::json!(2), serde_json::json!("y")]);
        assert_eq!(extra, [("c".to_string(), serde_json::json!([3])), ("c".to_string(), serde_json::json!(4))]);
        assert!(lines.next_row(&columns, &mut values, &mut extra, &mut tr).expect("row"));
        assert_eq!(values, [Value::Null, Value::Null], "a missing key is null");
        assert!(extra.is_empty());
        assert!(!lines.next_row(&columns, &mut values, &mut extra, &mut tr).expect("end"));
        assert_eq!(tr.rows_read, 2, "two lines that are not objects");
        assert_eq!(tr.skipped_total(), 2);
    }
}
