//! Reading a frame's top-level fields, from a parsed JSON object or from the frame's text.
//!
//! Owns [`Fields`] (what the flat decoders read fields through) and [`TopLevel`]: a frame's
//! top level split into keys and the unparsed text of each value. Telemetry, vitals and the
//! other flat frames are most of the plugin traffic (600 characters send about 600 a
//! second), and building a `serde_json::Value` tree for each one (a map node and a string
//! per key) cost about a tenth of the server's CPU. [`TopLevel`] checks the whole frame
//! is valid JSON but allocates only its list of keys; a decoder then parses just the values
//! it reads. Never decides what a field means: `lenient` and the decoders do.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// Where the flat decoders read a field from: the last value under `key`, as JSON.
pub trait Fields {
    fn field(&self, key: &str) -> Option<Cow<'_, Value>>;
}

impl Fields for Map<String, Value> {
    fn field(&self, key: &str) -> Option<Cow<'_, Value>> {
        self.get(key).map(Cow::Borrowed)
    }
}

/// A JSON object's top level: each key (in frame order, repeats kept) with its value's text.
#[derive(Debug)]
pub struct TopLevel<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> TopLevel<'a> {
    /// Reads `text` as one JSON object. Fails on invalid JSON and on any other JSON value,
    /// with serde_json's message.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The text of the last value under `key`: a repeated key reads as its last value,
    /// exactly as a parsed `serde_json::Map` keeps it.
    fn raw(&self, key: &str) -> Option<&'a RawValue> {
        self.entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

impl Fields for TopLevel<'_> {
    fn field(&self, key: &str) -> Option<Cow<'_, Value>> {
        // The text was checked as JSON when the frame was read, so this parse cannot fail;
        // if it did, the field reads as absent, which every decoder already handles.
        self.raw(key).and_then(|raw| serde_json::from_str(raw.get()).ok()).map(Cow::Owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for TopLevel<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TopVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for TopVisitor<'a> {
            type Value = TopLevel<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<TopLevel<'a>, M::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(24).min(64));
                while let Some(Key(key)) = map.next_key::<Key<'a>>()? {
                    let value: &'a RawValue = map.next_value()?;
                    entries.push((key, value));
                }
                Ok(TopLevel { entries })
            }
        }

        deserializer.deserialize_map(TopVisitor(std::marker::PhantomData))
    }
}

/// A key borrowed from the frame's text, or owned when it held escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }

        deserializer.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_same_fields_as_a_parsed_object() {
        let text = r#"{"type":"telemetry","ew":"12,5","n":null,"nested":{"a":[1,2]},"s":"x\"y"}"#;
        let top = TopLevel::parse(text).unwrap();
        let map: Map<String, Value> = serde_json::from_str(text).unwrap();
        for key in ["type", "ew", "n", "nested", "s", "absent"] {
            assert_eq!(top.field(key).as_deref(), map.field(key).as_deref(), "{key}");
        }
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_value_like_a_parsed_object() {
        let text = r#"{"type":"vitals","health":1,"health":2}"#;
        let map: Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(TopLevel::parse(text).unwrap().field("health").as_deref(), map.get("health"));
        assert_eq!(map.get("health"), Some(&Value::from(2)));
    }

    #[test]
    fn an_escaped_key_is_read_by_its_meaning() {
        let top = TopLevel::parse(r#"{"ty\u0070e":"spawn"}"#).unwrap();
        assert_eq!(top.field("type").as_deref(), Some(&Value::from("spawn")));
    }

    #[test]
    fn refuses_what_is_not_one_json_object() {
        for text in ["[1,2]", "\"telemetry\"", "{\"a\":1", "{\"a\":1} x", "", "{\"a\":[1,}"] {
            assert!(TopLevel::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn deep_nesting_below_the_top_is_skipped_and_reads_as_absent() {
        // serde_json skips a value's text without recursing, so this cannot overflow the
        // stack; parsing the field itself hits serde_json's depth limit, so it reads as absent.
        let text = format!("{{\"type\":\"vitals\",\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let top = TopLevel::parse(&text).unwrap();
        assert_eq!(top.field("type").as_deref(), Some(&Value::from("vitals")));
        assert_eq!(top.field("a"), None);
    }
}
