/**
 * Runs async work over a list with a concurrency limit, so a replay that loads trails for
 * many characters does not open hundreds of requests at once. Results keep input order;
 * a failed item yields its error instead of failing the whole batch.
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown }

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Settled<R>[]> {
  const out: Settled<R>[] = new Array<Settled<R>>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      const item = items[i] as T
      try {
        out[i] = { ok: true, value: await fn(item, i) }
      } catch (error) {
        out[i] = { ok: false, error }
      }
    }
  }
  const n = Math.max(1, Math.min(limit, items.length))
  await Promise.all(Array.from({ length: n }, worker))
  return out
}
