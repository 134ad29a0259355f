//! Inventory store behaviour: normalization of both wire forms, full dumps, deltas,
//! appraisal merge, owner isolation, malformed items, limits.

#[path = "inventory_support/mod.rs"]
mod common;

use common::Env;
use overlord::inventory::normalize::{MAX_SPELLS_PER_ITEM, MAX_STRING_BYTES};
use overlord::inventory::{InventoryStore, Location, normalize};
use redb::ReadableDatabase;
use serde_json::{Value, json};

/// The `inventory` frame of tests/fixtures/session.jsonl (copied so tests do not depend on
/// where the contracts folder sits).
const FIXTURE_FRAME: &str = r#"{"type": "inventory", "character_name": "Mossy Tank", "mode": "full", "complete": true, "item_count": 2, "items": [{"object_id": 2154384123, "name": "Koujia Sleeves", "object_class": {"id": 2, "name": "Armor"}, "item_type": 2, "value": 14250, "burden": 1210, "workmanship": 8, "material": {"id": 63, "name": "Silver"}, "equip_mask": 6144, "coverage_mask": 12288, "armor_level": 602, "set_id": 14, "spells": [{"id": 6095, "name": "Legendary Impenetrability"}, {"id": 6101, "name": "Legendary Willpower"}], "ratings": {"crit_damage_resist": 2}, "wield_requirements": [{"type": 7, "skill_id": 1, "value": 180}], "tinks": 10}, {"object_id": -2140578408, "name": "Ring", "object_class": {"id": 4, "name": "Jewelry"}, "item_type": 8, "value": 9870, "burden": 15, "equip_mask": 786432, "spells": [{"id": 6107, "name": "Legendary Strength"}], "ratings": {"crit_damage": 2}}]}"#;

fn fixture_items() -> Vec<Value> {
    let frame: Value = serde_json::from_str(FIXTURE_FRAME).expect("fixture parses");
    frame["items"].as_array().expect("items").clone()
}

/// The Koujia Sleeves of docs/protocol.md §5 example 1 in the raw Mag-Tools form only.
fn raw_sleeves() -> Value {
    json!({
        "id": -2140583173, "object_class": 2, "has_id_data": "True", "last_id_time": 1750000000,
        "int_values": {"1": 2, "4": 12288, "5": 1210, "9": 6144, "10": 6144, "19": "14250", "28": 602, "105": 8,
            "131": 63, "158": 7, "159": 1, "160": 180, "171": 10, "265": 14, "375": 2, "218103810": 1342177319},
        "double_values": {"13": 1.0, "14": "0,8", "15": 1.0, "16": 0.5, "17": 0.5, "18": 0.3, "19": 0.6},
        "string_values": {"1": "Koujia Sleeves"},
        "bool_values": {"91": false},
        "spells": [{"id": 1486, "name": "Impenetrability VI"}, {"id": 6095, "name": "Legendary Impenetrability"},
                   {"id": 6101, "name": "Legendary Willpower"}],
        "active_spells": [1486]
    })
}

#[test]
fn fixture_dump_normalizes_to_the_contract_shape() {
    let env = Env::new();
    let report = env.full("Mossy Tank", &fixture_items(), 1_000);
    assert_eq!(report.stored, 2);
    assert_eq!(report.rejected_count, 0);
    let sleeves = env.get("mossy tank", 2_154_384_123).expect("stored");
    assert_eq!(sleeves.slots, vec!["UpperArmArmor", "LowerArmArmor"]);
    assert_eq!(sleeves.coverage, vec!["OuterwearUpperArms", "OuterwearLowerArms"]);
    assert_eq!(sleeves.set_name.as_deref(), Some("Adept's"));
    assert_eq!(sleeves.cantrips, vec!["Legendary Impenetrability", "Legendary Willpower"]);
    assert_eq!(sleeves.ratings.crit_damage_resist, Some(2));
    assert_eq!(sleeves.wield_requirements[0].type_name.as_deref(), Some("Level"));
    assert_eq!(sleeves.wield_level(), 180);
    assert!(sleeves.has_id_data, "appraisal fields present means appraised");
    // The negative id of the ring is the dynamic GUID 0x806822C8... normalized to u32.
    let ring_id = (-2_140_578_408i64 & 0xFFFF_FFFF) as u32;
    let ring = env.get("MOSSY TANK", ring_id).expect("ring stored under its u32 id");
    assert_eq!(ring.cantrips, vec!["Legendary Strength"]);
    assert_eq!(ring.slots, vec!["FingerWearLeft", "FingerWearRight"]);

    let json = serde_json::to_value(sleeves.view(false)).expect("serializes");
    assert_eq!(json["object_class"], json!({"id": 2, "name": "Armor"}));
    assert_eq!(json["ratings"], json!({"crit_damage_resist": 2}));
    assert!(json.get("raw").is_none(), "lists carry no raw maps");
    assert!(json.get("container_id").is_none(), "absent fields are omitted, not null");
    let with_raw = serde_json::to_value(sleeves.view(true)).expect("serializes");
    assert!(with_raw["raw"]["int"].is_object());
}

#[test]
fn raw_form_decodes_like_the_contract_example() {
    let item = normalize("Mossy Tank", &raw_sleeves(), None, 5).expect("valid raw item");
    assert_eq!(item.object_id, 2_154_384_123);
    assert_eq!(item.name, "Koujia Sleeves");
    assert_eq!(item.location, Location::Equipped);
    assert_eq!(item.container_id, Some(1_342_177_319));
    assert_eq!(item.value, Some(14_250));
    assert_eq!(item.object_class.as_ref().map(|c| c.name.as_str()), Some("Armor"));
    assert_eq!(item.material.as_ref().map(|m| m.name.as_str()), Some("Silver"));
    assert_eq!(item.armor_mods.as_ref().and_then(|m| m.pierce), Some(0.8), "comma decimal accepted");
    assert_eq!(item.set_name.as_deref(), Some("Adept's"));
    assert_eq!(item.ratings.crit_damage_resist, Some(2));
    assert_eq!(item.cantrips, vec!["Legendary Impenetrability", "Legendary Willpower"]);
    assert_eq!(item.retained, Some(false));
    assert_eq!(item.raw.int.get(&218_103_810), Some(&1_342_177_319));
    assert_eq!(item.raw.active_spells, vec![1486]);
    assert!(item.has_id_data);
}

#[test]
fn normalized_fields_win_over_raw_ones() {
    let mut wire = raw_sleeves();
    wire["armor_level"] = json!("640");
    wire["name"] = json!("Renamed Sleeves");
    wire["ratings"] = json!({"crit_damage_resist": 3});
    let item = normalize("Mossy Tank", &wire, None, 5).expect("valid");
    assert_eq!(item.armor_level, Some(640));
    assert_eq!(item.name, "Renamed Sleeves");
    assert_eq!(item.ratings.crit_damage_resist, Some(3));
    assert_eq!(item.raw.int.get(&28), Some(&602), "raw maps keep what was received");
}

#[test]
fn weapon_raw_keys_fill_the_weapon_block() {
    let wire = json!({"id": "0x805F6C26", "object_class": "1", "int_values": {
        "48": 44, "49": 60, "218103842": 64, "45": 1, "179": 2, "158": 2, "159": 44, "160": 430, "370": 2},
        "double_values": {"167772171": 0.42, "62": 1.18, "29": 1.17, "63": 1.0},
        "string_values": {"1": "Battle Axe"}});
    let item = normalize("Mossy Tank", &wire, None, 1).expect("valid");
    assert_eq!(item.object_id, 0x805F_6C26);
    let w = item.weapon.expect("weapon block");
    assert_eq!(w.skill.map(|s| s.name), Some("HeavyWeapons".to_string()));
    assert_eq!(w.max_damage, Some(64));
    assert_eq!(w.variance, Some(0.42));
    assert_eq!(w.damage_types, vec!["Slash"]);
    assert_eq!(item.imbues, vec!["CripplingBlow"]);
    assert_eq!(item.wield_requirements[0].skill_name.as_deref(), Some("HeavyWeapons"));
    assert_eq!(item.ratings.damage, Some(2));
}

#[test]
fn stored_json_renormalizes_to_the_same_item() {
    let item = normalize("Mossy Tank", &raw_sleeves(), None, 5).expect("valid");
    let json = serde_json::to_value(item.view(true)).expect("serializes");
    let again = normalize("Mossy Tank", &json, None, 5).expect("its own JSON is a valid item");
    assert_eq!(again, item);
}

#[test]
fn malformed_items_are_rejected_with_a_clear_error_and_the_rest_is_kept() {
    let env = Env::new();
    let mut items = fixture_items();
    items.push(json!({"name": "No Id"}));
    items.push(json!({"object_id": 123}));
    items.push(json!({"object_id": 4_294_967_296u64, "name": "Too Big"}));
    items.push(json!("not an object"));
    items.push(json!({"object_id": 2_154_384_123u32, "name": "Duplicate"}));
    let spells: Vec<Value> = (0..=MAX_SPELLS_PER_ITEM as u32).map(|i| json!(i + 1)).collect();
    items.push(json!({"object_id": 77, "name": "Spell Bomb", "spells": spells}));
    let report = env.full("Mossy Tank", &items, 1);
    assert_eq!(report.stored, 2, "the valid items are stored");
    assert_eq!(report.rejected_count, 6);
    let messages: Vec<&str> = report.rejected.iter().map(|r| r.message.as_str()).collect();
    assert!(messages[0].contains("items[2]") && messages[0].contains("`object_id`"), "{}", messages[0]);
    assert!(messages[1].contains("items[3]") && messages[1].contains("`name`"), "{}", messages[1]);
    assert!(messages[2].contains("items[4]") && messages[2].contains("32-bit"), "{}", messages[2]);
    assert!(messages[3].contains("items[5]") && messages[3].contains("JSON object"), "{}", messages[3]);
    assert!(messages[4].contains("items[6]") && messages[4].contains("twice"), "{}", messages[4]);
    assert!(messages[5].contains("items[7]") && messages[5].contains("`spells`"), "{}", messages[5]);
}

#[test]
fn a_rejected_item_keeps_its_stored_version() {
    let env = Env::new();
    env.full("Mossy Tank", &fixture_items(), 1);
    let broken =
        vec![fixture_items()[0].clone(), json!({"object_id": -2140578408, "spells": (0..70).collect::<Vec<u32>>()})];
    let report = env.full("Mossy Tank", &broken, 2);
    assert_eq!(report.rejected_count, 1);
    assert!(report.removed.is_empty(), "an item present but malformed is not deleted");
    assert_eq!(report.stored, 2);
}

#[test]
fn oversized_strings_are_cut_at_a_character_boundary() {
    let long = "é".repeat(MAX_STRING_BYTES);
    let item = normalize("A", &json!({"object_id": 1, "name": long}), None, 0).expect("valid");
    assert!(item.name.len() <= MAX_STRING_BYTES);
    assert!(item.name.chars().all(|c| c == 'é'));
}

#[test]
fn full_dump_replaces_the_owner_set_and_never_touches_other_owners() {
    let env = Env::new();
    let a1 = json!({"object_id": 1, "name": "Ring"});
    let a2 = json!({"object_id": 2, "name": "Amulet"});
    let b1 = json!({"object_id": 1, "name": "Bracelet"});
    env.full("Alpha", &[a1.clone(), a2], 1);
    env.full("Beta", &[b1], 1);
    let report = env.full("Alpha", &[a1], 2);
    assert_eq!(report.removed.len(), 1, "omitted item deleted");
    assert_eq!(report.unchanged, 1, "same item is not rewritten");
    assert!(report.changed.is_empty());
    assert!(env.get("alpha", 2).is_none());
    assert_eq!(env.get("beta", 1).map(|i| i.name), Some("Bracelet".to_string()), "other owner untouched");
    let txn = env.db.begin_read().expect("read");
    let counts = env.store.counts_by_owner(&txn).expect("counts");
    assert_eq!(counts.get("Alpha"), Some(&1));
    assert_eq!(counts.get("Beta"), Some(&1));
    assert_eq!(env.store.item_count(&txn).expect("count"), 2);
}

#[test]
fn owner_names_match_without_case_and_keep_the_latest_display_name() {
    let env = Env::new();
    env.full("mossy tank", &[json!({"object_id": 1, "name": "Ring"})], 1);
    env.full("Mossy Tank", &[json!({"object_id": 1, "name": "Ring"})], 2);
    let txn = env.db.begin_read().expect("read");
    let owners = env.store.owners(&txn).expect("owners");
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].display_name, "Mossy Tank");
    assert_eq!(env.store.list(&txn, "MOSSY TANK", None).expect("list")[0].owner, "Mossy Tank");
}

#[test]
fn unappraised_item_keeps_the_older_appraised_fields() {
    let env = Env::new();
    env.full("Mossy Tank", &[raw_sleeves()], 1);
    // Mag-Tools at login: the same item, moved to a pack, without id data yet.
    let fresh = json!({"id": -2140583173, "object_class": 2, "has_id_data": false,
        "int_values": {"1": 2, "5": 1210, "9": 6144, "19": 14250, "218103810": -2141000000},
        "string_values": {"1": "Koujia Sleeves"}});
    let report = env.full("Mossy Tank", &[fresh], 2);
    assert_eq!(report.changed.len(), 1);
    let item = env.get("Mossy Tank", 2_154_384_123).expect("kept");
    assert_eq!(item.location, Location::SidePack, "new basic fields apply");
    assert_eq!(item.wielded_mask, 0, "an absent wielded slot means not wielded");
    assert_eq!(item.armor_level, Some(602), "appraised fields kept");
    assert_eq!(item.cantrips, vec!["Legendary Impenetrability", "Legendary Willpower"]);
    assert_eq!(item.ratings.crit_damage_resist, Some(2));
    assert_eq!(item.set_name.as_deref(), Some("Adept's"));
    assert!(item.has_id_data);
    assert_eq!(item.raw.int.get(&28), Some(&602), "appraisal raw keys carried over");
    assert_eq!(item.raw.int.get(&10), None, "basic raw keys are not carried over");
    assert_eq!(item.updated_at, 2);
}

#[test]
fn delta_adds_merges_partial_updates_and_removes() {
    let env = Env::new();
    env.full("Mossy Tank", &fixture_items(), 1);
    let added = [json!({"object_id": 2_154_390_001u32, "name": "Battle Axe", "object_class": {"id": 1}})];
    let updated = [
        json!({"object_id": 2_154_384_123u32, "container_id": 1_342_177_319, "wielded_mask": 6144}),
        json!({"object_id": 999, "stack_size": 3}),
    ];
    let removed = [json!(-2140578408), json!("0x10"), json!("junk")];
    let report = env.delta("Mossy Tank", &added, &updated, &removed, 5);
    assert_eq!(report.changed.len(), 2);
    assert_eq!(report.removed.len(), 1, "unknown ids in `removed` are ignored");
    assert_eq!(report.rejected_count, 2, "an update for an unknown id without a name, and a bad id");
    assert!(report.rejected.iter().any(|r| r.message.contains("updated[1]") && r.message.contains("`name`")));
    assert!(report.rejected.iter().any(|r| r.message.contains("removed[2]")));
    let sleeves = env.get("Mossy Tank", 2_154_384_123).expect("still there");
    assert_eq!(sleeves.location, Location::Equipped);
    assert_eq!(sleeves.armor_level, Some(602), "fields the partial does not name are kept");
    assert_eq!(sleeves.updated_at, 5);
    assert!(env.get("Mossy Tank", 2_154_390_001).is_some());
    assert!(env.get("Mossy Tank", (-2_140_578_408i64 & 0xFFFF_FFFF) as u32).is_none());
    assert_eq!(report.stored, 2);
}

#[test]
fn change_log_lists_changed_keys_after_a_sequence_number() {
    let env = Env::new();
    let r1 = env.full("A", &[json!({"object_id": 1, "name": "X"}), json!({"object_id": 2, "name": "Y"})], 1);
    let r2 = env.full("A", &[json!({"object_id": 1, "name": "X2"})], 2);
    assert_eq!(r1.seq, 2);
    assert_eq!(r2.seq, 4);
    let txn = env.db.begin_read().expect("read");
    let since = env.store.changes_since(&txn, r1.seq).expect("log").expect("reaches back");
    let ids: Vec<u32> = since.iter().map(|k| k.object_id).collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(env.store.changes_since(&txn, r2.seq).expect("log"), Some(vec![]));
}

#[test]
fn list_filters_by_location() {
    let env = Env::new();
    let items = [
        json!({"object_id": 1, "name": "Worn", "wielded_mask": 1, "container_id": 1_342_177_319}),
        json!({"object_id": 2, "name": "Main", "container_id": 1_342_177_319}),
        json!({"object_id": 3, "name": "Side", "container_id": -2141000000}),
    ];
    env.full("A", &items, 1);
    let txn = env.db.begin_read().expect("read");
    let store = InventoryStore::new();
    let names = |loc| store.list(&txn, "a", Some(loc)).expect("list").into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(names(Location::Equipped), vec!["Worn"]);
    assert_eq!(names(Location::MainPack), vec!["Main"]);
    assert_eq!(names(Location::SidePack), vec!["Side"]);
    assert_eq!(store.list(&txn, "a", None).expect("list").len(), 3);
}

#[test]
fn generated_dumps_store_without_rejections() {
    let env = Env::new();
    let mut generator = overlord::inventory::testkit::ItemGen::new(7);
    for kind in [overlord::inventory::testkit::CharacterKind::Hunter, overlord::inventory::testkit::CharacterKind::Mule]
    {
        let items = generator.character_dump(kind);
        let report = env.full("Gen", &items, 1);
        assert_eq!(report.rejected_count, 0, "{:?}", report.rejected.first());
        assert_eq!(report.stored as usize, items.len());
    }
}

mod properties {
    use overlord::inventory::normalize::{NormalizeContext, merge_update};
    use overlord::inventory::testkit::{CharacterKind, ItemGen};
    use overlord::inventory::{Item, normalize};
    use proptest::prelude::*;
    use serde_json::Value;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("object_id"),
            Just("id"),
            Just("name"),
            Just("int_values"),
            Just("double_values"),
            Just("string_values"),
            Just("bool_values"),
            Just("spells"),
            Just("active_spells"),
            Just("raw"),
            Just("int"),
            Just("weapon"),
            Just("ratings"),
            Just("wield_requirements"),
            Just("mana"),
            Just("material"),
            Just("object_class"),
            Just("location"),
            Just("1"),
            Just("10"),
            Just("28"),
            Just("158"),
            Just("265"),
            Just("218103810"),
        ]
        .prop_map(String::from)
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e12f64..1e12).prop_map(Value::from),
            "[ -~é]{0,10}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(key(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn reparsed(item: &Item) -> Item {
        let json = serde_json::to_value(item.view(true)).expect("serializes");
        normalize(&item.owner, &json, None, item.updated_at).expect("an item's own JSON is valid")
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn any_json_normalizes_or_fails_cleanly_and_round_trips(v in json(), prev in json()) {
            if let Ok(item) = normalize("Prop Owner", &v, None, 7) {
                prop_assert_eq!(reparsed(&item), item.clone());
                let _ = normalize("Prop Owner", &prev, Some(&item), 8);
                let _ = merge_update("Prop Owner", &item, &prev, 9, NormalizeContext::default());
            }
        }

        #[test]
        fn generated_items_round_trip_through_their_json(seed in any::<u64>()) {
            let mut generator = ItemGen::new(seed);
            for wire in generator.character_dump(CharacterKind::Hunter).iter().take(40) {
                let item = normalize("Gen", wire, None, 1).expect("generated items are valid");
                prop_assert_eq!(reparsed(&item), item);
            }
        }
    }
}
