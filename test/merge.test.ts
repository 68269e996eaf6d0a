import { describe, expect, it } from 'vitest';
import { mergeBounded } from '../src/sync/merge.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function source(name: string, n: number, delay: number, track: { open: number; max: number; closed: string[] }) {
  return () =>
    (async function* () {
      track.open++;
      track.max = Math.max(track.max, track.open);
      try {
        for (let i = 0; i < n; i++) {
          await sleep(delay);
          yield `${name}${i}`;
        }
      } finally {
        track.open--;
        track.closed.push(name);
      }
    })();
}

describe('mergeBounded', () => {
  it('yields every item of every source once, with at most `limit` sources open', async () => {
    const track = { open: 0, max: 0, closed: [] as string[] };
    const out: string[] = [];
    for await (const x of mergeBounded(['a', 'b', 'c', 'd', 'e'].map((n, i) => source(n, 3 + i, 1 + (i % 2), track)), 2)) out.push(x);
    expect(out.sort()).toEqual(['a', 'b', 'c', 'd', 'e'].flatMap((n, i) => Array.from({ length: 3 + i }, (_, k) => `${n}${k}`)).sort());
    expect(track.max).toBe(2);
    expect(track.open).toBe(0);
  });

  it('closes the other open sources and rethrows when one fails', async () => {
    const track = { open: 0, max: 0, closed: [] as string[] };
    const failing = () =>
      (async function* () {
        yield 'x';
        await sleep(5);
        throw new Error('boom');
      })();
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const x of mergeBounded([source('slow', 100, 3, track), failing], 2)) got.push(x);
      })(),
    ).rejects.toThrow('boom');
    expect(track.closed).toEqual(['slow']);
    expect(track.open).toBe(0);
  });

  it('closes open sources when the consumer stops early', async () => {
    const track = { open: 0, max: 0, closed: [] as string[] };
    for await (const x of mergeBounded([source('a', 10, 1, track), source('b', 10, 1, track)], 2)) {
      if (x) break;
    }
    expect(track.open).toBe(0);
  });

  it('hands items that arrived but were never yielded to `drop` when it stops', async () => {
    // Driven by events, not timers: b fails while the consumer holds a0, then a1 arrives, then
    // the consumer asks for more.
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      return { open, opened };
    };
    const bFails = gate();
    const a1Due = gate();
    const a1Sent = gate();
    let bFailed = false;
    const dropped: string[] = [];
    const fast = () =>
      (async function* () {
        yield 'a0';
        await a1Due.opened;
        a1Sent.open();
        yield 'a1'; // arrives after b's error, while the consumer is still busy with a0
      })();
    const failing = () =>
      (async function* () {
        await bFails.opened;
        bFailed = true;
        throw new Error('file b failed');
      })();
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const x of mergeBounded([fast, failing], 2, (x) => dropped.push(x))) {
          seen.push(x);
          bFails.open();
          await turn();
          expect(bFailed).toBe(true);
          a1Due.open();
          await a1Sent.opened;
          await turn(); // the merge takes a1 in
        }
      })(),
    ).rejects.toThrow('file b failed');
    expect(seen).toEqual(['a0']);
    expect(dropped).toEqual(['a1']);
  });
});
