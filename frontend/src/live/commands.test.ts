import { describe, expect, it } from 'vitest'
import { ACK_TIMEOUT_MS, addSent, applyAck, applyResult, COMMAND_HISTORY_LIMIT, markUnanswered, type SentCommand } from './commands'

const cmd = (requestId: string, sentAt = 0): SentCommand => ({ requestId, command: `/c ${requestId}`, sentAt, status: 'waiting' })

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
    l = applyResult(l, { type: 'command_result', request_id: 'zzz', ok: true })
    expect(l[0]?.result).toBeUndefined()
    l = applyResult(l, { type: 'command_result', request_id: 'a', ok: false, error: 'unknown command' })
    expect(l[0]?.result).toEqual({ ok: false, error: 'unknown command' })
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
