/**
 * Dungeon map geometry (docs/protocol.md §3.14): cells with an origin in landblock metres and a
 * rotation, each holding floor polygons in cell-local metres. Turns them into landblock-metre
 * polygons for drawing, finds the bounds, and picks the floor level a character stands on.
 * Pure.
 *
 * Rotation follows the protocol's heading convention: degrees, clockwise from north (+y), so
 * a cell with rot 90 turns its local north to east.
 */

export interface DungeonCellGeometry {
  cell: string | number
  x: number
  y: number
  z?: number
  rot?: number
  floor?: number[][][]
}

export interface Point2 {
  x: number
  y: number
}

/** Cells drawn at most (the contract's largest dungeons hold ~500 cells). */
export const MAX_DRAWN_CELLS = 5_000
/** Cells whose origin z is within this many metres of the character are "this floor". */
export const FLOOR_TOLERANCE_M = 3

/** A cell-local point → landblock metres. */
export function toLandblock(cell: DungeonCellGeometry, local: Point2): Point2 {
  const a = (((cell.rot ?? 0) % 360) * Math.PI) / 180
  const cos = Math.cos(a)
  const sin = Math.sin(a)
  return { x: cell.x + local.x * cos + local.y * sin, y: cell.y - local.x * sin + local.y * cos }
}

/** Every floor polygon of every cell in landblock metres; malformed points are skipped. */
export function cellPolygons(cells: readonly DungeonCellGeometry[]): Point2[][] {
  const out: Point2[][] = []
  for (const cell of cells.slice(0, MAX_DRAWN_CELLS)) {
    for (const poly of cell.floor ?? []) {
      const pts: Point2[] = []
      for (const p of poly) {
        const [x, y] = p
        if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y)) pts.push(toLandblock(cell, { x, y }))
      }
      if (pts.length >= 3) out.push(pts)
    }
  }
  return out
}

export interface Box {
  minX: number
  minY: number
  maxX: number
  maxY: number
}

/** Bounds of polygons (plus extra points), or null when there is nothing to draw. */
export function boundsOf(polys: readonly Point2[][], extra: readonly Point2[] = []): Box | null {
  let b: Box | null = null
  for (const p of [...polys.flat(), ...extra]) {
    if (!b) b = { minX: p.x, minY: p.y, maxX: p.x, maxY: p.y }
    else {
      b.minX = Math.min(b.minX, p.x)
      b.minY = Math.min(b.minY, p.y)
      b.maxX = Math.max(b.maxX, p.x)
      b.maxY = Math.max(b.maxY, p.y)
    }
  }
  return b
}

/** The cells on the character's floor (origin z within tolerance); all cells if z unknown. */
export function cellsOnFloor<T extends DungeonCellGeometry>(cells: readonly T[], z: number | null | undefined): T[] {
  if (typeof z !== 'number' || !Number.isFinite(z)) return [...cells]
  const near = cells.filter((c) => typeof c.z !== 'number' || Math.abs(c.z - z) <= FLOOR_TOLERANCE_M)
  return near.length > 0 ? near : [...cells]
}

/** Distinct floor levels (rounded metres), highest first. */
export function floorLevels(cells: readonly DungeonCellGeometry[]): number[] {
  const s = new Set<number>()
  for (const c of cells) if (typeof c.z === 'number' && Number.isFinite(c.z)) s.add(Math.round(c.z))
  return [...s].sort((a, b) => b - a)
}
