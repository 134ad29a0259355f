/**
 * Suit builder: choose a character and mules, wanted cantrips with minimum tiers, set bonus
 * overrides, the armor crit-damage filter and locked/excluded items; start a job
 * (POST /api/suitbuilder/jobs), watch progress and the best suit so far stream in over SSE,
 * cancel with DELETE, and read the explained result.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { api, errorMessage } from '../../api/client'
import type { Suit, SuitDone, SuitProgress, WantedSpell } from '../../api/types'
import { openSuitStream } from '../../api/suitEvents'
import { useAsync, useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { ErrorBox } from '../../components/States'
import { formatDuration, formatInt, formatPercent } from '../../lib/format'
import { familiesOf, SUIT_TIERS } from '../../lib/spells'
import {
  buildSuitRequest,
  COMMON_FAMILIES,
  CRIT_DAMAGE_TIERS,
  DEFAULT_FORM,
  LOOT_SETS,
  MAX_TIME_LIMIT_S,
  MAX_TOP_K,
  MAX_WANTED_SPELLS,
  progressRatio,
  type SuitForm,
} from '../../lib/suits'
import { ItemPicker, type PickedItem } from './ItemPicker'
import { SuitView } from './SuitView'

type RunState =
  | { phase: 'idle' }
  | { phase: 'starting' }
  | { phase: 'running'; jobId: string }
  | { phase: 'cancelling'; jobId: string }
  | { phase: 'done'; result: SuitDone }
  | { phase: 'cancelled' }
  | { phase: 'failed'; message: string }

export default function SuitBuilderPage() {
  useTitle('Suit builder')
  const chars = useAsync((s) => api.characters(s), [])
  const [form, setForm] = useState<SuitForm>(DEFAULT_FORM)
  const [lockedItems, setLockedItems] = useState<PickedItem[]>([])
  const [excludedItems, setExcludedItems] = useState<PickedItem[]>([])
  const [run, setRun] = useState<RunState>({ phase: 'idle' })
  // The wanted spells of the running or last request: SuitView marks the spells that score.
  const [asked, setAsked] = useState<WantedSpell[]>([])
  const [progress, setProgress] = useState<SuitProgress | null>(null)
  const [best, setBest] = useState<Suit | null>(null)
  const [events, setEvents] = useState(0)
  const closeStream = useRef<(() => void) | null>(null)
  const jobRef = useRef<string | null>(null)

  const names = useMemo(() => (chars.data?.characters ?? []).map((c) => c.character_name).sort((a, b) => a.localeCompare(b)), [chars.data])
  // Until the user picks one, the first known character is the one suited.
  const character = form.character || names[0] || ''

  const owners = useMemo(() => (character ? [character, ...form.mules.filter((m) => m !== character)] : []), [character, form.mules])

  // Families actually present on the owners' items, for the wanted-spell suggestions.
  const available = useAsync(
    async (s) => (owners.length === 0 ? null : api.searchItems({ owner: owners, limit: 1, facets: ['cantrip'] }, s)),
    [owners.join('\u0000')],
  )
  const families = useMemo(() => {
    const fromItems = familiesOf(Object.keys(available.data?.facets?.cantrip ?? {}))
    return [...new Set([...fromItems, ...COMMON_FAMILIES])]
  }, [available.data])

  // Stop streaming when leaving the page; cancel a running job so it does not burn CPU.
  useEffect(
    () => () => {
      closeStream.current?.()
      if (jobRef.current) void api.cancelSuitJob(jobRef.current).catch(() => undefined)
    },
    [],
  )

  const running = run.phase === 'running' || run.phase === 'starting' || run.phase === 'cancelling'
  const update = <K extends keyof SuitForm>(k: K, v: SuitForm[K]) => setForm((f) => ({ ...f, [k]: v }))

  const start = async (e: FormEvent) => {
    e.preventDefault()
    const req = buildSuitRequest({ ...form, character, locked: lockedItems.map((i) => i.object_id), excluded: excludedItems.map((i) => i.object_id) })
    if (typeof req === 'string') {
      setRun({ phase: 'failed', message: req })
      return
    }
    closeStream.current?.()
    setProgress(null)
    setBest(null)
    setEvents(0)
    setAsked(req.wanted_spells ?? [])
    setRun({ phase: 'starting' })
    try {
      const job = await api.createSuitJob(req)
      jobRef.current = job.job_id
      setRun({ phase: 'running', jobId: job.job_id })
      closeStream.current = openSuitStream(job.events_url, {
        onProgress: (p) => {
          setProgress(p)
          setEvents((n) => n + 1)
        },
        onBest: (s) => {
          setBest(s)
          setEvents((n) => n + 1)
        },
        onDone: (d) => {
          jobRef.current = null
          setRun({ phase: 'done', result: d })
        },
        onError: (err) => {
          const job = jobRef.current
          jobRef.current = null
          // A cancelled job may end its stream with an error event: report it as cancelled.
          setRun((r) => (r.phase === 'cancelling' ? { phase: 'cancelled' } : { phase: 'failed', message: `${err.message} (${err.code})` }))
          if (job && err.code === 'network') {
            // The stream broke; the job may still have finished. Ask once.
            void api
              .suitJob(job)
              .then((st) => {
                if (st.state === 'done' && st.result) setRun({ phase: 'done', result: st.result })
              })
              .catch(() => undefined)
          }
        },
      })
    } catch (err) {
      setRun({ phase: 'failed', message: errorMessage(err) })
    }
  }

  const cancel = async () => {
    if (run.phase !== 'running') return
    setRun({ phase: 'cancelling', jobId: run.jobId })
    try {
      await api.cancelSuitJob(run.jobId)
      closeStream.current?.()
      jobRef.current = null
      setRun({ phase: 'cancelled' })
    } catch (err) {
      setRun({ phase: 'failed', message: errorMessage(err) })
    }
  }

  const ratio = progressRatio(progress)

  return (
    <div className="suit-page">
      <PageHeader title="Suit builder" sub="Finds the best armor, clothing and jewelry from a character and its mules" />
      <form className="suit-form" onSubmit={start} aria-label="Suit request">
        <section className="card">
          <h2>Who</h2>
          {chars.error ? <ErrorBox error={chars.error} onRetry={chars.reload} /> : null}
          <label>
            Character
            <select value={character} onChange={(e) => update('character', e.target.value)} required data-testid="suit-character">
              {names.length === 0 && <option value="">no characters yet</option>}
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="checks">
            <legend>Mules whose items may be used</legend>
            {names.filter((n) => n !== character).length === 0 && <p className="muted small">No other characters.</p>}
            {names
              .filter((n) => n !== character)
              .map((n) => (
                <label key={n} className="check">
                  <input
                    type="checkbox"
                    checked={form.mules.includes(n)}
                    onChange={(e) => update('mules', e.target.checked ? [...form.mules, n] : form.mules.filter((m) => m !== n))}
                  />
                  {n}
                </label>
              ))}
          </fieldset>
        </section>

        <section className="card">
          <h2>Wanted cantrips</h2>
          <datalist id="families">
            {families.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
          {form.wanted.length === 0 && <p className="muted small">None: the suit is scored on sets, ratings and armor only.</p>}
          <ul className="rows">
            {form.wanted.map((w, i) => (
              <li key={i}>
                <label>
                  <span className="sr-only">Cantrip family {i + 1}</span>
                  <input
                    list="families"
                    value={w.family}
                    placeholder="family, e.g. Strength"
                    onChange={(e) => update('wanted', form.wanted.map((x, j) => (j === i ? { ...x, family: e.target.value } : x)))}
                  />
                </label>
                <label>
                  <span className="sr-only">Minimum tier {i + 1}</span>
                  <select value={w.minTier} onChange={(e) => update('wanted', form.wanted.map((x, j) => (j === i ? { ...x, minTier: e.target.value } : x)))}>
                    <option value="">any tier</option>
                    {SUIT_TIERS.map((t) => (
                      <option key={t} value={t}>
                        {t} or better
                      </option>
                    ))}
                  </select>
                </label>
                <button type="button" className="icon-btn" aria-label={`Remove ${w.family || 'cantrip'}`} onClick={() => update('wanted', form.wanted.filter((_, j) => j !== i))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button type="button" disabled={form.wanted.length >= MAX_WANTED_SPELLS} onClick={() => update('wanted', [...form.wanted, { family: '', minTier: 'Epic' }])}>
            + Add cantrip
          </button>
        </section>

        <section className="card">
          <h2>Sets and filters</h2>
          <ul className="rows">
            {form.sets.map((s, i) => (
              <li key={i}>
                <label>
                  <span className="sr-only">Set {i + 1}</span>
                  <select value={s.setId} onChange={(e) => update('sets', form.sets.map((x, j) => (j === i ? { ...x, setId: Number(e.target.value) } : x)))}>
                    {LOOT_SETS.map((ls) => (
                      <option key={ls.id} value={ls.id}>
                        {ls.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  pieces
                  <input type="number" min={1} max={9} value={s.pieces} onChange={(e) => update('sets', form.sets.map((x, j) => (j === i ? { ...x, pieces: Number(e.target.value) } : x)))} />
                </label>
                <label>
                  worth
                  <input type="number" min={0} step={100} value={s.value} onChange={(e) => update('sets', form.sets.map((x, j) => (j === i ? { ...x, value: Number(e.target.value) } : x)))} />
                </label>
                <button type="button" className="icon-btn" aria-label="Remove set" onClick={() => update('sets', form.sets.filter((_, j) => j !== i))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => update('sets', [...form.sets, { setId: 13, pieces: 5, value: 10000 }])}>
            + Set bonus override
          </button>
          <fieldset className="checks inline">
            <legend>Armor crit-damage rating allowed (none ticked = any)</legend>
            {CRIT_DAMAGE_TIERS.map((t) => (
              <label key={t} className="check">
                <input
                  type="checkbox"
                  checked={form.critDamageTiers.includes(t)}
                  onChange={(e) => update('critDamageTiers', e.target.checked ? [...form.critDamageTiers, t] : form.critDamageTiers.filter((x) => x !== t))}
                />
                CD{t}
              </label>
            ))}
          </fieldset>
        </section>

        <section className="card">
          <h2>Locked and excluded items</h2>
          <ItemPicker
            owners={owners}
            locked={lockedItems}
            excluded={excludedItems}
            onLock={(i) => {
              setLockedItems((l) => [...l, i])
              setExcludedItems((x) => x.filter((y) => y.object_id !== i.object_id))
            }}
            onExclude={(i) => {
              setExcludedItems((x) => [...x, i])
              setLockedItems((l) => l.filter((y) => y.object_id !== i.object_id))
            }}
          />
          {[
            { label: 'Locked (must be worn)', list: lockedItems, set: setLockedItems },
            { label: 'Excluded (never used)', list: excludedItems, set: setExcludedItems },
          ].map(({ label, list, set }) =>
            list.length > 0 ? (
              <div key={label}>
                <h4>{label}</h4>
                <ul className="chips">
                  {list.map((i) => (
                    <li key={i.object_id} className="chip">
                      {i.name} <span className="muted small">({i.owner})</span>
                      <button type="button" className="chip-x" aria-label={`Remove ${i.name}`} onClick={() => set(list.filter((x) => x.object_id !== i.object_id))}>
                        ×
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null,
          )}
        </section>

        <section className="card">
          <h2>Search</h2>
          <label className="check">
            <input type="checkbox" checked={form.allowReduction} onChange={(e) => update('allowReduction', e.target.checked)} />
            Allow tailoring (reduce multi-part armor to one part)
          </label>
          <div className="pair">
            <label>
              Suits to return
              <input type="number" min={1} max={MAX_TOP_K} value={form.topK} onChange={(e) => update('topK', Number(e.target.value))} />
            </label>
            <label>
              Time limit (s)
              <input type="number" min={1} max={MAX_TIME_LIMIT_S} value={form.timeLimitS} onChange={(e) => update('timeLimitS', Number(e.target.value))} data-testid="suit-time-limit" />
            </label>
          </div>
          <details>
            <summary>Weights</summary>
            <div className="pair">
              <label>
                Spell weight
                <input type="number" min={0} placeholder="1000" value={form.spellWeight ?? ''} onChange={(e) => update('spellWeight', e.target.value === '' ? null : Number(e.target.value))} />
              </label>
              <label>
                Armor weight
                <input type="number" min={0} placeholder="1" value={form.armorWeight ?? ''} onChange={(e) => update('armorWeight', e.target.value === '' ? null : Number(e.target.value))} />
              </label>
            </div>
          </details>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={running || !character} data-testid="suit-build">
              {run.phase === 'starting' ? 'Starting…' : running ? 'Building…' : 'Build suit'}
            </button>
            {run.phase === 'running' && (
              <button type="button" className="danger" onClick={() => void cancel()} data-testid="suit-cancel">
                Cancel
              </button>
            )}
          </div>
        </section>
      </form>

      <section className="card suit-output" aria-labelledby="suit-out-title" aria-busy={running}>
        <h2 id="suit-out-title">Result</h2>
        {run.phase === 'idle' && <p className="muted">Choose what you want and press “Build suit”.</p>}
        {run.phase === 'failed' && (
          <div className="form-error" role="alert" data-testid="suit-error">
            {run.message}
          </div>
        )}
        {run.phase === 'cancelled' && <p role="status">Cancelled.</p>}
        {(running || progress || run.phase === 'done') && (
          <div className="progress" data-testid="suit-progress" data-events={events} role="status" aria-live="polite">
            <div className="progress-bar" aria-hidden="true">
              <div className="progress-fill" style={{ width: `${Math.round((ratio ?? 0) * 100)}%` }} />
            </div>
            <div className="small">
              {progress ? (
                <>
                  {formatInt(progress.nodes)} nodes{typeof progress.nodes_per_s === 'number' ? ` · ${formatInt(progress.nodes_per_s)}/s` : ''} · best{' '}
                  {formatInt(progress.best_score)} of at most {formatInt(progress.upper_bound)}
                  {ratio !== null ? ` (${formatPercent(ratio)})` : ''} · {formatDuration((progress.elapsed_ms ?? 0) / 1000)}
                </>
              ) : (
                'Waiting for the first progress report…'
              )}
            </div>
          </div>
        )}
        {running && best && <SuitView suit={best} wanted={asked} title="Best so far" testId="suit-best" />}
        {run.phase === 'done' && (
          <div data-testid="suit-result" data-suits={run.result.suits.length}>
            <p role="status">
              {run.result.optimal ? 'Optimal: no valid suit scores higher.' : 'Stopped at the time limit: this is the best suit found, not proven optimal.'}
            </p>
            {run.result.suits.length === 0 ? (
              <p className="muted">No suit could be built from these items.</p>
            ) : (
              run.result.suits.map((s, i) => <SuitView key={i} suit={s} wanted={asked} title={run.result.suits.length > 1 ? `Suit ${i + 1}` : 'Suit'} testId="suit" />)
            )}
          </div>
        )}
      </section>
    </div>
  )
}
