/**
 * One browser connection to `/ws/live` that stays connected.
 *
 * Owns the socket lifecycle: connect, send the subscription on every (re)connect, decode
 * frames, and reconnect with exponential backoff plus jitter after any close. Never keeps
 * application state (that is the store) and never queues commands while disconnected: a
 * command sent to a closed socket is refused at once so the user sees it did not go.
 */
import {
  decodeLiveMessage,
  MAX_COMMAND_CHARS,
  subscribeMessage,
  type ClientMessage,
  type LiveMessage,
  type Subscription,
} from './messages'

/** First reconnect delay. */
export const BACKOFF_BASE_MS = 500
/** Reconnect delay never exceeds this, so a returning server is found within half a minute. */
export const BACKOFF_MAX_MS = 30_000

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

export interface ConnectionStatus {
  state: ConnectionState
  /** Failed attempts since the last good connection. */
  attempt: number
  /** When state is reconnecting: the delay before the next try. */
  retryInMs?: number
}

/** The subset of WebSocket used here, so tests can pass a fake. */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((ev: Event) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onerror: ((ev: Event) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WebSocketFactory = (url: string) => WebSocketLike

const OPEN = 1

export interface LiveClientOptions {
  url?: string
  subscription: Subscription
  onMessage: (m: LiveMessage) => void
  onStatus?: (s: ConnectionStatus) => void
  socketFactory?: WebSocketFactory
  /** Injected for tests; defaults to Math.random. */
  random?: () => number
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 20))
  // "Equal jitter": half fixed, half random, so many browsers do not reconnect in lockstep
  // after a server restart while the delay still grows.
  return Math.round(exp / 2 + (exp / 2) * random())
}

/** The server refuses control characters in commands (one line only). */
function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0)
  return code < 0x20 || code === 0x7f
}

export function defaultLiveUrl(): string {
  const proto = window.location.protocol === 'https:' ? 'wss' : 'ws'
  return `${proto}://${window.location.host}/ws/live`
}

export class LiveClient {
  private socket: WebSocketLike | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private attempt = 0
  private stopped = false
  private subscription: Subscription
  private readonly url: string
  private readonly opts: LiveClientOptions
  private status: ConnectionStatus = { state: 'connecting', attempt: 0 }
  private commandSeq = 0
  /** Distinguishes this page's request ids from other tabs' (the server echoes them). */
  private readonly clientId = Math.random().toString(36).slice(2, 8)

  constructor(opts: LiveClientOptions) {
    this.opts = opts
    this.url = opts.url ?? defaultLiveUrl()
    this.subscription = opts.subscription
  }

  start(): void {
    this.stopped = false
    this.connect()
  }

  /** Closes for good: no reconnect. */
  stop(): void {
    this.stopped = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    const s = this.socket
    this.socket = null
    if (s) {
      s.onopen = null
      s.onclose = null
      s.onerror = null
      s.onmessage = null
      s.close(1000, 'page closed')
    }
    this.setStatus({ state: 'closed', attempt: this.attempt })
  }

  getStatus(): ConnectionStatus {
    return this.status
  }

  isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN
  }

  /** Replaces the subscription; sent now if connected, and on every reconnect. */
  setSubscription(sub: Subscription): void {
    this.subscription = sub
    this.send(subscribeMessage(sub))
  }

  /**
   * Sends a chat command to a character's plugin with a fresh request id. Refuses (with a
   * reason) when not connected, empty, multi-line or too long; the server's answer arrives
   * as a command_ack carrying the same request id.
   */
  sendCommand(playerName: string, command: string): { ok: true; requestId: string } | { ok: false; error: string } {
    const c = command.trim()
    if (!c) return { ok: false, error: 'type a command first' }
    if (c.length > MAX_COMMAND_CHARS) return { ok: false, error: `a command is at most ${MAX_COMMAND_CHARS} characters` }
    if ([...c].some(isControl)) return { ok: false, error: 'a command is one line without control characters' }
    if (!this.isOpen()) return { ok: false, error: 'not connected to the server; wait for the live connection to come back' }
    this.commandSeq += 1
    const requestId = `w-${this.clientId}-${this.commandSeq}`
    this.send({ player_name: playerName, command: c, request_id: requestId })
    return { ok: true, requestId }
  }

  requestDungeonMap(playerName: string): boolean {
    return this.send({ type: 'request_dungeon_map', player_name: playerName })
  }

  private send(msg: ClientMessage): boolean {
    if (!this.socket || this.socket.readyState !== OPEN) return false
    this.socket.send(JSON.stringify(msg))
    return true
  }

  private setStatus(s: ConnectionStatus): void {
    this.status = s
    this.opts.onStatus?.(s)
  }

  private connect(): void {
    if (this.stopped) return
    this.setStatus({ state: this.attempt === 0 ? 'connecting' : 'reconnecting', attempt: this.attempt })
    let socket: WebSocketLike
    try {
      socket = (this.opts.socketFactory ?? ((u: string) => new WebSocket(u)))(this.url)
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.setStatus({ state: 'open', attempt: this.attempt })
      this.send(subscribeMessage(this.subscription))
    }
    socket.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return
      const msg = decodeLiveMessage(ev.data)
      if (!msg) return
      // A snapshot proves the server accepted us: only then forget earlier failures, so a
      // server that accepts and drops at once still backs off.
      if (msg.type === 'snapshot' && this.attempt !== 0) {
        this.attempt = 0
        this.setStatus({ state: 'open', attempt: 0 })
      }
      this.opts.onMessage(msg)
    }
    socket.onerror = () => {
      // A close always follows; reconnect is handled there.
    }
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      this.scheduleReconnect()
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return
    const delay = backoffDelay(this.attempt, this.opts.random)
    this.attempt += 1
    this.setStatus({ state: 'reconnecting', attempt: this.attempt, retryInMs: delay })
    this.timer = setTimeout(() => {
      this.timer = null
      this.connect()
    }, delay)
  }
}
