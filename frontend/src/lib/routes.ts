/**
 * The dashboard's client-side routes: path patterns, matching and link building.
 *
 * Owns the URL shape of every page. Pure: the router component in components/ applies it to
 * window.location; nothing here touches the DOM.
 */

export type RouteName =
  | 'overview'
  | 'map'
  | 'characters'
  | 'character'
  | 'rares'
  | 'portals'
  | 'spawns'
  | 'leaderboards'
  | 'chat'
  | 'notes'
  | 'items'
  | 'suits'
  | 'users'
  | 'tokens'
  | 'backups'
  | 'alerts'
  | 'login'
  | 'setup'
  | 'not_found'

export interface RouteMatch {
  name: RouteName
  params: Record<string, string>
}

interface RouteDef {
  name: RouteName
  /** Path segments; ":x" captures one URL-decoded segment. */
  segments: string[]
}

const ROUTES: RouteDef[] = [
  { name: 'overview', segments: [] },
  { name: 'overview', segments: ['overview'] },
  { name: 'map', segments: ['map'] },
  { name: 'characters', segments: ['characters'] },
  { name: 'character', segments: ['characters', ':name'] },
  { name: 'rares', segments: ['rares'] },
  { name: 'portals', segments: ['portals'] },
  { name: 'spawns', segments: ['spawns'] },
  { name: 'leaderboards', segments: ['leaderboards'] },
  { name: 'chat', segments: ['chat'] },
  { name: 'notes', segments: ['notes'] },
  { name: 'items', segments: ['items'] },
  { name: 'suits', segments: ['suits'] },
  { name: 'users', segments: ['users'] },
  { name: 'tokens', segments: ['tokens'] },
  { name: 'backups', segments: ['backups'] },
  { name: 'alerts', segments: ['alerts'] },
  { name: 'login', segments: ['login'] },
  { name: 'setup', segments: ['setup'] },
]

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s)
  } catch {
    return null
  }
}

export function matchRoute(pathname: string): RouteMatch {
  const parts = pathname.split('/').filter((p) => p.length > 0)
  for (const def of ROUTES) {
    if (def.segments.length !== parts.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < parts.length; i++) {
      const seg = def.segments[i]
      const part = parts[i]
      if (seg === undefined || part === undefined) {
        ok = false
        break
      }
      if (seg.startsWith(':')) {
        const v = safeDecode(part)
        if (v === null) {
          ok = false
          break
        }
        params[seg.slice(1)] = v
      } else if (seg !== part) {
        ok = false
        break
      }
    }
    if (ok) return { name: def.name, params }
  }
  return { name: 'not_found', params: {} }
}

export function characterPath(name: string): string {
  return `/characters/${encodeURIComponent(name)}`
}

/** Builds "path?k=v" skipping empty values. */
export function withQuery(path: string, query: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

/** Only same-site paths are followed after login, never an absolute URL (open redirect). */
export function safeNextPath(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/login')) return '/'
  return next
}
