/**
 * The fake's static-file mode (used by `npm run bench`): an export of a listed object whose window
 * overlaps the files' span completes with exactly those files, streamed from disk; other windows
 * get none; a `cut` fault still cuts the body (the connector re-fetches and skips what it emitted).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakePardot, type FakePardot } from './fake-pardot/index.js';

import { DAY, TZ, catalog, config, read } from './helpers/scenario.js';
import { records, tempDir } from './helpers/cli.js';

let fake: FakePardot | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

function files(dir: string, perFile: number[]): string[] {
  let id = 1;
  return perFile.map((n, k) => {
    let csv = 'id,email,updatedAt,createdAt\n';
    for (let i = 0; i < n; i++, id++) csv += `${id},"u${id}@x.com, ""quoted""\nline",2024-03-10 02:30:00,2024-01-01 00:00:00\n`;
    const p = join(dir, `f${k}.csv`);
    writeFileSync(p, csv);
    return p;
  });
}

describe('fake Pardot static-file mode', () => {
  it('serves the files whole to the window that overlaps their span, none to the others', async () => {
    const now = Date.now();
    const start = new Date(now - 199 * DAY); // two windows of at most 100 days up to now (a full refresh reads to now)
    const paths = files(tempDir(), [700, 1, 1300]);
    fake = await startFakePardot({
      userTimezone: TZ,
      pollsUntilComplete: 1,
      staticResults: { prospect: { files: paths, rowCount: 2001, startMs: start.getTime(), endMs: start.getTime() + 50 * DAY } },
      faults: [{ on: 'download', kind: 'cut', afterBytes: 40_000, nth: 3 }],
    });
    const run = await read(config(fake, start, { window_days: 100 }), catalog(['prospects'], 'full_refresh', ['id', 'email', 'updatedAt']));
    expect(run.code, run.stderr).toBe(0);
    const recs = records(run.messages, 'prospects');
    expect(recs.map((r) => r.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
    expect(recs[0]!.email).toMatch(/^u\d+@x\.com, "quoted"\nline$/);
    expect(recs[0]!.updatedAt).toBe('2024-03-10T02:30:00-08:00'); // in the spring-forward gap: the offset before it
    // Two windows, and the window that closes the full refresh (rows changed during the run: none here).
    expect(fake.exports.length).toBe(3);
    expect(fake.exports.map((e) => e.fileCount)).toEqual([3, 0, 0]);
    expect(fake.stats.faultsInjected.cut).toBe(1);
    expect(fake.stats.calls.download).toBe(4);
  });
});
