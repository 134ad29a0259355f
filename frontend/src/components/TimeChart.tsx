/**
 * A time-series line chart (uPlot) with an accessible text summary.
 *
 * Owns the uPlot instance lifecycle: create once, update data in place, follow the container
 * width, destroy on unmount. Points arrive as [unix ms, value]; uPlot wants seconds.
 */
import { useEffect, useMemo, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
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
}

export function TimeChart({ title, points, color = '#5fb3ff', height = 180, format = formatCompact, testId, stepped, range }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null)
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
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: rangeRef.current
          ? { time: true, range: () => [(rangeRef.current?.from ?? 0) / 1000, (rangeRef.current?.to ?? 0) / 1000] }
          : { time: true },
      },
      axes: [
        { stroke: '#9fb0c0', grid: { stroke: 'rgba(255,255,255,0.06)' }, ticks: { stroke: 'rgba(255,255,255,0.1)' } },
        {
          stroke: '#9fb0c0',
          grid: { stroke: 'rgba(255,255,255,0.06)' },
          ticks: { stroke: 'rgba(255,255,255,0.1)' },
          size: 60,
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
    const u = new uPlot(opts, data, el)
    plot.current = u
    const ro = new ResizeObserver(() => {
      u.setSize({ width: Math.max(200, el.clientWidth), height })
    })
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.destroy()
      plot.current = null
    }
    // Re-create only when the look changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [hasData, height, color, title, stepped])

  useEffect(() => {
    plot.current?.setData(data)
  }, [data])

  return (
    <figure className="chart" data-testid={testId} data-points={points.length}>
      <figcaption>{title}</figcaption>
      {hasData ? (
        <div ref={box} className="chart-box" role="img" aria-label={`${title}: ${summary}`} />
      ) : (
        <Empty>No data in this range yet.</Empty>
      )}
    </figure>
  )
}
