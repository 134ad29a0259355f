/**
 * The Dereth map: a coordinate grid (never a bundled image, docs/protocol.md §6) with towns,
 * character markers, trails, pins and an optional spawn heatmap.
 *
 * Owns drawing (canvas for grid/trails/heat, SVG for focusable markers) and interaction: drag
 * and pinch to pan, wheel to zoom at the cursor, buttons, and the keyboard (arrows pan, + and −
 * zoom, 0 fits Dereth). All coordinate math comes from lib/viewport and lib/coords. Never
 * fetches anything: pages pass data in.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent as ReactMouseEvent, type PointerEvent as ReactPointerEvent } from 'react'
import type { HeatBin, MapImageConfig } from '../api/types'
import { formatCoords, landblockEdge, MAP_MAX, MAP_MIN, type MapPoint } from '../lib/coords'
import { heatColor } from '../lib/heat'
import { dotBox, overlaps, placeLabels, type Box, type LabelCandidate } from '../lib/labels'
import { REGIONS, TOWNS } from '../lib/towns'
import {
  centerOn,
  clampViewport,
  fitViewport,
  gridLabel,
  gridValues,
  labelEvery,
  labelStep,
  LANDBLOCK_LABEL_MIN_PX,
  panBy,
  toMap,
  toScreen,
  visibleBounds,
  visibleLandblockEdges,
  zoomAt,
  type Size,
  type Viewport,
} from '../lib/viewport'

export interface MapMarker {
  id: string
  name: string
  ew: number
  ns: number
  heading?: number | null
  color?: string
  /** Drawn faded: offline, stale or in a dungeon (shown at the last outdoor fix). */
  dim?: boolean
  note?: string
  /** Hover card: vitals and current activity, shown on pointer hover or keyboard focus. */
  card?: { lines: string[]; vitals?: { label: string; ratio: number; color: string }[] }
}

export interface MapTrail {
  id: string
  color: string
  lines: MapPoint[][]
}

export interface MapPin {
  id: string
  ew: number
  ns: number
  label: string
  kind: 'portal' | 'rare' | 'spot'
}

export interface HeatLayer {
  cell: number
  bins: readonly HeatBin[]
}

export interface DerethMapProps {
  markers?: readonly MapMarker[]
  trails?: readonly MapTrail[]
  pins?: readonly MapPin[]
  heat?: HeatLayer | null
  image?: MapImageConfig | null
  onMarkerActivate?: (id: string) => void
  onPinActivate?: (id: string) => void
  /** Centre on this point when it changes (e.g. "show on map"). */
  focus?: (MapPoint & { scale?: number }) | null
  label: string
  className?: string
  /** Told the zoom (px per map unit) whenever it changes (the heatmap picks its cell size from it). */
  onScaleChange?: (scale: number) => void
  /** Image placement: two draggable reference points at the image's north-west and south-east corners. */
  editImageBounds?: (bounds: MapImageConfig['bounds']) => void
}

type Bounds = MapImageConfig['bounds']

const PAN_STEP_PX = 80
const ZOOM_STEP = 1.5
const WHEEL_ZOOM_PER_PX = 0.0015
/** Pointer travel (px) under which a press counts as a click, not a drag. */
const CLICK_SLOP_PX = 5
/** Show marker names once the map is at least this many px per unit, or with few markers. */
const MARKER_LABEL_MIN_SCALE = 6
const MARKER_LABEL_MAX_COUNT = 40
/** Region names show while zoomed out past this (they would only cover towns further in). */
const REGION_LABEL_MAX_SCALE = 9
/** Label priorities: characters first, then towns by rank, regions, then pins. */
const PRIORITY = { marker: 100, starter: 60, capital: 55, town: 45, outpost: 40, region: 20, pin: 10 } as const
/** The left column and top row the grid's axis labels use; map labels keep out of them. */
const AXIS_LEFT_PX = 44
const AXIS_TOP_PX = 20

export function DerethMap({
  markers = [],
  trails = [],
  pins = [],
  heat = null,
  image = null,
  onMarkerActivate,
  onPinActivate,
  focus = null,
  label,
  className,
  onScaleChange,
  editImageBounds,
}: DerethMapProps) {
  const root = useRef<HTMLDivElement>(null)
  const canvas = useRef<HTMLCanvasElement>(null)
  const [size, setSize] = useState<Size | null>(null)
  const [vp, setVp] = useState<Viewport | null>(null)
  const [cursor, setCursor] = useState<MapPoint | null>(null)
  const [imageFailed, setImageFailed] = useState(false)
  const [hovered, setHovered] = useState<string | null>(null)
  const scale = vp?.scale
  useEffect(() => {
    if (scale !== undefined) onScaleChange?.(scale)
  }, [scale, onScaleChange])

  // Follow the container size; the first size sets the fit-all view.
  useEffect(() => {
    const el = root.current
    if (!el) return
    const ro = new ResizeObserver(() => {
      const s = { width: el.clientWidth, height: el.clientHeight }
      if (s.width <= 0 || s.height <= 0) return
      setSize(s)
      setVp((prev) => (prev ? clampViewport(prev, s) : fitViewport(s)))
    })
    ro.observe(el)
    return () => ro.disconnect()
  }, [])

  useEffect(() => {
    if (!focus || !size) return
    setVp((prev) => (prev ? centerOn(prev, size, focus, Math.max(prev.scale, focus.scale ?? 20)) : prev))
    // Only a new focus point moves the view, not a resize.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focus?.ew, focus?.ns, focus?.scale, size !== null])

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const el = root.current
    if (!el || !size) return
    const onWheel = (e: WheelEvent) => {
      e.preventDefault()
      const rect = el.getBoundingClientRect()
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 16 : 1) * WHEEL_ZOOM_PER_PX)
      setVp((prev) => (prev ? zoomAt(prev, size, factor, { x: e.clientX - rect.left, y: e.clientY - rect.top }) : prev))
    }
    el.addEventListener('wheel', onWheel, { passive: false })
    return () => el.removeEventListener('wheel', onWheel)
  }, [size])

  // ---------------------------------------------------------------- pointer: drag and pinch
  const pointers = useRef(new Map<number, { x: number; y: number }>())
  const moved = useRef(0)
  const pinchDist = useRef<number | null>(null)

  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY })
    if (pointers.current.size === 1) moved.current = 0
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()]
      pinchDist.current = a && b ? Math.hypot(a.x - b.x, a.y - b.y) : null
    }
  }

  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const el = root.current
    if (el && size && vp) {
      const rect = el.getBoundingClientRect()
      setCursor(toMap(vp, size, { x: e.clientX - rect.left, y: e.clientY - rect.top }))
    }
    const prev = pointers.current.get(e.pointerId)
    if (!prev || !size) return
    const dx = e.clientX - prev.x
    const dy = e.clientY - prev.y
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY })
    if (pointers.current.size === 1) {
      moved.current += Math.abs(dx) + Math.abs(dy)
      if (moved.current > CLICK_SLOP_PX) {
        if (!el?.hasPointerCapture(e.pointerId)) el?.setPointerCapture(e.pointerId)
        setVp((v) => (v ? panBy(v, size, dx, dy) : v))
      }
    } else if (pointers.current.size === 2 && el) {
      moved.current = CLICK_SLOP_PX + 1
      const [a, b] = [...pointers.current.values()]
      if (!a || !b) return
      const d = Math.hypot(a.x - b.x, a.y - b.y)
      const rect = el.getBoundingClientRect()
      const mid = { x: (a.x + b.x) / 2 - rect.left, y: (a.y + b.y) / 2 - rect.top }
      if (pinchDist.current && d > 0) {
        const f = d / pinchDist.current
        setVp((v) => (v ? zoomAt(v, size, f, mid) : v))
      }
      pinchDist.current = d
    }
  }

  const onPointerUp = (e: ReactPointerEvent<HTMLDivElement>) => {
    pointers.current.delete(e.pointerId)
    if (pointers.current.size < 2) pinchDist.current = null
  }

  // A drag that ends over a marker must not activate it.
  const onClickCapture = (e: ReactMouseEvent) => {
    if (moved.current > CLICK_SLOP_PX) {
      e.stopPropagation()
      e.preventDefault()
      moved.current = 0
    }
  }

  // ---------------------------------------------------------------- keyboard and buttons
  const zoomBy = useCallback(
    (f: number) => {
      if (!size) return
      setVp((v) => (v ? zoomAt(v, size, f, { x: size.width / 2, y: size.height / 2 }) : v))
    },
    [size],
  )
  const reset = useCallback(() => {
    if (size) setVp(fitViewport(size))
  }, [size])

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!size || e.target !== e.currentTarget) return
    const pan = (dx: number, dy: number) => setVp((v) => (v ? panBy(v, size, dx, dy) : v))
    switch (e.key) {
      case 'ArrowLeft':
        pan(PAN_STEP_PX, 0)
        break
      case 'ArrowRight':
        pan(-PAN_STEP_PX, 0)
        break
      case 'ArrowUp':
        pan(0, PAN_STEP_PX)
        break
      case 'ArrowDown':
        pan(0, -PAN_STEP_PX)
        break
      case '+':
      case '=':
        zoomBy(ZOOM_STEP)
        break
      case '-':
      case '_':
        zoomBy(1 / ZOOM_STEP)
        break
      case '0':
        reset()
        break
      default:
        return
    }
    e.preventDefault()
  }

  // ---------------------------------------------------------------- canvas layer
  useEffect(() => {
    const c = canvas.current
    if (!c || !size || !vp) return
    const dpr = window.devicePixelRatio || 1
    c.width = Math.round(size.width * dpr)
    c.height = Math.round(size.height * dpr)
    const ctx = c.getContext('2d')
    if (!ctx) return
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    const axisLabels = drawCanvas(ctx, size, vp, trails, heat, image !== null && !imageFailed)
    // The drawn axis-label boxes, for the browser tests' no-collision check.
    c.dataset.axisLabels = JSON.stringify(axisLabels.map((b) => [Math.round(b.x), Math.round(b.y), Math.round(b.w), Math.round(b.h)]))
  }, [size, vp, trails, heat, image, imageFailed])

  // ---------------------------------------------------------------- SVG overlay
  const overlay = useMemo(() => {
    if (!size || !vp) return null
    const b = visibleBounds(vp, size)
    const margin = 2 / vp.scale + 0.5
    const inView = (p: MapPoint) => p.ew >= b.minEw - margin && p.ew <= b.maxEw + margin && p.ns >= b.minNs - margin && p.ns <= b.maxNs + margin
    const showNames = vp.scale >= MARKER_LABEL_MIN_SCALE || markers.length <= MARKER_LABEL_MAX_COUNT
    const towns = TOWNS.filter(inView)
    const shownMarkers = markers.filter(inView)
    const shownPins = pins.filter(inView)
    const reserved: Box[] = [
      ...shownMarkers.map((m) => {
        const p = toScreen(vp, size, m)
        return dotBox(p.x, p.y, 9)
      }),
      ...towns.map((t) => {
        const p = toScreen(vp, size, t)
        return dotBox(p.x, p.y, 5)
      }),
      // The zoom buttons (top right) and the coordinate readout (bottom left).
      { x: size.width - 48, y: 0, w: 48, h: 120 },
      { x: 0, y: size.height - 26, w: 190, h: 26 },
    ]
    const candidates: LabelCandidate[] = []
    if (showNames) for (const m of shownMarkers) candidates.push({ id: `m:${m.id}`, ...toScreen(vp, size, m), text: m.name, priority: PRIORITY.marker + (m.dim ? -5 : 0) })
    for (const t of towns) candidates.push({ id: `t:${t.name}`, ...toScreen(vp, size, t), text: t.name, priority: PRIORITY[t.kind] })
    if (vp.scale < REGION_LABEL_MAX_SCALE)
      for (const r of REGIONS.filter(inView)) candidates.push({ id: `r:${r.name}`, ...toScreen(vp, size, r), text: r.name, priority: PRIORITY.region, size: 13, centred: true })
    for (const p of shownPins) candidates.push({ id: `p:${p.id}`, ...toScreen(vp, size, p), text: p.label, priority: PRIORITY.pin, size: 10 })
    const placed = placeLabels(candidates, reserved, { x: AXIS_LEFT_PX, y: AXIS_TOP_PX, w: size.width - AXIS_LEFT_PX, h: size.height - AXIS_TOP_PX })
    return { inView, showNames, towns, shownMarkers, shownPins, placed }
  }, [size, vp, markers, pins])

  const imgStyle = useMemo(() => {
    if (!image || !size || !vp) return null
    const tl = toScreen(vp, size, { ew: image.bounds.west, ns: image.bounds.north })
    const br = toScreen(vp, size, { ew: image.bounds.east, ns: image.bounds.south })
    return { left: tl.x, top: tl.y, width: br.x - tl.x, height: br.y - tl.y }
  }, [image, size, vp])

  return (
    <div className={`dmap ${className ?? ''}`}>
      <div
        ref={root}
        className="dmap-view"
        tabIndex={0}
        role="application"
        aria-roledescription="map"
        aria-label={`${label}. Arrow keys pan, plus and minus zoom, 0 shows all of Dereth. Tab reaches the markers.`}
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={() => setCursor(null)}
        onClickCapture={onClickCapture}
        data-scale={vp ? vp.scale.toFixed(3) : undefined}
      >
        {image && imgStyle && !imageFailed && (
          <img className="dmap-image" src={image.url} alt="" style={imgStyle} draggable={false} onError={() => setImageFailed(true)} />
        )}
        <canvas ref={canvas} className="dmap-canvas" aria-hidden="true" />
        {size && vp && overlay && (
          <svg className="dmap-svg" width={size.width} height={size.height}>
            <g className="dmap-towns">
              {overlay.towns.map((t) => {
                const s = toScreen(vp, size, t)
                return (
                  <g key={t.name} transform={`translate(${s.x},${s.y})`} className={`town town-${t.kind}`} data-testid="town">
                    <title>{`${t.name} — ${t.kind === 'outpost' ? 'outpost' : `${t.heritage} ${t.kind === 'town' ? 'town' : t.kind}`}, lifestone in town, ${formatCoords(t)}`}</title>
                    <rect x={-3.5} y={-3.5} width={7} height={7} transform="rotate(45)" />
                  </g>
                )
              })}
            </g>
            <g className="dmap-pins">
              {overlay.shownPins.map((p) => {
                const s = toScreen(vp, size, p)
                return (
                  <g
                    key={p.id}
                    transform={`translate(${s.x},${s.y})`}
                    className={`pin pin-${p.kind}`}
                    tabIndex={onPinActivate ? 0 : undefined}
                    role={onPinActivate ? 'button' : undefined}
                    aria-label={`${p.label}, ${formatCoords(p)}`}
                    onClick={onPinActivate ? () => onPinActivate(p.id) : undefined}
                    onKeyDown={onPinActivate ? (e) => (e.key === 'Enter' || e.key === ' ') && onPinActivate(p.id) : undefined}
                  >
                    <title>{`${p.label} — ${formatCoords(p)}`}</title>
                    <circle r={4} />
                  </g>
                )
              })}
            </g>
            <g className="dmap-markers">
              {overlay.shownMarkers.map((m) => {
                const s = toScreen(vp, size, m)
                const color = m.color ?? '#ffb347'
                return (
                  <g
                    key={m.id}
                    className={`marker${m.dim ? ' marker-dim' : ''}`}
                    transform={`translate(${s.x.toFixed(1)},${s.y.toFixed(1)})`}
                    data-testid="char-marker"
                    data-name={m.name}
                    data-ew={m.ew.toFixed(4)}
                    data-ns={m.ns.toFixed(4)}
                    tabIndex={0}
                    role="link"
                    aria-label={`${m.name}, ${formatCoords(m)}${typeof m.heading === 'number' ? `, heading ${Math.round(m.heading)}°` : ''}${m.note ? `, ${m.note}` : ''}`}
                    onClick={() => onMarkerActivate?.(m.id)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') onMarkerActivate?.(m.id)
                    }}
                    onPointerEnter={() => setHovered(m.id)}
                    onPointerLeave={() => setHovered((h) => (h === m.id ? null : h))}
                    onFocus={() => setHovered(m.id)}
                    onBlur={() => setHovered((h) => (h === m.id ? null : h))}
                  >
                    {typeof m.heading === 'number' && (
                      <path d="M0,-15 L5,-6 L-5,-6 Z" transform={`rotate(${m.heading})`} fill={color} className="marker-heading" />
                    )}
                    <circle r={6} fill={color} className="marker-dot" />
                    <circle r={11} className="marker-hit" />
                  </g>
                )
              })}
            </g>
            <g className="dmap-labels" aria-hidden="true">
              {overlay.placed.map((l) => (
                <text key={l.id} x={l.x} y={l.y} className={`map-label map-label-${l.id.slice(0, 1)}`} data-testid="map-label" data-box={`${l.box.x.toFixed(1)},${l.box.y.toFixed(1)},${l.box.w.toFixed(1)},${l.box.h.toFixed(1)}`}>
                  {l.text}
                </text>
              ))}
            </g>
            {image && imgStyle && editImageBounds && (
              <g className="dmap-handles">
                <BoundsHandle corner="nw" at={{ x: imgStyle.left, y: imgStyle.top }} vp={vp} size={size} root={root} bounds={image.bounds} onChange={editImageBounds} />
                <BoundsHandle corner="se" at={{ x: imgStyle.left + imgStyle.width, y: imgStyle.top + imgStyle.height }} vp={vp} size={size} root={root} bounds={image.bounds} onChange={editImageBounds} />
              </g>
            )}
          </svg>
        )}
        {hoverCard(hovered, markers, vp, size)}
      </div>
      <div className="dmap-controls" role="group" aria-label="Map controls">
        <button type="button" onClick={() => zoomBy(ZOOM_STEP)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <button type="button" onClick={() => zoomBy(1 / ZOOM_STEP)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <button type="button" onClick={reset} aria-label="Show all of Dereth" title="Show all (0)">
          ⤢
        </button>
      </div>
      <div className="dmap-readout" aria-live="off">
        {cursor ? formatCoords(cursor) : vp ? `centre ${formatCoords(vp.center)}` : ''}
        {image && imageFailed ? ' · map image failed to load' : ''}
      </div>
    </div>
  )
}

/** The hover card of the hovered (or focused) marker, beside it and kept inside the view. */
function hoverCard(id: string | null, markers: readonly MapMarker[], vp: Viewport | null, size: Size | null) {
  if (!id || !vp || !size) return null
  const m = markers.find((x) => x.id === id)
  if (!m) return null
  const p = toScreen(vp, size, m)
  const width = 220
  const left = p.x + 16 + width > size.width ? Math.max(4, p.x - 16 - width) : p.x + 16
  const top = Math.min(Math.max(4, p.y - 20), Math.max(4, size.height - 150))
  return (
    <div className="dmap-card" style={{ left, top, width }} role="tooltip" data-testid="marker-card">
      <strong>{m.name}</strong>
      <div className="muted small">{formatCoords(m)}</div>
      {m.card?.vitals?.map((v) => (
        <div key={v.label} className="card-vital">
          <span className="small">{v.label}</span>
          <span className="card-bar">
            <span style={{ width: `${Math.round(Math.max(0, Math.min(1, v.ratio)) * 100)}%`, background: v.color }} />
          </span>
          <span className="small num">{Math.round(v.ratio * 100)}%</span>
        </div>
      ))}
      {m.card?.lines.map((l) => (
        <div key={l} className="small">
          {l}
        </div>
      ))}
      {m.note && <div className="small muted">{m.note}</div>}
    </div>
  )
}

/** One draggable reference point of the map image (north-west or south-east corner). */
function BoundsHandle({
  corner,
  at,
  vp,
  size,
  root,
  bounds,
  onChange,
}: {
  corner: 'nw' | 'se'
  at: { x: number; y: number }
  vp: Viewport
  size: Size
  root: { current: HTMLDivElement | null }
  bounds: Bounds
  onChange: (b: Bounds) => void
}) {
  const move = (e: ReactPointerEvent<SVGGElement>) => {
    if (!e.currentTarget.hasPointerCapture(e.pointerId)) return
    const rect = root.current?.getBoundingClientRect()
    if (!rect) return
    const p = toMap(vp, size, { x: e.clientX - rect.left, y: e.clientY - rect.top })
    const r = (v: number) => Math.round(v * 100) / 100
    if (corner === 'nw' && p.ew < bounds.east && p.ns > bounds.south) onChange({ ...bounds, west: r(p.ew), north: r(p.ns) })
    if (corner === 'se' && p.ew > bounds.west && p.ns < bounds.north) onChange({ ...bounds, east: r(p.ew), south: r(p.ns) })
  }
  return (
    <g
      className="bounds-handle"
      transform={`translate(${at.x},${at.y})`}
      data-testid={`bounds-handle-${corner}`}
      onPointerDown={(e) => {
        e.stopPropagation()
        e.currentTarget.setPointerCapture(e.pointerId)
      }}
      onPointerMove={(e) => {
        e.stopPropagation()
        move(e)
      }}
      onPointerUp={(e) => {
        e.stopPropagation()
        e.currentTarget.releasePointerCapture(e.pointerId)
      }}
    >
      <title>{corner === 'nw' ? 'Drag: the image\'s north-west corner' : 'Drag: the image\'s south-east corner'}</title>
      <circle r={12} />
      <path d="M-7,0 H7 M0,-7 V7" />
    </g>
  )
}

// -------------------------------------------------------------------- canvas drawing

const COLORS = {
  land: '#18222c',
  outside: '#0e141a',
  grid: 'rgba(140,170,200,0.16)',
  gridZero: 'rgba(140,170,200,0.45)',
  gridMinor: 'rgba(140,170,200,0.07)',
  landblock: 'rgba(255,214,140,0.10)',
  label: 'rgba(200,215,230,0.85)',
  labelBg: 'rgba(14,20,26,0.75)',
}

function drawCanvas(
  ctx: CanvasRenderingContext2D,
  size: Size,
  vp: Viewport,
  trails: readonly MapTrail[],
  heat: HeatLayer | null,
  hasImage: boolean,
): Box[] {
  const axisBoxes: Box[] = []
  ctx.clearRect(0, 0, size.width, size.height)
  const tl = toScreen(vp, size, { ew: MAP_MIN, ns: MAP_MAX })
  const br = toScreen(vp, size, { ew: MAP_MAX, ns: MAP_MIN })
  if (!hasImage) {
    ctx.fillStyle = COLORS.outside
    ctx.fillRect(0, 0, size.width, size.height)
    ctx.fillStyle = COLORS.land
    ctx.fillRect(tl.x, tl.y, br.x - tl.x, br.y - tl.y)
  }
  const b = visibleBounds(vp, size)

  // Landblock grid at high zoom.
  const lbX = visibleLandblockEdges(b.minEw, b.maxEw, vp.scale)
  const lbY = visibleLandblockEdges(b.minNs, b.maxNs, vp.scale)
  if (lbX.length > 0 || lbY.length > 0) {
    ctx.strokeStyle = COLORS.landblock
    ctx.lineWidth = 1
    ctx.beginPath()
    for (const i of lbX) {
      const x = Math.round(toScreen(vp, size, { ew: landblockEdge(i), ns: 0 }).x) + 0.5
      ctx.moveTo(x, Math.max(0, tl.y))
      ctx.lineTo(x, Math.min(size.height, br.y))
    }
    for (const i of lbY) {
      const y = Math.round(toScreen(vp, size, { ew: 0, ns: landblockEdge(i) }).y) + 0.5
      ctx.moveTo(Math.max(0, tl.x), y)
      ctx.lineTo(Math.min(size.width, br.x), y)
    }
    ctx.stroke()
    if (vp.scale * 0.8 >= LANDBLOCK_LABEL_MIN_PX) {
      ctx.fillStyle = 'rgba(255,214,140,0.45)'
      ctx.font = '10px ui-monospace, monospace'
      for (const i of lbX) {
        for (const j of lbY) {
          if (i >= 255 || j >= 255) continue
          const p = toScreen(vp, size, { ew: landblockEdge(i), ns: landblockEdge(j + 1) })
          ctx.fillText(`${hex2(i)}${hex2(j)}`, p.x + 3, p.y + 12)
        }
      }
    }
  }

  // Coordinate grid: every 10 units always, finer labelled lines when zoomed in.
  const step = labelStep(vp.scale)
  const drawLines = (values: number[], style: (v: number) => string) => {
    for (const v of values) {
      ctx.strokeStyle = style(v)
      ctx.beginPath()
      const x = Math.round(toScreen(vp, size, { ew: v, ns: 0 }).x) + 0.5
      ctx.moveTo(x, Math.max(0, tl.y))
      ctx.lineTo(x, Math.min(size.height, br.y))
      ctx.stroke()
    }
  }
  const drawRows = (values: number[], style: (v: number) => string) => {
    for (const v of values) {
      ctx.strokeStyle = style(v)
      ctx.beginPath()
      const y = Math.round(toScreen(vp, size, { ew: 0, ns: v }).y) + 0.5
      ctx.moveTo(Math.max(0, tl.x), y)
      ctx.lineTo(Math.min(size.width, br.x), y)
      ctx.stroke()
    }
  }
  ctx.lineWidth = 1
  const ewVals = gridValues(b.minEw, b.maxEw, step)
  const nsVals = gridValues(b.minNs, b.maxNs, step)
  const styleFor = (v: number) => (v === 0 ? COLORS.gridZero : v % 10 === 0 ? COLORS.grid : COLORS.gridMinor)
  drawLines(ewVals, styleFor)
  drawRows(nsVals, styleFor)

  // Heatmap.
  if (heat && heat.bins.length > 0) drawHeat(ctx, size, vp, heat)

  // Trails.
  ctx.lineJoin = 'round'
  ctx.lineCap = 'round'
  for (const t of trails) {
    ctx.strokeStyle = t.color
    ctx.globalAlpha = 0.75
    ctx.lineWidth = 2
    for (const line of t.lines) {
      if (line.length === 0) continue
      ctx.beginPath()
      line.forEach((p, i) => {
        const s = toScreen(vp, size, p)
        if (i === 0) ctx.moveTo(s.x, s.y)
        else ctx.lineTo(s.x, s.y)
      })
      if (line.length === 1) {
        const s = toScreen(vp, size, line[0] ?? { ew: 0, ns: 0 })
        ctx.arc(s.x, s.y, 1.5, 0, Math.PI * 2)
      }
      ctx.stroke()
    }
  }
  ctx.globalAlpha = 1

  // Edge labels for the coordinate grid, kept inside the view.
  ctx.font = '11px system-ui, sans-serif'
  ctx.textBaseline = 'middle'
  const topY = Math.max(10, Math.min(size.height - 10, tl.y + 10))
  const leftX = Math.max(4, Math.min(size.width - 40, tl.x + 4))
  // Labels are thinned so they never overlap: EW labels need more room than NS ones.
  const ewEvery = labelEvery(vp.scale, step, 40)
  const nsEvery = labelEvery(vp.scale, step, 20)
  const isMultiple = (v: number, k: number) => Math.abs(v / k - Math.round(v / k)) < 1e-6
  // The NS labels own the left column and the EW labels the top row: an EW label reaching
  // into the column, or an NS label reaching into the row, is skipped (no "100W" over "100N").
  // Landmark dots stay visible: an axis label that would cover one is skipped instead (on a
  // phone the left column runs through towns such as Ayan Baqur).
  const landmarkDots = TOWNS.map((t) => {
    const p = toScreen(vp, size, t)
    return dotBox(p.x, p.y, 5)
  }).filter((d) => d.x + d.w >= 0 && d.y + d.h >= 0 && d.x <= size.width && d.y <= size.height)
  const coversLandmark = (box: Box) => landmarkDots.some((d) => overlaps(d, box))
  let nsColumnRight = leftX
  for (const v of nsVals) if (isMultiple(v, nsEvery)) nsColumnRight = Math.max(nsColumnRight, leftX + ctx.measureText(gridLabel(v, 'ns')).width + 6)
  for (const v of ewVals) {
    if (!isMultiple(v, ewEvery)) continue
    const x = toScreen(vp, size, { ew: v, ns: 0 }).x
    const text = gridLabel(v, 'ew')
    const w = ctx.measureText(text).width
    if (x - w / 2 - 3 < nsColumnRight + 2 || x + w / 2 + 3 > size.width) continue
    const box = { x: x - w / 2 - 3, y: topY - 8, w: w + 6, h: 16 }
    if (coversLandmark(box)) continue
    ctx.fillStyle = COLORS.labelBg
    ctx.fillRect(box.x, box.y, box.w, box.h)
    axisBoxes.push(box)
    ctx.fillStyle = COLORS.label
    ctx.fillText(text, x - w / 2, topY)
  }
  for (const v of nsVals) {
    if (!isMultiple(v, nsEvery)) continue
    const y = toScreen(vp, size, { ew: 0, ns: v }).y
    if (y - 8 < topY + 9 || y + 8 > size.height) continue
    const text = gridLabel(v, 'ns')
    const w = ctx.measureText(text).width
    const box = { x: leftX - 3, y: y - 8, w: w + 6, h: 16 }
    if (coversLandmark(box)) continue
    ctx.fillStyle = COLORS.labelBg
    ctx.fillRect(box.x, box.y, box.w, box.h)
    axisBoxes.push(box)
    ctx.fillStyle = COLORS.label
    ctx.fillText(text, leftX, y)
  }
  return axisBoxes
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0')
}

/** Each bin's ew/ns is the centre of its `cell`-sized square (as the server bins them). */
function drawHeat(ctx: CanvasRenderingContext2D, size: Size, vp: Viewport, heat: HeatLayer): void {
  let max = 1
  for (const b of heat.bins) if (b.count > max) max = b.count
  const logMax = Math.log1p(max)
  const px = Math.max(2, heat.cell * vp.scale)
  // Semi-transparent, so towns and the grid stay readable under hot cells.
  ctx.globalAlpha = 0.6
  for (const b of heat.bins) {
    const s = toScreen(vp, size, { ew: b.ew - heat.cell / 2, ns: b.ns + heat.cell / 2 })
    if (s.x + px < 0 || s.y + px < 0 || s.x > size.width || s.y > size.height) continue
    const f = Math.log1p(b.count) / logMax
    ctx.fillStyle = heatColor(f)
    ctx.fillRect(s.x, s.y, px, px)
  }
  ctx.globalAlpha = 1
}
