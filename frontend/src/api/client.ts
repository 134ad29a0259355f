/**
 * The one typed client for every endpoint of docs/api.md.
 *
 * Owns URL building, JSON encoding, timeouts and turning every failure into an ApiError that
 * carries the server's `{"error":{code,message}}` (or a clear stand-in when the server could
 * not be reached). A 401 calls the unauthorized handler (the app sends the user to Login)
 * unless the call opts out. Never renders anything and never retries on its own: a page
 * decides whether to try again.
 */
import type {
  AttentionResponse,
  GainsMetric,
  GainsResponse,
  MapImageResponse,
  OverviewResponse,
  ReplayHours,
  CharacterDetail,
  CharacterSummary,
  EventsResponse,
  FacetName,
  Health,
  HeatmapResponse,
  Item,
  ItemList,
  ItemSearchParams,
  ItemSearchResponse,
  ItemStats,
  LeaderboardMetric,
  LeaderboardPeriod,
  LeaderboardResponse,
  LiveResponse,
  Note,
  NoteState,
  Portal,
  Rare,
  Role,
  SeriesMetric,
  SeriesResponse,
  SetupStatus,
  SuitDone,
  SuitJobCreated,
  SuitJobState,
  SuitRequest,
  TrailResponse,
  User,
  UserRow,
  VersionInfo,
} from './types'

/** A request that takes longer than this is abandoned with a timeout error. */
export const REQUEST_TIMEOUT_MS = 30_000
/** Synchronous solves may run up to the solver's time limit, plus slack. */
export const SOLVE_TIMEOUT_MS = 120_000

/** Friendly text for each contract error code, used when a message is missing. */
const CODE_TEXT: Record<string, string> = {
  bad_request: 'The request was not understood.',
  unauthorized: 'Please sign in.',
  forbidden: 'You do not have permission to do that.',
  not_found: 'Not found.',
  conflict: 'That conflicts with something that already exists.',
  too_large: 'That is too large.',
  invalid: 'Some values are not valid.',
  rate_limited: 'Too many attempts; please wait a moment.',
  unavailable: 'The server is temporarily unavailable.',
  internal: 'The server hit an internal error.',
  network: 'Cannot reach the server.',
  timeout: 'The server took too long to answer.',
  bad_response: 'The server sent an answer this page cannot read.',
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfterS: number | null

  constructor(status: number, code: string, message: string, retryAfterS: number | null = null) {
    super(message || CODE_TEXT[code] || `Request failed (${status}).`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfterS = retryAfterS
  }

  /** One line for people: the server's message, plus the wait for rate limits. */
  get userMessage(): string {
    if (this.code === 'rate_limited' && this.retryAfterS !== null) {
      return `${this.message} (try again in ${this.retryAfterS}s)`
    }
    return this.message
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError'
}

/** Text for any thrown value, for error banners. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.userMessage
  if (e instanceof Error) return e.message
  return String(e)
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

type QueryScalar = string | number | boolean
export type QueryValue = QueryScalar | readonly QueryScalar[] | null | undefined

/** "?a=1&b=x&b=y" from a record; arrays repeat the key, empty values are skipped. */
export function buildQuery(params: Record<string, QueryValue>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue
    if (Array.isArray(v)) {
      for (const x of v as readonly QueryScalar[]) q.append(k, String(x))
    } else {
      q.append(k, String(v))
    }
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

function isErrorBody(v: unknown): v is { error: { code: string; message: string } } {
  if (typeof v !== 'object' || v === null || !('error' in v)) return false
  const e = (v as { error: unknown }).error
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string'
}

export interface RequestOptions {
  query?: Record<string, QueryValue>
  body?: unknown
  /** A raw body (an uploaded file) sent as-is with its own content type instead of JSON. */
  raw?: Blob
  signal?: AbortSignal
  timeoutMs?: number
  /** Do not call the unauthorized handler on 401 (login form, session probe). */
  noAuthRedirect?: boolean
}

export interface ApiOptions {
  fetch?: FetchLike
  baseUrl?: string
  onUnauthorized?: () => void
}

let globalUnauthorizedHandler: (() => void) | null = null

/** The app installs this once: it navigates to the login page. */
export function setUnauthorizedHandler(handler: (() => void) | null): void {
  globalUnauthorizedHandler = handler
}

function enc(s: string): string {
  return encodeURIComponent(s)
}

export function createApi(options: ApiOptions = {}) {
  const base = options.baseUrl ?? ''
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = `${base}${path}${opts.query ? buildQuery(opts.query) : ''}`
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? REQUEST_TIMEOUT_MS)
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
    const headers: Record<string, string> = { Accept: 'application/json' }
    const init: RequestInit = { method, headers, signal, credentials: 'same-origin' }
    if (opts.raw !== undefined) {
      headers['Content-Type'] = opts.raw.type || 'application/octet-stream'
      init.body = opts.raw
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(opts.body)
    }
    let res: Response
    try {
      res = await doFetch(url, init)
    } catch (e) {
      if (opts.signal?.aborted) throw e
      if (timeout.aborted) throw new ApiError(0, 'timeout', `${CODE_TEXT.timeout} (${method} ${path})`)
      throw new ApiError(0, 'network', `${CODE_TEXT.network} ${e instanceof Error ? e.message : ''}`.trim())
    }
    if (res.status === 204 || res.status === 205) return undefined as T
    const text = await res.text()
    let parsed: unknown = undefined
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
    }
    if (!res.ok) {
      const retry = res.headers.get('Retry-After')
      const retryAfterS = retry !== null && /^\d+$/.test(retry.trim()) ? Number(retry) : null
      const err = isErrorBody(parsed)
        ? new ApiError(res.status, parsed.error.code, parsed.error.message, retryAfterS)
        : new ApiError(res.status, codeForStatus(res.status), '', retryAfterS)
      if (res.status === 401 && !opts.noAuthRedirect) {
        const handler = options.onUnauthorized ?? globalUnauthorizedHandler
        handler?.()
      }
      throw err
    }
    if (parsed === undefined) {
      if (text.length === 0) return undefined as T
      throw new ApiError(res.status, 'bad_response', `${CODE_TEXT.bad_response} (${method} ${path})`)
    }
    return parsed as T
  }

  const get = <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts)

  return {
    request,

    // ---- service
    version: (signal?: AbortSignal) => get<VersionInfo>('/api/version', { signal }),
    health: (signal?: AbortSignal) => get<Health>('/healthz', { signal }),

    // ---- auth
    login: (username: string, password: string) =>
      request<{ user: User }>('POST', '/api/auth/login', { body: { username, password }, noAuthRedirect: true }),
    logout: () => request<void>('POST', '/api/auth/logout', { noAuthRedirect: true }),
    me: (signal?: AbortSignal) => get<User>('/api/auth/me', { signal, noAuthRedirect: true }),
    setupStatus: (signal?: AbortSignal) => get<SetupStatus>('/api/auth/setup', { signal, noAuthRedirect: true }),
    /** Creates the first admin; the server answers like a login (user + session cookie). */
    setup: (token: string, username: string, password: string) =>
      request<{ user?: User } | undefined>('POST', '/api/auth/setup', {
        body: { token, username, password },
        noAuthRedirect: true,
      }),

    // ---- users (admin)
    users: (signal?: AbortSignal) => get<{ users: UserRow[] }>('/api/admin/users', { signal }),
    createUser: (username: string, password: string, role: Role) =>
      request<{ user?: UserRow } | undefined>('POST', '/api/admin/users', { body: { username, password, role } }),
    updateUser: (username: string, patch: { password?: string; role?: Role }) =>
      request<{ user?: UserRow } | undefined>('PATCH', `/api/admin/users/${enc(username)}`, { body: patch }),
    deleteUser: (username: string) => request<void>('DELETE', `/api/admin/users/${enc(username)}`),

    // ---- live and characters
    live: (signal?: AbortSignal) => get<LiveResponse>('/api/live', { signal }),
    characters: (signal?: AbortSignal) => get<{ characters: CharacterSummary[] }>('/api/characters', { signal }),
    character: (name: string, signal?: AbortSignal) => get<CharacterDetail>(`/api/characters/${enc(name)}`, { signal }),
    trail: (name: string, p: { from?: number; to?: number; maxPoints?: number } = {}, signal?: AbortSignal) =>
      get<TrailResponse>(`/api/characters/${enc(name)}/trail`, {
        signal,
        query: { from: p.from, to: p.to, max_points: p.maxPoints },
      }),
    series: (
      name: string,
      p: { metric: SeriesMetric; from?: number; to?: number; stepS?: number },
      signal?: AbortSignal,
    ) =>
      get<SeriesResponse>(`/api/characters/${enc(name)}/series`, {
        signal,
        query: { metric: p.metric, from: p.from, to: p.to, step_s: p.stepS },
      }),
    inventory: (name: string, location?: string, signal?: AbortSignal) =>
      get<ItemList>(`/api/characters/${enc(name)}/inventory`, { signal, query: { location } }),

    // ---- events and world
    rares: (p: { from?: number; to?: number; character?: string; limit?: number } = {}, signal?: AbortSignal) =>
      get<{ rares: Rare[] }>('/api/rares', { signal, query: p }),
    portals: (p: { q?: string; limit?: number } = {}, signal?: AbortSignal) =>
      get<{ portals: Portal[] }>('/api/portals', { signal, query: p }),
    spawnHeatmap: (
      p: { from?: number; to?: number; monster?: string; cell?: number } = {},
      signal?: AbortSignal,
    ) => get<HeatmapResponse>('/api/spawns/heatmap', { signal, query: p }),
    leaderboard: (metric: LeaderboardMetric, period: LeaderboardPeriod, signal?: AbortSignal) =>
      get<LeaderboardResponse>('/api/leaderboard', { signal, query: { metric, period } }),
    events: (
      p: { type: string; character?: string; from?: number; to?: number; limit?: number; cursor?: string },
      signal?: AbortSignal,
    ) => get<EventsResponse>('/api/events', { signal, query: p }),

    // ---- items
    searchItems: (p: ItemSearchParams, signal?: AbortSignal) =>
      get<ItemSearchResponse>('/api/items/search', { signal, query: itemSearchQuery(p) }),
    item: (owner: string, objectId: number, signal?: AbortSignal) =>
      get<Item>(`/api/items/${enc(owner)}/${objectId}`, { signal }),
    itemStats: (signal?: AbortSignal) => get<ItemStats>('/api/items/stats', { signal }),

    // ---- suit builder
    createSuitJob: (req: SuitRequest) => request<SuitJobCreated>('POST', '/api/suitbuilder/jobs', { body: req }),
    suitJob: (id: string, signal?: AbortSignal) => get<SuitJobState>(`/api/suitbuilder/jobs/${enc(id)}`, { signal }),
    cancelSuitJob: (id: string) => request<void>('DELETE', `/api/suitbuilder/jobs/${enc(id)}`),
    solveSuit: (req: SuitRequest, signal?: AbortSignal) =>
      request<SuitDone>('POST', '/api/suitbuilder/solve', { body: req, signal, timeoutMs: SOLVE_TIMEOUT_MS }),

    // ---- notes
    notes: (state?: NoteState, signal?: AbortSignal) => get<{ notes: Note[] }>('/api/notes', { signal, query: { state } }),
    createNote: (title: string, body: string) => request<Note>('POST', '/api/notes', { body: { title, body } }),
    updateNote: (id: Note['id'], patch: { title?: string; body?: string; state?: NoteState }) =>
      request<Note>('PATCH', `/api/notes/${enc(String(id))}`, { body: patch }),
    deleteNote: (id: Note['id']) => request<void>('DELETE', `/api/notes/${enc(String(id))}`),

    // ---- dashboard additions: gains, replay hours, map image, attention
    gains: (metric: GainsMetric, period: Exclude<LeaderboardPeriod, 'all'>, signal?: AbortSignal) =>
      get<GainsResponse>('/api/leaderboard/gains', { signal, query: { metric, period } }),
    replayHours: (p: { from?: number; to?: number } = {}, signal?: AbortSignal) =>
      get<ReplayHours>('/api/replay/hours', { signal, query: p }),
    mapImage: (signal?: AbortSignal) => get<MapImageResponse>('/api/map-image', { signal }),
    uploadMapImage: (file: Blob, bounds?: readonly number[]) =>
      request<MapImageResponse>('PUT', '/api/admin/map-image', { raw: file, query: { bounds: bounds?.join(',') }, timeoutMs: 60_000 }),
    setMapImageUrl: (url: string, bounds?: readonly number[]) =>
      request<MapImageResponse>('PUT', '/api/admin/map-image/url', { body: { url, bounds } }),
    setMapImageBounds: (bounds: readonly number[]) =>
      request<MapImageResponse>('PUT', '/api/admin/map-image/bounds', { body: { bounds } }),
    clearMapImage: () => request<void>('DELETE', '/api/admin/map-image'),
    overview: (signal?: AbortSignal) => get<OverviewResponse>('/api/overview', { signal }),
    attention: (signal?: AbortSignal) => get<AttentionResponse>('/api/attention', { signal }),
  }
}

export type Api = ReturnType<typeof createApi>

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'bad_request'
    case 401:
      return 'unauthorized'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 409:
      return 'conflict'
    case 413:
      return 'too_large'
    case 422:
      return 'invalid'
    case 429:
      return 'rate_limited'
    case 503:
      return 'unavailable'
    default:
      return status >= 500 ? 'internal' : `http_${status}`
  }
}

/** Item search parameters → query record (docs/api.md "GET /api/items/search"). */
export function itemSearchQuery(p: ItemSearchParams): Record<string, QueryValue> {
  const q: Record<string, QueryValue> = {
    q: p.q?.trim() || undefined,
    owner: p.owner,
    object_class: p.object_class,
    slot: p.slot,
    set: p.set,
    cantrip: p.cantrip,
    min_armor_level: p.min_armor_level,
    max_wield_level: p.max_wield_level,
    equipped: p.equipped,
    sort: p.sort && p.sort !== 'relevance' ? p.sort : undefined,
    limit: p.limit,
    offset: p.offset,
    facets: p.facets && p.facets.length > 0 ? p.facets.join(',') : undefined,
  }
  for (const [rating, min] of Object.entries(p.min_ratings ?? {})) {
    if (Number.isFinite(min)) q[`min_${rating}`] = min
  }
  return q
}

export const ALL_FACETS: readonly FacetName[] = ['owner', 'set', 'object_class', 'slot', 'cantrip']

/** The shared client the app uses. */
export const api = createApi()
