/**
 * The suit-builder event stream (`GET /api/suitbuilder/jobs/{id}/events`, text/event-stream).
 *
 * Owns decoding of the four named events (progress, best, done, error) and closing the stream
 * once the job has ended, so EventSource does not reconnect to a finished job. Never starts or
 * cancels jobs (that is the API client).
 */
import type { Suit, SuitDone, SuitProgress } from './types'

export interface SuitStreamHandlers {
  onProgress: (p: SuitProgress) => void
  onBest: (s: Suit) => void
  onDone: (d: SuitDone) => void
  onError: (e: { code: string; message: string }) => void
}

/** The subset of EventSource used here, so tests can pass a fake. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (ev: Event) => void): void
  close(): void
  readonly readyState: number
}

export type EventSourceFactory = (url: string) => EventSourceLike

const CLOSED = 2

function parse(ev: Event): unknown {
  const data = (ev as MessageEvent<unknown>).data
  if (typeof data !== 'string') return undefined
  try {
    return JSON.parse(data)
  } catch {
    return undefined
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null
}

/**
 * Opens the stream and returns a function that closes it. Exactly one of onDone/onError is
 * called at the end (a dropped connection after the job ended is not reported).
 */
export function openSuitStream(
  url: string,
  handlers: SuitStreamHandlers,
  factory: EventSourceFactory = (u) => new EventSource(u),
): () => void {
  const es = factory(url)
  let finished = false
  const finish = () => {
    finished = true
    es.close()
  }
  es.addEventListener('progress', (ev) => {
    const v = parse(ev)
    if (isObject(v) && typeof v.nodes === 'number') handlers.onProgress(v as unknown as SuitProgress)
  })
  es.addEventListener('best', (ev) => {
    const v = parse(ev)
    // The contract says `best {suit}`: accept the suit itself or {suit: …}.
    const suit = isObject(v) && isObject(v.suit) ? v.suit : v
    if (isObject(suit) && Array.isArray(suit.items)) handlers.onBest(suit as unknown as Suit)
  })
  es.addEventListener('done', (ev) => {
    const v = parse(ev)
    finish()
    if (isObject(v) && Array.isArray(v.suits)) handlers.onDone(v as unknown as SuitDone)
    else handlers.onError({ code: 'bad_response', message: 'the job ended with an unreadable result' })
  })
  // "error" is both the server's named event (with data) and EventSource's own connection
  // error (without data). Tell them apart by the payload.
  es.addEventListener('error', (ev) => {
    if (finished) return
    const v = parse(ev)
    if (isObject(v) && typeof v.message === 'string') {
      finish()
      handlers.onError({ code: typeof v.code === 'string' ? v.code : 'error', message: v.message })
      return
    }
    if (es.readyState === CLOSED) {
      finish()
      handlers.onError({ code: 'network', message: 'lost the connection to the suit builder stream' })
    }
    // Otherwise EventSource is reconnecting by itself; wait.
  })
  return () => {
    if (!finished) finish()
  }
}
