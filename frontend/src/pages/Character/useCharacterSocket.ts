/**
 * The character page's own /ws/live connection: heavy topics (quests, cantrips, nearby
 * objects, stats) for this one character, and the socket that carries its commands.
 *
 * Commands go out on this socket; their acks and results are matched by live/commands.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { LiveClient, type ConnectionStatus } from '../../live/client'
import {
  CHARACTER_TOPICS,
  type CantripsMessage,
  type CharacterStatsMessage,
  type CombatStatsMessage,
  type DungeonMapMessage,
  type LiveMessage,
  type NearbyObjectsMessage,
  type QuestMessage,
  type TelemetryMessage,
  type VitalsMessage,
} from '../../live/messages'
import { ACK_TIMEOUT_MS, addSent, applyAck, applyResult, markUnanswered, type SentCommand } from '../../live/commands'
import { keyOf } from '../../live/store'

export interface CharacterLive {
  status: ConnectionStatus
  telemetry: TelemetryMessage | null
  vitals: VitalsMessage | null
  characterStats: CharacterStatsMessage | null
  combatStats: CombatStatsMessage | null
  quests: QuestMessage | null
  cantrips: CantripsMessage | null
  nearby: NearbyObjectsMessage | null
  online: boolean | null
  commands: readonly SentCommand[]
  serverError: string | null
  dungeonMap: DungeonMapMessage | null
  send: (command: string) => string | null
  /** Asks for the dungeon map of the character's current dungeon; false if not connected. */
  requestDungeonMap: () => boolean
}

export function useCharacterSocket(name: string): CharacterLive {
  const [status, setStatus] = useState<ConnectionStatus>({ state: 'connecting', attempt: 0 })
  const [telemetry, setTelemetry] = useState<TelemetryMessage | null>(null)
  const [vitals, setVitals] = useState<VitalsMessage | null>(null)
  const [characterStats, setCharacterStats] = useState<CharacterStatsMessage | null>(null)
  const [combatStats, setCombatStats] = useState<CombatStatsMessage | null>(null)
  const [quests, setQuests] = useState<QuestMessage | null>(null)
  const [cantrips, setCantrips] = useState<CantripsMessage | null>(null)
  const [nearby, setNearby] = useState<NearbyObjectsMessage | null>(null)
  const [online, setOnline] = useState<boolean | null>(null)
  const [commands, setCommands] = useState<SentCommand[]>([])
  const [serverError, setServerError] = useState<string | null>(null)
  const [dungeonMap, setDungeonMap] = useState<DungeonMapMessage | null>(null)
  const client = useRef<LiveClient | null>(null)

  useEffect(() => {
    const me = keyOf(name)
    const mine = (n: string | undefined) => n !== undefined && keyOf(n) === me
    const onMessage = (m: LiveMessage) => {
      switch (m.type) {
        case 'telemetry':
          if (mine(m.character_name)) setTelemetry((p) => ({ ...(p ?? {}), ...m }))
          break
        case 'telemetry_batch':
          for (const it of m.items) if (mine(it.character_name)) setTelemetry((p) => ({ ...(p ?? {}), ...it }))
          break
        case 'vitals':
          if (mine(m.character_name)) setVitals((p) => ({ ...(p ?? {}), ...m }))
          break
        case 'character_stats':
          if (mine(m.character_name)) setCharacterStats(m)
          break
        case 'combat_stats':
          if (mine(m.character_name)) setCombatStats(m)
          break
        case 'quest':
          if (mine(m.character_name)) setQuests(m)
          break
        case 'cantrips':
          if (mine(m.character_name)) setCantrips(m)
          break
        case 'nearby_objects':
          if (mine(m.character_name)) setNearby(m)
          break
        case 'online':
          if (mine(m.character_name)) setOnline(m.online)
          break
        case 'snapshot': {
          const c = m.characters.find((x) => mine(x.character_name))
          if (c) setOnline(c.online)
          break
        }
        case 'command_ack':
          if (mine(m.player_name)) setCommands((list) => applyAck(list, m))
          break
        case 'command_result': {
          if (mine(m.character_name)) setCommands((list) => applyResult(list, m))
          break
        }
        case 'dungeon_map':
          if (mine(m.character_name)) setDungeonMap(m)
          break
        case 'error':
          setServerError(`${m.code}: ${m.message}`)
          break
        default:
          break
      }
    }
    const c = new LiveClient({
      subscription: { topics: CHARACTER_TOPICS, characters: [name] },
      onMessage,
      onStatus: setStatus,
    })
    client.current = c
    c.start()
    return () => {
      c.stop()
      client.current = null
    }
  }, [name])

  // Commands that never got an ack are marked after a while.
  useEffect(() => {
    const waiting = commands.filter((c) => c.status === 'waiting')
    if (waiting.length === 0) return
    const oldest = Math.min(...waiting.map((c) => c.sentAt))
    const t = setTimeout(
      () => setCommands((list) => markUnanswered(list, Date.now())),
      Math.max(0, oldest + ACK_TIMEOUT_MS - Date.now()) + 50,
    )
    return () => clearTimeout(t)
  }, [commands])

  const send = useCallback(
    (command: string): string | null => {
      const c = client.current
      if (!c) return 'not connected'
      const r = c.sendCommand(name, command)
      if (!r.ok) return r.error
      setCommands((list) => addSent(list, { requestId: r.requestId, command: command.trim(), sentAt: Date.now(), status: 'waiting' }))
      return null
    },
    [name],
  )

  const requestDungeonMap = useCallback(() => client.current?.requestDungeonMap(name) ?? false, [name])

  return {
    status,
    dungeonMap,
    requestDungeonMap,
    telemetry,
    vitals,
    characterStats,
    combatStats,
    quests,
    cantrips,
    nearby,
    online,
    commands,
    serverError,
    send,
  }
}
