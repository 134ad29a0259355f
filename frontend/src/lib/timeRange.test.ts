import { describe, expect, it } from 'vitest'
import { presetById, RANGE_PRESETS, startOfHour, stepForRange, TARGET_CHART_POINTS } from './timeRange'

describe('chart steps', () => {
  it('keeps every preset at or under the target point count with a round step', () => {
    for (const p of RANGE_PRESETS) {
      const step = stepForRange(p.ms)
      expect(p.ms / 1000 / step).toBeLessThanOrEqual(TARGET_CHART_POINTS)
    }
  })
  it('never asks for less than 10 s', () => {
    expect(stepForRange(60_000)).toBe(10)
  })
  it('uses one day for very long ranges', () => {
    expect(stepForRange(10 * 365 * 86_400_000)).toBe(86400)
  })
  it('falls back to the first preset for an unknown id', () => {
    expect(presetById('nope').id).toBe('1h')
  })
  it('truncates to the hour', () => {
    const ms = new Date(2025, 0, 1, 13, 47, 12).getTime()
    expect(startOfHour(ms)).toBe(new Date(2025, 0, 1, 13, 0, 0).getTime())
  })
})
