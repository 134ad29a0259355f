import { describe, expect, it } from 'vitest'
import { compareValues, matchesFilter, sortBy } from './sort'

describe('sorting', () => {
  it('sorts numbers numerically in both directions', () => {
    const rows = [{ v: 10 }, { v: 2 }, { v: 33 }]
    expect(sortBy(rows, (r) => r.v, 'asc').map((r) => r.v)).toEqual([2, 10, 33])
    expect(sortBy(rows, (r) => r.v, 'desc').map((r) => r.v)).toEqual([33, 10, 2])
  })
  it('puts missing values last whatever the direction', () => {
    const rows = [{ v: null }, { v: 1 }, { v: undefined }, { v: 5 }]
    expect(sortBy(rows, (r) => r.v, 'asc').map((r) => r.v)).toEqual([1, 5, null, undefined])
    expect(sortBy(rows, (r) => r.v, 'desc').map((r) => r.v)).toEqual([5, 1, null, undefined])
  })
  it('compares names case-insensitively with numeric parts', () => {
    expect(compareValues('mule 10', 'Mule 9', 'asc')).toBeGreaterThan(0)
  })
  it('keeps ties stable', () => {
    const rows = [
      { k: 1, id: 'a' },
      { k: 1, id: 'b' },
      { k: 0, id: 'c' },
    ]
    expect(sortBy(rows, (r) => r.k, 'asc').map((r) => r.id)).toEqual(['c', 'a', 'b'])
  })
})

describe('filter', () => {
  it('matches every word anywhere, ignoring case', () => {
    expect(matchesFilter('Mossy Tank', 'tank moss')).toBe(true)
    expect(matchesFilter('Mossy Tank', 'mage')).toBe(false)
    expect(matchesFilter('anything', '  ')).toBe(true)
  })
})
