/**
 * Browser-socket messages (docs/protocol.md §4): what the dashboard sends and what it receives.
 *
 * Owns the message types and the one decoder that turns a text frame into a typed message.
 * The server sends normalized values, so decoding only checks the discriminating fields; an
 * unknown `type` decodes as `other` rather than being dropped silently.
 */
import type {
  CharacterStats,
  ChatHistoryMessage,
  ChatMessage,
  CombatStats,
  CommandAckMessage,
  CommandResultMessage,
  ErrorMessage,
  OnlineMessage,
  TelemetryBatchMessage,
  Enchantment,
  NearbyObjectInfo,
  PortalMessage,
  Quest,
  RareMessage,
  SnapshotMessage,
  SpawnMessage,
  TelemetryMessage,
  VitalsMessage,
} from '../api/types'

/** Topics a browser can subscribe to. */
export type Topic =
  | 'telemetry'
  | 'vitals'
  | 'chat'
  | 'rare'
  | 'portal'
  | 'spawn'
  | 'combat_stats'
  | 'character_stats'
  | 'quest'
  | 'cantrips'
  | 'nearby_objects'
  | 'online'
  | 'command_result'
  | 'combat'
  | 'dungeon_map'
  | 'inventory'

/** What the app-wide socket listens to. nearby_objects and quest are heavy: character page only. */
export const GLOBAL_TOPICS: readonly Topic[] = ['telemetry', 'vitals', 'chat', 'rare', 'portal', 'spawn', 'online']

/** What a character page's own socket listens to, for that one character. */
export const CHARACTER_TOPICS: readonly Topic[] = [
  'telemetry',
  'vitals',
  'online',
  'combat_stats',
  'character_stats',
  'quest',
  'cantrips',
  'nearby_objects',
  'command_result',
]

export type Subscription = { topics: readonly Topic[]; characters: '*' | readonly string[] }

// ---------------------------------------------------------------- browser → server

export interface SubscribeMessage {
  type: 'subscribe'
  topics: Topic[]
  characters: '*' | string[]
}

export interface RequestDungeonMapMessage {
  type: 'request_dungeon_map'
  player_name: string
}

/**
 * The command envelope has no `type` (docs/protocol.md §4). `request_id` is chosen by the page so
 * the server's command_ack and the plugin's command_result can be matched to this command.
 */
export interface CommandMessage {
  player_name: string
  command: string
  request_id?: string
}

export type ClientMessage = SubscribeMessage | RequestDungeonMapMessage | CommandMessage

/** Longest command the server accepts (docs/protocol.md §4 limits). */
export const MAX_COMMAND_CHARS = 500

// ---------------------------------------------------------------- server → browser

// Every message the server builds itself is generated from its Rust types (`generated.ts`):
// snapshot, telemetry and its batch, vitals, spawn, rare, portal, online, chat and the chat
// history, command_ack, command_result and error. The plugin's own objects the server passes
// through untouched (stats, quests, cantrips, nearby objects, dungeon maps) are typed below.
export type {
  ChatHistoryMessage,
  ChatMessage,
  CommandAckMessage,
  CommandResultMessage,
  CommandStatus,
  ErrorMessage,
  OnlineMessage,
  PortalMessage,
  RareMessage,
  SnapshotMessage,
  SpawnMessage,
  TelemetryBatchMessage,
  TelemetryMessage,
  VitalsMessage,
} from '../api/types'

export interface DungeonCell {
  cell: string | number
  x: number
  y: number
  z?: number
  rot?: number
  floor?: number[][][]
}

export interface DungeonMapMessage {
  type: 'dungeon_map'
  character_name: string
  landblock: string | number
  name?: string
  cell_count?: number
  bounds?: { min: number[]; max: number[] }
  cells?: DungeonCell[]
}

export interface CharacterStatsMessage extends CharacterStats {
  type: 'character_stats'
  character_name: string
}

export interface CombatStatsMessage extends CombatStats {
  type: 'combat_stats'
  character_name: string
}

export interface QuestMessage {
  type: 'quest'
  character_name: string
  quests: Quest[]
}

export interface CantripsMessage {
  type: 'cantrips'
  character_name: string
  enchantments?: Enchantment[]
  summary?: Record<string, number>
}

export type NearbyObject = NearbyObjectInfo

export interface NearbyObjectsMessage {
  type: 'nearby_objects'
  character_name: string
  radius_m?: number
  objects: NearbyObject[]
}

/** Any other type: kept so a page can still see it, never dropped silently. */
export interface OtherMessage {
  type: 'other'
  original_type: string
  data: Record<string, unknown>
}

export type LiveMessage =
  | SnapshotMessage
  | ChatHistoryMessage
  | TelemetryMessage
  | TelemetryBatchMessage
  | VitalsMessage
  | OnlineMessage
  | ChatMessage
  | RareMessage
  | PortalMessage
  | SpawnMessage
  | CommandAckMessage
  | CommandResultMessage
  | DungeonMapMessage
  | ErrorMessage
  | CharacterStatsMessage
  | CombatStatsMessage
  | QuestMessage
  | CantripsMessage
  | NearbyObjectsMessage
  | OtherMessage

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** `player_name` is an accepted alias of `character_name` (docs/protocol.md preamble). */
function withName(o: Record<string, unknown>): Record<string, unknown> | null {
  if (typeof o.character_name === 'string') return o
  if (typeof o.player_name === 'string') return { ...o, character_name: o.player_name }
  return null
}

/** Decodes one text frame; null when it is not a JSON object with a string `type`. */
export function decodeLiveMessage(text: string): LiveMessage | null {
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return null
  }
  if (!isRecord(v) || typeof v.type !== 'string') return null
  return classify(v)
}

function classify(v: Record<string, unknown>): LiveMessage | null {
  const type = v.type as string
  const named = withName(v)
  switch (type) {
    case 'snapshot':
      return Array.isArray(v.characters)
        ? ({ ...v, characters: v.characters.filter((c) => isRecord(c) && typeof c.character_name === 'string') } as unknown as SnapshotMessage)
        : null
    case 'telemetry_batch': {
      if (!Array.isArray(v.items)) return null
      const items: TelemetryMessage[] = []
      for (const it of v.items) {
        if (!isRecord(it)) continue
        const n = withName(it)
        if (n) items.push({ ...n, type: 'telemetry' } as unknown as TelemetryMessage)
      }
      return { type: 'telemetry_batch', items }
    }
    case 'telemetry':
    case 'vitals':
    case 'character_stats':
    case 'combat_stats':
    case 'dungeon_map':
      return named ? (named as unknown as LiveMessage) : null
    case 'online':
      return named && typeof named.online === 'boolean' ? (named as unknown as OnlineMessage) : null
    case 'chat':
      return named && typeof named.text === 'string' ? (named as unknown as ChatMessage) : null
    case 'chat_history': {
      if (!Array.isArray(v.lines)) return null
      const lines: ChatMessage[] = []
      for (const l of v.lines) {
        if (!isRecord(l)) continue
        const n = withName(l)
        if (n && typeof n.text === 'string') lines.push({ ...n, type: 'chat' } as unknown as ChatMessage)
      }
      return { type: 'chat_history', lines }
    }
    case 'rare':
      return named && typeof named.rare_name === 'string' ? (named as unknown as RareMessage) : null
    case 'portal':
      return named && typeof named.portal_name === 'string' ? (named as unknown as PortalMessage) : null
    case 'spawn':
      return named && typeof named.monster_name === 'string' ? (named as unknown as SpawnMessage) : null
    case 'quest':
      return named && Array.isArray(named.quests) ? (named as unknown as QuestMessage) : null
    case 'cantrips':
      return named ? (named as unknown as CantripsMessage) : null
    case 'nearby_objects':
      return named && Array.isArray(named.objects) ? (named as unknown as NearbyObjectsMessage) : null
    case 'command_ack': {
      const player = typeof v.player_name === 'string' ? v.player_name : v.character_name
      return typeof player === 'string' && typeof v.status === 'string'
        ? ({ ...v, player_name: player } as unknown as CommandAckMessage)
        : null
    }
    case 'command_result':
      return v as unknown as CommandResultMessage
    case 'error':
      return {
        type: 'error',
        code: typeof v.code === 'string' ? v.code : 'error',
        message: typeof v.message === 'string' ? v.message : 'the server reported an error',
      }
    default:
      return { type: 'other', original_type: type, data: v }
  }
}

export function subscribeMessage(sub: Subscription): SubscribeMessage {
  return {
    type: 'subscribe',
    topics: [...sub.topics],
    characters: sub.characters === '*' ? '*' : [...sub.characters],
  }
}
