/**
 * Portals: every portal the group has seen (GET /api/portals), searchable, as a table and as
 * pins on the Dereth map.
 */
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import type { Portal } from '../../api/types'
import { DerethMap, type MapPin } from '../../components/DerethMap'
import { useAsync, useDebounced, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { SortHeader, type SortState } from '../../components/SortHeader'
import { AsyncView } from '../../components/States'
import { formatCoords, type MapPoint } from '../../lib/coords'
import { formatDateTime, formatRelative } from '../../lib/format'
import { characterPath } from '../../lib/routes'
import { sortBy } from '../../lib/sort'

/** Portals fetched per search (the list is small: tens to a few thousand). */
const PORTAL_LIMIT = 1_000

type Key = 'name' | 'coords' | 'seen' | 'by'

export default function PortalsPage() {
  useTitle('Portals')
  const now = useNow(30_000)
  const [q, setQ] = useState('')
  const query = useDebounced(q.trim(), 250)
  const state = useAsync((s) => api.portals({ q: query || undefined, limit: PORTAL_LIMIT }, s), [query])
  const [sort, setSort] = useState<SortState<Key>>({ key: 'name', dir: 'asc' })
  const [focus, setFocus] = useState<(MapPoint & { scale?: number }) | null>(null)

  const rows = useMemo(() => {
    const list = state.data?.portals ?? []
    const key = (p: Portal) =>
      sort.key === 'name' ? p.portal_name : sort.key === 'coords' ? p.ns : sort.key === 'seen' ? p.last_seen_ms : p.discovered_by
    return sortBy(list, key, sort.dir)
  }, [state.data, sort])

  // A portal seen indoors has no outdoor coordinates: listed, but not on the map.
  const pins = useMemo<MapPin[]>(
    () => rows.flatMap((p, i) => (typeof p.ew === 'number' && typeof p.ns === 'number' ? [{ id: String(i), ew: p.ew, ns: p.ns, label: p.portal_name, kind: 'portal' as const }] : [])),
    [rows],
  )

  return (
    <div>
      <PageHeader title="Portals" sub="Portals seen by the group's plugins" />
      <div className="toolbar">
        <label>
          Search
          <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="portal name…" />
        </label>
        {state.loading && <span className="muted small">searching…</span>}
      </div>
      <AsyncView state={state} isEmpty={(d) => d.portals.length === 0} empty={query ? 'No portal matches.' : 'No portal has been seen yet.'} loadingLabel="Loading portals…">
        {() => (
          <div className="split split-map">
            <div className="table-wrap scroll-y">
              <table className="table compact" data-testid="portals-table">
                <thead>
                  <tr>
                    <SortHeader label="Portal" sortKey="name" sort={sort} onSort={setSort} defaultDir="asc" />
                    <SortHeader label="Where" sortKey="coords" sort={sort} onSort={setSort} />
                    <SortHeader label="Last seen" sortKey="seen" sort={sort} onSort={setSort} />
                    <SortHeader label="Found by" sortKey="by" sort={sort} onSort={setSort} defaultDir="asc" />
                  </tr>
                </thead>
                <tbody>
                  {rows.map((p, i) => (
                    <tr key={`${p.portal_name}-${p.ew}-${p.ns}-${i}`}>
                      <th scope="row">
                        {p.portal_name}
                        {p.destination && <span className="muted small"> → {p.destination}</span>}
                      </th>
                      <td>
                        {typeof p.ew === 'number' && typeof p.ns === 'number' ? (
                          <button type="button" className="link-btn" onClick={() => setFocus({ ew: p.ew as number, ns: p.ns as number, scale: 40 })}>
                            {formatCoords({ ew: p.ew, ns: p.ns })}
                          </button>
                        ) : (
                          <span className="muted">{p.is_dungeon ? 'in a dungeon' : '—'}</span>
                        )}
                      </td>
                      <td title={formatDateTime(p.last_seen_ms)}>{formatRelative(p.last_seen_ms, now)}</td>
                      <td>{p.discovered_by ? <Link to={characterPath(p.discovered_by)}>{p.discovered_by}</Link> : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <DerethMap label="Portals on the map of Dereth" pins={pins} focus={focus} className="dmap-small" />
          </div>
        )}
      </AsyncView>
    </div>
  )
}
