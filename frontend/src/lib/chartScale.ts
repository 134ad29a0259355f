/**
 * Chart scales for whole-number series (kills, deaths, level, tapers): integer ticks and a
 * range that never collapses to one value nor shows fractions. Pure.
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

