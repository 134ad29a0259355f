/**
 * The optional operator map image from GET /api/version (`map_image`): a URL and the map
 * box it covers. Bounds arrive as `[west, south, east, north]` (server config) or as an
 * object; without bounds the image is assumed to cover the whole rendered box. Pure.
 */
import type { MapImageConfig } from '../api/types'
import { MAP_MAX, MAP_MIN } from './coords'

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export function mapImageOf(raw: unknown): MapImageConfig | null {
  if (typeof raw !== 'object' || raw === null) return null
  const r = raw as { url?: unknown; bounds?: unknown }
  if (typeof r.url !== 'string' || r.url.trim() === '') return null
  const b = r.bounds
  let bounds = { west: MAP_MIN, south: MAP_MIN, east: MAP_MAX, north: MAP_MAX }
  if (Array.isArray(b) && b.length === 4 && b.every(finite)) {
    const [west, south, east, north] = b as [number, number, number, number]
    bounds = { west, south, east, north }
  } else if (typeof b === 'object' && b !== null) {
    const o = b as Record<string, unknown>
    if (finite(o.west) && finite(o.south) && finite(o.east) && finite(o.north)) bounds = { west: o.west, south: o.south, east: o.east, north: o.north }
  }
  if (!(bounds.east > bounds.west && bounds.north > bounds.south)) return null
  return { url: r.url, bounds }
}

/** The usual full-Dereth map image runs edge to edge over this box (the server's default too). */
export const DEFAULT_BOUNDS: MapImageConfig['bounds'] = { west: MAP_MIN, south: MAP_MIN, east: MAP_MAX, north: MAP_MAX }

/** Bounds as the API's `[west, south, east, north]`. */
export function boundsArray(b: MapImageConfig['bounds']): [number, number, number, number] {
  return [b.west, b.south, b.east, b.north]
}
