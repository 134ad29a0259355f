//! The inventory item model (`inventory::Item`, typed, as stored) → the solver's
//! [`Wearable`]. Replaces a JSON round trip: the result equals
//! `Wearable::from_item_json` of the item's API view (a test holds them together).

use crate::game::cantrips::{Cantrip, parse_cantrip};
use crate::inventory::Item;
use crate::solver::model::{MAX_ARMOR_LEVEL, MAX_ITEM_LEVEL, MAX_ITEM_RATING, MAX_NAME_CHARS, MAX_SPELLS_PER_ITEM};
use crate::solver::model::{NUM_RATINGS, RATING_NAMES};
use crate::solver::{Wearable, WieldRequirement};
use serde::Serialize;

/// A stored item the suit builder could not use, and why; reported with the result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct SkippedItem {
    pub object_id: u32,
    pub owner: String,
    pub name: String,
    pub reason: String,
}

/// Converts one stored item. Fails only for an item without an owner name, which the
/// solver needs to say whose item to wear (the store never keeps one; a damaged record
/// could).
pub fn wearable_from_item(item: &Item) -> Result<Wearable, SkippedItem> {
    let owner = item.owner.trim();
    if owner.is_empty() {
        return Err(SkippedItem {
            object_id: item.object_id,
            owner: item.owner.clone(),
            name: item.name.clone(),
            reason: "the item has no owner".into(),
        });
    }
    let mut cantrips: Vec<Cantrip> = Vec::new();
    let names = item
        .cantrips
        .iter()
        .take(MAX_SPELLS_PER_ITEM)
        .map(String::as_str)
        .chain(item.spells.iter().take(MAX_SPELLS_PER_ITEM).filter_map(|s| s.name.as_deref()));
    for name in names {
        if let Some(c) = parse_cantrip(name)
            && !cantrips.iter().any(|x| x.key == c.key && x.tier == c.tier)
        {
            cantrips.push(c);
        }
    }
    let mut ratings = [0i64; NUM_RATINGS];
    for (i, name) in RATING_NAMES.iter().enumerate() {
        if let Some(Some(v)) = item.ratings.get(name) {
            ratings[i] = v.clamp(0, MAX_ITEM_RATING);
        }
    }
    let wield_requirements = item
        .wield_requirements
        .iter()
        .take(crate::solver::model::MAX_WIELD_REQUIREMENTS)
        .map(|r| WieldRequirement { kind: r.kind, skill: r.skill_id, value: r.value })
        .collect();
    let item_level = item
        .item_level
        .as_ref()
        .and_then(|l| l.current)
        .and_then(|c| u32::try_from(c).ok())
        .map(|l| l.min(MAX_ITEM_LEVEL));
    Ok(Wearable {
        object_id: item.object_id,
        owner: clip(owner),
        name: clip(item.name.trim()),
        item_type: item.item_type.unwrap_or(0),
        object_class: item.object_class.as_ref().map(|n| n.id),
        material: item.material.as_ref().map(|m| m.id).filter(|m| *m != 0),
        equip_mask: item.equip_mask.unwrap_or(0),
        coverage_mask: item.coverage_mask.unwrap_or(0),
        armor_level: item.armor_level.unwrap_or(0).clamp(0, MAX_ARMOR_LEVEL),
        set_id: item.set_id.filter(|s| *s != 0),
        set_name: item.set_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(clip),
        cantrips,
        ratings,
        wield_requirements,
        attuned: item.attuned == Some(true),
        item_level,
    })
}

fn clip(s: &str) -> String {
    s.chars().take(MAX_NAME_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed conversion must give exactly what the solver's JSON decoder gives for the
    /// same item's API view (the path it replaces, still used for self-contained requests).
    use crate::inventory::testkit::{CharacterKind, ItemGen};

    fn stored_items(seed: u64) -> Vec<Item> {
        let mut generator = ItemGen::new(seed);
        let mut out = Vec::new();
        for (i, kind) in [CharacterKind::Hunter, CharacterKind::Mule, CharacterKind::Hunter].into_iter().enumerate() {
            let owner = ItemGen::character_name(i);
            for wire in generator.character_dump(kind) {
                if let Ok(item) = crate::inventory::normalize(&owner, &wire, None, 1_700_000_000_000) {
                    out.push(item);
                }
            }
        }
        out
    }

    #[test]
    fn typed_conversion_equals_decoding_the_api_view() {
        let items = stored_items(7);
        assert!(items.len() >= 300, "{}", items.len());
        assert!(items.iter().any(|i| !i.cantrips.is_empty() && i.set_id.is_some() && i.coverage_mask.is_some()));
        for item in &items {
            let via_json = Wearable::from_item_json(&serde_json::to_value(item.view(false)).unwrap()).unwrap();
            assert_eq!(wearable_from_item(item).unwrap(), via_json, "item {}", item.object_id);
        }
    }

    #[test]
    fn an_item_without_an_owner_is_reported_not_dropped() {
        let mut item = stored_items(1).remove(0);
        item.owner = "  ".into();
        let skipped = wearable_from_item(&item).unwrap_err();
        assert_eq!(skipped.object_id, item.object_id);
        assert!(skipped.reason.contains("owner"));
    }
}
