import { describe, expect, it } from 'vitest'
import { FIT_MAX_MS, FIT_MIN_MS, fitRange, presetById, RANGE_PRESETS, startOfHour, stepForRange, TARGET_CHART_POINTS } from './timeRange'

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

describe('fitRange', () => {
  const now = 1_000_000_000_000
  it('fits a short session with a little room, never under two minutes', () => {
    const r = fitRange({ sessionSeconds: 3600, firstSeenMs: now - 86_400_000 * 3, nowMs: now })
    expect(r.to).toBe(now)
    expect(now - r.from).toBe(3600_000 * 1.05)
    // A 3-minute session fills the chart (3 min and 5 %), a 1-minute one gets the minimum.
    expect(now - fitRange({ sessionSeconds: 180, nowMs: now }).from).toBe(189_000)
    expect(now - fitRange({ sessionSeconds: 60, nowMs: now }).from).toBe(FIT_MIN_MS)
  })
  it('falls back to the first sighting, capped at thirty days', () => {
    expect(now - fitRange({ firstSeenMs: now - 86_400_000 * 365, nowMs: now }).from).toBe(FIT_MAX_MS)
    expect(now - fitRange({ sessionSeconds: 0, firstSeenMs: now - 86_400_000, nowMs: now }).from).toBe(86_400_000 * 1.05)
    expect(now - fitRange({ nowMs: now }).from).toBe(FIT_MIN_MS)
  })
})
