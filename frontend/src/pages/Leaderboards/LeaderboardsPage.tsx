/**
 * Leaderboards: gains per period (GET /api/leaderboard/gains) — kills, XP, levels, rares and
 * deaths each character gained today, this week or this month, ranked by one of them, with the rank
 * change against the previous period — and the all-time totals (GET /api/leaderboard).
 */
import { useState } from 'react'
import { api } from '../../api/client'
import type { GainRow, GainsMetric, LeaderboardMetric, LeaderboardPeriod } from '../../api/types'
import { useAsync, useInterval, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { AsyncView } from '../../components/States'
import { formatCompact, formatDuration, formatInt, formatRankChange } from '../../lib/format'
import { characterPath } from '../../lib/routes'

type GainPeriod = Exclude<LeaderboardPeriod, 'all'>

const PERIODS: { id: LeaderboardPeriod; label: string }[] = [
  { id: 'day', label: 'Day' },
  { id: 'week', label: 'Week' },
  { id: 'month', label: 'Month' },
  { id: 'all', label: 'All time' },
]

const PERIOD_TEXT: Record<GainPeriod, string> = { day: 'the last 24 h', week: 'the last 7 days', month: 'the last 30 days' }

const METRICS: { id: LeaderboardMetric; label: string; format: (v: number) => string }[] = [
  { id: 'kills', label: 'Kills', format: formatInt },
  { id: 'xp', label: 'XP', format: formatCompact },
  { id: 'rares', label: 'Rares', format: formatInt },
  { id: 'deaths', label: 'Deaths', format: formatInt },
]

/** Columns of the gains table, in order; `level` exists for gains only. */
const GAIN_METRICS: { id: GainsMetric; label: string; format: (v: number) => string; value: (r: GainRow) => number }[] = [
  { id: 'kills', label: 'Kills', format: formatInt, value: (r) => r.kills },
  { id: 'xp', label: 'XP', format: formatCompact, value: (r) => r.xp },
  { id: 'level', label: 'Levels', format: formatInt, value: (r) => r.levels },
  { id: 'rares', label: 'Rares', format: formatInt, value: (r) => r.rares },
  { id: 'deaths', label: 'Deaths', format: formatInt, value: (r) => r.deaths },
]

/** "+3 (lvl 104)": levels gained and the level reached. */
function levelCell(r: GainRow): string {
  const gained = r.levels === 0 ? '0' : `+${formatInt(r.levels)}`
  return r.level === null ? gained : `${gained} (lvl ${r.level})`
}

/** Rows shown per board. */
const BOARD_ROWS = 25
/** Boards and gains follow the game while the page stays open. */
const REFRESH_MS = 30_000

function Board({ metric }: { metric: (typeof METRICS)[number] }) {
  const state = useAsync((s) => api.leaderboard(metric.id, 'all', s), [metric.id])
  useInterval(state.reload, REFRESH_MS)
  return (
    <section className="card" aria-labelledby={`lb-${metric.id}`}>
      <h2 id={`lb-${metric.id}`}>{metric.label}</h2>
      <AsyncView state={state} isEmpty={(d) => d.rows.length === 0} empty="No data yet.">
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

function changeClass(c: number | null): string {
  if (c === null) return 'rank-new'
  return c > 0 ? 'rank-up' : c < 0 ? 'rank-down' : 'rank-same'
}

function GainsTable({ period, metric }: { period: GainPeriod; metric: GainsMetric }) {
  const state = useAsync((s) => api.gains(metric, period, s), [metric, period])
  useInterval(state.reload, REFRESH_MS)
  return (
    <AsyncView state={state} isEmpty={(d) => d.rows.length === 0} empty={`Nobody gained any ${metric === 'level' ? 'levels' : metric} in ${PERIOD_TEXT[period]}.`}>
      {(d) => (
        <div className="table-wrap">
          <table className="table gains" data-testid="gains-table">
            <caption className="sr-only">
              Gains in {PERIOD_TEXT[period]}, ranked by {metric}
            </caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Rank
                </th>
                <th scope="col">Change</th>
                <th scope="col">Character</th>
                {GAIN_METRICS.map((m) => (
                  <th key={m.id} scope="col" className={`num${m.id === metric ? ' sorted' : ''}`} aria-sort={m.id === metric ? 'descending' : undefined}>
                    {m.label}
                  </th>
                ))}
                <th scope="col" className="num">
                  Online
                </th>
              </tr>
            </thead>
            <tbody>
              {d.rows.map((r: GainRow) => (
                <tr key={r.character_name}>
                  <td className="num">{r.rank}</td>
                  <td className={changeClass(r.rank_change)} data-testid="rank-change" title={r.previous_rank ? `Rank ${r.previous_rank} in the previous period` : 'No gain in the previous period'}>
                    {formatRankChange(r.rank_change)}
                  </td>
                  <th scope="row">
                    <Link to={characterPath(r.character_name)}>{r.character_name}</Link>
                  </th>
                  {GAIN_METRICS.map((m) => (
                    <td key={m.id} className="num" data-metric={m.id}>
                      {m.id === 'level' ? levelCell(r) : m.id === 'xp' || m.value(r) === 0 ? m.format(m.value(r)) : `+${m.format(m.value(r))}`}
                    </td>
                  ))}
                  <td className="num">{formatDuration(r.online_s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </AsyncView>
  )
}

export default function LeaderboardsPage() {
  useTitle('Leaderboards')
  const [period, setPeriod] = useState<LeaderboardPeriod>('day')
  const [metric, setMetric] = useState<GainsMetric>('kills')
  return (
    <div>
      <PageHeader title="Leaderboards" sub={period === 'all' ? 'Totals since the first stored day' : `Gains in ${PERIOD_TEXT[period]}; change is against the ${PERIOD_TEXT[period].replace('the last', 'previous')}`}>
        <div className="seg" role="radiogroup" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.id} type="button" role="radio" aria-checked={period === p.id} className={period === p.id ? 'on' : ''} onClick={() => setPeriod(p.id)}>
              {p.label}
            </button>
          ))}
        </div>
        {period !== 'all' && (
          <div className="seg" role="radiogroup" aria-label="Rank by">
            {GAIN_METRICS.map((m) => (
              <button key={m.id} type="button" role="radio" aria-checked={metric === m.id} className={metric === m.id ? 'on' : ''} onClick={() => setMetric(m.id)}>
                {m.label}
              </button>
            ))}
          </div>
        )}
      </PageHeader>
      {period === 'all' ? (
        <div className="grid-4">
          {METRICS.map((m) => (
            <Board key={m.id} metric={m} />
          ))}
        </div>
      ) : (
        <GainsTable period={period} metric={metric} />
      )}
    </div>
  )
}
