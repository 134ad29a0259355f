import { describe, expect, it } from 'vitest'
import { headingBetween, lastIndexAtOrBefore, positionAt, replayStart, trailPolylines, type TrailFix } from './trails'

const walk: TrailFix[] = [
  { t: 0, ew: 10, ns: 10 },
  { t: 10_000, ew: 10.2, ns: 10 },
  { t: 20_000, ew: 10.4, ns: 10 },
  // portal: 50 units away
  { t: 25_000, ew: 60, ns: -20 },
  { t: 35_000, ew: 60, ns: -19.9 },
]

describe('trailPolylines', () => {
  it('breaks the line at a teleport jump', () => {
    const lines = trailPolylines(walk)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toHaveLength(3)
    expect(lines[1]).toHaveLength(2)
  })
  it('never draws dungeon points', () => {
    const pts: TrailFix[] = [
      { t: 0, ew: 1, ns: 1 },
      { t: 1, ew: -99.9, ns: 92.8, is_dungeon: true },
      { t: 2, ew: -99.8, ns: 92.8, is_dungeon: true },
      { t: 3, ew: 1.1, ns: 1 },
    ]
    const lines = trailPolylines(pts)
    expect(lines.flat().some((p) => p.ew < -50)).toBe(false)
    expect(lines).toHaveLength(2)
  })
  it('honours server segments', () => {
    const lines = trailPolylines(walk.slice(0, 3), [
      [0, 0],
      [1, 2],
    ])
    expect(lines.map((l) => l.length)).toEqual([1, 2])
  })
  it('handles an empty trail', () => {
    expect(trailPolylines([])).toEqual([])
  })
})

describe('positionAt', () => {
  it('is null before the first fix', () => {
    expect(positionAt(walk, -1)).toBeNull()
  })
  it('interpolates inside a segment and reports the travel heading', () => {
    const p = positionAt(walk, 5_000)
    expect(p?.ew).toBeCloseTo(10.1)
    expect(p?.ns).toBeCloseTo(10)
    expect(p?.heading).toBeCloseTo(90)
  })
  it('does not interpolate across a teleport', () => {
    const p = positionAt(walk, 22_000)
    expect(p?.ew).toBeCloseTo(10.4)
  })
  it('keeps the last outdoor fix while in a dungeon', () => {
    const pts: TrailFix[] = [
      { t: 0, ew: 5, ns: 6 },
      { t: 10, ew: -99, ns: 92, is_dungeon: true },
    ]
    expect(positionAt(pts, 20)).toMatchObject({ ew: 5, ns: 6, inDungeon: true })
  })
  it('marks positions far past the last fix as stale', () => {
    expect(positionAt(walk, 35_000 + 10 * 60_000)?.stale).toBe(true)
  })
})

describe('helpers', () => {
  it('binary-searches the last fix at or before a time', () => {
    expect(lastIndexAtOrBefore(walk, 10_000)).toBe(1)
    expect(lastIndexAtOrBefore(walk, 99_999)).toBe(4)
    expect(lastIndexAtOrBefore([], 5)).toBe(-1)
  })
  it('computes compass headings', () => {
    expect(headingBetween({ ew: 0, ns: 0 }, { ew: 0, ns: 1 })).toBeCloseTo(0)
    expect(headingBetween({ ew: 0, ns: 0 }, { ew: -1, ns: 0 })).toBeCloseTo(270)
    expect(headingBetween({ ew: 0, ns: 0 }, { ew: 0, ns: 0 })).toBeNull()
  })
})

describe('replayStart', () => {
  const fix = (t: number): TrailFix => ({ t, ew: 0, ns: 0 })
  it('opens on the earliest fix of any trail', () => {
    expect(replayStart([{ points: [fix(5_000), fix(6_000)] }, { points: [fix(3_000)] }], 1_000)).toBe(3_000)
  })
  it('keeps the hour start when data begins at it, or when there is none', () => {
    expect(replayStart([{ points: [fix(1_000)] }], 1_000)).toBe(1_000)
    expect(replayStart([{ points: [] }], 1_000)).toBe(1_000)
    expect(replayStart([], 1_000)).toBe(1_000)
  })
})
