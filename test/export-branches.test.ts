/**
 * The export reader's error and resume branches that a default run never takes, each through the
 * BUILT executable against the fake (or, where the product waits out real backoff, through runRead
 * in-process on a clock whose sleeps yield at once), asserting what a user sees: the exit code, the
 * TRACE's failure type and internal code, the last STATE, and the rows (none lost, none repeated,
 * none outside the windows; tallied as in faults.test.ts).
 *
 * Expected rows come from the fake's data and the fake's own reading of each export's window
 * (FakeExport.window), never from the connector's window planning.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import type { JobPort } from '../src/jobs/types.js';
import { createExportPort } from '../src/pardot/export-port.js';
import type { CreateExportRequest } from '../src/pardot/types.js';
import { findStream, selectFields } from '../src/streams.js';
import type { SyncEvent } from '../src/sync/events.js';
import { runRead } from '../src/sync/read.js';
import { DEFAULTS, generateData, type FakeExport, type FakePardot, type FakePardotOptions, type Row } from './fake-pardot/index.js';
import { clientFor, fastClock } from './helpers/fake-api.js';
import { openSession } from './helpers/fake-session.js';
import {
  DAY,
  TZ,
  catalog,
  config,
  errorTrace,
  expectedIds,
  lastStates,
  logs,
  parseLines,
  read,
  recordIds,
  smallData,
  startFake,
  tally,
  type Msg,
} from './helpers/scenario.js';

const CAT = catalog(['prospects'], 'incremental', ['email']);

async function withFake<T>(data: Record<string, Row[]>, opts: FakePardotOptions, fn: (fake: FakePardot) => Promise<T>): Promise<T> {
  const fake = await startFake(data, opts);
  try {
    return await fn(fake);
  } finally {
    await fake.close();
  }
}

const statusOf = (msgs: Msg[], stream: string): string[] =>
  msgs
    .filter((m) => m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream)
    .map((m) => m.trace.stream_status.status as string);
const stateOf = (msgs: Msg[], stream = 'prospects'): Record<string, any> | undefined =>
  lastStates(msgs).find((s) => s.stream.stream_descriptor.name === stream)?.stream.stream_state;
const floorSec = (d: Date): number => Math.floor(d.getTime() / 1000) * 1000;
/** Ids of prospects an export selects, by the fake's own reading of its window (bounds exclusive). */
const idsOfWindow = (data: Record<string, Row[]>, e: FakeExport): number[] => expectedIds(data, e.window.afterMs + 1000, e.window.beforeMs!);
/** Exports per window, keyed by the window's lower bound as the fake read it. */
const byWindow = (fake: FakePardot): Map<number, FakeExport[]> => {
  const m = new Map<number, FakeExport[]>();
  for (const e of fake.exports) m.set(e.window.afterMs, [...(m.get(e.window.afterMs) ?? []), e]);
  return m;
};

describe('an export found expired while downloading', () => {
  it(`is created again at most twice for a window: the third expiry fails the run (transient), and the next run finishes from the STATE`, async () => {
    const { start, data } = smallData();
    // One download at a time: every download request is of the window being read, so the three
    // expiries hit the first window's export and its two replacements.
    await withFake(data, { faults: [{ on: 'download', kind: 'expire', times: 3 }] }, async (fake) => {
      const cfg = config(fake, start, { max_concurrent_requests: 2 });
      const r1 = await read(cfg, CAT);
      expect(r1.code, r1.stderr).toBe(1);
      const trace = errorTrace(r1.messages)!;
      expect(trace.failure_type).toBe('transient_error');
      expect(trace.internal_message).toMatch(/^PARDOT_EXPORT_EXPIRED/);
      expect(fake.stats.faultsInjected).toEqual({ expire: 3 });
      const warns = logs(r1.messages, 'WARN').filter((m) => /expired before it was downloaded; re-creating it/.test(m));
      expect(warns).toHaveLength(2);
      const first = fake.exports[0]!;
      const window1 = byWindow(fake).get(first.window.afterMs)!;
      expect(window1.map((e) => e.isExpired)).toEqual([true, true, true]);
      expect(recordIds(r1.messages)).toEqual([]);
      // No window finished: the cursor is not set, and the last export of window 1 is in flight.
      const s1 = stateOf(r1.messages)!;
      expect(s1.updatedAt).toBeNull();
      expect(s1.in_flight.map((f: { id: string }) => f.id)).toContain(String(window1[2]!.id));

      const r2 = await read(cfg, CAT, lastStates(r1.messages));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      // The saved export is expired: a fourth one is made for window 1, and read.
      expect(byWindow(fake).get(first.window.afterMs)!).toHaveLength(4);
      const t = tally(expectedIds(data, floorSec(start)), recordIds(r2.messages));
      expect(t).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(stateOf(r2.messages)!.in_flight).toBeUndefined();
    });
  });

  it('twice in a row is survived: two WARNs, the window read from its third export, nothing repeated', async () => {
    const { start, data } = smallData();
    await withFake(data, { faults: [{ on: 'download', kind: 'expire', times: 2 }] }, async (fake) => {
      const r = await read(config(fake, start, { max_concurrent_requests: 2 }), CAT);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').filter((m) => /0 row\(s\) of this window already emitted will be emitted again/.test(m))).toHaveLength(2);
      expect(byWindow(fake).get(fake.exports[0]!.window.afterMs)!.map((e) => e.isExpired)).toEqual([true, true, false]);
      expect(tally(expectedIds(data, floorSec(start)), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });
});

describe('a download refused with a 4xx that does not mean the export expired', () => {
  it('re-reads the export, finds it not expired, and fails the stream with the original error; the other stream completes', async () => {
    const now = Date.now();
    const start = new Date(now - 200 * DAY);
    const data = generateData({ seed: 31, start, end: new Date(now - 20 * 60_000), counts: { prospect: 60, prospectAccount: 20 } });
    await withFake(data, { rowsPerFile: 1000, faults: [{ on: 'download', kind: 'status', status: 404 }] }, async (fake) => {
      const r = await read(config(fake, start), catalog(['prospects', 'prospect_accounts']));
      expect(r.code, r.stderr).toBe(1);
      const trace = errorTrace(r.messages)!;
      expect(trace.internal_message).toMatch(/^PARDOT_HTTP_404/);
      expect(trace.failure_type).toBe('system_error');
      expect(trace.message).toMatch(/HTTP 404/);
      // The refused download was followed by a read of that export (the expiry check), then nothing of prospects.
      const log = fake.log.filter((l) => l.route === 'download' || l.route === 'read');
      const refused = log.findIndex((l) => l.route === 'download' && l.status === 404);
      const exportId = /exports\/(\d+)\//.exec(log[refused]!.path)![1];
      expect(log[refused + 1]!.route).toBe('read');
      expect(log[refused + 1]!.path).toBe(`/api/v5/exports/${exportId}`);
      expect(fake.exports.find((e) => String(e.id) === exportId)!.isExpired).toBe(false);
      expect(statusOf(r.messages, 'prospects').at(-1)).toBe('INCOMPLETE');
      expect(recordIds(r.messages)).toEqual([]);
      expect(logs(r.messages, 'ERROR').join('\n')).toMatch(/Stream prospects failed: .*Continuing with the other streams/);
      // The other stream: every row its exports hold, once.
      expect(statusOf(r.messages, 'prospect_accounts').at(-1)).toBe('COMPLETE');
      const accounts = recordIds(r.messages, 'prospect_accounts');
      const served = fake.exports.filter((e) => e.object === 'prospectAccount').reduce((n, e) => n + (e.rowCount ?? 0), 0);
      expect(accounts.length).toBe(served);
      expect(new Set(accounts).size).toBe(served);
      expect(served).toBeGreaterThan(0);
    });
  });
});

describe('the timezone checked on every export', () => {
  it("an export created after the API user's timezone changed fails the run (TIMEZONE_MISMATCH) before any of its rows; the windows before it are saved", async () => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      // The first export is created in the configured zone (and the run's timezone evidence read
      // before any download); every export after it (one at a time) is created in Paris.
      const stop = fake.on('fileDownloaded', () => {
        fake.setUserTimezone('Europe/Paris');
        stop();
      });
      const r = await read(config(fake, start, { export_queue_depth: 1 }), CAT);
      expect(r.code, r.stderr).toBe(1);
      const trace = errorTrace(r.messages)!;
      expect(trace.failure_type).toBe('config_error');
      expect(trace.internal_message).toMatch(/^TIMEZONE_MISMATCH/);
      const [first, second] = fake.exports;
      expect(second!.timeZone).toBe('Europe/Paris');
      expect(trace.message).toMatch(new RegExp(`export ${second!.id} was created at .*\\(UTC offset \\+0[12]:00\\), but ${TZ} is at -0[78]:00 then`));
      // Window 1's rows, exactly; none of window 2.
      expect(tally(idsOfWindow(data, first!), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(Date.parse(stateOf(r.messages)!.updatedAt)).toBe(first!.window.beforeMs);
    });
  });
});

/**
 * A state with one saved export in flight: a run whose first poll would come only after 10
 * minutes is killed as soon as the STATE recording its first export is out (one export at a
 * time, so no other exists). Nothing races the kill: the child has nothing to do until then.
 */
async function savedExport(fake: FakePardot, start: Date): Promise<{ state: Msg[]; saved: FakeExport }> {
  let child: ChildProcess | undefined;
  const slow = config(fake, start, { poll_interval_seconds: 600, poll_max_interval_seconds: 600, export_timeout_minutes: 60, export_queue_depth: 1 });
  const r = await read(slow, CAT, undefined, {
    onSpawn: (c) => (child = c),
    onLine: (l) => {
      if (l.includes('"in_flight"')) child!.kill('SIGKILL');
    },
  });
  expect(r.signal).toBe('SIGKILL');
  const state = lastStates(parseLines(r.stdout));
  const inFlight = state[0]!.stream.stream_state.in_flight as Array<{ id: string }>;
  expect(inFlight).toHaveLength(1);
  const saved = fake.exports.find((e) => String(e.id) === inFlight[0]!.id)!;
  expect(saved.reads).toBe(0);
  return { state, saved };
}

/** Cancel requests the connector sent for an export. */
const cancelsOf = (fake: FakePardot, e: FakeExport): number => fake.log.filter((l) => l.route === 'cancel' && l.path === `/api/v5/exports/${e.id}/do/cancel`).length;

/**
 * A saved export that is not resumed is never read nor downloaded, and does not stay in Pardot's
 * one-at-a-time queue ahead of the run's exports: canceled, or (when this run's polls moved the
 * fake's queue first: a read is a unit of work there) finished before the cancel came.
 */
function expectLeftNoQueue(saved: FakeExport): void {
  expect(saved.reads).toBe(0);
  expect(saved.downloads).toBe(0);
  expect(['Canceled', 'Complete']).toContain(saved.state);
}

const withInFlight = (state: Msg[], edit: (stream: Record<string, any>) => void): Msg[] => {
  const copy = JSON.parse(JSON.stringify(state)) as Msg[];
  edit(copy[0]!.stream.stream_state);
  return copy;
};

describe('saved exports that cannot be resumed', () => {
  it('one saved without a fingerprint (an older state): WARN, canceled, a new export for its window, nothing repeated', async () => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      const { state, saved } = await savedExport(fake, start);
      const old = withInFlight(state, (s) => delete s.in_flight[0].fingerprint);
      const r = await read(config(fake, start), CAT, old);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(
        new RegExp(`saved export ${saved.id} for .* was created for a request this version cannot compare \\(no fingerprint in state\\); creating a new export`),
      );
      expect(cancelsOf(fake, saved)).toBe(1);
      expect(logs(r.messages, 'INFO').join('\n')).toMatch(new RegExp(`Canceled saved export ${saved.id}, replaced by a new export|Saved export ${saved.id} was not canceled`));
      expectLeftNoQueue(saved);
      expect(byWindow(fake).get(saved.window.afterMs)!.map((e) => e.downloads > 0)).toEqual([false, true]);
      expect(tally(expectedIds(data, floorSec(start)), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(stateOf(r.messages)!.in_flight).toBeUndefined();
    });
  });

  it('a cancel Pardot refuses (the replaced export is already Complete) is logged and the run goes on', async () => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      const { state, saved } = await savedExport(fake, start);
      // The fake completes an export by reads (a unit of work each): read it until Complete.
      const session = await openSession(fake);
      for (let i = 0; i < 10 && saved.state !== 'Complete'; i++) await session.read(saved.id);
      expect(saved.state).toBe('Complete');
      const other = withInFlight(state, (s) => (s.in_flight[0].fingerprint = '0000000000000000'));
      const r = await read(config(fake, start), CAT, other);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(new RegExp(`saved export ${saved.id} .*another request`));
      expect(logs(r.messages, 'INFO').join('\n')).toMatch(new RegExp(`Saved export ${saved.id} was not canceled \\(.*cannot be canceled.*\\); it is left to finish or expire in Pardot`));
      expect(fake.log.filter((l) => l.route === 'cancel').map((l) => l.status)).toEqual([400]);
      expect(saved.downloads).toBe(0);
      expect(tally(expectedIds(data, floorSec(start)), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });

  it('one that does not continue from the cursor: WARN, not read, canceled; rows from the cursor on, once', async () => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      const { state, saved } = await savedExport(fake, start);
      // The cursor moved past the saved export's window (its window was read by another run).
      const cursor = saved.window.beforeMs!;
      const moved = withInFlight(state, (s) => (s.updatedAt = new Date(cursor).toISOString()));
      const r = await read(config(fake, start), CAT, moved);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(/1 export\(s\) in flight in the saved state of prospects do not continue from the cursor and are not reused/);
      expect(cancelsOf(fake, saved)).toBe(1);
      expect(logs(r.messages, 'INFO').join('\n')).toMatch(new RegExp(`Canceled saved export ${saved.id}, replaced by a new export|Saved export ${saved.id} was not canceled`));
      expectLeftNoQueue(saved);
      expect(tally(expectedIds(data, cursor), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });

  it('one created by another API user (code 49 on reading it): WARN, a new export for the window, nothing repeated', async () => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      const { state, saved } = await savedExport(fake, start);
      fake.setApiUser('someone-else');
      const r = await read(config(fake, start), CAT, state);
      expect(r.code, JSON.stringify(errorTrace(r.messages))).toBe(0);
      expect(logs(r.messages, 'WARN').join('\n')).toMatch(new RegExp(`saved export ${saved.id} cannot be read by this API user`));
      expect(fake.log.some((l) => l.route === 'read' && l.path === `/api/v5/exports/${saved.id}` && l.status === 403)).toBe(true);
      expect(byWindow(fake).get(saved.window.afterMs)!.map((e) => e.owner)).toEqual(['api-user', 'someone-else']);
      expect(tally(expectedIds(data, floorSec(start)), recordIds(r.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
      expect(stateOf(r.messages)!.in_flight).toBeUndefined();
    });
  });
});

describe('Pardot refusing a field the stream cannot do without', () => {
  it.each(['id', 'updatedAt'])("'%s' refused: that stream fails alone (PARDOT_INVALID_FIELD, config_error), the other completes", async (field) => {
    const now = Date.now();
    const start = new Date(now - 200 * DAY);
    const data = generateData({ seed: 32, start, end: new Date(now - 20 * 60_000), counts: { prospect: 60, prospectAccount: 20 } });
    await withFake(data, { refusedFields: { prospect: [field] } }, async (fake) => {
      const r = await read(config(fake, start), catalog(['prospects', 'prospect_accounts']));
      expect(r.code, r.stderr).toBe(1);
      const trace = errorTrace(r.messages)!;
      expect(trace.failure_type).toBe('config_error');
      expect(trace.internal_message).toMatch(/^PARDOT_INVALID_FIELD/);
      expect(trace.message).toContain(`'${field}'`);
      expect(logs(r.messages, 'WARN').join('\n')).not.toMatch(/Pardot refused field/);
      expect(statusOf(r.messages, 'prospects').at(-1)).toBe('INCOMPLETE');
      expect(recordIds(r.messages)).toEqual([]);
      expect(fake.exports.filter((e) => e.object === 'prospect')).toEqual([]);
      expect(stateOf(r.messages)?.updatedAt ?? null).toBeNull();
      expect(statusOf(r.messages, 'prospect_accounts').at(-1)).toBe('COMPLETE');
      const served = fake.exports.filter((e) => e.object === 'prospectAccount').reduce((n, e) => n + (e.rowCount ?? 0), 0);
      expect(served).toBeGreaterThan(0);
      expect(new Set(recordIds(r.messages, 'prospect_accounts')).size).toBe(served);
      expect(recordIds(r.messages, 'prospect_accounts')).toHaveLength(served);
    });
  });
});

// ------------------------------------------------------------------------------------------------
// In-process (runRead): branches behind the real backoff between download attempts (1 + 2 + 4 + 8 s
// through the executable), or behind answers the fake never gives.

interface InProcess {
  events: SyncEvent[];
  error: { code?: string; failureType?: string; message: string } | null;
  ids: number[];
  warns: string[];
  lastCursor: string | null | undefined;
}

async function runIn(fake: FakePardot, start: Date, o: { over?: Record<string, unknown>; port?: (p: JobPort<CreateExportRequest>) => JobPort<CreateExportRequest> } = {}): Promise<InProcess> {
  const api = clientFor(fake, 2);
  try {
    const config = parseConfig(
      {
        client_id: DEFAULTS.clientId,
        client_secret: DEFAULTS.clientSecret,
        refresh_token: DEFAULTS.refreshToken,
        pardot_business_unit_id: DEFAULTS.businessUnitId,
        start_date: start.toISOString(),
        api_base_url: fake.url,
        auth_base_url: fake.url,
        timezone: TZ,
        window_days: 120,
        max_concurrent_requests: 2,
        // The fast clock ends sleeps at once but not time itself: polls are due after real milliseconds.
        poll_interval_seconds: 0.01,
        poll_max_interval_seconds: 0.02,
        // Bounds the per-window call estimate (polls up to this deadline) against today's budget.
        export_timeout_minutes: 0.05,
        ...o.over,
      },
      Date.now(),
    );
    const stream = findStream('prospects')!;
    const port = createExportPort(api);
    const events: SyncEvent[] = [];
    const ids: number[] = [];
    let error: InProcess['error'] = null;
    try {
      for await (const ev of runRead({
        config,
        streams: [{ stream, syncMode: 'incremental', fields: selectFields(stream, ['email']) }],
        state: new Map(),
        api,
        port: o.port ? o.port(port) : port,
        clock: fastClock,
        recordFrame: () => ({ head: '', tail: '\n' }),
      })) {
        if (ev.type === 'records' && ev.encoded) {
          const text = Buffer.from(ev.encoded.data.buffer, ev.encoded.data.byteOffset, ev.encoded.ends.at(-1) ?? 0).toString('utf8');
          for (const l of text.split('\n')) if (l) ids.push(JSON.parse(l).id as number);
          ev.encoded.release?.();
        }
        events.push(ev);
      }
    } catch (e) {
      error = e as InProcess['error'];
    }
    const warns = events.flatMap((e) => (e.type === 'log' && e.level === 'WARN' ? [e.message] : []));
    const last = events.filter((e): e is Extract<SyncEvent, { type: 'state' }> => e.type === 'state').at(-1);
    return { events, error, ids, warns, lastCursor: last?.state['updatedAt'] as string | null | undefined };
  } finally {
    await api.close();
  }
}

describe('a result file whose body keeps breaking off (runRead)', () => {
  it('fails the run with DOWNLOAD_FAILED (transient) after the 5th attempt; no row of that window, no cursor past it', async () => {
    const { start, data } = smallData();
    // Cut inside the header: no row of the file is out before each break. One download at a time.
    await withFake(data, { faults: [{ on: 'download', kind: 'cut', afterBytes: 10, times: 5 }] }, async (fake) => {
      const r = await runIn(fake, start);
      expect(r.error?.code).toBe('DOWNLOAD_FAILED');
      expect(r.error?.failureType).toBe('transient_error');
      expect(r.error?.message).toMatch(/failed 5 times/);
      expect(fake.stats.faultsInjected).toEqual({ cut: 5 });
      expect(r.warns.filter((m) => /was cut off after 0 row\(s\)/.test(m))).toHaveLength(4);
      expect(r.ids).toEqual([]);
      expect(r.lastCursor).toBeNull();
    });
  });

  it('a 4th break is the last one survived: the file is fetched a 5th time and every row comes once', async () => {
    const { start, data } = smallData();
    await withFake(data, { faults: [{ on: 'download', kind: 'cut', afterBytes: 10, times: 4 }] }, async (fake) => {
      const r = await runIn(fake, start);
      expect(r.error).toBeNull();
      expect(r.warns.filter((m) => /was cut off after 0 row\(s\)/.test(m))).toHaveLength(4);
      expect(tally(expectedIds(data, floorSec(start)), r.ids)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });
});

describe('an export whose createdAt carries no UTC offset (runRead)', () => {
  it.each([
    ['a local time', (s: string | null) => s!.slice(0, 19)],
    ['null', () => null],
  ])('createdAt as %s: a WARN per export that its dates are read in the configured zone, and every row is read', async (_n, strip) => {
    const { start, data } = smallData();
    await withFake(data, {}, async (fake) => {
      const r = await runIn(fake, start, {
        port: (p) => ({
          create: async (spec, signal) => {
            const s = await p.create(spec, signal);
            return { ...s, createdAt: strip(s.createdAt) };
          },
          read: async (id, signal) => {
            const s = await p.read(id, signal);
            return { ...s, createdAt: strip(s.createdAt) };
          },
          cancel: p.cancel,
        }),
      });
      expect(r.error).toBeNull();
      const noted = r.warns.filter((m) => /carries no UTC offset; its dates are read in America\/Los_Angeles without this extra check/.test(m));
      expect(noted).toHaveLength(fake.exports.length);
      expect(tally(expectedIds(data, floorSec(start)), r.ids)).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });
    });
  });
});
