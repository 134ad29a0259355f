//! Which old table is what, and which of its columns feeds which protocol field.
//!
//! The old stack's exact schema is not public (docs/migration.md has the one assumed), but
//! it kept the plugin's snake_case names across plugin and database, so a column is mapped
//! **by name**: the protocol field of the same name, or one of the aliases below. A column
//! that maps to nothing is reported as unused, never guessed at. Never reads data.

/// What an old table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Telemetry,
    Spawn,
    Rare,
    Portal,
    CharacterStats,
    CombatStats,
    Users,
    /// Totals the old tracker kept beside its events; Overlord derives them from events.
    Aggregate,
    Unknown,
}

impl TableKind {
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Telemetry => "telemetry",
            TableKind::Spawn => "spawn",
            TableKind::Rare => "rare",
            TableKind::Portal => "portal",
            TableKind::CharacterStats => "character_stats",
            TableKind::CombatStats => "combat_stats",
            TableKind::Users => "users",
            TableKind::Aggregate => "aggregate",
            TableKind::Unknown => "unknown",
        }
    }

    /// Whether rows of this kind are timed events (stored in day files).
    pub fn is_event(self) -> bool {
        matches!(
            self,
            TableKind::Telemetry
                | TableKind::Spawn
                | TableKind::Rare
                | TableKind::Portal
                | TableKind::CharacterStats
                | TableKind::CombatStats
        )
    }
}

/// Time columns, most authoritative first (issue 12: `timestamp`, else `received_at`,
/// `ts` or `time`); portals and users also have their own.
const TIME_COLUMNS: &[&str] =
    &["timestamp", "received_at", "ts", "time", "discovered_at", "first_seen", "created_at", "recorded_at"];

/// Classifies a table by its name and, for the `rare_*` family, by whether it has a time
/// column (events) or not (per-character totals).
pub fn classify(table: &str, columns: &[String]) -> TableKind {
    let t = table.to_ascii_lowercase();
    let t = t.rsplit('.').next().unwrap_or(&t).to_string();
    let timed = time_column(columns).is_some();
    match t.as_str() {
        "telemetry_events" | "telemetry" => TableKind::Telemetry,
        "spawn_events" | "spawns" | "spawn" => TableKind::Spawn,
        "rare_events" | "rares" | "rare" => TableKind::Rare,
        "portals" | "portal_events" | "portal_discoveries" | "portal" => TableKind::Portal,
        "character_stats" => TableKind::CharacterStats,
        "combat_stats" if timed => TableKind::CombatStats,
        "users" => TableKind::Users,
        "char_stats" | "combat_stats" | "combat_stats_sessions" | "rare_stats" | "rare_stats_sessions" => {
            TableKind::Aggregate
        }
        other if other.starts_with("rare_") => {
            let named = columns.iter().any(|c| matches!(c.to_ascii_lowercase().as_str(), "rare_name" | "name"));
            if timed && named { TableKind::Rare } else { TableKind::Aggregate }
        }
        _ => TableKind::Unknown,
    }
}

/// The index of the column that gives a row its time.
pub fn time_column(columns: &[String]) -> Option<usize> {
    let lower: Vec<String> = columns.iter().map(|c| c.to_ascii_lowercase()).collect();
    TIME_COLUMNS.iter().find_map(|want| lower.iter().position(|c| c == want))
}

/// What one column feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// The row's time.
    Time,
    /// The character the row belongs to.
    Character,
    PluginVersion,
    /// A protocol field of the kind, by its protocol name.
    Field(&'static str),
    /// A session length as `[d.]hh:mm:ss` or seconds (the old `onlinetime`).
    OnlineTime,
    /// Portals: the last time it was seen (the first is the row's time).
    LastSeen,
    /// character_stats / combat_stats: a JSON document holding the plugin's message.
    JsonBase,
    /// character_stats / combat_stats: any other column, kept under its own name.
    Extra(String),
}

/// The mapping of one table's columns (`None` = unused, reported).
#[derive(Debug, Clone)]
pub struct ColumnPlan {
    pub kind: TableKind,
    pub slots: Vec<Option<Slot>>,
}

impl ColumnPlan {
    pub fn new(kind: TableKind, columns: &[String]) -> ColumnPlan {
        let time = time_column(columns);
        let slots = columns
            .iter()
            .enumerate()
            .map(|(i, c)| if Some(i) == time { Some(Slot::Time) } else { slot_for(kind, &c.to_ascii_lowercase()) })
            .collect();
        ColumnPlan { kind, slots }
    }

    /// Columns nothing reads.
    pub fn unused<'a>(&self, columns: &'a [String]) -> Vec<&'a str> {
        columns.iter().zip(&self.slots).filter(|(_, s)| s.is_none()).map(|(c, _)| c.as_str()).collect()
    }

    pub fn has(&self, slot: &Slot) -> bool {
        self.slots.iter().any(|s| s.as_ref() == Some(slot))
    }
}

const CHARACTER_ALIASES: &[&str] = &["character_name", "player_name", "character", "char_name"];
const TELEMETRY_FIELDS: &[&str] = &[
    "landcell",
    "local_x",
    "local_y",
    "z",
    "ew",
    "ns",
    "heading",
    "is_dungeon",
    "kills",
    "kills_per_hour",
    "deaths",
    "total_deaths",
    "rares_found",
    "prismatic_taper_count",
    "session_seconds",
    "xp_per_hour",
    "level",
    "total_xp",
    "luminance",
    "vt_state",
];
const PLACE_FIELDS: &[&str] = &["ew", "ns", "z", "landcell", "is_dungeon"];

fn slot_for(kind: TableKind, c: &str) -> Option<Slot> {
    if c == "plugin_version" && kind.is_event() {
        return Some(Slot::PluginVersion);
    }
    let field = |list: &[&'static str]| list.iter().find(|f| **f == c).map(|f| Slot::Field(f));
    match kind {
        TableKind::Telemetry => {
            if CHARACTER_ALIASES.contains(&c) {
                return Some(Slot::Character);
            }
            match c {
                "onlinetime" | "online_time" => Some(Slot::OnlineTime),
                "x" | "loc_x" => Some(Slot::Field("local_x")),
                "y" | "loc_y" => Some(Slot::Field("local_y")),
                _ => field(TELEMETRY_FIELDS),
            }
        }
        TableKind::Spawn => {
            if CHARACTER_ALIASES.contains(&c) {
                return Some(Slot::Character);
            }
            match c {
                "monster_name" | "mob" | "monster" | "name" => Some(Slot::Field("monster_name")),
                "object_id" | "wcid" => field(&["object_id", "wcid"]),
                _ => field(PLACE_FIELDS),
            }
        }
        TableKind::Rare => {
            if CHARACTER_ALIASES.contains(&c) {
                return Some(Slot::Character);
            }
            match c {
                "rare_name" | "name" | "rare" | "item_name" => Some(Slot::Field("rare_name")),
                "object_id" | "wcid" | "chat_text" => field(&["object_id", "wcid", "chat_text"]),
                _ => field(PLACE_FIELDS),
            }
        }
        TableKind::Portal => {
            if CHARACTER_ALIASES.contains(&c) || c == "discovered_by" {
                return Some(Slot::Character);
            }
            match c {
                "portal_name" | "name" | "portal" => Some(Slot::Field("portal_name")),
                "object_id" | "destination" => field(&["object_id", "destination"]),
                "last_seen" | "last_seen_at" => Some(Slot::LastSeen),
                _ => field(PLACE_FIELDS),
            }
        }
        TableKind::CharacterStats | TableKind::CombatStats => {
            if CHARACTER_ALIASES.contains(&c) {
                return Some(Slot::Character);
            }
            match c {
                "id" | "type" => None,
                "stats_data" | "data" | "payload" | "raw" | "raw_json" | "stats" | "json" => Some(Slot::JsonBase),
                other => Some(Slot::Extra(other.to_string())),
            }
        }
        TableKind::Users => match c {
            "username" | "user_name" | "login" | "name" => Some(Slot::Field("username")),
            "password_hash" | "hashed_password" | "password" | "pw_hash" | "hash" => Some(Slot::Field("password_hash")),
            "role" => Some(Slot::Field("role")),
            "is_admin" | "admin" => Some(Slot::Field("is_admin")),
            _ => None,
        },
        TableKind::Aggregate | TableKind::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tables_are_classified_by_name_and_shape() {
        let timed = cols(&["id", "character_name", "name", "timestamp"]);
        let totals = cols(&["character_name", "total_rares"]);
        assert_eq!(classify("telemetry_events", &timed), TableKind::Telemetry);
        assert_eq!(classify("public.rare_events", &timed), TableKind::Rare);
        assert_eq!(classify("rare_finds", &timed), TableKind::Rare);
        assert_eq!(classify("rare_stats", &totals), TableKind::Aggregate);
        assert_eq!(classify("rare_totals", &totals), TableKind::Aggregate);
        assert_eq!(classify("combat_stats", &totals), TableKind::Aggregate);
        assert_eq!(classify("combat_stats", &timed), TableKind::CombatStats);
        assert_eq!(classify("server_health", &timed), TableKind::Unknown);
    }

    #[test]
    fn columns_map_by_name_and_alias_and_the_rest_is_unused() {
        let c = cols(&["id", "player_name", "timestamp", "received_at", "ew", "ns", "onlinetime", "mem_mb", "kills"]);
        let plan = ColumnPlan::new(TableKind::Telemetry, &c);
        assert_eq!(plan.slots[1], Some(Slot::Character));
        assert_eq!(plan.slots[2], Some(Slot::Time), "timestamp wins over received_at");
        assert_eq!(plan.slots[6], Some(Slot::OnlineTime));
        assert_eq!(plan.unused(&c), vec!["id", "received_at", "mem_mb"]);
        let spawn = ColumnPlan::new(TableKind::Spawn, &cols(&["character_name", "mob", "ts"]));
        assert_eq!(spawn.slots[1], Some(Slot::Field("monster_name")));
        assert_eq!(spawn.slots[2], Some(Slot::Time));
    }
}
