use super::*;
use serde_json::json;

fn fixture_lines() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/session.jsonl");
    std::fs::read_to_string(path).expect("tests/fixtures/session.jsonl").lines().map(String::from).collect()
}

#[test]
fn every_fixture_frame_decodes() {
    for line in fixture_lines() {
        let frame = decode_plugin_frame(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(frame.character_name, "Mossy Tank");
    }
}

#[test]
fn fixture_quirks_normalize() {
    let frames: Vec<_> = fixture_lines().iter().map(|l| decode_plugin_frame(l).unwrap()).collect();
    let tel: Vec<_> = frames
        .iter()
        .filter_map(|f| match &f.body {
            PluginEvent::Telemetry(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(tel.len(), 5);
    for t in &tel {
        assert_eq!(t.landcell, Some(0xA9B4_0019));
        assert_eq!(t.kills_per_hour, Some(612.4));
        assert_eq!(t.deaths, Some(3));
        assert_eq!(t.total_deaths, Some(41));
        assert_eq!(t.prismatic_taper_count, Some(1874));
        assert_eq!(t.total_xp, Some(191_226_310_247));
    }
    let rare = frames.iter().find_map(|f| match &f.body {
        PluginEvent::Rare(r) => Some(r.clone()),
        _ => None,
    });
    assert_eq!(rare.unwrap().object_id, Some(0x805F_6C26));
    assert!(frames.iter().any(|f| matches!(&f.body, PluginEvent::Unknown(k) if k == "some_future_type")));
    let delta = frames.iter().filter(|f| matches!(f.body, PluginEvent::Inventory(_))).count();
    assert_eq!(delta, 2, "inventory and the inventory_delta alias");
}

#[test]
fn player_name_is_an_alias_for_character_name() {
    let f = decode_plugin_frame(r#"{"type":"vitals","player_name":"Mossy Mage","health":"12"}"#).unwrap();
    assert_eq!(f.character_name, "Mossy Mage");
    let PluginEvent::Vitals(v) = f.body else { panic!() };
    assert_eq!(v.health, Some(12));
}

#[test]
fn envelope_errors_name_the_problem() {
    assert!(matches!(decode_plugin_frame("not json"), Err(FrameError::NotJson(_))));
    assert_eq!(decode_plugin_frame("[1,2]").unwrap_err(), FrameError::NotObject);
    assert_eq!(decode_plugin_frame(r#"{"character_name":"A"}"#).unwrap_err(), FrameError::MissingType);
    let e = decode_plugin_frame(r#"{"type":"vitals"}"#).unwrap_err();
    assert!(e.to_string().contains("character_name"), "{e}");
    let e = decode_plugin_frame(r#"{"type":"vitals","character_name":"Robert'); DROP"}"#).unwrap_err();
    assert!(e.to_string().contains("character_name"));
    let long = "A".repeat(65);
    assert!(decode_plugin_frame(&format!(r#"{{"type":"vitals","character_name":"{long}"}}"#)).is_err());
    assert!(decode_plugin_frame(r#"{"type":"vitals","character_name":"+Admin Bob"}"#).is_ok());
}

#[test]
fn telemetry_without_position_is_rejected_naming_the_field() {
    let e = decode_plugin_frame(r#"{"type":"telemetry","character_name":"A","kills":3}"#).unwrap_err();
    assert!(matches!(e, FrameError::Field { field: "ew", .. }), "{e}");
}

#[test]
fn telemetry_position_derives_from_landcell_when_coords_are_missing() {
    let f = decode_plugin_frame(
        r#"{"type":"telemetry","character_name":"A","landcell":"0xA9B40019","local_x":81.33,"local_y":11.80}"#,
    )
    .unwrap();
    let PluginEvent::Telemetry(t) = f.body else { panic!() };
    assert_eq!(format_coords(t.ew, t.ns), "42.1N, 33.6E");
}

#[test]
fn map_coordinate_checks_from_world_data() {
    let (ew, ns) = map_coords(0x7D64_000D, 31.90, 105.93);
    assert_eq!(format_coords(ew, ns), "21.5S, 1.8W");
    let (ew, ns) = map_coords(0x9722_003A, 168.35, 24.62);
    assert_eq!(format_coords(ew, ns), "74.6S, 19.6E");
    let (ew, ns) = map_coords(0xA9B4_0019, 81.33, 11.80);
    assert_eq!(format_coords(ew, ns), "42.1N, 33.6E");
}

#[test]
fn oversized_frames_are_refused_by_type() {
    let pad = "x".repeat(MAX_FRAME_BYTES);
    let text = format!(r#"{{"type":"vitals","character_name":"A","pad":"{pad}"}}"#);
    assert!(matches!(decode_plugin_frame(&text), Err(FrameError::TooLarge { .. })));
    let text = format!(r#"{{"type":"inventory","character_name":"A","mode":"full","items":[],"pad":"{pad}"}}"#);
    assert!(decode_plugin_frame(&text).is_ok());
}

#[test]
fn nested_kinds_get_numbers_and_ids_normalized() {
    let f = decode_plugin_frame(
        r#"{"type":"nearby_objects","character_name":"A","objects":[{"object_id":-2141100001,"name":"1234","health_pct":"0,62","distance_m":"12.4"}]}"#,
    )
    .unwrap();
    let PluginEvent::NearbyObjects(v) = f.body else { panic!() };
    assert_eq!(v["objects"][0]["object_id"], json!(2_153_867_295_u32));
    assert_eq!(v["objects"][0]["name"], json!("1234"));
    assert_eq!(v["objects"][0]["health_pct"], json!(0.62));
    assert_eq!(v["objects"][0]["distance_m"], json!(12.4));
    assert!(v.get("type").is_none());
}

#[test]
fn combat_hit_flags_stay_booleans_and_stats_counts_become_numbers() {
    let f = decode_plugin_frame(
        r#"{"type":"combat","character_name":"A","hits":[{"dir":"given","damage":"148","crit":"True","failed":false}]}"#,
    )
    .unwrap();
    let PluginEvent::Combat(v) = f.body else { panic!() };
    assert_eq!(v["hits"][0]["crit"], json!(true));
    assert_eq!(v["hits"][0]["damage"], json!(148));
    let f =
        decode_plugin_frame(r#"{"type":"combat_stats","character_name":"A","given":{"failed":"410","crits":"602"}}"#)
            .unwrap();
    let PluginEvent::CombatStats(v) = f.body else { panic!() };
    assert_eq!(v["given"]["failed"], json!(410));
}

#[test]
fn quests_get_ready_times() {
    let f = decode_plugin_frame(
        r#"{"type":"quest","character_name":"A","quests":[{"name":"q","last_completed":1748797200,"repeat_seconds":"604800"}]}"#,
    )
    .unwrap();
    let PluginEvent::Quest(v) = f.body else { panic!() };
    assert_eq!(v["quests"][0]["ready_at_ms"], json!((1_748_797_200i64 + 604_800) * 1000));
}

#[test]
fn share_frames_need_recipients_and_small_payloads() {
    let ok = decode_plugin_frame(r#"{"type":"share_target","character_name":"A","to":"*","payload":{"x":1}}"#).unwrap();
    assert!(matches!(ok.body, PluginEvent::Share(Share { to: None, .. })));
    assert!(decode_plugin_frame(r#"{"type":"share_target","character_name":"A","payload":{}}"#).is_err());
    let big = "y".repeat(MAX_SHARE_PAYLOAD_BYTES + 1);
    let text = format!(r#"{{"type":"share_x","character_name":"A","to":"*","payload":"{big}"}}"#);
    assert!(decode_plugin_frame(&text).is_err());
}

#[test]
fn browser_messages_decode_with_and_without_command_type() {
    use browser::*;
    let m = decode_browser_message(r#"{"player_name":"Mossy Tank","command":"/vt start"}"#).unwrap();
    assert!(matches!(m, BrowserMessage::Command { .. }));
    let m = decode_browser_message(r#"{"type":"command","player_name":"Mossy Tank","command":"/vt start"}"#).unwrap();
    assert!(matches!(m, BrowserMessage::Command { .. }));
    let e = decode_browser_message(r#"{"type":"subscirbe"}"#).unwrap_err();
    assert!(e.to_string().contains("unknown message type 'subscirbe'"));
    let long = "a".repeat(501);
    assert!(decode_browser_message(&format!(r#"{{"player_name":"A","command":"{long}"}}"#)).is_err());
    let m =
        decode_browser_message(r#"{"type":"subscribe","topics":["telemetry"],"characters":["Mossy Tank"]}"#).unwrap();
    assert_eq!(
        m,
        BrowserMessage::Subscribe { topics: vec!["telemetry".into()], characters: Some(vec!["mossy tank".into()]) }
    );
}

proptest::proptest! {
    #[test]
    fn decoder_never_panics_on_arbitrary_text(s in ".{0,400}") {
        let _ = decode_plugin_frame(&s);
        let _ = browser::decode_browser_message(&s);
    }

    #[test]
    fn decoder_never_panics_on_mutated_fixture_frames(idx in 0usize..18, cut in 0usize..2000, byte in 0u8..128) {
        let lines = fixture_lines();
        let line = &lines[idx % lines.len()];
        let mut bytes = line.as_bytes().to_vec();
        let at = cut % bytes.len().max(1);
        bytes.insert(at, byte);
        if let Ok(s) = String::from_utf8(bytes.clone()) { let _ = decode_plugin_frame(&s); }
        bytes.truncate(at);
        if let Ok(s) = String::from_utf8(bytes) { let _ = decode_plugin_frame(&s); }
    }
}
