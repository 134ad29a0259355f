/**
 * A sortable column header with aria-sort, used by every sortable table.
 */
import type { SortDir } from '../lib/sort'

export interface SortState<K extends string> {
  key: K
  dir: SortDir
}

export function SortHeader<K extends string>({
  label,
  sortKey,
  sort,
  onSort,
  numeric,
  defaultDir = 'desc',
}: {
  label: string
  sortKey: K
  sort: SortState<K>
  onSort: (s: SortState<K>) => void
  numeric?: boolean
  defaultDir?: SortDir
}) {
  const active = sort.key === sortKey
  const ariaSort = active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'
  return (
    <th scope="col" aria-sort={ariaSort} className={numeric ? 'num' : undefined}>
      <button
        type="button"
        className="sort-btn"
        onClick={() => onSort({ key: sortKey, dir: active ? (sort.dir === 'asc' ? 'desc' : 'asc') : defaultDir })}
      >
        {label}
        <span aria-hidden="true" className="sort-ind">
          {active ? (sort.dir === 'asc' ? '▲' : '▼') : ''}
        </span>
      </button>
    </th>
  )
}
