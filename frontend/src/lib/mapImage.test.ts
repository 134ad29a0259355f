import { describe, expect, it } from 'vitest'
import { mapImageOf } from './mapImage'

describe('mapImageOf', () => {
  it('reads [west, south, east, north] bounds', () => {
    expect(mapImageOf({ url: '/map.png', bounds: [-101.9, -101.9, 102, 102] })).toEqual({
      url: '/map.png',
      bounds: { west: -101.9, south: -101.9, east: 102, north: 102 },
    })
  })
  it('reads object bounds and defaults to the whole map', () => {
    expect(mapImageOf({ url: 'x', bounds: { west: 0, south: 0, east: 1, north: 1 } })?.bounds).toEqual({ west: 0, south: 0, east: 1, north: 1 })
    expect(mapImageOf({ url: 'x', bounds: null })?.bounds).toEqual({ west: -102, south: -102, east: 102, north: 102 })
  })
  it('skips a missing or broken config', () => {
    expect(mapImageOf(null)).toBeNull()
    expect(mapImageOf({ url: '' })).toBeNull()
    expect(mapImageOf({ url: 'x', bounds: [5, 5, 1, 1] })).toBeNull()
  })
})
