/**
 * Heatmap colour scale: 0..1 (log-scaled count share) to a translucent colour that stays
 * readable over the dark map. Pure.
 */

/** 0..1 → translucent blue → yellow → red. */
export function heatColor(f: number): string {
  const t = Math.max(0, Math.min(1, f))
  const r = Math.round(t < 0.5 ? 60 + t * 2 * 195 : 255)
  const g = Math.round(t < 0.5 ? 120 + t * 2 * 100 : 220 - (t - 0.5) * 2 * 170)
  const b = Math.round(t < 0.5 ? 220 - t * 2 * 180 : 40)
  const a = (0.35 + 0.6 * t).toFixed(2)
  return `rgba(${r},${g},${b},${a})`
}

/** Cell sizes (map units) the heatmap chooses from; 0.1 is one land cell (24 m). */
export const HEAT_CELLS = [0.1, 0.2, 0.5, 1, 2, 4] as const
/** A heatmap cell should be at least this many pixels wide to be visible. */
export const HEAT_CELL_MIN_PX = 7

/** The smallest cell that is still HEAT_CELL_MIN_PX wide at `scale` px per unit. */
export function cellForScale(scale: number): number {
  for (const c of HEAT_CELLS) if (c * scale >= HEAT_CELL_MIN_PX) return c
  return HEAT_CELLS[HEAT_CELLS.length - 1] ?? 4
}

/** A CSS gradient of the colour ramp, for the legend. */
export function heatGradient(): string {
  const stops = [0, 0.25, 0.5, 0.75, 1].map((f) => `${heatColor(f)} ${f * 100}%`)
  return `linear-gradient(to right, ${stops.join(', ')})`
}
