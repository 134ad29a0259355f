/**
 * Small React hooks shared by pages: loading API data with cancellation, debouncing, a
 * ticking clock and intervals.
 *
 * Owns no application state. Every fetch is aborted when its inputs change or the component
 * unmounts, so a slow answer never overwrites a newer one.
 */
import { useCallback, useEffect, useRef, useState, type DependencyList } from 'react'
import { isAbortError } from '../api/client'

export interface AsyncState<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  /** Loads again with the same inputs. */
  reload: () => void
}

/**
 * Runs `load` now and whenever `deps` change. Keeps the previous data while reloading so
 * tables do not flash empty.
 */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: DependencyList): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [loading, setLoading] = useState(true)
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  // Declared before the loading effect, so it runs first and the load sees the latest closure.
  useEffect(() => {
    loadRef.current = load
  })

  useEffect(() => {
    const ctrl = new AbortController()
    setLoading(true)
    loadRef
      .current(ctrl.signal)
      .then((d) => {
        if (ctrl.signal.aborted) return
        setData(d)
        setError(null)
        setLoading(false)
      })
      .catch((e: unknown) => {
        if (ctrl.signal.aborted || isAbortError(e)) return
        setError(e)
        setLoading(false)
      })
    return () => ctrl.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick])

  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, loading, reload }
}

/** The value, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value)
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms)
    return () => clearTimeout(t)
  }, [value, ms])
  return v
}

/** Date.now(), refreshed every `ms` (for "5 min ago" labels and countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}

/** Calls `fn` every `ms` while mounted (null pauses). */
export function useInterval(fn: () => void, ms: number | null): void {
  const ref = useRef(fn)
  useEffect(() => {
    ref.current = fn
  })
  useEffect(() => {
    if (ms === null) return
    const t = setInterval(() => ref.current(), ms)
    return () => clearInterval(t)
  }, [ms])
}

/** Sets document.title for the page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Overlord` : 'Overlord'
  }, [title])
}
