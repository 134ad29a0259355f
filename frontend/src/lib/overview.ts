/**
 * The overview page's live figures, from the live store: who is online, who is low on
 * health or tapers, who is idle, and the group's kills/h and XP/h now.
 *
 * Owns the one definition of each of those figures (thresholds named below). Stuck and
 * disconnected characters are not decided here: they come from the server's single
 * detection (GET /api/attention). Pure: no React, no network.
 */
import type { CharacterState } from '../live/store'
import { groupRates } from './figures'

/** Health below this share of maximum is "low". */
export const LOW_HEALTH_RATIO = 0.5
/** Fewer prismatic tapers than this is "low" (the alerts' default threshold). */
export const LOW_TAPERS = 200

export interface OverviewFigures {
  online: CharacterState[]
  lowHealth: { name: string; ratio: number }[]
  lowTapers: { name: string; tapers: number }[]
  idle: string[]
  /** Sum of the online characters' current kills per hour. */
  killsPerHour: number
  /** Sum of the online characters' current XP per hour. */
  xpPerHour: number
}

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

export function overviewFigures(characters: Iterable<CharacterState>): OverviewFigures {
  const online = [...characters].filter((c) => c.online).sort((a, b) => a.name.localeCompare(b.name))
  const lowHealth: OverviewFigures['lowHealth'] = []
  const lowTapers: OverviewFigures['lowTapers'] = []
  const idle: string[] = []
  for (const c of online) {
    const hp = c.vitals?.health
    const max = c.vitals?.health_max
    if (finite(hp) && finite(max) && max > 0 && hp / max < LOW_HEALTH_RATIO) lowHealth.push({ name: c.name, ratio: hp / max })
    const tapers = c.telemetry.prismatic_taper_count
    if (finite(tapers) && tapers < LOW_TAPERS) lowTapers.push({ name: c.name, tapers })
    if ((c.telemetry.vt_state ?? '').toLowerCase() === 'idle') idle.push(c.name)
  }
  const { killsPerHour, xpPerHour } = groupRates(online)
  lowHealth.sort((a, b) => a.ratio - b.ratio)
  lowTapers.sort((a, b) => a.tapers - b.tapers)
  return { online, lowHealth, lowTapers, idle, killsPerHour, xpPerHour }
}
