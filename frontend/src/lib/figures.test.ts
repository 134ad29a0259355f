import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { CombatPanel, SessionCard, StatsPanel } from '../pages/Character/Panels'
import { groupRates, lifetimeDeaths, sessionFigures } from './figures'
import { overviewFigures } from './overview'
import { SuitView } from '../pages/SuitBuilder/SuitView'
import { scoringSpells } from './suits'
import type { Suit } from '../api/types'

/** `data-figure` name → text, for every element carrying one in `html`. */
function figuresIn(html: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of html.matchAll(/data-figure="([a-z-]+)"[^>]*>([^<]*)</g)) out[m[1] as string] = m[2] as string
  return out
}

// The case: a combat snapshot taken at 3m 00s with 7 kills while the session is at
// 3m 50s with 11 kills.
const session = { kills: 11, kills_per_hour: 172.2, deaths: 1, rares_found: 0, session_seconds: 230 }
const telemetry = { kills: 11, xp_per_hour: 2_500_000, session_seconds: 230, total_deaths: 98 }
const combat = { session_seconds: 180, given: { attacks: 40, failed: 4, crits: 3, damage: 900, max_hit: 80, kills: 7 }, received: null }

describe('one definition per figure', () => {
  const figures = sessionFigures({ session, telemetry })
  const card = figuresIn(renderToStaticMarkup(createElement(SessionCard, { figures, tapers: 500 })))
  const tab = figuresIn(renderToStaticMarkup(createElement(CombatPanel, { stats: combat, figures })))

  for (const name of ['kills', 'session-time', 'kills-per-hour', 'xp-per-hour', 'deaths']) {
    it(`the Session card and the Combat tab show the same ${name}`, () => {
      expect(card[name]).toBeDefined()
      expect(tab[name]).toBe(card[name])
    })
  }

  it('the Combat tab never shows the older snapshot counters', () => {
    expect(card.kills).toBe('11')
    expect(card['session-time']).toBe('3m 50s')
    const html = renderToStaticMarkup(createElement(CombatPanel, { stats: combat, figures }))
    expect(html).not.toMatch(/\b7 kills\b|3m 00s/)
  })

  it('the Combat tab without a snapshot still shows the session figures', () => {
    const empty = figuresIn(renderToStaticMarkup(createElement(CombatPanel, { stats: null, figures })))
    expect(empty).toEqual(card)
  })

  it('falls back to the newest telemetry when the session counters lack a figure', () => {
    const f = sessionFigures({ session: {}, telemetry: { kills: 4, kills_per_hour: 60, session_seconds: 240, deaths: 0 } })
    expect(f).toEqual({ kills: 4, killsPerHour: 60, xpPerHour: null, deaths: 0, rares: null, sessionSeconds: 240 })
  })

  it('lifetime deaths: the Lifetime card and the character sheet read one figure', () => {
    // Sheet (10 minutes old) says 97, telemetry says 98, Overlord counted 0 since it started.
    const deaths = lifetimeDeaths(telemetry, { deaths: 0 }, { total_deaths: 97 })
    expect(deaths).toBe(98)
    const sheet = renderToStaticMarkup(createElement(StatsPanel, { stats: { total_deaths: 97 }, lifetimeDeaths: deaths }))
    expect(sheet).toContain('data-testid="sheet-deaths">98<')
    expect(lifetimeDeaths({}, { deaths: 0 }, { total_deaths: 97 })).toBe(97)
    expect(lifetimeDeaths({ total_deaths: null }, { deaths: 3 }, null)).toBe(3)
    expect(lifetimeDeaths({}, {}, null)).toBeNull()
  })

  it("the Overview's group kills/h and XP/h are the sum of each character's figure", () => {
    const a = { online: true, session: { kills_per_hour: 100 }, telemetry: { kills_per_hour: 1, xp_per_hour: 10 } }
    const b = { online: true, session: {}, telemetry: { kills_per_hour: 50, xp_per_hour: 5 } }
    const off = { online: false, session: { kills_per_hour: 999 }, telemetry: { xp_per_hour: 999 } }
    expect(groupRates([a, b, off])).toEqual({ killsPerHour: 150, xpPerHour: 15 })
    const states = [a, b, off].map((c, i) => ({ ...c, name: `c${i}`, lastSeenMs: 0, vitals: null, lastOutdoor: null, inDungeon: false, recent: [] }))
    const o = overviewFigures(states)
    expect([o.killsPerHour, o.xpPerHour]).toEqual([sessionFigures(a).killsPerHour! + sessionFigures(b).killsPerHour!, 15])
  })
})

describe('suit spells: the score line and the list name the same spells', () => {
  const suit: Suit = {
    score: 9,
    components: { spells: 6, sets: 0, ratings: 0, armor: 3 },
    items: [],
    spells: [
      { family: 'Strength', tier: 'Legendary' },
      { family: 'Endurance', tier: 'Epic' },
      { family: 'Coordination', tier: 'Major' },
      { family: 'Focus', tier: 'Epic' },
    ],
    sets: [],
    ratings: {},
    armor_level_total: 0,
    requirements_checked: false,
  }
  const wanted = [{ family: 'strength', min_tier: 'Epic' }, { family: 'Coordination', min_tier: 'Epic' }, { family: 'Focus' }]

  it('counts a wanted family at or above its minimum tier, in any letter case', () => {
    expect(scoringSpells(suit.spells, wanted).map((s) => s.family)).toEqual(['Strength', 'Focus'])
    expect(scoringSpells(suit.spells, [])).toEqual([])
  })

  it('the count beside "Wanted spells" equals the spells marked in the list', () => {
    const html = renderToStaticMarkup(createElement(SuitView, { suit, wanted, title: 'Suit' }))
    const count = Number(/data-testid="spell-score-count" data-count="(\d+)"/.exec(html)?.[1])
    const marked = [...html.matchAll(/data-scoring="yes"/g)].length
    expect(count).toBe(2)
    expect(marked).toBe(count)
    expect(html).toContain('from 2 of 4 spells')
  })

  it('a suit whose spells are all unwanted says so next to a zero score', () => {
    const html = renderToStaticMarkup(createElement(SuitView, { suit: { ...suit, components: { ...suit.components, spells: 0 } }, wanted: [], title: 'Suit' }))
    expect(html).toContain('from 0 of 4 spells')
    expect(html).not.toContain('data-scoring="yes"')
  })
})
