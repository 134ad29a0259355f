/**
 * Overview, the landing page: one glance at what needs attention — who is online, low on
 * health or tapers, stuck, disconnected or idle — then recent rares, deaths and level-ups,
 * the group's kills/h and XP/h now, and what the alerts sent.
 *
 * Live figures come from the live socket (lib/overview holds their definitions); deaths and
 * level-ups from GET /api/overview; stuck and disconnected from GET /api/attention (the
 * server's single detection; an honest "not available" when the server has no such
 * endpoint).
 */
import { api, ApiError } from '../../api/client'
import type { AttentionResponse } from '../../api/types'
import { useAsync, useInterval, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Link } from '../../components/Router'
import { AsyncView, Empty, ErrorBox, Loading } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { formatCompact, formatInt, formatPercent, formatRelative } from '../../lib/format'
import { sessionFigures } from '../../lib/figures'
import { LOW_HEALTH_RATIO, LOW_TAPERS, overviewFigures } from '../../lib/overview'
import { characterPath } from '../../lib/routes'

/** How often the server-side sections refresh. */
const REFRESH_MS = 30_000

function Who({ name }: { name: string }) {
  return <Link to={characterPath(name)}>{name}</Link>
}

function Stat({ label, value, testid }: { label: string; value: string; testid: string }) {
  return (
    <div className="stat" data-testid={testid}>
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
    </div>
  )
}

/** Attention: the server's stuck/disconnected lists, or "not available" when it has none. */
function useAttention() {
  const state = useAsync<AttentionResponse | 'unavailable'>(
    (s) =>
      api.attention(s).catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 404) return 'unavailable' as const
        throw e
      }),
    [],
  )
  useInterval(state.reload, REFRESH_MS)
  return state
}

function roundOrNull(v: number | null): number | null {
  return v === null ? null : Math.round(v)
}

export default function OverviewPage() {
  useTitle('Overview')
  const live = useLiveState()
  const now = useNow(5_000)
  const f = overviewFigures(live.characters.values())
  const attention = useAttention()
  const server = useAsync((s) => api.overview(s), [])
  const rares = useAsync((s) => api.rares({ limit: 8 }, s), [])
  useInterval(server.reload, REFRESH_MS)
  useInterval(rares.reload, REFRESH_MS)

  const att = attention.data
  return (
    <div className="overview">
      <PageHeader title="Overview" sub="What needs your attention now" />
      <div className="stats" aria-label="Group now">
        <Stat testid="ov-online" label="online" value={live.loaded ? formatInt(f.online.length) : '…'} />
        <Stat testid="ov-kph" label="kills/h (group, now)" value={formatInt(Math.round(f.killsPerHour))} />
        <Stat testid="ov-xph" label="XP/h (group, now)" value={formatCompact(f.xpPerHour)} />
        <Stat testid="ov-alerts" label={server.data?.alerts.active ? 'alerts sent' : 'alerts sent (no webhook set)'} value={server.data ? formatInt(server.data.alerts.sent) : '…'} />
      </div>

      <div className="grid-3 overview-grid">
        <section className="card" aria-labelledby="ov-attention" data-testid="ov-attention">
          <h2 id="ov-attention">Needs attention</h2>
          <h3>Low health (&lt; {formatPercent(LOW_HEALTH_RATIO)})</h3>
          {f.lowHealth.length === 0 ? (
            <p className="muted">Nobody.</p>
          ) : (
            <ul className="plain">
              {f.lowHealth.map((c) => (
                <li key={c.name} className="bad">
                  <Who name={c.name} /> — {formatPercent(c.ratio)} health
                </li>
              ))}
            </ul>
          )}
          <h3>Low tapers (&lt; {formatInt(LOW_TAPERS)})</h3>
          {f.lowTapers.length === 0 ? (
            <p className="muted">Nobody.</p>
          ) : (
            <ul className="plain">
              {f.lowTapers.map((c) => (
                <li key={c.name} className="warn">
                  <Who name={c.name} /> — {formatInt(c.tapers)} tapers
                </li>
              ))}
            </ul>
          )}
          <h3>Stuck</h3>
          <div data-testid="ov-stuck">
            {att === undefined ? (
              attention.error ? <ErrorBox error={attention.error} onRetry={attention.reload} /> : <Loading />
            ) : att === 'unavailable' ? (
              <p className="muted" data-state="unavailable">
                Not available: this server does not report stuck characters yet.
              </p>
            ) : att.stuck.length === 0 ? (
              <p className="muted">Nobody.</p>
            ) : (
              <ul className="plain">
                {att.stuck.map((s) => (
                  <li key={s.name} className="warn">
                    <Who name={s.name} /> — stuck since {formatRelative(s.since_ms, now)}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <h3>Disconnected</h3>
          <div data-testid="ov-disconnected">
            {att === undefined ? null : att === 'unavailable' ? (
              <p className="muted" data-state="unavailable">
                Not available: this server does not report disconnections yet.
              </p>
            ) : att.disconnected.length === 0 ? (
              <p className="muted">Nobody.</p>
            ) : (
              <ul className="plain">
                {att.disconnected.map((s) => (
                  <li key={s.name} className="warn">
                    <Who name={s.name} /> — {formatRelative(s.since_ms, now)}
                  </li>
                ))}
              </ul>
            )}
          </div>
          <h3>Idle</h3>
          {f.idle.length === 0 ? (
            <p className="muted">Nobody.</p>
          ) : (
            <p data-testid="ov-idle">
              {f.idle.map((n, i) => (
                <span key={n}>
                  {i > 0 && ', '}
                  <Who name={n} />
                </span>
              ))}
            </p>
          )}
        </section>

        <section className="card" aria-labelledby="ov-online-h" data-testid="ov-online-list">
          <h2 id="ov-online-h">Online ({f.online.length})</h2>
          {!live.loaded ? (
            <Loading />
          ) : f.online.length === 0 ? (
            <Empty>Nobody is online.</Empty>
          ) : (
            <table className="table compact">
              <caption className="sr-only">Online characters</caption>
              <thead>
                <tr>
                  <th scope="col">Character</th>
                  <th scope="col">Doing</th>
                  <th scope="col" className="num">
                    Kills/h
                  </th>
                  <th scope="col" className="num">
                    Health
                  </th>
                </tr>
              </thead>
              <tbody>
                {f.online.map((c) => {
                  const hp = c.vitals?.health
                  const max = c.vitals?.health_max
                  return (
                    <tr key={c.name}>
                      <th scope="row">
                        <Who name={c.name} />
                      </th>
                      <td>{c.telemetry.vt_state ?? '—'}</td>
                      <td className="num">{formatInt(roundOrNull(sessionFigures(c).killsPerHour))}</td>
                      <td className="num">{hp != null && max ? formatPercent(hp / max) : '—'}</td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          )}
        </section>

        <section className="card" aria-labelledby="ov-recent" data-testid="ov-recent">
          <h2 id="ov-recent">Recent</h2>
          <h3>Rares</h3>
          <AsyncView state={rares} isEmpty={(d) => d.rares.length === 0} empty="No rare found yet.">
            {(d) => (
              <ul className="plain" data-testid="ov-rares">
                {d.rares.map((r) => (
                  <li key={`${r.t}-${r.character_name}`}>
                    <strong>{r.rare_name}</strong> — <Who name={r.character_name} />, {formatRelative(r.t, now)}
                  </li>
                ))}
              </ul>
            )}
          </AsyncView>
          <AsyncView state={server}>
            {(d) => (
              <>
                <h3>Deaths (last 6 h)</h3>
                {d.deaths.length === 0 ? (
                  <p className="muted">None.</p>
                ) : (
                  <ul className="plain" data-testid="ov-deaths">
                    {d.deaths.map((m) => (
                      <li key={`${m.t}-${m.character_name}`} className="bad">
                        <Who name={m.character_name} /> died, {formatRelative(m.t, now)}
                      </li>
                    ))}
                  </ul>
                )}
                <h3>Level-ups (last 6 h)</h3>
                {d.level_ups.length === 0 ? (
                  <p className="muted">None.</p>
                ) : (
                  <ul className="plain" data-testid="ov-levelups">
                    {d.level_ups.map((m) => (
                      <li key={`${m.t}-${m.character_name}`} className="ok">
                        <Who name={m.character_name} /> reached level {m.value}, {formatRelative(m.t, now)}
                      </li>
                    ))}
                  </ul>
                )}
                {d.partial && <p className="muted small">Partial: the scan stopped at its row budget.</p>}
              </>
            )}
          </AsyncView>
        </section>
      </div>
    </div>
  )
}
