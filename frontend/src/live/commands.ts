/**
 * Bookkeeping of commands a page sent to a character's plugin: each is listed with its
 * state, the server's command_ack and the plugin's command_result are matched to it by
 * request id (the page chooses it), falling back to the oldest command still waiting when a
 * server does not echo ids. Pure: lists in, lists out.
 */
import type { CommandAckMessage, CommandResultMessage } from './messages'

/** Commands kept in a page's history. */
export const COMMAND_HISTORY_LIMIT = 20
/** A command with no ack after this long is shown as unanswered. */
export const ACK_TIMEOUT_MS = 10_000

export interface SentCommand {
  requestId: string
  command: string
  sentAt: number
  /** 'waiting', 'no_answer', or the ack status: sent, not_connected, forbidden, rate_limited… */
  status: string
  /** The plugin's `command_result`: whether it ran the command, and its own words. */
  result?: { ok: boolean; message?: string | null }
}

/** Adds a just-sent command at the top (newest first), keeping the history bounded. */
export function addSent(list: readonly SentCommand[], c: SentCommand): SentCommand[] {
  return [c, ...list].slice(0, COMMAND_HISTORY_LIMIT)
}

function replaceAt(list: readonly SentCommand[], i: number, f: (c: SentCommand) => SentCommand): SentCommand[] {
  const c = list[i]
  if (!c) return [...list]
  const next = [...list]
  next[i] = f(c)
  return next
}

export function applyAck(list: readonly SentCommand[], ack: CommandAckMessage): SentCommand[] {
  let i = ack.request_id ? list.findIndex((c) => c.requestId === ack.request_id) : -1
  // The list is newest first; without a matching id, the oldest waiting command gets it.
  if (i < 0) i = list.findLastIndex((c) => c.status === 'waiting' || c.status === 'no_answer')
  if (i < 0) return list as SentCommand[]
  return replaceAt(list, i, (c) => ({ ...c, status: ack.status }))
}

export function applyResult(list: readonly SentCommand[], r: CommandResultMessage): SentCommand[] {
  const i = r.request_id ? list.findIndex((c) => c.requestId === r.request_id) : -1
  if (i < 0) return list as SentCommand[]
  return replaceAt(list, i, (c) => ({ ...c, result: { ok: r.ok !== false, message: r.message } }))
}

export function markUnanswered(list: readonly SentCommand[], nowMs: number): SentCommand[] {
  let changed = false
  const next = list.map((c) => {
    if (c.status === 'waiting' && nowMs - c.sentAt >= ACK_TIMEOUT_MS) {
      changed = true
      return { ...c, status: 'no_answer' }
    }
    return c
  })
  return changed ? next : (list as SentCommand[])
}
