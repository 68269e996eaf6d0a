/**
 * Runs up to `limit` async iterators at once and yields their items as they arrive (order across
 * sources is not kept: Pardot gives a window's files in no order anyway). Backpressure holds: each
 * source has at most one item requested at a time, so nothing piles up while the consumer is slow.
 * On an error, the other open sources are closed (their `finally` blocks release connections) and
 * the error is rethrown.
 *
 * No Promise.race: racing the sources' pending promises on every item adds a reaction to each
 * promise still pending, which a source waiting long (for a worker, for the network) would keep
 * for every item the others yield. Each request here has one handler, which queues its outcome.
 */
export async function* mergeBounded<T>(
  sources: Iterable<() => AsyncIterator<T>>,
  limit: number,
  /** Called for items that arrived but were never yielded (the merge stopped first). */
  drop?: (item: T) => void,
): AsyncGenerator<T> {
  const pendingSources = sources[Symbol.iterator]();
  type Slot = { it: AsyncIterator<T> };
  type Outcome = { slot: Slot; r: IteratorResult<T> } | { slot: Slot; error: unknown };
  const active = new Set<Slot>();
  const arrived: Outcome[] = [];
  let signal: (() => void) | null = null;
  const arrive = (o: Outcome) => {
    arrived.push(o);
    const s = signal;
    signal = null;
    s?.();
  };
  const pull = (slot: Slot) => {
    slot.it.next().then(
      (r) => arrive({ slot, r }),
      (error: unknown) => arrive({ slot, error }),
    );
  };
  const open = (): boolean => {
    const n = pendingSources.next();
    if (n.done) return false;
    const slot: Slot = { it: n.value() };
    pull(slot);
    active.add(slot);
    return true;
  };
  try {
    while (active.size < Math.max(1, limit) && open());
    while (active.size > 0) {
      if (arrived.length === 0) await new Promise<void>((resolve) => (signal = resolve));
      const o = arrived.shift()!;
      if ('error' in o) {
        active.delete(o.slot);
        throw o.error;
      }
      if (o.r.done) {
        active.delete(o.slot);
        open();
        continue;
      }
      pull(o.slot);
      yield o.r.value;
    }
  } finally {
    // Consumer stopped or a source failed: hand back what arrived unseen, close what is still open.
    for (const o of arrived.splice(0)) if ('r' in o && o.r.done !== true) drop?.(o.r.value);
    await Promise.allSettled([...active].map((s) => s.it.return?.()));
  }
}
