/**
 * Health / stamina / mana bars with text values, readable without colour.
 */
import type { Vitals } from '../api/types'
import { formatInt } from '../lib/format'

function Bar({ label, cur, max, kind }: { label: string; cur: number | null | undefined; max: number | null | undefined; kind: string }) {
  const ok = typeof cur === 'number' && typeof max === 'number' && max > 0
  const pct = ok ? Math.max(0, Math.min(100, (cur / max) * 100)) : 0
  return (
    <div className={`vbar vbar-${kind}`} title={`${label} ${formatInt(cur)} / ${formatInt(max)}`}>
      <div
        className="vbar-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={ok ? max : 0}
        aria-valuenow={ok ? cur : 0}
        aria-valuetext={ok ? `${formatInt(cur)} of ${formatInt(max)}` : 'unknown'}
      >
        <div className="vbar-fill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  )
}

export function VitalsBars({ vitals, compact }: { vitals: Vitals | null | undefined; compact?: boolean }) {
  if (!vitals) return <span className="muted">{compact ? '—' : 'No vitals reported yet.'}</span>
  return (
    <div className={compact ? 'vitals vitals-compact' : 'vitals'}>
      <Bar label="Health" kind="health" cur={vitals.health} max={vitals.health_max} />
      <Bar label="Stamina" kind="stamina" cur={vitals.stamina} max={vitals.stamina_max} />
      <Bar label="Mana" kind="mana" cur={vitals.mana} max={vitals.mana_max} />
      {!compact && (
        <div className="vitals-text muted">
          H {formatInt(vitals.health)}/{formatInt(vitals.health_max)} · S {formatInt(vitals.stamina)}/{formatInt(vitals.stamina_max)} · M{' '}
          {formatInt(vitals.mana)}/{formatInt(vitals.mana_max)}
          {typeof vitals.vitae === 'number' && vitals.vitae < 1 ? ` · vitae ${Math.round(vitals.vitae * 100)}%` : ''}
        </div>
      )}
    </div>
  )
}
