import { describe, expect, it } from 'vitest'
import { landcellToMap, mapToLandcell } from './coords'
import { nearestTown, REGIONS, TOWNS } from './towns'

describe('town table', () => {
  it('holds the 25 towns of the contract', () => {
    expect(TOWNS).toHaveLength(25)
    expect(new Set(TOWNS.map((t) => t.name)).size).toBe(25)
  })
  it('agrees with each town landcell to within one landblock', () => {
    for (const t of TOWNS) {
      const lc = mapToLandcell(t)
      expect(lc, t.name).not.toBeNull()
      // Same landblock or a neighbour: the table rounds to 0.1 unit and a town spans 1–2 units.
      const back = landcellToMap({ landcell: t.landcell, x: 96, y: 96 })
      expect(Math.abs(back.ew - t.ew), t.name).toBeLessThan(1)
      expect(Math.abs(back.ns - t.ns), t.name).toBeLessThan(1)
    }
  })
  it('finds the nearest town', () => {
    expect(nearestTown({ ew: 33.0, ns: 42.0 })?.town.name).toBe('Holtburg')
  })
})

describe('regions', () => {
  it('places each heritage region among its own towns', () => {
    const sho = REGIONS.find((r) => r.name === 'Sho lands')
    expect(sho).toBeDefined()
    expect(sho!.ew).toBeGreaterThan(55)
    expect(sho!.ns).toBeLessThan(-25)
    expect(REGIONS.map((r) => r.name)).toContain('Aluvian lands')
  })
})
