/**
 * Wire types of the HTTP API (docs/api.md, v1) and the normalized item (docs/protocol.md §5).
 *
 * Owns the shapes only. Fields the contract marks optional, or that a server build may omit,
 * are optional here, so pages must handle their absence; nothing here is ever `any`.
 */

import type { FacetName, Item, SessionCounters as SessionFrame, TelemetryMessage, VitalsFrame } from './generated'

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
  TelemetryBody,
  TelemetryMessage,
  VitalsFrame,
  VitalsMessage,
  LiveCharacter,
  LiveView as LiveResponse,
  SnapshotMessage,
  SpawnMessage,
  RareMessage,
  PortalMessage,
  Place,
  CharacterList,
  CharacterSummary,
  CharacterDetail,
  Lifetime as LifetimeTotals,
  OnlineMessage,
  ChatLine,
  ChatMessage,
  ChatHistoryMessage,
  TelemetryBatchMessage,
  CommandResultMessage,
  CommandStatus,
  CommandAckMessage,
  SocketError as ErrorMessage,
  EventsPage as EventsResponse,
  ExportedEvent,
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

/**
 * What the dashboard knows of a character's telemetry: frames merged in arrival order (a field
 * the latest frame carries replaces the earlier value, even with `null`). Any field may be
 * absent: nothing has arrived yet, or the socket decoder kept a partial frame.
 */
export type Telemetry = Partial<TelemetryMessage>
/** Vitals merged likewise. */
export type Vitals = Partial<VitalsFrame>
/** Session counters merged likewise. */
export type SessionCounters = Partial<SessionFrame>

// The live list, the character list and page, and the socket's telemetry, vitals and
// snapshot messages are generated (re-exported above). The plugin's own objects a character
// page shows are typed by hand in `plugin.ts` (the plugin, not this server, owns them).
export type {
  AttributeValue,
  CantripsPayload,
  CharacterStats,
  CombatSide,
  CombatStats,
  Enchantment,
  Cantrips,
  NearbyObjectInfo,
  NearbyObjectsPayload,
  Quest,
  QuestsPayload,
  SkillValue,
} from './plugin'

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

