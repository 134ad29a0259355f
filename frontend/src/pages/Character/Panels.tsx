/**
 * Read-only panels of the character page: combat stats, quests, cantrips, character sheet,
 * nearby objects.
 */
import { useMemo, useState } from 'react'
import type { CharacterStats, CombatSide, CombatStats, Enchantment, Quest } from '../../api/types'
import type { NearbyObject } from '../../live/messages'
import { Empty } from '../../components/States'
import { LOW_TAPER_COUNT, questCapped, questReadyAt, sortQuests } from '../../lib/characterDetail'
import type { SessionFigures } from '../../lib/figures'
import { formatCompact, formatDateTime, formatDecimal, formatDuration, formatInt, formatPercent, formatRelative } from '../../lib/format'
import { compareCantrips, parseCantrip } from '../../lib/spells'
import { matchesFilter } from '../../lib/sort'

function pct(part: number | null | undefined, whole: number | null | undefined): string {
  return typeof part === 'number' && typeof whole === 'number' && whole > 0 ? formatPercent(part / whole) : '—'
}

function SideRows({ label, side }: { label: string; side: CombatSide | null | undefined }) {
  const hits = typeof side?.attacks === 'number' && typeof side.failed === 'number' ? side.attacks - side.failed : null
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num">{formatInt(side?.attacks)}</td>
      <td className="num">{pct(side?.failed, side?.attacks)}</td>
      <td className="num">{pct(side?.crits, hits)}</td>
      <td className="num">{formatInt(side?.damage)}</td>
      <td className="num">{formatInt(side?.max_hit)}</td>
    </tr>
  )
}

/**
 * Combat tab. Its session line shows the same figures as the Session card (`figures`, from
 * lib/figures); the attack table is the plugin's last combat snapshot, whose own kill count
 * and session time lag the live ones by up to a minute and are therefore not shown.
 */
export function CombatPanel({ stats, figures }: { stats: CombatStats | null | undefined; figures: SessionFigures }) {
  const sessionLine = (
    <p className="small" data-testid="combat-session">
      This session: <span data-figure="kills">{formatInt(figures.kills)}</span> kills in <span data-figure="session-time">{formatDuration(figures.sessionSeconds)}</span> (
      <span data-figure="kills-per-hour">{formatDecimal(figures.killsPerHour)}</span> kills/h, <span data-figure="xp-per-hour">{formatCompact(figures.xpPerHour)}</span> XP/h,{' '}
      <span data-figure="deaths">{formatInt(figures.deaths)}</span> deaths).
    </p>
  )
  if (!stats)
    return (
      <div>
        {sessionLine}
        <Empty>No attack statistics yet (the plugin sends them once a minute while fighting).</Empty>
      </div>
    )
  const elements = new Set([...Object.keys(stats.given?.by_element ?? {}), ...Object.keys(stats.received?.by_element ?? {})])
  return (
    <div>
      {sessionLine}
      <p className="muted small" data-testid="combat-as-of">
        Attacks and damage below are from the plugin&apos;s last combat snapshot (sent once a minute while fighting){typeof stats.received_at === 'number' ? `, received ${formatDateTime(stats.received_at)}` : ''}.
      </p>
      <div className="table-wrap">
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col" />
              <th scope="col" className="num">
                Attacks
              </th>
              <th scope="col" className="num">
                Evaded/resisted
              </th>
              <th scope="col" className="num">
                Crit rate
              </th>
              <th scope="col" className="num">
                Damage
              </th>
              <th scope="col" className="num">
                Max hit
              </th>
            </tr>
          </thead>
          <tbody>
            <SideRows label="Given" side={stats.given} />
            <SideRows label="Received" side={stats.received} />
          </tbody>
        </table>
      </div>
      {elements.size > 0 && (
        <div className="table-wrap">
          <table className="table compact">
            <caption>Damage by element</caption>
            <thead>
              <tr>
                <th scope="col">Element</th>
                <th scope="col" className="num">
                  Given
                </th>
                <th scope="col" className="num">
                  Received
                </th>
              </tr>
            </thead>
            <tbody>
              {[...elements].sort().map((e) => (
                <tr key={e}>
                  <th scope="row">{e}</th>
                  <td className="num">{formatInt(stats.given?.by_element?.[e])}</td>
                  <td className="num">{formatInt(stats.received?.by_element?.[e])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {stats.top_targets && stats.top_targets.length > 0 && (
        <div className="table-wrap">
          <table className="table compact">
            <caption>Top targets</caption>
            <thead>
              <tr>
                <th scope="col">Monster</th>
                <th scope="col" className="num">
                  Kills
                </th>
                <th scope="col" className="num">
                  Damage given
                </th>
              </tr>
            </thead>
            <tbody>
              {stats.top_targets.map((t) => (
                <tr key={t.name}>
                  <th scope="row">{t.name}</th>
                  <td className="num">{formatInt(t.kills)}</td>
                  <td className="num">{formatInt(t.damage_given)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

export function QuestsPanel({ quests, now }: { quests: readonly Quest[]; now: number }) {
  const [filter, setFilter] = useState('')
  const sorted = useMemo(
    () => sortQuests(quests, now).filter((q) => !filter || matchesFilter(`${q.name} ${q.description ?? ''}`, filter)),
    [quests, now, filter],
  )
  if (quests.length === 0) return <Empty>No quest timers yet (the plugin reads /myquests at login and every few minutes).</Empty>
  return (
    <div>
      <label className="inline">
        Filter quests <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
      </label>
      <div className="table-wrap scroll-y">
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Quest</th>
              <th scope="col" className="num">
                Solves
              </th>
              <th scope="col">Ready</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((q) => {
              const ready = questReadyAt(q)
              const capped = questCapped(q)
              const isReady = !capped && ready !== null && ready <= now
              return (
                <tr key={q.name}>
                  <th scope="row" title={q.description ?? undefined}>
                    {q.name}
                    {q.description && <div className="muted small">{q.description}</div>}
                  </th>
                  <td className="num">
                    {formatInt(q.solves)}
                    {typeof q.max_solves === 'number' && q.max_solves > 0 ? ` / ${q.max_solves}` : ''}
                  </td>
                  <td>
                    {capped ? (
                      <span className="pill pill-off">done (cap)</span>
                    ) : ready === null ? (
                      '—'
                    ) : isReady ? (
                      <span className="pill pill-on">ready</span>
                    ) : (
                      <span title={formatDateTime(ready)}>{formatRelative(ready, now)}</span>
                    )}
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </div>
  )
}

export function CantripsPanel({ enchantments, summary }: { enchantments: readonly Enchantment[]; summary: Record<string, number> | null }) {
  if (enchantments.length === 0) return <Empty>No active enchantments reported yet.</Empty>
  const cantrips = enchantments.filter((e) => parseCantrip(e.name)).sort((a, b) => compareCantrips(a.name, b.name))
  const others = enchantments.filter((e) => !parseCantrip(e.name)).sort((a, b) => a.name.localeCompare(b.name))
  return (
    <div>
      {summary && (
        <p className="muted small">
          {Object.entries(summary)
            .map(([k, v]) => `${k} ${v}`)
            .join(' · ')}
        </p>
      )}
      <ul className="chips" aria-label="Cantrips">
        {cantrips.map((e) => {
          const c = parseCantrip(e.name)
          return (
            <li key={`${e.spell_id ?? ''}${e.name}`} className={`chip tier-${(c?.tier ?? '').toLowerCase()}`}>
              {e.name}
            </li>
          )
        })}
      </ul>
      {others.length > 0 && (
        <ul className="plain-list">
          {others.map((e) => (
            <li key={`${e.spell_id ?? ''}${e.name}`}>
              {e.name}{' '}
              <span className="muted small">
                {typeof e.remaining_s === 'number' && e.remaining_s >= 0 ? formatDuration(e.remaining_s) : 'while worn'}
                {e.source ? ` · ${e.source}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function titleCase(s: string): string {
  return s.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase())
}

export function StatsPanel({ stats, lifetimeDeaths }: { stats: CharacterStats | null | undefined; lifetimeDeaths: number | null }) {
  if (!stats) return <Empty>No character sheet yet (sent at login, level-up and every 10 minutes).</Empty>
  const burdenPct = typeof stats.burden === 'number' && typeof stats.burden_capacity === 'number' && stats.burden_capacity > 0 ? stats.burden / stats.burden_capacity : null
  return (
    <div className="stats-grid">
      <dl className="kv">
        <dt>Race / gender</dt>
        <dd>
          {stats.race ?? '—'} {stats.gender ?? ''}
        </dd>
        <dt>Server</dt>
        <dd>{stats.server ?? '—'}</dd>
        <dt>Total XP</dt>
        <dd>{formatInt(stats.total_xp)}</dd>
        <dt>Unassigned XP</dt>
        <dd>{formatInt(stats.unassigned_xp)}</dd>
        <dt>Luminance</dt>
        <dd>{stats.luminance_max ? `${formatInt(stats.luminance)} / ${formatInt(stats.luminance_max)}` : 'locked'}</dd>
        <dt>Burden</dt>
        <dd>
          {formatInt(stats.burden)} / {formatInt(stats.burden_capacity)} {burdenPct !== null ? `(${formatPercent(burdenPct)})` : ''}
        </dd>
        <dt>Pyreals</dt>
        <dd>{formatInt(stats.pyreals)}</dd>
        <dt>Deaths (lifetime)</dt>
        <dd data-testid="sheet-deaths">{formatInt(lifetimeDeaths)}</dd>
        <dt>Vitae</dt>
        <dd>{typeof stats.vitae === 'number' ? formatPercent(stats.vitae) : '—'}</dd>
        <dt>Augmentations</dt>
        <dd>{formatInt(stats.augmentations)}</dd>
        {stats.allegiance?.name && (
          <>
            <dt>Allegiance</dt>
            <dd>
              {stats.allegiance.name}
              {stats.allegiance.monarch ? `, monarch ${stats.allegiance.monarch}` : ''}
              {stats.allegiance.patron ? `, patron ${stats.allegiance.patron}` : ''}
            </dd>
          </>
        )}
      </dl>
      {stats.attributes && Object.keys(stats.attributes).length > 0 && (
        <table className="table compact">
          <caption>Attributes</caption>
          <tbody>
            {Object.entries(stats.attributes).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{titleCase(k)}</th>
                <td className="num">{formatInt(v.current)}</td>
                <td className="num muted">base {formatInt(v.base)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stats.ratings && Object.keys(stats.ratings).length > 0 && (
        <table className="table compact">
          <caption>Ratings</caption>
          <tbody>
            {Object.entries(stats.ratings).map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{titleCase(k)}</th>
                <td className="num">{formatInt(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {stats.skills && Object.keys(stats.skills).length > 0 && (
        <table className="table compact">
          <caption>Skills</caption>
          <tbody>
            {Object.entries(stats.skills)
              .sort((a, b) => (b[1].current ?? 0) - (a[1].current ?? 0))
              .map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{titleCase(k)}</th>
                  <td className="num">{formatInt(v.current)}</td>
                  <td className="muted small">{v.training ?? ''}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

export function NearbyPanel({ objects }: { objects: readonly NearbyObject[] }) {
  if (objects.length === 0) return <Empty>Nothing nearby reported (the radar list is optional in the plugin).</Empty>
  return (
    <div className="table-wrap scroll-y">
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Distance
            </th>
            <th scope="col" className="num">
              Health
            </th>
          </tr>
        </thead>
        <tbody>
          {[...objects]
            .sort((a, b) => (a.distance_m ?? 0) - (b.distance_m ?? 0))
            .map((o) => (
              <tr key={o.object_id}>
                <th scope="row">{o.name}</th>
                <td>{o.object_class ?? '—'}</td>
                <td className="num">{typeof o.distance_m === 'number' ? `${o.distance_m.toFixed(1)} m` : '—'}</td>
                <td className="num">{formatPercent(o.health_pct)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  )
}

/** The Session card: the live session figures (lib/figures) and the taper count. */
export function SessionCard({ figures, tapers }: { figures: SessionFigures; tapers: number | null | undefined }) {
  const low = typeof tapers === 'number' && tapers < LOW_TAPER_COUNT
  return (
    <section className="card" aria-labelledby="session-title">
      <h2 id="session-title">Session</h2>
      <dl className="kv kv-2" data-testid="session-card">
        <dt>Kills</dt>
        <dd data-figure="kills">{formatInt(figures.kills)}</dd>
        <dt>Kills/h</dt>
        <dd data-figure="kills-per-hour">{formatDecimal(figures.killsPerHour)}</dd>
        <dt>Deaths</dt>
        <dd data-figure="deaths">{formatInt(figures.deaths)}</dd>
        <dt>Rares</dt>
        <dd>{formatInt(figures.rares)}</dd>
        <dt>XP/h</dt>
        <dd data-figure="xp-per-hour">{formatCompact(figures.xpPerHour)}</dd>
        <dt>Time</dt>
        <dd data-figure="session-time">{formatDuration(figures.sessionSeconds)}</dd>
        <dt>Tapers</dt>
        <dd className={low ? 'warn' : undefined}>
          {formatInt(tapers)}
          {low ? ' (low)' : ''}
        </dd>
      </dl>
    </section>
  )
}
