/**
 * One item, in full: GET /api/items/{owner}/{object_id} rendered as readable groups
 * (docs/protocol.md §5 normalized item), with the raw property maps folded away.
 */
import { equipSlotsText, locationLabel } from '../lib/itemNames'
import { useEffect, useRef, type ReactNode } from 'react'
import { api } from '../api/client'
import type { Item } from '../api/types'
import { formatInt, formatDateTime } from '../lib/format'
import { ratingLabel } from '../lib/items'
import { compareCantrips } from '../lib/spells'
import { useAsync } from './hooks'
import { AsyncView } from './States'

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  )
}

export function ItemFacts({ item }: { item: Item }) {
  const w = item.weapon
  return (
    <div className="item-detail" data-testid="item-detail">
      <h3>
        {item.name}
        {item.has_id_data === false && <span className="pill pill-warn">unappraised</span>}
        {typeof item.rare_id === 'number' && <span className="pill pill-rare">rare</span>}
      </h3>
      <dl className="kv">
        <Row label="Owner">{item.owner}</Row>
        <Row label="Where">{locationLabel(item.location)}</Row>
        <Row label="Class">{item.object_class?.name ?? item.object_class?.id ?? '—'}</Row>
        {item.slots && item.slots.length > 0 && <Row label="Slots">{equipSlotsText(item.slots)}</Row>}
        {item.coverage && item.coverage.length > 0 && <Row label="Covers">{item.coverage.join(', ')}</Row>}
        {typeof item.armor_level === 'number' && <Row label="Armor level">{formatInt(item.armor_level)}</Row>}
        {item.set_name && <Row label="Set">{item.set_name}</Row>}
        {item.material?.name && <Row label="Material">{item.material.name}</Row>}
        {typeof item.workmanship === 'number' && <Row label="Workmanship">{item.workmanship}</Row>}
        <Row label="Value">{formatInt(item.value)}</Row>
        <Row label="Burden">{formatInt(item.burden)}</Row>
        {typeof item.tinks === 'number' && <Row label="Tinks">{item.tinks}</Row>}
        {item.imbues && item.imbues.length > 0 && <Row label="Imbues">{item.imbues.join(', ')}</Row>}
        {typeof item.arcane_lore === 'number' && <Row label="Arcane lore">{item.arcane_lore}</Row>}
        {typeof item.spellcraft === 'number' && <Row label="Spellcraft">{item.spellcraft}</Row>}
        {item.mana && (
          <Row label="Mana">
            {formatInt(item.mana.current)} / {formatInt(item.mana.max)}
          </Row>
        )}
        {item.wield_requirements && item.wield_requirements.length > 0 && (
          <Row label="Wield">
            {item.wield_requirements.map((r, i) => (
              <div key={i}>
                {r.type_name ?? `type ${r.type}`} {r.skill_id !== 1 && r.skill_id !== undefined && r.skill_id !== null ? `#${r.skill_id} ` : ''}
                {formatInt(r.value)}
              </div>
            ))}
          </Row>
        )}
        {(item.attuned || item.bonded || item.retained) && (
          <Row label="Flags">{[item.attuned && 'attuned', item.bonded && 'bonded', item.retained && 'retained'].filter(Boolean).join(', ')}</Row>
        )}
        {typeof item.updated_at === 'number' && <Row label="Updated">{formatDateTime(item.updated_at)}</Row>}
      </dl>
      {item.ratings && Object.keys(item.ratings).length > 0 && (
        <div>
          <h4>Ratings</h4>
          <ul className="chips">
            {Object.entries(item.ratings).map(([k, v]) => (
              <li key={k} className="chip">
                {ratingLabel(k)} {v}
              </li>
            ))}
          </ul>
        </div>
      )}
      {item.cantrips && item.cantrips.length > 0 && (
        <div>
          <h4>Cantrips</h4>
          <ul className="chips">
            {[...item.cantrips].sort(compareCantrips).map((c) => (
              <li key={c} className={`chip tier-${c.split(' ')[0]?.toLowerCase() ?? ''}`}>
                {c}
              </li>
            ))}
          </ul>
        </div>
      )}
      {item.spells && item.spells.length > 0 && (
        <div>
          <h4>Spells</h4>
          <ul className="plain-list small">
            {item.spells.map((s) => (
              <li key={s.id}>{s.name ?? `spell ${s.id}`}</li>
            ))}
          </ul>
        </div>
      )}
      {item.armor_mods && (
        <div>
          <h4>Armor vs. elements</h4>
          <ul className="chips">
            {Object.entries(item.armor_mods).map(([k, v]) => (
              <li key={k} className="chip">
                {k} {v.toFixed(2)}
              </li>
            ))}
          </ul>
        </div>
      )}
      {w && (
        <div>
          <h4>Weapon</h4>
          <dl className="kv">
            {w.skill?.name && <Row label="Skill">{w.skill.name}</Row>}
            {typeof w.max_damage === 'number' && <Row label="Max damage">{w.max_damage}</Row>}
            {typeof w.variance === 'number' && <Row label="Variance">{w.variance}</Row>}
            {w.damage_types && <Row label="Damage types">{w.damage_types.join(', ')}</Row>}
            {typeof w.speed === 'number' && <Row label="Speed">{w.speed}</Row>}
            {typeof w.attack_bonus === 'number' && <Row label="Attack bonus">{w.attack_bonus}</Row>}
            {typeof w.melee_defense === 'number' && <Row label="Melee defense">{w.melee_defense}</Row>}
          </dl>
        </div>
      )}
      {item.raw && (
        <details>
          <summary>Raw properties</summary>
          <pre className="raw">{JSON.stringify(item.raw, null, 2)}</pre>
        </details>
      )}
    </div>
  )
}

/**
 * Loads and shows one item in a side drawer. Focus moves to its close button when it opens
 * and Escape closes it, so keyboard users are not left behind the table.
 */
export function ItemDetail({ owner, objectId, onClose }: { owner: string; objectId: number; onClose?: () => void }) {
  const state = useAsync((s) => api.item(owner, objectId, s), [owner, objectId])
  const closeBtn = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    closeBtn.current?.focus()
  }, [owner, objectId])
  useEffect(() => {
    if (!onClose) return
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <aside className="card item-panel" aria-label="Item detail">
      {onClose && (
        <button ref={closeBtn} type="button" className="close-btn" onClick={onClose} aria-label="Close item detail">
          ×
        </button>
      )}
      <AsyncView state={state} loadingLabel="Loading item…">
        {(item) => <ItemFacts item={item} />}
      </AsyncView>
    </aside>
  )
}
