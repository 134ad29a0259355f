/**
 * Spawn heatmap: where monsters were first seen outdoors (GET /api/spawns/heatmap), binned
 * on a map-unit grid and drawn over the Dereth coordinate grid.
 */
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import { DerethMap } from '../../components/DerethMap'
import { useAsync, useDebounced, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { ErrorBox } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { formatCoords } from '../../lib/coords'
import { formatClock, formatInt } from '../../lib/format'
import { presetById, RANGE_PRESETS } from '../../lib/timeRange'

/** Bin sizes offered, in map units (the API's minimum is 0.05). */
const CELLS = [0.1, 0.2, 0.5, 1, 2]

export default function SpawnsPage() {
  useTitle('Spawn heatmap')
  const live = useLiveState()
  const [rangeId, setRangeId] = useState('7d')
  const [monster, setMonster] = useState('')
  const [cell, setCell] = useState(0.5)
  const who = useDebounced(monster.trim(), 300)
  const preset = presetById(rangeId)
  const heat = useAsync((s) => api.spawnHeatmap({ from: Date.now() - preset.ms, monster: who || undefined, cell }, s), [rangeId, who, cell])
  const total = useMemo(() => (heat.data?.bins ?? []).reduce((a, b) => a + b.count, 0), [heat.data])
  const recent = live.spawns.slice(-15).reverse()

  return (
    <div className="map-page">
      <PageHeader title="Spawn heatmap" sub={heat.data ? `${formatInt(total)} spawns in ${formatInt(heat.data.bins.length)} cells` : 'Monsters first seen outdoors'} />
      <div className="toolbar">
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
        <label>
          Monster
          <input type="search" value={monster} onChange={(e) => setMonster(e.target.value)} placeholder="all monsters" />
        </label>
        <label>
          Cell
          <select value={cell} onChange={(e) => setCell(Number(e.target.value))}>
            {CELLS.map((c) => (
              <option key={c} value={c}>
                {c} unit{c === 1 ? '' : 's'}
              </option>
            ))}
          </select>
        </label>
        {heat.loading && <span className="muted small">loading…</span>}
        {heat.data && heat.data.bins.length === 0 && !heat.loading && <span className="muted">No spawns in this period.</span>}
      </div>
      {heat.error ? <ErrorBox error={heat.error} onRetry={heat.reload} title="The heatmap could not be loaded" /> : null}
      <div className="map-layout">
        <DerethMap label="Spawn heatmap over the map of Dereth" heat={heat.data ? { cell: heat.data.cell || cell, bins: heat.data.bins } : null} />
        <aside className="map-list" aria-label="Latest spawns">
          <h2>Latest spawns</h2>
          {recent.length === 0 ? (
            <p className="muted">None since you opened the dashboard.</p>
          ) : (
            <ul>
              {recent.map((s) => (
                <li key={s.id}>
                  <strong>{s.msg.monster_name}</strong>{' '}
                  <span className="muted small">
                    {formatClock(s.t)} · {s.msg.character_name}
                    {typeof s.msg.ew === 'number' && typeof s.msg.ns === 'number' && !s.msg.is_dungeon ? ` · ${formatCoords({ ew: s.msg.ew, ns: s.msg.ns })}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </aside>
      </div>
    </div>
  )
}
