import { describe, expect, it } from 'vitest'
import { characterDetail } from '../test/fixtures'
import { cantripSummaryOf, enchantmentsOf, lifetimeOf, questCapped, questReadyAt, questsOf, sortQuests } from './characterDetail'

describe('character detail readers', () => {
  it('reads quests as a list or wrapped', () => {
    const q = { name: 'gaerlandefeated' }
    expect(questsOf({ quests: [q] })).toEqual([q])
    expect(questsOf({ quests: { quests: [q] } })).toEqual([q])
    expect(questsOf({ quests: null })).toEqual([])
  })
  it('reads cantrips as a list or the plugin object', () => {
    const e = { name: 'Legendary Strength', remaining_s: -1 }
    expect(enchantmentsOf({ cantrips: [e] })).toEqual([e])
    expect(enchantmentsOf({ cantrips: { enchantments: [e], summary: { legendary: 1 } } })).toEqual([e])
    expect(cantripSummaryOf({ cantrips: { enchantments: [e], summary: { legendary: 1 } } })).toEqual({ legendary: 1 })
  })
  it('derives ready time from last completion plus repeat delay', () => {
    expect(questReadyAt({ name: 'x', last_completed: 1748797200, repeat_seconds: 604800 })).toBe((1748797200 + 604800) * 1000)
    expect(questReadyAt({ name: 'x', ready_at_ms: 5 })).toBe(5)
    expect(questReadyAt({ name: 'x' })).toBeNull()
  })
  it('knows when a quest is at its solve cap', () => {
    expect(questCapped({ name: 'x', solves: 3, max_solves: 3 })).toBe(true)
    expect(questCapped({ name: 'x', solves: 30, max_solves: -1 })).toBe(false)
  })
  it('lists ready quests first, then the soonest', () => {
    const now = 1_000_000
    const qs = [
      { name: 'later', ready_at_ms: now + 5000 },
      { name: 'b-ready', ready_at_ms: now - 10 },
      { name: 'unknown' },
      { name: 'a-ready', ready_at_ms: now - 99999 },
      { name: 'soon', ready_at_ms: now + 10 },
    ]
    expect(sortQuests(qs, now).map((q) => q.name)).toEqual(['a-ready', 'b-ready', 'soon', 'later', 'unknown'])
  })
  it('reads the known lifetime totals and nothing else', () => {
    const lifetime = { kills: 5, deaths: 1, xp: 7, rares: 2, distance_m: 12, online_s: Number.NaN, first_seen_ms: 17, last_seen_ms: 18 }
    expect(lifetimeOf(characterDetail({ lifetime }))).toEqual({ kills: 5, deaths: 1, xp: 7, rares: 2, distance_m: 12 })
    expect(lifetimeOf(characterDetail({ lifetime: null }))).toEqual({})
    expect(lifetimeOf(null)).toEqual({})
  })
})
