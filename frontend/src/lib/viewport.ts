/**
 * Pan/zoom math of the Dereth map view.
 *
 * Owns the transform between map coordinates (EW/NS, north up) and screen pixels, zooming
 * about a point, clamping to the rendered box and choosing which grid lines are visible.
 * Pure: no DOM, no React. The map component keeps a Viewport in state and calls these.
 */
import { MAP_MAX, MAP_MIN, landblockEdge, LANDBLOCK_COUNT, type MapPoint } from './coords'

export interface Viewport {
  /** Map coordinate at the centre of the view. */
  center: MapPoint
  /** Pixels per map unit. */
  scale: number
}

export interface Size {
  width: number
  height: number
}

export interface ScreenPoint {
  x: number
  y: number
}

/** Deepest zoom: one land cell (0.1 unit) is 60 px. */
export const MAX_SCALE = 600
/** Landblock lines appear once a landblock (0.8 unit) is at least this many pixels wide. */
export const LANDBLOCK_GRID_MIN_PX = 14
/** Landblock ids are written once a landblock is this wide. */
export const LANDBLOCK_LABEL_MIN_PX = 70
const MAP_SPAN = MAP_MAX - MAP_MIN

/** The scale at which the whole Dereth box fits the view with a small margin. */
export function fitScale(size: Size): number {
  const usable = Math.max(1, Math.min(size.width, size.height) - 24)
  return usable / MAP_SPAN
}

export function minScale(size: Size): number {
  return fitScale(size) * 0.75
}

/** The initial view: all of Dereth, centred. */
export function fitViewport(size: Size): Viewport {
  return { center: { ew: 0, ns: 0 }, scale: fitScale(size) }
}

export function toScreen(vp: Viewport, size: Size, p: MapPoint): ScreenPoint {
  return {
    x: size.width / 2 + (p.ew - vp.center.ew) * vp.scale,
    y: size.height / 2 - (p.ns - vp.center.ns) * vp.scale,
  }
}

export function toMap(vp: Viewport, size: Size, s: ScreenPoint): MapPoint {
  return {
    ew: vp.center.ew + (s.x - size.width / 2) / vp.scale,
    ns: vp.center.ns - (s.y - size.height / 2) / vp.scale,
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}

/** Keeps the centre inside the map box so the map can never be lost off-screen. */
export function clampViewport(vp: Viewport, size: Size): Viewport {
  const scale = clamp(vp.scale, minScale(size), MAX_SCALE)
  return {
    scale,
    center: { ew: clamp(vp.center.ew, MAP_MIN, MAP_MAX), ns: clamp(vp.center.ns, MAP_MIN, MAP_MAX) },
  }
}

/** Moves the view by a screen-pixel drag (content follows the pointer). */
export function panBy(vp: Viewport, size: Size, dx: number, dy: number): Viewport {
  return clampViewport(
    { scale: vp.scale, center: { ew: vp.center.ew - dx / vp.scale, ns: vp.center.ns + dy / vp.scale } },
    size,
  )
}

/** Zooms by `factor` keeping the map point under `anchor` (screen px) where it is. */
export function zoomAt(vp: Viewport, size: Size, factor: number, anchor: ScreenPoint): Viewport {
  const before = toMap(vp, size, anchor)
  const scale = clamp(vp.scale * factor, minScale(size), MAX_SCALE)
  const next: Viewport = { scale, center: vp.center }
  const after = toMap(next, size, anchor)
  return clampViewport(
    {
      scale,
      center: { ew: vp.center.ew + (before.ew - after.ew), ns: vp.center.ns + (before.ns - after.ns) },
    },
    size,
  )
}

/** Centres on a point at a given scale (or the current one). */
export function centerOn(vp: Viewport, size: Size, p: MapPoint, scale?: number): Viewport {
  return clampViewport({ center: p, scale: scale ?? vp.scale }, size)
}

/** The map rectangle visible in the view. */
export function visibleBounds(vp: Viewport, size: Size): { minEw: number; maxEw: number; minNs: number; maxNs: number } {
  const tl = toMap(vp, size, { x: 0, y: 0 })
  const br = toMap(vp, size, { x: size.width, y: size.height })
  return { minEw: tl.ew, maxEw: br.ew, minNs: br.ns, maxNs: tl.ns }
}

/** Coordinate-grid values (multiples of `step`) inside [lo, hi] and the map box. */
export function gridValues(lo: number, hi: number, step: number): number[] {
  const out: number[] = []
  const start = Math.ceil(Math.max(lo, MAP_MIN) / step) * step
  const end = Math.min(hi, MAP_MAX)
  for (let v = start; v <= end + 1e-9; v += step) out.push(Math.round(v * 1000) / 1000)
  return out
}

/** Spacing of labelled coordinate lines: every 10 units, finer (5, 1) when zoomed in. */
export function labelStep(scale: number): number {
  if (scale >= 120) return 1
  if (scale >= 30) return 5
  return 10
}

/**
 * Which grid values get a text label: every `step`, or a coarser multiple of it when labels
 * would sit closer than `minPx` (e.g. every 50 units at phone-width overview).
 */
export function labelEvery(scale: number, step: number, minPx: number): number {
  for (const k of [1, 2, 5, 10, 20, 50]) if (step * k * scale >= minPx) return step * k
  return step * 100
}

/** Landblock indices whose west/south edge is visible, or [] when too zoomed out to draw. */
export function visibleLandblockEdges(lo: number, hi: number, scale: number): number[] {
  if (scale * 0.8 < LANDBLOCK_GRID_MIN_PX) return []
  const out: number[] = []
  for (let i = 0; i <= LANDBLOCK_COUNT; i++) {
    const e = landblockEdge(i)
    if (e >= lo && e <= hi) out.push(i)
  }
  return out
}

/** "10N", "0", "25W" — a grid label. */
export function gridLabel(value: number, axis: 'ns' | 'ew'): string {
  if (value === 0) return '0'
  const letter = axis === 'ns' ? (value > 0 ? 'N' : 'S') : value > 0 ? 'E' : 'W'
  const abs = Math.abs(value)
  return `${Number.isInteger(abs) ? abs : abs.toFixed(1)}${letter}`
}
