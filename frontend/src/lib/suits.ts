/**
 * Suit-builder form state → the POST /api/suitbuilder/jobs request (docs/api.md, docs/solver.md), and
 * small helpers to explain a result. Pure.
 */
import type { Suit, SuitProgress, SuitRequest, WantedSpell } from '../api/types'
import { SUIT_TIERS, type SuitTier } from './spells'

/** The 17 loot armor sets (docs/protocol.md §5 EquipmentSet 13–29). */
export const LOOT_SETS: readonly { id: number; name: string }[] = [
  { id: 13, name: "Soldier's" },
  { id: 14, name: "Adept's" },
  { id: 15, name: "Archer's" },
  { id: 16, name: "Defender's" },
  { id: 17, name: "Tinker's" },
  { id: 18, name: "Crafter's" },
  { id: 19, name: 'Hearty' },
  { id: 20, name: 'Dexterous' },
  { id: 21, name: 'Wise' },
  { id: 22, name: 'Swift' },
  { id: 23, name: 'Hardened' },
  { id: 24, name: 'Reinforced' },
  { id: 25, name: 'Interlocking' },
  { id: 26, name: 'Flameproof' },
  { id: 27, name: 'Acidproof' },
  { id: 28, name: 'Coldproof' },
  { id: 29, name: 'Lightningproof' },
]

/** Common suit cantrip families, offered as suggestions (any family can be typed). */
export const COMMON_FAMILIES: readonly string[] = [
  'Strength',
  'Endurance',
  'Coordination',
  'Quickness',
  'Focus',
  'Willpower',
  'Armor',
  'Invulnerability',
  'Impregnability',
  'Magic Resistance',
  'Heavy Weapon Aptitude',
  'Light Weapon Aptitude',
  'Finesse Weapon Aptitude',
  'Missile Weapon Aptitude',
  'Two Handed Combat Aptitude',
  'Dual Wield Aptitude',
  'Shield Aptitude',
  'War Magic Aptitude',
  'Void Magic Aptitude',
  'Life Magic Aptitude',
  'Creature Enchantment Aptitude',
  'Item Enchantment Aptitude',
  'Mana Conversion Prowess',
  'Arcane Prowess',
  'Healing Prowess',
  'Summoning Prowess',
  'Sneak Attack Prowess',
  'Dirty Fighting Prowess',
  'Recklessness Prowess',
  'Deception Prowess',
  'Acid Ward',
  'Bludgeoning Ward',
  'Flame Ward',
  'Frost Ward',
  'Piercing Ward',
  'Slashing Ward',
  'Storm Ward',
]

/** Crit-damage rating tiers offered in the armor filter. */
export const CRIT_DAMAGE_TIERS = [0, 1, 2, 3, 4] as const

/** Bounds the form enforces (the server clamps too). */
export const MAX_TOP_K = 5
export const MAX_TIME_LIMIT_S = 300
export const MAX_WANTED_SPELLS = 40

export interface WantedRow {
  family: string
  minTier: string
}

export interface SetRow {
  setId: number
  pieces: number
  value: number
}

export interface SuitForm {
  character: string
  mules: string[]
  wanted: WantedRow[]
  sets: SetRow[]
  critDamageTiers: number[]
  locked: number[]
  excluded: number[]
  allowReduction: boolean
  topK: number
  timeLimitS: number
  spellWeight: number | null
  armorWeight: number | null
}

export const DEFAULT_FORM: SuitForm = {
  character: '',
  mules: [],
  wanted: [],
  sets: [],
  critDamageTiers: [],
  locked: [],
  excluded: [],
  allowReduction: true,
  topK: 1,
  timeLimitS: 30,
  spellWeight: null,
  armorWeight: null,
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(Number.isFinite(v) ? v : lo)))
}

/**
 * Which of a suit's spells count toward its "Wanted spells" score (docs/solver.md: a wanted
 * family worn at or above its minimum tier). The score itself is the solver's; this is the
 * one definition of which listed spells it came from, shared by the score line and the list.
 */
export function scoringSpells(spells: Suit['spells'], wanted: readonly WantedSpell[]): { family: string; tier: string }[] {
  const rank = (t: string | undefined) => (t ? SUIT_TIERS.indexOf(t as SuitTier) : -1)
  return (spells ?? []).filter((s) => {
    const w = wanted.find((x) => x.family.toLowerCase() === s.family.toLowerCase())
    return w !== undefined && rank(s.tier) >= 0 && rank(s.tier) >= rank(w.min_tier)
  })
}

/** Form → request; returns an error text instead when the form is not complete. */
export function buildSuitRequest(f: SuitForm): SuitRequest | string {
  const character = f.character.trim()
  if (!character) return 'choose a character first'
  const owners = [character, ...f.mules.filter((m) => m.trim() && m.trim().toLowerCase() !== character.toLowerCase())]
  const wanted = f.wanted
    .filter((w) => w.family.trim())
    .slice(0, MAX_WANTED_SPELLS)
    .map((w) => ({ family: w.family.trim(), min_tier: w.minTier || undefined }))
  const req: SuitRequest = {
    character,
    owners,
    wanted_spells: wanted,
    locked: [...new Set(f.locked)],
    excluded: [...new Set(f.excluded.filter((id) => !f.locked.includes(id)))],
    allow_reduction: f.allowReduction,
    top_k: clampInt(f.topK, 1, MAX_TOP_K),
    time_limit_ms: clampInt(f.timeLimitS, 1, MAX_TIME_LIMIT_S) * 1000,
  }
  const sets = new Map<number, Record<string, number>>()
  for (const s of f.sets) {
    const values = sets.get(s.setId) ?? {}
    values[String(clampInt(s.pieces, 1, 9))] = Math.round(s.value)
    sets.set(s.setId, values)
  }
  if (sets.size > 0) req.sets = [...sets.entries()].map(([set_id, values]) => ({ set_id, values }))
  if (f.critDamageTiers.length > 0) req.filters = { armor_crit_damage_tiers: [...f.critDamageTiers].sort((a, b) => a - b) }
  if (f.spellWeight !== null || f.armorWeight !== null) {
    req.weights = {}
    if (f.spellWeight !== null) req.weights.spell = f.spellWeight
    if (f.armorWeight !== null) req.weights.armor = f.armorWeight
  }
  return req
}

/** Share of the search space ruled out: best/upper as a 0..1 fraction, null when unknown. */
export function progressRatio(p: SuitProgress | null): number | null {
  if (!p || typeof p.best_score !== 'number' || typeof p.upper_bound !== 'number' || p.upper_bound <= 0) return null
  return Math.max(0, Math.min(1, p.best_score / p.upper_bound))
}

/** Items of a suit in a fixed, readable order of positions. */
const POSITION_ORDER = [
  'head',
  'chest',
  'abdomen',
  'upper_arms',
  'lower_arms',
  'hands',
  'upper_legs',
  'lower_legs',
  'feet',
  'under',
  'neck',
  'wrist',
  'finger',
  'trinket',
  'cloak',
  'aetheria',
]

export function orderedItems(s: Suit): Suit['items'] {
  const rank = (pos: string) => {
    const p = pos.toLowerCase().replace(/[\s-]/g, '_')
    const i = POSITION_ORDER.findIndex((x) => p.includes(x))
    return i < 0 ? POSITION_ORDER.length : i
  }
  return [...s.items].sort((a, b) => rank(a.position) - rank(b.position) || a.position.localeCompare(b.position) || a.object_id - b.object_id)
}
