/**
 * Test fixtures: whole server messages and responses built from the few fields a test cares
 * about. Owns only defaults (every other field `null`, as the server sends an unknown value),
 * so tests stay short while the types they build stay the generated, complete ones.
 */
import type { CharacterDetail, ChatMessage, LiveCharacter, TelemetryMessage, VitalsMessage } from '../api/types'

const NO_TELEMETRY = {
  landcell: null,
  local_x: null,
  local_y: null,
  z: null,
  ew: 0,
  ns: 0,
  heading: null,
  is_dungeon: false,
  kills: null,
  kills_per_hour: null,
  deaths: null,
  total_deaths: null,
  rares_found: null,
  prismatic_taper_count: null,
  session_seconds: null,
  xp_per_hour: null,
  level: null,
  total_xp: null,
  luminance: null,
  vt_state: null,
  coords: '0.0N, 0.0E',
  received_at: 0,
  client_time_ms: null,
}

export function telemetryMessage(character_name: string, fields: Partial<TelemetryMessage> = {}): TelemetryMessage {
  return { ...NO_TELEMETRY, ...fields, type: 'telemetry', character_name }
}

export function vitalsMessage(character_name: string, fields: Partial<VitalsMessage> = {}): VitalsMessage {
  const none = { health: null, health_max: null, stamina: null, stamina_max: null, mana: null, mana_max: null, vitae: null }
  return { received_at: 0, ...none, ...fields, type: 'vitals', character_name }
}

export function chatLine(character_name: string, text: string, fields: Partial<ChatMessage> = {}): ChatMessage {
  return { received_at: 0, channel: null, chat_type: null, sender: null, raw: null, ...fields, type: 'chat', character_name, text }
}

export function liveCharacter(character_name: string, fields: Partial<LiveCharacter> = {}): LiveCharacter {
  return { online: true, last_seen_ms: 0, telemetry: null, vitals: null, session: null, ...fields, character_name }
}

export function characterDetail(fields: Partial<CharacterDetail> = {}): CharacterDetail {
  return {
    character_name: 'a',
    online: false,
    last_seen_ms: null,
    plugin_version: null,
    telemetry: null,
    character_stats: null,
    combat_stats: null,
    vitals: null,
    cantrips: null,
    quests: null,
    nearby_objects: null,
    session: null,
    lifetime: null,
    ...fields,
  }
}
