import { describe, expect, it } from 'vitest'
import { colorFor, hashName } from './colors'
import { mapLimit } from './pool'

describe('colorFor', () => {
  it('gives one name the same colour whatever its case', () => {
    expect(colorFor('Mossy Tank')).toBe(colorFor('mossy tank '))
    expect(hashName('a')).not.toBe(hashName('b'))
  })
})

describe('mapLimit', () => {
  it('never runs more than the limit at once and keeps order', async () => {
    let running = 0
    let peak = 0
    const res = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
      running++
      peak = Math.max(peak, running)
      await new Promise((r) => setTimeout(r, 5))
      running--
      if (x === 4) throw new Error('boom')
      return x * 10
    })
    expect(peak).toBe(3)
    expect(res.map((r) => (r.ok ? r.value : 'err'))).toEqual([10, 20, 30, 'err', 50, 60, 70])
  })
  it('handles an empty list', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([])
  })
})
