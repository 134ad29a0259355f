/**
 * Time ranges for charts and queries: presets, and a step that keeps charts near a fixed
 * number of points.
 *
 * Pure: "now" is a parameter.
 */

export interface RangePreset {
  id: string
  label: string
  ms: number
}

export const RANGE_PRESETS: readonly RangePreset[] = [
  { id: '1h', label: '1 hour', ms: 3_600_000 },
  { id: '6h', label: '6 hours', ms: 6 * 3_600_000 },
  { id: '24h', label: '24 hours', ms: 24 * 3_600_000 },
  { id: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 days', ms: 30 * 86_400_000 },
]

/** Charts aim for about this many points: enough for shape, cheap to fetch and draw. */
export const TARGET_CHART_POINTS = 300
/** Smallest step the server is asked for. */
export const MIN_STEP_S = 10

const NICE_STEPS_S = [10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

/** A round step (seconds) giving at most about TARGET_CHART_POINTS points over `rangeMs`. */
export function stepForRange(rangeMs: number): number {
  const raw = rangeMs / 1000 / TARGET_CHART_POINTS
  for (const s of NICE_STEPS_S) if (s >= raw) return Math.max(MIN_STEP_S, s)
  return NICE_STEPS_S[NICE_STEPS_S.length - 1] ?? 86400
}

export function presetById(id: string): RangePreset {
  return RANGE_PRESETS.find((p) => p.id === id) ?? RANGE_PRESETS[0] ?? { id: '1h', label: '1 hour', ms: 3_600_000 }
}

/** [from, to] for a preset ending now. */
export function rangeEndingAt(preset: RangePreset, nowMs: number): { from: number; to: number } {
  return { from: nowMs - preset.ms, to: nowMs }
}

/** Start of the hour containing `ms` (local time). */
export function startOfHour(ms: number): number {
  const d = new Date(ms)
  d.setMinutes(0, 0, 0)
  return d.getTime()
}

/** The shortest span a fitted range shows, so a brand-new session is not a single point. */
export const FIT_MIN_MS = 2 * 60_000
/** The longest span a fitted range shows (the longest preset). */
export const FIT_MAX_MS = 30 * 86_400_000

/**
 * The range that fits the data that exists: from where the character's data starts (the
 * current session when one is running, else the first time Overlord saw them) to now, with
 * a little room before the first point; never shorter than FIT_MIN_MS nor longer than
 * FIT_MAX_MS. So a 3-minute session fills the chart instead of hugging its right edge.
 */
export function fitRange(p: { sessionSeconds?: number | null; firstSeenMs?: number | null; nowMs: number }): { from: number; to: number } {
  const { nowMs } = p
  let start: number | null = null
  if (typeof p.sessionSeconds === 'number' && p.sessionSeconds > 0) start = nowMs - p.sessionSeconds * 1000
  else if (typeof p.firstSeenMs === 'number' && p.firstSeenMs > 0) start = p.firstSeenMs
  const span = start === null ? FIT_MIN_MS : Math.min(FIT_MAX_MS, Math.max(FIT_MIN_MS, (nowMs - start) * 1.05))
  return { from: nowMs - span, to: nowMs }
}
