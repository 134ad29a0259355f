/**
 * Dereth positions: landcell + local metres <-> map coordinates (docs/protocol.md §2.1).
 *
 * Owns the radar-style transform (EW = GX/240 − 101.95) and its display form "42.1N, 33.6E".
 * Never touches the DOM or the network; every function here is pure.
 */

/** Metres per landblock side. */
export const LANDBLOCK_M = 192
/** Metres per map unit (1 unit = 1.25 landblocks). */
export const MAP_UNIT_M = 240
/** Metres per outdoor land cell (8×8 per landblock). */
export const LAND_CELL_M = 24
/** Map coordinate of the west/south edge of landblock 0x00. */
export const MAP_ORIGIN_OFFSET = 101.95
/** The box every map view renders, on both axes, north up (docs/protocol.md §2.1 Bounds). */
export const MAP_MIN = -102
export const MAP_MAX = 102
/** Landblock columns/rows that hold land (0xFF is unused ocean). */
export const LANDBLOCK_COUNT = 255

export interface MapPoint {
  /** East-west map units, positive east. */
  ew: number
  /** North-south map units, positive north. */
  ns: number
}

export interface LandPosition {
  /** u32 0xXXYYCCCC. */
  landcell: number
  /** Metres east inside the landblock, [0,192). */
  x: number
  /** Metres north inside the landblock, [0,192). */
  y: number
}

/**
 * Accepts what the plugin or server may send for a landcell (signed or unsigned int, or a
 * "0x…" hex string) and returns the u32, or null when it cannot be read.
 */
export function parseLandcell(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) return null
    return value >>> 0
  }
  const s = value.trim()
  if (/^0x[0-9a-f]{1,8}$/i.test(s)) return Number.parseInt(s.slice(2), 16) >>> 0
  if (/^-?\d+$/.test(s)) return Number(s) >>> 0
  return null
}

export function landblockX(landcell: number): number {
  return (landcell >>> 24) & 0xff
}

export function landblockY(landcell: number): number {
  return (landcell >>> 16) & 0xff
}

export function cellOf(landcell: number): number {
  return landcell & 0xffff
}

/** Cells 0x0100 and up are EnvCells: interiors (buildings or dungeons). */
export function isIndoorCell(landcell: number): boolean {
  return cellOf(landcell) >= 0x100
}

/** landcell + local metres → map coordinates (radar form). */
export function landcellToMap(pos: LandPosition): MapPoint {
  const gx = landblockX(pos.landcell) * LANDBLOCK_M + pos.x
  const gy = landblockY(pos.landcell) * LANDBLOCK_M + pos.y
  return { ew: gx / MAP_UNIT_M - MAP_ORIGIN_OFFSET, ns: gy / MAP_UNIT_M - MAP_ORIGIN_OFFSET }
}

/**
 * Map coordinates → outdoor landcell + local metres (the inverse in §2.1). Returns null
 * outside the landblocks that exist (0x00–0xFE).
 */
export function mapToLandcell(p: MapPoint): LandPosition | null {
  const gx = (p.ew + MAP_ORIGIN_OFFSET) * MAP_UNIT_M
  const gy = (p.ns + MAP_ORIGIN_OFFSET) * MAP_UNIT_M
  const bx = Math.floor(gx / LANDBLOCK_M)
  const by = Math.floor(gy / LANDBLOCK_M)
  if (bx < 0 || by < 0 || bx >= LANDBLOCK_COUNT || by >= LANDBLOCK_COUNT) return null
  const x = gx - bx * LANDBLOCK_M
  const y = gy - by * LANDBLOCK_M
  const cell = Math.floor(x / LAND_CELL_M) * 8 + Math.floor(y / LAND_CELL_M) + 1
  const landcell = ((bx << 24) | (by << 16) | cell) >>> 0
  return { landcell, x, y }
}

/** One axis with one decimal and its compass letter: 42.099 → "42.1N". */
export function formatAxis(value: number, positive: string, negative: string): string {
  const rounded = Math.round(Math.abs(value) * 10) / 10
  const letter = value < 0 && rounded !== 0 ? negative : positive
  return `${rounded.toFixed(1)}${letter}`
}

/** "42.1N, 33.6E" — north/south first, as the in-game radar prints it. */
export function formatCoords(p: MapPoint): string {
  return `${formatAxis(p.ns, 'N', 'S')}, ${formatAxis(p.ew, 'E', 'W')}`
}

/** 0xA9B40019 → "0xA9B40019". */
export function formatLandcell(landcell: number): string {
  return `0x${(landcell >>> 0).toString(16).toUpperCase().padStart(8, '0')}`
}

/**
 * Parses "42.1N, 33.6E" (also "42.1n 33.6e", "21.5S,1.8W") back to map coordinates, or
 * null when the text is not a coordinate pair.
 */
export function parseCoords(text: string): MapPoint | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([NS])\s*[, ]\s*(\d+(?:\.\d+)?)\s*([EW])\s*$/i.exec(text)
  if (!m) return null
  const [, nsText, nsLetter, ewText, ewLetter] = m
  if (!nsText || !nsLetter || !ewText || !ewLetter) return null
  const ns = Number(nsText) * (nsLetter.toUpperCase() === 'S' ? -1 : 1)
  const ew = Number(ewText) * (ewLetter.toUpperCase() === 'W' ? -1 : 1)
  return { ew, ns }
}

/** Map-unit distance between two points. */
export function mapDistance(a: MapPoint, b: MapPoint): number {
  return Math.hypot(a.ew - b.ew, a.ns - b.ns)
}

/** True when the point lies inside the rendered Dereth box. */
export function inMapBounds(p: MapPoint): boolean {
  return p.ew >= MAP_MIN && p.ew <= MAP_MAX && p.ns >= MAP_MIN && p.ns <= MAP_MAX
}

/** West/south edge of landblock column or row `i`, in map units. */
export function landblockEdge(i: number): number {
  return (i * LANDBLOCK_M) / MAP_UNIT_M - MAP_ORIGIN_OFFSET
}
