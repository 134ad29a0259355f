/**
 * Items: search every character's items as you type (debounced), narrow with facets and
 * filters, sort, page, and open an item's full detail (GET /api/items/search, /items/{owner}/{id}).
 */
import { useMemo, useState } from 'react'
import { api } from '../../api/client'
import type { FacetName } from '../../api/types'
import { ItemDetail } from '../../components/ItemDetail'
import { useAsync, useDebounced, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { useSearchParams } from '../../components/Router'
import { Empty, ErrorBox, Loading } from '../../components/States'
import { formatInt } from '../../lib/format'
import { DISJUNCTIVE_FACETS, EMPTY_FILTERS, facetActive, facetValues, filtersToParams, GEAR_RATINGS, ITEM_SORTS, ratingLabel, ratingsText, toggle, wieldLevel, withoutFacet, type ItemFilters, type Tri } from '../../lib/items'
import { equipSlotsText, positionLabel } from '../../lib/itemNames'

/** Results per page. */
const PAGE_SIZE = 50
/** Typing pause before a search is sent. */
const SEARCH_DEBOUNCE_MS = 250
/** Facet values listed per group. */
const FACET_SHOWN = 12

const FACET_LABELS: Record<FacetName, string> = {
  owner: 'Owner',
  object_class: 'Kind',
  slot: 'Slot',
  set: 'Set',
  cantrip: 'Cantrip',
}

function numOrNull(s: string): number | null {
  if (s.trim() === '') return null
  const n = Number(s)
  return Number.isFinite(n) ? n : null
}

export default function ItemsPage() {
  useTitle('Items')
  const params = useSearchParams()
  const [filters, setFilters] = useState<ItemFilters>(() => ({
    ...EMPTY_FILTERS,
    q: params.get('q') ?? '',
    owners: params.getAll('owner'),
  }))
  const [open, setOpen] = useState<{ owner: string; id: number } | null>(null)
  const q = useDebounced(filters.q, SEARCH_DEBOUNCE_MS)
  const effective = useMemo(() => ({ ...filters, q }), [filters, q])
  const key = JSON.stringify(effective)

  // The page offset belongs to one filter set: any filter change goes back to the first page.
  const [paging, setPaging] = useState({ key, offset: 0 })
  const offset = paging.key === key ? paging.offset : 0
  const setOffset = (o: number) => setPaging({ key, offset: o })

  const search = useAsync((s) => api.searchItems(filtersToParams(effective, { limit: PAGE_SIZE, offset }), s), [key, offset])
  const stats = useAsync((s) => api.itemStats(s), [])
  const set = <K extends keyof ItemFilters>(k: K, v: ItemFilters[K]) => setFilters((f) => ({ ...f, [k]: v }))
  const data = search.data
  // Disjunctive facets: for each group with a selection, its counts come from the same
  // search without that group's own filter, so the other values stay listed with counts.
  const activeGroups = DISJUNCTIVE_FACETS.filter((g) => facetActive(effective, g))
  const others = useAsync(
    async (s) => {
      const out: Partial<Record<FacetName, Record<string, number>>> = {}
      await Promise.all(
        activeGroups.map(async (g) => {
          const p = filtersToParams(withoutFacet(effective, g), { limit: 1, offset: 0 })
          const r = await api.searchItems({ ...p, facets: [g] }, s)
          out[g] = r.facets?.[g] ?? {}
        }),
      )
      return out
    },
    [key],
  )
  const facets = { ...(data?.facets ?? {}), ...(others.data ?? {}) }
  const [filtersOpen, setFiltersOpen] = useState(false)

  const selectedOf = (name: FacetName): string[] => {
    switch (name) {
      case 'owner':
        return filters.owners
      case 'slot':
        return filters.slots
      case 'cantrip':
        return filters.cantrips
      case 'set':
        return filters.set ? [filters.set] : []
      case 'object_class':
        return filters.objectClass ? [filters.objectClass] : []
    }
  }
  const facetChecked = (name: FacetName, value: string): boolean => {
    switch (name) {
      case 'owner':
        return filters.owners.includes(value)
      case 'slot':
        return filters.slots.includes(value)
      case 'cantrip':
        return filters.cantrips.includes(value)
      case 'set':
        return filters.set === value
      case 'object_class':
        return filters.objectClass === value
    }
  }
  const facetToggle = (name: FacetName, value: string) => {
    switch (name) {
      case 'owner':
        return set('owners', toggle(filters.owners, value))
      case 'slot':
        return set('slots', toggle(filters.slots, value))
      case 'cantrip':
        return set('cantrips', toggle(filters.cantrips, value))
      case 'set':
        return set('set', filters.set === value ? null : value)
      case 'object_class':
        return set('objectClass', filters.objectClass === value ? null : value)
    }
  }

  const active = JSON.stringify({ ...filters, q: '' }) !== JSON.stringify({ ...EMPTY_FILTERS, q: '' })

  return (
    <div>
      <PageHeader
        title="Items"
        sub={stats.data ? `${formatInt(stats.data.items_total)} items across ${Object.keys(stats.data.by_owner).length} characters` : 'Search every character and mule'}
      />
      <div className="search-bar">
        <label className="grow">
          <span className="sr-only">Search items</span>
          <input
            type="search"
            value={filters.q}
            onChange={(e) => set('q', e.target.value)}
            placeholder="Name or spell: “major strength”"
            autoFocus
            data-testid="item-search"
            aria-describedby="search-status"
          />
        </label>
        <label>
          Sort
          <select value={filters.sort} onChange={(e) => set('sort', e.target.value)}>
            {ITEM_SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div id="search-status" className="muted small" role="status" aria-live="polite">
        {search.loading ? 'Searching…' : data ? `${formatInt(data.total)} results${typeof data.took_ms === 'number' ? ` in ${data.took_ms.toFixed(1)} ms` : ''}` : ''}
      </div>

      <button
        type="button"
        className="filters-toggle"
        aria-expanded={filtersOpen}
        aria-controls="item-filters"
        onClick={() => setFiltersOpen((o) => !o)}
        data-testid="filters-toggle"
      >
        {filtersOpen ? 'Hide filters' : 'Show filters'}
        {active ? ' (active)' : ''}
      </button>
      <div className={`items-layout${filtersOpen ? ' filters-open' : ''}`}>
        <aside className="facets" id="item-filters" aria-label="Filters" data-testid="facets">
          <fieldset className="filters">
            <legend>Filters</legend>
            <label>
              Min armor level
              <input type="number" inputMode="numeric" min={0} value={filters.minArmorLevel ?? ''} onChange={(e) => set('minArmorLevel', numOrNull(e.target.value))} />
            </label>
            <label>
              Max wield level
              <input type="number" inputMode="numeric" min={0} value={filters.maxWieldLevel ?? ''} onChange={(e) => set('maxWieldLevel', numOrNull(e.target.value))} />
            </label>
            <label>
              Equipped
              <select value={filters.equipped} onChange={(e) => set('equipped', e.target.value as Tri)}>
                <option value="any">any</option>
                <option value="yes">worn</option>
                <option value="no">not worn</option>
              </select>
            </label>
            <div className="pair">
              <label>
                Rating
                <select value={filters.rating ?? ''} onChange={(e) => set('rating', e.target.value || null)}>
                  <option value="">none</option>
                  {GEAR_RATINGS.map((r) => (
                    <option key={r} value={r}>
                      {ratingLabel(r)}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                at least
                <input type="number" min={0} value={filters.minRating ?? ''} onChange={(e) => set('minRating', numOrNull(e.target.value))} disabled={!filters.rating} />
              </label>
            </div>
            {active && (
              <button type="button" className="link-btn" onClick={() => setFilters({ ...EMPTY_FILTERS, q: filters.q })}>
                Clear filters
              </button>
            )}
          </fieldset>
          {(Object.keys(FACET_LABELS) as FacetName[]).map((name) => {
            const values = facetValues(facets[name], selectedOf(name), FACET_SHOWN)
            if (values.length === 0) return null
            return (
              <fieldset key={name} className="facet" data-testid={`facet-${name}`}>
                <legend>{FACET_LABELS[name]}</legend>
                {values.map(([value, count]) => (
                  <label key={value} className="check">
                    <input type="checkbox" checked={facetChecked(name, value)} onChange={() => facetToggle(name, value)} />
                    <span className="facet-value" title={value}>
                      {name === 'slot' ? positionLabel(value) : value}
                    </span>
                    <span className="muted small">{formatInt(count)}</span>
                  </label>
                ))}
              </fieldset>
            )
          })}
        </aside>

        <section className="results" aria-label="Results">
          {search.error ? <ErrorBox error={search.error} onRetry={search.reload} title="Search failed" /> : null}
          {!data && !search.error ? (
            <Loading label="Searching…" />
          ) : data && data.items.length === 0 ? (
            <Empty>{filters.q || active ? 'No item matches. Try fewer words or filters.' : 'No items stored yet. They arrive with the plugin’s inventory dump at login.'}</Empty>
          ) : data ? (
            <>
              <div className="table-wrap">
                <table className="table compact" data-testid="item-results">
                  <thead>
                    <tr>
                      <th scope="col">Item</th>
                      <th scope="col">Owner</th>
                      <th scope="col">Slots</th>
                      <th scope="col" className="num">
                        AL
                      </th>
                      <th scope="col">Set</th>
                      <th scope="col">Cantrips</th>
                      <th scope="col">Ratings</th>
                      <th scope="col" className="num">
                        Lvl
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.items.map((i) => {
                      const selected = open?.owner === i.owner && open.id === i.object_id
                      return (
                        <tr key={`${i.owner}/${i.object_id}`} className={selected ? 'selected' : undefined}>
                          <th scope="row">
                            <button type="button" className="link-btn" onClick={() => setOpen({ owner: i.owner, id: i.object_id })} aria-pressed={selected}>
                              {i.name}
                            </button>
                            {i.has_id_data === false && <span className="pill pill-warn small">unappraised</span>}
                            {i.location === 'equipped' && <span className="pill small">worn</span>}
                          </th>
                          <td>{i.owner}</td>
                          <td className="small">{equipSlotsText(i.slots ?? [])}</td>
                          <td className="num">{formatInt(i.armor_level)}</td>
                          <td>{i.set_name ?? ''}</td>
                          <td className="small">{(i.cantrips ?? []).join(', ')}</td>
                          <td className="small">{ratingsText(i)}</td>
                          <td className="num">{formatInt(wieldLevel(i))}</td>
                        </tr>
                      )
                    })}
                  </tbody>
                </table>
              </div>
              <nav className="pager" aria-label="Pages">
                <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                  ← Previous
                </button>
                <span>
                  {formatInt(offset + 1)}–{formatInt(Math.min(offset + PAGE_SIZE, data.total))} of {formatInt(data.total)}
                </span>
                <button type="button" disabled={offset + PAGE_SIZE >= data.total} onClick={() => setOffset(offset + PAGE_SIZE)}>
                  Next →
                </button>
              </nav>
            </>
          ) : null}
        </section>
        {open && <ItemDetail key={`${open.owner}/${open.id}`} owner={open.owner} objectId={open.id} onClose={() => setOpen(null)} />}
      </div>
    </div>
  )
}
