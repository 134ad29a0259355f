/**
 * API tokens: create one (the secret is shown once), list yours (an admin sees everyone's),
 * revoke. Scopes above your role are refused by the server; the form only offers yours.
 */
import { useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import type { Role } from '../../api/types'
import { useAuth } from '../../components/Auth'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { AsyncView } from '../../components/States'
import { formatDateTime, formatRelative } from '../../lib/format'

export type TokenScope = 'read' | 'command' | 'admin'

export interface TokenInfo {
  id: string
  name: string
  username: string
  scope: TokenScope
  created_ms: number
  expires_ms: number | null
  last_used_ms: number | null
}

const SCOPES_BY_ROLE: Record<Role, TokenScope[]> = {
  viewer: ['read'],
  member: ['read', 'command'],
  admin: ['read', 'command', 'admin'],
}

export default function TokensPage() {
  useTitle('API tokens')
  const { user } = useAuth()
  const tokens = useAsync((s) => api.request<{ tokens: TokenInfo[] }>('GET', '/api/tokens', { signal: s }), [])
  const now = useNow(30_000)
  const [error, setError] = useState<string | null>(null)
  const [secret, setSecret] = useState<string | null>(null)
  const scopes = SCOPES_BY_ROLE[user?.role ?? 'viewer']

  const create = async (name: string, scope: TokenScope, days: number | null) => {
    setError(null)
    setSecret(null)
    try {
      const body: Record<string, unknown> = { name, scope }
      if (days !== null) body.expires_in_days = days
      const made = await api.request<{ token: string }>('POST', '/api/tokens', { body })
      setSecret(made.token)
      tokens.reload()
    } catch (e) {
      setError(errorMessage(e))
    }
  }
  const revoke = async (t: TokenInfo) => {
    if (!window.confirm(`Revoke "${t.name}"? Programs using it stop working at once.`)) return
    setError(null)
    try {
      await api.request<void>('DELETE', `/api/tokens/${encodeURIComponent(t.id)}`)
      tokens.reload()
    } catch (e) {
      setError(errorMessage(e))
    }
  }

  return (
    <div>
      <PageHeader title="API tokens" sub="For bots and scripts: send it as Authorization: Bearer <token>" />
      <CreateToken scopes={scopes} onCreate={create} />
      {secret && (
        <div className="form-ok" role="status" data-testid="new-token">
          Copy this token now; it is not shown again: <code>{secret}</code>
        </div>
      )}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <AsyncView state={tokens} isEmpty={(d) => d.tokens.length === 0} empty="No tokens yet." loadingLabel="Loading tokens…">
        {(d) => (
          <div className="table-wrap">
            <table className="table" data-testid="tokens-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">User</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.tokens.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">{t.name}</th>
                    <td>{t.username}</td>
                    <td>{t.scope}</td>
                    <td title={formatDateTime(t.created_ms)}>{formatRelative(t.created_ms, now)}</td>
                    <td title={t.last_used_ms ? formatDateTime(t.last_used_ms) : undefined}>{t.last_used_ms ? formatRelative(t.last_used_ms, now) : 'never'}</td>
                    <td title={t.expires_ms ? formatDateTime(t.expires_ms) : undefined}>{t.expires_ms ? formatDateTime(t.expires_ms) : 'never'}</td>
                    <td>
                      <button type="button" className="danger" onClick={() => void revoke(t)}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </AsyncView>
    </div>
  )
}

function CreateToken({ scopes, onCreate }: { scopes: TokenScope[]; onCreate: (name: string, scope: TokenScope, days: number | null) => Promise<void> }) {
  const [name, setName] = useState('')
  const [scope, setScope] = useState<TokenScope>('read')
  const [days, setDays] = useState('365')
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const d = days.trim() === '' ? null : Number(days)
    await onCreate(name.trim(), scope, d)
    setName('')
  }
  return (
    <form className="card inline-form wrap" onSubmit={submit} aria-label="Create token">
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={64} placeholder="discord bot" autoComplete="off" />
      </label>
      <label>
        Scope
        <select value={scope} onChange={(e) => setScope(e.target.value as TokenScope)}>
          {scopes.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Expires in days (empty: never)
        <input type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
      </label>
      <button type="submit" disabled={name.trim() === ''}>
        Create token
      </button>
    </form>
  )
}
