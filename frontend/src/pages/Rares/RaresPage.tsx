/**
 * Rares: the stored rare finds (GET /api/rares), newest first, filterable by character and
 * time, with live finds from the socket added on top as they happen.
 */
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import type { Rare } from '../../api/types'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { AsyncView } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { formatCoords } from '../../lib/coords'
import { formatDateTime, formatRelative } from '../../lib/format'
import { characterPath, withQuery } from '../../lib/routes'
import { RANGE_PRESETS, presetById } from '../../lib/timeRange'

/** The API's maximum page (docs/api.md: limit ≤ 1,000). */
const RARES_LIMIT = 1_000

export default function RaresPage() {
  useTitle('Rares')
  const now = useNow(10_000)
  const live = useLiveState()
  // The API matches one exact character (404 for unknown names), so pick from the list.
  const [who, setWho] = useState('')
  const [rangeId, setRangeId] = useState('30d')
  const chars = useAsync((s) => api.characters(s), [])
  const names = useMemo(() => (chars.data?.characters ?? []).map((c) => c.character_name).sort((a, b) => a.localeCompare(b)), [chars.data])
  const preset = presetById(rangeId)
  const state = useAsync(
    (s) => api.rares({ from: Date.now() - preset.ms, character: who || undefined, limit: RARES_LIMIT }, s),
    [who, rangeId],
  )

  // Live finds since the page loaded that the stored list does not have yet.
  const rows = useMemo(() => {
    const stored = state.data?.rares ?? []
    const newest = stored[0]?.t ?? 0
    const fresh: Rare[] = live.rares
      .filter((r) => r.t > newest && (!who || r.msg.character_name.toLowerCase() === who.toLowerCase()))
      .map((r) => ({
        t: r.t,
        character_name: r.msg.character_name,
        rare_name: r.msg.rare_name,
        ew: r.msg.ew ?? null,
        ns: r.msg.ns ?? null,
        landcell: r.msg.landcell ?? null,
        is_dungeon: r.msg.is_dungeon ?? false,
        wcid: r.msg.wcid ?? null,
      }))
      .reverse()
    return [...fresh, ...stored]
  }, [state.data, live.rares, who])

  return (
    <div>
      <PageHeader title="Rares" sub="Unique loot found by the group, newest first" />
      <div className="toolbar">
        <label>
          Character
          <select value={who} onChange={(e) => setWho(e.target.value)}>
            <option value="">everyone</option>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Period
          <select value={rangeId} onChange={(e) => setRangeId(e.target.value)}>
            {RANGE_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                last {p.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <AsyncView state={{ ...state, data: state.data ? rows : undefined }} isEmpty={(r) => r.length === 0} empty="No rares in this period." loadingLabel="Loading rares…">
        {(list) => (
          <div className="table-wrap">
            <table className="table" data-testid="rares-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Rare</th>
                  <th scope="col">Character</th>
                  <th scope="col">Where</th>
                </tr>
              </thead>
              <tbody>
                {list.map((r, i) => (
                  <tr key={`${r.t}-${r.character_name}-${i}`}>
                    <td title={formatDateTime(r.t)}>{formatRelative(r.t, now)}</td>
                    <th scope="row">{r.rare_name}</th>
                    <td>
                      <Link to={characterPath(r.character_name)}>{r.character_name}</Link>
                    </td>
                    <td>
                      {r.is_dungeon ? (
                        'in a dungeon'
                      ) : typeof r.ew === 'number' && typeof r.ns === 'number' ? (
                        <Link to={withQuery('/map', { focus: `${r.ew},${r.ns}` })}>{formatCoords({ ew: r.ew, ns: r.ns })}</Link>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
    </div>
  )
}
