import { describe, expect, it } from 'vitest'
import { buildQuery, itemSearchQuery } from '../api/client'
import { EMPTY_FILTERS, facetActive, facetValues, filtersToParams, ratingsText, toggle, topFacet, wieldLevel, withoutFacet } from './items'

describe('item helpers', () => {
  it('reads the level requirement (type 7)', () => {
    expect(wieldLevel({ wield_requirements: [{ type: 2, skill_id: 44, value: 430 }, { type: 7, skill_id: 1, value: 180 }] })).toBe(180)
    expect(wieldLevel({ wield_requirements: [] })).toBeNull()
  })
  it('lists non-zero ratings', () => {
    expect(ratingsText({ ratings: { crit_damage: 2, damage_resist: 1, crit: 0 } })).toBe('crit damage 2, damage resist 1')
  })
  it('toggles multi-select values', () => {
    expect(toggle(['a'], 'b')).toEqual(['a', 'b'])
    expect(toggle(['a', 'b'], 'a')).toEqual(['b'])
  })
  it('orders facets by count then name', () => {
    expect(topFacet({ b: 2, a: 2, c: 9 }, 2)).toEqual([
      ['c', 9],
      ['a', 2],
    ])
  })
})

describe('filtersToParams', () => {
  it('asks for every facet and leaves unset filters out', () => {
    const q = buildQuery(itemSearchQuery(filtersToParams(EMPTY_FILTERS, { limit: 50, offset: 0 })))
    expect(q).toBe('?limit=50&offset=0&facets=owner%2Cset%2Cobject_class%2Cslot%2Ccantrip')
  })
  it('maps every chosen filter', () => {
    const p = filtersToParams(
      {
        ...EMPTY_FILTERS,
        q: 'koujia',
        owners: ['Mossy Tank'],
        slots: ['chest'],
        set: "Adept's",
        cantrips: ['Legendary Willpower'],
        minArmorLevel: 500,
        maxWieldLevel: 180,
        equipped: 'no',
        rating: 'crit_damage',
        minRating: 1,
        sort: 'armor_level:desc',
      },
      { limit: 50, offset: 50 },
    )
    expect(buildQuery(itemSearchQuery(p))).toBe(
      '?q=koujia&owner=Mossy+Tank&slot=chest&set=Adept%27s&cantrip=Legendary+Willpower&min_armor_level=500&max_wield_level=180&equipped=false&sort=armor_level%3Adesc&limit=50&offset=50&facets=owner%2Cset%2Cobject_class%2Cslot%2Ccantrip&min_crit_damage=1',
    )
  })
})

describe('disjunctive facets', () => {
  it('drops only the asked group and keeps selected values listed', () => {
    const f = { ...EMPTY_FILTERS, owners: ['A'], slots: ['head'], set: 'Soldier', cantrips: ['Strength'] }
    expect(withoutFacet(f, 'owner')).toEqual({ ...f, owners: [] })
    expect(withoutFacet(f, 'set').set).toBeNull()
    expect(facetActive(f, 'object_class')).toBe(false)
    expect(facetActive(f, 'slot')).toBe(true)
    expect(facetValues({ A: 5, B: 9, C: 1 }, ['C', 'Z'], 2)).toEqual([
      ['B', 9],
      ['A', 5],
      ['C', 1],
      ['Z', 0],
    ])
  })
})
