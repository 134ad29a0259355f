import { describe, expect, it } from 'vitest'
import { publicAllows, publicNav, type PublicInfo } from './publicView'

describe('public view', () => {
  const on: PublicInfo = { public_view: true, pages: ['overview', 'rares'] }
  it('opens only the listed pages', () => {
    expect(publicAllows(on, 'overview')).toBe(true)
    expect(publicAllows(on, 'rares')).toBe(true)
    expect(publicAllows(on, 'map')).toBe(false)
    expect(publicAllows(on, 'items')).toBe(false)
    expect(publicAllows(on, 'alerts')).toBe(false)
  })
  it('opens nothing when off or unknown', () => {
    expect(publicAllows({ public_view: false, pages: ['overview'] }, 'overview')).toBe(false)
    expect(publicAllows(null, 'overview')).toBe(false)
  })
  it('limits the nav to the open pages', () => {
    expect(publicNav(on).map((n) => n.to)).toEqual(['/', '/rares'])
    expect(publicNav(null)).toEqual([])
  })
})
