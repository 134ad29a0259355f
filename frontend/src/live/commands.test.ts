import { describe, expect, it } from 'vitest'
import { ACK_TIMEOUT_MS, addSent, applyAck, applyResult, COMMAND_HISTORY_LIMIT, markUnanswered, type SentCommand } from './commands'
import type { CommandResultMessage } from './messages'

const cmd = (requestId: string, sentAt = 0): SentCommand => ({ requestId, command: `/c ${requestId}`, sentAt, status: 'waiting' })

// The plugin's reply as the server relays it (`message` carries the plugin's own words).
const result = (request_id: string, ok: boolean, message: string | null = null): CommandResultMessage => ({
  type: 'command_result',
  character_name: 'X',
  received_at: 0,
  request_id,
  ok,
  message,
})

describe('command bookkeeping', () => {
  it('matches an ack by request id', () => {
    let l = addSent([], cmd('a'))
    l = addSent(l, cmd('b'))
    l = applyAck(l, { type: 'command_ack', player_name: 'X', request_id: 'b', status: 'sent' })
    expect(l.map((c) => c.status)).toEqual(['sent', 'waiting'])
  })
  it('falls back to the oldest waiting command when the id is unknown', () => {
    let l = addSent([], cmd('a'))
    l = addSent(l, cmd('b'))
    l = applyAck(l, { type: 'command_ack', player_name: 'X', request_id: 'c-1717', status: 'not_connected' })
    expect(l.map((c) => `${c.requestId}:${c.status}`)).toEqual(['b:waiting', 'a:not_connected'])
  })
  it('records the plugin result by request id only', () => {
    let l = addSent([], cmd('a'))
    l = applyResult(l, result('zzz', true))
    expect(l[0]?.result).toBeUndefined()
    l = applyResult(l, result('a', false, 'unknown command'))
    expect(l[0]?.result).toEqual({ ok: false, message: 'unknown command' })
  })
  it('marks commands without an ack as unanswered after the timeout', () => {
    const l = addSent([], cmd('a', 1000))
    expect(markUnanswered(l, 1000 + ACK_TIMEOUT_MS - 1)).toBe(l)
    expect(markUnanswered(l, 1000 + ACK_TIMEOUT_MS)[0]?.status).toBe('no_answer')
  })
  it('keeps the history bounded', () => {
    let l: SentCommand[] = []
    for (let i = 0; i < COMMAND_HISTORY_LIMIT + 5; i++) l = addSent(l, cmd(String(i)))
    expect(l).toHaveLength(COMMAND_HISTORY_LIMIT)
    expect(l[0]?.requestId).toBe(String(COMMAND_HISTORY_LIMIT + 4))
  })
})
