/**
 * Wire types of the HTTP API (shared/api.md, v1) and the normalized item (protocol.md §5).
 *
 * Owns the shapes only. Fields the contract marks optional, or that a server build may omit,
 * are optional here, so pages must handle their absence; nothing here is ever `any`.
 */

import type { FacetName, Item } from './generated'

// Response types the server serializes from Rust structs come from `generated.ts`
// (ts-rs; `cargo test` fails when it is stale), under the names the dashboard uses.
export type {
  AttentionSnapshot as AttentionResponse,
  BackupEntry,
  BackupStatus,
  HeatmapBin as HeatBin,
  Heatmap as HeatmapResponse,
  JobCreated as SuitJobCreated,
  JobOutcome as SuitDone,
  JobSnapshot as SuitJobState,
  Leaderboard as LeaderboardResponse,
  LeaderboardMetric,
  Period as LeaderboardPeriod,
  RareRow as Rare,
  Series as SeriesResponse,
  SeriesMetric,
  ServedRange,
  SkippedItem,
  Suit,
  SuitItem,
  Trail as TrailResponse,
  TrailPoint,
  GainsMetric,
  GainsPeriod,
  GainsTable as GainsResponse,
  NamedGain as GainRow,
  Health,
  ItemStats,
  MapImageInfo,
  MapImageResponse,
  MapImageSet,
  Me as User,
  Overview as OverviewResponse,
  ReplayHours,
  Role,
  SetupStatus,
  SignedIn,
  UserInfo as UserRow,
  VersionInfo,
  Note,
  NoteState,
  PortalRecord as Portal,
  Item,
  ItemList,
  ItemSearchResponse,
  FacetName,
  Named as IdName,
  WieldView as WieldRequirement,
  WeaponView as WeaponInfo,
} from './generated'

export interface ErrorBody {
  error: { code: string; message: string }
}

/** An operator map image and the map-coordinate box it covers. */
export interface MapImageConfig {
  url: string
  /** West edge (EW), east edge, south edge (NS), north edge. */
  bounds: { west: number; east: number; south: number; north: number }
}

// ---------------------------------------------------------------- live and characters

/** Normalized latest telemetry (protocol.md §3.1); every field may be missing. */
export interface Telemetry {
  received_at?: number
  landcell?: number | null
  local_x?: number | null
  local_y?: number | null
  z?: number | null
  ew?: number | null
  ns?: number | null
  heading?: number | null
  is_dungeon?: boolean | null
  kills?: number | null
  kills_per_hour?: number | null
  deaths?: number | null
  total_deaths?: number | null
  rares_found?: number | null
  prismatic_taper_count?: number | null
  session_seconds?: number | null
  xp_per_hour?: number | null
  level?: number | null
  total_xp?: number | null
  luminance?: number | null
  vt_state?: string | null
  plugin_version?: string | null
}

export interface Vitals {
  health?: number | null
  health_max?: number | null
  stamina?: number | null
  stamina_max?: number | null
  mana?: number | null
  mana_max?: number | null
  vitae?: number | null
}

export interface SessionCounters {
  kills?: number | null
  kills_per_hour?: number | null
  deaths?: number | null
  rares_found?: number | null
  session_seconds?: number | null
}

export interface LiveCharacter {
  character_name: string
  online: boolean
  last_seen_ms?: number | null
  telemetry?: Telemetry | null
  vitals?: Vitals | null
  session?: SessionCounters | null
}

export interface LiveResponse {
  server_time_ms: number
  characters: LiveCharacter[]
}

export interface CharacterSummary {
  character_name: string
  online: boolean
  first_seen_ms?: number | null
  last_seen_ms?: number | null
  level?: number | null
  total_deaths?: number | null
  rares_total?: number | null
  items?: number | null
}

export interface AttributeValue {
  base?: number | null
  current?: number | null
}

export interface SkillValue extends AttributeValue {
  id?: number | null
  training?: string | null
}

/** protocol.md §3.10. */
export interface CharacterStats {
  server?: string | null
  level?: number | null
  total_xp?: number | null
  unassigned_xp?: number | null
  xp_to_next_level?: number | null
  luminance?: number | null
  luminance_max?: number | null
  race?: string | null
  gender?: string | null
  burden?: number | null
  burden_capacity?: number | null
  pyreals?: number | null
  total_deaths?: number | null
  vitae?: number | null
  birth?: string | null
  age_seconds?: number | null
  allegiance?: {
    name?: string | null
    monarch?: string | null
    patron?: string | null
    rank?: number | null
    followers?: number | null
  } | null
  attributes?: Record<string, AttributeValue> | null
  vitals_max?: Record<string, number> | null
  skills?: Record<string, SkillValue> | null
  ratings?: Record<string, number> | null
  augmentations?: number | null
  received_at?: number | null
}

export interface CombatSide {
  attacks?: number | null
  failed?: number | null
  crits?: number | null
  damage?: number | null
  max_hit?: number | null
  kills?: number | null
  by_element?: Record<string, number> | null
}

/** protocol.md §3.7. */
export interface CombatStats {
  session_seconds?: number | null
  given?: CombatSide | null
  received?: CombatSide | null
  top_targets?: { name: string; kills?: number | null; damage_given?: number | null }[] | null
  received_at?: number | null
}

/** protocol.md §3.8 plus the server-derived ready time. */
export interface Quest {
  name: string
  solves?: number | null
  last_completed?: number | null
  max_solves?: number | null
  repeat_seconds?: number | null
  description?: string | null
  ready_at_ms?: number | null
}

export interface Enchantment {
  spell_id?: number | null
  name: string
  source?: string | null
  remaining_s?: number | null
}

/** protocol.md §3.12. */
export interface Cantrips {
  enchantments?: Enchantment[] | null
  summary?: Record<string, number> | null
}

/** Lifetime totals from hourly rollups (kills, deaths, xp, rares, distance, time online). */
export interface LifetimeTotals {
  kills?: number | null
  deaths?: number | null
  xp?: number | null
  rares?: number | null
  distance_m?: number | null
  online_s?: number | null
  rares_total?: number | null
  total_deaths?: number | null
  [key: string]: number | null | undefined
}

/** GET /api/characters/{name}. */
export interface CharacterDetail {
  character_name: string
  online?: boolean
  first_seen_ms?: number | null
  last_seen_ms?: number | null
  telemetry?: Telemetry | null
  character_stats?: CharacterStats | null
  combat_stats?: CombatStats | null
  vitals?: Vitals | null
  /** The contract says "cantrips": a §3.12 object, or a bare enchantment list in some builds. */
  cantrips?: Cantrips | Enchantment[] | null
  /** A list, or the §3.8 object with a `quests` list. */
  quests?: Quest[] | { quests?: Quest[] | null } | null
  nearby_objects?: { objects?: NearbyObjectInfo[] | null; radius_m?: number | null } | null
  plugin_version?: string | null
  session?: SessionCounters | null
  totals?: LifetimeTotals | null
  lifetime?: LifetimeTotals | null
}

/** protocol.md §3.13 entry. */
export interface NearbyObjectInfo {
  object_id: number
  name: string
  object_class?: string
  ew?: number
  ns?: number
  z?: number
  distance_m?: number
  health_pct?: number | null
}

// ---------------------------------------------------------------- events and world

export interface EventsResponse {
  events: Record<string, unknown>[]
  next_cursor?: string | null
}

// ---------------------------------------------------------------- items

// The item and the search answer are generated too (`Item`, `ItemSearchResponse`,
// `FacetName` and the parts of an item), re-exported at the top of this file.

export interface ItemSearchParams {
  q?: string
  owner?: string[]
  object_class?: string
  slot?: string[]
  set?: string
  cantrip?: string[]
  min_armor_level?: number
  max_wield_level?: number
  /** min_<rating>, e.g. {crit_damage: 2}. */
  min_ratings?: Record<string, number>
  equipped?: boolean
  sort?: string
  limit?: number
  offset?: number
  facets?: FacetName[]
}

// ---------------------------------------------------------------- suit builder

export interface WantedSpell {
  family: string
  min_tier?: string
}

export interface SuitRequest {
  character: string
  owners?: string[]
  items?: Item[]
  wanted_spells?: WantedSpell[]
  sets?: { set_id: number; values: Record<string, number> }[]
  locked?: number[]
  excluded?: number[]
  filters?: { armor_crit_damage_tiers?: number[] }
  weights?: { spell?: number; armor?: number; ratings?: Record<string, number> }
  caps?: Record<string, number>
  allow_reduction?: boolean
  top_k?: number
  time_limit_ms?: number
}

export interface SuitProgress {
  nodes: number
  nodes_per_s?: number | null
  best_score?: number | null
  upper_bound?: number | null
  elapsed_ms?: number | null
}

// ---------------------------------------------------------------- notes

// ---------------------------------------------------------------- dashboard additions (issue 15)

