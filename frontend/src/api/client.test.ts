import { describe, expect, it, vi } from 'vitest'
import { ApiError, buildQuery, createApi, errorMessage, itemSearchQuery, type FetchLike } from './client'
import { openSuitStream, type EventSourceLike } from './suitEvents'

interface Call {
  url: string
  init: RequestInit | undefined
}

function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = []
  const fn: FetchLike = async (url, init) => {
    calls.push({ url, init })
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    return new Response(status === 204 ? null : text, { status, headers })
  }
  return { fn, calls }
}

describe('query building', () => {
  it('repeats array keys and skips empty values', () => {
    expect(buildQuery({ owner: ['A B', 'C'], q: '', n: undefined, x: 0, b: false })).toBe('?owner=A+B&owner=C&x=0&b=false')
    expect(buildQuery({})).toBe('')
  })
  it('maps item search filters to api.md parameter names', () => {
    const q = itemSearchQuery({
      q: '  ring ',
      owner: ['Mossy Tank'],
      slot: ['finger'],
      cantrip: ['Legendary Strength'],
      min_ratings: { crit_damage: 2 },
      facets: ['owner', 'set'],
      sort: 'relevance',
      limit: 50,
      offset: 100,
    })
    expect(buildQuery(q)).toBe(
      '?q=ring&owner=Mossy+Tank&slot=finger&cantrip=Legendary+Strength&limit=50&offset=100&facets=owner%2Cset&min_crit_damage=2',
    )
  })
})

describe('requests', () => {
  it('encodes names in paths and passes time parameters', async () => {
    const f = fakeFetch(200, { character_name: 'Mossy Tank', points: [], segments: [] })
    const api = createApi({ fetch: f.fn })
    await api.trail("Al'Rah Tank", { from: 1, to: 2, maxPoints: 500 })
    expect(f.calls[0]?.url).toBe("/api/characters/Al'Rah%20Tank/trail?from=1&to=2&max_points=500")
  })
  it('sends JSON bodies with the right method', async () => {
    const f = fakeFetch(201, { id: 1, title: 't', body: 'b', author: 'a', state: 'open', created_ms: 1, updated_ms: 1 })
    const api = createApi({ fetch: f.fn })
    const note = await api.createNote('t', 'b')
    expect(note.title).toBe('t')
    expect(f.calls[0]?.init?.method).toBe('POST')
    expect(f.calls[0]?.init?.body).toBe('{"title":"t","body":"b"}')
    const headers = (f.calls[0]?.init?.headers ?? {}) as Record<string, string>
    expect(headers['Content-Type']).toBe('application/json')
  })
  it('returns undefined for 204', async () => {
    const f = fakeFetch(204, undefined)
    const api = createApi({ fetch: f.fn })
    await expect(api.deleteNote(3)).resolves.toBeUndefined()
  })
})

describe('errors', () => {
  it('surfaces the contract error code and message', async () => {
    const f = fakeFetch(409, { error: { code: 'conflict', message: 'user "bob" exists; pick another name' } })
    const api = createApi({ fetch: f.fn })
    const err = await api.createUser('bob', 'password1', 'member').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).status).toBe(409)
    expect((err as ApiError).code).toBe('conflict')
    expect(errorMessage(err)).toBe('user "bob" exists; pick another name')
  })
  it('includes Retry-After for rate limits', async () => {
    const f = fakeFetch(429, { error: { code: 'rate_limited', message: 'too many sign-in attempts' } }, { 'Retry-After': '30' })
    const api = createApi({ fetch: f.fn })
    const err = (await api.login('a', 'b').catch((e: unknown) => e)) as ApiError
    expect(err.retryAfterS).toBe(30)
    expect(err.userMessage).toBe('too many sign-in attempts (try again in 30s)')
  })
  it('gives a readable error when the body is not the contract shape', async () => {
    const f = fakeFetch(502, '<html>bad gateway</html>')
    const api = createApi({ fetch: f.fn })
    const err = (await api.live().catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('internal')
    expect(err.message).toBe('The server hit an internal error.')
  })
  it('reports an unreachable server as a network error', async () => {
    const api = createApi({
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
    })
    const err = (await api.version().catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('network')
    expect(err.message).toContain('Cannot reach the server')
  })
  it('rejects a 200 answer that is not JSON', async () => {
    const f = fakeFetch(200, '<!doctype html>')
    const api = createApi({ fetch: f.fn })
    const err = (await api.live().catch((e: unknown) => e)) as ApiError
    expect(err.code).toBe('bad_response')
  })
  it('calls the unauthorized handler on 401, except where the call opts out', async () => {
    const onUnauthorized = vi.fn()
    const f = fakeFetch(401, { error: { code: 'unauthorized', message: 'sign in first' } })
    const api = createApi({ fetch: f.fn, onUnauthorized })
    await api.live().catch(() => undefined)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    await api.login('x', 'y').catch(() => undefined)
    await api.me().catch(() => undefined)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })
  it('lets a caller abort without turning it into an ApiError', async () => {
    const ctrl = new AbortController()
    const api = createApi({
      fetch: (_url, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
        }),
    })
    const p = api.live(ctrl.signal)
    ctrl.abort()
    const err = await p.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DOMException)
  })
})

class FakeEventSource implements EventSourceLike {
  readyState = 1
  closed = false
  listeners = new Map<string, ((ev: Event) => void)[]>()
  addEventListener(type: string, l: (ev: Event) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), l])
  }
  close() {
    this.closed = true
    this.readyState = 2
  }
  emit(type: string, data?: unknown) {
    const ev = data === undefined ? new Event(type) : new MessageEvent(type, { data: JSON.stringify(data) })
    for (const l of this.listeners.get(type) ?? []) l(ev)
  }
}

describe('suit stream', () => {
  const suit = { score: 10, items: [{ object_id: 1, owner: 'A', name: 'Helm', position: 'head' }] }
  it('decodes progress, best and done, then closes', () => {
    const es = new FakeEventSource()
    const h = { onProgress: vi.fn(), onBest: vi.fn(), onDone: vi.fn(), onError: vi.fn() }
    openSuitStream('/x', h, () => es)
    es.emit('progress', { nodes: 100, best_score: 5, upper_bound: 12, elapsed_ms: 250 })
    es.emit('best', suit)
    es.emit('best', { suit })
    es.emit('done', { optimal: true, suits: [suit] })
    expect(h.onProgress).toHaveBeenCalledWith(expect.objectContaining({ nodes: 100 }))
    expect(h.onBest).toHaveBeenCalledTimes(2)
    expect(h.onDone).toHaveBeenCalledWith(expect.objectContaining({ optimal: true }))
    expect(es.closed).toBe(true)
    expect(h.onError).not.toHaveBeenCalled()
  })
  it('tells the server error event from a transient connection error', () => {
    const es = new FakeEventSource()
    const h = { onProgress: vi.fn(), onBest: vi.fn(), onDone: vi.fn(), onError: vi.fn() }
    openSuitStream('/x', h, () => es)
    es.emit('error') // reconnecting: readyState still open
    expect(h.onError).not.toHaveBeenCalled()
    es.emit('error', { code: 'invalid', message: 'locked items 1 and 2 conflict' })
    expect(h.onError).toHaveBeenCalledWith({ code: 'invalid', message: 'locked items 1 and 2 conflict' })
    expect(es.closed).toBe(true)
  })
})
