/**
 * The public view as the dashboard applies it: which routes an anonymous visitor may open
 * (the pages `GET /api/public` lists) and the nav they see. Pure.
 */
import type { RouteName } from './routes'

export type PublicPage = 'overview' | 'map' | 'leaderboards' | 'rares'

export interface PublicInfo {
  public_view: boolean
  pages: PublicPage[]
}

/** The nav entries of the public view, in the signed-in nav's order. */
export const PUBLIC_NAV: { to: string; label: string; page: PublicPage }[] = [
  { to: '/', label: 'Overview', page: 'overview' },
  { to: '/map', label: 'Map', page: 'map' },
  { to: '/rares', label: 'Rares', page: 'rares' },
  { to: '/leaderboards', label: 'Leaderboards', page: 'leaderboards' },
]

/** Whether an anonymous visitor may see `route` (only a listed public page; never login-only ones). */
export function publicAllows(info: PublicInfo | null, route: RouteName): boolean {
  if (!info || !info.public_view) return false
  return (info.pages as string[]).includes(route)
}

/** The nav an anonymous visitor gets. */
export function publicNav(info: PublicInfo | null): typeof PUBLIC_NAV {
  if (!info || !info.public_view) return []
  return PUBLIC_NAV.filter((n) => info.pages.includes(n.page))
}
