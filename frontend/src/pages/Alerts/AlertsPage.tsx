/**
 * Alerts (admin): every alert kind with its webhooks, message template and on/off switch,
 * the thresholds, a "Send test" per webhook (a real post through the server's delivery
 * worker, answered with the HTTP status or the error), and the most recent alerts sent.
 * Values fixed by overlord.toml or the environment are shown read-only with where they
 * come from; the server refuses edits to them anyway.
 */
import { useState } from 'react'
import { api, errorMessage } from '../../api/client'
import { useAuth } from '../../components/Auth'
import { useAsync, useInterval, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { AsyncView, Empty } from '../../components/States'
import {
  draftFromView,
  isEmptyPatch,
  patchFromDraft,
  sourceNote,
  templateProblem,
  testResultText,
  webhookProblem,
  type AlertSettingsView,
  type AlertsDraft,
  type KindView,
  type RecentAlerts,
  type TestAnswer,
} from '../../lib/alerts'
import { formatDateTime, formatRelative } from '../../lib/format'

export default function AlertsPage() {
  useTitle('Alerts')
  const { user } = useAuth()
  const settings = useAsync((s) => api.request<AlertSettingsView>('GET', '/api/alerts/settings', { signal: s }), [])
  // Kept here: the editor is remounted with the saved settings after a save.
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  if (user?.role !== 'admin') return <Empty>Only administrators can change alerts.</Empty>
  return (
    <div>
      <PageHeader title="Alerts" sub="Discord (or any compatible) webhooks for rares, deaths, stuck and disconnected characters, level-ups and failed backups." />
      <AsyncView state={settings} loadingLabel="Loading alert settings…">
        {(view) => <AlertsEditor key={`${view.updated_ms ?? 0}`} view={view} onSaved={settings.reload} message={message} setMessage={setMessage} />}
      </AsyncView>
      {/* Below the editor, and only once it is drawn: rendered earlier it would be pushed down
          the page when the settings arrive (a layout shift on a phone). */}
      {settings.data !== undefined && <RecentList />}
    </div>
  )
}

type Message = { ok: boolean; text: string } | null

function AlertsEditor({ view, onSaved, message, setMessage }: { view: AlertSettingsView; onSaved: () => void; message: Message; setMessage: (m: Message) => void }) {
  const [draft, setDraft] = useState<AlertsDraft>(() => draftFromView(view))
  const [saving, setSaving] = useState(false)
  const patch = patchFromDraft(view, draft)
  const problems: string[] = []
  for (const k of view.kinds) {
    const d = draft.kinds[k.kind]
    if (!d) continue
    d.webhooks.forEach((u, i) => {
      const p = webhookProblem(u, view.limits.max_url_bytes)
      if (p && !k.webhooks_fixed_by) problems.push(`${k.label} webhook ${i + 1}: ${p}`)
    })
    const tp = k.template_fixed_by ? null : templateProblem(d.template, k.placeholders, view.limits.max_template_chars)
    if (tp) problems.push(`${k.label} template: ${tp}`)
  }

  const save = async () => {
    setSaving(true)
    setMessage(null)
    try {
      await api.request<AlertSettingsView>('PUT', '/api/alerts/settings', { body: patch })
      setMessage({ ok: true, text: 'Saved. The new settings are in effect now.' })
      onSaved()
    } catch (e) {
      setMessage({ ok: false, text: errorMessage(e) })
    } finally {
      setSaving(false)
    }
  }
  const setKind = (kind: string, f: (k: AlertsDraft['kinds'][string]) => AlertsDraft['kinds'][string]) =>
    setDraft((d) => {
      const cur = d.kinds[kind]
      return cur ? { ...d, kinds: { ...d.kinds, [kind]: f(cur) } } : d
    })

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        void save()
      }}
      aria-label="Alert settings"
    >
      <section className="card" aria-labelledby="thresholds-h">
        <h2 id="thresholds-h">Thresholds</h2>
        <div className="inline-form wrap">
          {view.thresholds.map((t) => (
            <label key={t.key} data-testid={`threshold-${t.key}`}>
              {t.label} ({t.unit})
              <input
                type="number"
                min={t.min}
                max={t.max}
                value={draft.thresholds[t.key] ?? ''}
                readOnly={!!t.fixed_by}
                aria-readonly={!!t.fixed_by}
                onChange={(e) => setDraft((d) => ({ ...d, thresholds: { ...d.thresholds, [t.key]: e.target.value } }))}
              />
              <span className="muted small">
                {sourceNote(t.source, t.fixed_by)} Default {t.default}.
              </span>
            </label>
          ))}
        </div>
      </section>
      {view.kinds.map((k) => (
        <KindCard key={k.kind} kind={k} draft={draft} setKind={setKind} maxHooks={view.limits.max_webhooks_per_kind} />
      ))}
      {problems.length > 0 && (
        <ul className="form-error" role="alert" data-testid="alert-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {message && (
        <div className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="alerts-save-result">
          {message.text}
        </div>
      )}
      <div className="page-actions sticky-actions">
        <button type="submit" disabled={saving || problems.length > 0 || isEmptyPatch(patch)}>
          {saving ? 'Saving…' : 'Save alert settings'}
        </button>
        <button type="button" className="secondary" disabled={saving || isEmptyPatch(patch)} onClick={() => setDraft(draftFromView(view))}>
          Discard changes
        </button>
        {view.updated_ms !== null && (
          <span className="muted small">
            Last changed {formatDateTime(view.updated_ms)}
            {view.updated_by ? ` by ${view.updated_by}` : ''}
          </span>
        )}
      </div>
    </form>
  )
}

function KindCard({
  kind: k,
  draft,
  setKind,
  maxHooks,
}: {
  kind: KindView
  draft: AlertsDraft
  setKind: (kind: string, f: (k: AlertsDraft['kinds'][string]) => AlertsDraft['kinds'][string]) => void
  maxHooks: number
}) {
  const d = draft.kinds[k.kind]
  if (!d) return null
  const hooksFixed = !!k.webhooks_fixed_by
  const templateFixed = !!k.template_fixed_by
  return (
    <section className="card" aria-labelledby={`kind-${k.kind}`} data-testid={`alert-kind-${k.kind}`}>
      <div className="page-head">
        <div>
          <h2 id={`kind-${k.kind}`}>
            {k.label} <span className={`badge ${k.active ? 'ok' : 'muted'}`}>{k.active ? 'posting' : d.webhooks.length === 0 ? 'no webhook' : 'off'}</span>
          </h2>
          <div className="muted small">{k.description}</div>
        </div>
        <label className="inline">
          <input type="checkbox" checked={d.enabled} onChange={(e) => setKind(k.kind, (c) => ({ ...c, enabled: e.target.checked }))} /> Enabled
        </label>
      </div>
      <h3>Webhooks</h3>
      {hooksFixed && <p className="muted small">{sourceNote(k.webhooks_source, k.webhooks_fixed_by)}</p>}
      {d.webhooks.length === 0 && <p className="muted small">No webhook: this alert is not posted.</p>}
      <ul className="plain-list">
        {d.webhooks.map((u, i) => (
          <li key={i} className="inline-form wrap">
            <label className="grow">
              Webhook {i + 1}
              <input
                type="url"
                value={u}
                readOnly={hooksFixed}
                aria-readonly={hooksFixed}
                placeholder="https://discord.com/api/webhooks/…"
                autoComplete="off"
                spellCheck={false}
                onChange={(e) => setKind(k.kind, (c) => ({ ...c, webhooks: c.webhooks.map((x, j) => (j === i ? e.target.value : x)) }))}
              />
            </label>
            <TestButton kind={k} index={i} url={u} saved={k.webhooks[i] === u.trim()} template={d.template !== (k.template ?? '') ? d.template : null} />
            {!hooksFixed && (
              <button type="button" className="link-btn" onClick={() => setKind(k.kind, (c) => ({ ...c, webhooks: c.webhooks.filter((_, j) => j !== i) }))}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {!hooksFixed && d.webhooks.length < maxHooks && (
        <button type="button" className="secondary" onClick={() => setKind(k.kind, (c) => ({ ...c, webhooks: [...c.webhooks, ''] }))}>
          Add webhook
        </button>
      )}
      <h3>Message</h3>
      <label className="block">
        Template (empty: the default message)
        <textarea
          rows={2}
          value={d.template}
          readOnly={templateFixed}
          aria-readonly={templateFixed}
          placeholder={k.default_example}
          onChange={(e) => setKind(k.kind, (c) => ({ ...c, template: e.target.value }))}
        />
      </label>
      {templateFixed && <p className="muted small">{sourceNote(k.template_source, k.template_fixed_by)}</p>}
      <p className="muted small">
        Placeholders:{' '}
        {k.placeholders.map((p) => (
          <code key={p}>{`{${p}}`} </code>
        ))}
      </p>
      <p className="muted small">
        Default message: <span data-testid={`default-${k.kind}`}>{k.default_example}</span>
      </p>
    </section>
  )
}

function TestButton({ kind, index, url, saved, template }: { kind: KindView; index: number; url: string; saved: boolean; template: string | null }) {
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null)
  const problem = webhookProblem(url)
  const send = async () => {
    setBusy(true)
    setResult(null)
    try {
      // A saved webhook is named by its place (the server holds its full URL, also when
      // it comes from overlord.toml); one typed but not saved yet is sent as typed.
      const body: Record<string, unknown> = saved ? { kind: kind.kind, index } : { kind: kind.kind, url: url.trim() }
      if (template !== null) body.template = template
      const r = await api.request<TestAnswer>('POST', '/api/alerts/test', { body, timeoutMs: 30_000 })
      setResult({ ok: r.done && r.delivered, text: testResultText(r) })
    } catch (e) {
      setResult({ ok: false, text: errorMessage(e) })
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button type="button" className="secondary" disabled={busy || url.trim() === '' || problem !== null} onClick={() => void send()}>
        {busy ? 'Sending…' : 'Send test'}
      </button>
      {result && (
        <span className={result.ok ? 'ok-text' : 'error-text'} role="status" data-testid="test-result">
          {result.text}
        </span>
      )}
    </>
  )
}

function RecentList() {
  const recent = useAsync((s) => api.request<RecentAlerts>('GET', '/api/alerts/recent', { signal: s }), [])
  useInterval(recent.reload, 15_000)
  const now = useNow(30_000)
  return (
    <section className="card" aria-labelledby="recent-h">
      <h2 id="recent-h">Recent alerts</h2>
      <AsyncView state={recent} isEmpty={(d) => d.recent.length === 0} empty="No alert has been posted since the server started." loadingLabel="Loading recent alerts…">
        {(d) => (
          <>
            <p className="muted small" data-testid="alert-stats">
              {d.stats.active ? 'Alerts are on.' : 'No alert is posting.'} Since start: {d.stats.sent} sent, {d.stats.dropped} dropped, {d.stats.queued} waiting, {d.stats.rate_limited} rate-limited
              answers.
            </p>
            <div className="table-wrap">
              <table className="table" data-testid="recent-alerts">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Message</th>
                    <th scope="col">Webhook</th>
                    <th scope="col">Result</th>
                  </tr>
                </thead>
                <tbody>
                  {d.recent.map((a, i) => (
                    <tr key={`${a.at_ms}-${i}`}>
                      <td title={formatDateTime(a.at_ms)}>{formatRelative(a.at_ms, now)}</td>
                      <td>
                        {a.kind}
                        {a.test ? ' (test)' : ''}
                      </td>
                      <td>{a.line}</td>
                      <td>
                        <code>{a.webhook}</code>
                      </td>
                      <td className={a.delivered ? 'ok-text' : 'error-text'}>
                        {a.delivered ? `sent${a.status !== null ? ` (HTTP ${a.status})` : ''}` : `failed: ${a.error ?? ''}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </AsyncView>
    </section>
  )
}
