/**
 * Stable per-character colours: the same name always gets the same hue, so a character is
 * recognisable across the map, charts and replays. Pure.
 */

/** FNV-1a over the lower-cased name. */
export function hashName(name: string): number {
  let h = 0x811c9dc5
  const s = name.trim().toLowerCase()
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function colorFor(name: string): string {
  const h = hashName(name)
  const hue = h % 360
  const light = 58 + ((h >>> 9) % 12)
  return `hsl(${hue} 80% ${light}%)`
}
