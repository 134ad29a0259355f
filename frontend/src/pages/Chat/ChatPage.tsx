/**
 * Chat: the allegiance chat over the live socket (the server de-duplicates the copies every
 * member's plugin sends, and keeps the last few hundred lines in memory: they arrive on
 * connect, so the page is not empty when opened), and a box to send a chat command through a
 * chosen character's plugin.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import { useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Empty } from '../../components/States'
import { useLiveCommands, useLiveState, useLiveStatus } from '../../live/LiveProvider'
import { MAX_COMMAND_CHARS } from '../../live/messages'
import { CHAT_LIMIT } from '../../live/store'
import { formatClock, formatDateTime, timeZoneLabel } from '../../lib/format'
import { matchesFilter } from '../../lib/sort'

const ACK_TEXT: Record<string, string> = {
  sent: 'sent to the plugin',
  not_connected: 'not delivered: that character is not connected',
  rate_limited: 'refused: too many commands, wait a moment',
  forbidden: 'refused: you may not send commands',
}

function SendBox() {
  const live = useLiveState()
  const { status } = useLiveStatus()
  const { sendCommand, acks } = useLiveCommands()
  const online = useMemo(() => [...live.characters.values()].filter((c) => c.online).map((c) => c.name).sort((a, b) => a.localeCompare(b)), [live.characters])
  const [who, setWho] = useState('')
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [sent, setSent] = useState<{ requestId: string; text: string; who: string } | null>(null)
  const target = who || online[0] || ''
  const connected = status.state === 'open'

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const r = sendCommand(target, text)
    if (!r.ok) {
      setError(r.error)
      return
    }
    setError(null)
    setSent({ requestId: r.requestId, text: text.trim(), who: target })
    setText('')
  }
  const ack = sent ? acks.get(sent.requestId) : undefined
  return (
    <form className="chat-send" onSubmit={submit} aria-label="Send a chat command" data-testid="chat-send">
      <label>
        Character
        <select value={target} onChange={(e) => setWho(e.target.value)} data-testid="chat-send-character" disabled={online.length === 0}>
          {online.length === 0 && <option value="">nobody online</option>}
          {online.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label className="grow">
        Command or chat line
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="/a Heading to the Marketplace"
          maxLength={MAX_COMMAND_CHARS}
          autoComplete="off"
          spellCheck={false}
          data-testid="chat-send-text"
        />
      </label>
      <button type="submit" className="primary" disabled={!connected || !target || !text.trim()} data-testid="chat-send-button">
        Send
      </button>
      <div className="chat-send-status small" aria-live="polite">
        {error ? (
          <span className="form-error">{error}</span>
        ) : sent ? (
          <span data-testid="chat-send-status" data-status={ack ?? 'waiting'}>
            “{sent.text}” as {sent.who}: {ack ? (ACK_TEXT[ack] ?? ack) : 'waiting for the server…'}
          </span>
        ) : (
          <span className="muted">Runs in that character's game client as if typed there (e.g. /a for allegiance chat).</span>
        )}
      </div>
    </form>
  )
}

export default function ChatPage() {
  useTitle('Chat')
  const live = useLiveState()
  const [filter, setFilter] = useState('')
  const [follow, setFollow] = useState(true)
  const box = useRef<HTMLDivElement>(null)

  const lines = useMemo(
    () => (filter.trim() ? live.chat.filter((c) => matchesFilter(`${c.msg.sender ?? ''} ${c.msg.text}`, filter)) : live.chat),
    [live.chat, filter],
  )

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight
  }, [lines, follow])

  return (
    <div className="chat-page">
      <PageHeader title="Chat" sub={`Allegiance chat: the server keeps the last few hundred lines (this page shows up to ${CHAT_LIMIT}). Times in ${timeZoneLabel()}, 24 h.`} />
      <div className="toolbar">
        <label>
          Filter
          <input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="sender or text" />
        </label>
        <label className="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow new lines
        </label>
      </div>
      {/* The log always fills the page's height, empty or not, so the send box below it does
          not jump down when the history arrives. The log role sits on a wrapper: on the list
          itself it would hide the list from assistive technology and leave its items without
          a list. */}
      <div className="chat-log" role="log" aria-live="polite" aria-label="Allegiance chat" ref={box} data-testid="chat-log">
        {lines.length === 0 ? (
          <Empty>{filter ? 'No line matches.' : 'No chat yet. Lines appear here as they are said in game.'}</Empty>
        ) : (
          <ol>
            {lines.map((c) => (
              <li key={c.id}>
                <time dateTime={new Date(c.t).toISOString()} title={formatDateTime(c.t)}>
                  {formatClock(c.t)}
                </time>{' '}
                <span className="chat-channel">[{c.msg.channel ?? 'chat'}]</span> <strong>{c.msg.sender ?? c.msg.character_name}</strong>: {c.msg.text}
              </li>
            ))}
          </ol>
        )}
      </div>
      <SendBox />
    </div>
  )
}
