import { describe, expect, it } from 'vitest'
import { compareCantrips, familiesOf, parseCantrip, SUIT_TIERS, tierPoints } from './spells'

describe('cantrip names', () => {
  it('splits tier and family', () => {
    expect(parseCantrip('Legendary Strength')).toEqual({ tier: 'Legendary', family: 'Strength' })
    expect(parseCantrip('epic  Magic Resistance')).toEqual({ tier: 'Epic', family: 'Magic Resistance' })
  })
  it('does not treat an ordinary spell as a cantrip', () => {
    expect(parseCantrip("Brogard's Defiance")).toBeNull()
    expect(parseCantrip('Legendary')).toBeNull()
  })
  it('scores tiers like the solver', () => {
    expect(['Minor', 'Moderate', 'Major', 'Epic', 'Legendary', 'Lesser'].map(tierPoints)).toEqual([1, 1, 2, 3, 4, 0])
  })
  it('orders higher tiers first', () => {
    const sorted = ['Minor Focus', 'Legendary Strength', 'Epic Endurance'].sort(compareCantrips)
    expect(sorted).toEqual(['Legendary Strength', 'Epic Endurance', 'Minor Focus'])
  })
  it('follows the server tier table: old tiers below Minor, Moderate above it', () => {
    expect(['Lesser Focus', 'Minor Focus', 'Feeble Focus', 'Moderate Focus', 'Inner Focus'].sort(compareCantrips)).toEqual([
      'Moderate Focus',
      'Minor Focus',
      'Inner Focus',
      'Lesser Focus',
      'Feeble Focus',
    ])
    expect(SUIT_TIERS).toEqual(['Minor', 'Moderate', 'Major', 'Epic', 'Legendary'])
  })
  it('lists families once', () => {
    expect(familiesOf(['Legendary Strength', 'Epic strength', 'Major Focus'])).toEqual(['Focus', 'Strength'])
  })
})
