import { describe, expect, it } from 'vitest'
import { buildSuitRequest, DEFAULT_FORM, orderedItems, progressRatio } from './suits'
import type { Suit } from '../api/types'

describe('buildSuitRequest', () => {
  it('needs a character', () => {
    expect(buildSuitRequest(DEFAULT_FORM)).toBe('choose a character first')
  })
  it('builds the api.md request with owners, spells, sets, filters and limits', () => {
    const req = buildSuitRequest({
      ...DEFAULT_FORM,
      character: 'Mossy Tank',
      mules: ['Mule One', 'mossy tank'],
      wanted: [
        { family: 'Strength', minTier: 'Epic' },
        { family: '  ', minTier: 'Major' },
      ],
      sets: [
        { setId: 13, pieces: 5, value: 10000 },
        { setId: 13, pieces: 4, value: 5000 },
      ],
      critDamageTiers: [1, 0],
      locked: [5, 5],
      excluded: [5, 9],
      topK: 9,
      timeLimitS: 10,
    })
    expect(req).toEqual({
      character: 'Mossy Tank',
      owners: ['Mossy Tank', 'Mule One'],
      wanted_spells: [{ family: 'Strength', min_tier: 'Epic' }],
      sets: [{ set_id: 13, values: { '5': 10000, '4': 5000 } }],
      filters: { armor_crit_damage_tiers: [0, 1] },
      locked: [5],
      excluded: [9],
      allow_reduction: true,
      top_k: 5,
      time_limit_ms: 10000,
    })
  })
  it('sends weights only when set', () => {
    const req = buildSuitRequest({ ...DEFAULT_FORM, character: 'A', spellWeight: 2000 })
    expect(typeof req === 'object' && req.weights).toEqual({ spell: 2000 })
  })
})

describe('result helpers', () => {
  it('computes best/upper progress', () => {
    expect(progressRatio({ nodes: 1, best_score: 50, upper_bound: 200 })).toBe(0.25)
    expect(progressRatio({ nodes: 1 })).toBeNull()
  })
  it('orders suit items head to toe, then jewelry', () => {
    const item = (object_id: number, name: string, position: string) => ({ object_id, owner: 'A', name, position, reduce_to: null })
    const s: Suit = {
      score: 1,
      components: { spells: 0, sets: 0, ratings: 0, armor: 0 },
      items: [item(3, 'Ring', 'finger'), item(1, 'Boots', 'feet'), item(2, 'Helm', 'head')],
      spells: [],
      sets: [],
      ratings: {},
      armor_level_total: 0,
      requirements_checked: false,
    }
    expect(orderedItems(s).map((i) => i.name)).toEqual(['Helm', 'Boots', 'Ring'])
  })
})
