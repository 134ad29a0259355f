/**
 * Pick items to lock into or exclude from the suit, searching the chosen owners' items.
 */
import { useState } from 'react'
import { api } from '../../api/client'
import type { Item } from '../../api/types'
import { useAsync, useDebounced } from '../../components/hooks'
import { ErrorBox } from '../../components/States'

/** Results shown per search in the picker. */
const PICKER_LIMIT = 20

export interface PickedItem {
  object_id: number
  owner: string
  name: string
}

export function ItemPicker({
  owners,
  locked,
  excluded,
  onLock,
  onExclude,
}: {
  owners: string[]
  locked: readonly PickedItem[]
  excluded: readonly PickedItem[]
  onLock: (i: PickedItem) => void
  onExclude: (i: PickedItem) => void
}) {
  const [q, setQ] = useState('')
  const query = useDebounced(q.trim(), 250)
  const res = useAsync(
    async (s) => (query.length < 2 || owners.length === 0 ? null : api.searchItems({ q: query, owner: owners, limit: PICKER_LIMIT }, s)),
    [query, owners.join('\u0000')],
  )
  const isLocked = (i: Item) => locked.some((x) => x.object_id === i.object_id)
  const isExcluded = (i: Item) => excluded.some((x) => x.object_id === i.object_id)
  return (
    <div className="picker">
      <label>
        Find an item to lock or exclude
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder={owners.length ? 'at least 2 letters…' : 'choose a character first'} disabled={owners.length === 0} />
      </label>
      {res.error ? <ErrorBox error={res.error} onRetry={res.reload} /> : null}
      {res.data && res.data.items.length === 0 && <p className="muted small">No item matches.</p>}
      {res.data && res.data.items.length > 0 && (
        <ul className="picker-list">
          {res.data.items.map((i) => (
            <li key={`${i.owner}/${i.object_id}`}>
              <span>
                {i.name} <span className="muted small">({i.owner})</span>
              </span>
              <span className="btn-row">
                <button type="button" disabled={isLocked(i)} onClick={() => onLock({ object_id: i.object_id, owner: i.owner, name: i.name })}>
                  Lock
                </button>
                <button type="button" disabled={isExcluded(i)} onClick={() => onExclude({ object_id: i.object_id, owner: i.owner, name: i.name })}>
                  Exclude
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}
