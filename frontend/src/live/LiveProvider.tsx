/**
 * The app-wide live connection as React context.
 *
 * Owns one LiveStore and one LiveClient (GLOBAL_TOPICS, all characters) for the signed-in
 * app, seeds the store from GET /api/live and refreshes it after each reconnect (the socket
 * snapshot lacks session counters). Pages read state through the hooks below and never open
 * the global socket themselves; a character page opens its own for its heavy topics.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react'
import { api, isAbortError } from '../api/client'
import { LiveClient, type ConnectionStatus } from './client'
import { GLOBAL_TOPICS } from './messages'
import { LiveStore, type CharacterState, type LiveState } from './store'

interface LiveContextValue {
  store: LiveStore
  status: ConnectionStatus
  liveError: unknown
  /** Sends a chat command to a character's plugin over the app-wide socket. */
  sendCommand: (playerName: string, command: string) => { ok: true; requestId: string } | { ok: false; error: string }
  /** The server's command_ack status per request id (the newest few). */
  acks: ReadonlyMap<string, string>
}

/** Command acknowledgements kept for display. */
const MAX_ACKS = 20

const LiveContext = createContext<LiveContextValue | null>(null)

/** After this many failed reconnects, ask the HTTP API (a 401 there sends us to Login). */
const AUTH_PROBE_AFTER_ATTEMPTS = 2

/** Without the socket (the public view, where /ws/live is not open), GET /api/live this often. */
const POLL_MS = 15_000

export function LiveProvider({ children, socket = true }: { children: ReactNode; socket?: boolean }) {
  const store = useMemo(() => new LiveStore(), [])
  const [status, setStatus] = useState<ConnectionStatus>({ state: 'connecting', attempt: 0 })
  const [liveError, setLiveError] = useState<unknown>(null)
  const [client, setClient] = useState<LiveClient | null>(null)
  const [acks, setAcks] = useState<ReadonlyMap<string, string>>(new Map())

  useEffect(() => {
    const ctrl = new AbortController()
    const refresh = () => {
      api
        .live(ctrl.signal)
        .then((r) => {
          store.applyLive(r)
          setLiveError(null)
        })
        .catch((e: unknown) => {
          if (!isAbortError(e)) setLiveError(e)
        })
    }
    refresh()
    if (!socket) {
      const timer = window.setInterval(refresh, POLL_MS)
      return () => {
        ctrl.abort()
        window.clearInterval(timer)
      }
    }
    const client = new LiveClient({
      subscription: { topics: GLOBAL_TOPICS, characters: '*' },
      onMessage: (m) => {
        if (m.type === 'command_ack' && typeof m.request_id === 'string') {
          const id = m.request_id
          setAcks((prev) => new Map([...prev, [id, m.status] as const].slice(-MAX_ACKS)))
        }
        store.apply(m)
      },
      onStatus: (s) => {
        setStatus(s)
        if (s.state === 'open' && s.attempt > 0) refresh()
        if (s.state === 'reconnecting' && s.attempt === AUTH_PROBE_AFTER_ATTEMPTS) refresh()
      },
    })
    client.start()
    setClient(client)
    return () => {
      ctrl.abort()
      client.stop()
      setClient(null)
    }
  }, [store, socket])

  const sendCommand = useCallback(
    (playerName: string, command: string) => client?.sendCommand(playerName, command) ?? { ok: false as const, error: 'not connected to the server yet' },
    [client],
  )
  const value = useMemo(() => ({ store, status, liveError, sendCommand, acks }), [store, status, liveError, sendCommand, acks])
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>
}

function useLiveContext(): LiveContextValue {
  const v = useContext(LiveContext)
  if (!v) throw new Error('live hooks must be used inside LiveProvider')
  return v
}

export function useLiveState(): LiveState {
  const { store } = useLiveContext()
  return useSyncExternalStore(store.subscribe, store.getState, store.getState)
}

/**
 * One character's live state. The page re-renders only when that character changes, not on
 * every coalesced update of the whole group (a character page with 600 others online).
 */
export function useLiveCharacter(key: string): CharacterState | undefined {
  const { store } = useLiveContext()
  const get = useCallback(() => store.getState().characters.get(key), [store, key])
  return useSyncExternalStore(store.subscribe, get, get)
}

export function useLiveStatus(): { status: ConnectionStatus; liveError: unknown } {
  const { status, liveError } = useLiveContext()
  return { status, liveError }
}

/** Sending commands over the app-wide socket, and the server's acknowledgements. */
export function useLiveCommands(): Pick<LiveContextValue, 'sendCommand' | 'acks'> {
  const { sendCommand, acks } = useLiveContext()
  return { sendCommand, acks }
}
