/**
 * Loading, error and empty states, so every page says clearly what is going on.
 *
 * Owns their look and their accessibility roles (status/alert); holds no data.
 */
import type { ReactNode } from 'react'
import { ApiError, errorMessage } from '../api/client'

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  )
}

export function ErrorBox({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const code = error instanceof ApiError ? error.code : null
  return (
    <div className="state state-error" role="alert">
      <strong>{title ?? 'Something went wrong'}</strong>
      <span>{errorMessage(error)}</span>
      {code && <code className="muted">{code}</code>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>
}

/** Renders loading / error / empty / content for one async value. */
export function AsyncView<T>({
  state,
  empty,
  isEmpty,
  children,
  loadingLabel,
}: {
  state: { data: T | undefined; error: unknown; loading: boolean; reload: () => void }
  empty?: ReactNode
  isEmpty?: (d: T) => boolean
  loadingLabel?: string
  children: (d: T) => ReactNode
}) {
  if (state.error && state.data === undefined) return <ErrorBox error={state.error} onRetry={state.reload} />
  if (state.data === undefined) return <Loading label={loadingLabel} />
  if (isEmpty?.(state.data)) return <Empty>{empty ?? 'Nothing here yet.'}</Empty>
  return (
    <>
      {state.error ? <ErrorBox error={state.error} onRetry={state.reload} title="Could not refresh" /> : null}
      {children(state.data)}
    </>
  )
}
