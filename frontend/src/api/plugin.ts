/**
 * The plugin's own objects that a character page shows (docs/protocol.md §3.7–3.13).
 *
 * Owns these shapes only. The server normalizes and passes them through untouched, so the
 * plugin, not this server, defines them: they are typed here by hand, every field optional,
 * and pages must handle any field's absence. The server's own responses are generated from
 * its Rust types (`generated.ts`), which refer to these names.
 */

export interface AttributeValue {
  base?: number | null
  current?: number | null
}

export interface SkillValue extends AttributeValue {
  id?: number | null
  training?: string | null
}

/** docs/protocol.md §3.10. */
export interface CharacterStats {
  server?: string | null
  level?: number | null
  total_xp?: number | null
  unassigned_xp?: number | null
  xp_to_next_level?: number | null
  luminance?: number | null
  luminance_max?: number | null
  race?: string | null
  gender?: string | null
  burden?: number | null
  burden_capacity?: number | null
  pyreals?: number | null
  total_deaths?: number | null
  vitae?: number | null
  birth?: string | null
  age_seconds?: number | null
  allegiance?: {
    name?: string | null
    monarch?: string | null
    patron?: string | null
    rank?: number | null
    followers?: number | null
  } | null
  attributes?: Record<string, AttributeValue> | null
  vitals_max?: Record<string, number> | null
  skills?: Record<string, SkillValue> | null
  ratings?: Record<string, number> | null
  augmentations?: number | null
  received_at?: number | null
}

export interface CombatSide {
  attacks?: number | null
  failed?: number | null
  crits?: number | null
  damage?: number | null
  max_hit?: number | null
  kills?: number | null
  by_element?: Record<string, number> | null
}

/** docs/protocol.md §3.7. */
export interface CombatStats {
  session_seconds?: number | null
  given?: CombatSide | null
  received?: CombatSide | null
  top_targets?: { name: string; kills?: number | null; damage_given?: number | null }[] | null
  received_at?: number | null
}

/** docs/protocol.md §3.8 plus the server-derived ready time. */
export interface Quest {
  name: string
  solves?: number | null
  last_completed?: number | null
  max_solves?: number | null
  repeat_seconds?: number | null
  description?: string | null
  ready_at_ms?: number | null
}

/** A quest message: a list, or the §3.8 object with a `quests` list. */
export type QuestsPayload = Quest[] | { quests?: Quest[] | null }

export interface Enchantment {
  spell_id?: number | null
  name: string
  source?: string | null
  remaining_s?: number | null
}

/** docs/protocol.md §3.12. */
export interface Cantrips {
  enchantments?: Enchantment[] | null
  summary?: Record<string, number> | null
}

/** A cantrips message: the §3.12 object, or a bare enchantment list (older plugins). */
export type CantripsPayload = Cantrips | Enchantment[]

/** docs/protocol.md §3.13 entry. */
export interface NearbyObjectInfo {
  object_id: number
  name: string
  object_class?: string
  ew?: number
  ns?: number
  z?: number
  distance_m?: number
  health_pct?: number | null
}

/** docs/protocol.md §3.13. */
export interface NearbyObjectsPayload {
  objects?: NearbyObjectInfo[] | null
  radius_m?: number | null
}
