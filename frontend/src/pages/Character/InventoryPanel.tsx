/**
 * The character's items (GET /api/characters/{name}/inventory), filterable by location and
 * name, with an item detail on click.
 */
import { locationLabel } from '../../lib/itemNames'
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import { ItemDetail } from '../../components/ItemDetail'
import { useAsync } from '../../components/hooks'
import { Link } from '../../components/Router'
import { AsyncView } from '../../components/States'
import { formatInt } from '../../lib/format'
import { withQuery } from '../../lib/routes'
import { matchesFilter, sortBy } from '../../lib/sort'

const LOCATIONS = [
  { id: '', label: 'All' },
  { id: 'equipped', label: 'Equipped' },
  { id: 'main_pack', label: 'Main pack' },
  { id: 'side_pack', label: 'Side packs' },
]

/** Rows drawn at once; the filter narrows further. */
const MAX_ROWS = 400

export function InventoryPanel({ name }: { name: string }) {
  const [location, setLocation] = useState('')
  const [filter, setFilter] = useState('')
  const [open, setOpen] = useState<number | null>(null)
  const inv = useAsync((s) => api.inventory(name, location || undefined, s), [name, location])
  const rows = useMemo(() => {
    const items = inv.data?.items ?? []
    const f = filter.trim() ? items.filter((i) => matchesFilter(`${i.name} ${(i.cantrips ?? []).join(' ')} ${i.set_name ?? ''}`, filter)) : items
    return sortBy(f, (i) => i.name, 'asc')
  }, [inv.data, filter])

  return (
    <div>
      <div className="toolbar">
        <div className="seg" role="radiogroup" aria-label="Location">
          {LOCATIONS.map((l) => (
            <button key={l.id} type="button" role="radio" aria-checked={location === l.id} className={location === l.id ? 'on' : ''} onClick={() => setLocation(l.id)}>
              {l.label}
            </button>
          ))}
        </div>
        <label>
          Filter <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <Link to={withQuery('/items', { owner: name })}>Search these items</Link>
      </div>
      <AsyncView state={inv} isEmpty={(d) => d.items.length === 0} empty="No items stored for this character (the plugin sends a dump at login)." loadingLabel="Loading inventory…">
        {() => (
          <div>
            <div className="table-wrap scroll-y">
              <table className="table compact">
                <caption className="sr-only">Items</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Where</th>
                    <th scope="col" className="num">
                      AL
                    </th>
                    <th scope="col">Set</th>
                    <th scope="col">Cantrips</th>
                    <th scope="col" className="num">
                      Burden
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.slice(0, MAX_ROWS).map((i) => (
                    <tr key={i.object_id} className={open === i.object_id ? 'selected' : undefined}>
                      <th scope="row">
                        <button type="button" className="link-btn" onClick={() => setOpen(i.object_id)}>
                          {i.name}
                        </button>
                      </th>
                      <td>{locationLabel(i.location)}</td>
                      <td className="num">{formatInt(i.armor_level)}</td>
                      <td>{i.set_name ?? ''}</td>
                      <td className="small">{(i.cantrips ?? []).join(', ')}</td>
                      <td className="num">{formatInt(i.burden)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {rows.length > MAX_ROWS && <p className="muted small">Showing {MAX_ROWS} of {rows.length}; filter to narrow.</p>}
            </div>
            {open !== null && <ItemDetail owner={name} objectId={open} onClose={() => setOpen(null)} />}
          </div>
        )}
      </AsyncView>
    </div>
  )
}
