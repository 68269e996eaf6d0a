/**
 * Runs up to `limit` async iterators at once and yields their items as they arrive (order across
 * sources is not kept: Pardot gives a window's files in no order anyway). Backpressure holds: each
 * source has at most one item requested at a time, so nothing piles up while the consumer is slow.
 * On an error, the other open sources are closed (their `finally` blocks release connections) and
 * the error is rethrown.
 */
export async function* mergeBounded<T>(sources: Iterable<() => AsyncIterator<T>>, limit: number): AsyncGenerator<T> {
  const pendingSources = sources[Symbol.iterator]();
  type Slot = { it: AsyncIterator<T>; next: Promise<{ slot: Slot; r: IteratorResult<T> }> };
  const active = new Set<Slot>();
  const pull = (slot: Slot) => {
    slot.next = slot.it.next().then((r) => ({ slot, r }));
    // Seen by Promise.race below; this only keeps a rejection that lands after we stopped from
    // being reported as unhandled.
    slot.next.catch(() => undefined);
  };
  const open = (): boolean => {
    const n = pendingSources.next();
    if (n.done) return false;
    const slot = { it: n.value() } as Slot;
    pull(slot);
    active.add(slot);
    return true;
  };
  try {
    while (active.size < Math.max(1, limit) && open());
    while (active.size > 0) {
      const { slot, r } = await Promise.race([...active].map((s) => s.next));
      if (r.done) {
        active.delete(slot);
        open();
        continue;
      }
      pull(slot);
      yield r.value;
    }
  } finally {
    // Consumer stopped or a source failed: close what is still open.
    await Promise.allSettled([...active].map((s) => s.it.return?.()));
  }
}
