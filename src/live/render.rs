//! JSON shapes the hub sends to browsers and the API returns: normalized values with the
//! plugin's field names (protocol.md §4), `received_at` in unix milliseconds.

use super::CharacterLive;
use crate::protocol::{Place, Portal, Rare, Spawn, Telemetry, Vitals};
use serde_json::{Map, Value, json};

pub fn telemetry_json(name: &str, recv_ms: i64, client_time_ms: Option<i64>, t: &Telemetry) -> Value {
    let mut v = telemetry_body(t);
    if let Value::Object(m) = &mut v {
        m.insert("type".into(), "telemetry".into());
        m.insert("character_name".into(), name.into());
        m.insert("received_at".into(), recv_ms.into());
        m.insert("client_time_ms".into(), client_time_ms.into());
    }
    v
}

/// The normalized telemetry fields (no envelope).
pub fn telemetry_body(t: &Telemetry) -> Value {
    json!({
        "landcell": t.landcell, "local_x": t.local_x, "local_y": t.local_y, "z": t.z,
        "ew": t.ew, "ns": t.ns, "heading": t.heading, "is_dungeon": t.is_dungeon,
        "kills": t.kills, "kills_per_hour": t.kills_per_hour, "deaths": t.deaths,
        "total_deaths": t.total_deaths, "rares_found": t.rares_found,
        "prismatic_taper_count": t.prismatic_taper_count, "session_seconds": t.session_seconds,
        "xp_per_hour": t.xp_per_hour, "level": t.level, "total_xp": t.total_xp,
        "luminance": t.luminance, "vt_state": t.vt_state,
        "coords": crate::protocol::format_coords(t.ew, t.ns),
    })
}

pub fn vitals_json(v: &Vitals) -> Value {
    json!({
        "health": v.health, "health_max": v.health_max, "stamina": v.stamina,
        "stamina_max": v.stamina_max, "mana": v.mana, "mana_max": v.mana_max, "vitae": v.vitae,
    })
}

/// `{"type", "character_name", "received_at", ...body}` as text.
pub fn forward_json(kind: &str, name: &str, recv_ms: i64, body: &Value) -> String {
    let mut m = match body {
        Value::Object(m) => m.clone(),
        other => {
            let mut m = Map::new();
            m.insert("value".into(), other.clone());
            m
        }
    };
    m.insert("type".into(), kind.into());
    m.insert("character_name".into(), name.into());
    m.insert("received_at".into(), recv_ms.into());
    Value::Object(m).to_string()
}

fn place_fields(m: &mut Map<String, Value>, p: &Place) {
    m.insert("ew".into(), p.ew.into());
    m.insert("ns".into(), p.ns.into());
    m.insert("z".into(), p.z.into());
    m.insert("landcell".into(), p.landcell.into());
    m.insert("is_dungeon".into(), p.is_dungeon.into());
}

pub fn spawn_value(s: &Spawn) -> Value {
    let mut m = Map::new();
    m.insert("monster_name".into(), s.monster_name.clone().into());
    m.insert("object_id".into(), s.object_id.into());
    m.insert("wcid".into(), s.wcid.into());
    place_fields(&mut m, &s.place);
    Value::Object(m)
}

pub fn rare_value(r: &Rare) -> Value {
    let mut m = Map::new();
    m.insert("rare_name".into(), r.rare_name.clone().into());
    m.insert("wcid".into(), r.wcid.into());
    m.insert("object_id".into(), r.object_id.into());
    m.insert("chat_text".into(), r.chat_text.clone().into());
    place_fields(&mut m, &r.place);
    Value::Object(m)
}

pub fn portal_value(p: &Portal) -> Value {
    let mut m = Map::new();
    m.insert("portal_name".into(), p.portal_name.clone().into());
    m.insert("object_id".into(), p.object_id.into());
    m.insert("destination".into(), p.destination.clone().into());
    place_fields(&mut m, &p.place);
    Value::Object(m)
}

pub fn session_json(t: Option<&Telemetry>) -> Value {
    match t {
        Some(t) => json!({
            "kills": t.kills, "kills_per_hour": t.kills_per_hour, "deaths": t.deaths,
            "rares_found": t.rares_found, "session_seconds": t.session_seconds,
        }),
        None => Value::Null,
    }
}

pub fn snapshot_entry(c: &CharacterLive) -> Value {
    json!({
        "character_name": c.name,
        "online": c.online,
        "last_seen_ms": c.last_seen_ms,
        "telemetry": c.telemetry.as_ref().map(|(recv, _, t)| {
            let mut b = telemetry_body(t);
            if let Value::Object(m) = &mut b { m.insert("received_at".into(), (*recv).into()); }
            b
        }),
        "vitals": c.vitals.as_ref().map(vitals_json),
    })
}
