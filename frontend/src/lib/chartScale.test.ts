import { describe, expect, it } from 'vitest'
import { INTEGER_INCRS, integerRange, timeTickLabels } from './chartScale'

describe('integer chart scales', () => {
  it('spans whole numbers and never a single value', () => {
    expect(integerRange(0, 0)).toEqual([0, 1])
    expect(integerRange(3, 3)).toEqual([2, 4])
    expect(integerRange(0.2, 7.6)).toEqual([0, 8])
    expect(integerRange(null, null)).toEqual([0, 1])
  })
  it('ticks only at integers', () => {
    expect(INTEGER_INCRS.every((i) => Number.isInteger(i) && i >= 1)).toBe(true)
  })
})

describe('time axis labels', () => {
  // Local times, so the test reads the same in every zone.
  const at = (d: number, h: number, m: number, s = 0) => new Date(2026, 11, d, h, m, s).getTime() / 1000
  it('reads 24 h with the date under the first tick and at midnight', () => {
    expect(timeTickLabels([at(6, 23, 50), at(6, 23, 55), at(7, 0, 0), at(7, 0, 5)], 300)).toEqual(['23:50\n12-06', '23:55', '00:00\n12-07', '00:05'])
  })
  it('shows seconds under a minute apart and only dates when days apart', () => {
    expect(timeTickLabels([at(6, 14, 5, 10), at(6, 14, 5, 40)], 30)).toEqual(['14:05:10\n12-06', '14:05:40'])
    expect(timeTickLabels([at(6, 0, 0), at(7, 0, 0)], 86_400)).toEqual(['12-06', '12-07'])
  })
  it('never uses a 12-hour clock', () => {
    expect(timeTickLabels([at(6, 13, 0), at(6, 14, 0)], 3600).join(' ')).not.toMatch(/am|pm/i)
  })
})
