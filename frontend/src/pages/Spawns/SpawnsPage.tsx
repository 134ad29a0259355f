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
import { cellForScale, HEAT_CELLS, heatGradient } from '../../lib/heat'
import { presetById, RANGE_PRESETS } from '../../lib/timeRange'

/** "auto" follows the zoom (lib/heat cellForScale); fixed sizes stay offered. */
const AUTO = 0

export default function SpawnsPage() {
  useTitle('Spawn heatmap')
  const live = useLiveState()
  const [rangeId, setRangeId] = useState('7d')
  const [monster, setMonster] = useState('')
  const [choice, setChoice] = useState(AUTO)
  const [scale, setScale] = useState<number | null>(null)
  // Bins follow the zoom: visible at full view, fine when zoomed in (debounced while zooming).
  const autoCell = useDebounced(scale === null ? null : cellForScale(scale), 250)
  const cell = choice === AUTO ? autoCell : choice
  const who = useDebounced(monster.trim(), 300)
  const preset = presetById(rangeId)
  const heat = useAsync(
    (s) => (cell === null ? new Promise<never>(() => undefined) : api.spawnHeatmap({ from: Date.now() - preset.ms, monster: who || undefined, cell }, s)),
    [rangeId, who, cell],
  )
  const maxCount = useMemo(() => (heat.data?.bins ?? []).reduce((a, b) => Math.max(a, b.count), 0), [heat.data])
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
          Cell size
          <select value={choice} onChange={(e) => setChoice(Number(e.target.value))} data-testid="heat-cell">
            <option value={AUTO}>follow zoom{autoCell !== null ? ` (now ${autoCell})` : ''}</option>
            {HEAT_CELLS.map((c) => (
              <option key={c} value={c}>
                {c} unit{c === 1 ? '' : 's'} ({Math.round(c * 240)} m)
              </option>
            ))}
          </select>
        </label>
        {heat.loading && <span className="muted small">loading…</span>}
        {heat.data && heat.data.bins.length === 0 && !heat.loading && <span className="muted">No spawns in this period.</span>}
      </div>
      {heat.error ? <ErrorBox error={heat.error} onRetry={heat.reload} title="The heatmap could not be loaded" /> : null}
      <div className="heat-legend" data-testid="heat-legend">
        <span>Spawns per cell</span>
        <span>1</span>
        <span className="heat-ramp" style={{ background: heatGradient() }} aria-hidden="true" />
        <span data-testid="heat-max">{formatInt(Math.max(1, maxCount))}</span>
        <span>(log scale) · cell {heat.data?.cell ?? cell ?? '…'} unit{heat.data?.cell === 1 ? '' : 's'} ≈ {Math.round((heat.data?.cell ?? cell ?? 0) * 240)} m square</span>
      </div>
      <div className="map-layout">
        <DerethMap label="Spawn heatmap over the map of Dereth" heat={heat.data ? { cell: heat.data.cell || (cell ?? 1), bins: heat.data.bins } : null} onScaleChange={setScale} />
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
