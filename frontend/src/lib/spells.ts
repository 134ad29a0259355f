/**
 * Cantrip names: "<Tier> <Family>" (docs/solver.md §4).
 *
 * Owns parsing and ordering cantrip names for display and for the suit builder's
 * wanted-spell picker. The tiers, their order and their points come from the server's one
 * tier table (`CANTRIP_TIERS`, generated from `game::cantrips`). Pure.
 */
import { CANTRIP_TIERS, type CantripTier } from '../api/generated'

/** Tiers the suit builder scores (worth at least one point), lowest first. */
export const SUIT_TIERS: readonly CantripTier[] = CANTRIP_TIERS.filter((t) => t.points > 0).map((t) => t.name)
export type SuitTier = CantripTier

export interface Cantrip {
  tier: CantripTier
  family: string
}

function tierOf(word: string): (typeof CANTRIP_TIERS)[number] | undefined {
  const w = word.toLowerCase()
  return CANTRIP_TIERS.find((t) => t.name.toLowerCase() === w)
}

/** "Legendary Strength" → {tier:"Legendary", family:"Strength"}; null if no tier prefix. */
export function parseCantrip(name: string): Cantrip | null {
  const trimmed = name.trim()
  const space = trimmed.indexOf(' ')
  if (space <= 0) return null
  const tier = tierOf(trimmed.slice(0, space))
  if (!tier) return null
  const family = trimmed.slice(space + 1).trim()
  return family ? { tier: tier.name, family } : null
}

/** Points of a tier in the suit score (Minor 1, Moderate 1, Major 2, Epic 3, Legendary 4, older tiers 0). */
export function tierPoints(tier: string): number {
  return tierOf(tier)?.points ?? 0
}

/** A tier's place in the one tier order (higher ranks higher); -1 for a name that is no tier. */
function tierRank(tier: string): number {
  const t = tierOf(tier)
  return t ? CANTRIP_TIERS.indexOf(t) : -1
}

/** Sort key: higher tier first (the server's tier order), then family name. */
export function compareCantrips(a: string, b: string): number {
  const ca = parseCantrip(a)
  const cb = parseCantrip(b)
  const pa = ca ? tierRank(ca.tier) : -1
  const pb = cb ? tierRank(cb.tier) : -1
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
