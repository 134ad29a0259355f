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
