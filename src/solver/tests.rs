//! Hand-written scenarios, one per rule of docs/solver.md, each with its expected suit; plus
//! error cases, serialization shapes, cancellation and thread-count independence.

use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::testkit::{loot_pool, typical_request};
use super::*;

fn solve_json(req: Value, items: Vec<Value>) -> Result<SolveOutcome, SolverError> {
    let mut req = req;
    if let Some(o) = req.as_object_mut() {
        o.entry("character").or_insert(json!("Hero"));
        o.insert("items".into(), Value::Array(items.clone()));
    }
    let request: SuitRequest = serde_json::from_value(req).expect("request decodes");
    let wearables = request.items.clone().unwrap_or_default();
    solve_request(&request, wearables, None, &mut |_| {}, &AtomicBool::new(false))
}

fn ids(out: &SolveOutcome) -> Vec<u32> {
    out.suits[0].object_ids()
}

fn armor(id: u32, cov: u32, al: i64) -> Value {
    json!({"object_id": id, "owner": "Hero", "name": format!("A{id}"), "item_type": 2,
        "coverage_mask": cov, "armor_level": al})
}

fn jewel(id: u32, equip: u32, spells: &[&str]) -> Value {
    json!({"object_id": id, "owner": "Hero", "name": format!("J{id}"), "item_type": 8,
        "equip_mask": equip, "cantrips": spells})
}

#[test]
fn overlapping_coverage_items_are_never_worn_together() {
    // A coat (chest+abdomen+upper arms, 90 each part = 270) against a breastplate (150)
    // and pauldrons (150) that overlap it: 300 in two pieces wins.
    let out = solve_json(
        json!({"allow_reduction": false}),
        vec![armor(1, 0x1C00, 90), armor(2, 0x400, 150), armor(3, 0x1000, 150)],
    )
    .expect("solve");
    assert_eq!(ids(&out), vec![2, 3]);
    assert_eq!(out.suits[0].armor_level_total, 300);
    let out = solve_json(
        json!({"allow_reduction": false}),
        vec![armor(1, 0x1C00, 120), armor(2, 0x400, 150), armor(3, 0x1000, 150)],
    )
    .expect("solve");
    assert_eq!(ids(&out), vec![1], "360 as a coat beats 300 in two pieces");
}

#[test]
fn under_layer_and_outer_armor_share_a_body_part() {
    let shirt = json!({"object_id": 10, "owner": "Hero", "name": "Shirt", "coverage_mask": 0x28, "armor_level": 10});
    let out = solve_json(json!({}), vec![armor(1, 0x400, 100), shirt]).expect("solve");
    assert_eq!(ids(&out), vec![1, 10]);
    let chest = out.suits[0].items.iter().find(|i| i.object_id == 10).map(|i| i.position.clone());
    assert_eq!(chest.as_deref(), Some("under_chest+under_upper_arms"));
}

#[test]
fn a_tunic_and_pants_that_both_cover_the_abdomen_conflict() {
    let tunic = json!({"object_id": 10, "owner": "Hero", "coverage_mask": 0x38, "armor_level": 30});
    let pants = json!({"object_id": 11, "owner": "Hero", "coverage_mask": 0x16, "armor_level": 20});
    let out = solve_json(json!({}), vec![tunic, pants]).expect("solve");
    assert_eq!(ids(&out), vec![10], "3 parts × 30 beat 3 parts × 20; both cannot be worn");
}

#[test]
fn two_rings_are_one_unordered_pair_and_the_best_two_are_worn() {
    let items = vec![
        jewel(5, 0xC0000, &["Legendary Strength"]),
        jewel(6, 0xC0000, &["Epic Focus"]),
        jewel(7, 0xC0000, &["Major Strength"]),
    ];
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength"}, {"family": "Focus"}], "top_k": 5}), items)
        .expect("solve");
    assert_eq!(ids(&out), vec![5, 6]);
    assert_eq!(out.suits[0].score, 7_000);
    let positions: Vec<&str> = out.suits[0].items.iter().map(|i| i.position.as_str()).collect();
    assert_eq!(positions, vec!["finger_left", "finger_right"]);
    // Distinct suits: {5,6} is never reported again as {6,5}.
    let all: Vec<Vec<u32>> = out.suits.iter().map(|s| s.object_ids()).collect();
    let mut dedup = all.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), all.len());
}

#[test]
fn identical_rings_tie_break_to_the_smallest_ids() {
    let items: Vec<Value> = [40, 12, 33, 27].iter().map(|&id| jewel(id, 0xC0000, &["Epic Focus"])).collect();
    let out = solve_json(json!({"wanted_spells": [{"family": "Focus"}]}), items).expect("solve");
    assert_eq!(out.suits[0].score, 3_000);
    // A second ring adds nothing, and [12] sorts before [12, 27] (a prefix is smaller).
    assert_eq!(ids(&out), vec![12]);
}

#[test]
fn aetheria_need_an_unlocked_slot_and_are_assumed_without_a_profile() {
    let sigil = json!({"object_id": 9, "owner": "Hero", "equip_mask": 0x10000000, "set_id": 36,
        "item_level": {"current": 3, "max": 5}});
    let none = solve_json(json!({"profile": {"level": 200}}), vec![sigil.clone()]).expect("solve");
    assert!(none.suits[0].items.is_empty());
    let blue =
        solve_json(json!({"profile": {"level": 200, "aetheria_slots": ["blue"]}}), vec![sigil.clone()]).expect("solve");
    assert_eq!(ids(&blue), vec![9]);
    assert_eq!(blue.suits[0].components.sets, 900, "Sigil of Destruction at level 3 = 3 × 300");
    let assumed = solve_json(json!({}), vec![sigil]).expect("solve");
    assert_eq!(ids(&assumed), vec![9]);
    assert!(assumed.stats.aetheria_slots_assumed);
    assert!(!assumed.stats.requirements_checked);
}

#[test]
fn weapons_are_not_part_of_a_suit() {
    let axe = json!({"object_id": 3, "owner": "Hero", "equip_mask": 0x100000, "cantrips": ["Legendary Strength"]});
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength"}]}), vec![axe]).expect("solve");
    assert!(out.suits[0].items.is_empty());
    assert_eq!(out.stats.items.not_wearable, 1);
}

#[test]
fn loot_leggings_are_reduced_when_that_frees_a_part() {
    let legs = json!({"object_id": 1, "owner": "Hero", "name": "Leggings", "coverage_mask": 0x300,
        "armor_level": 100, "material": {"id": 61}});
    let greaves = json!({"object_id": 2, "owner": "Hero", "name": "Greaves", "coverage_mask": 0x200,
        "armor_level": 90, "cantrips": ["Legendary Strength"]});
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength"}]}), vec![legs.clone(), greaves.clone()])
        .expect("solve");
    assert_eq!(ids(&out), vec![1, 2]);
    let worn = &out.suits[0].items;
    let l = worn.iter().find(|i| i.object_id == 1).expect("leggings");
    assert_eq!(l.reduce_to.as_deref(), Some("upper_legs"));
    assert_eq!(l.position, "upper_legs");
    assert_eq!(out.suits[0].armor_level_total, 190, "a reduced piece counts its armor once");
    // Without reduction the leggings and greaves conflict; the cantrip wins.
    let out = solve_json(
        json!({"wanted_spells": [{"family": "Strength"}], "allow_reduction": false}),
        vec![legs.clone(), greaves.clone()],
    )
    .expect("solve");
    assert_eq!(ids(&out), vec![2]);
    // Non-loot (no material) is never reduced either.
    let mut quest_legs = legs;
    if let Some(o) = quest_legs.as_object_mut() {
        o.remove("material");
    }
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength"}]}), vec![quest_legs, greaves]).expect("solve");
    assert_eq!(ids(&out), vec![2]);
}

#[test]
fn robes_are_never_reduced() {
    let robe = json!({"object_id": 1, "owner": "Hero", "coverage_mask": 0x13F00, "armor_level": 10,
        "material": {"id": 6}});
    let helm_free_feet = json!({"object_id": 2, "owner": "Hero", "coverage_mask": 0x10000, "armor_level": 100});
    let out = solve_json(json!({}), vec![robe, helm_free_feet]).expect("solve");
    assert_eq!(ids(&out), vec![2], "robe 7 × 10 = 70 < boots 100; a robe cannot be cut to free the feet");
}

#[test]
fn wield_requirements_are_checked_against_the_profile() {
    let helm = json!({"object_id": 1, "owner": "Hero", "coverage_mask": 0x4000, "armor_level": 500,
        "wield_requirements": [{"type": 7, "skill_id": 1, "value": 180}]});
    let cap = json!({"object_id": 2, "owner": "Hero", "coverage_mask": 0x4000, "armor_level": 100,
        "wield_requirements": [{"type": 2, "skill_id": 44, "value": 300}]});
    let low = solve_json(
        json!({"profile": {"level": 150, "skills": {"44": {"base": 310, "current": 400, "training": 3}}}}),
        vec![helm.clone(), cap.clone()],
    )
    .expect("solve");
    assert_eq!(ids(&low), vec![2]);
    assert!(low.suits[0].requirements_checked);
    assert_eq!(low.stats.items.requirements_unmet, 1);
    let unchecked = solve_json(json!({}), vec![helm, cap]).expect("solve");
    assert_eq!(ids(&unchecked), vec![1]);
    assert!(!unchecked.suits[0].requirements_checked);
}

#[test]
fn attuned_items_of_other_characters_are_not_eligible() {
    let mine = json!({"object_id": 1, "owner": "hero", "coverage_mask": 0x4000, "armor_level": 100, "attuned": 1});
    let mules = json!({"object_id": 2, "owner": "Mule", "coverage_mask": 0x4000, "armor_level": 500, "attuned": true});
    let out = solve_json(json!({}), vec![mine, mules]).expect("solve");
    assert_eq!(ids(&out), vec![1]);
    assert_eq!(out.stats.items.attuned_elsewhere, 1);
}

#[test]
fn excluded_items_are_dropped_and_locked_items_are_worn() {
    let items = vec![armor(1, 0x4000, 500), armor(2, 0x4000, 100), armor(3, 0x400, 50)];
    let out = solve_json(json!({"excluded": [1]}), items.clone()).expect("solve");
    assert_eq!(ids(&out), vec![2, 3]);
    let out = solve_json(json!({"locked": [2]}), items).expect("solve");
    assert_eq!(ids(&out), vec![2, 3], "locked 2 is worn although 1 is better");
}

#[test]
fn conflicting_locked_items_are_a_422_naming_both() {
    let items = vec![armor(1, 0x4000, 500), armor(2, 0x4000, 100)];
    let err = solve_json(json!({"locked": [1, 2]}), items.clone()).expect_err("conflict");
    assert_eq!(err.http_status(), 422);
    assert!(err.message().contains("1 (A1)") && err.message().contains("2 (A2)"), "{}", err.message());
    let err = solve_json(json!({"locked": [77]}), items.clone()).expect_err("missing");
    assert!(err.message().contains("77"));
    let mut req_item = armor(3, 0x400, 10);
    if let Some(o) = req_item.as_object_mut() {
        o.insert("wield_requirements".into(), json!([{"type": 7, "value": 250}]));
    }
    let err = solve_json(json!({"locked": [3], "profile": {"level": 100}}), vec![req_item]).expect_err("ineligible");
    assert!(err.message().contains("3 (A3)") && err.message().contains("level"), "{}", err.message());
    // Three locked rings cannot share two fingers.
    let rings: Vec<Value> = (1..=3).map(|i| jewel(i, 0xC0000, &[])).collect();
    let err = solve_json(json!({"locked": [1, 2, 3]}), rings).expect_err("three rings");
    assert_eq!(err.code(), "invalid");
    // A reducible locked pair is fine when a reduction resolves it.
    let legs =
        json!({"object_id": 1, "owner": "Hero", "coverage_mask": 0x300, "armor_level": 100, "material": {"id": 61}});
    let out = solve_json(json!({"locked": [1, 2]}), vec![legs, armor(2, 0x200, 50)]).expect("reduction resolves it");
    assert_eq!(ids(&out), vec![1, 2]);
}

#[test]
fn too_many_items_is_a_413() {
    let items: Vec<Wearable> = (0..request::MAX_ITEMS as u32 + 1)
        .map(|i| Wearable::from_item_json(&armor(i + 1, 0x4000, 1)).expect("item"))
        .collect();
    let req: SuitRequest = serde_json::from_value(json!({"character": "Hero", "owners": ["Hero"]})).expect("req");
    let err = Problem::new(&req, items, None).expect_err("too many");
    assert_eq!(err.http_status(), 413);
}

#[test]
fn filters_keep_other_kinds_and_locked_items() {
    let armor_cd2 = json!({"object_id": 1, "owner": "Hero", "item_type": 2, "coverage_mask": 0x4000,
        "armor_level": 500, "ratings": {"crit_damage": 2}});
    let armor_cd1 = json!({"object_id": 2, "owner": "Hero", "item_type": 2, "coverage_mask": 0x4000,
        "armor_level": 100, "ratings": {"crit_damage": 1}});
    let ring_cd2 = json!({"object_id": 3, "owner": "Hero", "item_type": 8, "equip_mask": 0xC0000,
        "ratings": {"crit_damage": 2}});
    let items = vec![armor_cd2, armor_cd1, ring_cd2];
    let f = json!({"armor_crit_damage_tiers": [0, 1]});
    let out = solve_json(json!({"filters": f}), items.clone()).expect("solve");
    assert_eq!(ids(&out), vec![2, 3]);
    let out = solve_json(json!({"filters": f, "locked": [1]}), items).expect("solve");
    assert_eq!(ids(&out), vec![1, 3]);
}

#[test]
fn only_the_highest_tier_of_a_family_counts() {
    let items = vec![
        jewel(1, 0x8000, &["Major Strength"]),
        jewel(2, 0xC0000, &["Legendary Strength"]),
        jewel(3, 0xC0000, &["Legendary Strength", "Minor Focus"]),
    ];
    let out =
        solve_json(json!({"wanted_spells": [{"family": "strength"}, {"family": "Focus"}]}), items).expect("solve");
    assert_eq!(out.suits[0].components.spells, 5_000, "Legendary Strength 4 + Minor Focus 1; duplicates add nothing");
    assert_eq!(out.suits[0].spells[1], SuitSpell { family: "strength".into(), tier: "Legendary".into() });
}

#[test]
fn below_min_tier_a_family_scores_nothing() {
    let items = vec![jewel(1, 0x8000, &["Major Strength"])];
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength", "min_tier": "Epic"}]}), items).expect("solve");
    assert_eq!(out.suits[0].components.spells, 0);
}

#[test]
fn item_acting_families_never_count() {
    let items = vec![jewel(1, 0x8000, &["Legendary Impenetrability", "Legendary Blade Bane"])];
    let err = solve_json(json!({"wanted_spells": [{"family": "Impenetrability"}]}), items.clone()).expect_err("422");
    assert_eq!(err.http_status(), 422);
    let out = solve_json(json!({"wanted_spells": [{"family": "Strength"}]}), items).expect("solve");
    assert!(out.suits[0].spells.is_empty(), "item-acting cantrips are not listed as suit spells");
}

#[test]
fn set_tables_count_pieces_and_can_be_replaced() {
    let piece = |id: u32, cov: u32| json!({"object_id": id, "owner": "Hero", "coverage_mask": cov, "armor_level": 0, "set_id": 13});
    let items = vec![piece(1, 0x4000), piece(2, 0x8000), piece(3, 0x10000)];
    let out = solve_json(json!({}), items.clone()).expect("solve");
    assert_eq!(out.suits[0].components.sets, 2_000, "three Soldier's pieces = 2,000 (shipped table)");
    assert_eq!(out.suits[0].sets, vec![SuitSet { set_id: 13, name: "Soldier's".into(), pieces: 3 }]);
    let out = solve_json(json!({"sets": [{"set_id": 13, "values": {"2": 500, "5": 10000}}]}), items).expect("solve");
    assert_eq!(out.suits[0].components.sets, 500, "value of the largest count ≤ 3 in the replaced table");
}

#[test]
fn ratings_are_weighted_and_capped() {
    let items = vec![
        json!({"object_id": 1, "owner": "Hero", "equip_mask": 0x8000, "ratings": {"crit_damage": 3}}),
        json!({"object_id": 2, "owner": "Hero", "equip_mask": 0x4000000, "ratings": {"crit_damage": 2}}),
    ];
    let out = solve_json(json!({"caps": {"crit_damage": 4}}), items.clone()).expect("solve");
    assert_eq!(out.suits[0].components.ratings, 400);
    assert_eq!(out.suits[0].ratings.get("crit_damage"), Some(&5));
    let out = solve_json(json!({"weights": {"ratings": {"crit_damage": 7}}}), items).expect("solve");
    assert_eq!(out.suits[0].components.ratings, 35);
}

#[test]
fn armor_counts_level_times_parts_and_its_weight() {
    let out = solve_json(json!({"weights": {"armor": 3}}), vec![armor(1, 0x3000, 200)]).expect("solve");
    assert_eq!(out.suits[0].armor_level_total, 400);
    assert_eq!(out.suits[0].components.armor, 1_200);
}

#[test]
fn top_k_lists_distinct_suits_best_first() {
    let items = vec![armor(1, 0x4000, 300), armor(2, 0x4000, 200), armor(3, 0x4000, 100)];
    let out = solve_json(json!({"top_k": 3}), items).expect("solve");
    let got: Vec<(i64, Vec<u32>)> = out.suits.iter().map(|s| (s.score, s.object_ids())).collect();
    assert_eq!(got, vec![(300, vec![1]), (200, vec![2]), (100, vec![3])]);
}

#[test]
fn a_cancelled_search_returns_promptly_and_not_optimal() {
    let items = loot_pool(7, 400);
    let mut req = typical_request(7);
    req.threads = Some(2);
    let p = Problem::new(&req, items, None).expect("problem");
    let cancel = AtomicBool::new(true);
    let t = std::time::Instant::now();
    let out = solve(&p, &mut |_| {}, &cancel).expect("solve");
    assert!(t.elapsed() < std::time::Duration::from_millis(500));
    assert!(!out.optimal);
    assert_eq!(out.stats.stop, StopReason::Cancelled);
    assert!(!out.suits.is_empty(), "the incumbent is still reported");
    assert!(out.stats.upper_bound >= out.suits[0].score);
}

#[test]
fn a_time_limited_search_reports_its_gap() {
    let items = loot_pool(3, 1_000);
    let mut req = typical_request(3);
    req.time_limit_ms = Some(300);
    req.threads = Some(1);
    let p = Problem::new(&req, items, None).expect("problem");
    let mut progress = 0;
    let out = solve(&p, &mut |e| progress += usize::from(e.event_name() == "progress"), &AtomicBool::new(false))
        .expect("solve");
    if !out.optimal {
        assert_eq!(out.stats.stop, StopReason::TimeLimit);
        assert_eq!(out.stats.gap, out.stats.upper_bound - out.suits[0].score);
        assert!(out.stats.gap >= 0);
    }
    assert!(out.stats.elapsed_ms < 1_500);
}

/// Solves a generated pool for its top `top_k` suits with `threads` threads.
fn solve_pool(seed: u64, items: usize, top_k: usize, threads: usize) -> SolveOutcome {
    let mut req = typical_request(seed);
    req.top_k = top_k;
    req.threads = Some(threads);
    let p = Problem::new(&req, loot_pool(seed, items), None).expect("problem");
    solve(&p, &mut |_| {}, &AtomicBool::new(false)).expect("solve")
}

#[test]
fn thread_count_does_not_change_the_result() {
    let one = solve_pool(11, 150, 3, 1);
    let four = solve_pool(11, 150, 3, 4);
    assert!(one.optimal && four.optimal);
    assert_eq!(one.suits, four.suits);
}

#[test]
fn suits_and_outcomes_serialize_as_api_md_says() {
    let out = solve_json(
        json!({"wanted_spells": [{"family": "Strength"}]}),
        vec![json!({"object_id": 2154384123u32, "owner": "Hero", "name": "Koujia Sleeves", "coverage_mask": 12288,
            "armor_level": 602, "set_id": 14, "material": {"id": 63},
            "spells": [{"id": 6095, "name": "Legendary Impenetrability"}, {"id": 6107, "name": "Legendary Strength"}],
            "ratings": {"crit_damage_resist": 2}})],
    )
    .expect("solve");
    let v = serde_json::to_value(&out).expect("json");
    let keys = |x: &Value| x.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(keys(&v), vec!["optimal", "stats", "suits"]);
    let suit = &v["suits"][0];
    for k in ["score", "components", "items", "spells", "sets", "ratings", "armor_level_total"] {
        assert!(suit.get(k).is_some(), "suit lacks {k}");
    }
    assert_eq!(keys(&suit["components"]), vec!["armor", "ratings", "sets", "spells"]);
    assert_eq!(keys(&suit["items"][0]), vec!["name", "object_id", "owner", "position", "reduce_to"]);
    assert_eq!(suit["spells"][0], json!({"family": "Strength", "tier": "Legendary"}));
    assert_eq!(suit["sets"][0], json!({"set_id": 14, "name": "Adept's", "pieces": 1}));
    let progress =
        SolverEvent::Progress { nodes: 1, nodes_per_s: 2, best_score: Some(3), upper_bound: 4, elapsed_ms: 5 };
    assert_eq!(progress.event_name(), "progress");
    assert_eq!(
        keys(&serde_json::to_value(&progress).expect("json")),
        vec!["best_score", "elapsed_ms", "nodes", "nodes_per_s", "upper_bound"]
    );
}

#[test]
fn protocol_example_items_decode() {
    let ring = json!({"object_id":2154388888u32,"owner":"Mossy Mage","name":"Ring","object_class":{"id":4,"name":"Jewelry"},
        "item_type":8,"material":{"id":60,"name":"Gold"},"equip_mask":786432,"coverage_mask":0,
        "spells":[{"id":6107,"name":"Legendary Strength"},{"id":6063,"name":"Legendary Magic Resistance"}],
        "cantrips":["Legendary Strength","Legendary Magic Resistance"],
        "ratings":{"crit_damage":2,"damage_resist":1},
        "wield_requirements":[{"type":7,"type_name":"Level","skill_id":1,"value":180}],"unknown_field":1});
    let w: Wearable = serde_json::from_value(ring).expect("decodes");
    assert_eq!(w.cantrips.len(), 2);
    assert_eq!(w.placement(), Placement::Equip(vec![(SlotGroup::Fingers, 0b11)]));
    assert_eq!(w.wield_requirements[0].value, 180);
    let neg = Wearable::from_item_json(&json!({"object_id": -2141230042, "owner": "A", "armor_level": "612"}))
        .expect("decodes");
    assert_eq!(neg.object_id, 0x805F_6C26);
    assert_eq!(neg.armor_level, 612);
    assert!(Wearable::from_item_json(&json!({"owner": "A"})).is_err());
}

#[test]
fn work_sharing_between_threads_does_not_change_the_result() {
    // Pools large enough that idle workers take subtrees over from busy ones.
    for seed in [3u64, 4] {
        let one = solve_pool(seed, 300, 2, 1);
        let three = solve_pool(seed, 300, 2, 3);
        assert!(one.optimal && three.optimal, "seed {seed}");
        assert_eq!(one.suits, three.suits, "seed {seed}");
    }
}
