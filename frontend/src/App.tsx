/**
 * The app shell: router, auth, the 401 → Login rule, first-run setup redirect and the page
 * switch. Pages load lazily so the map does not wait for the charting library.
 */
import { lazy, Suspense, useEffect, useRef, useState, type ReactNode } from 'react'
import { api, setUnauthorizedHandler } from './api/client'
import { AuthProvider, useAuth } from './components/Auth'
import { Layout } from './components/Layout'
import { PublicLayout } from './components/PublicLayout'
import { RouterProvider, useRouter } from './components/Router'
import { ErrorBox, Loading } from './components/States'
import { LiveProvider } from './live/LiveProvider'
import { publicAllows, type PublicInfo } from './lib/publicView'
import { matchRoute, withQuery, type RouteName } from './lib/routes'
import { LoginPage } from './pages/Login/LoginPage'
import { SetupPage } from './pages/Setup/SetupPage'

/**
 * Each lazily loaded page's chunk, by route. The one loader per page is shared by React.lazy
 * and by `preloadPage`, so a preloaded chunk is the one the page renders (import() caches).
 */
const PAGE_LOADERS = {
  overview: () => import('./pages/Overview/OverviewPage'),
  map: () => import('./pages/Map/MapPage'),
  characters: () => import('./pages/Characters/CharactersPage'),
  character: () => import('./pages/Character/CharacterPage'),
  rares: () => import('./pages/Rares/RaresPage'),
  portals: () => import('./pages/Portals/PortalsPage'),
  spawns: () => import('./pages/Spawns/SpawnsPage'),
  leaderboards: () => import('./pages/Leaderboards/LeaderboardsPage'),
  chat: () => import('./pages/Chat/ChatPage'),
  notes: () => import('./pages/Notes/NotesPage'),
  items: () => import('./pages/Items/ItemsPage'),
  suits: () => import('./pages/SuitBuilder/SuitBuilderPage'),
  users: () => import('./pages/Users/UsersPage'),
  tokens: () => import('./pages/Tokens/TokensPage'),
  backups: () => import('./pages/Backups/BackupsPage'),
  alerts: () => import('./pages/Alerts/AlertsPage'),
} satisfies Partial<Record<RouteName, () => Promise<unknown>>>

/**
 * Starts fetching the page chunk of `pathname`'s route at once, while the session check is
 * still in flight: otherwise the chunk would only be asked for after that round trip, and a
 * phone on a slow link would wait for both in turn.
 */
export function preloadPage(pathname: string): void {
  const name = matchRoute(pathname).name
  if (name in PAGE_LOADERS) PAGE_LOADERS[name as keyof typeof PAGE_LOADERS]().catch(() => undefined)
}

const OverviewPage = lazy(PAGE_LOADERS.overview)
const MapPage = lazy(PAGE_LOADERS.map)
const CharactersPage = lazy(PAGE_LOADERS.characters)
const CharacterPage = lazy(PAGE_LOADERS.character)
const RaresPage = lazy(PAGE_LOADERS.rares)
const PortalsPage = lazy(PAGE_LOADERS.portals)
const SpawnsPage = lazy(PAGE_LOADERS.spawns)
const LeaderboardsPage = lazy(PAGE_LOADERS.leaderboards)
const ChatPage = lazy(PAGE_LOADERS.chat)
const NotesPage = lazy(PAGE_LOADERS.notes)
const ItemsPage = lazy(PAGE_LOADERS.items)
const SuitBuilderPage = lazy(PAGE_LOADERS.suits)
const UsersPage = lazy(PAGE_LOADERS.users)
const TokensPage = lazy(PAGE_LOADERS.tokens)
const BackupsPage = lazy(PAGE_LOADERS.backups)
const AlertsPage = lazy(PAGE_LOADERS.alerts)
const NotFoundPage = lazy(() => import('./pages/NotFound/NotFoundPage'))

export function App() {
  return (
    <RouterProvider>
      <AuthProvider>
        <Shell />
      </AuthProvider>
    </RouterProvider>
  )
}

const PUBLIC_ROUTES: RouteName[] = ['login', 'setup']

function Shell() {
  const { route, navigate, location } = useRouter()
  const { user, checking, error, refresh } = useAuth()
  const [setupNeeded, setSetupNeeded] = useState(false)
  // The public view (GET /api/public): undefined until it answered.
  const [publicInfo, setPublicInfo] = useState<PublicInfo | null | undefined>(undefined)
  const showPublic = !checking && !user && publicAllows(publicInfo ?? null, route.name)
  const publicRef = useRef(false)
  useEffect(() => {
    publicRef.current = showPublic
  }, [showPublic])

  useEffect(() => {
    const ctrl = new AbortController()
    api
      .request<PublicInfo>('GET', '/api/public', { signal: ctrl.signal, noAuthRedirect: true })
      .then(setPublicInfo)
      .catch(() => setPublicInfo(null))
    return () => ctrl.abort()
  }, [])

  // Any 401 from the API sends the user to Login, then back here; on a public page a
  // panel whose endpoint is not public shows its error instead.
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (publicRef.current) return
      const here = window.location.pathname + window.location.search
      if (!window.location.pathname.startsWith('/login') && !window.location.pathname.startsWith('/setup')) {
        navigate(withQuery('/login', { next: here }), { replace: true })
      }
    })
    return () => setUnauthorizedHandler(null)
  }, [navigate])

  // First run: no user exists yet. Asked again whenever who is signed in changes, so the
  // banner goes away as soon as setup has created the first admin. Servers without the
  // endpoint simply answer an error.
  const whoKey = user ? `${user.username}/${user.via ?? ''}` : ''
  useEffect(() => {
    const ctrl = new AbortController()
    api
      .setupStatus(ctrl.signal)
      .then((s) => setSetupNeeded(s.needed))
      .catch(() => setSetupNeeded(false))
    return () => ctrl.abort()
  }, [whoKey, route.name])

  const isPublic = PUBLIC_ROUTES.includes(route.name)
  useEffect(() => {
    if (checking || isPublic || user || publicInfo === undefined || showPublic) return
    if (setupNeeded) navigate(withQuery('/setup', { token: new URLSearchParams(location.search).get('token') }), { replace: true })
    else navigate(withQuery('/login', { next: location.pathname + location.search }), { replace: true })
  }, [checking, isPublic, user, setupNeeded, navigate, location, publicInfo, showPublic])

  if (route.name === 'login') return <LoginPage />
  if (route.name === 'setup') return <SetupPage />
  if (checking) return <Loading label="Checking your session…" />
  if (showPublic && publicInfo) {
    return (
      <LiveProvider socket={false}>
        <PublicLayout info={publicInfo}>
          <Suspense fallback={<Loading />}>{page(route.name, route.params)}</Suspense>
        </PublicLayout>
      </LiveProvider>
    )
  }
  if (!user) {
    return error ? (
      <div className="center-page">
        <ErrorBox error={error} onRetry={refresh} title="Cannot reach Overlord" />
      </div>
    ) : (
      <Loading label="Redirecting to sign in…" />
    )
  }
  return (
    <LiveProvider>
      <Layout>
        {setupNeeded && user.role === 'admin' && (
          <div className="banner" role="note">
            First-run setup has not been completed: no user account exists yet. <a href="/setup">Create the first admin</a>.
          </div>
        )}
        <Suspense fallback={<Loading />}>{page(route.name, route.params)}</Suspense>
      </Layout>
    </LiveProvider>
  )
}

function page(name: RouteName, params: Record<string, string>): ReactNode {
  switch (name) {
    case 'overview':
      return <OverviewPage />
    case 'map':
      return <MapPage />
    case 'characters':
      return <CharactersPage />
    case 'character':
      return <CharacterPage key={params.name} name={params.name ?? ''} />
    case 'rares':
      return <RaresPage />
    case 'portals':
      return <PortalsPage />
    case 'spawns':
      return <SpawnsPage />
    case 'leaderboards':
      return <LeaderboardsPage />
    case 'chat':
      return <ChatPage />
    case 'notes':
      return <NotesPage />
    case 'items':
      return <ItemsPage />
    case 'suits':
      return <SuitBuilderPage />
    case 'users':
      return <UsersPage />
    case 'tokens':
      return <TokensPage />
    case 'backups':
      return <BackupsPage />
    case 'alerts':
      return <AlertsPage />
    default:
      return <NotFoundPage />
  }
}
