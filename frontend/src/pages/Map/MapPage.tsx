/**
 * Map page: every online character on the Dereth coordinate grid with name and heading,
 * trails for the last N minutes, click-through to the character, and a time scrub that
 * replays a past hour from stored trails.
 */
import { useEffect, useMemo, useState } from 'react'
import { api, isAbortError } from '../../api/client'
import type { TrailResponse } from '../../api/types'
import { DerethMap, type MapMarker, type MapTrail } from '../../components/DerethMap'
import { useAsync, useInterval, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link, useRouter, useSearchParams } from '../../components/Router'
import { ErrorBox } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { keyOf, type CharacterState } from '../../live/store'
import { colorFor } from '../../lib/colors'
import { formatCoords, parseCoords, type MapPoint } from '../../lib/coords'
import { mapImageOf } from '../../lib/mapImage'
import { formatClock, formatDateTime, formatRelative, fromDateTimeLocal, toDateTimeLocal } from '../../lib/format'
import { mapLimit } from '../../lib/pool'
import { characterPath } from '../../lib/routes'
import { startOfHour } from '../../lib/timeRange'
import { trailPolylines, type TrailFix } from '../../lib/trails'
import { REPLAY_WINDOW_MS, useReplay } from './useReplay'

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
  }
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
  const [mode, setMode] = useState<'live' | 'replay'>('live')
  const [trailMinutes, setTrailMinutes] = useState(15)
  const [showOffline, setShowOffline] = useState(false)
  const [focus, setFocus] = useState<(MapPoint & { scale?: number }) | null>(() => focusFromParams(params))
  const version = useAsync((s) => api.version(s), [])
  const image = useMemo(() => mapImageOf(version.data?.map_image), [version.data])

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
        sub={mode === 'live' ? `${onlineCount} online · ${live.loaded ? 'live' : 'loading…'}` : `Replay of ${formatDateTime(replay.from)} + 1 h`}
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
                <button type="button" className="link-btn small" onClick={() => setFocus({ ew: m.ew, ns: m.ns, scale: 30 })} aria-label={`Centre map on ${m.name}`}>
                  {formatCoords(m)}
                </button>
                {m.note && <span className="muted small">{m.note}</span>}
              </li>
            ))}
          </ul>
        </aside>
      </div>
    </div>
  )
}

function ReplayControls({ replay }: { replay: ReturnType<typeof useReplay> }) {
  const [hour, setHour] = useState(() => toDateTimeLocal(replay.from))
  const [latest] = useState(() => toDateTimeLocal(Date.now()))
  const end = replay.from + REPLAY_WINDOW_MS
  return (
    <div className="toolbar replay" aria-label="Replay controls">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault()
          const ms = fromDateTimeLocal(hour)
          if (ms !== null) replay.load(ms)
        }}
      >
        <label>
          Hour starting
          <input type="datetime-local" value={hour} step={60} data-testid="replay-start" onChange={(e) => setHour(e.target.value)} max={latest} />
        </label>
        <button type="submit" disabled={replay.loading} data-testid="replay-load">
          {replay.loading ? 'Loading…' : replay.loaded ? 'Reload' : 'Load trails'}
        </button>
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
              aria-valuetext={formatDateTime(replay.t)}
            />
          </label>
          <output className="mono">{formatClock(replay.t)}</output>
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
          <span className="muted small">
            {replay.trails.length} characters{replay.failed > 0 ? `, ${replay.failed} trails failed to load` : ''}
          </span>
        </>
      )}
    </div>
  )
}
