/**
 * Admin: the map image behind the Dereth grid — upload a PNG/JPEG/WebP (stored by the
 * server in its data directory) or point at a URL, with bounds pre-filled for the usual
 * full-Dereth map and adjustable by dragging two reference points on the map.
 */
import { useState, type FormEvent } from 'react'
import { api, ApiError } from '../../api/client'
import type { MapImageConfig } from '../../api/types'
import { boundsArray, DEFAULT_BOUNDS } from '../../lib/mapImage'

type Bounds = MapImageConfig['bounds']

/** The server's upload limit (6 MiB), checked here first so a big file fails at once. */
const MAX_UPLOAD_BYTES = 6 * 1024 * 1024
const TYPES = ['image/png', 'image/jpeg', 'image/webp']

function message(e: unknown): string {
  return e instanceof ApiError ? e.message || `failed (${e.status})` : String(e)
}

export function MapImagePanel({
  current,
  draft,
  setDraft,
  adjusting,
  setAdjusting,
  onSaved,
}: {
  current: MapImageConfig | null
  draft: Bounds
  setDraft: (b: Bounds) => void
  adjusting: boolean
  setAdjusting: (v: boolean) => void
  onSaved: () => void
}) {
  const [file, setFile] = useState<File | null>(null)
  const [url, setUrl] = useState('')
  const [busy, setBusy] = useState(false)
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null)

  const run = async (what: string, fn: () => Promise<unknown>) => {
    setBusy(true)
    setStatus(null)
    try {
      await fn()
      setStatus({ ok: true, text: what })
      onSaved()
    } catch (e) {
      setStatus({ ok: false, text: message(e) })
    } finally {
      setBusy(false)
    }
  }

  const upload = (e: FormEvent) => {
    e.preventDefault()
    if (!file) return
    if (!TYPES.includes(file.type)) return setStatus({ ok: false, text: 'Choose a PNG, JPEG or WebP image.' })
    if (file.size > MAX_UPLOAD_BYTES) return setStatus({ ok: false, text: `The file is ${(file.size / 1048576).toFixed(1)} MiB; the limit is 6 MiB.` })
    void run('Image uploaded.', () => api.uploadMapImage(file, boundsArray(draft)))
  }
  const useUrl = (e: FormEvent) => {
    e.preventDefault()
    void run('Image URL saved.', () => api.setMapImageUrl(url.trim(), boundsArray(draft)))
  }
  const num = (k: keyof Bounds) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const v = Number(e.target.value)
    if (Number.isFinite(v)) setDraft({ ...draft, [k]: v })
  }

  return (
    <section className="card map-image-panel" aria-labelledby="mapimg-title" data-testid="map-image-panel">
      <h2 id="mapimg-title">Map image</h2>
      <p className="muted small">
        {current ? `Showing an image from ${current.url.startsWith('/') ? 'this server (uploaded)' : current.url}.` : 'No image: the grid shows towns and regions.'} Only admins see this panel.
      </p>
      <form className="inline-form" onSubmit={upload}>
        <label>
          Image file (PNG, JPEG or WebP, at most 6 MiB)
          <input type="file" accept={TYPES.join(',')} onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="map-image-file" />
        </label>
        <button type="submit" disabled={busy || !file} data-testid="map-image-upload">
          Upload
        </button>
      </form>
      <form className="inline-form" onSubmit={useUrl}>
        <label className="grow">
          Or an image URL
          <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.org/dereth.png" data-testid="map-image-url" />
        </label>
        <button type="submit" disabled={busy || !/^https?:\/\/./.test(url.trim())}>
          Use URL
        </button>
      </form>
      <fieldset className="bounds">
        <legend>Bounds (map units; the usual full-Dereth map is 102 W/S to 102 E/N)</legend>
        {(['west', 'south', 'east', 'north'] as const).map((k) => (
          <label key={k}>
            {k[0]?.toUpperCase()}
            {k.slice(1)}
            <input type="number" step={0.1} value={draft[k]} onChange={num(k)} data-testid={`bounds-${k}`} />
          </label>
        ))}
      </fieldset>
      <div className="pair">
        <button type="button" disabled={!current} aria-pressed={adjusting} onClick={() => setAdjusting(!adjusting)} data-testid="map-image-adjust">
          {adjusting ? 'Stop adjusting' : 'Adjust on the map'}
        </button>
        <button type="button" disabled={busy || !current} onClick={() => void run('Bounds saved.', () => api.setMapImageBounds(boundsArray(draft)))} data-testid="map-image-save-bounds">
          Save bounds
        </button>
        <button type="button" onClick={() => setDraft(DEFAULT_BOUNDS)}>
          Reset to full Dereth
        </button>
        <button type="button" className="danger" disabled={busy || !current || current.url.length === 0} onClick={() => void run('Image removed.', () => api.clearMapImage())}>
          Remove image
        </button>
      </div>
      {adjusting && <p className="muted small">Drag the two yellow reference points (north-west and south-east corners) until the image lines up with the towns, then save.</p>}
      {status && (
        <p className={status.ok ? 'form-ok' : 'form-error'} role={status.ok ? 'status' : 'alert'} data-testid="map-image-status">
          {status.text}
        </p>
      )}
    </section>
  )
}
