/**
 * The signed-in frame: a sidebar (navigation, build version, live-connection state, user)
 * that collapses behind a menu button at phone width, and the page area.
 */
import { useEffect, useState, type ReactNode } from 'react'
import { api } from '../api/client'
import type { VersionInfo } from '../api/types'
import { useLiveStatus } from '../live/LiveProvider'
import type { RouteName } from '../lib/routes'
import { useAuth } from './Auth'
import { Link, useRouter } from './Router'

interface NavItem {
  to: string
  label: string
  route: RouteName
  adminOnly?: boolean
}

const NAV: NavItem[] = [
  { to: '/', label: 'Overview', route: 'overview' },
  { to: '/map', label: 'Map', route: 'map' },
  { to: '/characters', label: 'Characters', route: 'characters' },
  { to: '/rares', label: 'Rares', route: 'rares' },
  { to: '/portals', label: 'Portals', route: 'portals' },
  { to: '/spawns', label: 'Spawn heatmap', route: 'spawns' },
  { to: '/leaderboards', label: 'Leaderboards', route: 'leaderboards' },
  { to: '/chat', label: 'Chat', route: 'chat' },
  { to: '/notes', label: 'Notes', route: 'notes' },
  { to: '/items', label: 'Items', route: 'items' },
  { to: '/suits', label: 'Suit builder', route: 'suits' },
  { to: '/users', label: 'Users', route: 'users', adminOnly: true },
  { to: '/tokens', label: 'API tokens', route: 'tokens' },
  { to: '/backups', label: 'Backups', route: 'backups', adminOnly: true },
  { to: '/alerts', label: 'Alerts', route: 'alerts', adminOnly: true },
]

function ConnectionBadge() {
  const { status } = useLiveStatus()
  const text =
    status.state === 'open'
      ? 'Live'
      : status.state === 'connecting'
        ? 'Connecting…'
        : status.state === 'reconnecting'
          ? `Reconnecting${status.retryInMs ? ` in ${Math.ceil(status.retryInMs / 1000)}s` : '…'}`
          : 'Offline'
  return (
    <div className={`conn conn-${status.state}`} role="status" aria-live="polite" data-testid="live-status" data-state={status.state}>
      <span className="conn-dot" aria-hidden="true" />
      {text}
    </div>
  )
}

export function Layout({ children }: { children: ReactNode }) {
  const { route, navigate } = useRouter()
  const { user, logout } = useAuth()
  const [open, setOpen] = useState(false)
  const [version, setVersion] = useState<VersionInfo | null>(null)

  useEffect(() => {
    const ctrl = new AbortController()
    api
      .version(ctrl.signal)
      .then(setVersion)
      .catch(() => setVersion(null))
    return () => ctrl.abort()
  }, [])

  const active = route.name === 'character' ? 'characters' : route.name
  return (
    <div className={`shell${open ? ' nav-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-btn"
          aria-expanded={open}
          aria-controls="sidebar"
          aria-label={open ? 'Close menu' : 'Open menu'}
          onClick={() => setOpen((o) => !o)}
        >
          ☰
        </button>
        <span className="brand">Overlord</span>
        <ConnectionBadge />
      </header>
      <nav id="sidebar" className="sidebar" aria-label="Main">
        <div className="brand brand-side">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <circle cx="16" cy="16" r="9" fill="none" stroke="#5fb3ff" strokeWidth="2.5" />
            <path d="M16 9l3 7h-6z" fill="#ffb347" />
          </svg>
          Overlord
        </div>
        {/* A click on any link closes the phone menu. */}
        <ul onClick={() => setOpen(false)}>
          {NAV.filter((n) => !n.adminOnly || user?.role === 'admin').map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={active === n.route ? 'page' : undefined} className={active === n.route ? 'active' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <ConnectionBadge />
          {user && (
            <div className="who">
              <span>
                {user.username} <span className="muted">({user.role})</span>
              </span>
              {user.via === 'loopback' ? (
                <span className="muted small" data-testid="loopback-note" title="Requests from this machine (loopback) are trusted as admin without a session, so there is nothing to sign out of. Open the dashboard from another machine, or put it behind a proxy, to use accounts.">
                  Trusted: this machine (loopback), no session to sign out of
                </span>
              ) : (
                <button
                  type="button"
                  className="link-btn"
                  onClick={() => {
                    void logout().finally(() => navigate('/login', { replace: true }))
                  }}
                >
                  Sign out
                </button>
              )}
            </div>
          )}
          <div className="muted small" data-testid="build-version">
            {version ? `v${version.version}${version.build ? ` · ${version.build}` : ''}` : 'version unknown'}
          </div>
        </div>
      </nav>
      {open && <div className="scrim" onClick={() => setOpen(false)} aria-hidden="true" />}
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}

/** A page header with title and optional actions. */
export function PageHeader({ title, children, sub }: { title: string; sub?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {sub && <div className="muted">{sub}</div>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  )
}
