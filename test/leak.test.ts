/**
 * Long waits do not collect memory per record batch. Run in a child node with --expose-gc on the
 * built modules: the heap after a full GC, before and after 200,000 waits, must not have grown.
 * (The bug this pins: Promise.race against one long-lived pending promise adds a reaction to it
 * on every call; over a 5M-row window that was 7 MB of heap, growing with the rows.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = join(import.meta.dirname, '..', 'dist', 'src', 'sync');

function heapGrowthMb(body: string): number {
  const script = `
    const { EventQueue } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'event-queue.js')).href)});
    const { mergeBounded } = await import(${JSON.stringify(pathToFileURL(join(DIST, 'merge.js')).href)});
    const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
    const run = async (n) => { ${body} };
    // mark(): the heap at the point where the waiting is at its longest (before it ends).
    let marked = null;
    globalThis.mark = () => { marked = heap(); };
    await run(2000); // warm-up: compiled code and caches are not growth
    const before = heap();
    marked = null;
    await run(200000);
    const after = marked ?? heap();
    process.stdout.write(String((after - before) / 1048576));
  `;
  const out = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return Number(out);
}

describe('no memory kept per wait', () => {
  it('EventQueue.flushWhile: 200,000 awaited promises with no event queued', () => {
    const mb = heapGrowthMb(`
      const q = new EventQueue();
      // One long-lived stream of waits with nothing queued, as while a window downloads.
      for (let i = 0; i < n; i++) {
        const g = q.flushWhile(new Promise((r) => setImmediate(() => r(i)))); // settles later, as a batch does
        let r;
        do r = await g.next(); while (!r.done);
        if (r.value !== i) throw new Error('wrong value');
      }
      mark(); // the queue is alive and nothing was ever queued, as while a window downloads
      q.enqueue('end'); // (used after mark(), so it is still alive there)
    `);
    expect(mb).toBeLessThan(2);
  });

  it('mergeBounded: one source pending for the whole run while the other yields 200,000 items', () => {
    const mb = heapGrowthMb(`
      let release;
      const stalled = new Promise((r) => (release = () => r({ done: true, value: undefined })));
      const slow = () => ({ next: () => stalled, return: async () => ({ done: true }) });
      const fast = () => (async function* () { for (let i = 0; i < n; i++) yield i; })();
      let count = 0;
      const m = mergeBounded([slow, fast], 2);
      for (;;) {
        const r = await m.next();
        if (r.done) break;
        count++;
        if (count === n) {
          mark(); // the slow source is still pending here
          release();
        }
      }
      if (count !== n) throw new Error('lost items');
    `);
    expect(mb).toBeLessThan(2);
  });
});
