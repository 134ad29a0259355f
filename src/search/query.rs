//! `SearchQuery`: the parameters of `GET /api/items/search` (docs/api.md "Items"), parsed and
//! validated from query-string pairs.
//!
//! Owns parameter names, defaults and limits. Never touches the index: turning a query into
//! tantivy clauses is `index`'s job.
//!
//! Accepted parameters (anything else is a 400 naming the parameter):
//! - `q`: free text over name and spell names (≤ `MAX_Q_BYTES`, ≤ `MAX_Q_WORDS` words).
//! - `owner` (repeatable, any of): character names, without case.
//! - `object_class`: a Decal object class name (`Armor`, `jewelry`) or id.
//! - `slot` (repeatable, any of): `head`, `hands`, `feet`, `chest`, `abdomen`, `upper_arms`,
//!   `lower_arms`, `upper_legs`, `lower_legs`, `under_chest`, `under_abdomen`,
//!   `under_upper_arms`, `under_lower_arms`, `under_upper_legs`, `under_lower_legs`,
//!   `shirt`, `pants`, `neck`, `wrist`, `finger`, `trinket`, `cloak`, `aetheria`,
//!   `aetheria_blue`, `aetheria_yellow`, `aetheria_red`, `weapon`, `shield`, `ammo`.
//! - `set`: an equipment set id or name (`14`, `Adept's`, `adepts`).
//! - `cantrip` (repeatable, all of): `Legendary Strength` matches that tier, `Strength`
//!   matches any tier of the family; without case.
//! - `material`: a material name (extension; `silver`, `reed shark hide`).
//! - `min_armor_level`, `max_wield_level` (items without a level requirement count as 0),
//!   `min_<rating>` for `damage`, `damage_resist`, `crit`, `crit_resist`, `crit_damage`,
//!   `crit_damage_resist`, `heal_boost`, `nether_resist`, `life_resist`, `vitality`.
//! - `equipped`: `true`/`false` (also `1`/`0`).
//! - `sort`: `relevance` (default; without `q` it means `name:asc`) or `field[:asc|:desc]`
//!   for `name`, `armor_level`, `value`, `burden`, `workmanship`, `wield_level`,
//!   `max_damage` or a rating. Without a direction, `name` sorts ascending and numbers
//!   descending. Items lacking the field sort last either way.
//! - `limit`: default 100, clamped to `MAX_LIMIT`. `offset`: at most `MAX_OFFSET` (deeper
//!   pages are refused: narrow the query instead).
//! - `facets`: comma list of `owner`, `set`, `object_class`, `slot`, `cantrip`.

use crate::game;
use crate::inventory::tables;
use crate::protocol::lenient;

/// Default page size (docs/api.md: every list defaults to 100).
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size; larger values are clamped, not refused (docs/api.md).
pub const MAX_LIMIT: usize = 200;
/// Deepest offset served; deep pages cost time linear in offset for no real use.
pub const MAX_OFFSET: usize = 10_000;
/// Longest `q`, in bytes.
pub const MAX_Q_BYTES: usize = 256;
/// Most words in `q`; each word expands to several (fuzzy) clauses.
pub const MAX_Q_WORDS: usize = 16;
/// Most values of one repeatable parameter.
pub const MAX_REPEATS: usize = 32;
/// Most query-string pairs in total.
pub const MAX_PAIRS: usize = 128;

/// A validated search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    pub q: Option<String>,
    /// Canonical owner keys (lowercase).
    pub owners: Vec<String>,
    pub object_class: Option<u32>,
    pub slots: Vec<&'static str>,
    pub set_id: Option<u32>,
    pub cantrips: Vec<CantripFilter>,
    /// Folded material name (see `game::fold_name`).
    pub material: Option<String>,
    pub min_armor_level: Option<i64>,
    pub max_wield_level: Option<i64>,
    /// (rating field name, minimum).
    pub min_ratings: Vec<(&'static str, i64)>,
    pub equipped: Option<bool>,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
    pub facets: Vec<FacetKind>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            q: None,
            owners: Vec::new(),
            object_class: None,
            slots: Vec::new(),
            set_id: None,
            cantrips: Vec::new(),
            material: None,
            min_armor_level: None,
            max_wield_level: None,
            min_ratings: Vec::new(),
            equipped: None,
            sort: Sort::Relevance,
            limit: DEFAULT_LIMIT,
            offset: 0,
            facets: Vec::new(),
        }
    }
}

/// One `cantrip=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CantripFilter {
    /// `legendary strength`: exactly this tier and family (lowercase).
    Exact(String),
    /// `strength`: any tier of this family (lowercase).
    Family(String),
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Relevance,
    Field(SortField, Direction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// A sortable field: `Name`, `Workmanship` (f64), or an i64 fast field by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Name,
    Workmanship,
    Numeric(&'static str),
}

/// A facet the caller asked for (its wire name is `FacetKind::name`, which serde's
/// snake_case spelling matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS), ts(rename = "FacetName"))]
pub enum FacetKind {
    Owner,
    Set,
    ObjectClass,
    Slot,
    Cantrip,
}

impl FacetKind {
    const ALL: [FacetKind; 5] =
        [FacetKind::Owner, FacetKind::Set, FacetKind::ObjectClass, FacetKind::Slot, FacetKind::Cantrip];

    pub fn name(self) -> &'static str {
        match self {
            FacetKind::Owner => "owner",
            FacetKind::Set => "set",
            FacetKind::ObjectClass => "object_class",
            FacetKind::Slot => "slot",
            FacetKind::Cantrip => "cantrip",
        }
    }

    fn parse(s: &str) -> Option<FacetKind> {
        FacetKind::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// A bad parameter: which one and why (becomes a 400 `bad_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub parameter: String,
    pub message: String,
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parameter `{}`: {}", self.parameter, self.message)
    }
}

impl std::error::Error for QueryError {}

const NUMERIC_SORTS: [&str; 5] = ["armor_level", "value", "burden", "wield_level", "max_damage"];

impl SearchQuery {
    /// Parses decoded query-string pairs (`?q=axe&slot=head&slot=hands` →
    /// `[("q","axe"),("slot","head"),("slot","hands")]`).
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<SearchQuery, QueryError> {
        if pairs.len() > MAX_PAIRS {
            return Err(err("query", format!("has {} parameters, at most {MAX_PAIRS} are accepted", pairs.len())));
        }
        let mut q = SearchQuery::default();
        let mut seen_single: Vec<&str> = Vec::new();
        let mut repeats: Vec<(&str, usize)> = Vec::new();
        for (name, raw_value) in pairs {
            let name = name.as_str();
            let value = raw_value.trim();
            let repeatable = matches!(name, "owner" | "slot" | "cantrip");
            if repeatable {
                let n = bump(&mut repeats, name);
                if n > MAX_REPEATS {
                    return Err(err(name, format!("is repeated more than {MAX_REPEATS} times")));
                }
            } else {
                if seen_single.contains(&name) {
                    return Err(err(name, "is given twice; it takes one value".to_string()));
                }
                seen_single.push(name);
            }
            match name {
                "q" => q.q = parse_q(value)?,
                "owner" => {
                    if value.is_empty() || value.len() > crate::inventory::normalize::MAX_OWNER_BYTES {
                        return Err(err(name, "must be a character name of 1–64 bytes".to_string()));
                    }
                    q.owners.push(crate::inventory::owner_key(value));
                }
                "object_class" => q.object_class = Some(parse_object_class(value)?),
                "slot" => {
                    let slot = tables::position(&value.to_ascii_lowercase()).map(|p| p.name).ok_or_else(|| {
                        let names: Vec<&str> = tables::POSITIONS.iter().map(|p| p.name).collect();
                        err(name, format!("{value:?} is not a slot; use one of {}", names.join(", ")))
                    })?;
                    if !q.slots.contains(&slot) {
                        q.slots.push(slot);
                    }
                }
                "set" => q.set_id = Some(parse_set(value)?),
                "cantrip" => q.cantrips.push(parse_cantrip(value)?),
                "material" => {
                    let id = lenient::u32_of(&value.into()).filter(|id| tables::material_name(*id).is_some());
                    let material = id
                        .and_then(tables::material_name)
                        .map(str::to_string)
                        .or_else(|| tables::material_id(value).and_then(tables::material_name).map(str::to_string));
                    let material = material.ok_or_else(|| {
                        err(name, format!("{value:?} is not a material name or id (e.g. Silver, 63)"))
                    })?;
                    q.material = Some(game::fold_name(&material));
                }
                "min_armor_level" => q.min_armor_level = Some(parse_int(name, value)?),
                "max_wield_level" => q.max_wield_level = Some(parse_int(name, value)?),
                "equipped" => {
                    q.equipped = Some(
                        lenient::bool_of(&value.into())
                            .ok_or_else(|| err(name, format!("{value:?} is not a boolean; use true or false")))?,
                    )
                }
                "sort" => q.sort = parse_sort(value)?,
                "limit" => {
                    let n = parse_int(name, value)?;
                    if n < 0 {
                        return Err(err(name, "must be 0 or more".to_string()));
                    }
                    q.limit = usize::try_from(n).unwrap_or(MAX_LIMIT).min(MAX_LIMIT);
                }
                "offset" => {
                    let n = parse_int(name, value)?;
                    if !(0..=MAX_OFFSET as i64).contains(&n) {
                        return Err(err(
                            name,
                            format!("must be between 0 and {MAX_OFFSET}; narrow the query to reach deeper results"),
                        ));
                    }
                    q.offset = n as usize;
                }
                "facets" => {
                    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        let kind = FacetKind::parse(part).ok_or_else(|| {
                            err(name, format!("{part:?} is not a facet; use owner, set, object_class, slot or cantrip"))
                        })?;
                        if !q.facets.contains(&kind) {
                            q.facets.push(kind);
                        }
                    }
                }
                other => match other.strip_prefix("min_").and_then(rating_name) {
                    Some(rating) => q.min_ratings.push((rating, parse_int(name, value)?)),
                    None => return Err(err(other, unknown_parameter_message())),
                },
            }
        }
        Ok(q)
    }
}

fn err(parameter: &str, message: String) -> QueryError {
    QueryError { parameter: parameter.to_string(), message }
}

fn bump<'a>(counts: &mut Vec<(&'a str, usize)>, name: &'a str) -> usize {
    match counts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, c)) => {
            *c += 1;
            *c
        }
        None => {
            counts.push((name, 1));
            1
        }
    }
}

fn unknown_parameter_message() -> String {
    let ratings: Vec<String> = tables::RATINGS.iter().map(|(_, n)| format!("min_{n}")).collect();
    format!(
        "is not a search parameter; accepted: q, owner, object_class, slot, set, cantrip, material, min_armor_level, \
         max_wield_level, {}, equipped, sort, limit, offset, facets",
        ratings.join(", ")
    )
}

fn rating_name(s: &str) -> Option<&'static str> {
    tables::RATINGS.iter().map(|(_, n)| *n).find(|n| *n == s)
}

fn parse_int(name: &str, value: &str) -> Result<i64, QueryError> {
    lenient::i64_of(&value.into()).ok_or_else(|| err(name, format!("{value:?} is not an integer")))
}

fn parse_q(value: &str) -> Result<Option<String>, QueryError> {
    if value.len() > MAX_Q_BYTES {
        return Err(err("q", format!("is {} bytes long, at most {MAX_Q_BYTES} are accepted", value.len())));
    }
    let words = words_of(value);
    if words.len() > MAX_Q_WORDS {
        return Err(err("q", format!("has {} words, at most {MAX_Q_WORDS} are accepted", words.len())));
    }
    Ok((!words.is_empty()).then(|| value.to_string()))
}

/// The words of a free-text query, lowercased, split like tantivy's default tokenizer
/// (on every non-alphanumeric character).
pub fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn parse_object_class(value: &str) -> Result<u32, QueryError> {
    if let Some(id) = lenient::u32_of(&value.into()) {
        if tables::object_class_name(id).is_some() {
            return Ok(id);
        }
    } else if let Some(id) = tables::object_class_id(value) {
        return Ok(id);
    }
    Err(err(
        "object_class",
        format!(
            "{value:?} is not an object class; use an id 0–42 or one of {}",
            tables::object_class_names().join(", ")
        ),
    ))
}

fn parse_set(value: &str) -> Result<u32, QueryError> {
    if let Some(id) = lenient::u32_of(&value.into()) {
        return Ok(id);
    }
    game::sets::set_id(value)
        .ok_or_else(|| err("set", format!("{value:?} is not an equipment set name or id (e.g. 14 or Adept's)")))
}

fn parse_cantrip(value: &str) -> Result<CantripFilter, QueryError> {
    if value.is_empty() || value.len() > crate::inventory::normalize::MAX_STRING_BYTES {
        return Err(err("cantrip", "must be a cantrip (`Legendary Strength`) or family (`Strength`)".to_string()));
    }
    let collapsed = value.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(match game::cantrips::cantrip_parts(&collapsed) {
        Some((tier, family)) => CantripFilter::Exact(format!("{tier} {family}").to_lowercase()),
        None => CantripFilter::Family(collapsed.to_lowercase()),
    })
}

fn parse_sort(value: &str) -> Result<Sort, QueryError> {
    let lower = value.to_ascii_lowercase();
    if lower.is_empty() || lower == "relevance" {
        return Ok(Sort::Relevance);
    }
    let (field, dir) = match lower.split_once(':') {
        Some((f, d)) => (f, Some(d)),
        None => (lower.as_str(), None),
    };
    let field = match field {
        "name" => SortField::Name,
        "workmanship" => SortField::Workmanship,
        f => match NUMERIC_SORTS.iter().copied().chain(tables::RATINGS.iter().map(|(_, n)| *n)).find(|n| *n == f) {
            Some(n) => SortField::Numeric(n),
            None => {
                return Err(err(
                    "sort",
                    format!(
                        "{field:?} is not sortable; use relevance, name, armor_level, value, burden, workmanship, \
                         wield_level, max_damage or a rating, optionally with :asc or :desc"
                    ),
                ));
            }
        },
    };
    let dir = match dir {
        Some("asc") => Direction::Asc,
        Some("desc") => Direction::Desc,
        None if field == SortField::Name => Direction::Asc,
        None => Direction::Desc,
        Some(other) => return Err(err("sort", format!("direction {other:?} must be asc or desc"))),
    };
    Ok(Sort::Field(field, dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_spells_every_facet_as_its_parameter_name() {
        for kind in FacetKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::Value::from(kind.name()));
            assert_eq!(FacetKind::parse(kind.name()), Some(kind));
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn every_parameter_parses() {
        let q = SearchQuery::from_pairs(&pairs(&[
            ("q", "koujia sleeves"),
            ("owner", "Mossy Tank"),
            ("owner", "mule one"),
            ("object_class", "armor"),
            ("slot", "head"),
            ("slot", "Upper_Arms"),
            ("set", "adepts"),
            ("cantrip", "Legendary  Strength"),
            ("cantrip", "willpower"),
            ("material", "silver"),
            ("min_armor_level", "500"),
            ("max_wield_level", "180"),
            ("min_crit_damage", "2"),
            ("equipped", "True"),
            ("sort", "armor_level:desc"),
            ("limit", "5000"),
            ("offset", "20"),
            ("facets", "owner,set, slot"),
        ]))
        .expect("valid query");
        assert_eq!(q.owners, vec!["mossy tank", "mule one"]);
        assert_eq!(q.object_class, Some(2));
        assert_eq!(q.slots, vec!["head", "upper_arms"]);
        assert_eq!(q.set_id, Some(14));
        assert_eq!(
            q.cantrips,
            vec![CantripFilter::Exact("legendary strength".into()), CantripFilter::Family("willpower".into())]
        );
        assert_eq!(q.material.as_deref(), Some("silver"));
        assert_eq!(q.min_ratings, vec![("crit_damage", 2)]);
        assert_eq!(q.equipped, Some(true));
        assert_eq!(q.sort, Sort::Field(SortField::Numeric("armor_level"), Direction::Desc));
        assert_eq!(q.limit, MAX_LIMIT, "limit is clamped, not refused");
        assert_eq!(q.offset, 20);
        assert_eq!(q.facets, vec![FacetKind::Owner, FacetKind::Set, FacetKind::Slot]);
    }

    #[test]
    fn errors_name_the_parameter_and_the_fix() {
        let cases = [
            (("slot", "elbow"), "slot"),
            (("set", "Nonesuch"), "set"),
            (("object_class", "Spaceship"), "object_class"),
            (("min_armor_level", "lots"), "min_armor_level"),
            (("sort", "color"), "sort"),
            (("sort", "value:up"), "sort"),
            (("offset", "20000"), "offset"),
            (("facets", "color"), "facets"),
            (("min_luck", "1"), "min_luck"),
            (("bogus", "1"), "bogus"),
            (("equipped", "maybe"), "equipped"),
        ];
        for ((name, value), parameter) in cases {
            let e = SearchQuery::from_pairs(&pairs(&[(name, value)])).expect_err(name);
            assert_eq!(e.parameter, parameter);
            assert!(e.to_string().contains(parameter), "{e}");
        }
        let twice = SearchQuery::from_pairs(&pairs(&[("q", "a"), ("q", "b")])).expect_err("twice");
        assert_eq!(twice.parameter, "q");
    }

    #[test]
    fn sort_defaults_direction_by_field_kind() {
        let s = |v: &str| SearchQuery::from_pairs(&pairs(&[("sort", v)])).map(|q| q.sort);
        assert_eq!(s("name"), Ok(Sort::Field(SortField::Name, Direction::Asc)));
        assert_eq!(s("value"), Ok(Sort::Field(SortField::Numeric("value"), Direction::Desc)));
        assert_eq!(s("workmanship:asc"), Ok(Sort::Field(SortField::Workmanship, Direction::Asc)));
        assert_eq!(s("crit_damage"), Ok(Sort::Field(SortField::Numeric("crit_damage"), Direction::Desc)));
        assert_eq!(s("relevance"), Ok(Sort::Relevance));
    }
}
