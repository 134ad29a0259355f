import { describe, expect, it } from 'vitest'
import type { CharacterState } from '../live/store'
import { overviewFigures } from './overview'

function ch(name: string, over: Partial<CharacterState>): CharacterState {
  return { name, online: true, lastSeenMs: 0, telemetry: {}, vitals: null, session: {}, lastOutdoor: null, inDungeon: false, recent: [], ...over } as CharacterState
}

describe('overviewFigures', () => {
  it('counts only online characters and sums their current rates', () => {
    const f = overviewFigures([
      ch('B', { telemetry: { kills_per_hour: 100, xp_per_hour: 2e6 } }),
      ch('A', { telemetry: { kills_per_hour: 50, xp_per_hour: null } }),
      ch('Off', { online: false, telemetry: { kills_per_hour: 999, xp_per_hour: 9e9 } }),
    ])
    expect(f.online.map((c) => c.name)).toEqual(['A', 'B'])
    expect(f.killsPerHour).toBe(150)
    expect(f.xpPerHour).toBe(2e6)
  })

  it('flags low health, low tapers and idle by the named thresholds', () => {
    const f = overviewFigures([
      ch('Hurt', { vitals: { health: 40, health_max: 100 }, telemetry: { prismatic_taper_count: 5000, vt_state: 'Combat' } }),
      ch('Fine', { vitals: { health: 60, health_max: 100 }, telemetry: { prismatic_taper_count: 199, vt_state: 'Idle' } }),
      ch('NoMax', { vitals: { health: 1, health_max: 0 }, telemetry: {} }),
    ])
    expect(f.lowHealth).toEqual([{ name: 'Hurt', ratio: 0.4 }])
    expect(f.lowTapers).toEqual([{ name: 'Fine', tapers: 199 }])
    expect(f.idle).toEqual(['Fine'])
  })
})
