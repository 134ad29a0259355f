/**
 * The character's history charts from GET /series, with a range picker.
 */
import { useEffect, useRef, useState } from 'react'
import { api } from '../../api/client'
import type { SeriesMetric, SeriesResponse } from '../../api/types'
import { TimeChart } from '../../components/TimeChart'
import { useAsync, useInterval } from '../../components/hooks'
import { ErrorBox, Loading } from '../../components/States'
import { formatCompact, formatDecimal, formatInt, timeZoneLabel } from '../../lib/format'
import { mapLimit } from '../../lib/pool'
import { fitRange, presetById, RANGE_PRESETS, rangeEndingAt, stepForRange } from '../../lib/timeRange'

interface ChartDef {
  metric: SeriesMetric
  title: string
  /** What the y axis counts, shown on the axis and in the hover readout. */
  unit: string
  color: string
  format: (v: number | null | undefined) => string
  stepped?: boolean
  /** Whole numbers only: the axis ticks at integers. */
  integer?: boolean
}

const CHARTS: ChartDef[] = [
  { metric: 'kills_per_hour', title: 'Kills per hour', unit: 'kills/h', color: '#ffb347', format: formatDecimal },
  { metric: 'xp_per_hour', title: 'XP per hour', unit: 'XP/h', color: '#7ddc8a', format: formatCompact },
  { metric: 'kills', title: 'Kills (session)', unit: 'kills', color: '#f58b6a', format: formatInt, integer: true },
  { metric: 'deaths', title: 'Deaths (session)', unit: 'deaths', color: '#ff6b81', format: formatInt, stepped: true, integer: true },
  { metric: 'level', title: 'Level', unit: 'level', color: '#5fb3ff', format: formatInt, stepped: true, integer: true },
  { metric: 'prismatic_taper_count', title: 'Prismatic Tapers', unit: 'tapers', color: '#c39bff', format: formatInt, integer: true },
]

/** The default range: fitted to the data that exists (see lib/timeRange fitRange). */
const FIT = 'fit'

/** Short ranges refresh on their own so a live session keeps drawing. */
const AUTO_REFRESH_MS = 60_000
const AUTO_REFRESH_MAX_RANGE_MS = 24 * 3_600_000

export function CharacterCharts({ name, sessionSeconds, firstSeenMs }: { name: string; sessionSeconds?: number | null; firstSeenMs?: number | null }) {
  const [rangeId, setRangeId] = useState(FIT)
  const preset = presetById(rangeId)
  // The fitted range follows the session start, read once per load (not on every telemetry tick).
  const fitRef = useRef({ sessionSeconds, firstSeenMs })
  useEffect(() => {
    fitRef.current = { sessionSeconds, firstSeenMs }
  })
  const fitKnown = typeof sessionSeconds === 'number' || typeof firstSeenMs === 'number'
  const series = useAsync(
    async (signal) => {
      const { from, to } = rangeId === FIT ? fitRange({ ...fitRef.current, nowMs: Date.now() }) : rangeEndingAt(preset, Date.now())
      const stepS = stepForRange(to - from)
      const res = await mapLimit(CHARTS, 3, (c) => api.series(name, { metric: c.metric, from, to, stepS }, signal))
      const out = new Map<SeriesMetric, SeriesResponse | Error>()
      res.forEach((r, i) => {
        const def = CHARTS[i]
        if (!def) return
        out.set(def.metric, r.ok ? r.value : r.error instanceof Error ? r.error : new Error(String(r.error)))
      })
      return { series: out, range: { from, to } }
    },
    [name, rangeId, fitKnown],
  )
  useInterval(series.reload, rangeId === FIT || preset.ms <= AUTO_REFRESH_MAX_RANGE_MS ? AUTO_REFRESH_MS : null)

  return (
    <section className="card" aria-labelledby="charts-title">
      <div className="card-head">
        <h2 id="charts-title">
          History <span className="muted small">times in {timeZoneLabel()}, 24 h</span>
        </h2>
        <div className="seg" role="radiogroup" aria-label="Chart range">
          <button type="button" role="radio" aria-checked={rangeId === FIT} className={rangeId === FIT ? 'on' : ''} onClick={() => setRangeId(FIT)} title="Fit the range to the data that exists">
            fit
          </button>
          {RANGE_PRESETS.map((p) => (
            <button key={p.id} type="button" role="radio" aria-checked={p.id === rangeId} className={p.id === rangeId ? 'on' : ''} onClick={() => setRangeId(p.id)}>
              {p.id}
            </button>
          ))}
        </div>
      </div>
      {series.data === undefined ? (
        series.error ? (
          <ErrorBox error={series.error} onRetry={series.reload} />
        ) : (
          <Loading label="Loading charts…" />
        )
      ) : (
        <div className="chart-grid">
          {CHARTS.map((c) => {
            const r = series.data?.series.get(c.metric)
            if (r instanceof Error) return <ErrorBox key={c.metric} error={r} title={`${c.title} could not be loaded`} />
            return (
              <TimeChart
                key={c.metric}
                title={c.title}
                points={r?.points ?? []}
                color={c.color}
                unit={c.unit}
                integer={c.integer}
                format={c.format}
                stepped={c.stepped}
                range={series.data?.range}
                testId={`chart-${c.metric}`}
              />
            )
          })}
        </div>
      )}
    </section>
  )
}
