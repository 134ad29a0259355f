//! Every frame the simulator produces decodes with the server's own plugin-frame decoder
//! (quirks included), binds to the right character, and only the deliberate unknown type
//! comes back as `Unknown`. Needs `crate::protocol` of the main repo, so it lives there.

use overlord::protocol::{PluginEvent, decode_plugin_frame};
use overlord::sim::roster::ChatLine;
use overlord::sim::{Character, CharacterConfig, Roster};
use serde_json::json;

#[test]
fn every_simulated_frame_decodes_with_the_server_protocol() {
    let cfg = CharacterConfig { rares_per_hour: 4.0, deaths_per_hour: 1.0, ..CharacterConfig::default() };
    let roster = Roster::generate(cfg.seed, 40);
    let mut decoded = 0usize;
    for (i, e) in roster.entries.iter().enumerate() {
        let mates = vec!["Mossy Mage".to_string()];
        let mut c = Character::new(e, ("Moss Lords", "Bigmoss", Some("Mossy Mage"), mates), &cfg);
        let mut out = Vec::new();
        c.login(&mut out, true);
        for _ in 0..3600 {
            c.advance(1.0, &mut out);
        }
        c.on_chat(&ChatLine { sender: "Sir Buffsalot".into(), text: "gz".into() }, &mut out);
        c.on_server_frame(&json!({"type": "command", "request_id": "c-1", "command": "/vt start"}), &mut out);
        c.enter_dungeon(i, &mut out);
        c.on_server_frame(&json!({"type": "request_dungeon_map", "request_id": "d-1"}), &mut out);
        for f in out {
            let text = f.into_text().expect("serializes");
            let frame =
                decode_plugin_frame(&text).unwrap_or_else(|err| panic!("{err:?} for {}", &text[..text.len().min(400)]));
            assert_eq!(frame.character_name, e.name);
            if let PluginEvent::Unknown(kind) = &frame.body {
                assert_eq!(kind, "vtank_profile", "only the deliberate unknown type");
            }
            decoded += 1;
        }
    }
    assert!(decoded > 100_000);
}
