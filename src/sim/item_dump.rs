//! Simulated items as JSON Lines in the old stack's `items` table shape, for
//! `overlord simulate-items | overlord import jsonl --table items -`: how a footprint run
//! gets a large item store (750k items) through the same path a group's history takes.
//!
//! Owns the line format only (`character_name`, `timestamp`, `original_json` holding the
//! plugin's item, as docs/migration.md reads it). Never touches a data directory and never
//! prints: the caller gives the writer.

use std::io::Write;

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::json;

use super::items::generate_inventory;
use super::roster::{MAX_CHARACTERS, Roster, mix_seed};

/// What [`write_item_lines`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDumpReport {
    pub items: u64,
    pub characters: u64,
}

/// Writes at least `count` items (whole characters: the last one may overshoot by its
/// inventory) for the roster of `seed`, one JSON object a line, stamped `timestamp`.
/// Stops early, without error, when the roster's [`MAX_CHARACTERS`] are used up.
pub fn write_item_lines(
    out: &mut impl Write,
    count: u64,
    seed: u64,
    timestamp: &str,
) -> std::io::Result<ItemDumpReport> {
    let mut report = ItemDumpReport { items: 0, characters: 0 };
    if count == 0 {
        return Ok(report);
    }
    let roster = Roster::generate(seed, MAX_CHARACTERS);
    for entry in &roster.entries {
        let mut rng = SmallRng::seed_from_u64(mix_seed(seed, entry.index as u64));
        for item in generate_inventory(&mut rng, &entry.name, entry.kind) {
            let line = json!({"character_name": entry.name, "timestamp": timestamp, "original_json": item});
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
            report.items += 1;
        }
        report.characters += 1;
        if report.items >= count {
            break;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_whole_characters_with_the_plugins_item_inside() {
        let mut buf = Vec::new();
        let report = write_item_lines(&mut buf, 300, 7, "2026-12-07T00:00:00Z").expect("write");
        assert!(report.items >= 300 && report.characters >= 1, "{report:?}");
        let lines: Vec<serde_json::Value> = buf
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("json"))
            .collect();
        assert_eq!(lines.len() as u64, report.items);
        let owners: std::collections::HashSet<_> = lines.iter().map(|l| l["character_name"].clone()).collect();
        assert_eq!(owners.len() as u64, report.characters);
        assert!(lines.iter().all(|l| l["original_json"]["name"].is_string() && l["timestamp"].is_string()));
        // The same seed writes the same lines.
        let mut again = Vec::new();
        write_item_lines(&mut again, 300, 7, "2026-12-07T00:00:00Z").expect("write");
        assert_eq!(buf, again);
    }

    #[test]
    fn zero_items_writes_nothing() {
        let mut buf = Vec::new();
        assert_eq!(write_item_lines(&mut buf, 0, 1, "x").expect("write").items, 0);
        assert!(buf.is_empty());
    }
}
