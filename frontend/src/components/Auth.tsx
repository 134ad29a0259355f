/**
 * Who is signed in, as React context.
 *
 * Owns the GET /api/auth/me probe and sign-out. A 401 from any API call sends the user to
 * the Login page (installed in App); requests from the server's own host are trusted as admin
 * by the loopback rule, so there the probe simply answers admin.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react'
import { api, ApiError, isAbortError } from '../api/client'
import type { User } from '../api/types'

interface AuthValue {
  user: User | null
  /** True until the first probe has answered. */
  checking: boolean
  /** Set when the probe failed for a reason other than 401. */
  error: unknown
  refresh: () => void
  /** Records a successful sign-in at once, so no page sees the old signed-out state. */
  signedIn: (user: User) => void
  logout: () => Promise<void>
}

const AuthContext = createContext<AuthValue | null>(null)

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null)
  const [checking, setChecking] = useState(true)
  const [error, setError] = useState<unknown>(null)
  const [tick, setTick] = useState(0)

  useEffect(() => {
    const ctrl = new AbortController()
    api
      .me(ctrl.signal)
      .then((u) => {
        setUser(u)
        setError(null)
        setChecking(false)
      })
      .catch((e: unknown) => {
        if (isAbortError(e)) return
        // The dashboard ships inside its server, so the endpoint always exists: anything
        // but a 401 (not signed in) is an error to show, never a guessed user.
        setUser(null)
        setError(e instanceof ApiError && e.status === 401 ? null : e)
        setChecking(false)
      })
    return () => ctrl.abort()
  }, [tick])

  const refresh = useCallback(() => {
    setChecking(true)
    setTick((t) => t + 1)
  }, [])
  const signedIn = useCallback((u: User) => {
    setUser(u)
    setError(null)
    setChecking(false)
  }, [])
  const logout = useCallback(async () => {
    try {
      await api.logout()
    } finally {
      setUser(null)
      setTick((t) => t + 1)
    }
  }, [])

  const value = useMemo(() => ({ user, checking, error, refresh, signedIn, logout }), [user, checking, error, refresh, signedIn, logout])
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext)
  if (!v) throw new Error('useAuth must be used inside AuthProvider')
  return v
}
