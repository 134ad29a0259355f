/**
 * A time-series line chart (uPlot) with an accessible text summary.
 *
 * Owns the uPlot instance lifecycle: create once, update data in place, follow the container
 * width, destroy on unmount. Points arrive as [unix ms, value]; uPlot wants seconds.
 */
import { useEffect, useMemo, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { INTEGER_INCRS, integerRange, timeTickLabels } from '../lib/chartScale'
import { formatCompact, formatDateTime } from '../lib/format'
import { Empty } from './States'

export interface TimeChartProps {
  title: string
  points: readonly (readonly [number, number | null])[]
  color?: string
  height?: number
  /** Formats values on the axis and in the summary. */
  format?: (v: number | null | undefined) => string
  testId?: string
  /** Draw as steps (counters like level) instead of lines. */
  stepped?: boolean
  /** The time range asked for (unix ms): the x axis spans it even when data is sparse. */
  range?: { from: number; to: number }
  /** What the values count ("kills/h"): the y axis label and the hover readout say it. */
  unit?: string
  /** Whole-number series: ticks only at integers and a scale of at least 0–1. */
  integer?: boolean
}

export function TimeChart({ title, points, color = '#5fb3ff', height = 130, format = formatCompact, testId, stepped, range, unit, integer }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const readout = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  // Read by uPlot's range callback on every redraw, so a new range needs no re-create.
  const rangeRef = useRef(range)
  useEffect(() => {
    rangeRef.current = range
  }, [range])
  const data = useMemo<uPlot.AlignedData>(() => {
    const xs = points.map((p) => p[0] / 1000)
    const ys = points.map((p) => (typeof p[1] === 'number' && Number.isFinite(p[1]) ? p[1] : null))
    return [xs, ys]
  }, [points])
  // The newest data, for a chart built a task after its effect ran.
  const dataRef = useRef(data)
  const hasData = points.some((p) => typeof p[1] === 'number')

  const summary = useMemo(() => {
    const vals = points.map((p) => p[1]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    if (vals.length === 0) return 'no data'
    const last = points[points.length - 1]
    return `${vals.length} points; latest ${format(vals[vals.length - 1])} at ${formatDateTime(last?.[0])}; min ${format(Math.min(...vals))}, max ${format(Math.max(...vals))}`
  }, [points, format])

  useEffect(() => {
    const el = box.current
    if (!el || !hasData) return
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: false },
      // A crosshair follows the pointer; the readout above the plot names the time and value.
      cursor: { drag: { x: false, y: false }, x: true, y: true, points: { size: 7 } },
      scales: {
        x: rangeRef.current
          ? { time: true, range: () => [(rangeRef.current?.from ?? 0) / 1000, (rangeRef.current?.to ?? 0) / 1000] }
          : { time: true },
        ...(integer ? { y: { range: (_u: uPlot, min: number | null, max: number | null) => integerRange(min, max) } } : {}),
      },
      hooks: {
        setCursor: [
          (u) => {
            const el = readout.current
            if (!el) return
            const i = u.cursor.idx
            const x = i == null ? undefined : u.data[0][i]
            const y = i == null ? undefined : u.data[1]?.[i]
            el.textContent = x == null ? '' : `${formatDateTime(x * 1000)} · ${y == null ? 'no value' : `${format(y)}${unit ? ` ${unit}` : ''}`}`
          },
        ],
      },
      axes: [
        {
          stroke: '#9fb0c0',
          font: '12px system-ui, sans-serif',
          grid: { stroke: 'rgba(255,255,255,0.06)' },
          ticks: { stroke: 'rgba(255,255,255,0.1)' },
          // 24 h, as every time in the dashboard (uPlot's default is a 12 h "4:50am").
          values: (_u, ticks, _axis, _space, incr) => timeTickLabels(ticks, incr),
        },
        {
          stroke: '#9fb0c0',
          grid: { stroke: 'rgba(255,255,255,0.06)' },
          ticks: { stroke: 'rgba(255,255,255,0.1)' },
          size: 60,
          label: unit,
          labelSize: unit ? 16 : 0,
          labelFont: '12px system-ui, sans-serif',
          font: '12px system-ui, sans-serif',
          ...(integer ? { incrs: INTEGER_INCRS } : {}),
          values: (_u, vals) => vals.map((v) => format(v)),
        },
      ],
      series: [
        {},
        {
          label: title,
          stroke: color,
          width: 2,
          fill: `${color}22`,
          spanGaps: false,
          points: { show: data[0].length < 40 },
          paths: stepped ? uPlot.paths.stepped?.({ align: 1 }) : undefined,
        },
      ],
    }
    // Each chart is built in a task of its own, so a page of charts never blocks the main
    // thread in one long stretch (input stays responsive while they draw).
    let u: uPlot | null = null
    let ro: ResizeObserver | null = null
    const timer = window.setTimeout(() => {
      const made = new uPlot(opts, dataRef.current, el)
      u = made
      plot.current = made
      ro = new ResizeObserver(() => {
        made.setSize({ width: Math.max(200, el.clientWidth), height })
      })
      ro.observe(el)
    }, 0)
    return () => {
      window.clearTimeout(timer)
      ro?.disconnect()
      u?.destroy()
      plot.current = null
    }
    // Re-create only when the look changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hasData, height, color, title, stepped, unit, integer])

  useEffect(() => {
    dataRef.current = data
    plot.current?.setData(data)
  }, [data])

  return (
    <figure className="chart" data-testid={testId} data-points={points.length}>
      <figcaption>
        {title}
        {unit ? <span className="muted small"> ({unit})</span> : null}
        <span ref={readout} className="chart-readout small" aria-hidden="true" data-testid="chart-readout" />
      </figcaption>
      {hasData ? (
        <div ref={box} className="chart-box" role="img" aria-label={`${title}${unit ? ` (${unit})` : ''}: ${summary}`} />
      ) : (
        <Empty>No data in this range yet.</Empty>
      )}
    </figure>
  )
}
