/**
 * The dashboard's in-memory picture of the live world, fed by GET /api/live and /ws/live.
 *
 * Owns merging of snapshots and events into per-character state (latest telemetry, vitals,
 * online flag, the last outdoor fix, a short recent path) and bounded feeds of chat, rares,
 * portals and spawns. Never talks to the network and never grows without bound: every list
 * has a named cap. State is immutable per change so React can subscribe cheaply.
 */
import type { LiveCharacter, LiveResponse, SessionCounters, Telemetry, Vitals } from '../api/types'
import type { MapPoint } from '../lib/coords'
import type { TrailFix } from '../lib/trails'
import type { ChatMessage, LiveMessage, PortalMessage, RareMessage, SpawnMessage, TelemetryMessage } from './messages'

/** Recent fixes kept per character for drawing the live tail of a trail (~30 min at 3 s). */
export const RECENT_POINTS_PER_CHARACTER = 600
/** Chat lines kept for the chat page. */
export const CHAT_LIMIT = 500
/** Rare, portal and spawn events kept for live feeds. */
export const FEED_LIMIT = 200
/** Characters tracked at most; beyond it the longest-unseen offline ones are dropped. */
export const CHARACTER_LIMIT = 5_000

export interface CharacterState {
  name: string
  online: boolean
  lastSeenMs: number | null
  telemetry: Telemetry
  vitals: Vitals | null
  session: SessionCounters
  /** Last fix that may be drawn on the Dereth map (never a dungeon point). */
  lastOutdoor: MapPoint | null
  inDungeon: boolean
  recent: readonly TrailFix[]
}

export interface FeedEntry<T> {
  /** Receive time (server's when sent, else the browser's). */
  t: number
  /** Monotonic id for React keys. */
  id: number
  msg: T
}

export interface LiveState {
  characters: ReadonlyMap<string, CharacterState>
  chat: readonly FeedEntry<ChatMessage>[]
  rares: readonly FeedEntry<RareMessage>[]
  portals: readonly FeedEntry<PortalMessage>[]
  spawns: readonly FeedEntry<SpawnMessage>[]
  /** Server clock minus browser clock, from the last snapshot or /api/live. */
  clockSkewMs: number
  /** True once /api/live or a snapshot has been applied. */
  loaded: boolean
}

export const EMPTY_STATE: LiveState = {
  characters: new Map(),
  chat: [],
  rares: [],
  portals: [],
  spawns: [],
  clockSkewMs: 0,
  loaded: false,
}

export function keyOf(name: string): string {
  return name.trim().toLowerCase()
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

function blank(name: string): CharacterState {
  return {
    name,
    online: false,
    lastSeenMs: null,
    telemetry: {},
    vitals: null,
    session: {},
    lastOutdoor: null,
    inDungeon: false,
    recent: [],
  }
}

function sessionFrom(t: Telemetry, prev: SessionCounters): SessionCounters {
  return {
    kills: t.kills ?? prev.kills,
    kills_per_hour: t.kills_per_hour ?? prev.kills_per_hour,
    deaths: t.deaths ?? prev.deaths,
    rares_found: t.rares_found ?? prev.rares_found,
    session_seconds: t.session_seconds ?? prev.session_seconds,
  }
}

function stripEnvelope(m: TelemetryMessage): Telemetry {
  const { type: _type, character_name: _name, ...rest } = m as TelemetryMessage & { player_name?: string }
  delete (rest as { player_name?: string }).player_name
  return rest
}

/** Applies one telemetry frame to a character (pure). */
export function applyTelemetry(prev: CharacterState, t: Telemetry, nowMs: number): CharacterState {
  const telemetry = { ...prev.telemetry, ...t }
  const at = num(t.received_at) ?? nowMs
  const ew = num(t.ew)
  const ns = num(t.ns)
  const dungeon = t.is_dungeon === true
  let lastOutdoor = prev.lastOutdoor
  let recent = prev.recent
  if (ew !== null && ns !== null) {
    if (!dungeon) lastOutdoor = { ew, ns }
    const fix: TrailFix = { t: at, ew, ns, is_dungeon: dungeon }
    const last = recent[recent.length - 1]
    if (!last || last.t <= at) {
      recent = recent.length >= RECENT_POINTS_PER_CHARACTER ? [...recent.slice(1), fix] : [...recent, fix]
    }
  }
  return {
    ...prev,
    online: true,
    lastSeenMs: Math.max(prev.lastSeenMs ?? 0, at),
    telemetry,
    session: sessionFrom(t, prev.session),
    lastOutdoor,
    inDungeon: t.is_dungeon === undefined || t.is_dungeon === null ? prev.inDungeon : dungeon,
    recent,
  }
}

function fromLive(prev: CharacterState | undefined, c: LiveCharacter, nowMs: number): CharacterState {
  const base = prev ?? blank(c.character_name)
  let next: CharacterState = { ...base, name: c.character_name }
  if (c.telemetry) {
    // A snapshot's telemetry is the latest known, not a new fix: keep its own time if any.
    next = applyTelemetry(next, c.telemetry, num(c.telemetry.received_at) ?? num(c.last_seen_ms) ?? nowMs)
  }
  return {
    ...next,
    online: c.online,
    lastSeenMs: num(c.last_seen_ms) ?? next.lastSeenMs,
    vitals: c.vitals ?? next.vitals,
    session: c.session ? { ...next.session, ...c.session } : next.session,
  }
}

function pushBounded<T>(list: readonly T[], item: T, limit: number): T[] {
  return list.length >= limit ? [...list.slice(list.length - limit + 1), item] : [...list, item]
}

/** Keeps the map under CHARACTER_LIMIT by dropping the longest-unseen offline characters. */
function capCharacters(m: Map<string, CharacterState>): Map<string, CharacterState> {
  if (m.size <= CHARACTER_LIMIT) return m
  const offline = [...m.entries()].filter(([, c]) => !c.online).sort((a, b) => (a[1].lastSeenMs ?? 0) - (b[1].lastSeenMs ?? 0))
  for (const [k] of offline) {
    if (m.size <= CHARACTER_LIMIT) break
    m.delete(k)
  }
  return m
}

let feedSeq = 0

/** The reducer: state + message → state. Returns the same object when nothing changed. */
export function reduce(state: LiveState, msg: LiveMessage, nowMs: number): LiveState {
  switch (msg.type) {
    case 'snapshot': {
      const chars = new Map(state.characters)
      for (const c of msg.characters) chars.set(keyOf(c.character_name), fromLive(chars.get(keyOf(c.character_name)), c, nowMs))
      const serverMs = typeof msg.server_time === 'number' ? msg.server_time : msg.server_time ? Date.parse(msg.server_time) : NaN
      return {
        ...state,
        characters: capCharacters(chars),
        loaded: true,
        clockSkewMs: Number.isFinite(serverMs) ? serverMs - nowMs : state.clockSkewMs,
      }
    }
    case 'telemetry':
    case 'telemetry_batch': {
      const items = msg.type === 'telemetry' ? [msg] : msg.items
      if (items.length === 0) return state
      const chars = new Map(state.characters)
      for (const m of items) {
        const k = keyOf(m.character_name)
        const prev = chars.get(k) ?? blank(m.character_name)
        chars.set(k, applyTelemetry({ ...prev, name: m.character_name }, stripEnvelope(m), nowMs))
      }
      return { ...state, characters: capCharacters(chars) }
    }
    case 'vitals': {
      const k = keyOf(msg.character_name)
      const prev = state.characters.get(k) ?? blank(msg.character_name)
      const { type: _t, character_name: _n, received_at: _r, ...v } = msg
      const chars = new Map(state.characters)
      chars.set(k, { ...prev, vitals: { ...(prev.vitals ?? {}), ...v } })
      return { ...state, characters: chars }
    }
    case 'online': {
      const k = keyOf(msg.character_name)
      const prev = state.characters.get(k) ?? blank(msg.character_name)
      const chars = new Map(state.characters)
      chars.set(k, { ...prev, online: msg.online, lastSeenMs: msg.online ? (num(msg.received_at) ?? nowMs) : prev.lastSeenMs })
      return { ...state, characters: capCharacters(chars) }
    }
    case 'chat_history': {
      // Sent on every (re)connect: it replaces what this page had, so a reconnect does not
      // duplicate lines, and a page opened late still shows the recent conversation.
      const chat = msg.lines.slice(-CHAT_LIMIT).map((m) => ({ t: num(m.received_at) ?? nowMs, id: ++feedSeq, msg: m }))
      return { ...state, chat }
    }
    case 'chat':
      return { ...state, chat: pushBounded(state.chat, { t: num(msg.received_at) ?? nowMs, id: ++feedSeq, msg }, CHAT_LIMIT) }
    case 'rare':
      return { ...state, rares: pushBounded(state.rares, { t: num(msg.received_at) ?? nowMs, id: ++feedSeq, msg }, FEED_LIMIT) }
    case 'portal':
      return { ...state, portals: pushBounded(state.portals, { t: num(msg.received_at) ?? nowMs, id: ++feedSeq, msg }, FEED_LIMIT) }
    case 'spawn':
      return { ...state, spawns: pushBounded(state.spawns, { t: num(msg.received_at) ?? nowMs, id: ++feedSeq, msg }, FEED_LIMIT) }
    default:
      return state
  }
}

/** Applies GET /api/live. */
export function reduceLiveResponse(state: LiveState, resp: LiveResponse, nowMs: number): LiveState {
  const chars = new Map(state.characters)
  for (const c of resp.characters) chars.set(keyOf(c.character_name), fromLive(chars.get(keyOf(c.character_name)), c, nowMs))
  return {
    ...state,
    characters: capCharacters(chars),
    loaded: true,
    clockSkewMs: Number.isFinite(resp.server_time_ms) ? resp.server_time_ms - nowMs : state.clockSkewMs,
  }
}

/**
 * A subscribable holder of LiveState. Notifications are coalesced (at most one per
 * `notifyEveryMs`) so a burst of telemetry re-renders the page once.
 */
export class LiveStore {
  private state: LiveState = EMPTY_STATE
  private listeners = new Set<() => void>()
  private pending: ReturnType<typeof setTimeout> | null = null
  private readonly notifyEveryMs: number
  private readonly now: () => number

  constructor(notifyEveryMs = 200, now: () => number = Date.now) {
    this.notifyEveryMs = notifyEveryMs
    this.now = now
  }

  getState = (): LiveState => this.state

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn)
    return () => {
      this.listeners.delete(fn)
    }
  }

  apply(msg: LiveMessage): void {
    this.set(reduce(this.state, msg, this.now()))
  }

  applyLive(resp: LiveResponse): void {
    this.set(reduceLiveResponse(this.state, resp, this.now()))
  }

  private set(next: LiveState): void {
    if (next === this.state) return
    this.state = next
    if (this.notifyEveryMs <= 0) {
      this.emit()
      return
    }
    if (this.pending === null) {
      this.pending = setTimeout(() => {
        this.pending = null
        this.emit()
      }, this.notifyEveryMs)
    }
  }

  private emit(): void {
    for (const l of this.listeners) l()
  }
}
