//! Every frame the simulator builds is a JSON object with the fields docs/protocol.md §3
//! requires, decodable with the server's tolerant decoders, within the size limits, and
//! the quirks of §1 really occur across a population.

use std::collections::{BTreeMap, HashSet};

use overlord::protocol::lenient::{bool_of, f64_of, i64_of, u32_id_of, u32_of, u64_of, unix_ms_of};
use overlord::sim::frames::Frame;
use overlord::sim::roster::ChatLine;
use overlord::sim::{Character, CharacterConfig, Roster};
use serde_json::{Value, json};

/// Frame limits of docs/protocol.md §1.
const BIG_FRAME_LIMIT: usize = 4 << 20;
const SMALL_FRAME_LIMIT: usize = 64 << 10;

fn population(cfg: &CharacterConfig, n: usize) -> Vec<Character> {
    let roster = Roster::generate(cfg.seed, n);
    roster
        .entries
        .iter()
        .map(|e| Character::new(e, ("Moss Lords", "Bigmoss", Some("Mossy Mage"), vec!["Mossy Mage".into()]), cfg))
        .collect()
}

/// Two simulated hours of `n` characters, plus chat, commands and a dungeon visit each.
fn simulate(cfg: &CharacterConfig, n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, c) in population(cfg, n).iter_mut().enumerate() {
        c.login(&mut out, true);
        for _ in 0..2 * 3600 {
            c.advance(1.0, &mut out);
        }
        c.on_chat(&ChatLine { sender: "Sirbuffsalot".into(), text: "anyone heading to Gaerlan?".into() }, &mut out);
        c.on_server_frame(
            &json!({"type": "command", "request_id": format!("c-{i}"), "command": "/vt start"}),
            &mut out,
        );
        c.enter_dungeon(i, &mut out);
        c.on_server_frame(&json!({"type": "request_dungeon_map", "request_id": format!("d-{i}")}), &mut out);
        c.advance(30.0, &mut out);
    }
    values(&out)
}

fn values(frames: &[Frame]) -> Vec<Value> {
    frames.iter().map(Frame::to_value).collect()
}

fn name_of(f: &Value) -> Option<&str> {
    f.get("character_name").or_else(|| f.get("player_name")).and_then(Value::as_str)
}

fn check_required(f: &Value) {
    let ty = f["type"].as_str().expect("type");
    assert!(name_of(f).is_some_and(|n| !n.is_empty() && n.len() <= 64), "{f}");
    let num = |k: &str| f64_of(&f[k]).unwrap_or_else(|| panic!("{ty}.{k} not a number: {f}"));
    let int = |k: &str| i64_of(&f[k]).unwrap_or_else(|| panic!("{ty}.{k} not an integer: {f}"));
    let id = |v: &Value| u32_id_of(v).unwrap_or_else(|| panic!("{ty}: bad id {v}"));
    match ty {
        "telemetry" => {
            id(&f["landcell"]);
            let (ew, ns) = (num("ew"), num("ns"));
            // Outdoors the point is on the map; a dungeon's formula point lies in the sea
            // near its landblock, still within a few units of the box.
            let edge = if f["is_dungeon"] == true { 105.0 } else { 102.1 };
            assert!(ew.abs() <= edge && ns.abs() <= edge, "{f}");
            let h = num("heading");
            assert!((0.0..360.0).contains(&h), "{f}");
            num("z");
            num("local_x");
            for k in ["kills", "deaths", "total_deaths", "prismatic_taper_count", "rares_found", "level"] {
                assert!(u32_of(&f[k]).is_some(), "{k}: {f}");
            }
            assert!(u64_of(&f["session_seconds"]).is_some());
            int("total_xp");
            int("xp_per_hour");
            assert!(
                f["kills_per_hour"].is_null() || f["kills_per_hour"] == "NaN" || f64_of(&f["kills_per_hour"]).is_some()
            );
            assert!(bool_of(&f["is_dungeon"]).is_some());
            assert!(unix_ms_of(&f["timestamp"]).is_some(), "{f}");
        }
        "vitals" => {
            for k in ["health", "health_max", "stamina", "stamina_max", "mana", "mana_max"] {
                assert!(u32_of(&f[k]).is_some(), "{k}: {f}");
            }
            let v = num("vitae");
            assert!((0.6..=1.0).contains(&v), "{f}");
        }
        "inventory" | "inventory_delta" => {
            if f["mode"] == "full" {
                assert_eq!(f["complete"], true);
                let items = f["items"].as_array().expect("items");
                assert_eq!(u64_of(&f["item_count"]), Some(items.len() as u64));
                for it in items {
                    assert!(it["name"].is_string(), "{it}");
                    id(it.get("object_id").or_else(|| it.get("id")).expect("an id"));
                }
            } else {
                for k in ["added", "updated", "removed"] {
                    assert!(f[k].is_array(), "{k}: {f}");
                }
                for r in f["removed"].as_array().into_iter().flatten() {
                    id(r);
                }
            }
        }
        "portal" => {
            assert!(f["portal_name"].is_string());
            num("ew");
            id(&f["landcell"]);
        }
        "rare" => {
            let name = f["rare_name"].as_str().expect("rare_name");
            let text = f["chat_text"].as_str().expect("chat_text");
            assert!(text.ends_with(&format!("has discovered the {name}!")), "{f}");
            num("ns");
        }
        "combat" => {
            let hits = f["hits"].as_array().expect("hits");
            assert!(!hits.is_empty());
            for h in hits {
                assert!(h["dir"] == "given" || h["dir"] == "received");
                assert!(u32_of(&h["damage"]).is_some());
                assert!(["melee", "magic", "unknown"].contains(&h["attack"].as_str().unwrap_or("")));
            }
        }
        "combat_stats" => {
            assert!(u64_of(&f["given"]["kills"]).is_some());
            assert!(f["received"]["by_element"].is_object());
            int("session_seconds");
        }
        "quest" => {
            for q in f["quests"].as_array().expect("quests") {
                assert!(
                    q["name"].is_string()
                        && i64_of(&q["last_completed"]).is_some()
                        && i64_of(&q["repeat_seconds"]).is_some()
                );
            }
        }
        "chat" => {
            assert_eq!(f["chat_type"], 18);
            assert!(f["sender"].is_string() && f["text"].is_string() && f["raw"].is_string());
        }
        "character_stats" => {
            assert!(u32_of(&f["level"]).is_some_and(|l| (1..=275).contains(&l)));
            int("total_xp");
            int("burden_capacity");
            assert!(f["attributes"]["strength"]["current"].is_u64());
        }
        "spawn" => {
            assert!(f["monster_name"].is_string());
            id(&f["object_id"]);
            id(&f["landcell"]);
        }
        "cantrips" => {
            assert!(f["enchantments"].is_array() && f["summary"].is_object());
        }
        "nearby_objects" => {
            assert!(f["objects"].is_array());
        }
        "dungeon_map" => {
            let lb = f["landblock"].as_str().expect("landblock");
            assert!(lb.starts_with("0x") && lb.len() == 6);
            let cells = f["cells"].as_array().expect("cells");
            assert!(!cells.is_empty());
            assert_eq!(u64_of(&f["cell_count"]), Some(cells.len() as u64));
            for c in cells {
                let cell = id(&c["cell"]);
                assert!(cell & 0xFFFF >= 0x100, "{c}");
                assert_eq!(format!("0x{:04X}", cell >> 16), lb);
            }
        }
        "share_vitals" | "share_target" => {
            assert!(f["to"].is_string() || f["to"].is_array());
            assert!(f["payload"].is_object());
        }
        "command_result" => {
            assert!(f["request_id"].is_string());
            assert!(f["ok"].is_boolean());
        }
        "vtank_profile" => {}
        other => panic!("unexpected frame type {other}"),
    }
    let size = serde_json::to_string(f).expect("serializes").len();
    let limit = if matches!(ty, "inventory" | "dungeon_map") { BIG_FRAME_LIMIT } else { SMALL_FRAME_LIMIT };
    assert!(size < limit, "{ty} is {size} bytes");
}

#[test]
fn every_frame_type_is_produced_with_its_required_fields() {
    let cfg = CharacterConfig { rares_per_hour: 4.0, deaths_per_hour: 1.0, ..CharacterConfig::default() };
    let frames = simulate(&cfg, 8);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for f in &frames {
        assert!(f.is_object());
        check_required(f);
        *seen.entry(f["type"].as_str().unwrap_or("").to_string()).or_default() += 1;
    }
    let mut kinds: HashSet<&str> = seen.keys().map(String::as_str).collect();
    if kinds.contains("inventory_delta") {
        kinds.insert("inventory");
    }
    for k in [
        "telemetry",
        "vitals",
        "inventory",
        "portal",
        "rare",
        "combat",
        "combat_stats",
        "quest",
        "chat",
        "character_stats",
        "spawn",
        "cantrips",
        "nearby_objects",
        "dungeon_map",
        "share_vitals",
        "command_result",
    ] {
        assert!(kinds.contains(k), "no {k} frame in {seen:?}");
    }
}

#[test]
fn spawns_are_sent_once_per_monster_object_id() {
    let frames = simulate(&CharacterConfig::default(), 4);
    let mut ids = HashSet::new();
    for f in frames.iter().filter(|f| f["type"] == "spawn") {
        let key = (name_of(f).map(str::to_string), u32_id_of(&f["object_id"]));
        assert!(ids.insert(key), "duplicate spawn {f}");
    }
    assert!(!ids.is_empty());
}

#[test]
fn quirks_of_the_dotnet_plugin_occur_across_a_population() {
    let cfg = CharacterConfig::default();
    let mut out = Vec::new();
    for c in population(&cfg, 60).iter_mut() {
        c.login(&mut out, true);
        for _ in 0..120 {
            c.advance(1.0, &mut out);
        }
    }
    let out = values(&out);
    let telemetry: Vec<&Value> = out.iter().filter(|f| f["type"] == "telemetry").collect();
    let any = |p: &dyn Fn(&Value) -> bool| telemetry.iter().any(|f| p(f));
    assert!(any(&|f| f["landcell"].as_i64().is_some_and(|v| v < 0)), "no negative landcell");
    assert!(any(&|f| f["landcell"].as_str().is_some_and(|s| s.starts_with("0x"))), "no hex landcell");
    assert!(any(&|f| f["kills_per_hour"].as_str().is_some_and(|s| s.contains(','))), "no comma decimal");
    assert!(any(&|f| f["kills_per_hour"] == "NaN"), "no NaN rate at session start");
    assert!(telemetry.iter().all(|f| f["deaths"].is_string() && f["total_deaths"].is_string()));
    assert!(any(&|f| f["timestamp"].as_str().is_some_and(|s| s.len() == "2025-06-01T18:22:05.1234567Z".len())));
    let spawns = out.iter().filter(|f| f["type"] == "spawn");
    assert!(spawns.clone().any(|f| f["object_id"].as_i64().is_some_and(|v| v < 0)), "no negative object id");
}

#[test]
fn without_quirks_numbers_are_canonical() {
    let cfg = CharacterConfig { quirks: false, ..CharacterConfig::default() };
    let mut out = Vec::new();
    for c in population(&cfg, 10).iter_mut() {
        c.login(&mut out, true);
        for _ in 0..300 {
            c.advance(1.0, &mut out);
        }
    }
    for f in values(&out).iter().filter(|f| f["type"] == "telemetry") {
        assert!(f["landcell"].is_u64(), "{f}");
        assert!(f["deaths"].is_u64() && f["total_deaths"].is_u64() && f["prismatic_taper_count"].is_u64());
        assert!(f["kills_per_hour"].is_null() || f["kills_per_hour"].is_f64() || f["kills_per_hour"].is_u64());
        assert!(f["character_name"].is_string());
    }
}

#[test]
fn headings_stay_in_range_and_positions_move_at_walking_speed() {
    let cfg = CharacterConfig::default();
    let mut out = Vec::new();
    let mut c = population(&cfg, 30).into_iter().find(|c| !c.kind().is_idle()).expect("a hunter");
    c.login(&mut out, true);
    for _ in 0..1800 {
        c.advance(1.0, &mut out);
    }
    let out = values(&out);
    let fixes: Vec<(f64, f64, f64, bool)> = out
        .iter()
        .filter(|f| f["type"] == "telemetry")
        .map(|f| {
            (
                f64_of(&f["session_seconds"]).unwrap_or(0.0),
                f64_of(&f["ew"]).unwrap_or(0.0),
                f64_of(&f["ns"]).unwrap_or(0.0),
                f["is_dungeon"] == true,
            )
        })
        .collect();
    let mut walks = 0;
    for w in fixes.windows(2) {
        let (a, b) = (w[0], w[1]);
        let dt = (b.0 - a.0).max(1.0);
        let metres = ((b.1 - a.1).powi(2) + (b.2 - a.2).powi(2)).sqrt() * 240.0;
        if a.3 == b.3 && metres / dt < 10.0 {
            walks += 1;
        }
    }
    // Nearly every consecutive pair is a walk; the rest are portal, recall or death jumps.
    assert!(walks as f64 >= 0.9 * (fixes.len() - 1) as f64, "{walks} of {}", fixes.len());
}
