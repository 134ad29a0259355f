/**
 * Chart scales: integer ticks and ranges for whole-number series (kills, deaths, level,
 * tapers) that never collapse to one value nor show fractions, and the time axis's tick
 * labels in the dashboard's one time format (24 h, local zone). Pure.
 */

/** Tick increments for whole-number series (never a fractional tick such as 0.5). */
export const INTEGER_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000]

/** y range for whole-number series: integers around the data, never collapsed to one value. */
export function integerRange(min: number | null, max: number | null): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1]
  const lo = Math.floor(min)
  let hi = Math.ceil(max)
  if (hi <= lo) hi = lo + 1
  return [lo === hi - 1 && lo > 0 ? lo - 1 : lo, hi]
}


function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/**
 * Tick labels for a time axis (ticks in unix seconds, `incrS` seconds apart), 24 h like every
 * other time in the dashboard: "14:05" (with ":ss" under a minute apart); the date "12-06"
 * under the first tick and wherever the day changes; only the date when ticks are days apart.
 */
export function timeTickLabels(ticks: readonly number[], incrS: number): string[] {
  let lastDay = ''
  return ticks.map((t) => {
    const d = new Date(t * 1000)
    const day = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
    if (incrS >= 86_400) return day
    const clock = incrS < 60 ? `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}` : `${pad2(d.getHours())}:${pad2(d.getMinutes())}`
    const label = day === lastDay ? clock : `${clock}\n${day}`
    lastDay = day
    return label
  })
}
