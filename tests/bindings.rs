//! The dashboard's TypeScript declarations of the API's typed responses are generated from
//! the Rust types that serialize them (ts-rs), so the two cannot drift apart unnoticed.
//!
//! `cargo test --test bindings` fails when `frontend/src/api/generated.ts` is not what the
//! Rust types produce; `OVERLORD_WRITE_BINDINGS=1 cargo test --test bindings` rewrites it.
//! `frontend/src/api/types.ts` re-exports these under the names the dashboard uses.

use overlord::alerts::{AttentionSnapshot, DisconnectedCharacter, StuckCharacter};
use overlord::auth::{Role, UserInfo};
use overlord::backup_schedule::{BackupEntry, BackupStatus};
use overlord::character_view::{CharacterDetail, CharacterList, CharacterSummary, Lifetime, LiveView};
use overlord::game::cantrips::Tier;
use overlord::http::auth::{Me, OneUser, SetupStatus, SignedIn, SignedInVia, UserList};
use overlord::http::items::{ItemList, ItemStats};
use overlord::http::map_image::{CurrentMapImage, MapImageView, Origin as MapImageOrigin, SetMapImage};
use overlord::http::notes::NoteList;
use overlord::http::overview::{AlertCounts, Overview};
use overlord::http::service::{Health, HealthStatus, VersionInfo};
use overlord::http::world::PortalList;
use overlord::inventory::item::{
    ArmorModsView, ItemView, LevelView, Location, Named, RawMaps, SpellView, WeaponView, WieldView,
};
use overlord::live::render::{
    ChatHistoryMessage, ChatMessage, CommandAckMessage, CommandResultMessage, CommandStatus, OnlineMessage,
    PortalMessage, RareMessage, SnapshotMessage, SocketError, SpawnMessage, TelemetryBatchMessage,
};
use overlord::live::{LiveCharacter, SessionCounters, TelemetryBody, TelemetryMessage, VitalsMessage};
use overlord::notes::{Note, NoteState};
use overlord::protocol::{Chat as ChatLine, Place, Telemetry as TelemetryFrame, Vitals as VitalsFrame};
use overlord::search::{FacetKind, SearchResultView};
use overlord::solver::eligibility::EligibilityCounts;
use overlord::solver::score::{Components, SolveOutcome, SolveStats, StopReason, Suit, SuitItem, SuitSet, SuitSpell};
use overlord::suitbuilder::{JobCreated, JobOutcome, JobSnapshot, JobStatus, SkippedItem};
use overlord::telemetry::activity::HourWithData;
use overlord::telemetry::gains::{Metric as GainsMetric, Period as GainsPeriod};
use overlord::telemetry::portals::PortalRecord;
use overlord::telemetry::query::{
    EventsPage, ExportedEvent, GainsTable, Heatmap, HeatmapBin, Leaderboard, LeaderboardMetric, LeaderboardRow,
    NamedGain, NamedMilestone, Period, RareRow, Rares, RecentMilestones, ReplayHours, Series, SeriesMetric,
    ServedRange, Trail, TrailPoint,
};
use std::path::Path;
use ts_rs::{Config, TS};

const FILE: &str = "frontend/src/api/generated.ts";

macro_rules! declarations {
    ($cfg:expr; $($t:ty),* $(,)?) => { vec![$( format!("export {}", <$t as TS>::decl($cfg)) ),*] };
}

fn generated() -> String {
    // Times (unix ms) and counters fit in a double; the dashboard reads them as numbers.
    let cfg = Config::new().with_large_int("number");
    let cfg = &cfg;
    let decls = declarations![cfg;
        serde_json::Value, ServedRange, TrailPoint, Trail, SeriesMetric, Series,
        HeatmapBin, Heatmap, LeaderboardMetric, Period, LeaderboardRow, Leaderboard,
        RareRow, Rares, ExportedEvent, EventsPage,
        StuckCharacter, DisconnectedCharacter, AttentionSnapshot,
        BackupEntry, BackupStatus,
        Components, SuitItem, SuitSpell, SuitSet, Suit, StopReason, SolveStats, SolveOutcome,
        EligibilityCounts, SkippedItem, JobStatus, JobOutcome, JobCreated, JobSnapshot,
        // GainRow only travels flattened into NamedGain, which declares its fields.
        GainsMetric, GainsPeriod, NamedGain, GainsTable,
        NamedMilestone, RecentMilestones, AlertCounts, Overview, HourWithData, ReplayHours,
        MapImageOrigin, MapImageView, CurrentMapImage, SetMapImage,
        HealthStatus, Health, VersionInfo,
        Role, UserInfo, SignedInVia, Me, SignedIn, SetupStatus, UserList, OneUser, ItemStats,
        Tier, NoteState, Note, NoteList, PortalRecord, PortalList,
        Location, Named, RawMaps, ArmorModsView, LevelView, SpellView, WieldView, WeaponView, ItemView<'static>,
        ItemList<'static>, FacetKind, SearchResultView<'static>,
        TelemetryFrame, TelemetryBody, TelemetryMessage, VitalsFrame, VitalsMessage, SessionCounters,
        LiveCharacter, SnapshotMessage, Place, SpawnMessage, RareMessage, PortalMessage, LiveView, CharacterList, CharacterSummary, Lifetime, CharacterDetail,
        OnlineMessage, ChatLine, ChatMessage, ChatHistoryMessage<'static>, TelemetryBatchMessage<'static>,
        CommandResultMessage, CommandStatus, CommandAckMessage, SocketError,
    ];
    let mut out = String::from(
        "// Generated from the Rust response types by `OVERLORD_WRITE_BINDINGS=1 cargo test --test bindings`.\n\
         // Do not edit: change the Rust type, then regenerate. `cargo test` fails when this file is stale.\n\n\
         // The plugin's own objects, passed through untouched, are typed by hand in plugin.ts.\n\
         import type { CantripsPayload, CharacterStats, CombatStats, NearbyObjectsPayload, QuestsPayload } from './plugin'\n\n",
    );
    for d in decls {
        out.push_str(d.trim_end());
        out.push_str("\n\n");
    }
    out.push_str(&cantrip_tiers());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The one tier table (`game::cantrips`) as a value, so the dashboard's cantrip parsing,
/// ordering and points cannot drift from the server's.
fn cantrip_tiers() -> String {
    let rows: Vec<String> =
        Tier::ALL.iter().map(|t| format!("  {{ name: '{}', points: {} }},", t.name(), t.points())).collect();
    format!(
        "/** Cantrip tiers, lowest first, with their points in a suit's score (docs/solver.md §4–5). */\n\
         export const CANTRIP_TIERS: readonly {{ name: CantripTier; points: number }}[] = [\n{}\n]\n",
        rows.join("\n")
    )
}

#[test]
fn generated_typescript_matches_the_rust_response_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    let want = generated();
    if std::env::var_os("OVERLORD_WRITE_BINDINGS").is_some() {
        std::fs::write(&path, &want).expect("write generated.ts");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{FILE} is stale: the Rust response types changed. Run `OVERLORD_WRITE_BINDINGS=1 cargo test --test bindings` and commit the file."
    );
}
