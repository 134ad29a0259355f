//! Tolerant decoding of single JSON values, as docs/protocol.md §1 requires.
//!
//! The plugin is C#/.NET Framework code we do not control: numbers arrive as strings,
//! decimals with a German comma, rates as `"NaN"` or `"∞"`, object ids and landcells as
//! signed `int`s or hex strings, booleans as `"True"` or `1`, times in .NET's `"o"` format.
//! Every function here takes one `serde_json::Value` and returns `None` for anything it
//! cannot read; callers decide whether `None` is acceptable (optional field) or an error
//! (required field). Nothing here allocates on the happy path or panics on any input.

use serde_json::Value;

/// A number, or a string holding one. Trims; `""`, `"-"`, `"N/A"`, `"NaN"`, `"Infinity"`
/// and `"∞"` (any sign, any case) become `None`; a string whose only separator is a single
/// `,` is a culture-formatted decimal (`"612,4"` → 612.4). Non-finite results are `None`.
pub fn f64_of(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => parse_f64_str(s)?,
        Value::Bool(_) | Value::Null | Value::Array(_) | Value::Object(_) => return None,
    };
    x.is_finite().then_some(x)
}

/// An integer, or a string holding one. Accepts integral floats (`3.0`, `"3,0"`); rejects
/// fractional values and values outside `i64`.
pub fn i64_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().and_then(|u| i64::try_from(u).ok())).or_else(|| {
            let f = n.as_f64()?;
            integral_f64_to_i64(f)
        }),
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return Some(i);
            }
            integral_f64_to_i64(parse_f64_str(t)?)
        }
        _ => None,
    }
}

/// A non-negative integer that fits in `u32` (counters, levels, hit points).
pub fn u32_of(v: &Value) -> Option<u32> {
    i64_of(v).and_then(|i| u32::try_from(i).ok())
}

/// A non-negative integer that fits in `u64` (session seconds).
pub fn u64_of(v: &Value) -> Option<u64> {
    i64_of(v).and_then(|i| u64::try_from(i).ok())
}

/// A 32-bit game id (object GUID or landcell). Decal exposes these as signed `int`, so
/// dynamic objects and eastern landblocks arrive negative: `-2141230042` is `0x805F6C26`.
/// Accepts any integer in `i32::MIN..=u32::MAX`, a decimal string, or a `0x` hex string.
pub fn u32_id_of(v: &Value) -> Option<u32> {
    let wide = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => {
            let t = s.trim();
            if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                return u32::from_str_radix(hex, 16).ok();
            }
            t.parse::<i64>().ok()?
        }
        _ => return None,
    };
    if wide < i64::from(i32::MIN) || wide > i64::from(u32::MAX) {
        return None;
    }
    Some((wide & 0xFFFF_FFFF) as u32)
}

/// `true`, `"True"`/`"true"`/`"1"`/`"yes"`, `1` (and the false forms).
pub fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A non-empty trimmed string (numbers are rendered, since a .NET client may send a
/// numeric name field as a number).
pub fn string_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A point in time as unix milliseconds: RFC 3339 with or without an offset (no offset
/// means UTC) and up to 9 fractional digits (.NET `"o"` gives 7), or unix seconds or
/// milliseconds as a number (values above 10^11 are taken as milliseconds).
pub fn unix_ms_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            let f = n.as_f64()?;
            unix_number_to_ms(f)
        }
        Value::String(s) => {
            let t = s.trim();
            if let Some(ms) = parse_rfc3339_ms(t) {
                return Some(ms);
            }
            unix_number_to_ms(parse_f64_str(t)?)
        }
        _ => None,
    }
}

/// Parses an RFC 3339 time, tolerating a missing offset (taken as UTC) and a space in
/// place of the `T`. Returns unix milliseconds.
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDateTime};
    if s.len() > 64 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis());
    }
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(dt.timestamp_millis());
    }
    let naive = normalized.trim_end_matches('Z');
    NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc().timestamp_millis())
}

fn unix_number_to_ms(f: f64) -> Option<i64> {
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let ms = if f >= 1e11 { f } else { f * 1000.0 };
    // Beyond year ~5000 is not a time a game client can mean.
    (ms < 1e14).then_some(ms as i64)
}

fn integral_f64_to_i64(f: f64) -> Option<i64> {
    if f.fract() != 0.0 || !f.is_finite() || f.abs() > 9.0e18 {
        return None;
    }
    Some(f as i64)
}

fn parse_f64_str(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() || t.len() > 64 {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "" | "n/a" | "na" | "nan" | "infinity" | "inf" | "∞") {
        return None;
    }
    let parsed = if t.matches(',').count() == 1 && !t.contains('.') {
        t.replace(',', ".").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    parsed.ok().filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_as_strings_and_comma_decimals_decode() {
        assert_eq!(f64_of(&json!("612.4")), Some(612.4));
        assert_eq!(f64_of(&json!(" 612,4 ")), Some(612.4));
        assert_eq!(f64_of(&json!(612.4)), Some(612.4));
        assert_eq!(u32_of(&json!("3")), Some(3));
        assert_eq!(u32_of(&json!(" 41 ")), Some(41));
        assert_eq!(i64_of(&json!("191226310247")), Some(191_226_310_247));
        assert_eq!(i64_of(&json!(3.0)), Some(3));
        assert_eq!(i64_of(&json!(3.5)), None);
    }

    #[test]
    fn placeholder_and_non_finite_strings_are_null() {
        for s in ["", "-", "N/A", "NaN", "Infinity", "-Infinity", "∞", "-∞", "  nan "] {
            assert_eq!(f64_of(&json!(s)), None, "{s:?}");
            assert_eq!(i64_of(&json!(s)), None, "{s:?}");
        }
        assert_eq!(f64_of(&json!(true)), None);
        assert_eq!(u32_of(&json!(-1)), None);
    }

    #[test]
    fn negative_and_hex_ids_normalize_to_u32() {
        assert_eq!(u32_id_of(&json!(-2141230042)), Some(0x805F_6C26));
        assert_eq!(u32_id_of(&json!("0x805F6C26")), Some(0x805F_6C26));
        assert_eq!(u32_id_of(&json!("0xa9b40019")), Some(0xA9B4_0019));
        assert_eq!(u32_id_of(&json!(-1447821287)), Some(0xA9B4_0019));
        assert_eq!(u32_id_of(&json!(2847146009u32)), Some(0xA9B4_0019));
        assert_eq!(u32_id_of(&json!("-1447821287")), Some(0xA9B4_0019));
        assert_eq!(u32_id_of(&json!(4_294_967_296i64)), None);
        assert_eq!(u32_id_of(&json!("0xZZ")), None);
    }

    #[test]
    fn booleans_in_dotnet_forms() {
        assert_eq!(bool_of(&json!("True")), Some(true));
        assert_eq!(bool_of(&json!(1)), Some(true));
        assert_eq!(bool_of(&json!("false")), Some(false));
        assert_eq!(bool_of(&json!(2)), None);
    }

    #[test]
    fn dotnet_round_trip_timestamps_parse() {
        let ms = unix_ms_of(&json!("2025-06-01T18:22:05.1234567Z")).unwrap();
        assert_eq!(ms, 1_748_802_125_123);
        assert_eq!(unix_ms_of(&json!("2025-06-01T18:22:05.1234567")), Some(ms));
        assert_eq!(unix_ms_of(&json!("2025-06-01T20:22:05.1234567+02:00")), Some(ms));
        assert_eq!(unix_ms_of(&json!(1_748_802_125)), Some(1_748_802_125_000));
        assert_eq!(unix_ms_of(&json!(1_748_802_125_123i64)), Some(1_748_802_125_123));
        assert_eq!(unix_ms_of(&json!("yesterday")), None);
    }
}
