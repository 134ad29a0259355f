import { describe, expect, it } from 'vitest'
import { boundsOf, cellPolygons, cellsOnFloor, floorLevels, toLandblock } from './dungeon'

describe('dungeon geometry', () => {
  it('translates cell-local points by the cell origin', () => {
    expect(toLandblock({ cell: 1, x: 10, y: -20 }, { x: 1, y: 2 })).toEqual({ x: 11, y: -18 })
  })
  it('rotates clockwise from north like a heading', () => {
    const p = toLandblock({ cell: 1, x: 0, y: 0, rot: 90 }, { x: 0, y: 10 })
    expect(p.x).toBeCloseTo(10)
    expect(p.y).toBeCloseTo(0)
  })
  it('builds polygons and skips malformed ones', () => {
    const polys = cellPolygons([
      { cell: '0x02F30100', x: 10, y: -20, rot: 0, floor: [[[0, 0], [10, 0], [10, 10], [0, 10]], [[0, 0], [1, 1]]] },
    ])
    expect(polys).toHaveLength(1)
    expect(boundsOf(polys)).toEqual({ minX: 10, minY: -20, maxX: 20, maxY: -10 })
    expect(boundsOf([])).toBeNull()
  })
  it('picks the floor the character stands on', () => {
    const cells = [
      { cell: 1, x: 0, y: 0, z: 0 },
      { cell: 2, x: 0, y: 0, z: -6 },
      { cell: 3, x: 0, y: 0, z: 1.5 },
    ]
    expect(cellsOnFloor(cells, 0.5).map((c) => c.cell)).toEqual([1, 3])
    expect(cellsOnFloor(cells, null)).toHaveLength(3)
    expect(cellsOnFloor(cells, 100)).toHaveLength(3)
    expect(floorLevels(cells)).toEqual([2, 0, -6])
  })
})
