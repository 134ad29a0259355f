//! The tantivy schema of the item index and the mapping from `Item` to a document.
//!
//! Owns field names, field options and `SCHEMA_VERSION`; bump the version whenever a field
//! or its meaning changes, so an older index on disk is rebuilt instead of misread. Never
//! opens indexes or runs queries.

use tantivy::TantivyDocument;
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};

use crate::game;
use crate::inventory::item::{Item, Location};
use crate::inventory::tables;

/// Version of the index layout; an index written with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// The tie-break fast field (see `Fields::tiebreak`).
pub const TIEBREAK_FIELD: &str = "tiebreak";

/// Reads one number from an item.
pub type ItemNumber = fn(&Item) -> Option<i64>;

/// Numeric i64 fast fields that can be filtered (`min_`/`max_`) and sorted, besides the
/// ratings: (field name, how to read it from an item).
pub const NUMERIC_FIELDS: [(&str, ItemNumber); 5] = [
    ("armor_level", |i| i.armor_level),
    ("value", |i| i.value),
    ("burden", |i| i.burden),
    ("wield_level", |i| Some(i.wield_level())),
    ("max_damage", |i| i.weapon.as_ref().and_then(|w| w.max_damage)),
];

/// Handles on every field of the schema.
#[derive(Debug, Clone)]
pub struct Fields {
    pub schema: Schema,
    /// Unique per item: `{object_id:08x}{owner_key}`; used to delete/replace a document.
    pub key: Field,
    /// Canonical owner key (filter, facet, and the way back to the store).
    pub owner: Field,
    pub object_id: Field,
    /// Unique per item, `object_id << 32 | fnv32(owner_key)`: the last sort key, so equal
    /// sort values order the same way in every build of the index (pages stay stable).
    pub tiebreak: Field,
    pub name: Field,
    /// Lowercase name, for sorting by name.
    pub name_sort: Field,
    pub spells: Field,
    pub set: Field,
    pub set_id: Field,
    pub object_class: Field,
    pub object_class_id: Field,
    pub slot: Field,
    pub cantrip: Field,
    pub cantrip_key: Field,
    pub cantrip_family: Field,
    pub material: Field,
    pub workmanship: Field,
    pub equipped: Field,
    /// `NUMERIC_FIELDS` in order.
    pub numeric: Vec<Field>,
    /// One per gear rating, in `tables::RATINGS` order.
    pub ratings: Vec<Field>,
}

impl Fields {
    /// Builds the schema and its field handles.
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer("default").set_index_option(IndexRecordOption::WithFreqs),
        );
        let key = b.add_text_field("key", STRING);
        let owner = b.add_text_field("owner", STRING | FAST);
        let object_id = b.add_u64_field("object_id", FAST);
        let tiebreak = b.add_u64_field("tiebreak", FAST);
        let name = b.add_text_field("name", text.clone());
        let name_sort = b.add_text_field("name_sort", STRING | FAST);
        let spells = b.add_text_field("spells", text);
        let set = b.add_text_field("set", STRING | FAST);
        let set_id = b.add_u64_field("set_id", INDEXED);
        let object_class = b.add_text_field("object_class", STRING | FAST);
        let object_class_id = b.add_u64_field("object_class_id", INDEXED);
        let slot = b.add_text_field("slot", STRING | FAST);
        let cantrip = b.add_text_field("cantrip", STRING | FAST);
        let cantrip_key = b.add_text_field("cantrip_key", STRING);
        let cantrip_family = b.add_text_field("cantrip_family", STRING);
        let material = b.add_text_field("material", STRING | FAST);
        let workmanship = b.add_f64_field("workmanship", FAST);
        let equipped = b.add_u64_field("equipped", INDEXED | FAST);
        let numeric = NUMERIC_FIELDS.iter().map(|(n, _)| b.add_i64_field(n, FAST)).collect();
        let ratings = tables::RATINGS.iter().map(|(_, n)| b.add_i64_field(n, FAST)).collect();
        Fields {
            schema: b.build(),
            key,
            owner,
            object_id,
            tiebreak,
            name,
            name_sort,
            spells,
            set,
            set_id,
            object_class,
            object_class_id,
            slot,
            cantrip,
            cantrip_key,
            cantrip_family,
            material,
            workmanship,
            equipped,
            numeric,
            ratings,
        }
    }

    /// The unique key term value of one item.
    pub fn key_value(owner_key: &str, object_id: u32) -> String {
        format!("{object_id:08x}{owner_key}")
    }

    /// The document for one stored item (`owner_key` is the store's canonical key).
    pub fn document(&self, owner_key: &str, item: &Item) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.key, Fields::key_value(owner_key, item.object_id));
        d.add_text(self.owner, owner_key);
        d.add_u64(self.object_id, u64::from(item.object_id));
        d.add_u64(self.tiebreak, (u64::from(item.object_id) << 32) | u64::from(fnv32(owner_key)));
        d.add_text(self.name, &item.name);
        d.add_text(self.name_sort, item.name.to_lowercase());
        for spell in &item.spells {
            if let Some(n) = &spell.name {
                d.add_text(self.spells, n);
            }
        }
        if let Some(id) = item.set_id {
            d.add_u64(self.set_id, u64::from(id));
        }
        if let Some(n) = &item.set_name {
            d.add_text(self.set, n);
        }
        if let Some(c) = &item.object_class {
            d.add_u64(self.object_class_id, u64::from(c.id));
            d.add_text(self.object_class, &c.name);
        }
        for slot in tables::positions_of(item.coverage_mask.unwrap_or(0), item.equip_mask.unwrap_or(0)) {
            d.add_text(self.slot, slot);
        }
        for c in &item.cantrips {
            d.add_text(self.cantrip, c);
            d.add_text(self.cantrip_key, c.to_lowercase());
            if let Some((_, family)) = game::cantrips::cantrip_parts(c) {
                d.add_text(self.cantrip_family, family.to_lowercase());
            }
        }
        if let Some(m) = &item.material {
            d.add_text(self.material, game::fold_name(&m.name));
        }
        if let Some(w) = item.workmanship {
            d.add_f64(self.workmanship, w);
        }
        d.add_u64(self.equipped, u64::from(item.location == Location::Equipped));
        for ((_, get), field) in NUMERIC_FIELDS.iter().zip(&self.numeric) {
            if let Some(v) = get(item) {
                d.add_i64(*field, v);
            }
        }
        // Absent ratings are 0, so `min_<rating>=0` matches everything and sorting works.
        for ((_, name), field) in tables::RATINGS.iter().zip(&self.ratings) {
            d.add_i64(*field, item.ratings.get(name).flatten().unwrap_or(0));
        }
        d
    }

    /// The fast field of a numeric sort/filter name (`armor_level`, a rating, …).
    pub fn numeric_field(&self, name: &str) -> Option<Field> {
        NUMERIC_FIELDS
            .iter()
            .zip(&self.numeric)
            .find(|((n, _), _)| *n == name)
            .map(|(_, f)| *f)
            .or_else(|| tables::RATINGS.iter().zip(&self.ratings).find(|((_, n), _)| *n == name).map(|(_, f)| *f))
    }
}

/// FNV-1a, 32 bits: a stable hash (std's hasher may change between releases).
fn fnv32(s: &str) -> u32 {
    s.bytes().fold(0x811C_9DC5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}
