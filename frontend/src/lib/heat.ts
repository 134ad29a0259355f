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
