/**
 * Chat: the allegiance chat as it arrives over the live socket (the server de-duplicates the
 * copies every member's plugin sends). Chat is not stored, so the page shows lines received
 * since the dashboard was opened.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import { useTitle } from '../../components/hooks'
import { PageHeader } from '../../components/Layout'
import { Empty } from '../../components/States'
import { useLiveState } from '../../live/LiveProvider'
import { CHAT_LIMIT } from '../../live/store'
import { formatClock, formatDateTime } from '../../lib/format'
import { matchesFilter } from '../../lib/sort'

export default function ChatPage() {
  useTitle('Chat')
  const live = useLiveState()
  const [filter, setFilter] = useState('')
  const [follow, setFollow] = useState(true)
  const box = useRef<HTMLOListElement>(null)

  const lines = useMemo(
    () => (filter.trim() ? live.chat.filter((c) => matchesFilter(`${c.msg.sender ?? ''} ${c.msg.text}`, filter)) : live.chat),
    [live.chat, filter],
  )

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight
  }, [lines, follow])

  return (
    <div className="chat-page">
      <PageHeader title="Chat" sub={`Allegiance chat since you opened the dashboard (last ${CHAT_LIMIT} lines)`} />
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
      {lines.length === 0 ? (
        <Empty>{filter ? 'No line matches.' : 'No chat yet. Lines appear here as they are said in game.'}</Empty>
      ) : (
        <ol className="chat-log" role="log" aria-live="polite" aria-label="Allegiance chat" ref={box} data-testid="chat-log">
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
  )
}
