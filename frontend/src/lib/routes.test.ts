import { describe, expect, it } from 'vitest'
import { characterPath, matchRoute, safeNextPath, withQuery } from './routes'

describe('matchRoute', () => {
  it('maps / to the overview and /map to the map page', () => {
    expect(matchRoute('/').name).toBe('overview')
    expect(matchRoute('/map').name).toBe('map')
  })
  it('captures and decodes a character name', () => {
    expect(matchRoute('/characters/Mossy%20Tank')).toEqual({ name: 'character', params: { name: 'Mossy Tank' } })
    expect(matchRoute(characterPath("Al'Rah +Admin"))).toEqual({ name: 'character', params: { name: "Al'Rah +Admin" } })
  })
  it('ignores a trailing slash', () => {
    expect(matchRoute('/items/').name).toBe('items')
  })
  it('answers not_found for unknown paths and bad escapes', () => {
    expect(matchRoute('/nope').name).toBe('not_found')
    expect(matchRoute('/characters/%E0%A4%A').name).toBe('not_found')
  })
})

describe('links', () => {
  it('builds query strings without empty values', () => {
    expect(withQuery('/map', { focus: 'Mossy Tank', z: '', n: null })).toBe('/map?focus=Mossy+Tank')
    expect(withQuery('/map', {})).toBe('/map')
  })
  it('refuses open redirects after login', () => {
    expect(safeNextPath('/items?q=ring')).toBe('/items?q=ring')
    expect(safeNextPath('https://evil.example')).toBe('/')
    expect(safeNextPath('//evil.example')).toBe('/')
    expect(safeNextPath('/login')).toBe('/')
    expect(safeNextPath(null)).toBe('/')
  })
})
