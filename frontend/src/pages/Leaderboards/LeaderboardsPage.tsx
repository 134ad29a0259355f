/**
 * Leaderboards: kills, rares, deaths and XP for a chosen period (GET /api/leaderboard).
 */
import { useState } from 'react'
import { api } from '../../api/client'
import type { LeaderboardMetric, LeaderboardPeriod } from '../../api/types'
import { useAsync, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { AsyncView } from '../../components/States'
import { formatCompact, formatInt } from '../../lib/format'
import { characterPath } from '../../lib/routes'

const PERIODS: { id: LeaderboardPeriod; label: string }[] = [
  { id: 'day', label: 'Today' },
  { id: 'week', label: 'This week' },
  { id: 'month', label: 'This month' },
  { id: 'all', label: 'All time' },
]

const METRICS: { id: LeaderboardMetric; label: string; format: (v: number) => string }[] = [
  { id: 'kills', label: 'Kills', format: formatInt },
  { id: 'xp', label: 'XP earned', format: formatCompact },
  { id: 'rares', label: 'Rares', format: formatInt },
  { id: 'deaths', label: 'Deaths', format: formatInt },
]

/** Rows shown per board. */
const BOARD_ROWS = 25

function Board({ metric, period }: { metric: (typeof METRICS)[number]; period: LeaderboardPeriod }) {
  const state = useAsync((s) => api.leaderboard(metric.id, period, s), [metric.id, period])
  return (
    <section className="card" aria-labelledby={`lb-${metric.id}`}>
      <h2 id={`lb-${metric.id}`}>{metric.label}</h2>
      <AsyncView state={state} isEmpty={(d) => d.rows.length === 0} empty="No data for this period.">
        {(d) => (
          <ol className="board" data-testid={`board-${metric.id}`}>
            {d.rows.slice(0, BOARD_ROWS).map((r, i) => (
              <li key={r.character_name}>
                <span className="rank">{i + 1}</span>
                <Link to={characterPath(r.character_name)}>{r.character_name}</Link>
                <span className="num">{metric.format(r.value)}</span>
              </li>
            ))}
          </ol>
        )}
      </AsyncView>
    </section>
  )
}

export default function LeaderboardsPage() {
  useTitle('Leaderboards')
  const [period, setPeriod] = useState<LeaderboardPeriod>('week')
  return (
    <div>
      <PageHeader title="Leaderboards">
        <div className="seg" role="radiogroup" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.id} type="button" role="radio" aria-checked={period === p.id} className={period === p.id ? 'on' : ''} onClick={() => setPeriod(p.id)}>
              {p.label}
            </button>
          ))}
        </div>
      </PageHeader>
      <div className="grid-4">
        {METRICS.map((m) => (
          <Board key={m.id} metric={m} period={period} />
        ))}
      </div>
    </div>
  )
}
