/**
 * Notes board: the group's shared list of open matters (docs/api.md Notes): create, edit, mark
 * done or reopen, delete (author or admin).
 */
import { useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import type { Note, NoteState } from '../../api/types'
import { useAuth } from '../../components/Auth'
import { useAsync, useNow, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { AsyncView } from '../../components/States'
import { formatDateTime, formatRelative } from '../../lib/format'

/** docs/api.md limits. */
export const NOTE_TITLE_MAX = 200
export const NOTE_BODY_MAX = 10_000

type Filter = NoteState | 'all'

export default function NotesPage() {
  useTitle('Notes')
  const [filter, setFilter] = useState<Filter>('open')
  const notes = useAsync((s) => api.notes(filter === 'all' ? undefined : filter, s), [filter])
  const [editing, setEditing] = useState<Note['id'] | null>(null)
  const [actionError, setActionError] = useState<string | null>(null)
  const { user } = useAuth()
  const now = useNow(30_000)

  const act = async (fn: () => Promise<unknown>) => {
    setActionError(null)
    try {
      await fn()
      notes.reload()
    } catch (e) {
      setActionError(errorMessage(e))
    }
  }

  return (
    <div>
      <PageHeader title="Notes" sub="The group's shared list of open matters">
        <div className="seg" role="radiogroup" aria-label="Show">
          {(['open', 'done', 'all'] as const).map((f) => (
            <button key={f} type="button" role="radio" aria-checked={filter === f} className={filter === f ? 'on' : ''} onClick={() => setFilter(f)}>
              {f}
            </button>
          ))}
        </div>
      </PageHeader>
      <NoteForm onSave={(t, b) => act(() => api.createNote(t, b))} submitLabel="Add note" />
      {actionError && (
        <div className="form-error" role="alert">
          {actionError}
        </div>
      )}
      <AsyncView state={notes} isEmpty={(d) => d.notes.length === 0} empty={filter === 'open' ? 'No open notes. Add one above.' : 'No notes.'} loadingLabel="Loading notes…">
        {(d) => (
          <ul className="notes" data-testid="notes-list">
            {[...d.notes]
              .sort((a, b) => b.updated_ms - a.updated_ms)
              .map((n) => (
                <li key={n.id} className={`card note note-${n.state}`}>
                  {editing === n.id ? (
                    <NoteForm
                      initial={n}
                      submitLabel="Save"
                      onCancel={() => setEditing(null)}
                      onSave={async (title, body) => {
                        await act(() => api.updateNote(n.id, { title, body }))
                        setEditing(null)
                      }}
                    />
                  ) : (
                    <>
                      <div className="note-head">
                        <h2>{n.title}</h2>
                        <span className={`pill ${n.state === 'open' ? 'pill-on' : 'pill-off'}`}>{n.state}</span>
                      </div>
                      {n.body && <p className="note-body">{n.body}</p>}
                      <div className="muted small">
                        {n.author} · created <span title={formatDateTime(n.created_ms)}>{formatRelative(n.created_ms, now)}</span>
                        {n.updated_ms !== n.created_ms && (
                          <>
                            {' '}
                            · updated <span title={formatDateTime(n.updated_ms)}>{formatRelative(n.updated_ms, now)}</span>
                          </>
                        )}
                      </div>
                      <div className="note-actions">
                        <button type="button" onClick={() => act(() => api.updateNote(n.id, { state: n.state === 'open' ? 'done' : 'open' }))}>
                          {n.state === 'open' ? 'Mark done' : 'Reopen'}
                        </button>
                        <button type="button" onClick={() => setEditing(n.id)}>
                          Edit
                        </button>
                        {(user?.role === 'admin' || user?.username === n.author) && (
                          <button
                            type="button"
                            className="danger"
                            onClick={() => {
                              if (window.confirm(`Delete "${n.title}"?`)) void act(() => api.deleteNote(n.id))
                            }}
                          >
                            Delete
                          </button>
                        )}
                      </div>
                    </>
                  )}
                </li>
              ))}
          </ul>
        )}
      </AsyncView>
    </div>
  )
}

function NoteForm({
  initial,
  onSave,
  onCancel,
  submitLabel,
}: {
  initial?: Note
  onSave: (title: string, body: string) => Promise<void>
  onCancel?: () => void
  submitLabel: string
}) {
  const [title, setTitle] = useState(initial?.title ?? '')
  const [body, setBody] = useState(initial?.body ?? '')
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!title.trim()) return
    setBusy(true)
    try {
      await onSave(title.trim(), body)
      if (!initial) {
        setTitle('')
        setBody('')
      }
    } finally {
      setBusy(false)
    }
  }
  return (
    <form className="card note-form" onSubmit={submit} aria-label={initial ? 'Edit note' : 'New note'}>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={NOTE_TITLE_MAX} required />
      </label>
      <label>
        Details
        <textarea value={body} onChange={(e) => setBody(e.target.value)} maxLength={NOTE_BODY_MAX} rows={initial ? 5 : 3} />
      </label>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !title.trim()}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
        <span className="muted small">
          {body.length > NOTE_BODY_MAX * 0.9 ? `${body.length}/${NOTE_BODY_MAX}` : ''}
        </span>
      </div>
    </form>
  )
}
