//! Turning a request and its items into a [`Problem`]: eligibility (docs/solver.md §3), the
//! per-item placement options (with reductions, §2), the wanted-spell bitsets (§4) and
//! the set tables in force (§5).
//!
//! Owns: every reason an item is dropped, and every 422 about locked items (missing,
//! ineligible, not wearable, conflicting), each naming the items. Must never: search or
//! score suits, or perform I/O.

use std::collections::{BTreeMap, HashMap};

use super::SolverError;
use super::model::{ITEM_TYPE_ARMOR, NUM_RATINGS, Part, Placement, Ratings, SlotGroup, Wearable, reduction_targets};
use super::request::{AetheriaSlots, MAX_ITEMS, Profile, SuitRequest, filter_rating, parse_set_values};
use super::sets::{CountBy, SetTable, shipped_set_table};
use crate::game::cantrips::{MAX_TIER_POINTS, Tier, family_key};

/// Most ways to wear the locked items together (each reducible locked item multiplies
/// them); beyond it the request is refused rather than searched.
pub const MAX_LOCKED_COMBINATIONS: usize = 4_096;

/// A wanted family as the search sees it.
#[derive(Clone, Debug)]
pub struct WantedFamily {
    pub key: String,
    pub display: String,
    pub min_tier: Option<Tier>,
}

/// One way to wear one item: as-is, reduced to a part, or in one slot group.
#[derive(Clone, Debug)]
pub struct WearOption {
    /// Index into [`Problem::items`].
    pub item: u32,
    /// Coverage bits occupied (0 for jewelry and other slot-group items).
    pub bits: u32,
    /// Slot group and allowed slots (bit per slot) for non-coverage items.
    pub group: Option<(SlotGroup, u8)>,
    pub reduce_to: Option<Part>,
    /// Parts covered as worn (1 for slot-group items): the divisor of per-position shares.
    pub parts: u32,
    /// armor_level × parts (unweighted).
    pub armor_raw: i64,
    /// Wanted-family tier layers: bit f of layer t is set when this option gives family f
    /// at least t+1 points (after min_tier).
    pub spell: [u64; MAX_TIER_POINTS as usize],
    /// Dense index into [`Problem::sets`] of a relevant set, and the units it adds
    /// (1 per piece, or the item level for level-counted sets).
    pub set: Option<(u16, u32)>,
    pub ratings: Ratings,
}

/// Counts of what eligibility did, reported in the result's stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct EligibilityCounts {
    pub given: usize,
    pub not_wearable: usize,
    pub excluded: usize,
    pub attuned_elsewhere: usize,
    pub requirements_unmet: usize,
    pub filtered: usize,
    pub eligible: usize,
}

/// A validated request with its eligible items, ready to search.
#[derive(Clone, Debug)]
pub struct Problem {
    pub character: String,
    /// Eligible items; options refer to them by index.
    pub items: Vec<Wearable>,
    pub options: Vec<WearOption>,
    /// Each feasible way to wear all locked items: option indices (one per locked item).
    pub locked_combinations: Vec<Vec<u32>>,
    /// Item indices of the locked items.
    pub locked_items: Vec<u32>,
    pub wanted: Vec<WantedFamily>,
    /// Relevant set tables (some value > 0), indexed by `WearOption::set`.
    pub sets: Vec<SetTable>,
    pub spell_weight: i64,
    pub armor_weight: i64,
    pub rating_weights: [i64; NUM_RATINGS],
    pub rating_caps: [Option<i64>; NUM_RATINGS],
    /// Slot groups that exist for this character (aetheria only when unlocked).
    pub groups_enabled: [bool; 8],
    pub aetheria: AetheriaSlots,
    /// True when no profile was known and all aetheria slots were assumed.
    pub aetheria_assumed: bool,
    pub requirements_checked: bool,
    pub allow_reduction: bool,
    pub top_k: usize,
    pub time_limit_ms: u64,
    pub threads: usize,
    pub counts: EligibilityCounts,
}

impl Problem {
    /// Validates `request`, applies eligibility to `items` (the request's own `items`, or
    /// those the HTTP layer loaded for `owners`) and builds the options. `stored_profile`
    /// is used when the request carries none (the character's latest character_stats).
    pub fn new(
        request: &SuitRequest,
        items: Vec<Wearable>,
        stored_profile: Option<Profile>,
    ) -> Result<Problem, SolverError> {
        request.validate()?;
        if items.len() > MAX_ITEMS {
            return Err(SolverError::TooLarge(format!(
                "{} items to consider; at most {MAX_ITEMS}: exclude some or name fewer owners",
                items.len()
            )));
        }
        let profile = request.profile.clone().or(stored_profile);
        let (aetheria, aetheria_assumed) = match &profile {
            Some(p) => (p.aetheria_slots, false),
            None => (AetheriaSlots::ALL, true),
        };
        let mut groups_enabled = [true; 8];
        groups_enabled[SlotGroup::AetheriaBlue.index()] = aetheria.blue;
        groups_enabled[SlotGroup::AetheriaYellow.index()] = aetheria.yellow;
        groups_enabled[SlotGroup::AetheriaRed.index()] = aetheria.red;

        let mut seen_ids: HashMap<u32, usize> = HashMap::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            if let Some(j) = seen_ids.insert(it.object_id, i) {
                let _ = j;
                return Err(SolverError::Invalid(format!(
                    "item {} is listed twice: each object id may appear once",
                    it.label()
                )));
            }
        }
        for id in &request.locked {
            if !seen_ids.contains_key(id) {
                return Err(SolverError::Invalid(format!(
                    "locked item {id} is not among the items of this request: unlock it or add its owner"
                )));
            }
        }

        let mut counts = EligibilityCounts { given: items.len(), ..EligibilityCounts::default() };
        let mut filters = Vec::new();
        for (key, values) in &request.filters {
            filters.push((filter_rating(key)?, values.clone()));
        }
        let character = request.character.trim().to_string();
        let mut kept: Vec<Wearable> = Vec::new();
        for it in items {
            let locked = request.locked.contains(&it.object_id);
            let placement = restrict_placement(it.placement(), &groups_enabled);
            if placement == Placement::NotWearable {
                if locked {
                    return Err(SolverError::Invalid(format!(
                        "locked item {} has no suit position{}: unlock it",
                        it.label(),
                        if matches!(it.placement(), Placement::Equip(_)) {
                            " the character has unlocked (aetheria slot)"
                        } else {
                            " (weapons, shields and ammunition are not part of a suit)"
                        }
                    )));
                }
                counts.not_wearable += 1;
                continue;
            }
            if request.excluded.contains(&it.object_id) {
                counts.excluded += 1;
                continue;
            }
            if it.attuned && !it.owner.trim().eq_ignore_ascii_case(&character) {
                if locked {
                    return Err(SolverError::Invalid(format!(
                        "locked item {} is attuned to {} and cannot be traded to {character}: unlock it",
                        it.label(),
                        it.owner
                    )));
                }
                counts.attuned_elsewhere += 1;
                continue;
            }
            if let Some(p) = &profile
                && let Some(why) = unmet_requirement(&it, p)
            {
                if locked {
                    return Err(SolverError::Invalid(format!(
                        "locked item {} cannot be worn by {character}: {why}; unlock it",
                        it.label()
                    )));
                }
                counts.requirements_unmet += 1;
                continue;
            }
            if !locked && it.item_type & ITEM_TYPE_ARMOR != 0 {
                let rejected = filters.iter().any(|(r, allowed)| !allowed.contains(&it.ratings[*r]));
                if rejected {
                    counts.filtered += 1;
                    continue;
                }
            }
            kept.push(it);
        }
        // A stable order makes every later tie-break independent of input order.
        kept.sort_by_key(|w| w.object_id);
        counts.eligible = kept.len();

        let wanted: Vec<WantedFamily> = request
            .wanted_spells
            .iter()
            .map(|w| WantedFamily {
                key: family_key(&w.family),
                display: w.family.split_whitespace().collect::<Vec<_>>().join(" "),
                min_tier: w.min_tier.as_deref().and_then(Tier::parse),
            })
            .collect();

        let sets = set_tables_in_force(request, &kept)?;
        let set_index: HashMap<u32, u16> = sets.iter().enumerate().map(|(i, t)| (t.set_id, i as u16)).collect();

        let spell_weight = request.spell_weight()?;
        let armor_weight = request.armor_weight()?;
        let rating_weights = request.rating_weights()?;
        let rating_caps = request.rating_caps()?;

        let mut options = Vec::new();
        for (idx, it) in kept.iter().enumerate() {
            let spell = spell_layers(it, &wanted);
            let set = it.set_id.and_then(|s| set_index.get(&s).copied()).map(|si| {
                let units = match sets[si as usize].count_by {
                    CountBy::Pieces => 1,
                    CountBy::ItemLevel => it.item_level.unwrap_or(1).max(1),
                };
                (si, units)
            });
            let base = WearOption {
                item: idx as u32,
                bits: 0,
                group: None,
                reduce_to: None,
                parts: 1,
                armor_raw: 0,
                spell,
                set,
                ratings: it.ratings,
            };
            match restrict_placement(it.placement(), &groups_enabled) {
                Placement::Coverage(bits) => {
                    let parts = bits.count_ones();
                    options.push(WearOption {
                        bits,
                        parts,
                        armor_raw: it.armor_level * i64::from(parts),
                        ..base.clone()
                    });
                    if request.allow_reduction && it.is_loot() {
                        for part in reduction_targets(bits) {
                            options.push(WearOption {
                                bits: part.bit(),
                                parts: 1,
                                reduce_to: Some(*part),
                                armor_raw: it.armor_level,
                                ..base.clone()
                            });
                        }
                    }
                }
                Placement::Equip(groups) => {
                    for (g, allowed) in groups {
                        options.push(WearOption { group: Some((g, allowed)), ..base.clone() });
                    }
                }
                Placement::NotWearable => {}
            }
        }

        let locked_items: Vec<u32> = request
            .locked
            .iter()
            .filter_map(|id| kept.iter().position(|w| w.object_id == *id).map(|i| i as u32))
            .collect();
        let locked_combinations = locked_combinations(&kept, &options, &locked_items)?;

        let threads =
            request.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));

        Ok(Problem {
            character,
            items: kept,
            options,
            locked_combinations,
            locked_items,
            wanted,
            sets,
            spell_weight,
            armor_weight,
            rating_weights,
            rating_caps,
            groups_enabled,
            aetheria,
            aetheria_assumed,
            requirements_checked: profile.is_some(),
            allow_reduction: request.allow_reduction,
            top_k: request.top_k,
            time_limit_ms: request.time_limit_ms(),
            threads,
            counts,
        })
    }
}

/// Drops slot groups the character does not have (locked aetheria slots).
fn restrict_placement(p: Placement, enabled: &[bool; 8]) -> Placement {
    match p {
        Placement::Equip(groups) => {
            let g: Vec<(SlotGroup, u8)> = groups.into_iter().filter(|(g, _)| enabled[g.index()]).collect();
            if g.is_empty() { Placement::NotWearable } else { Placement::Equip(g) }
        }
        other => other,
    }
}

/// The first wield requirement the profile does not meet, described. Requirements on a
/// skill, attribute or level the profile does not list pass (unknown is not unmet).
pub fn unmet_requirement(item: &Wearable, p: &Profile) -> Option<String> {
    for r in &item.wield_requirements {
        let (have, what) = match r.kind {
            1 => (p.skills.get(&r.skill).map(|s| s.current), "buffed skill"),
            2 => (p.skills.get(&r.skill).map(|s| s.base), "base skill"),
            3 => (p.attributes.get(&r.skill).map(|a| a.current), "buffed attribute"),
            4 => (p.attributes.get(&r.skill).map(|a| a.base), "base attribute"),
            7 => (p.level, "level"),
            8 => (p.skills.get(&r.skill).map(|s| i64::from(s.training)), "training of skill"),
            _ => (None, ""),
        };
        if let Some(have) = have
            && have < r.value
        {
            let subject = if r.kind == 7 { String::new() } else { format!(" {}", r.skill) };
            return Some(format!("needs {what}{subject} {} and has {have}", r.value));
        }
    }
    None
}

/// Tier layers of an item for the wanted families.
fn spell_layers(it: &Wearable, wanted: &[WantedFamily]) -> [u64; MAX_TIER_POINTS as usize] {
    let mut layers = [0u64; MAX_TIER_POINTS as usize];
    for (f, w) in wanted.iter().enumerate() {
        let best = it
            .cantrips
            .iter()
            .filter(|c| c.key == w.key && w.min_tier.is_none_or(|m| c.tier >= m))
            .map(|c| c.tier.points())
            .max()
            .unwrap_or(0);
        for (t, layer) in layers.iter_mut().enumerate() {
            if best > t as u32 {
                *layer |= 1u64 << f;
            }
        }
    }
    layers
}

/// The relevant set tables for the sets present among the items: shipped, replaced by the
/// request's overrides. Sets worth nothing at every count are left out (they cannot
/// change a score).
fn set_tables_in_force(request: &SuitRequest, items: &[Wearable]) -> Result<Vec<SetTable>, SolverError> {
    let mut present: BTreeMap<u32, Option<String>> = BTreeMap::new();
    for it in items {
        if let Some(s) = it.set_id {
            present.entry(s).or_insert_with(|| it.set_name.clone());
        }
    }
    let mut out = Vec::new();
    for (set_id, item_name) in present {
        let shipped = shipped_set_table(set_id);
        let table = match request.sets.iter().find(|o| o.set_id == set_id) {
            Some(o) => {
                let count_by = match o.count_by.as_deref() {
                    Some("item_level") => CountBy::ItemLevel,
                    Some(_) => CountBy::Pieces,
                    None => shipped.as_ref().map(|t| t.count_by).unwrap_or(CountBy::Pieces),
                };
                let name = o
                    .name
                    .clone()
                    .or_else(|| shipped.as_ref().map(|t| t.name.clone()))
                    .or(item_name)
                    .unwrap_or_else(|| format!("Set {set_id}"));
                SetTable { set_id, name, count_by, values: parse_set_values(o)? }
            }
            None => match shipped {
                Some(t) => t,
                None => continue,
            },
        };
        if table.is_relevant() {
            out.push(table);
        }
    }
    Ok(out)
}

/// Every conflict-free way to wear all locked items, or a 422 naming the items that
/// cannot be worn together.
fn locked_combinations(
    items: &[Wearable],
    options: &[WearOption],
    locked: &[u32],
) -> Result<Vec<Vec<u32>>, SolverError> {
    let per_item: Vec<Vec<u32>> = locked
        .iter()
        .map(|&it| (0..options.len() as u32).filter(|&o| options[o as usize].item == it).collect())
        .collect();
    // Pairs that can never be worn together name the conflict precisely.
    for a in 0..locked.len() {
        for b in a + 1..locked.len() {
            let ok = per_item[a].iter().any(|&x| per_item[b].iter().any(|&y| compatible(options, &[x, y])));
            if !ok {
                return Err(SolverError::Invalid(format!(
                    "locked items {} and {} cannot be worn together (they need the same position): unlock one",
                    items[locked[a] as usize].label(),
                    items[locked[b] as usize].label()
                )));
            }
        }
    }
    let mut out = Vec::new();
    let mut chosen = Vec::new();
    let mut overflow = false;
    enumerate_locked(options, &per_item, 0, &mut chosen, &mut out, &mut overflow);
    if overflow {
        return Err(SolverError::Invalid(format!(
            "the locked items can be worn in more than {MAX_LOCKED_COMBINATIONS} ways: lock fewer reducible items"
        )));
    }
    if out.is_empty() {
        let names: Vec<String> = locked.iter().map(|&i| items[i as usize].label()).collect();
        return Err(SolverError::Invalid(format!(
            "locked items {} cannot all be worn together: unlock one of them",
            names.join(", ")
        )));
    }
    Ok(out)
}

fn enumerate_locked(
    options: &[WearOption],
    per_item: &[Vec<u32>],
    i: usize,
    chosen: &mut Vec<u32>,
    out: &mut Vec<Vec<u32>>,
    overflow: &mut bool,
) {
    if *overflow {
        return;
    }
    if i == per_item.len() {
        if out.len() >= MAX_LOCKED_COMBINATIONS {
            *overflow = true;
            return;
        }
        out.push(chosen.clone());
        return;
    }
    for &o in &per_item[i] {
        chosen.push(o);
        if compatible(options, chosen) {
            enumerate_locked(options, per_item, i + 1, chosen, out, overflow);
        }
        chosen.pop();
    }
}

/// Whether these options (of distinct items) can all be worn at once.
pub fn compatible(options: &[WearOption], chosen: &[u32]) -> bool {
    let mut bits = 0u32;
    let mut by_group: [Vec<u8>; 8] = Default::default();
    for &o in chosen {
        let opt = &options[o as usize];
        if opt.bits & bits != 0 {
            return false;
        }
        bits |= opt.bits;
        if let Some((g, allowed)) = opt.group {
            by_group[g.index()].push(allowed);
        }
    }
    SlotGroup::ALL.iter().all(|g| group_assignable(*g, &by_group[g.index()]))
}

/// Whether items with these allowed-slot masks fit the group's slots, one item per slot.
pub fn group_assignable(g: SlotGroup, allowed: &[u8]) -> bool {
    let cap = g.capacity();
    match allowed.len() {
        0 => true,
        1 => allowed[0] != 0,
        2 if cap == 2 => (allowed[0] & 1 != 0 && allowed[1] & 2 != 0) || (allowed[0] & 2 != 0 && allowed[1] & 1 != 0),
        _ => false,
    }
}
