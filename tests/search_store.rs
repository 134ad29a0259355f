//! Search behaviour: text relevance, every filter, every sort, facets, freshness, owner
//! isolation, rebuild equivalence and recovery from a damaged index.

#[path = "inventory_support/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::{Env, pairs};
use overlord::game;
use overlord::inventory::Item;
use overlord::inventory::tables;
use overlord::inventory::testkit::{CharacterKind, ItemGen};
use overlord::search::query::{CantripFilter, Direction, SortField};
use overlord::search::{OpenOutcome, SearchIndex, SearchQuery};
use serde_json::{Value, json};

fn query(list: &[(&str, &str)]) -> SearchQuery {
    SearchQuery::from_pairs(&pairs(list)).expect("valid query")
}

/// A store with several generated characters, plus an index over it.
fn populated(characters: usize) -> (Env, SearchIndex) {
    let env = Env::new();
    let mut generator = ItemGen::new(42);
    for i in 0..characters {
        let kind = if i % 3 == 0 { CharacterKind::Mule } else { CharacterKind::Hunter };
        let items = generator.character_dump(kind);
        let report = env.full(&ItemGen::character_name(i), &items, 1_000);
        assert_eq!(report.rejected_count, 0);
    }
    let (index, outcome) = env.open_index();
    assert!(matches!(outcome, OpenOutcome::Rebuilt(_)), "a missing index is built: {outcome:?}");
    (env, index)
}

fn keys(items: &[Item]) -> BTreeSet<(String, u32)> {
    items.iter().map(|i| (i.owner.to_lowercase(), i.object_id)).collect()
}

/// What the filters of `q` (everything but text) must match, computed from the store.
fn reference_match(item: &Item, q: &SearchQuery) -> bool {
    let positions = tables::positions_of(item.coverage_mask.unwrap_or(0), item.equip_mask.unwrap_or(0));
    (q.owners.is_empty() || q.owners.contains(&item.owner.to_lowercase()))
        && q.object_class.is_none_or(|c| item.object_class.as_ref().is_some_and(|o| o.id == c))
        && (q.slots.is_empty() || q.slots.iter().any(|s| positions.contains(s)))
        && q.set_id.is_none_or(|s| item.set_id == Some(s))
        && q.cantrips.iter().all(|c| match c {
            CantripFilter::Exact(name) => item.cantrips.iter().any(|x| x.to_lowercase() == *name),
            CantripFilter::Family(f) => item
                .cantrips
                .iter()
                .any(|x| game::cantrips::cantrip_parts(x).is_some_and(|(_, fam)| fam.to_lowercase() == *f)),
        })
        && q.material.as_ref().is_none_or(|m| item.material.as_ref().is_some_and(|x| game::fold_name(&x.name) == *m))
        && q.min_armor_level.is_none_or(|m| item.armor_level.is_some_and(|a| a >= m))
        && q.max_wield_level.is_none_or(|m| item.wield_level() <= m)
        && q.min_ratings.iter().all(|(r, m)| item.ratings.get(r).flatten().unwrap_or(0) >= *m)
        && q.equipped.is_none_or(|e| (item.location == overlord::inventory::Location::Equipped) == e)
}

fn all_matching(env: &Env, q: &SearchQuery) -> Vec<Item> {
    env.all_items().into_iter().map(|(_, i)| i).filter(|i| reference_match(i, q)).collect()
}

#[test]
fn every_filter_matches_exactly_what_the_store_says() {
    let (env, index) = populated(12);
    let filters: Vec<Vec<(&str, &str)>> = vec![
        vec![("owner", "Mossy Vale 0")],
        vec![("owner", "mossy vale 0"), ("owner", "TANK VALE 1")],
        vec![("object_class", "Armor")],
        vec![("object_class", "4")],
        vec![("slot", "head")],
        vec![("slot", "finger"), ("slot", "wrist")],
        vec![("slot", "upper_arms")],
        vec![("slot", "shirt")],
        vec![("slot", "weapon")],
        vec![("set", "14")],
        vec![("set", "Soldier's")],
        vec![("cantrip", "Strength")],
        vec![("cantrip", "legendary willpower")],
        vec![("cantrip", "Major Invulnerability"), ("cantrip", "Focus")],
        vec![("material", "silver")],
        vec![("min_armor_level", "500")],
        vec![("max_wield_level", "150")],
        vec![("min_crit_damage", "2")],
        vec![("min_damage_resist", "1"), ("object_class", "armor")],
        vec![("equipped", "true")],
        vec![("equipped", "false"), ("object_class", "Jewelry")],
        vec![("set", "adepts"), ("slot", "chest"), ("min_armor_level", "300"), ("max_wield_level", "180")],
    ];
    for f in filters {
        let mut list = f.clone();
        list.push(("limit", "200"));
        let q = query(&list);
        let expected = all_matching(&env, &q);
        let result = index.search(&q).expect("search");
        assert_eq!(result.total as usize, expected.len(), "total for {f:?}");
        assert!(!expected.is_empty() || f.iter().any(|(k, _)| *k == "cantrip"), "test data covers {f:?}");
        let got = keys(&result.items);
        assert!(got.is_subset(&keys(&expected)), "results for {f:?} all match the filter");
        assert_eq!(got.len(), expected.len().min(200), "page size for {f:?}");
    }
}

#[test]
fn results_equal_the_stored_items() {
    let (env, index) = populated(3);
    let result = index.search(&query(&[("limit", "200")])).expect("search");
    assert_eq!(result.items.len(), 200);
    for item in &result.items {
        assert_eq!(env.get(&item.owner, item.object_id).as_ref(), Some(item));
    }
}

#[test]
fn text_search_tolerates_typos_and_matches_prefixes_and_spells() {
    let env = Env::new();
    let items = [
        json!({"object_id": 1, "name": "Koujia Sleeves", "spells": [{"id": 6095, "name": "Legendary Impenetrability"}]}),
        json!({"object_id": 2, "name": "Amuli Shadow Coat"}),
        json!({"object_id": 3, "name": "Ring", "spells": [{"id": 6107, "name": "Legendary Strength"}]}),
        json!({"object_id": 4, "name": "Sleeves of Strength"}),
        json!({"object_id": 5, "name": "Axe"}),
    ];
    env.full("A", &items, 1);
    let (index, _) = env.open_index();
    let names = |q: &str| -> Vec<String> {
        index.search(&query(&[("q", q)])).expect("search").items.into_iter().map(|i| i.name).collect()
    };
    assert_eq!(names("koujia sleeves"), vec!["Koujia Sleeves"]);
    assert_eq!(names("koujai slevees"), vec!["Koujia Sleeves"], "one typo per 5–8 letter word");
    assert_eq!(names("impenetrabiltiy"), vec!["Koujia Sleeves"], "two edits allowed beyond 8 letters");
    assert_eq!(names("amuli sha"), vec!["Amuli Shadow Coat"], "prefix on the last word");
    assert!(names("axx").is_empty(), "no typo tolerance below 5 letters");
    assert_eq!(names("axe"), vec!["Axe"]);
    let strength = names("strength");
    assert_eq!(strength.len(), 2);
    assert_eq!(strength[0], "Sleeves of Strength", "a name match outranks a spell match");
}

#[test]
fn every_sort_orders_results_and_puts_missing_values_last() {
    let (env, index) = populated(4);
    let all: BTreeMap<(String, u32), Item> = env.all_items().into_iter().map(|(o, i)| ((o, i.object_id), i)).collect();
    let sorts = [
        "name",
        "name:desc",
        "armor_level",
        "armor_level:asc",
        "value",
        "value:asc",
        "burden",
        "workmanship",
        "workmanship:asc",
        "wield_level",
        "max_damage",
        "crit_damage",
        "damage_resist:asc",
    ];
    for sort in sorts {
        let q = query(&[("sort", sort), ("limit", "200")]);
        let result = index.search(&q).expect("search");
        assert_eq!(result.items.len(), 200, "{sort}");
        let overlord::search::query::Sort::Field(field, dir) = q.sort else { panic!("field sort") };
        let value = |i: &Item| -> Option<f64> {
            match field {
                SortField::Name => None,
                SortField::Workmanship => i.workmanship,
                SortField::Numeric("armor_level") => i.armor_level.map(|v| v as f64),
                SortField::Numeric("value") => i.value.map(|v| v as f64),
                SortField::Numeric("burden") => i.burden.map(|v| v as f64),
                SortField::Numeric("wield_level") => Some(i.wield_level() as f64),
                SortField::Numeric("max_damage") => i.weapon.as_ref().and_then(|w| w.max_damage).map(|v| v as f64),
                SortField::Numeric(r) => Some(i.ratings.get(r).flatten().unwrap_or(0) as f64),
            }
        };
        if field == SortField::Name {
            let names: Vec<String> = result.items.iter().map(|i| i.name.to_lowercase()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            if dir == Direction::Desc {
                sorted.reverse();
            }
            assert_eq!(names, sorted, "{sort}");
            continue;
        }
        let values: Vec<Option<f64>> = result.items.iter().map(value).collect();
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let first_missing = values.iter().position(Option::is_none).unwrap_or(values.len());
        assert!(values[first_missing..].iter().all(Option::is_none), "{sort}: missing values come last");
        let ordered = present.windows(2).all(|w| if dir == Direction::Asc { w[0] <= w[1] } else { w[0] >= w[1] });
        assert!(ordered, "{sort}: {present:?}");
        // The first page holds the extreme values of the whole store.
        let mut everything: Vec<f64> = all.values().filter_map(value).collect();
        everything.sort_by(|a, b| a.total_cmp(b));
        if dir == Direction::Desc {
            everything.reverse();
        }
        let n = present.len().min(everything.len());
        assert_eq!(&present[..n], &everything[..n], "{sort}: first page is the top of the store");
    }
}

#[test]
fn paging_walks_through_all_results_without_overlap() {
    let (_env, index) = populated(2);
    let total = index.search(&query(&[("limit", "0")])).expect("search").total;
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    while offset < total as usize {
        let page = index
            .search(&query(&[("sort", "value"), ("limit", "100"), ("offset", &offset.to_string())]))
            .expect("page");
        for item in page.items {
            assert!(seen.insert((item.owner.clone(), item.object_id)), "no item appears twice");
        }
        offset += 100;
    }
    assert_eq!(seen.len() as u64, total);
}

#[test]
fn each_facet_counts_the_matching_items() {
    let (env, index) = populated(6);
    let q = query(&[("object_class", "armor"), ("facets", "owner,set,object_class,slot,cantrip"), ("limit", "1")]);
    let result = index.search(&q).expect("search");
    let expected_items = all_matching(&env, &q);
    let mut expect: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for item in &expected_items {
        *expect.entry("owner").or_default().entry(item.owner.clone()).or_default() += 1;
        if let Some(s) = &item.set_name {
            *expect.entry("set").or_default().entry(s.clone()).or_default() += 1;
        }
        if let Some(c) = &item.object_class {
            *expect.entry("object_class").or_default().entry(c.name.clone()).or_default() += 1;
        }
        for s in tables::positions_of(item.coverage_mask.unwrap_or(0), item.equip_mask.unwrap_or(0)) {
            *expect.entry("slot").or_default().entry(s.to_string()).or_default() += 1;
        }
        for c in &item.cantrips {
            *expect.entry("cantrip").or_default().entry(c.clone()).or_default() += 1;
        }
    }
    assert_eq!(result.facets.len(), 5);
    for (kind, counts) in &result.facets {
        let want = expect.remove(kind.name()).unwrap_or_default();
        let want_top: BTreeMap<String, u64> =
            want.iter().filter(|(k, _)| counts.iter().any(|(c, _)| c == *k)).map(|(k, v)| (k.clone(), *v)).collect();
        let got: BTreeMap<String, u64> = counts.iter().cloned().collect();
        assert_eq!(got, want_top, "facet {}", kind.name());
        assert!(counts.windows(2).all(|w| w[0].1 >= w[1].1), "facet {} most frequent first", kind.name());
        assert!(counts.len() == want.len() || counts.len() == overlord::search::exec::MAX_FACET_VALUES);
    }
    let json = serde_json::to_value(result.view()).expect("serializes");
    assert!(json["facets"]["set"].is_object());
    assert!(json["total"].is_u64() && json["took_ms"].is_f64() && json["items"].is_array());
    assert!(json["items"][0].get("raw").is_none());
}

#[test]
fn delta_add_update_remove_show_after_flush_and_within_one_second() {
    let env = Env::new();
    let r = env.full(
        "Mossy Tank",
        &[json!({"object_id": 1, "name": "Ring"}), json!({"object_id": 2, "name": "Amulet"})],
        1,
    );
    let (index, _) = env.open_index();
    index.apply(&r).expect("apply");
    let r = env.delta(
        "Mossy Tank",
        &[json!({"object_id": 3, "name": "Battle Axe"})],
        &[json!({"object_id": 1, "name": "Gold Ring"})],
        &[json!(2)],
        2,
    );
    index.apply(&r).expect("apply");
    // Without flush: visible within one second of the apply.
    let started = Instant::now();
    loop {
        let names: BTreeSet<String> =
            index.search(&query(&[])).expect("search").items.into_iter().map(|i| i.name).collect();
        if names == BTreeSet::from(["Battle Axe".to_string(), "Gold Ring".to_string()]) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "update not visible within 1 s: {names:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(index.search(&query(&[("q", "gold")])).expect("search").total, 1);
    assert_eq!(index.search(&query(&[("q", "amulet")])).expect("search").total, 0);
    let r = env.delta("Mossy Tank", &[], &[], &[json!(3)], 3);
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    assert_eq!(index.search(&query(&[])).expect("search").total, 1, "flush makes it visible at once");
    assert_eq!(index.lag_ms(), 0);
    assert_eq!(index.committed_seq(), r.seq);
}

#[test]
fn a_full_dump_for_one_owner_never_changes_another_owners_results() {
    let env = Env::new();
    let mut generator = ItemGen::new(9);
    let a = generator.character_dump(CharacterKind::Hunter);
    let b = generator.character_dump(CharacterKind::Mule);
    env.full("Alpha", &a, 1);
    env.full("Beta", &b, 1);
    let (index, _) = env.open_index();
    let beta_before = index.search(&query(&[("owner", "Beta"), ("limit", "200"), ("sort", "value")])).expect("search");
    let r = env.full("Alpha", &a[..10], 2);
    assert_eq!(r.removed.len(), a.len() - 10);
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    let beta_after = index.search(&query(&[("owner", "Beta"), ("limit", "200"), ("sort", "value")])).expect("search");
    assert_eq!(beta_before.items, beta_after.items);
    assert_eq!(beta_before.total, beta_after.total);
    assert_eq!(index.search(&query(&[("owner", "alpha")])).expect("search").total, 10);
}

/// (total, result keys, facets) of a fixed set of queries.
type Fingerprint = Vec<(u64, BTreeSet<(String, u32)>, Value)>;

fn fingerprint(index: &SearchIndex) -> Fingerprint {
    let queries: Vec<Vec<(&str, &str)>> = vec![
        vec![("limit", "200"), ("facets", "owner,set,object_class,slot,cantrip")],
        vec![("q", "koujia"), ("limit", "200")],
        vec![("q", "legendary strength"), ("limit", "200")],
        vec![("slot", "finger"), ("min_crit_damage", "1"), ("limit", "200")],
        vec![("object_class", "armor"), ("sort", "armor_level"), ("limit", "200")],
    ];
    queries
        .iter()
        .map(|q| {
            let r = index.search(&query(q)).expect("search");
            let facets = serde_json::to_value(r.view()).expect("json")["facets"].clone();
            (r.total, keys(&r.items), facets)
        })
        .collect()
}

#[test]
fn reindex_gives_the_same_results_as_incremental_updates() {
    let env = Env::new();
    let (index, _) = env.open_index();
    let mut generator = ItemGen::new(5);
    let dumps: Vec<Vec<Value>> = (0..6)
        .map(|i| generator.character_dump(if i % 2 == 0 { CharacterKind::Hunter } else { CharacterKind::Mule }))
        .collect();
    for (i, dump) in dumps.iter().enumerate() {
        let r = env.full(&ItemGen::character_name(i), dump, 1);
        index.apply(&r).expect("apply");
    }
    // Churn: shrink one character, update and remove through deltas.
    let r = env.full(&ItemGen::character_name(0), &dumps[0][..30], 2);
    index.apply(&r).expect("apply");
    let moved = json!({"object_id": overlord::inventory::normalize::wire_object_id(&dumps[1][0]).expect("id"), "container_id": 1_342_177_319, "wielded_mask": 0});
    let r = env.delta(
        &ItemGen::character_name(1),
        &[],
        &[moved],
        &[dumps[1][1]["id"].clone(), dumps[1][1]["object_id"].clone()],
        3,
    );
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    let incremental = fingerprint(&index);
    let n = index.rebuild(|_, _| {}).expect("rebuild");
    assert_eq!(n, env.all_items().len() as u64);
    assert_eq!(index.num_docs(), n, "the rebuilt index holds every item");
    assert_eq!(fingerprint(&index), incremental);
}

/// A reindex on a writer that has committed updates and merges since it opened once lost
/// items now and then (seen only under CPU load, 2 runs in 100 of this file; not reproduced
/// on demand). Rounds of updates, a commit each, each round followed by a reindex, must keep
/// every item every time.
#[test]
fn reindex_after_committed_updates_keeps_every_item() {
    let env = Env::new();
    let (index, _) = env.open_index();
    let mut generator = ItemGen::new(11);
    let dumps: Vec<Vec<Value>> = (0..8).map(|_| generator.character_dump(CharacterKind::Hunter)).collect();
    for round in 0..12i64 {
        for (i, dump) in dumps.iter().enumerate() {
            // Alternate between a shrunk and a whole dump: removals, re-adds and updates, a
            // commit each, so background merges are running when the reindex starts.
            let keep = if (round + i as i64) % 2 == 0 { dump.len() / 2 } else { dump.len() };
            let r = env.full(&ItemGen::character_name(i), &dump[..keep], round * 10 + 1);
            index.apply(&r).expect("apply");
            index.flush().expect("flush");
        }
        let stored = env.all_items().len() as u64;
        assert_eq!(index.num_docs(), stored, "round {round}: before the reindex");
        let n = index.rebuild(|_, _| {}).expect("rebuild");
        assert_eq!(n, stored);
        assert_eq!(index.num_docs(), stored, "round {round}: the reindex kept every item");
        assert_eq!(index.search(&query(&[])).expect("search").total, stored, "round {round}");
    }
}

#[test]
fn a_deleted_or_damaged_index_is_rebuilt_on_open() {
    let (env, index) = populated(3);
    let before = fingerprint(&index);
    drop(index);

    let (index, outcome) = env.open_index();
    assert_eq!(outcome, OpenOutcome::Current, "a clean index opens as is");
    drop(index);

    std::fs::remove_dir_all(env.index_dir()).expect("delete index");
    let (index, outcome) = env.open_index();
    assert!(matches!(outcome, OpenOutcome::Rebuilt(_)), "{outcome:?}");
    assert_eq!(fingerprint(&index), before);
    drop(index);

    // Damage every segment file: truncate them to half their length.
    for entry in std::fs::read_dir(env.index_dir()).expect("list") {
        let path = entry.expect("entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".idx") || name.ends_with(".term") || name.ends_with(".fast") {
            let len = std::fs::metadata(&path).expect("meta").len();
            let f = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
            f.set_len(len / 2).expect("truncate");
        }
    }
    let (index, outcome) = env.open_index();
    assert!(matches!(outcome, OpenOutcome::Rebuilt(_)), "{outcome:?}");
    assert_eq!(fingerprint(&index), before);
    drop(index);

    std::fs::write(env.index_dir().join("meta.json"), b"{ not json").expect("garble meta");
    let (index, outcome) = env.open_index();
    assert!(matches!(outcome, OpenOutcome::Rebuilt(_)), "{outcome:?}");
    assert_eq!(fingerprint(&index), before);
    drop(index);

    std::fs::write(env.index_dir().join("overlord-index.json"), br#"{"schema_version":0,"seq":0}"#)
        .expect("old marker");
    let (_index, outcome) = env.open_index();
    assert!(matches!(outcome, OpenOutcome::Rebuilt(ref why) if why.contains("schema version")), "{outcome:?}");
}

#[test]
fn an_index_that_missed_updates_catches_up_from_the_change_log() {
    let env = Env::new();
    env.full("A", &[json!({"object_id": 1, "name": "Ring"})], 1);
    let (index, _) = env.open_index();
    drop(index);
    // Stored, but the process died before the index saw it.
    env.full("A", &[json!({"object_id": 1, "name": "Ring"}), json!({"object_id": 2, "name": "Necklace"})], 2);
    let (index, outcome) = env.open_index();
    assert_eq!(outcome, OpenOutcome::CaughtUp(1));
    assert_eq!(index.search(&query(&[("q", "necklace")])).expect("search").total, 1);
}

#[test]
fn items_in_the_index_but_gone_from_the_store_are_skipped() {
    let env = Env::new();
    env.full("A", &[json!({"object_id": 1, "name": "Ring"}), json!({"object_id": 2, "name": "Rings"})], 1);
    let (index, _) = env.open_index();
    env.full("A", &[json!({"object_id": 1, "name": "Ring"})], 2);
    let result = index.search(&query(&[("q", "ring")])).expect("search");
    assert_eq!(result.items.len(), 1, "the deleted item is not returned before the index catches up");
}

/// Owner display name → items, straight from the store.
fn owner_counts(env: &Env) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (_, item) in env.all_items() {
        *counts.entry(item.owner).or_default() += 1;
    }
    counts
}

/// The no-filter search (served from cached per-segment counts and name order) must answer
/// exactly like the same search with a filter that matches everything (`min_damage=0`:
/// absent ratings are 0), which runs the generic collector.
fn assert_match_all_equals_generic_path(env: &Env, index: &SearchIndex, label: &str) {
    let facets = "owner,set,object_class,slot,cantrip";
    for sort in ["relevance", "name", "name:desc", "value"] {
        for (limit, offset) in [("20", "0"), ("200", "150"), ("0", "0"), ("7", "10000")] {
            let base = [("facets", facets), ("sort", sort), ("limit", limit), ("offset", offset)];
            let all = index.search(&query(&base)).expect("search");
            let mut filtered = base.to_vec();
            filtered.push(("min_damage", "0"));
            let generic = index.search(&query(&filtered)).expect("search");
            let what = format!("{label}: sort={sort} limit={limit} offset={offset}");
            assert_eq!(all.total, env.all_items().len() as u64, "{what}");
            assert_eq!(all.total, generic.total, "{what}");
            assert_eq!(keys_in_order(&all.items), keys_in_order(&generic.items), "{what}");
            assert_eq!(all.facets, generic.facets, "{what}");
        }
    }
    let result = index.search(&query(&[("facets", "owner"), ("limit", "0")])).expect("search");
    let got: BTreeMap<String, u64> = result.facets[0].1.iter().cloned().collect();
    assert_eq!(got, owner_counts(env), "{label}: owner facet counts every stored item");
}

fn keys_in_order(items: &[Item]) -> Vec<(String, u32)> {
    items.iter().map(|i| (i.owner.to_lowercase(), i.object_id)).collect()
}

#[test]
fn facets_and_order_over_all_items_stay_exact_after_commits_change_them() {
    let (env, index) = populated(9);
    assert_match_all_equals_generic_path(&env, &index, "fresh index");
    // A delta adds, updates and removes items of one owner: a new segment, and deletes in
    // the old one, so cached counts of the old segment must be corrected, not reused.
    let owner = ItemGen::character_name(1);
    let stored: Vec<Item> =
        env.all_items().into_iter().filter(|(o, _)| *o == owner.to_lowercase()).map(|(_, i)| i).collect();
    let removed: Vec<Value> = stored.iter().take(5).map(|i| json!(i.object_id)).collect();
    let updated: Vec<Value> = stored
        .iter()
        .skip(5)
        .take(5)
        .map(|i| json!({"object_id": i.object_id, "name": "Aardvark Helm", "set_id": 14, "coverage_mask": 0x4000}))
        .collect();
    let added = [json!({"object_id": 77, "name": "Zebra Ring", "equip_mask": 0xC0000})];
    let r = env.delta(&owner, &added, &updated, &removed, 5_000);
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    assert_match_all_equals_generic_path(&env, &index, "after a delta");
    let names: Vec<String> =
        index.search(&query(&[("limit", "5")])).expect("search").items.into_iter().map(|i| i.name).collect();
    assert_eq!(names[0], "Aardvark Helm", "the renamed items sort first by name");
    // A full dump replaces another owner's items entirely.
    let mut generator = ItemGen::new(7);
    let r = env.full(&ItemGen::character_name(4), &generator.character_dump(CharacterKind::Mule), 6_000);
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    assert_match_all_equals_generic_path(&env, &index, "after a full dump");
    // A new owner shows up in the owner facet; after a rebuild everything still agrees.
    let r = env.full("Brand New", &generator.character_dump(CharacterKind::Hunter), 7_000);
    index.apply(&r).expect("apply");
    index.flush().expect("flush");
    assert!(owner_counts(&env).contains_key("Brand New"));
    assert_match_all_equals_generic_path(&env, &index, "after a new owner");
    index.rebuild(|_, _| {}).expect("rebuild");
    assert_match_all_equals_generic_path(&env, &index, "after a rebuild");
}
