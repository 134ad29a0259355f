/**
 * Cantrip names: "<Tier> <Family>" (solver.md §4).
 *
 * Owns tier parsing and ordering for display and for the suit builder's wanted-spell picker.
 * Pure.
 */

/** Tiers the suit builder scores, lowest first. */
export const SUIT_TIERS = ['Minor', 'Moderate', 'Major', 'Epic', 'Legendary'] as const
export type SuitTier = (typeof SUIT_TIERS)[number]

const ALL_TIERS = ['Feeble', 'Lesser', 'Inner', ...SUIT_TIERS]

export interface Cantrip {
  tier: string
  family: string
}

/** "Legendary Strength" → {tier:"Legendary", family:"Strength"}; null if no tier prefix. */
export function parseCantrip(name: string): Cantrip | null {
  const trimmed = name.trim()
  const space = trimmed.indexOf(' ')
  if (space <= 0) return null
  const first = trimmed.slice(0, space)
  const tier = ALL_TIERS.find((t) => t.toLowerCase() === first.toLowerCase())
  if (!tier) return null
  const family = trimmed.slice(space + 1).trim()
  return family ? { tier, family } : null
}

/** Points of a tier in the suit score: Minor 1, Moderate 1, Major 2, Epic 3, Legendary 4. */
export function tierPoints(tier: string): number {
  switch (tier.toLowerCase()) {
    case 'minor':
    case 'moderate':
      return 1
    case 'major':
      return 2
    case 'epic':
      return 3
    case 'legendary':
      return 4
    default:
      return 0
  }
}

/** Sort key: higher tier first, then family name. */
export function compareCantrips(a: string, b: string): number {
  const ca = parseCantrip(a)
  const cb = parseCantrip(b)
  const pa = ca ? tierPoints(ca.tier) : -1
  const pb = cb ? tierPoints(cb.tier) : -1
  if (pa !== pb) return pb - pa
  return (ca?.family ?? a).localeCompare(cb?.family ?? b)
}

/** Families found in a list of cantrip names, de-duplicated case-insensitively, sorted. */
export function familiesOf(names: readonly string[]): string[] {
  const seen = new Map<string, string>()
  for (const n of names) {
    const c = parseCantrip(n)
    const family = c ? c.family : n.trim()
    if (family && !seen.has(family.toLowerCase())) seen.set(family.toLowerCase(), family)
  }
  return [...seen.values()].sort((a, b) => a.localeCompare(b))
}
