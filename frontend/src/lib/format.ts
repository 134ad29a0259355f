/**
 * Number and time formatting for display.
 *
 * Owns every "how does this read" decision (thousands separators, compact numbers, durations,
 * relative times). Pure: the clock is a parameter, never read here, so tests are exact.
 * Uses one fixed locale so that screenshots and tests do not depend on the viewer's machine.
 */

const LOCALE = 'en-US'

const integerFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 })
const oneDecimalFormat = new Intl.NumberFormat(LOCALE, {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
})
const compactFormat = new Intl.NumberFormat(LOCALE, {
  notation: 'compact',
  maximumFractionDigits: 1,
})

/** The placeholder shown for a missing value. */
export const NO_VALUE = '—'

function isNum(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/** 1830442 → "1,830,442"; null → "—". */
export function formatInt(v: number | null | undefined): string {
  return isNum(v) ? integerFormat.format(Math.round(v)) : NO_VALUE
}

/** 612.44 → "612.4". */
export function formatDecimal(v: number | null | undefined): string {
  return isNum(v) ? oneDecimalFormat.format(v) : NO_VALUE
}

/** 184000000 → "184M"; 1523 → "1.5K"; small numbers stay as they are. */
export function formatCompact(v: number | null | undefined): string {
  if (!isNum(v)) return NO_VALUE
  if (Math.abs(v) < 10_000) return integerFormat.format(Math.round(v))
  return compactFormat.format(v)
}

/** 0.6234 → "62%". */
export function formatPercent(ratio: number | null | undefined): string {
  return isNum(ratio) ? `${Math.round(ratio * 100)}%` : NO_VALUE
}

/** Seconds → "2h 29m", "4m 05s", "12s", "3d 4h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (!isNum(seconds)) return NO_VALUE
  const neg = seconds < 0
  let s = Math.floor(Math.abs(seconds))
  const d = Math.floor(s / 86_400)
  s -= d * 86_400
  const h = Math.floor(s / 3_600)
  s -= h * 3_600
  const m = Math.floor(s / 60)
  s -= m * 60
  let out: string
  if (d > 0) out = `${d}d ${h}h`
  else if (h > 0) out = `${h}h ${String(m).padStart(2, '0')}m`
  else if (m > 0) out = `${m}m ${String(s).padStart(2, '0')}s`
  else out = `${s}s`
  return neg ? `-${out}` : out
}

/** "just now", "42s ago", "5 min ago", "3 h ago", "2 d ago"; future times read "in …". */
export function formatRelative(ms: number | null | undefined, nowMs: number): string {
  if (!isNum(ms)) return NO_VALUE
  const diff = Math.round((nowMs - ms) / 1000)
  const future = diff < 0
  const a = Math.abs(diff)
  let body: string
  if (a < 5) return 'just now'
  if (a < 60) body = `${a}s`
  else if (a < 3_600) body = `${Math.floor(a / 60)} min`
  else if (a < 86_400) body = `${Math.floor(a / 3_600)} h`
  else body = `${Math.floor(a / 86_400)} d`
  return future ? `in ${body}` : `${body} ago`
}

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** Local "2025-06-01 18:22:05". */
export function formatDateTime(ms: number | null | undefined): string {
  if (!isNum(ms)) return NO_VALUE
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
}

/** Local "18:22:05". */
export function formatClock(ms: number | null | undefined): string {
  if (!isNum(ms)) return NO_VALUE
  const d = new Date(ms)
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
}

/** Value for an <input type="datetime-local"> (local time, minutes). */
export function toDateTimeLocal(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}

/** Parses an <input type="datetime-local"> value (local time); null when empty/invalid. */
export function fromDateTimeLocal(value: string): number | null {
  if (!value) return null
  const ms = new Date(value).getTime()
  return Number.isFinite(ms) ? ms : null
}

/** Heading degrees → compass point: 271.5 → "W". */
export function compassPoint(deg: number | null | undefined): string {
  if (!isNum(deg)) return NO_VALUE
  const points = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW']
  const i = Math.round((((deg % 360) + 360) % 360) / 45) % 8
  return points[i] ?? 'N'
}

/** Byte counts: 123456 → "120.6 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (!isNum(bytes)) return NO_VALUE
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = bytes
  let u = 0
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024
    u += 1
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`
}

/** The browser's time zone as shown beside times ("UTC", "CET", "GMT+2"): the dashboard shows local 24 h times and names the zone. */
export function timeZoneLabel(at: number = Date.now()): string {
  try {
    const part = new Intl.DateTimeFormat('en-GB', { timeZoneName: 'short' }).formatToParts(new Date(at)).find((p) => p.type === 'timeZoneName')
    return part?.value ?? 'local time'
  } catch {
    return 'local time'
  }
}

/** Local "2025-06-01 18:00" (24 h), for hour buckets. */
export function formatHour(ms: number | null | undefined): string {
  if (!isNum(ms)) return NO_VALUE
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`
}

/** A rank change as text: "▲ 2", "▼ 1", "–" (unchanged) or "new". */
export function formatRankChange(change: number | null | undefined): string {
  if (change === null || change === undefined) return 'new'
  if (change > 0) return `▲ ${change}`
  if (change < 0) return `▼ ${-change}`
  return '–'
}

/** Parses "2025-06-01 18:00" or "2025-06-01T18:00" (local time, 24 h); null if it is not one. */
export function parseLocalDateTime(value: string): number | null {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})\s*$/.exec(value)
  if (!m) return null
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number]
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59) return null
  const t = new Date(y, mo - 1, d, h, mi, 0, 0)
  return t.getMonth() === mo - 1 && t.getDate() === d ? t.getTime() : null
}
