//! A request's items and profile: self-contained `items`, or the `owners`' stored items
//! and the character's latest `character_stats` (live first, then stored).

use super::SuitBuilderError;
use super::convert::{SkippedItem, wearable_from_item};
use crate::inventory::InventoryStore;
use crate::live::Hub;
use crate::solver::request::{MAX_ITEMS, MAX_OWNERS};
use crate::solver::{Profile, SuitRequest, Wearable};
use crate::telemetry::{Characters, DayFiles, EventKind};
use redb::ReadableDatabase;

/// How far back (in day files) the stored profile is looked for.
const PROFILE_LOOKBACK_DAYS: usize = 62;

/// Where items and profiles come from.
pub struct Sources<'a> {
    pub state_db: &'a redb::Database,
    pub hub: &'a Hub,
    pub characters: &'a Characters,
    pub days: &'a DayFiles,
}

/// What a request will be solved over.
#[derive(Debug)]
pub struct Resolved {
    pub items: Vec<Wearable>,
    pub profile: Option<Profile>,
    /// Stored items that could not be used, reported with the result.
    pub skipped: Vec<SkippedItem>,
}

/// Takes `req.items` when the request is self-contained; otherwise reads the owners'
/// items (default: the character's own) and the stored profile.
pub fn resolve(sources: &Sources<'_>, req: &mut SuitRequest) -> Result<Resolved, SuitBuilderError> {
    if let Some(items) = req.items.take() {
        return Ok(Resolved { items, profile: None, skipped: Vec::new() });
    }
    let owners = req.owners.clone().unwrap_or_else(|| vec![req.character.clone()]);
    if owners.len() > MAX_OWNERS {
        return Err(SuitBuilderError::TooManyOwners { max: MAX_OWNERS });
    }
    let txn = sources.state_db.begin_read()?;
    let store = InventoryStore::new();
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    for owner in &owners {
        let stored = store.list(&txn, owner, None)?;
        if stored.is_empty() {
            return Err(SuitBuilderError::NoItems(owner.clone()));
        }
        for item in &stored {
            match wearable_from_item(item) {
                Ok(w) => items.push(w),
                Err(s) => skipped.push(s),
            }
        }
        if items.len() > MAX_ITEMS {
            return Err(SuitBuilderError::TooManyItems { max: MAX_ITEMS });
        }
    }
    if !skipped.is_empty() {
        tracing::warn!(skipped = skipped.len(), "stored items the suit builder cannot use were left out");
    }
    Ok(Resolved { items, profile: stored_profile(sources, &req.character), skipped })
}

/// The character's live `character_stats`, else the newest stored one. A stored record
/// that cannot be read is logged and treated as no profile (requirements then go
/// unchecked, and the result says so).
fn stored_profile(sources: &Sources<'_>, character: &str) -> Option<Profile> {
    if let Some(raw) = sources.hub.character(character).and_then(|c| c.character_stats) {
        match serde_json::from_str(raw.get()) {
            Ok(stats) => return Profile::from_character_stats(&stats),
            Err(e) => {
                tracing::warn!(error = %e, character, "the live character_stats does not parse; trying the stored one")
            }
        }
    }
    let info = sources.characters.by_name(character)?;
    let (_, bytes) = match sources.days.latest(EventKind::CharacterStats, info.id, PROFILE_LOOKBACK_DAYS) {
        Ok(found) => found?,
        Err(e) => {
            tracing::warn!(error = %e, character, "reading the stored profile failed; wield requirements go unchecked");
            return None;
        }
    };
    match serde_json::from_slice(&bytes) {
        Ok(stats) => Profile::from_character_stats(&stats),
        Err(e) => {
            tracing::warn!(error = %e, character, "the stored character_stats is not JSON; wield requirements go unchecked");
            None
        }
    }
}
