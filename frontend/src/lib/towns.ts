/**
 * The town table of docs/protocol.md §6, checked against world-DB signs and lifestones.
 *
 * Owns only static data and its lookup; never fetched, never drawn here.
 */
import type { MapPoint } from './coords'

export type TownKind = 'starter' | 'capital' | 'town' | 'outpost'

export interface Town extends MapPoint {
  name: string
  heritage: string
  kind: TownKind
  landcell: number
}

// Coordinates copied from the contract table ("42.1N, 33.6E" → ns 42.1, ew 33.6).
export const TOWNS: readonly Town[] = [
  { name: 'Holtburg', heritage: 'Aluvian', kind: 'starter', ns: 42.1, ew: 33.6, landcell: 0xa9b40019 },
  { name: 'Shoushi', heritage: 'Sho', kind: 'starter', ns: -33.5, ew: 72.8, landcell: 0xda55001d },
  { name: 'Yaraq', heritage: "Gharu'ndim", kind: 'starter', ns: -21.5, ew: -1.8, landcell: 0x7d64000d },
  { name: 'Sanamar', heritage: 'Viamontian', kind: 'starter', ns: 72.1, ew: -60.9, landcell: 0x33d90015 },
  { name: 'Cragstone', heritage: 'Aluvian', kind: 'capital', ns: 25.6, ew: 49.2, landcell: 0xbc9f003c },
  { name: 'Hebian-To', heritage: 'Sho', kind: 'capital', ns: -38.9, ew: 82.6, landcell: 0xe64e002f },
  { name: 'Zaikhal', heritage: "Gharu'ndim", kind: 'capital', ns: 13.5, ew: 0.7, landcell: 0x80900013 },
  { name: 'Arwic', heritage: 'Aluvian', kind: 'town', ns: 33.6, ew: 56.8, landcell: 0xc6a9001c },
  { name: 'Rithwic', heritage: 'Aluvian', kind: 'town', ns: 10.8, ew: 59.3, landcell: 0xc98c0028 },
  { name: 'Eastham', heritage: 'Aluvian', kind: 'town', ns: 17.5, ew: 63.4, landcell: 0xce95002b },
  { name: 'Glenden Wood', heritage: 'Aluvian', kind: 'town', ns: 29.7, ew: 26.5, landcell: 0xa0a40025 },
  { name: 'Lytelthorpe', heritage: 'Aluvian', kind: 'town', ns: 1.1, ew: 51.7, landcell: 0xc0800007 },
  { name: 'Samsur', heritage: "Gharu'ndim", kind: 'town', ns: -3.2, ew: 19.0, landcell: 0x977b000c },
  { name: 'Al-Arqas', heritage: "Gharu'ndim", kind: 'town', ns: -31.3, ew: 13.2, landcell: 0x8f58003b },
  { name: "Qalaba'r", heritage: "Gharu'ndim", kind: 'town', ns: -74.6, ew: 19.6, landcell: 0x9722003a },
  { name: 'Uziz', heritage: "Gharu'ndim", kind: 'town', ns: -24.8, ew: 28.4, landcell: 0xa260003c },
  { name: 'Nanto', heritage: 'Sho', kind: 'town', ns: -52.2, ew: 82.5, landcell: 0xe63e0022 },
  { name: 'Mayoi', heritage: 'Sho', kind: 'town', ns: -61.9, ew: 82.5, landcell: 0xe6320021 },
  { name: 'Sawato', heritage: 'Sho', kind: 'town', ns: -28.7, ew: 59.3, landcell: 0xc95b0025 },
  { name: 'Baishi', heritage: 'Sho', kind: 'town', ns: -49.3, ew: 62.9, landcell: 0xce410007 },
  { name: 'Stonehold', heritage: 'outpost', kind: 'outpost', ns: 68.7, ew: -21.8, landcell: 0x64d5000b },
  { name: 'Plateau Village', heritage: 'outpost', kind: 'outpost', ns: 44.5, ew: -43.1, landcell: 0x49b70021 },
  { name: 'Fort Tethana', heritage: 'Aluvian', kind: 'town', ns: 1.6, ew: -71.7, landcell: 0x25810034 },
  { name: 'Kara', heritage: 'Sho', kind: 'town', ns: -83.5, ew: 47.6, landcell: 0xba170039 },
  { name: 'Ayan Baqur', heritage: "Gharu'ndim", kind: 'town', ns: -60.0, ew: -88.0, landcell: 0x1134001c },
]

/** The nearest town to a point and its distance in map units. */
export function nearestTown(p: MapPoint): { town: Town; distance: number } | null {
  let best: { town: Town; distance: number } | null = null
  for (const town of TOWNS) {
    const distance = Math.hypot(town.ew - p.ew, town.ns - p.ns)
    if (!best || distance < best.distance) best = { town, distance }
  }
  return best
}

/** A named region drawn as a large faint label when the map is zoomed out. */
export interface Region extends MapPoint {
  name: string
}

/**
 * Heritage lands, placed at the centre of their towns in the table above (so they follow the
 * contract's checked coordinates rather than a guessed outline).
 */
export const REGIONS: readonly Region[] = (() => {
  const groups: [string, string, number][] = [
    ['Aluvian', 'Aluvian lands', 0],
    ["Gharu'ndim", "Gharu'ndim lands", 0],
    ['Sho', 'Sho lands', 0],
    ['Viamontian', 'Viamontian lands', 6],
  ]
  const out: Region[] = []
  for (const [heritage, name, northOffset] of groups) {
    const ts = TOWNS.filter((t) => t.heritage === heritage && t.kind !== 'outpost' && Math.abs(t.ew) < 80)
    if (ts.length === 0) continue
    out.push({ name, ew: ts.reduce((s, t) => s + t.ew, 0) / ts.length, ns: ts.reduce((s, t) => s + t.ns, 0) / ts.length + northOffset })
  }
  return out
})()
