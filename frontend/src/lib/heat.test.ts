import { describe, expect, it } from 'vitest'
import { heatColor } from './heat'

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
