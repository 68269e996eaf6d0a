/**
 * Shared pieces of the reliability suites (faults, resume, bad input, security): a small data
 * set, config and catalog builders, and readers of what the built CLI printed.
 */
import { generateData, hash32, startFakePardot, type FakePardot, type FakePardotOptions, type ObjectName, type Row } from '../fake-pardot/index.js';
// The fake's own zone arithmetic (a second implementation, not src/extract/timezone.ts): the oracle.
import { offsetMinutes } from '../fake-pardot/time.js';
import { runCli, tempDir, writeJson, type CliResult, type RunOptions } from './cli.js';

export const TZ = 'America/Los_Angeles';
export const DAY = 86_400_000;
export const SECRETS = { client_secret: 'test-client-secret', refresh_token: 'test-refresh-token' };

/** Prospects spread over ~400 days: with window_days 120, four windows (one export each). */
export function smallData(opts: { prospects?: number; days?: number; seed?: number } = {}) {
  const now = Date.now();
  const start = new Date(now - (opts.days ?? 400) * DAY);
  const data = generateData({ seed: opts.seed ?? 11, start, end: new Date(now - 10 * 60_000), counts: { prospect: opts.prospects ?? 120 } });
  return { start, data };
}

export async function startFake(data: Record<string, Row[]>, opts: FakePardotOptions = {}): Promise<FakePardot> {
  return startFakePardot({ userTimezone: TZ, data, rowsPerFile: 15, pollsUntilComplete: 1, ...opts });
}

export function config(fake: FakePardot, start: Date, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    client_id: 'test-client-id',
    client_secret: SECRETS.client_secret,
    refresh_token: SECRETS.refresh_token,
    pardot_business_unit_id: '0Uv000000000001AAA',
    start_date: start.toISOString(),
    timezone: TZ,
    api_base_url: fake.url,
    auth_base_url: fake.url,
    window_days: 120,
    poll_interval_seconds: 0.01,
    poll_max_interval_seconds: 0.02,
    // Bounds the per-window call estimate (polls up to this deadline) the API call ceiling uses.
    export_timeout_minutes: 0.05,
    request_timeout_seconds: 5,
    ...over,
  };
}

/** A configured catalog; `fields` limits the requested columns (the key and cursor are always added). */
export function catalog(names: string[] = ['prospects'], mode: 'incremental' | 'full_refresh' = 'incremental', fields?: string[]) {
  return {
    streams: names.map((name) => ({
      stream: {
        name,
        json_schema: fields ? { type: 'object', properties: Object.fromEntries(fields.map((f) => [f, {}])) } : {},
        supported_sync_modes: ['full_refresh', 'incremental'],
      },
      sync_mode: mode,
      destination_sync_mode: 'append',
    })),
  };
}

/** Runs `read` with JSON values (or raw strings) written to a fresh temp dir. */
export function read(cfg: unknown, cat: unknown, state?: unknown, opts: RunOptions = {}): Promise<CliResult> {
  const dir = tempDir();
  const args = ['read', '--config', writeJson(dir, 'config.json', cfg), '--catalog', writeJson(dir, 'catalog.json', cat)];
  if (state !== undefined) args.push('--state', writeJson(dir, 'state.json', state));
  return runCli(args, opts);
}

export type Msg = Record<string, any>;

/** Parses stdout lines leniently (a killed child may leave a partial last line). */
export function parseLines(stdout: string): Msg[] {
  const out: Msg[] = [];
  for (const l of stdout.split('\n')) {
    if (!l) continue;
    try {
      out.push(JSON.parse(l));
    } catch {
      // partial line of a killed process
    }
  }
  return out;
}

export const states = (msgs: Msg[]) => msgs.filter((m) => m.type === 'STATE');
/** The last STATE per stream, as a --state file for the next run. */
export function lastStates(msgs: Msg[]): Msg[] {
  const by = new Map<string, Msg>();
  for (const m of states(msgs)) by.set(m.state.stream.stream_descriptor.name, m.state);
  return [...by.values()];
}
export const errorTrace = (msgs: Msg[]) => msgs.find((m) => m.type === 'TRACE' && m.trace.type === 'ERROR')?.trace.error as
  | { message: string; internal_message: string; failure_type: string; stack_trace: string }
  | undefined;
export const logs = (msgs: Msg[], level?: string) =>
  msgs.filter((m) => m.type === 'LOG' && (!level || m.log.level === level)).map((m) => m.log.message as string);
export const recordIds = (msgs: Msg[], stream = 'prospects') =>
  msgs.filter((m) => m.type === 'RECORD' && m.record.stream === stream).map((m) => m.record.data.id as number);

/** Ids Pardot would export for prospects in [from, to) by updatedAt (deleted ones are not exported). */
export function expectedIds(data: Record<string, Row[]>, from: number, to = Date.now() - 60_000, object = 'prospect'): number[] {
  return data[object]!.filter((r) => {
    const v = r['updatedAt'];
    if (!(v instanceof Date) || r['isDeleted'] === true) return false; // prospects' procedure takes no 'deleted'
    const t = Math.floor(v.getTime() / 1000) * 1000;
    return t >= from && t < to;
  }).map((r) => r['id'] as number);
}

/** Lost and duplicated ids of `emitted` against `expected`. */
export function tally(expected: number[], emitted: number[]) {
  const seen = new Map<number, number>();
  for (const id of emitted) seen.set(id, (seen.get(id) ?? 0) + 1);
  const lost = expected.filter((id) => !seen.has(id));
  let duplicated = 0;
  for (const n of seen.values()) duplicated += n - 1;
  const unexpected = [...seen.keys()].filter((id) => !expected.includes(id));
  return { expected: expected.length, emitted: emitted.length, lost: lost.length, duplicated, unexpected: unexpected.length };
}

export async function waitFor(cond: () => boolean, timeoutMs = 15_000, stepMs = 5): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Waits (on the clock, the event itself) until a run started now would end its windows past
 * `boundaryMs`: runs end at now minus lookback_seconds, in whole seconds (README; default 300), so
 * a row whose cursor is `boundaryMs` then lies inside the next run's first window.
 */
export function untilRunEndPasses(boundaryMs: number, lookbackSeconds = 300): Promise<void> {
  return waitFor(() => Math.floor((Date.now() - lookbackSeconds * 1000) / 1000) * 1000 > boundaryMs, 15_000, 50);
}

/**
 * An emitted RFC 3339 date-time is the instant of a CSV wall time (to the second) in `tz`; a wall
 * time in a repeated (fall-back) hour is read as the earlier instant, the documented rule.
 */
export function sameInstant(emitted: string, actual: Date, tz = TZ): boolean {
  const e = Date.parse(emitted);
  const a = Math.floor(actual.getTime() / 1000) * 1000;
  if (e === a) return true;
  const shift = (offsetMinutes(tz, a - 3600_000) - offsetMinutes(tz, a)) * 60_000;
  return shift > 0 && e === a - shift;
}

/**
 * Churn (the case that loses rows in a full refresh): after each export of `object` completes, K
 * rows of later windows (the export's window field at or past its `before`, not deleted, not yet
 * touched) get updatedAt = the fake's now, so they leave the windows a sync has not read yet.
 * Picks are deterministic (seed, export id). `touched` lists the ids in the order they were moved.
 * Needs an in-memory (Row[]) source.
 */
export function churn(fake: FakePardot, object: ObjectName, o: { rows: number; seed?: number }): { touched: number[]; stop(): void } {
  const touched: number[] = [];
  const done = new Set<number>();
  const stop = fake.on('exportComplete', (e) => {
    if (e.object !== object || e.window.beforeMs === null) return;
    const before = e.window.beforeMs;
    const field = e.window.dateField;
    const later = fake.rows(object).filter((r) => {
      const v = r[field];
      return v instanceof Date && v.getTime() >= before && r.isDeleted !== true && !done.has(r.id as number);
    });
    const ids: number[] = [];
    for (let k = 0; k < o.rows && later.length > 0; k++) {
      const [row] = later.splice(hash32(o.seed ?? 1, e.id, k) % later.length, 1);
      ids.push(row!.id as number);
    }
    for (const id of fake.updateRows(object, ids, { updatedAt: 'now' })) {
      done.add(id);
      touched.push(id);
    }
  });
  return { touched, stop };
}
