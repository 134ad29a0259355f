import { describe, expect, it } from 'vitest'
import { INTEGER_INCRS, integerRange } from './chartScale'

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
