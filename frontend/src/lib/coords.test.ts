import { describe, expect, it } from 'vitest'
import {
  formatAxis,
  formatCoords,
  formatLandcell,
  isIndoorCell,
  landblockEdge,
  landcellToMap,
  mapToLandcell,
  parseCoords,
  parseLandcell,
} from './coords'

// The three checks from world data in docs/protocol.md §2.1.
const CHECKS = [
  { name: 'Yaraq', landcell: 0x7d64000d, x: 31.9, y: 105.93, text: '21.5S, 1.8W' },
  { name: "Qalaba'r", landcell: 0x9722003a, x: 168.35, y: 24.62, text: '74.6S, 19.6E' },
  { name: 'Holtburg lifestone', landcell: 0xa9b40019, x: 81.33, y: 11.8, text: '42.1N, 33.6E' },
]

describe('landcellToMap', () => {
  for (const c of CHECKS) {
    it(`puts ${c.name} at ${c.text}`, () => {
      expect(formatCoords(landcellToMap({ landcell: c.landcell, x: c.x, y: c.y }))).toBe(c.text)
    })
  }

  it('uses the radar offset 101.95, not ACE string helper 102', () => {
    const p = landcellToMap({ landcell: 0xa9b40019, x: 81.33, y: 11.8 })
    expect(p.ew).toBeCloseTo(33.589, 3)
    expect(p.ns).toBeCloseTo(42.099, 3)
  })
})

describe('mapToLandcell', () => {
  for (const c of CHECKS) {
    it(`inverts ${c.name} back to ${formatLandcell(c.landcell)} and its local metres`, () => {
      const p = landcellToMap({ landcell: c.landcell, x: c.x, y: c.y })
      const back = mapToLandcell(p)
      expect(back).not.toBeNull()
      expect(back?.landcell).toBe(c.landcell)
      expect(back?.x).toBeCloseTo(c.x, 6)
      expect(back?.y).toBeCloseTo(c.y, 6)
    })
  }

  it('numbers outdoor cells cx*8 + cy + 1', () => {
    const edge = { ew: landblockEdge(10), ns: landblockEdge(20) }
    expect(mapToLandcell(edge)?.landcell).toBe(((10 << 24) | (20 << 16) | 1) >>> 0)
    const corner = { ew: landblockEdge(11) - 0.001, ns: landblockEdge(21) - 0.001 }
    expect(mapToLandcell(corner)?.landcell).toBe(((10 << 24) | (20 << 16) | 0x40) >>> 0)
  })

  it('refuses points outside the landblocks that exist', () => {
    expect(mapToLandcell({ ew: -102, ns: 0 })).toBeNull()
    expect(mapToLandcell({ ew: 0, ns: 102.5 })).toBeNull()
  })
})

describe('parseLandcell', () => {
  it('normalizes a negative int from the C# plugin to u32', () => {
    expect(parseLandcell(-1447821287)).toBe(0xa9b40019)
  })
  it('reads hex strings and decimal strings', () => {
    expect(parseLandcell('0xA9B40019')).toBe(0xa9b40019)
    expect(parseLandcell(' 2847145993 ')).toBe(0xa9b40009)
  })
  it('returns null for junk', () => {
    expect(parseLandcell('N/A')).toBeNull()
    expect(parseLandcell(1.5)).toBeNull()
    expect(parseLandcell(null)).toBeNull()
  })
})

describe('formatting', () => {
  it('rounds to one decimal and picks the compass letter', () => {
    expect(formatAxis(42.099, 'N', 'S')).toBe('42.1N')
    expect(formatAxis(-1.817, 'E', 'W')).toBe('1.8W')
  })
  it('never prints a negative zero as south or west', () => {
    expect(formatAxis(-0.04, 'N', 'S')).toBe('0.0N')
  })
  it('formats landcells as 8 upper-case hex digits', () => {
    expect(formatLandcell(0x02f30100)).toBe('0x02F30100')
  })
  it('tells interiors from outdoor cells', () => {
    expect(isIndoorCell(0x02f30100)).toBe(true)
    expect(isIndoorCell(0xa9b40019)).toBe(false)
  })
  it('parses the display form back', () => {
    expect(parseCoords('42.1N, 33.6E')).toEqual({ ns: 42.1, ew: 33.6 })
    expect(parseCoords('21.5s 1.8w')).toEqual({ ns: -21.5, ew: -1.8 })
    expect(parseCoords('north')).toBeNull()
  })
})
