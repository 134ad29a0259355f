/**
 * First-run setup: create the first admin with the one-time token the server printed
 * (GET /api/auth/setup → {needed}; POST /api/auth/setup {token, username, password}).
 */
import { useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import { useAuth } from '../../components/Auth'
import { useAsync, useTitle } from '../../components/hooks'
import { Link, useRouter, useSearchParams } from '../../components/Router'
import { ErrorBox, Loading } from '../../components/States'

/** Same rule as the server's user API (docs/api.md: 422 under 8 characters). */
const MIN_PASSWORD = 8

export function SetupPage() {
  useTitle('First-run setup')
  const params = useSearchParams()
  const { navigate } = useRouter()
  const { refresh, signedIn } = useAuth()
  const status = useAsync((s) => api.setupStatus(s), [])
  const [token, setToken] = useState(params.get('token') ?? '')
  const [username, setUsername] = useState('admin')
  const [password, setPassword] = useState('')
  const [confirm, setConfirm] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const mismatch = confirm.length > 0 && confirm !== password
  const weak = password.length > 0 && password.length < MIN_PASSWORD

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (mismatch || weak) return
    setBusy(true)
    setError(null)
    try {
      const created = await api.setup(token.trim(), username.trim(), password)
      // The server signs the new admin in; older builds may not, so sign in explicitly then.
      const user = created?.user ?? (await api.login(username.trim(), password).catch(() => null))?.user
      if (user) signedIn(user)
      else refresh()
      navigate('/', { replace: true })
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="center-page">
      <div className="card auth-card">
        <h1>First-run setup</h1>
        {status.loading && status.data === undefined ? (
          <Loading label="Checking whether setup is needed…" />
        ) : status.error ? (
          <ErrorBox error={status.error} onRetry={status.reload} title="Cannot check setup status" />
        ) : status.data && !status.data.needed ? (
          <p data-testid="setup-done">
            Setup is already complete. <Link to="/login">Sign in</Link> or <Link to="/">open the dashboard</Link>.
          </p>
        ) : (
          <form onSubmit={submit}>
            <p className="muted">
              Create the first administrator. The setup token is printed in the server log on first start, and usually arrives in
              this page's address.
            </p>
            <label>
              Setup token
              <input value={token} onChange={(e) => setToken(e.target.value)} required autoComplete="off" spellCheck={false} />
            </label>
            <label>
              Admin username
              <input value={username} onChange={(e) => setUsername(e.target.value)} required autoComplete="username" />
            </label>
            <label>
              Password
              <input
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                required
                minLength={MIN_PASSWORD}
                autoComplete="new-password"
                aria-invalid={weak}
                aria-describedby="pw-help"
              />
            </label>
            <div id="pw-help" className={weak ? 'form-error' : 'muted small'}>
              At least {MIN_PASSWORD} characters.
            </div>
            <label>
              Confirm password
              <input
                type="password"
                value={confirm}
                onChange={(e) => setConfirm(e.target.value)}
                required
                autoComplete="new-password"
                aria-invalid={mismatch}
              />
            </label>
            {mismatch && <div className="form-error">The passwords differ.</div>}
            {error && (
              <div className="form-error" role="alert">
                {error}
              </div>
            )}
            <button type="submit" className="primary" disabled={busy || mismatch || weak || !token || !password}>
              {busy ? 'Creating…' : 'Create admin'}
            </button>
          </form>
        )}
      </div>
    </main>
  )
}
