// Pins the fake Pardot's real-time queue (processingMs: one export at a time, oldest first, reads
// do not move it), its per-export timings (queueStats), rows that change while exports wait
// (updateRows/insertRows/deleteRows, chosen when an export is processed), the listeners (on), and
// the churn helper. No assertion is about elapsed time: the tests wait for the fake's events and
// check orders.

import { afterEach, describe, expect, it } from 'vitest';

import { generateData, lazyProspects, startFakePardot, type FakePardot, type FakePardotOptions, type Row } from './fake-pardot/index.js';
import { openSession, nextEvents, type Json } from './helpers/fake-session.js';
import { churn } from './helpers/scenario.js';

const TZ = 'America/Los_Angeles';
const fakes: FakePardot[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function start(opts: FakePardotOptions): Promise<FakePardot> {
  const fake = await startFakePardot({ userTimezone: TZ, rowsPerFile: 4, ...opts });
  fakes.push(fake);
  return fake;
}

const DAY = 86_400_000;
/** Prospects updated at whole days from Jan 2 2024 (id 1 on Jan 2, id 2 on Jan 3, ...). */
function prospects(n: number): Row[] {
  return Array.from({ length: n }, (_, k) => ({
    id: k + 1,
    email: `p${k + 1}@example.com`,
    updatedAt: new Date(Date.UTC(2024, 0, 2 + k, 12)),
    createdAt: new Date(Date.UTC(2024, 0, 1)),
    isDeleted: false,
  }));
}
/** An export of prospects updated in [from, to) (ISO dates with Z). */
const window = (from: string, to: string): Json => ({
  object: 'prospect',
  fields: ['id', 'updatedAt'],
  procedure: { name: 'filter_by_updated_at', arguments: { updated_after: `${from}T00:00:00Z`, updated_before: `${to}T00:00:00Z` } },
});
const ids = (rows: string[][]): number[] => rows.map((r) => Number(r[0])).sort((a, b) => a - b);

describe('processingMs: a real-time queue', () => {
  it('processes exports one at a time, oldest first, each Complete after its own processing time', async () => {
    const asked: number[] = [];
    const fake = await start({
      data: { prospect: prospects(20) },
      // 1001 holds the queue until it is canceled, so 1002..1004 are all Waiting when the queue moves.
      processingMs: (e) => {
        asked.push(e.id);
        return e.id === 1001 ? 3_600_000 : 5;
      },
    });
    const states: string[][] = [];
    fake.on('exportStart', () => states.push(fake.exports.map((x) => x.state)));
    const s = await openSession(fake);
    const blocker = nextEvents(fake, 'exportStart', 1);
    await s.create(window('2024-01-01', '2024-02-01'));
    await blocker;
    const done = nextEvents(fake, 'exportComplete', 3);
    for (const [a, b] of [['2024-01-01', '2024-01-08'], ['2024-01-08', '2024-01-15'], ['2024-01-15', '2024-02-01']]) {
      const made = await s.create(window(a!, b!));
      expect(made.body.state).toBe('Waiting');
    }
    const res = await fetch(`${fake.url}/api/v5/exports/1001/do/cancel`, { method: 'POST', headers: await authHeaders(fake) });
    expect(res.status).toBe(200);
    const completed = await done;
    expect(completed.map((e) => e.id)).toEqual([1002, 1003, 1004]);
    expect(asked).toEqual([1001, 1002, 1003, 1004]);
    // When each one started, the older ones had ended and the newer ones were Waiting.
    expect(states).toEqual([
      ['Processing'],
      ['Canceled', 'Processing', 'Waiting', 'Waiting'],
      ['Canceled', 'Complete', 'Processing', 'Waiting'],
      ['Canceled', 'Complete', 'Complete', 'Processing'],
    ]);
    const q = fake.queueStats();
    for (let k = 2; k < 4; k++) expect(q.exports[k]!.startedAt!).toBeGreaterThanOrEqual(q.exports[k - 1]!.completedAt!);
    // The resource's updatedAt is the last state change: the completion.
    for (const e of completed) {
      const t = q.exports.find((x) => x.id === e.id)!;
      expect(e.updatedAt.getTime()).toBeGreaterThanOrEqual(t.startedAt!);
      expect(e.updatedAt.getTime()).toBeLessThanOrEqual(t.completedAt!);
    }
    expect(ids((await s.download(1002)).rows)).toEqual([1, 2, 3, 4, 5, 6]); // Jan 2..7
    expect(ids((await s.download(1004)).rows)).toEqual([14, 15, 16, 17, 18, 19, 20]);
  });

  it('does not move exports on when they are read; a cancel starts the next one', async () => {
    const fake = await start({ data: { prospect: prospects(5) }, processingMs: (e) => (e.id === 1001 ? 3_600_000 : 1) });
    const s = await openSession(fake);
    const started = nextEvents(fake, 'exportStart', 1);
    await s.create(window('2024-01-01', '2024-02-01'));
    await s.create(window('2024-01-01', '2024-02-01'));
    await started;
    for (let k = 0; k < 10; k++) expect((await s.read(1002)).state).toBe('Waiting');
    expect((await s.read(1001)).state).toBe('Processing');
    const q = fake.queueStats();
    expect(q.exports.map((x) => x.reads)).toEqual([1, 10]);
    const second = nextEvents(fake, 'exportComplete', 1);
    const res = await fetch(`${fake.url}/api/v5/exports/1001/do/cancel`, { method: 'POST', headers: await authHeaders(fake) });
    expect(res.status).toBe(200);
    expect((await second)[0]!.id).toBe(1002);
    expect(fake.exports.map((e) => e.state)).toEqual(['Canceled', 'Complete']);
    expect(fake.queueStats().exports[0]!.completedAt).toBeNull();
  });

  it('keeps going after a listener on a timer throws, and records the error', async () => {
    const fake = await start({ data: { prospect: prospects(3) }, processingMs: 1 });
    fake.on('exportComplete', (e) => {
      if (e.id === 1001) throw new Error('listener failed');
    });
    const s = await openSession(fake);
    const done = nextEvents(fake, 'exportComplete', 2);
    await s.create(window('2024-01-01', '2024-02-01'));
    await s.create(window('2024-01-01', '2024-02-01'));
    expect((await done).map((e) => e.state)).toEqual(['Complete', 'Complete']);
    expect(fake.hookErrors.map(String)).toEqual(['Error: listener failed']);
  });

  it('reports per-export timings, busy time and the first create / last completion (queueStats)', async () => {
    const fake = await start({ data: { prospect: prospects(10) }, processingMs: 2 });
    const s = await openSession(fake);
    const done = nextEvents(fake, 'exportComplete', 2);
    await s.create(window('2024-01-01', '2024-01-06'));
    await s.create(window('2024-01-06', '2024-02-01'));
    await done;
    expect(fake.queueStats().exports.map((x) => x.downloadedAt)).toEqual([null, null]);
    const downloads = nextEvents(fake, 'fileDownloaded', 1);
    await s.download(1001); // 4 rows in one file
    expect((await downloads).map((e) => e.id)).toEqual([1001]);
    const q = fake.queueStats();
    const [a, b] = q.exports;
    expect(a!.downloadedAt).toBeGreaterThanOrEqual(a!.completedAt!);
    expect(b!.downloadedAt).toBeNull();
    expect(q.exports.map((x) => [x.id, x.object])).toEqual([[1001, 'prospect'], [1002, 'prospect']]);
    // Busy time is the sum of each export's processing span, computed here from the timings.
    expect(q.busyMs).toBe(a!.completedAt! - a!.startedAt! + (b!.completedAt! - b!.startedAt!));
    expect(q.firstCreatedAt).toBe(a!.createdAt);
    expect(q.lastCompletedAt).toBe(b!.completedAt);
  });
});

async function authHeaders(fake: FakePardot): Promise<Record<string, string>> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: 'test-client-id', client_secret: 'test-client-secret', refresh_token: 'test-refresh-token' });
  const res = await fetch(`${fake.url}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  const { access_token } = (await res.json()) as { access_token: string };
  return { authorization: `Bearer ${access_token}`, 'pardot-business-unit-id': '0Uv000000000001AAA' };
}

describe('rows that change while exports wait', () => {
  const NOW = new Date('2024-03-01T10:20:30.456Z');

  it('updates, inserts and deletes rows of an in-memory source; lazy sources refuse', async () => {
    const fake = await start({ now: NOW, data: { prospect: prospects(4), visitor: lazyProspects(3, { seed: 1, start: new Date('2024-01-01Z'), end: new Date('2024-02-01Z') }) } });
    expect(fake.updateRows('prospect', [2, 3, 99], { set: { email: 'new@example.com' } })).toEqual([2, 3]);
    expect(fake.updateRows('prospect', [4], { updatedAt: new Date('2024-02-10T00:00:00.900Z') })).toEqual([4]);
    expect(fake.updateRows('prospect', [1], { updatedAt: 'keep', set: { email: 'kept@example.com' } })).toEqual([1]);
    fake.insertRows('prospect', [{ id: 5, email: 'five@example.com', updatedAt: new Date('2024-01-20T00:00:00Z') }]);
    expect(() => fake.insertRows('prospect', [{ id: 5 }])).toThrow(/id 5/);
    expect(fake.deleteRows('prospect', [3])).toEqual([3]);
    const rows = fake.rows('prospect');
    expect(rows.map((r) => [r.id, r.email, (r.updatedAt as Date).toISOString(), r.isDeleted ?? false])).toEqual([
      [1, 'kept@example.com', '2024-01-02T12:00:00.000Z', false],
      [2, 'new@example.com', '2024-03-01T10:20:30.000Z', false], // the fake's now, at whole seconds
      [3, 'new@example.com', '2024-03-01T10:20:30.000Z', true],
      [4, 'p4@example.com', '2024-02-10T00:00:00.000Z', false],
      [5, 'five@example.com', '2024-01-20T00:00:00.000Z', false],
    ]);
    expect(() => fake.rows('visitor')).toThrow(/lazy/);
  });

  it('chooses an export\'s rows when it is processed: changes made while it waits show, later ones do not', async () => {
    const fake = await start({ data: { prospect: prospects(10) }, processingMs: (e) => (e.id === 1001 ? 20 : 1) });
    const s = await openSession(fake);
    const done = nextEvents(fake, 'exportComplete', 2);
    await s.create(window('2024-01-01', '2024-02-01')); // 1001 runs first
    await s.create(window('2024-01-01', '2024-01-08')); // 1002 waits: ids 1..6
    fake.updateRows('prospect', [2], { updatedAt: new Date('2024-03-01T00:00:00Z') }); // out of 1002's window
    fake.deleteRows('prospect', [3]);
    fake.insertRows('prospect', [{ id: 50, updatedAt: new Date('2024-01-04T00:00:00Z'), isDeleted: false }]);
    const [first, second] = await done;
    fake.updateRows('prospect', [4], { updatedAt: new Date('2024-03-01T00:00:00Z') }); // after: no effect on 1002
    expect([first!.id, second!.id]).toEqual([1001, 1002]);
    expect(ids((await s.download(1002)).rows)).toEqual([1, 4, 5, 6, 50]);
  });

  it('calls the listeners in order: created, start, complete, then each file downloaded; on() returns a remover', async () => {
    const events: string[] = [];
    const fake = await start({
      now: NOW,
      data: { prospect: prospects(10) },
      onExportCreated: (e) => events.push(`created ${e.id} ${e.state}`),
      onExportStart: (e) => events.push(`start ${e.id} ${e.state}`),
      onExportComplete: (e) => events.push(`complete ${e.id} ${e.state}`),
      onFileDownloaded: (e, file) => events.push(`file ${e.id}/${file}`),
    });
    const off = fake.on('exportCreated', () => events.push('extra'));
    const s = await openSession(fake);
    const { e } = await s.exportAll(window('2024-01-01', '2024-01-11')); // 9 rows: files of 4, 4, 1
    off();
    await s.exportAll(window('2024-01-01', '2024-01-03'));
    const files = events.filter((x) => x.startsWith('file 1001/')).sort();
    expect(e.fileCount).toBe(3);
    expect(events.filter((x) => !x.startsWith('file 1001/'))).toEqual([
      'created 1001 Waiting',
      'extra',
      'start 1001 Processing',
      'complete 1001 Complete',
      'created 1002 Waiting',
      'start 1002 Processing',
      'complete 1002 Complete',
      'file 1002/1',
    ]);
    expect(files).toEqual(['file 1001/1', 'file 1001/2', 'file 1001/3']);
    expect(events.indexOf('file 1001/1')).toBeGreaterThan(events.indexOf('complete 1001 Complete'));
  });
});

describe('churn (test/helpers/scenario.ts)', () => {
  it('after each export completes, moves K rows of later windows to now and returns their ids', async () => {
    const NOW = new Date('2024-12-30T00:00:00Z');
    const data = generateData({ seed: 5, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-05-01T00:00:00Z'), counts: { prospect: 200 } });
    const before = new Map(data.prospect.map((r) => [r.id as number, { ...r }]));
    const fake = await start({ now: NOW, data: { prospect: data.prospect }, rowsPerFile: 1000 });
    const c = churn(fake, 'prospect', { rows: 3, seed: 9 });
    const s = await openSession(fake);
    const months = ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01'];
    const exported: number[] = [];
    const touchedAfter: number[][] = [];
    for (let k = 0; k + 1 < months.length; k++) {
      const { rows } = await s.exportAll({ object: 'prospect', fields: ['id'], procedure: window(months[k]!, months[k + 1]!).procedure });
      exported.push(...rows.map((r) => Number(r[0])));
      touchedAfter.push([...c.touched]);
    }
    c.stop();
    // Three rows after each of the first three windows; none after the last (no later window).
    expect(touchedAfter.map((t) => t.length)).toEqual([3, 6, 9, 9]);
    expect(new Set(c.touched).size).toBe(9);
    const windowEnd = (k: number): number => Date.parse(`${months[k + 1]!}T00:00:00Z`);
    c.touched.forEach((id, n) => {
      const row = before.get(id)!;
      // Each was in a window after the export that triggered it, and alive.
      expect((row.updatedAt as Date).getTime()).toBeGreaterThanOrEqual(windowEnd(Math.floor(n / 3)));
      expect(row.isDeleted).not.toBe(true);
      expect((fake.rows('prospect').find((r) => r.id === id)!.updatedAt as Date).getTime()).toBe(NOW.getTime());
    });
    // The moved rows were in no export: a sync reading window by window loses them.
    for (const id of c.touched) expect(exported).not.toContain(id);
    // Pardot's filters are strict (after < updatedAt < before): a row exactly on a boundary is in no window.
    const inAWindow = (t: number): boolean => months.slice(0, -1).some((m, k) => Date.parse(`${m}T00:00:00Z`) < t && t < windowEnd(k));
    const alive = [...before.values()].filter(
      (r) => r.isDeleted !== true && !c.touched.includes(r.id as number) && inAWindow(Math.floor((r.updatedAt as Date).getTime() / 1000) * 1000),
    );
    expect(exported.sort((a, b) => a - b)).toEqual(alive.map((r) => r.id as number).sort((a, b) => a - b));
    // Deterministic: the same seed picks the same rows.
    const again = await start({ now: NOW, data: { prospect: generateData({ seed: 5, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-05-01T00:00:00Z'), counts: { prospect: 200 } }).prospect } });
    const c2 = churn(again, 'prospect', { rows: 3, seed: 9 });
    const s2 = await openSession(again);
    for (let k = 0; k + 1 < months.length; k++) await s2.exportAll({ object: 'prospect', fields: ['id'], procedure: window(months[k]!, months[k + 1]!).procedure });
    expect(c2.touched).toEqual(c.touched);
  });
});

