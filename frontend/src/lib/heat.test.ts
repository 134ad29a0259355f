import { describe, expect, it } from 'vitest'
import { cellForScale, HEAT_CELL_MIN_PX, heatColor } from './heat'

describe('heatColor', () => {
  it('goes from translucent blue to opaque red', () => {
    expect(heatColor(0)).toBe('rgba(60,120,220,0.35)')
    expect(heatColor(1)).toBe('rgba(255,50,40,0.95)')
  })
  it('clamps out-of-range input', () => {
    expect(heatColor(-1)).toBe(heatColor(0))
    expect(heatColor(7)).toBe(heatColor(1))
  })
})

describe('cellForScale', () => {
  it('keeps cells visible at full view and fine when zoomed in', () => {
    expect(cellForScale(3)).toBe(4)
    expect(cellForScale(5)).toBe(2)
    expect(cellForScale(20)).toBe(0.5)
    expect(cellForScale(200)).toBe(0.1)
    for (const s of [2, 4, 9, 15, 40, 90]) expect(cellForScale(s) * s).toBeGreaterThanOrEqual(HEAT_CELL_MIN_PX)
  })
})
