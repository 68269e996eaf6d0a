/**
 * The fault-injection suite: one scenario per fault kind, each through the BUILT executable against
 * the loopback fake Pardot with a fault plan. A scenario either survives the fault in one run, or
 * (faults that must stop a run: daily limit, contract violations, exhausted retries) fails with the
 * expected error, after which a second run from the STATE it emitted finishes the job. Either way
 * every expected row must be emitted, none twice (the one allowed exception, an export that
 * expired mid-download and had to be re-created, must log exactly how many rows repeat).
 * The figures are printed as a table at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault, FakePardot, FakePardotOptions, Row } from './fake-pardot/index.js';
import {
  catalog,
  config,
  errorTrace,
  expectedIds,
  lastStates,
  logs,
  read,
  recordIds,
  smallData,
  startFake,
  tally,
  type Msg,
} from './helpers/scenario.js';

interface Scenario {
  name: string;
  faults: Fault[];
  fake?: FakePardotOptions;
  config?: Record<string, unknown>;
  fields?: string[];
  data?: { prospects?: number; days?: number };
  /** The first run is expected to fail with this error; a second run from its STATE finishes. */
  fails?: { code: RegExp; failureType: string; message?: RegExp };
  /** Rows may repeat, exactly as many as the connector logs (expired export re-created mid-window). */
  loggedRepeats?: boolean;
  check?: (fake: FakePardot, runs: Msg[][]) => void;
}

const RA0 = { 'retry-after': '0' };
const FIELDS = ['email'];

const SCENARIOS: Scenario[] = [
  { name: 'HTTP 500 on create, twice', faults: [{ on: 'create', kind: 'status', status: 500, times: 2, headers: RA0 }] },
  {
    name: 'HTTP 429 code 66 (concurrency) on polls',
    faults: [{ on: 'read', kind: 'status', status: 429, code: 66, times: 3, headers: RA0 }],
    config: { max_concurrent_requests: 4 },
    check: (fake) => {
      expect(fake.stats.maxInFlight).toBeLessThanOrEqual(4);
      expect(fake.stats.rejected.concurrency).toBe(0);
    },
  },
  {
    name: 'HTTP 503 with Retry-After: 2 on the budget call',
    faults: [{ on: 'account', kind: 'status', status: 503, headers: { 'retry-after': '2' } }],
    check: (fake) => {
      const acct = fake.log.filter((l) => l.route === 'account');
      expect(acct[0]!.status).toBe(503);
      // Full-jitter backoff of a first retry is at most 1 s: a 2 s gap can only be Retry-After.
      expect(acct[1]!.at - acct[0]!.at).toBeGreaterThanOrEqual(1900);
    },
  },
  { name: 'HTTP 504 on download (gateway timeout)', faults: [{ on: 'download', kind: 'status', status: 504, nth: 2, headers: RA0 }] },
  {
    name: 'Pardot codes 183 / 214 / 202 on create and read',
    faults: [
      { on: 'create', kind: 'status', status: 500, code: 183, headers: RA0 },
      { on: 'read', kind: 'status', status: 500, code: 214, headers: RA0 },
      { on: 'read', kind: 'status', status: 429, code: 202, nth: 3, headers: RA0 },
    ],
  },
  { name: 'HTML error page on read', faults: [{ on: 'read', kind: 'html', status: 502, times: 2, headers: RA0 }] },
  {
    name: 'connection reset on create, read and download',
    faults: [
      { on: 'create', kind: 'reset', nth: 2 },
      { on: 'read', kind: 'reset', nth: 3 },
      { on: 'download', kind: 'reset', nth: 1 },
    ],
  },
  {
    name: 'request timeout (answer delayed past request_timeout_seconds)',
    faults: [{ on: 'read', kind: 'delay', ms: 2500, nth: 2 }],
    config: { request_timeout_seconds: 0.5 },
    check: (_fake, runs) => expect(logs(runs[0]!, 'WARN').join('\n')).toMatch(/retry 1\//),
  },
  { name: 'download cut off inside the header', faults: [{ on: 'download', kind: 'cut', afterBytes: 10, nth: 2 }] },
  {
    name: 'download cut off after 1000+ rows were emitted (re-fetch, skip them)',
    data: { prospects: 2500, days: 100 },
    fake: { rowsPerFile: 10_000 },
    faults: [{ on: 'download', kind: 'cut', afterBytes: 90_000 }],
    check: (_fake, runs) => {
      const m = /cut off after (\d+) row/.exec(logs(runs[0]!, 'WARN').join('\n'));
      expect(m, 'the cut came after rows were emitted').not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(1000);
    },
  },
  {
    name: 'export Failed once: re-created',
    faults: [{ on: 'read', kind: 'failExport', nth: 2 }],
    check: (fake) => expect(fake.exports.filter((e) => e.state === 'Failed')).toHaveLength(1),
  },
  {
    name: 'export Failed three times: bounded, then resumed',
    // One export at a time, so that the three failures are the same window's (queued ahead, each window's export would fail once).
    config: { export_queue_depth: 1 },
    faults: [{ on: 'read', kind: 'failExport', times: 3 }],
    fails: { code: /JOB_FAILED/, failureType: 'system_error', message: /failed 3 times/ },
  },
  {
    name: 'export Canceled by someone else, then resumed',
    faults: [{ on: 'read', kind: 'cancelExport', nth: 3 }],
    fails: { code: /JOB_CANCELED/, failureType: 'system_error', message: /canceled/ },
  },
  {
    name: 'unknown export state, then resumed',
    faults: [{ on: 'read', kind: 'unknownState', nth: 2 }],
    fails: { code: /PARDOT_UNKNOWN_STATE/, failureType: 'system_error', message: /'Bogus'/ },
  },
  {
    name: 'export found expired when complete (isExpired): re-created',
    faults: [{ on: 'read', kind: 'expire', nth: 2 }],
  },
  {
    name: 'export expired mid-download (code 178): window re-created',
    // One download at a time, so that files of the window are out before the second one fails.
    config: { max_concurrent_requests: 2 },
    faults: [{ on: 'download', kind: 'expire', nth: 2 }],
    loggedRepeats: true,
  },
  {
    name: 'resultRefs of the wrong type, then resumed',
    faults: [{ on: 'read', kind: 'badResultRefs', nth: 2 }],
    fails: { code: /PARDOT_BAD_RESPONSE/, failureType: 'system_error', message: /resultRefs/ },
  },
  {
    name: 'access token expired mid-sync (401 code 184)',
    faults: [{ on: 'read', kind: 'tokenExpired', nth: 3 }, { on: 'download', kind: 'tokenExpired', nth: 2 }],
    // One grant at start, then one refresh per rejected token (two rejections of the same token,
    // when they overlap, share one refresh).
    check: (fake) => {
      expect(fake.stats.calls.token).toBeGreaterThanOrEqual(2);
      expect(fake.stats.calls.token).toBeLessThanOrEqual(3);
    },
  },
  {
    name: 'HTTP 500 exhausted on create: stops, then resumed',
    faults: [{ on: 'create', kind: 'status', status: 500, nth: 2, times: 6, headers: RA0 }],
    fails: { code: /PARDOT_UNAVAILABLE/, failureType: 'transient_error', message: /after 6 attempts/ },
  },
  {
    name: 'daily limit (code 122) on a create: stops, then resumed',
    faults: [{ on: 'create', kind: 'dailyLimit', nth: 3 }],
    fails: { code: /PARDOT_DAILY_LIMIT/, failureType: 'transient_error', message: /run again after the budget resets .*\d{4}-\d{2}-\d{2} 00:00/ },
  },
];

interface Figures {
  index: number;
  name: string;
  injected: Record<string, number>;
  runs: number;
  expected: number;
  emitted: number;
  lost: number;
  duplicated: number;
  logged: number;
}
const figures: Figures[] = [];

describe('fault injection through the CLI against the fake', () => {
  // Each scenario has its own fake and its own process: they run side by side.
  it.concurrent.each(SCENARIOS.map((s, i) => [s.name, s, i] as const))('%s', async (_name, sc, index) => {
    const { start, data } = smallData(sc.data);
    const fake = await startFake(data as Record<string, Row[]>, { faults: sc.faults, ...sc.fake });
    try {
      const cfg = config(fake, start, sc.config);
      const cat = catalog(['prospects'], 'incremental', FIELDS);
      const first = await read(cfg, cat);
      const runs: Msg[][] = [first.messages];
      const trace = errorTrace(first.messages);
      if (sc.fails) {
        expect(first.code, first.stderr).toBe(1);
        expect(trace, 'a TRACE error').toBeDefined();
        expect(trace!.internal_message).toMatch(sc.fails.code);
        expect(trace!.failure_type).toBe(sc.fails.failureType);
        if (sc.fails.message) expect(trace!.message).toMatch(sc.fails.message);
        const second = await read(cfg, cat, lastStates(first.messages));
        expect(second.code, JSON.stringify(errorTrace(second.messages))).toBe(0);
        runs.push(second.messages);
      } else {
        expect(first.code, `${JSON.stringify(trace)}\n${first.stderr}`).toBe(0);
      }
      // Every planned fault fired.
      expect(fake.faults, 'faults left unfired').toHaveLength(0);

      const expected = expectedIds(data as Record<string, Row[]>, Math.floor(start.getTime() / 1000) * 1000);
      const emitted = runs.flatMap((m) => recordIds(m));
      const t = tally(expected, emitted);
      const logged = runs
        .flatMap((m) => logs(m, 'WARN'))
        .map((l) => /(\d+) row\(s\) of this window already emitted will be emitted again/.exec(l))
        .reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
      figures.push({ index, name: sc.name, injected: { ...fake.stats.faultsInjected }, runs: runs.length, ...t, logged });

      expect(t.lost, 'rows lost').toBe(0);
      expect(t.unexpected, 'rows outside the windows').toBe(0);
      if (sc.loggedRepeats) {
        expect(logged, 'the repeat is logged').toBeGreaterThan(0);
        expect(t.duplicated, 'duplicates are exactly the logged repeats').toBe(logged);
      } else {
        expect(t.duplicated, 'rows duplicated').toBe(0);
      }
      // Never more requests in flight than allowed (config default 3; Pardot's limit 5).
      expect(fake.stats.maxInFlight).toBeLessThanOrEqual(Number(cfg['max_concurrent_requests'] ?? 3));
      // The final state of the last run is clean: cursor at the sync boundary, nothing in flight.
      const final = lastStates(runs.at(-1)!)[0]!.stream.stream_state;
      expect(final.in_flight).toBeUndefined();
      sc.check?.(fake, runs);
    } finally {
      await fake.close();
    }
  });

  afterAll(() => {
    if (figures.length === 0) return;
    figures.sort((a, b) => a.index - b.index);
    const byKind: Record<string, number> = {};
    for (const f of figures) for (const [k, n] of Object.entries(f.injected)) byKind[k] = (byKind[k] ?? 0) + n;
    const pad = (s: string | number, n: number) => String(s).padEnd(n);
    const rows = figures.map(
      (f) =>
        `${pad(f.name, 70)} ${pad(Object.entries(f.injected).map(([k, n]) => `${k}×${n}`).join(' '), 28)} ${pad(f.runs, 4)} ` +
        `${pad(f.expected, 8)} ${pad(f.emitted, 8)} ${pad(f.lost, 4)} ${pad(f.duplicated, 4)} ${f.logged ? `(${f.logged} logged)` : ''}`,
    );
    const sum = (k: 'expected' | 'emitted' | 'lost' | 'duplicated') => figures.reduce((n, f) => n + f[k], 0);
    console.log(
      [
        '',
        'Fault-injection figures (built CLI against the loopback fake):',
        `${pad('scenario', 70)} ${pad('faults injected', 28)} ${pad('runs', 4)} ${pad('expected', 8)} ${pad('emitted', 8)} ${pad('lost', 4)} dup`,
        ...rows,
        `${pad('TOTAL', 70)} ${pad('', 28)} ${pad('', 4)} ${pad(sum('expected'), 8)} ${pad(sum('emitted'), 8)} ${pad(sum('lost'), 4)} ${sum('duplicated')}`,
        `Faults injected per kind: ${Object.entries(byKind).map(([k, n]) => `${k} ${n}`).join(', ')}`,
        `Rows lost: ${sum('lost')}. Rows duplicated: ${sum('duplicated')} (all from an export that expired mid-download and was re-created; each logged).`,
        '',
      ].join('\n'),
    );
  });
});
