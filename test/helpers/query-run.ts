/**
 * Runs v5 query streams in-process (runRead, the real client) against the loopback fake, for the
 * query reader suites: a fake with generated rows for every table object, the run's config, and
 * readers of the events a run yields. Everything a test starts here is closed after each test.
 */
import { afterEach } from 'vitest';

import { parseConfig } from '../../src/config.js';
import type { PardotClient } from '../../src/pardot/client.js';
import { createExportPort } from '../../src/pardot/export-port.js';
import { findStream, selectFields, type ConfiguredStream } from '../../src/streams.js';
import type { SyncEvent } from '../../src/sync/events.js';
import { runRead } from '../../src/sync/read.js';
import { parseState, type CursorState } from '../../src/sync/state.js';
import { DEFAULTS, startFakePardot, type FakePardot, type FakePardotOptions, type FakeQueryObject, type Row } from '../fake-pardot/index.js';
import { clientFor, fastClock } from './fake-api.js';
import { fakeQueryObjects, type QueryDataOptions } from './query-objects.js';

export const DAY = 86_400_000;

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

export interface QueryHarness {
  fake: FakePardot;
  api: PardotClient;
  /** The rows the fake serves, by object URL name (live arrays: the fake's v5 change API edits them). */
  objects: Record<string, FakeQueryObject>;
  /** The start_date the runs use (the data's first second). */
  start: Date;
}

/** A fake serving generated rows for every object of its v5 table, and a client on it (closed after the test). */
export async function queryHarness(o: { options?: FakePardotOptions; data?: Partial<QueryDataOptions> } = {}): Promise<QueryHarness> {
  // Whole seconds, as Pardot's filters and dates are.
  const start = o.data?.start ?? new Date(Math.floor((Date.now() - 30 * DAY) / 1000) * 1000);
  const end = o.data?.end ?? new Date(Date.now() - DAY);
  const objects = fakeQueryObjects({ seed: 5, count: 40, seconds: 4, ...o.data, start, end });
  const fake = await startFakePardot({ userTimezone: 'America/New_York', queryObjects: objects, ...o.options });
  open.push(fake);
  const api = clientFor(fake, 3);
  open.push(api);
  return { fake, api, objects, start };
}

export function configured(name: string, mode: 'incremental' | 'full_refresh' = 'incremental', fields?: string[]): ConfiguredStream {
  const stream = findStream(name);
  if (!stream) throw new Error(`no stream ${name}`);
  return { stream, syncMode: mode, fields: selectFields(stream, fields) };
}

export interface RunResult {
  events: SyncEvent[];
  error: unknown;
}

/** One read of `streams`, as the commands run it (runRead), collecting its events and its error. */
export async function runQuery(
  h: Pick<QueryHarness, 'fake' | 'api' | 'start'>,
  streams: ConfiguredStream[],
  state = new Map<string, CursorState>(),
  over: Record<string, unknown> = {},
): Promise<RunResult> {
  const config = parseConfig(
    {
      client_id: DEFAULTS.clientId,
      client_secret: DEFAULTS.clientSecret,
      refresh_token: DEFAULTS.refreshToken,
      pardot_business_unit_id: DEFAULTS.businessUnitId,
      start_date: h.start.toISOString(),
      api_base_url: h.fake.url,
      auth_base_url: h.fake.url,
      timezone: 'America/New_York',
      // Runs end 2 s before Pardot's clock (the fake's), so a test sees a change soon.
      lookback_seconds: 2,
      ...over,
    },
    Date.now(),
  );
  const events: SyncEvent[] = [];
  let error: unknown = null;
  try {
    for await (const ev of runRead({ config, streams, state, api: h.api, port: createExportPort(h.api), clock: fastClock, recordFrame: () => ({ head: '', tail: '\n' }) as never }))
      events.push(ev);
  } catch (e) {
    error = e;
  }
  return { events, error };
}

export type Rec = Record<string, unknown>;
type StateEvent = Extract<SyncEvent, { type: 'state' }>;

export const recordsOf = (events: SyncEvent[], stream: string): Rec[] =>
  events.flatMap((e) => (e.type === 'records' && e.stream === stream ? e.lines!.map((l) => JSON.parse(l) as Rec) : []));
export const statesOf = (events: SyncEvent[], stream: string): StateEvent[] => events.filter((e): e is StateEvent => e.type === 'state' && e.stream === stream);
export const logsOf = (events: SyncEvent[], level: string): string[] => events.flatMap((e) => (e.type === 'log' && e.level === level ? [e.message] : []));
/** The last STATE of a stream, parsed as the next run's --state would be. */
export function lastState(events: SyncEvent[], stream: string): Map<string, CursorState> {
  const st = statesOf(events, stream).at(-1);
  if (!st) throw new Error(`no STATE for ${stream}`);
  return parseState([{ type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: st.state } }], [findStream(stream)!]).streams;
}
/** A state as a saved one would be: the stream's cursor at `cursor` (and last_id). */
export function stateAt(stream: string, cursor: number, lastId?: number): Map<string, CursorState> {
  const def = findStream(stream)!;
  const value: Record<string, unknown> = { [def.cursorField!]: new Date(cursor).toISOString(), state_version: 1, ...(lastId !== undefined ? { last_id: lastId } : {}) };
  return parseState([{ type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: value } }], [def]).streams;
}
export const ids = (rs: Rec[]): number[] => rs.map((r) => r.id as number);
export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
/** The query parameters of each request the fake saw for one object, in order. */
export const queriesOf = (fake: FakePardot, object: string): URLSearchParams[] =>
  fake.log.filter((r) => r.route === 'objects' && r.path.startsWith(`/api/v5/objects/${object}?`)).map((r) => new URLSearchParams(r.path.slice(r.path.indexOf('?') + 1)));
/** A row's date cell as epoch ms at whole seconds (null when empty). */
export function secondOf(row: Row, field: string): number | null {
  const v = row[field];
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : typeof v === 'number' ? v : NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) * 1000 : null;
}
