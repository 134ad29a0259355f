/**
 * Trails and replay: turns stored position fixes into drawable polylines and answers
 * "where was this character at time t".
 *
 * Owns the teleport/dungeon segmentation rule of docs/protocol.md §2.1 (a jump of more than about
 * one map unit, or an is_dungeon flip, starts a new segment; dungeon points are never drawn
 * on the Dereth map, the last outdoor fix stands in) and interpolation for the time scrub.
 * Pure: points in, points out.
 */
import type { MapPoint } from './coords'

export interface TrailFix {
  t: number
  ew: number
  ns: number
  is_dungeon?: boolean | null
}

/** A jump longer than this between consecutive fixes is a teleport (portal, recall, death). */
export const TELEPORT_JUMP_UNITS = 1
/** Two fixes further apart in time than this are not joined by a line or interpolated. */
export const MAX_GAP_MS = 5 * 60_000

/**
 * Splits fixes into outdoor polylines. `segments` (inclusive [start,end] index pairs from the
 * server) is honoured when present; the teleport rule is applied inside it as well, so a
 * client-side gap never draws a line across the map.
 */
export function trailPolylines(points: readonly TrailFix[], segments?: readonly (readonly [number, number])[] | null): MapPoint[][] {
  const ranges: [number, number][] =
    segments && segments.length > 0
      ? segments.map(([a, b]) => [Math.max(0, a), Math.min(points.length - 1, b)] as [number, number])
      : points.length > 0
        ? [[0, points.length - 1]]
        : []
  const lines: MapPoint[][] = []
  for (const [start, end] of ranges) {
    let current: MapPoint[] = []
    let prev: TrailFix | null = null
    for (let i = start; i <= end; i++) {
      const p = points[i]
      if (!p) continue
      if (p.is_dungeon) {
        if (current.length > 0) lines.push(current)
        current = []
        prev = null
        continue
      }
      if (prev && (Math.hypot(p.ew - prev.ew, p.ns - prev.ns) > TELEPORT_JUMP_UNITS || p.t - prev.t > MAX_GAP_MS)) {
        if (current.length > 0) lines.push(current)
        current = []
      }
      current.push({ ew: p.ew, ns: p.ns })
      prev = p
    }
    if (current.length > 0) lines.push(current)
  }
  return lines
}

/** Index of the last fix with t <= time, or -1. Points must be ascending in t. */
export function lastIndexAtOrBefore(points: readonly TrailFix[], time: number): number {
  let lo = 0
  let hi = points.length - 1
  let ans = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const p = points[mid]
    if (p && p.t <= time) {
      ans = mid
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  return ans
}

export interface ReplayPosition extends MapPoint {
  /** Compass heading of travel in degrees, when it can be told from movement. */
  heading: number | null
  /** The character was in a dungeon; the position is the last outdoor fix. */
  inDungeon: boolean
  /** The fix is older than MAX_GAP_MS: the character was probably offline. */
  stale: boolean
}

/** Compass heading (0 = N, 90 = E) of travel from a to b, or null if they coincide. */
export function headingBetween(a: MapPoint, b: MapPoint): number | null {
  const dx = b.ew - a.ew
  const dy = b.ns - a.ns
  if (Math.abs(dx) < 1e-9 && Math.abs(dy) < 1e-9) return null
  const deg = (Math.atan2(dx, dy) * 180) / Math.PI
  return (deg + 360) % 360
}

/**
 * Where the character was at `time`, interpolating linearly between two outdoor fixes of one
 * segment. Null before the first fix.
 */
export function positionAt(points: readonly TrailFix[], time: number): ReplayPosition | null {
  const i = lastIndexAtOrBefore(points, time)
  if (i < 0) return null
  const p = points[i]
  if (!p) return null
  if (p.is_dungeon) {
    for (let j = i - 1; j >= 0; j--) {
      const q = points[j]
      if (q && !q.is_dungeon) return { ew: q.ew, ns: q.ns, heading: null, inDungeon: true, stale: false }
    }
    return null
  }
  const next = points[i + 1]
  const joinable =
    next !== undefined &&
    !next.is_dungeon &&
    next.t > p.t &&
    next.t - p.t <= MAX_GAP_MS &&
    Math.hypot(next.ew - p.ew, next.ns - p.ns) <= TELEPORT_JUMP_UNITS
  if (next && joinable) {
    const f = (time - p.t) / (next.t - p.t)
    return {
      ew: p.ew + (next.ew - p.ew) * f,
      ns: p.ns + (next.ns - p.ns) * f,
      heading: headingBetween(p, next),
      inDungeon: false,
      stale: false,
    }
  }
  const prev = points[i - 1]
  const heading = prev && !prev.is_dungeon ? headingBetween(prev, p) : null
  return { ew: p.ew, ns: p.ns, heading, inDungeon: false, stale: time - p.t > MAX_GAP_MS }
}

/** The fixes with t in [from, to]; keeps the order. */
export function pointsBetween<T extends TrailFix>(points: readonly T[], from: number, to: number): T[] {
  return points.filter((p) => p.t >= from && p.t <= to)
}

/**
 * Where a replay of `[from, …)` should start: the earliest fix of any trail when it comes
 * after `from` (so an hour whose data begins at :54 opens at :54, not on an empty map), else
 * `from`. Trails' points are in time order.
 */
export function replayStart(trails: readonly { points: readonly TrailFix[] }[], from: number): number {
  let first = Number.POSITIVE_INFINITY
  for (const tr of trails) {
    const t = tr.points[0]?.t
    if (typeof t === 'number' && t < first) first = t
  }
  return Number.isFinite(first) && first > from ? first : from
}
