/**
 * The frame an anonymous visitor gets with the public view on: the nav limited to the
 * public pages, a "read-only public view" note and a "Sign in" link, no user box.
 */
import type { ReactNode } from 'react'
import { publicNav, type PublicInfo } from '../lib/publicView'
import { withQuery } from '../lib/routes'
import { Link, useRouter } from './Router'

export function PublicLayout({ info, children }: { info: PublicInfo; children: ReactNode }) {
  const { route, location } = useRouter()
  const signIn = withQuery('/login', { next: location.pathname + location.search })
  return (
    <div className="shell public-shell" data-testid="public-view">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav id="sidebar" className="sidebar" aria-label="Main">
        <div className="brand brand-side">Overlord</div>
        <ul>
          {publicNav(info).map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={route.name === n.page ? 'page' : undefined} className={route.name === n.page ? 'active' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <div className="muted small">Public read-only view</div>
          <a href={signIn} data-testid="public-sign-in">
            Sign in
          </a>
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}
