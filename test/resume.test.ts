/**
 * Resumption through the BUILT executable against the fake: a run killed with SIGKILL mid-window,
 * stopped with SIGTERM, or stopped by the daily limit or the call ceiling, and a second run from
 * the last STATE the first one printed. Rows are counted over the union of both runs.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { FakePardot, Row } from './fake-pardot/index.js';
import {
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
  states,
  tally,
  waitFor,
  type Msg,
} from './helpers/scenario.js';

const CAT = catalog(['prospects'], 'incremental', ['email']);

/** Exports per window (by the `updated_after` argument): a window with two exports was created twice. */
function exportsPerWindow(fake: FakePardot): number[] {
  const by = new Map<string, number>();
  for (const e of fake.exports) {
    const k = String(e.procedure.arguments['updated_after']);
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by.values()];
}

const inFlightOf = (msgs: Msg[]) => (lastStates(msgs)[0]?.stream.stream_state.in_flight ?? []) as Array<{ id: string; start: string }>;

function allOnce(data: Record<string, Row[]>, start: Date, runs: Msg[][]) {
  const t = tally(expectedIds(data, Math.floor(start.getTime() / 1000) * 1000), runs.flatMap((m) => recordIds(m)));
  expect(t.lost, 'rows lost').toBe(0);
  expect(t.unexpected).toBe(0);
  return t;
}

describe('a run killed with SIGKILL resumes its export instead of creating another', () => {
  it('still processing: the restart keeps polling the same exports (every one the run queued)', async () => {
    const { start, data } = smallData();
    const fake = await startFake(data, { pollsUntilComplete: 12 });
    try {
      const cfg = config(fake, start);
      let child: ChildProcess | undefined;
      // Killed once the state holds every export the run queued (four windows, four queued ahead):
      // a kill between Pardot's answer to a create and the STATE recording it is the one gap left.
      const r1 = await read(cfg, CAT, undefined, {
        onSpawn: (c) => (child = c),
        onLine: (l) => {
          if (l.includes('"in_flight"') && ((JSON.parse(l) as Msg).state?.stream?.stream_state?.in_flight?.length ?? 0) >= 4) child!.kill('SIGKILL');
        },
      });
      expect(r1.signal).toBe('SIGKILL');
      const m1 = parseLines(r1.stdout);
      const inFlight = inFlightOf(m1);
      // The STATE that triggered the kill holds the four windows' exports; none is finished.
      expect(inFlight).toHaveLength(4);
      const saved = fake.exports.find((e) => String(e.id) === inFlight[0]!.id)!;
      // Killed within milliseconds of the STATE line, some 12 polls before the export completes.
      const wasActive = ['Waiting', 'Processing'].includes(String(saved.state));
      const createsBefore = fake.stats.calls.create;

      const r2 = await read(cfg, CAT, lastStates(m1));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      expect(logs(r2.messages).join('\n')).toMatch(new RegExp(`Resuming .*job ${saved.id} is ${wasActive ? '(pending|running)' : 'already complete'}`));
      expect(saved.state).toBe('Complete');
      expect(saved.downloads).toBe(saved.fileCount);
      // No window got a second export: the crash left nothing queued twice in Pardot.
      expect(exportsPerWindow(fake).every((n) => n === 1)).toBe(true);
      expect(fake.stats.calls.create - createsBefore).toBe(exportsPerWindow(fake).length - inFlight.length);
      expect(allOnce(data, start, [m1, r2.messages]).duplicated).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it('Complete and not expired: the restart downloads it without a create', async () => {
    const { start, data } = smallData();
    // The first download hangs: the run is killed with its export Complete and nothing downloaded.
    const fake = await startFake(data, { faults: [{ on: 'download', kind: 'delay', ms: 8000 }] });
    try {
      // One download at a time: nothing of the window is out when the first file hangs.
      const cfg = config(fake, start, { max_concurrent_requests: 2 });
      let child: ChildProcess | undefined;
      // Killed once the first file hangs AND the STATE recording every window's export (four
      // windows, all queued ahead meanwhile) is out: a kill between Pardot accepting a create and
      // that line would leave an export no state knows of (see docs/reliability.md).
      let all = false;
      const run = read(cfg, CAT, undefined, {
        onSpawn: (c) => (child = c),
        onLine: (l) => {
          if (l.includes('"in_flight"') && ((JSON.parse(l) as Msg).state?.stream?.stream_state?.in_flight?.length ?? 0) >= 4) all = true;
        },
      });
      await waitFor(() => fake.stats.calls.download >= 1 && all);
      child!.kill('SIGKILL');
      const r1 = await run;
      const m1 = parseLines(r1.stdout);
      expect(recordIds(m1)).toHaveLength(0);
      const inFlight = inFlightOf(m1);
      const first = fake.exports.find((e) => String(e.id) === inFlight[0]!.id)!;
      expect(first.state).toBe('Complete');
      const createsBefore = fake.stats.calls.create;

      const r2 = await read(cfg, CAT, lastStates(m1));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      expect(logs(r2.messages).join('\n')).toMatch(new RegExp(`Resuming .*job ${first.id} is already complete`));
      // Every file of it in run 2 (and the one that hung in run 1, when its delayed answer came).
      expect(first.downloads).toBeGreaterThanOrEqual(first.fileCount!);
      expect(exportsPerWindow(fake).every((n) => n === 1)).toBe(true);
      expect(fake.stats.calls.create - createsBefore).toBe(exportsPerWindow(fake).length - inFlight.length);
      expect(allOnce(data, start, [m1, r2.messages]).duplicated).toBe(0);
    } finally {
      await fake.close();
    }
  });
});

describe('SIGTERM', () => {
  // Within 5 s is the watchdog's promise (src/cli.ts exits 143 at 4.5 s if the stop hangs); these
  // tests see the clean stop finish first (exit 1, not 143) instead of timing it on a loaded machine.
  it('mid-poll: exits 1 by its clean stop (not the watchdog), cancels the export, and the last STATE resumes cleanly', async () => {
    const { start, data } = smallData({ days: 200 });
    const fake = await startFake(data, { pollsUntilComplete: 30 });
    try {
      const cfg = config(fake, start);
      let child: ChildProcess | undefined;
      let sent = false;
      const r1 = await read(cfg, CAT, undefined, {
        onSpawn: (c) => (child = c),
        onLine: (l) => {
          if (!sent && l.includes('"in_flight"')) {
            sent = true;
            child!.kill('SIGTERM');
          }
        },
      });
      expect(sent).toBe(true);
      expect(r1.code).toBe(1);
      // Every export the run queued and had not finished is canceled (none is left to hold Pardot's queue).
      const canceled = fake.exports.filter((e) => e.state === 'Canceled').length;
      expect(canceled).toBeGreaterThan(0);
      expect(fake.exports.filter((e) => e.state === 'Waiting' || e.state === 'Processing')).toEqual([]);
      expect(fake.stats.calls.cancel).toBe(canceled);
      const trace = errorTrace(r1.messages);
      expect(trace?.failure_type).toBe('transient_error');
      expect(r1.stderr).toMatch(/SIGTERM received/);

      const r2 = await read(cfg, CAT, lastStates(r1.messages));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      expect(allOnce(data, start, [r1.messages, r2.messages]).duplicated).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it('while one export downloads and the next ones are queued: only the queued ones are canceled', async () => {
    const { start, data } = smallData({ days: 200 });
    const fake = await startFake(data, { pollsUntilComplete: 30, faults: [{ on: 'download', kind: 'delay', ms: 8000 }] });
    try {
      const cfg = config(fake, start);
      let child: ChildProcess | undefined;
      const run = read(cfg, CAT, undefined, { onSpawn: (c) => (child = c) });
      await waitFor(() => fake.stats.calls.download >= 1 && fake.exports.length >= 2);
      child!.kill('SIGTERM');
      const r1 = await run;
      expect(r1.code).toBe(1);
      const states1 = fake.exports.map((e) => e.state);
      expect(states1[0]).toBe('Complete');
      expect(states1.slice(1)).toContain('Canceled');
      expect(states1.every((s) => s === 'Complete' || s === 'Canceled')).toBe(true);
      expect(fake.stats.calls.cancel).toBe(states1.filter((s) => s === 'Canceled').length);

      const afterOf = (e: (typeof fake.exports)[number]) => String(e.procedure.arguments['updated_after']);
      const complete = afterOf(fake.exports[0]!);
      const canceled = fake.exports.filter((e) => e.state === 'Canceled').map(afterOf);
      const r2 = await read(cfg, CAT, lastStates(r1.messages));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      // The complete export was downloaded without a new create; each canceled one was replaced once.
      const per = (after: string) => fake.exports.filter((e) => afterOf(e) === after);
      expect(per(complete)).toHaveLength(1);
      expect(per(complete)[0]!.downloads).toBeGreaterThanOrEqual(per(complete)[0]!.fileCount!);
      for (const a of canceled) expect(per(a).map((e) => e.state)).toEqual(['Canceled', 'Complete']);
      // Rows of the window that was downloading when the signal came (files already out) come
      // again in run 2: the crash boundary lies inside that unfinished window. Nothing else repeats.
      const t = allOnce(data, start, [r1.messages, r2.messages]);
      expect(t.duplicated).toBe(recordIds(r1.messages).length);
    } finally {
      await fake.close();
    }
  });
});

describe('the daily budget', () => {
  it.each([
    ['on a poll', { on: 'read' as const, kind: 'dailyLimit' as const, nth: 4 }],
    ['on a download', { on: 'download' as const, kind: 'dailyLimit' as const, nth: 3 }],
  ])('code 122 %s: TRACE transient_error saying when it resets, exit 1, then a second run loses and repeats nothing', async (_n, fault) => {
    const { start, data } = smallData();
    // One file per window: a 122 on a download comes before any row of its window.
    const fake = await startFake(data, { rowsPerFile: 1000, faults: [fault] });
    try {
      const cfg = config(fake, start);
      const r1 = await read(cfg, CAT);
      expect(r1.code).toBe(1);
      const trace = errorTrace(r1.messages)!;
      expect(trace.failure_type).toBe('transient_error');
      expect(trace.internal_message).toMatch(/PARDOT_DAILY_LIMIT.*code 122/);
      expect(trace.message).toMatch(/daily API call limit/);
      expect(trace.message).toMatch(/run again after the budget resets \(at midnight in the account's timezone, about \d{4}-\d{2}-\d{2} 00:00 America\/Los_Angeles/);
      // Some windows finished before the limit: their STATE is out, and it is where run 2 starts.
      // Run 1 emitted exactly the rows before that cursor (one file per window: the failed
      // window's 122 came before any of its rows).
      const done = states(r1.messages).filter((s) => s.state.sourceStats.recordCount > 0);
      expect(done.length).toBeGreaterThan(0);
      const cursor1 = Date.parse(lastStates(r1.messages)[0]!.stream.stream_state.updatedAt);
      const from = Math.floor(start.getTime() / 1000) * 1000;
      expect(tally(expectedIds(data, from, cursor1), recordIds(r1.messages))).toMatchObject({ lost: 0, duplicated: 0, unexpected: 0 });

      const createsBefore = fake.stats.calls.create;
      const inFlight = inFlightOf(r1.messages);
      const r2 = await read(cfg, CAT, lastStates(r1.messages));
      expect(r2.code, JSON.stringify(errorTrace(r2.messages))).toBe(0);
      expect(allOnce(data, start, [r1.messages, r2.messages]).duplicated).toBe(0);
      // The exports in flight at the stop were resumed or, if canceled, replaced: never duplicated alive.
      expect(fake.stats.calls.create - createsBefore).toBeLessThanOrEqual(exportsPerWindow(fake).length - states(r1.messages).filter((s) => s.state.sourceStats.recordCount > 0).length);
      expect(inFlight.length).toBeGreaterThan(0);
    } finally {
      await fake.close();
    }
  });

  it('reads the budget at start, logs it, and does not start a window it cannot finish under max_api_calls', async () => {
    const { start, data } = smallData();
    const fake = await startFake(data, { dailyLimit: 1000, apiCallsUsedAtStart: 400 });
    try {
      // The per-window estimate follows the poll schedule up to the deadline: polls at 0.05, 0.15, ... 1.55 s = 16, + create + download = 18.
      const r1 = await read(config(fake, start, { max_api_calls: 22, poll_interval_seconds: 0.05, poll_max_interval_seconds: 0.1, export_timeout_minutes: 0.025 }), CAT);
      expect(logs(r1.messages).join('\n')).toMatch(/Pardot API budget today: 40[01] of 1000 calls used, (600|599) left/);
      expect(r1.code).toBe(1);
      const trace = errorTrace(r1.messages)!;
      expect(trace.internal_message).toMatch(/API_CALL_CEILING/);
      expect(trace.failure_type).toBe('transient_error');
      expect(trace.message).toMatch(/raise max_api_calls/);
      // Every export the run created was finished and downloaded: none was started in vain.
      expect(fake.exports.length).toBeGreaterThan(0);
      for (const e of fake.exports) expect(e.downloads, `export ${e.id}`).toBeGreaterThan(0);
      expect(inFlightOf(r1.messages)).toEqual([]);
      expect(fake.stats.totalApiCalls).toBeLessThanOrEqual(22);

      const r2 = await read(config(fake, start), CAT, lastStates(r1.messages));
      expect(r2.code).toBe(0);
      expect(allOnce(data, start, [r1.messages, r2.messages]).duplicated).toBe(0);
    } finally {
      await fake.close();
    }
  });

  it("today's budget alone (no max_api_calls) stops the run before Pardot answers 122", async () => {
    const { start, data } = smallData();
    const fake = await startFake(data, { dailyLimit: 1000, apiCallsUsedAtStart: 975 });
    try {
      const r1 = await read(config(fake, start), CAT);
      expect(r1.code).toBe(1);
      expect(errorTrace(r1.messages)!.internal_message).toMatch(/API_CALL_CEILING/);
      expect(fake.stats.rejected.dailyLimit).toBe(0);
    } finally {
      await fake.close();
    }
  });
});
