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

use super::character::ITEM_ID_BASE;
use super::items::{ITEM_IDS_PER_CHARACTER, Inventory};
use super::roster::{MAX_CHARACTERS, Roster, mix_seed};

/// Item id blocks of `ITEM_IDS_PER_CHARACTER` ids above `ITEM_ID_BASE`. The live simulator
/// gives roster index `i` block `i`; a dump gives its character `i` block `ID_BLOCKS - 1 - i`,
/// so a dump's items never take ids from the live characters' (nor from each other) unless
/// the two rosters together pass `ID_BLOCKS` characters. Object ids are unique in the game,
/// and the store treats a known id in another character's dump as that item moving.
const ID_BLOCKS: u32 = 0x4000;
/// Character GUIDs of a dump start above the live simulator's (`0x5000_0001 + index`).
const GUID_BASE: u32 = 0x5000_0001 + ID_BLOCKS;
/// `last_id_time` stamped on the items (unix seconds).
const ID_TIME: i64 = 1_764_000_000;

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
        let index = u32::try_from(entry.index).unwrap_or(u32::MAX).min(ID_BLOCKS - 1);
        let id_base = ITEM_ID_BASE + (ID_BLOCKS - 1 - index) * ITEM_IDS_PER_CHARACTER;
        let inventory =
            Inventory::generate(&mut rng, &entry.name, GUID_BASE + index, id_base, entry.kind, ID_TIME, false);
        for item in inventory.render_all() {
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
        let report = write_item_lines(&mut buf, 3000, 7, "2026-12-07T00:00:00Z").expect("write");
        assert!(report.items >= 3000 && report.characters >= 10, "{report:?}");
        let lines: Vec<serde_json::Value> = buf
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).expect("json"))
            .collect();
        assert_eq!(lines.len() as u64, report.items);
        let owners: std::collections::HashSet<_> = lines.iter().map(|l| l["character_name"].clone()).collect();
        assert_eq!(owners.len() as u64, report.characters);
        assert!(lines.iter().all(|l| l["original_json"]["name"].is_string() && l["timestamp"].is_string()));
        // Object ids are unique, as in the game: no item of one character is another's.
        // (The plugin names it `object_id`, or `id` in some items: docs/protocol.md.)
        let id = |item: &serde_json::Value| item.get("object_id").or_else(|| item.get("id")).cloned();
        let ids: std::collections::HashSet<_> = lines.iter().map(|l| id(&l["original_json"]).expect("an id")).collect();
        assert_eq!(ids.len(), lines.len(), "every item its own object id");
        // ...and none in the blocks the live simulator gives its first characters.
        let lowest = u64::from(ITEM_ID_BASE) + u64::from(ID_BLOCKS - report.characters as u32) * 0x1_0000;
        assert!(ids.iter().all(|v| v.as_u64().is_some_and(|id| id >= lowest)), "ids from the top blocks down");
        // The same seed writes the same lines.
        let mut again = Vec::new();
        write_item_lines(&mut again, 3000, 7, "2026-12-07T00:00:00Z").expect("write");
        assert_eq!(buf, again);
    }

    #[test]
    fn zero_items_writes_nothing() {
        let mut buf = Vec::new();
        assert_eq!(write_item_lines(&mut buf, 0, 1, "x").expect("write").items, 0);
        assert!(buf.is_empty());
    }
}
