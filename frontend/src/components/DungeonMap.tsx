/**
 * A dungeon's floor plan (docs/protocol.md §3.14) with the character's position, drawn in
 * landblock metres, north up. Geometry comes from lib/dungeon; this only renders.
 */
import { useMemo, useState } from 'react'
import type { DungeonMapMessage } from '../live/messages'
import { boundsOf, cellPolygons, cellsOnFloor, floorLevels } from '../lib/dungeon'

const PAD_M = 10

export function DungeonMap({ map, position }: { map: DungeonMapMessage; position: { x: number; y: number; z?: number | null } | null }) {
  const [allFloors, setAllFloors] = useState(false)
  const cells = useMemo(() => map.cells ?? [], [map.cells])
  const shown = useMemo(() => (allFloors ? cells : cellsOnFloor(cells, position?.z)), [cells, allFloors, position?.z])
  const polys = useMemo(() => cellPolygons(shown), [shown])
  const box = boundsOf(polys, position ? [position] : [])
  const levels = floorLevels(cells)
  const title = `${map.name ?? 'Dungeon'} (${typeof map.landblock === 'number' ? `0x${map.landblock.toString(16).toUpperCase()}` : map.landblock})`
  if (!box) return <p className="muted">{title}: the map has no floor geometry.</p>
  const w = box.maxX - box.minX + 2 * PAD_M
  const h = box.maxY - box.minY + 2 * PAD_M
  // SVG y grows downwards: draw at -y so north is up.
  const viewBox = `${box.minX - PAD_M} ${-box.maxY - PAD_M} ${w} ${h}`
  return (
    <figure className="dungeon" data-testid="dungeon-map">
      <figcaption>
        {title} · {cells.length} cells{levels.length > 1 ? ` on ${levels.length} levels` : ''}
        {levels.length > 1 && (
          <label className="check small">
            <input type="checkbox" checked={allFloors} onChange={(e) => setAllFloors(e.target.checked)} />
            all levels
          </label>
        )}
      </figcaption>
      <svg viewBox={viewBox} role="img" aria-label={`Floor plan of ${title}${position ? ' with the character marked' : ''}`} preserveAspectRatio="xMidYMid meet">
        <g className="dungeon-floor">
          {polys.map((p, i) => (
            <polygon key={i} points={p.map((q) => `${q.x},${-q.y}`).join(' ')} vectorEffect="non-scaling-stroke" />
          ))}
        </g>
        {position && (
          <g className="dungeon-me-group">
            <circle cx={position.x} cy={-position.y} r={Math.max(w, h) / 25} className="dungeon-me-ring" />
            <circle cx={position.x} cy={-position.y} r={Math.max(w, h) / 60} className="dungeon-me" />
          </g>
        )}
      </svg>
    </figure>
  )
}
