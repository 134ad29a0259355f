/**
 * Send a chat command to the character's plugin over /ws/live and show the server's
 * command_ack (and the plugin's command_result when relayed).
 */
import { useState, type FormEvent } from 'react'
import { MAX_COMMAND_CHARS } from '../../live/messages'
import { formatClock } from '../../lib/format'
import type { CharacterLive } from './useCharacterSocket'

const STATUS_TEXT: Record<string, string> = {
  waiting: 'waiting for the server…',
  sent: 'sent to the plugin',
  not_connected: 'not delivered: the character is not connected',
  forbidden: 'refused: you may not send commands',
  no_answer: 'no answer from the server',
  rate_limited: 'refused: too many commands, wait a moment',
}

export function CommandBox({ name, live }: { name: string; live: CharacterLive }) {
  const [command, setCommand] = useState('')
  const [error, setError] = useState<string | null>(null)
  const connected = live.status.state === 'open'

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const err = live.send(command)
    setError(err)
    if (!err) setCommand('')
  }

  return (
    <section className="card" aria-labelledby="cmd-title">
      <h2 id="cmd-title">Send a command</h2>
      <form className="inline-form" onSubmit={submit}>
        <label className="grow">
          <span className="sr-only">Command for {name}</span>
          <input
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            placeholder="/vt start"
            maxLength={MAX_COMMAND_CHARS}
            spellCheck={false}
            autoComplete="off"
            data-testid="command-input"
            aria-describedby="cmd-help"
          />
        </label>
        <button type="submit" className="primary" disabled={!command.trim() || !connected} data-testid="command-send">
          Send
        </button>
      </form>
      <div id="cmd-help" className="muted small">
        Runs in the game client as if typed in chat. {connected ? '' : 'Connecting to the server…'}
      </div>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      {live.serverError && <div className="form-error">Server: {live.serverError}</div>}
      {live.commands.length > 0 && (
        <ul className="cmd-list" aria-live="polite" data-testid="command-list">
          {live.commands.map((c) => (
            <li key={c.requestId} data-testid="command-status" data-status={c.status} data-result={c.result ? (c.result.ok ? 'ok' : 'failed') : undefined}>
              <code>{c.command}</code>
              <span className="muted small">{formatClock(c.sentAt)}</span>
              <span className={`pill ${c.status === 'sent' ? 'pill-on' : c.status === 'waiting' ? '' : 'pill-warn'}`}>
                {STATUS_TEXT[c.status] ?? c.status}
              </span>
              {c.result && (
                <span className={`pill ${c.result.ok ? 'pill-on' : 'pill-warn'}`}>
                  {c.result.ok ? 'plugin ran it' : `plugin failed${c.result.message ? `: ${c.result.message}` : ''}`}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
