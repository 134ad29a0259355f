//! Items end to end over the plugin socket: full dump then search, deltas within a second,
//! owner isolation, malformed items refused by name while the rest is kept.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn item(id: i64, name: &str, extra: Value) -> Value {
    let mut v = json!({"object_id": id, "name": name, "object_class": {"id": 2, "name": "Armor"}, "has_id_data": true});
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

fn dump(owner: &str, items: Vec<Value>) -> Value {
    json!({"type":"inventory","character_name":owner,"mode":"full","complete":true,"item_count":items.len(),"items":items})
}

async fn search_until(server: &TestServer, q: &str, pred: impl Fn(&Value) -> bool) -> (Value, Duration) {
    let t0 = Instant::now();
    loop {
        let (s, v) = server.get(&format!("/api/items/search?{q}")).await;
        assert_eq!(s, 200, "{v}");
        if pred(&v) {
            return (v, t0.elapsed());
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "search never matched: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_full_dump_is_searchable_and_deltas_show_within_a_second() {
    let mut server = TestServer::start().await;
    let mut p = plugin(&server).await;
    let items = vec![
        item(
            -2140583173,
            "Koujia Sleeves",
            json!({"coverage_mask": 12288, "armor_level": 602, "set_id": 14,
            "spells": [{"id": 6101, "name": "Legendary Willpower"}]}),
        ),
        item(
            2154388888,
            "Ring",
            json!({"object_class": {"id": 4, "name": "Jewelry"}, "equip_mask": 786432,
            "spells": [{"id": 6107, "name": "Legendary Strength"}], "ratings": {"crit_damage": 2}}),
        ),
    ];
    send(&mut p, &dump("Mossy Tank", items)).await;
    let (v, _) = search_until(&server, "q=koujia", |v| v["total"] == json!(1)).await;
    assert_eq!(v["items"][0]["object_id"], json!(2154384123u32));
    let (v, _) = search_until(&server, "cantrip=Strength&facets=owner,set", |v| v["total"] == json!(1)).await;
    assert_eq!(v["items"][0]["name"], "Ring");
    assert_eq!(v["facets"]["owner"]["Mossy Tank"], json!(1));

    send(
        &mut p,
        &json!({"type":"inventory_delta","character_name":"Mossy Tank",
        "added":[item(2154390001, "Battle Axe", json!({"object_class": {"id": 1, "name": "MeleeWeapon"}}))],
        "removed":[2154388888u32]}),
    )
    .await;
    let (_, took) = search_until(&server, "q=battle", |v| v["total"] == json!(1)).await;
    assert!(took < Duration::from_secs(2), "delta took {took:?}");
    search_until(&server, "q=ring", |v| v["total"] == json!(0)).await;

    let (_, inv) = server.get("/api/characters/Mossy%20Tank/inventory").await;
    assert_eq!(inv["items"].as_array().unwrap().len(), 2);
    let (s, one) = server.get("/api/items/Mossy%20Tank/2154390001").await;
    assert_eq!(s, 200);
    assert!(one.get("raw").is_some(), "the single-item endpoint includes raw");
    let (_, stats) = server.get("/api/items/stats").await;
    assert_eq!(stats["items_total"], json!(2));
    server.stop().await;
}

/// A server where "Alpha One" and "Bravo One" each hold one helm, both searchable.
async fn two_owners_with_a_helm() -> (TestServer, Ws, Ws) {
    let server = TestServer::start().await;
    let mut a = plugin(&server).await;
    let mut b = plugin(&server).await;
    send(&mut a, &dump("Alpha One", vec![item(1001, "Alpha Helm", json!({}))])).await;
    send(&mut b, &dump("Bravo One", vec![item(2001, "Bravo Helm", json!({}))])).await;
    search_until(&server, "q=helm", |v| v["total"] == json!(2)).await;
    (server, a, b)
}

#[tokio::test]
async fn a_full_dump_for_one_owner_never_touches_another() {
    let (mut server, mut a, _b) = two_owners_with_a_helm().await;
    send(&mut a, &dump("Alpha One", vec![])).await;
    let (v, _) = search_until(&server, "q=helm", |v| v["total"] == json!(1)).await;
    assert_eq!(v["items"][0]["owner"], "Bravo One");
    server.stop().await;
}

#[tokio::test]
async fn malformed_items_are_refused_by_name_and_the_rest_kept() {
    let mut server = TestServer::start().await;
    let mut p = plugin(&server).await;
    send(
        &mut p,
        &dump(
            "Mossy Tank",
            vec![item(5, "Good Gauntlets", json!({})), json!({"name": "No Id"}), json!({"object_id": 7})],
        ),
    )
    .await;
    let e = recv_until(&mut p, Duration::from_secs(5), |v| v["type"] == "error").await.unwrap();
    let msg = e["message"].as_str().unwrap();
    assert!(msg.starts_with("2 item(s) rejected, 1 stored"), "{msg}");
    search_until(&server, "q=gauntlets", |v| v["total"] == json!(1)).await;
    server.stop().await;
}

#[tokio::test]
async fn items_survive_a_restart_and_a_deleted_index_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = TestServer::start_in(tmp.path(), settings_for(tmp.path())).await;
    let mut p = plugin(&server).await;
    send(&mut p, &dump("Keeper", (0..50).map(|i| item(100 + i, &format!("Relic {i}"), json!({}))).collect())).await;
    search_until(&server, "q=relic", |v| v["total"] == json!(50)).await;
    server.stop().await;
    std::fs::remove_dir_all(tmp.path().join("index")).unwrap();
    let mut server = TestServer::start_in(tmp.path(), settings_for(tmp.path())).await;
    search_until(&server, "q=relic", |v| v["total"] == json!(50)).await;
    server.stop().await;
}

#[tokio::test]
async fn repeated_and_encoded_query_parameters_reach_the_search() {
    let (mut server, _a, _b) = two_owners_with_a_helm().await;
    // Repeated `owner`, a `+` for a space and a percent-encoded space both decode.
    search_until(&server, "owner=Alpha+One&owner=Bravo%20One&q=helm", |v| v["total"] == json!(2)).await;
    search_until(&server, "owner=Bravo%20One", |v| v["total"] == json!(1)).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_directory_deleted_while_running_is_rebuilt_and_search_keeps_answering() {
    let mut server = TestServer::start().await;
    let mut p = plugin(&server).await;
    send(&mut p, &dump("Index Keeper", vec![item(101, "Gold Ring", json!({})), item(102, "Iron Helm", json!({}))]))
        .await;
    search_until(&server, "q=ring", |v| v["total"] == json!(1)).await;

    std::fs::remove_dir_all(server.dir.join("index")).unwrap();
    // Searches keep answering from what is open while the index heals itself.
    let (s, v) = server.get("/api/items/search?q=helm").await;
    assert_eq!(s, 200, "{v}");
    send(
        &mut p,
        &json!({"type":"inventory_delta","character_name":"Index Keeper",
        "added":[item(103, "Silver Bracelet", json!({}))], "removed":[101]}),
    )
    .await;
    search_until(&server, "q=bracelet", |v| v["total"] == json!(1)).await;
    search_until(&server, "q=ring", |v| v["total"] == json!(0)).await;
    search_until(&server, "q=helm", |v| v["total"] == json!(1)).await;
    assert!(server.dir.join("index").join("meta.json").exists(), "the index directory is back");
    let (_, stats) = server.get("/api/items/stats").await;
    assert_eq!(stats["items_total"], json!(2));
    server.stop().await;

    // The healed index opens as current at the next start.
    let dir = server.dir.clone();
    let mut again = TestServer::start_in(&dir, settings_for(&dir)).await;
    let (_, v) = again.get("/api/items/search?q=bracelet").await;
    assert_eq!(v["total"], json!(1), "{v}");
    again.stop().await;
}
