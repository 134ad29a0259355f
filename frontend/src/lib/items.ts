/**
 * Item helpers for display and filters (docs/protocol.md §5): wield level, gear ratings, search
 * state ↔ API parameters. Pure.
 */
import type { Item, ItemSearchParams } from '../api/types'

/** Gear ratings of the normalized item, in display order. */
export const GEAR_RATINGS = [
  'damage',
  'damage_resist',
  'crit',
  'crit_resist',
  'crit_damage',
  'crit_damage_resist',
  'heal_boost',
  'nether_resist',
  'life_resist',
  'vitality',
] as const

/** Display names of gear ratings. */
const RATING_NAMES: Record<string, string> = {
  damage: 'Damage',
  damage_resist: 'Damage resist',
  crit: 'Crit',
  crit_resist: 'Crit resist',
  crit_damage: 'Crit damage',
  crit_damage_resist: 'Crit damage resist',
  heal_boost: 'Heal boost',
  nether_resist: 'Nether resist',
  life_resist: 'Life resist',
  vitality: 'Vitality',
}

export function ratingLabel(key: string): string {
  return RATING_NAMES[key] ?? key.replace(/_/g, ' ')
}

/** Sort choices offered by the item search (docs/api.md `sort`). */
export const ITEM_SORTS: readonly { value: string; label: string }[] = [
  { value: 'relevance', label: 'Relevance' },
  { value: 'name:asc', label: 'Name A–Z' },
  { value: 'armor_level:desc', label: 'Armor level ↓' },
  { value: 'value:desc', label: 'Value ↓' },
  { value: 'burden:asc', label: 'Burden ↑' },
  { value: 'workmanship:desc', label: 'Workmanship ↓' },
  { value: 'wield_level:asc', label: 'Wield level ↑' },
  { value: 'crit_damage:desc', label: 'Crit damage ↓' },
  { value: 'damage:desc', label: 'Damage rating ↓' },
  { value: 'damage_resist:desc', label: 'Damage resist ↓' },
]

/** WieldRequirement type 7 (Level) value, or null. */
export function wieldLevel(item: Pick<Item, 'wield_requirements'>): number | null {
  const r = item.wield_requirements.find((w) => w.type === 7)
  return typeof r?.value === 'number' ? r.value : null
}

/** "Crit damage 2, Damage resist 1". */
export function ratingsText(item: Pick<Item, 'ratings'>): string {
  const r = item.ratings ?? {}
  return Object.entries(r)
    .filter(([, v]) => typeof v === 'number' && v !== 0)
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
    .join(', ')
}

export type Tri = 'any' | 'yes' | 'no'

/** Everything the Items page lets a user choose. */
export interface ItemFilters {
  q: string
  owners: string[]
  objectClass: string | null
  slots: string[]
  set: string | null
  cantrips: string[]
  minArmorLevel: number | null
  maxWieldLevel: number | null
  equipped: Tri
  rating: string | null
  minRating: number | null
  sort: string
}

export const EMPTY_FILTERS: ItemFilters = {
  q: '',
  owners: [],
  objectClass: null,
  slots: [],
  set: null,
  cantrips: [],
  minArmorLevel: null,
  maxWieldLevel: null,
  equipped: 'any',
  rating: null,
  minRating: null,
  sort: 'relevance',
}

export function filtersToParams(f: ItemFilters, page: { limit: number; offset: number }): ItemSearchParams {
  const p: ItemSearchParams = {
    q: f.q.trim() || undefined,
    owner: f.owners.length ? f.owners : undefined,
    object_class: f.objectClass ?? undefined,
    slot: f.slots.length ? f.slots : undefined,
    set: f.set ?? undefined,
    cantrip: f.cantrips.length ? f.cantrips : undefined,
    min_armor_level: f.minArmorLevel ?? undefined,
    max_wield_level: f.maxWieldLevel ?? undefined,
    equipped: f.equipped === 'any' ? undefined : f.equipped === 'yes',
    sort: f.sort,
    limit: page.limit,
    offset: page.offset,
    facets: ['owner', 'set', 'object_class', 'slot', 'cantrip'],
  }
  if (f.rating && f.minRating !== null) p.min_ratings = { [f.rating]: f.minRating }
  return p
}

/** Adds or removes a value from a multi-select list. */
export function toggle(list: readonly string[], value: string): string[] {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value]
}

/** Facet counts sorted by count, then name; at most `limit`. */
export function topFacet(counts: Record<string, number> | undefined, limit: number): [string, number][] {
  return Object.entries(counts ?? {})
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
}

/**
 * Facet groups whose values are alternatives (any of, or a single choice): their counts must
 * ignore the group's own selection, so ticking one owner keeps the other owners listed with
 * the counts they would add (disjunctive faceting). Cantrips are "all of": their counts come
 * from the current results, which is exactly what adding one more would leave.
 */
export const DISJUNCTIVE_FACETS = ['owner', 'slot', 'set', 'object_class'] as const
export type DisjunctiveFacet = (typeof DISJUNCTIVE_FACETS)[number]

/** The filters without one group's own selection. */
export function withoutFacet(f: ItemFilters, name: DisjunctiveFacet): ItemFilters {
  switch (name) {
    case 'owner':
      return { ...f, owners: [] }
    case 'slot':
      return { ...f, slots: [] }
    case 'set':
      return { ...f, set: null }
    case 'object_class':
      return { ...f, objectClass: null }
  }
}

/** Whether a group has a selection. */
export function facetActive(f: ItemFilters, name: DisjunctiveFacet): boolean {
  switch (name) {
    case 'owner':
      return f.owners.length > 0
    case 'slot':
      return f.slots.length > 0
    case 'set':
      return f.set !== null
    case 'object_class':
      return f.objectClass !== null
  }
}

/** Facet values to show: the top ones by count, plus every selected value (even at zero). */
export function facetValues(counts: Record<string, number> | undefined, selected: readonly string[], limit: number): [string, number][] {
  const top = topFacet(counts, limit)
  for (const s of selected) if (!top.some(([v]) => v === s)) top.push([s, counts?.[s] ?? 0])
  return top
}
