/**
 * A small History-API router: the current location as React state, navigation, and links.
 *
 * Owns only browser-history plumbing; which page a path shows lives in lib/routes.ts. The
 * server answers every non-API path with index.html, so deep links work on reload.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react'
import { matchRoute, type RouteMatch } from '../lib/routes'

interface Location {
  pathname: string
  search: string
}

interface RouterValue {
  location: Location
  route: RouteMatch
  navigate: (to: string, opts?: { replace?: boolean }) => void
}

const RouterContext = createContext<RouterValue | null>(null)

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search }
}

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState<Location>(current)

  useEffect(() => {
    const onPop = () => setLocation(current())
    window.addEventListener('popstate', onPop)
    return () => window.removeEventListener('popstate', onPop)
  }, [])

  const navigate = useCallback((to: string, opts?: { replace?: boolean }) => {
    const here = window.location.pathname + window.location.search
    if (to === here) return
    if (opts?.replace) window.history.replaceState(null, '', to)
    else window.history.pushState(null, '', to)
    setLocation(current())
    if (!opts?.replace) window.scrollTo(0, 0)
  }, [])

  const value = useMemo(() => ({ location, route: matchRoute(location.pathname), navigate }), [location, navigate])
  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>
}

export function useRouter(): RouterValue {
  const v = useContext(RouterContext)
  if (!v) throw new Error('useRouter must be used inside RouterProvider')
  return v
}

/** Query-string parameters of the current location. */
export function useSearchParams(): URLSearchParams {
  const { location } = useRouter()
  return useMemo(() => new URLSearchParams(location.search), [location.search])
}

type LinkProps = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string }

/** An <a> that navigates in-app on a plain left click and behaves normally otherwise. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const { navigate } = useRouter()
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e)
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
    e.preventDefault()
    navigate(to)
  }
  return (
    <a href={to} onClick={handle} {...rest}>
      {children}
    </a>
  )
}
