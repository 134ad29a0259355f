/**
 * One character: live vitals and position, session counters, history charts, combat stats,
 * quests with ready times, cantrips, inventory, and a command box that shows the ack.
 *
 * Data: GET /api/characters/{name} (stored state), the app-wide live store (telemetry,
 * vitals) and this page's own socket for the heavy per-character topics.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'
import { api, ApiError } from '../../api/client'
import type { Telemetry, Vitals } from '../../api/types'
import { useAsync, useInterval, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { DungeonMap } from '../../components/DungeonMap'
import { ErrorBox, Loading } from '../../components/States'
import { VitalsBars } from '../../components/VitalsBar'
import { useLiveCharacter } from '../../live/LiveProvider'
import { keyOf } from '../../live/store'
import { cantripSummaryOf, enchantmentsOf, lifetimeOf, questsOf } from '../../lib/characterDetail'
import { lifetimeDeaths, sessionFigures } from '../../lib/figures'
import { formatCoords, formatLandcell, parseLandcell } from '../../lib/coords'
import { compassPoint, formatCompact, formatDecimal, formatDuration, formatInt, formatRelative } from '../../lib/format'
import { withQuery } from '../../lib/routes'
import { nearestTown } from '../../lib/towns'
import { CharacterCharts } from './CharacterCharts'
import { CommandBox } from './CommandBox'
import { InventoryPanel } from './InventoryPanel'
import { CantripsPanel, CombatPanel, NearbyPanel, QuestsPanel, SessionCard, StatsPanel } from './Panels'
import { useCharacterSocket } from './useCharacterSocket'

/** Stored state is re-read this often; live topics update in between. */
const DETAIL_REFRESH_MS = 30_000

const TABS = [
  { id: 'sheet', label: 'Character sheet' },
  { id: 'combat', label: 'Combat' },
  { id: 'quests', label: 'Quests' },
  { id: 'cantrips', label: 'Cantrips' },
  { id: 'inventory', label: 'Inventory' },
  { id: 'nearby', label: 'Nearby' },
] as const
type TabId = (typeof TABS)[number]['id']

function defined<T extends object>(...parts: (T | null | undefined)[]): T {
  const out = {} as T
  for (const p of parts) {
    if (!p) continue
    for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v
  }
  return out
}

export default function CharacterPage({ name }: { name: string }) {
  useTitle(name)
  const now = useNow(1_000)
  const detail = useAsync((s) => api.character(name, s), [name])
  useInterval(detail.reload, DETAIL_REFRESH_MS)
  const liveChar = useLiveCharacter(keyOf(name))
  const sock = useCharacterSocket(name)
  const [tab, setTab] = useState<TabId>('sheet')

  const notFound = detail.error instanceof ApiError && detail.error.status === 404
  const d = detail.data
  const telemetry: Telemetry = useMemo(() => defined<Telemetry>(d?.telemetry, liveChar?.telemetry, sock.telemetry), [d?.telemetry, liveChar?.telemetry, sock.telemetry])
  const vitals: Vitals | null = useMemo(() => {
    const v = defined<Vitals>(d?.vitals, liveChar?.vitals, sock.vitals)
    return Object.keys(v).length > 0 ? v : null
  }, [d?.vitals, liveChar?.vitals, sock.vitals])
  const online = sock.online ?? liveChar?.online ?? d?.online ?? false
  const lastSeen = liveChar?.lastSeenMs ?? d?.last_seen_ms ?? null
  const session = defined(d?.session, liveChar?.session)
  const figures = sessionFigures({ session, telemetry })
  const stats = sock.characterStats ?? d?.character_stats ?? null
  const combat = sock.combatStats ?? d?.combat_stats ?? null
  const quests = sock.quests?.quests ?? questsOf(d)
  const enchantments = sock.cantrips?.enchantments ?? enchantmentsOf(d)
  const cantripSummary = sock.cantrips?.summary ?? cantripSummaryOf(d)
  const lifetime = lifetimeOf(d)
  const displayName = d?.character_name ?? liveChar?.name ?? name
  const pos = liveChar?.lastOutdoor ?? (typeof telemetry.ew === 'number' && typeof telemetry.ns === 'number' && !telemetry.is_dungeon ? { ew: telemetry.ew, ns: telemetry.ns } : null)
  const town = pos ? nearestTown(pos) : null
  const tapers = telemetry.prismatic_taper_count

  // In a dungeon, ask once per landblock for its floor plan (the server answers from its
  // cache or asks the plugin).
  const landblock = typeof telemetry.landcell === 'number' ? telemetry.landcell >>> 16 : null
  const mapLandblock = sock.dungeonMap ? parseLandcell(sock.dungeonMap.landblock) : null
  const asked = useRef<number | null>(null)
  const inDungeon = telemetry.is_dungeon === true
  const sockOpen = sock.status.state === 'open'
  const { requestDungeonMap } = sock
  useEffect(() => {
    if (!inDungeon || !online || !sockOpen || landblock === null || landblock === mapLandblock || asked.current === landblock) return
    if (requestDungeonMap()) asked.current = landblock
  }, [inDungeon, online, sockOpen, landblock, mapLandblock, requestDungeonMap])
  const dungeonPos =
    typeof telemetry.local_x === 'number' && typeof telemetry.local_y === 'number' ? { x: telemetry.local_x, y: telemetry.local_y, z: telemetry.z } : null

  // While nothing is known yet the header already shows the name from the URL, so the page's
  // largest text paints with the page chunk rather than after the first API answer.
  if (detail.loading && d === undefined && !liveChar)
    return (
      <div className="character-page">
        <PageHeader title={name} sub="loading stored data and live state…" />
        <Loading label={`Loading ${name}…`} />
      </div>
    )

  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === tab)
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const n = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length]
      if (n) {
        setTab(n.id)
        document.getElementById(`tab-${n.id}`)?.focus()
      }
      e.preventDefault()
    }
  }

  return (
    <div className="character-page">
      <PageHeader
        title={displayName}
        sub={
          <>
            <span className={`pill ${online ? 'pill-on' : 'pill-off'}`} data-testid="character-online">
              {online ? 'online' : 'offline'}
            </span>{' '}
            {typeof telemetry.level === 'number' && <>level {telemetry.level} · </>}
            {telemetry.vt_state && <>VTank: {telemetry.vt_state} · </>}
            last seen {formatRelative(lastSeen, now)}
          </>
        }
      >
        <Link to={withQuery('/map', { character: displayName })}>Show on map</Link>
      </PageHeader>

      {notFound && !liveChar && (
        <div className="banner" role="note">
          {name} has no stored data yet. The page fills in once the character&apos;s plugin sends telemetry.
        </div>
      )}
      {detail.error && !notFound ? <ErrorBox error={detail.error} onRetry={detail.reload} title="Stored data could not be loaded" /> : null}

      <div className="grid-3">
        <section className="card" aria-labelledby="vitals-title">
          <h2 id="vitals-title">Vitals</h2>
          <VitalsBars vitals={vitals} />
        </section>
        <section className="card" aria-labelledby="pos-title">
          <h2 id="pos-title">Position</h2>
          {pos ? (
            <>
              <div className="big mono" data-testid="character-coords">
                {formatCoords(pos)}
              </div>
              <div className="muted small">
                {telemetry.is_dungeon ? 'in a dungeon (last outdoor fix shown) · ' : ''}
                heading {typeof telemetry.heading === 'number' ? `${Math.round(telemetry.heading)}° ${compassPoint(telemetry.heading)}` : '—'}
                {typeof telemetry.landcell === 'number' ? ` · ${formatLandcell(telemetry.landcell)}` : ''}
                {town && town.distance < 5 ? ` · near ${town.town.name}` : ''}
              </div>
            </>
          ) : (
            <p className="muted">{telemetry.is_dungeon ? 'In a dungeon; no outdoor fix yet.' : 'No position yet.'}</p>
          )}
          {inDungeon && sock.dungeonMap && landblock === mapLandblock && <DungeonMap map={sock.dungeonMap} position={dungeonPos} />}
          {inDungeon && !(sock.dungeonMap && landblock === mapLandblock) && <p className="muted small">Waiting for the dungeon map…</p>}
        </section>
        <SessionCard figures={figures} tapers={tapers} />
      </div>

      {(Object.keys(lifetime).length > 0 || typeof telemetry.total_deaths === 'number') && (
        <section className="card" aria-labelledby="life-title">
          <h2 id="life-title">Lifetime</h2>
          <dl className="kv kv-inline" data-testid="lifetime">
            <div>
              <dt>Kills</dt>
              <dd>{formatInt(lifetime.kills)}</dd>
            </div>
            <div>
              <dt>Deaths</dt>
              <dd data-testid="lifetime-deaths">{formatInt(lifetimeDeaths(telemetry, lifetime, stats))}</dd>
            </div>
            <div>
              <dt>XP earned</dt>
              <dd>{formatCompact(lifetime.xp)}</dd>
            </div>
            <div>
              <dt>Rares</dt>
              <dd>{formatInt(lifetime.rares)}</dd>
            </div>
            <div>
              <dt>Distance</dt>
              <dd>{typeof lifetime.distance_m === 'number' ? `${formatDecimal(lifetime.distance_m / 1000)} km` : '—'}</dd>
            </div>
            <div>
              <dt>Time online</dt>
              <dd>{formatDuration(lifetime.online_s)}</dd>
            </div>
          </dl>
        </section>
      )}

      <CommandBox name={displayName} live={sock} />
      <CharacterCharts name={displayName} sessionSeconds={figures.sessionSeconds} firstSeenMs={d?.lifetime?.first_seen_ms} />

      <section className="card">
        <div role="tablist" aria-label="Character details" className="tabs" onKeyDown={onTabKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className={tab === t.id ? 'on' : ''}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
          {tab === 'sheet' && <StatsPanel stats={stats} lifetimeDeaths={lifetimeDeaths(telemetry, lifetime, stats)} />}
          {tab === 'combat' && <CombatPanel stats={combat} figures={figures} />}
          {tab === 'quests' && <QuestsPanel quests={quests} now={now} />}
          {tab === 'cantrips' && <CantripsPanel enchantments={enchantments} summary={cantripSummary} />}
          {tab === 'inventory' && <InventoryPanel name={displayName} />}
          {tab === 'nearby' && <NearbyPanel objects={sock.nearby?.objects ?? d?.nearby_objects?.objects ?? []} />}
        </div>
      </section>
    </div>
  )
}
