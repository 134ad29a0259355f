/**
 * Collision-free label placement for the map: every candidate label has a screen box and a
 * priority; labels are placed greedily from the highest priority, each at the first of a few
 * positions around its anchor that overlaps nothing placed so far (nor any reserved box, such
 * as marker dots), and dropped when none is free. So at any zoom a lower-priority label is
 * hidden rather than drawn over another.
 *
 * Pure: no DOM. Text width is estimated from the character count (the map's label font).
 */

export interface Box {
  x: number
  y: number
  w: number
  h: number
}

export interface LabelCandidate {
  id: string
  /** Anchor point (the landmark or marker) in screen pixels. */
  x: number
  y: number
  text: string
  /** Higher is placed first. */
  priority: number
  /** Font size in px (width estimate and box height). */
  size?: number
  /** Only centred on the anchor (region names) instead of beside it. */
  centred?: boolean
}

export interface PlacedLabel {
  id: string
  text: string
  /** Text origin (left, baseline). */
  x: number
  y: number
  box: Box
}

/** Average glyph width as a share of the font size for the system UI font. */
const GLYPH_RATIO = 0.58
/** Gap between an anchor and its label. */
const GAP = 7

export function estimateWidth(text: string, size: number): number {
  return Math.ceil(text.length * size * GLYPH_RATIO) + 4
}

export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/** Boxes tried around the anchor, in order: right, left, above, below (or only centred). */
function positions(c: LabelCandidate, w: number, h: number): Box[] {
  if (c.centred) return [{ x: c.x - w / 2, y: c.y - h / 2, w, h }]
  return [
    { x: c.x + GAP, y: c.y - h / 2, w, h },
    { x: c.x - GAP - w, y: c.y - h / 2, w, h },
    { x: c.x - w / 2, y: c.y - GAP - h, w, h },
    { x: c.x - w / 2, y: c.y + GAP, w, h },
  ]
}

/**
 * Places what fits, highest priority first (ties keep input order). `reserved` boxes (marker
 * dots, map controls) are never covered; labels outside `bounds` are dropped.
 */
export function placeLabels(candidates: readonly LabelCandidate[], reserved: readonly Box[] = [], bounds?: Box): PlacedLabel[] {
  const order = candidates.map((c, i) => ({ c, i })).sort((a, b) => b.c.priority - a.c.priority || a.i - b.i)
  const taken: Box[] = [...reserved]
  const placed: PlacedLabel[] = []
  for (const { c } of order) {
    const size = c.size ?? 11
    const w = estimateWidth(c.text, size)
    const h = size + 4
    for (const box of positions(c, w, h)) {
      if (bounds && (box.x < bounds.x || box.y < bounds.y || box.x + box.w > bounds.x + bounds.w || box.y + box.h > bounds.y + bounds.h)) continue
      if (taken.some((t) => overlaps(t, box))) continue
      taken.push(box)
      placed.push({ id: c.id, text: c.text, x: box.x + 2, y: box.y + h - 4, box })
      break
    }
  }
  return placed
}

/** A square box of side `2r` around a point (marker dots and landmark symbols). */
export function dotBox(x: number, y: number, r: number): Box {
  return { x: x - r, y: y - r, w: 2 * r, h: 2 * r }
}
