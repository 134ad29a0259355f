/**
 * Table sorting and filtering helpers shared by list pages.
 *
 * Owns the comparison rules (numbers numerically, strings case-insensitively, missing values
 * last whatever the direction). Pure.
 */

export type SortDir = 'asc' | 'desc'
export type SortValue = string | number | boolean | null | undefined

export function compareValues(a: SortValue, b: SortValue, dir: SortDir): number {
  const aMissing = a === null || a === undefined || (typeof a === 'number' && Number.isNaN(a))
  const bMissing = b === null || b === undefined || (typeof b === 'number' && Number.isNaN(b))
  if (aMissing && bMissing) return 0
  if (aMissing) return 1
  if (bMissing) return -1
  let c: number
  if (typeof a === 'number' && typeof b === 'number') c = a - b
  else if (typeof a === 'boolean' && typeof b === 'boolean') c = Number(a) - Number(b)
  else c = String(a).localeCompare(String(b), 'en', { sensitivity: 'base', numeric: true })
  return dir === 'asc' ? c : -c
}

/** A stable sort by one key; ties keep their input order. */
export function sortBy<T>(rows: readonly T[], key: (row: T) => SortValue, dir: SortDir): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => compareValues(key(x.row), key(y.row), dir) || x.i - y.i)
    .map((x) => x.row)
}

/** Case-insensitive "every word appears somewhere" filter. */
export function matchesFilter(haystack: string, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean)
  const h = haystack.toLowerCase()
  return words.every((w) => h.includes(w))
}
