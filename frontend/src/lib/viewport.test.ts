import { describe, expect, it } from 'vitest'
import {
  clampViewport,
  fitViewport,
  gridLabel,
  gridValues,
  labelEvery,
  labelStep,
  MAX_SCALE,
  panBy,
  toMap,
  toScreen,
  visibleLandblockEdges,
  zoomAt,
} from './viewport'

const size = { width: 1000, height: 800 }

describe('viewport transform', () => {
  it('puts north up and east right', () => {
    const vp = { center: { ew: 0, ns: 0 }, scale: 4 }
    const north = toScreen(vp, size, { ew: 0, ns: 10 })
    const east = toScreen(vp, size, { ew: 10, ns: 0 })
    expect(north.y).toBeLessThan(400)
    expect(east.x).toBeGreaterThan(500)
  })
  it('round-trips screen and map coordinates', () => {
    const vp = { center: { ew: 33.6, ns: 42.1 }, scale: 37 }
    const p = { ew: 30.2, ns: 44.9 }
    const back = toMap(vp, size, toScreen(vp, size, p))
    expect(back.ew).toBeCloseTo(p.ew, 9)
    expect(back.ns).toBeCloseTo(p.ns, 9)
  })
  it('fits the whole 204-unit box in the view', () => {
    const vp = fitViewport(size)
    const top = toScreen(vp, size, { ew: 0, ns: 102 })
    const bottom = toScreen(vp, size, { ew: 0, ns: -102 })
    expect(top.y).toBeGreaterThanOrEqual(0)
    expect(bottom.y).toBeLessThanOrEqual(800)
  })
})

describe('zoom and pan', () => {
  it('keeps the point under the cursor fixed while zooming', () => {
    const vp = fitViewport(size)
    const anchor = { x: 700, y: 250 }
    const before = toMap(vp, size, anchor)
    const z = zoomAt(vp, size, 2, anchor)
    const after = toMap(z, size, anchor)
    expect(z.scale).toBeCloseTo(vp.scale * 2)
    expect(after.ew).toBeCloseTo(before.ew, 9)
    expect(after.ns).toBeCloseTo(before.ns, 9)
  })
  it('clamps zoom to the maximum scale', () => {
    const vp = { center: { ew: 0, ns: 0 }, scale: MAX_SCALE / 2 }
    expect(zoomAt(vp, size, 10, { x: 500, y: 400 }).scale).toBe(MAX_SCALE)
  })
  it('moves content with the drag direction', () => {
    const vp = { center: { ew: 0, ns: 0 }, scale: 10 }
    const moved = panBy(vp, size, 100, 50)
    expect(moved.center.ew).toBeCloseTo(-10)
    expect(moved.center.ns).toBeCloseTo(5)
  })
  it('never lets the centre leave the map box', () => {
    const vp = clampViewport({ center: { ew: 500, ns: -500 }, scale: 10 }, size)
    expect(vp.center).toEqual({ ew: 102, ns: -102 })
  })
})

describe('grid', () => {
  it('lists every 10-unit line inside the box', () => {
    expect(gridValues(-200, 200, 10)).toHaveLength(21)
    expect(gridValues(-15, 26, 10)).toEqual([-10, 0, 10, 20])
  })
  it('labels lines with N/S and E/W', () => {
    expect(gridLabel(20, 'ns')).toBe('20N')
    expect(gridLabel(-30, 'ns')).toBe('30S')
    expect(gridLabel(-40, 'ew')).toBe('40W')
    expect(gridLabel(0, 'ew')).toBe('0')
  })
  it('labels every 10 units at overview zoom', () => {
    expect(labelStep(4)).toBe(10)
    expect(labelStep(200)).toBe(1)
  })
  it('thins labels that would overlap', () => {
    expect(labelEvery(4, 10, 36)).toBe(10)
    expect(labelEvery(1.5, 10, 36)).toBe(50)
    expect(labelEvery(2.5, 10, 36)).toBe(20)
  })
  it('shows landblock lines only when zoomed in', () => {
    expect(visibleLandblockEdges(-102, 102, 4)).toEqual([])
    const edges = visibleLandblockEdges(33, 35, 100)
    expect(edges.length).toBeGreaterThan(1)
    expect(edges).toContain(169) // 0xA9, Holtburg's column
  })
})
