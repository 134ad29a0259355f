/**
 * Characters: a live table of everyone seen recently (GET /api/live + the live socket),
 * sortable and filterable, plus everyone ever seen from GET /api/characters.
 */
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import type { CharacterSummary } from '../../api/types'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { SortHeader, type SortState } from '../../components/SortHeader'
import { Empty, ErrorBox, Loading } from '../../components/States'
import { VitalsBars } from '../../components/VitalsBar'
import { useLiveState, useLiveStatus } from '../../live/LiveProvider'
import { keyOf, type CharacterState } from '../../live/store'
import { colorFor } from '../../lib/colors'
import { sessionFigures } from '../../lib/figures'
import { formatDecimal, formatInt, formatRelative } from '../../lib/format'
import { characterPath } from '../../lib/routes'
import { matchesFilter, sortBy, type SortValue } from '../../lib/sort'

type Key = 'name' | 'level' | 'kills' | 'kph' | 'deaths' | 'rares' | 'health' | 'online' | 'seen'

interface Row {
  name: string
  live: CharacterState | null
  summary: CharacterSummary | null
}

function figuresOf(r: Row) {
  return sessionFigures({ session: r.live?.session, telemetry: r.live?.telemetry })
}

function value(r: Row, k: Key): SortValue {
  const t = r.live?.telemetry
  switch (k) {
    case 'name':
      return r.name
    case 'level':
      return t?.level ?? r.summary?.level
    case 'kills':
      return figuresOf(r).kills
    case 'kph':
      return figuresOf(r).killsPerHour
    case 'deaths':
      return figuresOf(r).deaths
    case 'rares':
      return figuresOf(r).rares ?? r.summary?.rares_total
    case 'health': {
      const v = r.live?.vitals
      return v && typeof v.health === 'number' && typeof v.health_max === 'number' && v.health_max > 0 ? v.health / v.health_max : null
    }
    case 'online':
      return r.live?.online ?? r.summary?.online ?? false
    case 'seen':
      return r.live?.lastSeenMs ?? r.summary?.last_seen_ms
  }
}

export default function CharactersPage() {
  useTitle('Characters')
  const live = useLiveState()
  const { liveError } = useLiveStatus()
  const now = useNow(5_000)
  const all = useAsync((s) => api.characters(s), [])
  const [filter, setFilter] = useState('')
  const [onlineOnly, setOnlineOnly] = useState(false)
  const [sort, setSort] = useState<SortState<Key>>({ key: 'online', dir: 'desc' })

  const rows = useMemo(() => {
    const m = new Map<string, Row>()
    for (const c of live.characters.values()) m.set(keyOf(c.name), { name: c.name, live: c, summary: null })
    for (const s of all.data?.characters ?? []) {
      const k = keyOf(s.character_name)
      const prev = m.get(k)
      m.set(k, { name: prev?.name ?? s.character_name, live: prev?.live ?? null, summary: s })
    }
    let list = [...m.values()]
    if (onlineOnly) list = list.filter((r) => r.live?.online ?? r.summary?.online)
    if (filter.trim()) list = list.filter((r) => matchesFilter(r.name, filter))
    // Name first, then the chosen key: the sort is stable, so equal values read by name.
    const byName = sortBy(list, (r) => r.name, 'asc')
    return sortBy(byName, (r) => value(r, sort.key), sort.dir)
  }, [live.characters, all.data, filter, onlineOnly, sort])

  const loading = !live.loaded && all.data === undefined
  const h = (label: string, key: Key, numeric = false) => <SortHeader label={label} sortKey={key} sort={sort} onSort={setSort} numeric={numeric} />

  return (
    <div>
      <PageHeader title="Characters" sub={`${[...live.characters.values()].filter((c) => c.online).length} online`} />
      <div className="toolbar">
        <label>
          Filter
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name…" />
        </label>
        <label className="check">
          <input type="checkbox" checked={onlineOnly} onChange={(e) => setOnlineOnly(e.target.checked)} />
          Online only
        </label>
      </div>
      {liveError ? <ErrorBox error={liveError} title="Live data could not be loaded" /> : null}
      {all.error ? <ErrorBox error={all.error} onRetry={all.reload} title="The character list could not be loaded" /> : null}
      {loading ? (
        <Loading label="Loading characters…" />
      ) : rows.length === 0 ? (
        <Empty>{filter || onlineOnly ? 'No character matches.' : 'No character has been seen yet. Start the plugin in a game client.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="characters-table">
            <caption className="sr-only">Characters, sortable by each column</caption>
            <thead>
              <tr>
                {h('Name', 'name')}
                {h('Level', 'level', true)}
                {h('Kills', 'kills', true)}
                {h('Kills/h', 'kph', true)}
                {h('Deaths', 'deaths', true)}
                {h('Rares', 'rares', true)}
                {h('Vitals', 'health')}
                {h('Online', 'online')}
                {h('Last seen', 'seen')}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const online = r.live?.online ?? r.summary?.online ?? false
                return (
                  <tr key={keyOf(r.name)} className={online ? undefined : 'dim'}>
                    <th scope="row">
                      <span className="swatch" style={{ background: colorFor(r.name) }} aria-hidden="true" />
                      <Link to={characterPath(r.name)}>{r.name}</Link>
                    </th>
                    <td className="num">{formatInt(value(r, 'level') as number | null)}</td>
                    <td className="num">{formatInt(figuresOf(r).kills)}</td>
                    <td className="num">{formatDecimal(figuresOf(r).killsPerHour)}</td>
                    <td className="num">{formatInt(figuresOf(r).deaths)}</td>
                    <td className="num">{formatInt(value(r, 'rares') as number | null)}</td>
                    <td className="vitals-cell">
                      <VitalsBars vitals={r.live?.vitals} compact />
                    </td>
                    <td>
                      <span className={`pill ${online ? 'pill-on' : 'pill-off'}`}>{online ? 'online' : 'offline'}</span>
                    </td>
                    <td>{formatRelative(r.live?.lastSeenMs ?? r.summary?.last_seen_ms, now)}</td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}
