import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, BACKOFF_MAX_MS, LiveClient, type ConnectionStatus, type WebSocketLike } from './client'
import { decodeLiveMessage, type LiveMessage } from './messages'
import { CHAT_LIMIT, EMPTY_STATE, LiveStore, reduce, RECENT_POINTS_PER_CHARACTER } from './store'
import { chatLine, liveCharacter, telemetryMessage, vitalsMessage } from '../test/fixtures'

class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = []
  readyState = 0
  sent: string[] = []
  onopen: ((ev: Event) => void) | null = null
  onclose: ((ev: CloseEvent) => void) | null = null
  onerror: ((ev: Event) => void) | null = null
  onmessage: ((ev: MessageEvent) => void) | null = null
  closedWith: number | undefined
  url: string
  constructor(url: string) {
    this.url = url
    FakeSocket.all.push(this)
  }
  send(d: string) {
    this.sent.push(d)
  }
  close(code?: number) {
    this.closedWith = code
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  receive(obj: unknown) {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(obj) }))
  }
  drop() {
    this.readyState = 3
    this.onclose?.(new Event('close') as CloseEvent)
  }
}

function makeClient(onMessage: (m: LiveMessage) => void = () => {}, statuses: ConnectionStatus[] = []) {
  return new LiveClient({
    url: 'ws://test/ws/live',
    subscription: { topics: ['telemetry', 'chat'], characters: '*' },
    onMessage,
    onStatus: (s) => statuses.push(s),
    socketFactory: (u) => new FakeSocket(u),
    random: () => 0.5,
  })
}

describe('backoff', () => {
  it('grows exponentially and is capped', () => {
    const d = [0, 1, 2, 3].map((a) => backoffDelay(a, () => 1))
    expect(d).toEqual([500, 1000, 2000, 4000])
    expect(backoffDelay(50, () => 1)).toBe(BACKOFF_MAX_MS)
  })
  it('keeps at least half the delay whatever the jitter', () => {
    expect(backoffDelay(3, () => 0)).toBe(2000)
  })
})

describe('LiveClient', () => {
  beforeEach(() => {
    FakeSocket.all = []
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('subscribes as soon as the socket opens', () => {
    const c = makeClient()
    c.start()
    const s = FakeSocket.all[0]
    expect(s?.url).toBe('ws://test/ws/live')
    s?.open()
    expect(JSON.parse(s?.sent[0] ?? '{}')).toEqual({ type: 'subscribe', topics: ['telemetry', 'chat'], characters: '*' })
  })

  it('reconnects with growing delays and resubscribes', () => {
    const statuses: ConnectionStatus[] = []
    const c = makeClient(() => {}, statuses)
    c.start()
    FakeSocket.all[0]?.drop()
    expect(statuses.at(-1)).toMatchObject({ state: 'reconnecting', attempt: 1 })
    vi.advanceTimersByTime(374)
    expect(FakeSocket.all).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(2)
    FakeSocket.all[1]?.drop()
    vi.advanceTimersByTime(749)
    expect(FakeSocket.all).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.all).toHaveLength(3)
    FakeSocket.all[2]?.open()
    expect(FakeSocket.all[2]?.sent).toHaveLength(1)
  })

  it('resets the backoff only after the server sends a snapshot', () => {
    const c = makeClient()
    c.start()
    FakeSocket.all[0]?.drop()
    vi.advanceTimersByTime(10_000)
    FakeSocket.all[1]?.open()
    FakeSocket.all[1]?.receive({ type: 'snapshot', characters: [] })
    expect(c.getStatus()).toMatchObject({ state: 'open', attempt: 0 })
  })

  it('delivers decoded messages and ignores junk', () => {
    const got: LiveMessage[] = []
    const c = makeClient((m) => got.push(m))
    c.start()
    const s = FakeSocket.all[0]
    s?.open()
    s?.receive({ type: 'online', character_name: 'Mossy Mage', online: false, reason: 'socket_closed' })
    s?.onmessage?.(new MessageEvent('message', { data: 'not json' }))
    expect(got).toEqual([{ type: 'online', character_name: 'Mossy Mage', online: false, reason: 'socket_closed' }])
  })

  it('sends the command envelope without a type and refuses when closed', () => {
    const c = makeClient()
    expect(c.sendCommand('Mossy Tank', '/vt start')).toMatchObject({ ok: false, error: expect.stringMatching(/not connected/) })
    c.start()
    FakeSocket.all[0]?.open()
    expect(c.sendCommand('Mossy Tank', '   ')).toMatchObject({ ok: false, error: expect.stringMatching(/type a command/) })
    expect(c.sendCommand('Mossy Tank', 'x'.repeat(501))).toMatchObject({ ok: false, error: expect.stringMatching(/500/) })
    expect(c.sendCommand('Mossy Tank', '/say a\n/quit')).toMatchObject({ ok: false, error: expect.stringMatching(/one line/) })
    const sent = c.sendCommand('Mossy Tank', ' /vt start ')
    expect(sent.ok).toBe(true)
    const frame = JSON.parse(FakeSocket.all[0]?.sent.at(-1) ?? '{}') as Record<string, unknown>
    expect(frame).toEqual({ player_name: 'Mossy Tank', command: '/vt start', request_id: sent.ok ? sent.requestId : '' })
    expect(frame.type).toBeUndefined()
    const second = c.sendCommand('Mossy Tank', '/vt stop')
    expect(second.ok && sent.ok && second.requestId !== sent.requestId).toBe(true)
  })

  it('stops for good', () => {
    const c = makeClient()
    c.start()
    FakeSocket.all[0]?.open()
    c.stop()
    expect(FakeSocket.all[0]?.closedWith).toBe(1000)
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.all).toHaveLength(1)
    expect(c.getStatus().state).toBe('closed')
  })
})

describe('decodeLiveMessage', () => {
  it('accepts player_name as an alias of character_name', () => {
    expect(decodeLiveMessage('{"type":"vitals","player_name":"A","health":1}')).toMatchObject({ character_name: 'A' })
  })
  it('decodes telemetry batches item by item', () => {
    const m = decodeLiveMessage('{"type":"telemetry_batch","items":[{"character_name":"A","ew":1,"ns":2},{"bad":1}]}')
    expect(m).toEqual({ type: 'telemetry_batch', items: [{ type: 'telemetry', character_name: 'A', ew: 1, ns: 2 }] })
  })
  it('keeps unknown types as other', () => {
    expect(decodeLiveMessage('{"type":"share_target","character_name":"A"}')).toMatchObject({ type: 'other', original_type: 'share_target' })
  })
  it('decodes acks and server errors', () => {
    expect(decodeLiveMessage('{"type":"command_ack","player_name":"A","request_id":"c-1","status":"sent"}')).toMatchObject({ status: 'sent' })
    expect(decodeLiveMessage('{"type":"error","code":"bad_request","message":"unknown message type"}')).toEqual({
      type: 'error',
      code: 'bad_request',
      message: 'unknown message type',
    })
  })
  it('rejects frames without a type', () => {
    expect(decodeLiveMessage('{"character_name":"A"}')).toBeNull()
    expect(decodeLiveMessage('[1,2]')).toBeNull()
  })
})

describe('store reducer', () => {
  const now = 1_750_000_000_000
  it('builds characters from a snapshot and tracks clock skew', () => {
    const s = reduce(
      EMPTY_STATE,
      {
        type: 'snapshot',
        server_time: new Date(now + 2000).toISOString(),
        server_time_ms: now + 2000,
        characters: [
          liveCharacter('Mossy Tank', {
            telemetry: telemetryMessage('Mossy Tank', { ew: 33.5, ns: 42.1, kills: 3 }),
            vitals: vitalsMessage('Mossy Tank', { health: 1, health_max: 2 }),
          }),
        ],
      },
      now,
    )
    const c = s.characters.get('mossy tank')
    expect(c?.online).toBe(true)
    expect(c?.lastOutdoor).toEqual({ ew: 33.5, ns: 42.1 })
    expect(c?.session.kills).toBe(3)
    expect(s.clockSkewMs).toBe(2000)
    expect(s.loaded).toBe(true)
  })
  it('matches names case-insensitively; the latest frame wins', () => {
    let s = reduce(EMPTY_STATE, telemetryMessage('Mossy Tank', { ew: 1, ns: 1, kills: 5, received_at: now }), now)
    s = reduce(s, telemetryMessage('mossy tank', { ew: 1.1, ns: 1, received_at: now + 3000 }), now)
    expect(s.characters.size).toBe(1)
    const c = s.characters.get('mossy tank')
    expect(c?.telemetry.kills).toBe(null)
    expect(c?.telemetry.ew).toBe(1.1)
    expect(c?.recent).toHaveLength(2)
    expect(c?.lastSeenMs).toBe(now + 3000)
  })
  it('keeps the last outdoor fix while in a dungeon', () => {
    let s = reduce(EMPTY_STATE, telemetryMessage('A', { ew: 5, ns: 6, is_dungeon: false }), now)
    s = reduce(s, telemetryMessage('A', { ew: -99.9, ns: 92.8, is_dungeon: true }), now + 1)
    expect(s.characters.get('a')?.lastOutdoor).toEqual({ ew: 5, ns: 6 })
    expect(s.characters.get('a')?.inDungeon).toBe(true)
  })
  it('bounds the recent path and the chat feed', () => {
    let s = EMPTY_STATE
    for (let i = 0; i < RECENT_POINTS_PER_CHARACTER + 10; i++) {
      s = reduce(s, telemetryMessage('A', { ew: i / 100, ns: 0, received_at: now + i }), now)
    }
    expect(s.characters.get('a')?.recent).toHaveLength(RECENT_POINTS_PER_CHARACTER)
    for (let i = 0; i < CHAT_LIMIT + 5; i++) s = reduce(s, chatLine('A', `l${i}`), now)
    expect(s.chat).toHaveLength(CHAT_LIMIT)
    expect(s.chat.at(-1)?.msg.text).toBe(`l${CHAT_LIMIT + 4}`)
  })
  it('marks characters offline; the latest vitals win', () => {
    let s = reduce(EMPTY_STATE, telemetryMessage('A', { ew: 1, ns: 1 }), now)
    s = reduce(s, vitalsMessage('A', { health: 10, health_max: 20 }), now)
    s = reduce(s, vitalsMessage('A', { mana: 5 }), now)
    s = reduce(s, { type: 'online', character_name: 'A', online: false, received_at: now, reason: 'closed' }, now)
    const c = s.characters.get('a')
    expect(c?.online).toBe(false)
    expect(c?.vitals).toMatchObject({ health: null, health_max: null, mana: 5 })
  })
  it('returns the same state for messages it does not track', () => {
    expect(reduce(EMPTY_STATE, { type: 'error', code: 'x', message: 'y' }, now)).toBe(EMPTY_STATE)
  })
})

describe('LiveStore', () => {
  it('coalesces notifications', () => {
    vi.useFakeTimers()
    const store = new LiveStore(100, () => 0)
    const fn = vi.fn()
    store.subscribe(fn)
    for (let i = 0; i < 20; i++) store.apply(telemetryMessage('A', { ew: i, ns: 0 }))
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(100)
    expect(fn).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(fn).toHaveBeenCalledTimes(1)
    expect(store.getState().characters.get('a')?.telemetry.ew).toBe(19)
    vi.useRealTimers()
  })
})
