/**
 * Time scrub: load every character's stored trail for one past hour and answer where each
 * was at the scrub time, with play/pause at a chosen speed.
 *
 * Owns the replay clock and the loading of trails (bounded in characters, points and
 * concurrency). Positions come from lib/trails (interpolation, dungeon and teleport rules).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { api, isAbortError } from '../../api/client'
import type { TrailResponse } from '../../api/types'
import { mapLimit } from '../../lib/pool'
import { positionAt, replayStart, trailPolylines } from '../../lib/trails'
import { colorFor } from '../../lib/colors'
import type { MapMarker, MapTrail } from '../../components/DerethMap'

/** A replay window is one hour. */
export const REPLAY_WINDOW_MS = 3_600_000
/** At most this many characters are replayed (the most recently seen first). */
export const REPLAY_MAX_CHARACTERS = 150
/** Points per character trail: one every ~2 s over the hour. */
export const REPLAY_MAX_POINTS = 2_000
/** Parallel trail requests. */
export const REPLAY_CONCURRENCY = 4
/** Replay clock tick. */
const TICK_MS = 100

export interface ReplayState {
  from: number
  loaded: boolean
  loading: boolean
  error: unknown
  failed: number
  t: number
  playing: boolean
  speed: number
  trails: readonly TrailResponse[]
  load: (from: number) => void
  setT: (t: number) => void
  setPlaying: (p: boolean) => void
  setSpeed: (s: number) => void
  markers: MapMarker[]
  polylines: MapTrail[]
}

export function useReplay(initialFrom: number): ReplayState {
  const [from, setFrom] = useState(initialFrom)
  const [trails, setTrails] = useState<TrailResponse[]>([])
  const [loading, setLoading] = useState(false)
  const [loaded, setLoaded] = useState(false)
  const [error, setError] = useState<unknown>(null)
  const [failed, setFailed] = useState(0)
  const [t, setT] = useState(initialFrom)
  const [playing, setPlaying] = useState(false)
  const [speed, setSpeed] = useState(60)
  const ctrlRef = useRef<AbortController | null>(null)

  const load = useCallback((start: number) => {
    ctrlRef.current?.abort()
    const ctrl = new AbortController()
    ctrlRef.current = ctrl
    const end = start + REPLAY_WINDOW_MS
    setFrom(start)
    setT(start)
    setPlaying(false)
    setLoading(true)
    setLoaded(false)
    setError(null)
    api
      .characters(ctrl.signal)
      .then(async ({ characters }) => {
        const candidates = characters
          .filter((c) => (c.last_seen_ms ?? end) >= start && (c.first_seen_ms ?? start) <= end)
          .sort((a, b) => (b.last_seen_ms ?? 0) - (a.last_seen_ms ?? 0))
          .slice(0, REPLAY_MAX_CHARACTERS)
        const results = await mapLimit(candidates, REPLAY_CONCURRENCY, (c) =>
          api.trail(c.character_name, { from: start, to: end, maxPoints: REPLAY_MAX_POINTS }, ctrl.signal),
        )
        if (ctrl.signal.aborted) return
        const ok: TrailResponse[] = []
        let bad = 0
        for (const r of results) {
          if (r.ok) {
            if (r.value.points.length > 0) ok.push(r.value)
          } else if (!isAbortError(r.error)) bad++
        }
        setTrails(ok)
        // Open where the hour's data begins, not on an empty map at its first second.
        setT(replayStart(ok, start))
        setFailed(bad)
        setLoaded(true)
        setLoading(false)
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted || isAbortError(e)) return
        setError(e)
        setLoading(false)
      })
  }, [])

  useEffect(() => () => ctrlRef.current?.abort(), [])

  // The replay clock.
  useEffect(() => {
    if (!playing) return
    const id = setInterval(() => {
      setT((cur) => {
        const next = cur + TICK_MS * speed
        if (next >= from + REPLAY_WINDOW_MS) {
          setPlaying(false)
          return from + REPLAY_WINDOW_MS
        }
        return next
      })
    }, TICK_MS)
    return () => clearInterval(id)
  }, [playing, speed, from])

  const polylines = useMemo<MapTrail[]>(
    () =>
      trails.map((tr) => ({
        id: tr.character_name,
        color: colorFor(tr.character_name),
        lines: trailPolylines(tr.points, tr.segments),
      })),
    [trails],
  )

  const markers = useMemo<MapMarker[]>(() => {
    const out: MapMarker[] = []
    for (const tr of trails) {
      const p = positionAt(tr.points, t)
      if (!p) continue
      out.push({
        id: tr.character_name,
        name: tr.character_name,
        ew: p.ew,
        ns: p.ns,
        heading: p.heading,
        color: colorFor(tr.character_name),
        dim: p.inDungeon || p.stale,
        note: p.inDungeon ? 'in a dungeon (last outdoor position)' : p.stale ? 'no fix for a while' : undefined,
      })
    }
    return out
  }, [trails, t])

  return { from, loaded, loading, error, failed, t, playing, speed, trails, load, setT, setPlaying, setSpeed, markers, polylines }
}
