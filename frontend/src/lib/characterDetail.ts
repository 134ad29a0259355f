/**
 * Reading GET /api/characters/{name} tolerantly: quests and cantrips may arrive as a bare
 * list or wrapped as in the plugin message, and quest ready times may need deriving
 * (docs/protocol.md §3.8: ready = last_completed + repeat_seconds). Pure.
 */
import type { CharacterDetail, Enchantment, Quest } from '../api/types'

export function questsOf(d: Pick<CharacterDetail, 'quests'> | null | undefined): Quest[] {
  const q = d?.quests
  if (!q) return []
  if (Array.isArray(q)) return q
  return Array.isArray(q.quests) ? q.quests : []
}

export function enchantmentsOf(d: Pick<CharacterDetail, 'cantrips'> | null | undefined): Enchantment[] {
  const c = d?.cantrips
  if (!c) return []
  if (Array.isArray(c)) return c
  return Array.isArray(c.enchantments) ? c.enchantments : []
}

export function cantripSummaryOf(d: Pick<CharacterDetail, 'cantrips'> | null | undefined): Record<string, number> | null {
  const c = d?.cantrips
  if (!c || Array.isArray(c)) return null
  return c.summary ?? null
}

/** Unix ms when the quest can be done again; null if unknown or not repeatable. */
export function questReadyAt(q: Quest): number | null {
  if (typeof q.ready_at_ms === 'number') return q.ready_at_ms
  if (typeof q.last_completed === 'number' && typeof q.repeat_seconds === 'number' && q.repeat_seconds >= 0) {
    return (q.last_completed + q.repeat_seconds) * 1000
  }
  return null
}

/** True when the quest has hit its solve cap (max_solves -1 is unlimited). */
export function questCapped(q: Quest): boolean {
  return typeof q.max_solves === 'number' && q.max_solves > 0 && typeof q.solves === 'number' && q.solves >= q.max_solves
}

/** Quests ready first, then by soonest ready time, then by name. */
export function sortQuests(quests: readonly Quest[], nowMs: number): Quest[] {
  return [...quests].sort((a, b) => {
    const ra = questReadyAt(a) ?? Number.POSITIVE_INFINITY
    const rb = questReadyAt(b) ?? Number.POSITIVE_INFINITY
    const ea = Math.max(ra, nowMs)
    const eb = Math.max(rb, nowMs)
    if (ea !== eb) return ea - eb
    return a.name.localeCompare(b.name)
  })
}

/** Below this many Prismatic Tapers a caster is warned (docs/protocol.md §2.2). */
export const LOW_TAPER_COUNT = 100

export interface Lifetime {
  kills?: number
  deaths?: number
  xp?: number
  rares?: number
  distance_m?: number
  online_s?: number
}

const LIFETIME_KEYS = ['kills', 'deaths', 'xp', 'rares', 'distance_m', 'online_s'] as const

/** Lifetime totals, finite figures only (`null` lifetime: a character only seen live). */
export function lifetimeOf(d: CharacterDetail | null | undefined): Lifetime {
  const t = d?.lifetime ?? null
  const out: Lifetime = {}
  if (!t) return out
  for (const k of LIFETIME_KEYS) {
    const v = t[k]
    if (Number.isFinite(v)) out[k] = v
  }
  return out
}
