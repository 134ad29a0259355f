/**
 * Sign in (POST /api/auth/login), then return to the page that asked for it.
 */
import { useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import { useAuth } from '../../components/Auth'
import { useTitle } from '../../components/hooks'
import { Link, useRouter, useSearchParams } from '../../components/Router'
import { safeNextPath } from '../../lib/routes'

export function LoginPage() {
  useTitle('Sign in')
  const { navigate } = useRouter()
  const params = useSearchParams()
  const { user, signedIn } = useAuth()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const next = safeNextPath(params.get('next'))

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const res = await api.login(username.trim(), password)
      signedIn(res.user)
      navigate(next, { replace: true })
    } catch (err) {
      setError(errorMessage(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="center-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Overlord</h1>
        {user && (
          <p className="muted">
            You are signed in as {user.username}. <Link to={next}>Continue</Link>
          </p>
        )}
        <label>
          Username
          <input autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy || !username || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  )
}
