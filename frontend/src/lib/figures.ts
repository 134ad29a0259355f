/**
 * The one definition of every per-character figure the dashboard shows in more than one
 * place: session kills, kills/h, XP/h, session deaths, session time, rares this session and
 * lifetime deaths. The Session card, the Combat tab, the character sheet, the Characters
 * table, the Overview (per-character rows and group totals) and the map's hover card all
 * read them here, so no two places can compute a figure differently. Pure.
 *
 * Sources, in order of preference: the session counters the server keeps per character
 * (`session`, filled from the newest telemetry), then the newest telemetry itself. Combat
 * snapshots (sent once a minute while fighting) and the character sheet (every 10 minutes)
 * are older than both, so their own copies of these counters are never shown.
 */
import type { CharacterStats, SessionCounters, Telemetry } from '../api/types'

export interface SessionFigures {
  kills: number | null
  killsPerHour: number | null
  xpPerHour: number | null
  deaths: number | null
  rares: number | null
  /** Seconds since the character's session began, as the plugin counts it. */
  sessionSeconds: number | null
}

export interface FigureSources {
  session?: SessionCounters | null
  telemetry?: Telemetry | null
}

function num(...vs: (number | null | undefined)[]): number | null {
  for (const v of vs) if (typeof v === 'number' && Number.isFinite(v)) return v
  return null
}

export function sessionFigures({ session, telemetry }: FigureSources): SessionFigures {
  return {
    kills: num(session?.kills, telemetry?.kills),
    killsPerHour: num(session?.kills_per_hour, telemetry?.kills_per_hour),
    xpPerHour: num(telemetry?.xp_per_hour),
    deaths: num(session?.deaths, telemetry?.deaths),
    rares: num(session?.rares_found, telemetry?.rares_found),
    sessionSeconds: num(session?.session_seconds, telemetry?.session_seconds),
  }
}

/**
 * A character's lifetime deaths: the game's own counter from the newest telemetry, else
 * the character sheet's (older), else the deaths Overlord counted since it began tracking.
 * The Lifetime card and the character sheet both show this one figure.
 */
export function lifetimeDeaths(
  telemetry: { total_deaths?: number | null } | null | undefined,
  lifetime: { deaths?: number | null } | null | undefined,
  sheet?: Pick<CharacterStats, 'total_deaths'> | null,
): number | null {
  return num(telemetry?.total_deaths, sheet?.total_deaths, lifetime?.deaths)
}

/** The group's rates now: the sum over online characters of each one's figure. */
export function groupRates(characters: Iterable<FigureSources & { online: boolean }>): { killsPerHour: number; xpPerHour: number } {
  let killsPerHour = 0
  let xpPerHour = 0
  for (const c of characters) {
    if (!c.online) continue
    const f = sessionFigures(c)
    killsPerHour += f.killsPerHour ?? 0
    xpPerHour += f.xpPerHour ?? 0
  }
  return { killsPerHour, xpPerHour }
}
