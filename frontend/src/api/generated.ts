// Generated from the Rust response types by `OVERLORD_WRITE_BINDINGS=1 cargo test --test bindings`.
// Do not edit: change the Rust type, then regenerate. `cargo test` fails when this file is stale.

// The plugin's own objects, passed through untouched, are typed by hand in plugin.ts.
import type { CantripsPayload, CharacterStats, CombatStats, NearbyObjectsPayload, QuestsPayload } from './plugin'

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

export type ServedRange = { from: number, to: number, };

export type TrailPoint = { t: number, ew: number, ns: number, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type Trail = { character_name: string, 
/**
 * The range served: the request clamped to stored data; `None` when nothing stored
 * overlaps it.
 */
range: ServedRange | null, points: Array<TrailPoint>, 
/**
 * `[first_index, last_index]` into `points` of each segment.
 */
segments: Array<[number, number]>, };

export type SeriesMetric = "kills" | "kills_per_hour" | "deaths" | "xp_per_hour" | "total_xp" | "level" | "luminance" | "prismatic_taper_count";

export type Series = { metric: SeriesMetric, step_s: number, 
/**
 * The range served (the request clamped to stored data), `None` when nothing stored
 * overlaps it.
 */
range: ServedRange | null, points: Array<[number, number]>, };

export type HeatmapBin = { ew: number, ns: number, count: number, };

export type Heatmap = { cell: number, range: ServedRange | null, bins: Array<HeatmapBin>, };

export type LeaderboardMetric = "kills" | "rares" | "deaths" | "xp";

export type Period = "day" | "week" | "month" | "all";

export type LeaderboardRow = { character_name: string, value: number, };

export type Leaderboard = { metric: LeaderboardMetric, period: Period, rows: Array<LeaderboardRow>, };

export type RareRow = { t: number, character_name: string, rare_name: string, ew: number | null, ns: number | null, landcell: number | null, is_dungeon: boolean, wcid: number | null, };

export type Rares = { range: ServedRange | null, rares: Array<RareRow>, };

export type ExportedEvent = { 
/**
 * When the server received it (unix ms).
 */
t: number, 
/**
 * `telemetry` or an event kind name.
 */
type: string, character_name: string, } & ({ [key in string]: number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null });

export type EventsPage = { range: ServedRange | null, events: Array<ExportedEvent>, 
/**
 * Pass back as `cursor` for the next page; `None` on the last page.
 */
next_cursor: string | null, };

export type StuckCharacter = { name: string, 
/**
 * When the character last made progress (moved, killed, gained XP).
 */
since_ms: number, ew: number, ns: number, };

export type DisconnectedCharacter = { name: string, 
/**
 * When its socket dropped.
 */
since_ms: number, };

export type AttentionSnapshot = { stuck: Array<StuckCharacter>, disconnected: Array<DisconnectedCharacter>, generated_ms: number, };

export type BackupEntry = { name: string, path: string, bytes: number, verified: boolean, created_ms: number | null, };

export type BackupStatus = { enabled: boolean, backup_dir: string | null, schedule: string | null, keep: number, running: boolean, last_success_ms: number | null, last_success_bytes: number | null, last_failure_ms: number | null, last_error: string | null, successes: number, failures: number, next_run_ms: number | null, };

export type Components = { spells: number, sets: number, ratings: number, armor: number, };

export type SuitItem = { object_id: number, owner: string, name: string, 
/**
 * `"chest+upper_arms"`, `"finger_left"`, …
 */
position: string, 
/**
 * The part a reduced (tailored) item is cut down to; `null` when worn as-is.
 */
reduce_to: string | null, };

export type SuitSpell = { family: string, tier: string, };

export type SuitSet = { set_id: number, name: string, pieces: number, };

export type Suit = { score: number, components: Components, items: Array<SuitItem>, 
/**
 * Every wearer spell family worn (wanted or not), best tier, sorted by family.
 */
spells: Array<SuitSpell>, sets: Array<SuitSet>, 
/**
 * Summed gear ratings (before caps), every rating listed.
 */
ratings: { [key in string]: number }, 
/**
 * Σ armor_level × parts covered as worn.
 */
armor_level_total: number, requirements_checked: boolean, };

export type StopReason = "complete" | "time_limit" | "cancelled";

export type SolveStats = { stop: StopReason, nodes: number, nodes_per_s: number, elapsed_ms: number, 
/**
 * Proven upper bound on any suit's score (equals the best score when optimal).
 */
upper_bound: number, 
/**
 * upper_bound − best score (0 when optimal).
 */
gap: number, threads: number, tasks: number, 
/**
 * Ways to wear an item considered (reductions and slot choices count separately).
 */
options: number, 
/**
 * Of those, the ones left after dominance pruning.
 */
options_searched: number, requirements_checked: boolean, aetheria_slots: Array<string>, 
/**
 * True when no profile was known and all three aetheria slots were assumed.
 */
aetheria_slots_assumed: boolean, items: EligibilityCounts, };

export type SolveOutcome = { 
/**
 * True when the search completed: no valid suit scores higher than `suits[0]`, and
 * `suits` are the top-k.
 */
optimal: boolean, 
/**
 * Best first; ties by the lexicographically smallest sorted object-id list.
 */
suits: Array<Suit>, stats: SolveStats, };

export type EligibilityCounts = { given: number, not_wearable: number, excluded: number, attuned_elsewhere: number, requirements_unmet: number, filtered: number, eligible: number, };

export type SkippedItem = { object_id: number, owner: string, name: string, reason: string, };

export type JobStatus = "running" | "done" | "cancelled" | "failed";

export type JobOutcome = { skipped_items: Array<SkippedItem>, 
/**
 * True when the search completed: no valid suit scores higher than `suits[0]`, and
 * `suits` are the top-k.
 */
optimal: boolean, 
/**
 * Best first; ties by the lexicographically smallest sorted object-id list.
 */
suits: Array<Suit>, stats: SolveStats, };

export type JobCreated = { job_id: string, events_url: string, };

export type JobSnapshot = { state: JobStatus, result: JobOutcome | null, };

export type GainsMetric = "kills" | "xp" | "level" | "rares" | "deaths";

export type GainsPeriod = "day" | "week" | "month";

export type NamedGain = { character_name: string, 
/**
 * 1-based rank by the chosen metric in this period.
 */
rank: number, 
/**
 * Rank in the previous period of the same length; `None` when they gained nothing then.
 */
previous_rank: number | null, 
/**
 * `previous_rank - rank`: positive when the character climbed; `None` if new.
 */
rank_change: number | null, kills: number, xp: number, 
/**
 * Levels gained in the period.
 */
levels: number, 
/**
 * Level in the character's last stored row of the period.
 */
level: number | null, rares: number, deaths: number, 
/**
 * Seconds online in the period.
 */
online_s: number, };

export type GainsTable = { metric: GainsMetric, period: GainsPeriod, from_ms: number, to_ms: number, rows: Array<NamedGain>, };

export type NamedMilestone = { 
/**
 * When it was stored, unix ms.
 */
t: number, character_name: string, 
/**
 * The new level (level-ups) or the lifetime death count (deaths).
 */
value: number, };

export type RecentMilestones = { from_ms: number, to_ms: number, deaths: Array<NamedMilestone>, level_ups: Array<NamedMilestone>, 
/**
 * The scan stopped at its row budget (`milestones::MAX_ROWS_SCANNED`): older ones may be missing.
 */
partial: boolean, };

export type AlertCounts = { 
/**
 * A webhook is configured and detection runs.
 */
active: boolean, sent: number, raised: number, failures: number, };

export type Overview = { alerts: AlertCounts, from_ms: number, to_ms: number, deaths: Array<NamedMilestone>, level_ups: Array<NamedMilestone>, 
/**
 * The scan stopped at its row budget (`milestones::MAX_ROWS_SCANNED`): older ones may be missing.
 */
partial: boolean, };

export type HourWithData = { 
/**
 * Start of the hour, unix ms (UTC hour boundary).
 */
hour_ms: number, 
/**
 * Characters with at least one stored event in the hour.
 */
characters: number, 
/**
 * Stored events (telemetry rows and others) in the hour, all characters.
 */
events: number, };

export type ReplayHours = { from_ms: number, to_ms: number, 
/**
 * Start of the newest hour with data, where replay opens.
 */
latest_hour_ms: number | null, hours: Array<HourWithData>, };

export type MapImageOrigin = "upload" | "url" | "config";

export type MapImageInfo = { source: MapImageOrigin, url: string, 
/**
 * `[west, south, east, north]` in map units; `null` (configuration only): the usual
 * full-Dereth box.
 */
bounds: [number, number, number, number] | null, content_type?: string, bytes?: number, updated_ms?: number, };

export type MapImageResponse = { map_image: MapImageInfo | null, 
/**
 * The box an upload gets when none is given.
 */
default_bounds: [number, number, number, number], };

export type MapImageSet = { map_image: MapImageInfo, };

export type HealthStatus = "ok" | "degraded";

export type Health = { status: HealthStatus, reason?: string, version: string, uptime_s: number, };

export type VersionInfo = { version: string, 
/**
 * The build's label (`OVERLORD_BUILD` at compile time), `dev` otherwise.
 */
build: string, 
/**
 * Bumped when the on-disk layout changes incompatibly.
 */
data_format: number, 
/**
 * The server's clock, so the dashboard can allow for a skewed browser clock.
 */
server_time_ms: number, map_image: MapImageInfo | null, };

export type Role = "admin" | "member" | "viewer";

export type UserInfo = { username: string, role: Role, created_ms: number, last_login_ms: number | null, };

export type SignedInVia = "session" | "loopback";

export type Me = { username: string, role: Role, via: SignedInVia, };

export type SignedIn = { user: Me, };

export type SetupStatus = { 
/**
 * No user exists yet: the first admin is still to be created.
 */
needed: boolean, };

export type UserList = { users: Array<UserInfo>, };

export type OneUser = { user: UserInfo, };

export type ItemStats = { items_total: number, 
/**
 * Items stored per character (display name).
 */
by_owner: { [key in string]: number }, 
/**
 * How far search lags behind stored inventories, ms (0 when caught up).
 */
index_lag_ms: number, };

export type CantripTier = "Feeble" | "Lesser" | "Inner" | "Minor" | "Moderate" | "Major" | "Epic" | "Legendary";

export type NoteState = "open" | "done";

export type Note = { id: number, title: string, body: string, author: string, state: NoteState, created_ms: number, updated_ms: number, };

export type NoteList = { notes: Array<Note>, };

export type PortalRecord = { portal_name: string, ew: number | null, ns: number | null, z: number | null, landcell: number | null, destination: string | null, is_dungeon: boolean, first_seen_ms: number, last_seen_ms: number, discovered_by: string, };

export type PortalList = { portals: Array<PortalRecord>, };

export type Location = "equipped" | "main_pack" | "side_pack";

export type Named = { id: number, name: string, };

export type RawMaps = { int: { [key in number]: number }, double: { [key in number]: number }, string: { [key in number]: string }, bool: { [key in number]: boolean }, spells: Array<number>, active_spells: Array<number>, };

export type ArmorModsView = { slash?: number, pierce?: number, bludgeon?: number, cold?: number, fire?: number, acid?: number, electric?: number, };

export type LevelView = { current?: number, max?: number, };

export type SpellView = { id: number, name?: string, };

export type WieldView = { type: number, type_name?: string, skill_id: number, skill_name?: string, value: number, };

export type WeaponView = { skill?: Named, max_damage?: number, variance?: number, 
/**
 * Omitted when the item lists none.
 */
damage_types?: Array<string>, speed?: number, attack_bonus?: number, melee_defense?: number, missile_defense?: number, magic_defense?: number, mana_conversion?: number, elemental_bonus?: number, elemental_vs_monsters?: number, damage_mod?: number, };

export type Item = { object_id: number, owner: string, container_id?: number, location: Location, wielded_mask: number, wcid?: number, name: string, object_class?: Named, item_type?: number, stack_size?: number, value?: number, burden?: number, workmanship?: number, material?: Named, equip_mask?: number, slots: Array<string>, coverage_mask?: number, coverage: Array<string>, armor_level?: number, armor_mods?: ArmorModsView, set_id?: number, set_name?: string, spells: Array<SpellView>, cantrips: Array<string>, arcane_lore?: number, spellcraft?: number, mana?: LevelView, 
/**
 * Ratings present on the item, by contract name (absent means 0).
 */
ratings: { [key in string]: number }, wield_requirements: Array<WieldView>, tinks?: number, imbues: Array<string>, attuned?: boolean, bonded?: boolean, retained?: boolean, rare_id?: number, weapon?: WeaponView, item_level?: LevelView, has_id_data: boolean, 
/**
 * Unix ms of the last change the server stored.
 */
updated_at: number, 
/**
 * The raw Decal value maps (item detail only).
 */
raw?: RawMaps, };

export type ItemList = { items: Array<Item>, };

export type FacetName = "owner" | "set" | "object_class" | "slot" | "cantrip";

export type ItemSearchResponse = { total: number, took_ms: number, items: Array<Item>, 
/**
 * Serialized by hand to keep each facet's values in count order.
 */
facets: Partial<Record<FacetName, Record<string, number>>>, };

export type TelemetryFrame = { landcell: number | null, local_x: number | null, local_y: number | null, z: number | null, ew: number, ns: number, heading: number | null, is_dungeon: boolean, kills: number | null, kills_per_hour: number | null, deaths: number | null, total_deaths: number | null, rares_found: number | null, prismatic_taper_count: number | null, session_seconds: number | null, xp_per_hour: number | null, level: number | null, total_xp: number | null, luminance: number | null, vt_state: string | null, };

export type TelemetryBody = { 
/**
 * The position as the game writes it, e.g. `"12.3N, 45.6E"`.
 */
coords: string, landcell: number | null, local_x: number | null, local_y: number | null, z: number | null, ew: number, ns: number, heading: number | null, is_dungeon: boolean, kills: number | null, kills_per_hour: number | null, deaths: number | null, total_deaths: number | null, rares_found: number | null, prismatic_taper_count: number | null, session_seconds: number | null, xp_per_hour: number | null, level: number | null, total_xp: number | null, luminance: number | null, vt_state: string | null, };

export type TelemetryMessage = { type: "telemetry", character_name: string, 
/**
 * When the server received it (unix ms).
 */
received_at: number, 
/**
 * The plugin's own clock, when it sent one.
 */
client_time_ms: number | null, 
/**
 * The position as the game writes it, e.g. `"12.3N, 45.6E"`.
 */
coords: string, landcell: number | null, local_x: number | null, local_y: number | null, z: number | null, ew: number, ns: number, heading: number | null, is_dungeon: boolean, kills: number | null, kills_per_hour: number | null, deaths: number | null, total_deaths: number | null, rares_found: number | null, prismatic_taper_count: number | null, session_seconds: number | null, xp_per_hour: number | null, level: number | null, total_xp: number | null, luminance: number | null, vt_state: string | null, };

export type VitalsFrame = { health: number | null, health_max: number | null, stamina: number | null, stamina_max: number | null, mana: number | null, mana_max: number | null, vitae: number | null, };

export type VitalsMessage = { type: "vitals", character_name: string, received_at: number, health: number | null, health_max: number | null, stamina: number | null, stamina_max: number | null, mana: number | null, mana_max: number | null, vitae: number | null, };

export type SessionCounters = { kills: number | null, kills_per_hour: number | null, deaths: number | null, rares_found: number | null, session_seconds: number | null, };

export type LiveCharacter = { character_name: string, online: boolean, last_seen_ms: number, telemetry: TelemetryMessage | null, vitals: VitalsFrame | null, 
/**
 * From the last telemetry; `null` until one arrived.
 */
session: SessionCounters | null, };

export type SnapshotMessage = { type: "snapshot", 
/**
 * RFC 3339.
 */
server_time: string, server_time_ms: number, characters: Array<LiveCharacter>, };

export type Place = { ew: number | null, ns: number | null, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type SpawnMessage = { type: "spawn", character_name: string, received_at: number, monster_name: string, object_id: number | null, wcid: number | null, ew: number | null, ns: number | null, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type RareMessage = { type: "rare", character_name: string, received_at: number, rare_name: string, wcid: number | null, object_id: number | null, 
/**
 * The chat line that announced it.
 */
chat_text: string | null, ew: number | null, ns: number | null, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type PortalMessage = { type: "portal", character_name: string, received_at: number, portal_name: string, object_id: number | null, destination: string | null, ew: number | null, ns: number | null, z: number | null, landcell: number | null, is_dungeon: boolean, };

export type LiveView = { server_time_ms: number, characters: Array<LiveCharacter>, };

export type CharacterList = { characters: Array<CharacterSummary>, };

export type CharacterSummary = { character_name: string, online: boolean, first_seen_ms: number, last_seen_ms: number, 
/**
 * From live telemetry, else the latest stored character stats.
 */
level: number | null, total_deaths: number | null, rares_total: number, 
/**
 * Items stored for the character.
 */
items: number, };

export type Lifetime = { kills: number, deaths: number, xp: number, rares: number, distance_m: number, online_s: number, first_seen_ms: number, last_seen_ms: number, };

export type CharacterDetail = { character_name: string, online: boolean, last_seen_ms: number | null, plugin_version: string | null, 
/**
 * The live frame, else the last stored one within the hour before the character was last seen.
 */
telemetry: TelemetryMessage | null, character_stats: CharacterStats | null, combat_stats: CombatStats | null, vitals: VitalsFrame | null, cantrips: CantripsPayload | null, quests: QuestsPayload | null, nearby_objects: NearbyObjectsPayload | null, 
/**
 * This session's counters, from the telemetry shown.
 */
session: SessionCounters | null, 
/**
 * Totals over every stored hour (`null` for a character only seen live).
 */
lifetime: Lifetime | null, };

export type OnlineMessage = { type: "online", character_name: string, online: boolean, 
/**
 * When the server saw the socket bind or go (unix ms).
 */
received_at: number, 
/**
 * Why the socket went away (`socket_closed`, `socket_error`, `protocol_error`, `idle`,
 * `superseded`, `closed_by_server`, `panic`); absent when it came online.
 */
reason?: string, };

export type ChatLine = { channel: string | null, chat_type: number | null, sender: string | null, text: string, raw: string | null, };

export type ChatMessage = { type: "chat", character_name: string, received_at: number, channel: string | null, chat_type: number | null, sender: string | null, text: string, raw: string | null, };

export type ChatHistoryMessage = { type: "chat_history", lines: Array<ChatMessage>, };

export type TelemetryBatchMessage = { type: "telemetry_batch", 
/**
 * Each a `telemetry` message exactly as it was broadcast (already JSON, not re-encoded).
 */
items: Array<TelemetryMessage>, };

export type CommandResultMessage = { type: "command_result", character_name: string, received_at: number, 
/**
 * The `request_id` of the browser's command (its `command_ack` carries the same).
 */
request_id: string, 
/**
 * Whether the plugin ran it; `null` when the plugin did not say.
 */
ok: boolean | null, 
/**
 * The plugin's own words, e.g. why the command failed.
 */
message: string | null, };

export type CommandStatus = "sent" | "not_connected" | "forbidden" | "rate_limited";

export type CommandAckMessage = { type: "command_ack", player_name: string, 
/**
 * The browser's `request_id`, or one the server chose.
 */
request_id: string, status: CommandStatus, };

export type SocketError = { type: "error", 
/**
 * `bad_request` (the message was wrong) or `internal` (the server failed).
 */
code: string, message: string, };

/** Cantrip tiers, lowest first, with their points in a suit's score (docs/solver.md §4–5). */
export const CANTRIP_TIERS: readonly { name: CantripTier; points: number }[] = [
  { name: 'Feeble', points: 0 },
  { name: 'Lesser', points: 0 },
  { name: 'Inner', points: 0 },
  { name: 'Minor', points: 1 },
  { name: 'Moderate', points: 1 },
  { name: 'Major', points: 2 },
  { name: 'Epic', points: 3 },
  { name: 'Legendary', points: 4 },
]
