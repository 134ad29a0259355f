import { describe, expect, it } from 'vitest'
import { dotBox, overlaps, placeLabels } from './labels'

describe('placeLabels', () => {
  it('never returns two overlapping labels and keeps the higher priority one', () => {
    const placed = placeLabels([
      { id: 'low', x: 100, y: 100, text: 'Ragstone outpost', priority: 1, centred: true },
      { id: 'high', x: 100, y: 100, text: 'Mossy Tank', priority: 10, centred: true },
    ])
    expect(placed.map((p) => p.id)).toEqual(['high'])
  })

  it('moves a label to a free side before dropping it', () => {
    const placed = placeLabels([
      { id: 'a', x: 100, y: 100, text: 'Holtburg', priority: 5 },
      { id: 'b', x: 104, y: 100, text: 'Glenden', priority: 4 },
    ])
    expect(placed).toHaveLength(2)
    const [a, b] = placed
    expect(a && b && overlaps(a.box, b.box)).toBe(false)
  })

  it('keeps clear of reserved boxes (marker dots) and the bounds', () => {
    const reserved = [dotBox(120, 100, 12)]
    const placed = placeLabels([{ id: 't', x: 100, y: 100, text: 'Town', priority: 1 }], reserved, { x: 0, y: 0, w: 400, h: 300 })
    expect(placed).toHaveLength(1)
    expect(overlaps(placed[0]!.box, reserved[0]!)).toBe(false)
    expect(placeLabels([{ id: 'edge', x: 2, y: 2, text: 'Far too long for the corner', priority: 1, centred: true }], [], { x: 0, y: 0, w: 400, h: 300 })).toHaveLength(0)
  })

  it('stays overlap-free with many labels at once', () => {
    const cands = Array.from({ length: 200 }, (_, i) => ({ id: String(i), x: (i * 37) % 300, y: (i * 53) % 200, text: `Label ${i}`, priority: i % 7 }))
    const placed = placeLabels(cands)
    for (let i = 0; i < placed.length; i++) for (let j = i + 1; j < placed.length; j++) expect(overlaps(placed[i]!.box, placed[j]!.box)).toBe(false)
  })
})
