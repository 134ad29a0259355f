//! Property fuzzing of everything that parses outside input: plugin frames, inventory
//! normalization, search queries, browser socket messages, and HTTP paths and query
//! strings through the real router. No input may panic, and none may make one call
//! allocate more than [`MAX_CASE_ALLOCATION`] at its peak (a counting allocator watches).
//!
//! The normal test run tries a bounded number of cases per target (about a minute in
//! all on a debug build); `OVERLORD_FUZZ_CASES=100000 cargo test --release --test
//! fuzz_inputs` tries many more.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Peak extra heap one parse may use. Frames are at most 4 MiB and every parser is linear
/// in its input, so anything near this is a leak or an amplification.
const MAX_CASE_ALLOCATION: usize = 64 * 1024 * 1024;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY-free wrapper: forwards to the system allocator and only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Serializes the targets so one's allocations never count against another's peak.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `f` and fails if its peak heap growth passed the bound.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    let grew = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    assert!(grew < MAX_CASE_ALLOCATION, "{what}: one case allocated {grew} bytes");
    out
}

fn cases(default: u32) -> u32 {
    std::env::var("OVERLORD_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config { cases: cases(default_cases), failure_persistence: None, ..Config::default() })
}

/// Arbitrary JSON, biased towards the shapes the parsers look at.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        "[0-9a-fA-Fx.,:+ -]{0,24}".prop_map(Value::String),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Field names the decoders know, and some they do not.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "type",
            "character_name",
            "timestamp",
            "plugin_version",
            "landcell",
            "ew",
            "ns",
            "z",
            "heading",
            "kills",
            "object_id",
            "name",
            "items",
            "landblock",
            "cells",
            "text",
            "sender",
            "request_id",
            "ok",
            "message",
            "to",
            "payload",
            "int_values",
            "double_values",
            "string_values",
            "bool_values",
            "spells",
            "object_class",
            "armor_level",
            "set",
            "wielded_mask",
            "container_id",
        ])
        .prop_map(String::from),
        "[a-z_]{1,12}",
    ]
}

/// A frame-shaped object: a known `type` and a name, then arbitrary fields.
fn plugin_frame() -> impl Strategy<Value = String> {
    let kinds = prop::sample::select(vec![
        "telemetry",
        "vitals",
        "spawn",
        "rare",
        "portal",
        "chat",
        "inventory",
        "dungeon_map",
        "character_stats",
        "combat_stats",
        "quest",
        "cantrips",
        "nearby_objects",
        "command_result",
        "share_loot",
        "nonsense",
    ]);
    (kinds, ".{0,70}", prop::collection::vec((key(), json_value()), 0..12)).prop_map(|(kind, name, fields)| {
        let mut m: Map<String, Value> = fields.into_iter().collect();
        m.insert("type".into(), kind.into());
        m.insert("character_name".into(), name.into());
        Value::Object(m).to_string()
    })
}

#[test]
fn plugin_frames_never_panic() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut r = runner(2_000);
    r.run(&prop_oneof![plugin_frame(), ".{0,300}", json_value().prop_map(|v| v.to_string())], |text| {
        let _ = bounded("plugin frame", || overlord::protocol::decode_plugin_frame(&text));
        Ok(())
    })
    .unwrap();
    // Real frames with one field swapped for garbage.
    let lines = common::fixture_lines();
    let mut r = runner(1_000);
    r.run(&(0..lines.len(), key(), json_value()), |(i, k, v)| {
        if let Ok(Value::Object(mut m)) = serde_json::from_str::<Value>(&lines[i]) {
            m.insert(k, v);
            let text = Value::Object(m).to_string();
            let _ = bounded("mutated fixture frame", || overlord::protocol::decode_plugin_frame(&text));
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn inventory_items_never_panic_normalizing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut items = overlord::inventory::testkit::ItemGen::new(13);
    let real: Vec<Value> = (0..200)
        .map(|i| items.item(0x5000_0000 + i, i % 3 == 0, overlord::inventory::testkit::CharacterKind::Hunter))
        .collect();
    let mut r = runner(1_500);
    let mutated = (0..real.len(), prop::collection::vec((key(), json_value()), 1..4)).prop_map(move |(i, swaps)| {
        let mut item = real[i].clone();
        if let Value::Object(m) = &mut item {
            for (k, v) in swaps {
                m.insert(k, v);
            }
        }
        item
    });
    r.run(&prop_oneof![mutated, json_value()], |item| {
        let _ = bounded("inventory item", || overlord::inventory::normalize("Fuzz Owner", &item, None, 1));
        Ok(())
    })
    .unwrap();
}

#[test]
fn search_queries_never_panic_parsing() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let names = prop::sample::select(vec![
        "q",
        "slot",
        "sort",
        "order",
        "limit",
        "offset",
        "owner",
        "set",
        "min_armor",
        "spell",
        "rating",
        "facets",
        "equipped",
        "x",
    ]);
    let value = prop_oneof![".{0,60}", "[-+\"()a-z0-9:*~ ]{0,80}", "[0-9.e-]{0,12}"];
    let mut r = runner(3_000);
    r.run(&prop::collection::vec((names.prop_map(String::from), value), 0..40), |pairs| {
        let _ = bounded("search query", || overlord::search::SearchQuery::from_pairs(&pairs));
        Ok(())
    })
    .unwrap();
}

#[test]
fn browser_socket_messages_never_panic() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let kinds = prop::sample::select(vec!["subscribe", "command", "request_dungeon_map", "ping", "x"]);
    let shaped = (kinds, prop::collection::vec((key(), json_value()), 0..6)).prop_map(|(k, fields)| {
        let mut m: Map<String, Value> = fields.into_iter().collect();
        m.insert("type".into(), k.into());
        Value::Object(m).to_string()
    });
    let mut r = runner(3_000);
    r.run(&prop_oneof![shaped, ".{0,200}"], |text| {
        let _ = bounded("browser message", || overlord::protocol::browser::decode_browser_message(&text));
        Ok(())
    })
    .unwrap();
}

#[test]
fn http_paths_and_queries_never_panic_the_router() {
    use tower::ServiceExt;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut server = rt.block_on(common::TestServer::start());
    let app = server.running.as_ref().unwrap().app.clone();
    let router = overlord::http::router(app.clone());
    let prefixes = prop::sample::select(vec![
        "/api/characters/",
        "/api/items/search?",
        "/api/items/",
        "/api/world/",
        "/api/notes/",
        "/api/live",
        "/api/events?",
        "/api/characters/Mossy%20Tank/trail?",
        "/api/suitbuilder/",
        "/api/admin/users/",
        "/assets/",
        "/",
        "/ws/",
    ]);
    let tail = prop_oneof!["[ -~]{0,80}", "(%[0-9a-fA-F]{0,2}|[a-z=&/.?é]){0,40}", ".{0,40}"];
    let methods = prop::sample::select(vec!["GET", "POST", "PATCH", "DELETE", "HEAD"]);
    let mut r = runner(600);
    r.run(&(methods, prefixes, tail), |(method, prefix, tail)| {
        let uri = format!("{prefix}{tail}");
        let Ok(req) = axum::http::Request::builder()
            .method(method)
            .uri(&uri)
            .header("host", "127.0.0.1")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40000))))
            .body(axum::body::Body::empty())
        else {
            return Ok(()); // not a URI at all: hyper would have refused it before routing
        };
        let status = rt.block_on(async {
            let resp = router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let _ = axum::body::to_bytes(resp.into_body(), 64 << 20).await;
            status
        });
        prop_assert!(status.as_u16() != 500, "{method} {uri} answered 500");
        Ok(())
    })
    .unwrap();
    assert_eq!(app.metrics.guard.http_panics.load(Ordering::Relaxed), 0, "a handler panicked");
    rt.block_on(server.stop());
}
