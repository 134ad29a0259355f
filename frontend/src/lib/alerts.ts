/**
 * The Alerts page's logic: the API's shapes, the editable draft made from the server's
 * settings, the PUT body with only what the admin may and did change, client-side checks
 * that mirror the server's (the server checks again), and how a test result reads.
 *
 * Pure: no fetch, no DOM.
 */

export type AlertKind = 'rare' | 'death' | 'idle' | 'tapers' | 'chat' | 'stuck' | 'disconnected' | 'levelup' | 'backup'
export type SettingSource = 'default' | 'dashboard' | 'file' | 'env'

export interface KindView {
  kind: AlertKind
  label: string
  description: string
  enabled: boolean
  webhooks: string[]
  webhooks_source: SettingSource
  webhooks_fixed_by: string | null
  template: string | null
  template_source: SettingSource
  template_fixed_by: string | null
  placeholders: string[]
  default_example: string
  example: string
  active: boolean
}

export interface ThresholdView {
  key: string
  label: string
  unit: string
  value: number
  default: number
  min: number
  max: number
  source: SettingSource
  fixed_by: string | null
}

export interface AlertSettingsView {
  kinds: KindView[]
  thresholds: ThresholdView[]
  limits: { max_webhooks_per_kind: number; max_template_chars: number; max_url_bytes: number }
  updated_ms: number | null
  updated_by: string | null
}

export interface TestAnswer {
  webhook: string
  line: string
  done: boolean
  delivered: boolean
  attempts: number
  status: number | null
  error: string | null
}

export interface SentAlert {
  at_ms: number
  raised_ms: number
  kind: AlertKind
  test: boolean
  webhook: string
  line: string
  delivered: boolean
  status: number | null
  error: string | null
}

export interface RecentAlerts {
  recent: SentAlert[]
  stats: { active: boolean; raised: number; sent: number; dropped: number; queued: number; rate_limited: number; failures: number }
}

export interface KindDraft {
  enabled: boolean
  webhooks: string[]
  template: string
}

export interface AlertsDraft {
  kinds: Record<string, KindDraft>
  thresholds: Record<string, string>
}

export function draftFromView(view: AlertSettingsView): AlertsDraft {
  const kinds: Record<string, KindDraft> = {}
  for (const k of view.kinds) kinds[k.kind] = { enabled: k.enabled, webhooks: [...k.webhooks], template: k.template ?? '' }
  const thresholds: Record<string, string> = {}
  for (const t of view.thresholds) thresholds[t.key] = String(t.value)
  return { kinds, thresholds }
}

export interface PatchBody {
  kinds: Record<string, { enabled?: boolean; webhooks?: string[]; template?: string }>
  thresholds: Record<string, number>
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * The PUT body: changed fields only, never one fixed by overlord.toml or the environment
 * (the server refuses those), blank webhook rows dropped.
 */
export function patchFromDraft(view: AlertSettingsView, draft: AlertsDraft): PatchBody {
  const body: PatchBody = { kinds: {}, thresholds: {} }
  for (const k of view.kinds) {
    const d = draft.kinds[k.kind]
    if (!d) continue
    const p: { enabled?: boolean; webhooks?: string[]; template?: string } = {}
    if (d.enabled !== k.enabled) p.enabled = d.enabled
    const hooks = d.webhooks.map((u) => u.trim()).filter((u) => u !== '')
    if (!k.webhooks_fixed_by && !sameList(hooks, k.webhooks)) p.webhooks = hooks
    if (!k.template_fixed_by && d.template !== (k.template ?? '')) p.template = d.template
    if (Object.keys(p).length > 0) body.kinds[k.kind] = p
  }
  for (const t of view.thresholds) {
    const raw = draft.thresholds[t.key]
    if (t.fixed_by || raw === undefined) continue
    const n = Number(raw)
    if (raw.trim() !== '' && Number.isFinite(n) && n !== t.value) body.thresholds[t.key] = n
  }
  return body
}

export function isEmptyPatch(p: PatchBody): boolean {
  return Object.keys(p.kinds).length === 0 && Object.keys(p.thresholds).length === 0
}

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/** null when acceptable; else why not (the server's rule: https, or http to this machine only). */
export function webhookProblem(url: string, maxBytes = 2048): string | null {
  const u = url.trim()
  if (u === '') return null
  if (new TextEncoder().encode(u).length > maxBytes) return `longer than ${maxBytes} bytes`
  let parsed: URL
  try {
    parsed = new URL(u)
  } catch {
    return 'not a URL; expected https://discord.com/api/webhooks/<id>/<token>'
  }
  if (parsed.protocol === 'https:') return parsed.hostname ? null : 'has no host'
  if (parsed.protocol === 'http:') {
    return isLoopbackHost(parsed.hostname) ? null : 'plain http would send the webhook token in clear text; use https://'
  }
  return 'must start with https://'
}

/** null when acceptable; else why not (length, braces, unknown placeholders). */
export function templateProblem(t: string, placeholders: string[], maxChars = 1000): string | null {
  if ([...t].length > maxChars) return `longer than ${maxChars} characters`
  let rest = t
  for (;;) {
    const open = rest.indexOf('{')
    if (open < 0) break
    const after = rest.slice(open + 1)
    const close = after.indexOf('}')
    if (close < 0) return "a '{' without its '}'"
    const name = after.slice(0, close)
    if (!placeholders.includes(name)) return `unknown placeholder {${name}}; use ${placeholders.map((p) => `{${p}}`).join(', ')}`
    rest = after.slice(close + 1)
  }
  if (rest.includes('}')) return "a '}' without its '{'"
  return null
}

/** Where a value comes from, for the page's read-only note. */
export function sourceNote(source: SettingSource, fixedBy: string | null): string {
  if (fixedBy) return fixedBy.startsWith('OVERLORD_') ? `Set by the environment variable ${fixedBy}; change it there.` : `Set in ${fixedBy}; change it there.`
  if (source === 'dashboard') return 'Set here.'
  return 'Default.'
}

/** One line for a test post's outcome. */
export function testResultText(r: TestAnswer): string {
  const status = r.status !== null ? `HTTP ${r.status}` : null
  if (r.done && r.delivered) return `Delivered (${status ?? 'accepted'}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}).`
  if (r.done) return `Failed${status ? ` (${status})` : ''}: ${r.error ?? 'no answer'}`
  return `Still trying after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${status ? ` (last ${status})` : ''}${r.error ? `: ${r.error}` : ''}. It keeps retrying in the background; see Recent alerts.`
}
