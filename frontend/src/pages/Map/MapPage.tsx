/**
 * Map page: every online character on the Dereth coordinate grid with name and heading,
 * trails for the last N minutes, click-through to the character, and a time scrub that
 * replays a past hour from stored trails.
 */
import { useEffect, useMemo, useState } from 'react'
import { api, isAbortError } from '../../api/client'
import type { ReplayHours, TrailResponse } from '../../api/types'
import { DerethMap, type MapMarker, type MapTrail } from '../../components/DerethMap'
import { useAsync, useInterval, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link, useRouter, useSearchParams } from '../../components/Router'
import { ErrorBox } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { keyOf, type CharacterState } from '../../live/store'
import { colorFor } from '../../lib/colors'
import { sessionFigures } from '../../lib/figures'
import { formatCoords, parseCoords, type MapPoint } from '../../lib/coords'
import { DEFAULT_BOUNDS, mapImageOf } from '../../lib/mapImage'
import { formatClock, formatDateTime, formatHour, formatRelative, parseLocalDateTime, timeZoneLabel } from '../../lib/format'
import { mapLimit } from '../../lib/pool'
import { characterPath } from '../../lib/routes'
import { startOfHour } from '../../lib/timeRange'
import { trailPolylines, type TrailFix } from '../../lib/trails'
import { REPLAY_WINDOW_MS, useReplay } from './useReplay'
import { MapImagePanel } from './MapImagePanel'
import { useAuth } from '../../components/Auth'

const TRAIL_CHOICES = [0, 5, 15, 30, 60]
/** Stored trails are re-read this often; live fixes fill in between. */
const TRAIL_REFRESH_MS = 60_000
/** Points per live trail request. */
const LIVE_TRAIL_MAX_POINTS = 1_000
/** Characters whose trails are loaded at once (the rest still show as markers). */
const LIVE_TRAIL_MAX_CHARACTERS = 100
const SPEEDS = [10, 60, 300, 900]

function useLiveTrails(names: readonly string[], minutes: number): Map<string, TrailResponse> {
  const [trails, setTrails] = useState<Map<string, TrailResponse>>(new Map())
  const [tick, setTick] = useState(0)
  const key = [...names].sort().join('\u0000')
  useInterval(() => setTick((t) => t + 1), minutes > 0 ? TRAIL_REFRESH_MS : null)
  useEffect(() => {
    if (minutes <= 0 || names.length === 0) {
      setTrails(new Map())
      return
    }
    const ctrl = new AbortController()
    const to = Date.now()
    const from = to - minutes * 60_000
    void mapLimit(names.slice(0, LIVE_TRAIL_MAX_CHARACTERS), 4, (n) =>
      api.trail(n, { from, to, maxPoints: LIVE_TRAIL_MAX_POINTS }, ctrl.signal),
    ).then((res) => {
      if (ctrl.signal.aborted) return
      const m = new Map<string, TrailResponse>()
      for (const r of res) if (r.ok) m.set(keyOf(r.value.character_name), r.value)
      setTrails(m)
      for (const r of res) if (!r.ok && !isAbortError(r.error)) console.warn('trail failed', r.error)
    })
    return () => ctrl.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, minutes, tick])
  return trails
}

function liveMarker(c: CharacterState, nowMs: number): MapMarker | null {
  const p = c.lastOutdoor
  if (!p) return null
  return {
    id: c.name,
    name: c.name,
    ew: p.ew,
    ns: p.ns,
    heading: c.inDungeon ? null : (c.telemetry.heading ?? null),
    color: colorFor(c.name),
    dim: !c.online || c.inDungeon,
    note: c.inDungeon ? 'in a dungeon (last outdoor position)' : !c.online ? `offline, seen ${formatRelative(c.lastSeenMs, nowMs)}` : undefined,
    card: markerCard(c),
  }
}

/** Vitals and what the character is doing now, for the marker's hover card. */
function markerCard(c: CharacterState): MapMarker['card'] {
  const v = c.vitals
  const vitals: NonNullable<MapMarker['card']>['vitals'] = []
  const add = (label: string, cur: number | null | undefined, max: number | null | undefined, color: string) => {
    if (typeof cur === 'number' && typeof max === 'number' && max > 0) vitals.push({ label, ratio: cur / max, color })
  }
  add('Health', v?.health, v?.health_max, '#ff6b81')
  add('Stamina', v?.stamina, v?.stamina_max, '#ffd166')
  add('Mana', v?.mana, v?.mana_max, '#5fb3ff')
  const t = c.telemetry
  const lines: string[] = []
  if (t.vt_state) lines.push(`Doing: ${t.vt_state}`)
  const kph = sessionFigures(c).killsPerHour
  if (kph !== null) lines.push(`${Math.round(kph)} kills/h${typeof t.level === 'number' ? ` · level ${t.level}` : ''}`)
  if (typeof t.prismatic_taper_count === 'number') lines.push(`${t.prismatic_taper_count} tapers`)
  return { lines, vitals }
}

function focusFromParams(params: URLSearchParams): MapPoint | null {
  const f = params.get('focus')
  if (!f) return null
  const byText = parseCoords(f)
  if (byText) return byText
  const [ew, ns] = f.split(',').map(Number)
  return typeof ew === 'number' && typeof ns === 'number' && Number.isFinite(ew) && Number.isFinite(ns) ? { ew, ns } : null
}

export default function MapPage() {
  useTitle('Map')
  const live = useLiveState()
  const params = useSearchParams()
  const { navigate } = useRouter()
  const now = useNow(5_000)
  // `?mode=replay` opens the replay directly (a link to it, the screenshot and Lighthouse runs).
  const [mode, setMode] = useState<'live' | 'replay'>(() => (params.get('mode') === 'replay' ? 'replay' : 'live'))
  const [trailMinutes, setTrailMinutes] = useState(15)
  const [showOffline, setShowOffline] = useState(false)
  const [focus, setFocus] = useState<(MapPoint & { scale?: number }) | null>(() => focusFromParams(params))
  const version = useAsync((s) => api.version(s), [])
  const saved = useMemo(() => mapImageOf(version.data?.map_image), [version.data])
  const { user } = useAuth()
  const [draft, setDraft] = useState(DEFAULT_BOUNDS)
  const [adjusting, setAdjusting] = useState(false)
  useEffect(() => {
    if (saved) setDraft(saved.bounds)
  }, [saved])
  // While adjusting, the map shows the image at the draft bounds.
  const image = useMemo(() => (saved && adjusting ? { ...saved, bounds: draft } : saved), [saved, adjusting, draft])

  const characters = useMemo(() => [...live.characters.values()].sort((a, b) => a.name.localeCompare(b.name)), [live.characters])
  const shown = characters.filter((c) => c.online || showOffline)
  const onlineNames = useMemo(() => characters.filter((c) => c.online).map((c) => c.name), [characters])
  const stored = useLiveTrails(mode === 'live' ? onlineNames : [], trailMinutes)

  // Centre on ?character=Name once it is known.
  const focusName = params.get('character')
  const focusChar = focusName ? live.characters.get(keyOf(focusName)) : undefined
  useEffect(() => {
    if (focusChar?.lastOutdoor) setFocus({ ...focusChar.lastOutdoor, scale: 30 })
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusChar?.name, focusChar?.lastOutdoor !== null])

  const liveMarkers = useMemo(
    () => shown.map((c) => liveMarker(c, now)).filter((m): m is MapMarker => m !== null),
    [shown, now],
  )

  const liveTrails = useMemo<MapTrail[]>(() => {
    if (trailMinutes <= 0) return []
    const since = Date.now() - trailMinutes * 60_000
    const out: MapTrail[] = []
    for (const c of characters) {
      if (!c.online) continue
      const tr = stored.get(keyOf(c.name))
      const lines = tr ? trailPolylines(tr.points, tr.segments) : []
      const lastT = tr?.points[tr.points.length - 1]?.t ?? since
      const lastPoint = tr?.points[tr.points.length - 1]
      const tail: TrailFix[] = c.recent.filter((p) => p.t > lastT && p.t >= since)
      if (tail.length > 0) lines.push(...trailPolylines(lastPoint ? [lastPoint, ...tail] : tail))
      if (lines.length > 0) out.push({ id: c.name, color: colorFor(c.name), lines })
    }
    return out
  }, [characters, stored, trailMinutes])

  const replay = useReplay(startOfHour(Date.now()) - REPLAY_WINDOW_MS)
  const onlineCount = onlineNames.length

  return (
    <div className="map-page">
      <PageHeader
        title="Map"
        sub={mode === 'live' ? `${onlineCount} online · ${live.loaded ? 'live' : 'loading…'}` : `Replay of ${formatHour(replay.from)}–${formatHour(replay.from + REPLAY_WINDOW_MS).slice(11)} ${timeZoneLabel(replay.from)}`}
      >
        <div className="seg" role="radiogroup" aria-label="Map mode">
          <button type="button" role="radio" aria-checked={mode === 'live'} className={mode === 'live' ? 'on' : ''} onClick={() => setMode('live')}>
            Live
          </button>
          <button
            type="button"
            role="radio"
            aria-checked={mode === 'replay'}
            className={mode === 'replay' ? 'on' : ''}
            onClick={() => setMode('replay')}
          >
            Replay
          </button>
        </div>
      </PageHeader>

      {mode === 'live' ? (
        <div className="toolbar">
          <label>
            Trails
            <select value={trailMinutes} onChange={(e) => setTrailMinutes(Number(e.target.value))}>
              {TRAIL_CHOICES.map((m) => (
                <option key={m} value={m}>
                  {m === 0 ? 'off' : `last ${m} min`}
                </option>
              ))}
            </select>
          </label>
          <label className="check">
            <input type="checkbox" checked={showOffline} onChange={(e) => setShowOffline(e.target.checked)} />
            Show recently offline
          </label>
        </div>
      ) : (
        <ReplayControls replay={replay} />
      )}

      <div className="map-layout">
        <DerethMap
          label={mode === 'live' ? 'Live map of Dereth' : 'Replay map of Dereth'}
          markers={mode === 'live' ? liveMarkers : replay.markers}
          trails={mode === 'live' ? liveTrails : replay.polylines}
          image={image}
          focus={focus}
          onMarkerActivate={(id) => navigate(characterPath(id))}
          editImageBounds={adjusting ? setDraft : undefined}
        />
        <aside className="map-list" aria-label="Characters on the map">
          <h2>{mode === 'live' ? 'Online' : 'In replay'}</h2>
          {mode === 'live' && !live.loaded && <p className="muted">Loading characters…</p>}
          {mode === 'live' && live.loaded && shown.length === 0 && <p className="muted">Nobody is online.</p>}
          {mode === 'replay' && replay.loaded && replay.markers.length === 0 && <p className="muted">No one has a position at this time.</p>}
          <ul>
            {(mode === 'live' ? liveMarkers : replay.markers).map((m) => (
              <li key={m.id} className={m.dim ? 'dim' : undefined}>
                <span className="swatch" style={{ background: m.color }} aria-hidden="true" />
                <Link to={characterPath(m.name)}>{m.name}</Link>
                <button type="button" className="link-btn small" onClick={() => setFocus({ ew: m.ew, ns: m.ns, scale: 30 })} aria-label={`${formatCoords(m)}: centre the map on ${m.name}`}>
                  {formatCoords(m)}
                </button>
                {m.note && <span className="muted small">{m.note}</span>}
              </li>
            ))}
          </ul>
        </aside>
      </div>
      <MapLegend />
      {user?.role === 'admin' && (
        <MapImagePanel current={saved} draft={draft} setDraft={setDraft} adjusting={adjusting} setAdjusting={setAdjusting} onSaved={version.reload} />
      )}
    </div>
  )
}

/** What the map's symbols mean. */
function MapLegend() {
  return (
    <ul className="map-legend" aria-label="Map legend" data-testid="map-legend">
      <li>
        <svg width="14" height="14" aria-hidden="true">
          <circle cx="7" cy="7" r="5" fill="#ffb347" stroke="#0e141a" strokeWidth="2" />
        </svg>
        Character (arrow: heading; faded: offline or in a dungeon)
      </li>
      <li>
        <svg width="14" height="14" aria-hidden="true">
          <rect x="3.5" y="3.5" width="7" height="7" transform="rotate(45 7 7)" fill="#ffe3a3" stroke="#0e141a" />
        </svg>
        Starter town or capital (with lifestone)
      </li>
      <li>
        <svg width="14" height="14" aria-hidden="true">
          <rect x="3.5" y="3.5" width="7" height="7" transform="rotate(45 7 7)" fill="#c8d4df" stroke="#0e141a" />
        </svg>
        Town or outpost
      </li>
      <li>
        <span className="legend-region">Sho lands</span> Region
      </li>
      <li>
        <svg width="14" height="14" aria-hidden="true">
          <line x1="1" y1="12" x2="13" y2="2" stroke="#5fb3ff" strokeWidth="2" />
        </svg>
        Trail
      </li>
    </ul>
  )
}

/** Hours shown in the "hours with data" strip. */
const STRIP_HOURS = 48
const HOUR_MS = 3_600_000

/** The last STRIP_HOURS hours, marking those with stored data; a click loads that hour. */
function HourStrip({ hours, selected, onPick, now }: { hours: ReplayHours | undefined; selected: number; onPick: (ms: number) => void; now: number }) {
  const byHour = new Map((hours?.hours ?? []).map((h) => [h.hour_ms, h]))
  const last = startOfHour(now)
  const cells: number[] = []
  for (let i = STRIP_HOURS - 1; i >= 0; i--) cells.push(last - i * HOUR_MS)
  return (
    <div className="hour-strip" role="group" aria-label={`Hours with stored data, last ${STRIP_HOURS} h (${timeZoneLabel(now)})`} data-testid="hour-strip">
      {cells.map((h) => {
        const info = byHour.get(h)
        const label = `${formatHour(h)}: ${info ? `${info.characters} character${info.characters === 1 ? '' : 's'}` : 'no data'}`
        return (
          <button
            key={h}
            type="button"
            className={`hour-cell${info ? ' has-data' : ''}${h === selected ? ' on' : ''}`}
            title={label}
            aria-label={label}
            aria-pressed={h === selected}
            data-has-data={info ? 'true' : 'false'}
            onClick={() => onPick(h)}
          >
            {new Date(h).getHours() % 6 === 0 ? <span className="hour-tick">{String(new Date(h).getHours()).padStart(2, '0')}</span> : null}
          </button>
        )
      })}
    </div>
  )
}

function ReplayControls({ replay }: { replay: ReturnType<typeof useReplay> }) {
  const [hour, setHour] = useState(() => formatHour(replay.from))
  const [bad, setBad] = useState(false)
  const now = useNow(60_000)
  const hours = useAsync((s) => api.replayHours({ from: startOfHour(Date.now()) - STRIP_HOURS * HOUR_MS }, s), [])
  const zone = timeZoneLabel(now)
  // Open on the most recent hour that holds data (not the previous, often empty, hour).
  const latest = hours.data?.latest_hour_ms ?? null
  const [opened, setOpened] = useState(false)
  useEffect(() => {
    if (opened || hours.data === undefined) return
    setOpened(true)
    if (latest !== null) {
      setHour(formatHour(latest))
      replay.load(latest)
    }
  }, [opened, hours.data, latest, replay])
  const end = replay.from + REPLAY_WINDOW_MS
  const pick = (ms: number) => {
    setHour(formatHour(ms))
    setBad(false)
    replay.load(ms)
  }
  return (
    <div className="replay-controls">
      <HourStrip hours={hours.data} selected={replay.loaded || replay.loading ? replay.from : -1} onPick={pick} now={now} />
      {hours.data && latest === null && <p className="muted small">No stored positions in the last {STRIP_HOURS} hours: pick an older hour below.</p>}
      <div className="toolbar replay" aria-label="Replay controls">
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault()
            const ms = parseLocalDateTime(hour)
            setBad(ms === null)
            if (ms !== null) replay.load(ms)
          }}
        >
          <label>
            Hour starting (24 h, {zone})
            <input
              type="text"
              inputMode="numeric"
              value={hour}
              placeholder="2026-01-31 14:00"
              pattern="\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}"
              data-testid="replay-start"
              aria-invalid={bad}
              onChange={(e) => setHour(e.target.value)}
            />
          </label>
          <button type="submit" disabled={replay.loading} data-testid="replay-load">
            {replay.loading ? 'Loading…' : replay.loaded ? 'Reload' : 'Load trails'}
          </button>
          {bad && <span className="form-error">Write the hour as YYYY-MM-DD HH:MM (24 h).</span>}
        </form>
        {replay.error ? <ErrorBox error={replay.error} onRetry={() => replay.load(replay.from)} /> : null}
        {replay.loaded && (
          <>
            <button
              type="button"
              onClick={() => {
                if (replay.t >= end) replay.setT(replay.from)
                replay.setPlaying(!replay.playing)
              }}
              aria-label={replay.playing ? 'Pause replay' : 'Play replay'}
              data-testid="replay-play"
            >
              {replay.playing ? '❚❚ Pause' : '▶ Play'}
            </button>
            <label className="grow">
              <span className="sr-only">Replay time</span>
              <input
                type="range"
                min={replay.from}
                max={end}
                step={1000}
                value={replay.t}
                onChange={(e) => replay.setT(Number(e.target.value))}
                aria-valuetext={`${formatDateTime(replay.t)} ${zone}`}
              />
            </label>
            <output className="mono">
              {formatClock(replay.t)} {zone}
            </output>
            <label>
              Speed
              <select value={replay.speed} onChange={(e) => replay.setSpeed(Number(e.target.value))} data-testid="replay-speed">
                {SPEEDS.map((s) => (
                  <option key={s} value={s}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <span className="muted small" data-testid="replay-count">
              {replay.trails.length} characters{replay.failed > 0 ? `, ${replay.failed} trails failed to load` : ''}
            </span>
          </>
        )}
      </div>
    </div>
  )
}
