// The v5 query reader (src/sync/query-read.ts) through runRead, the real client and the fake with
// a small record cap: every record exactly once past the cap, incremental resume, id order for
// objects with no cursor filter, a stream whose ability is missing failing alone.
import { afterEach, describe, expect, it } from 'vitest';

import { parseConfig } from '../src/config.js';
import type { PardotClient } from '../src/pardot/client.js';
import { createExportPort } from '../src/pardot/export-port.js';
import { findStream, selectFields, type ConfiguredStream } from '../src/streams.js';
import type { StreamSummary, SyncEvent } from '../src/sync/events.js';
import { runRead } from '../src/sync/read.js';
import { parseState, type CursorState } from '../src/sync/state.js';
import { DEFAULTS, startFakePardot, type FakePardot, type FakePardotOptions, type FakeQueryObject, type Row } from './fake-pardot/index.js';
import { fakeQueryObjects } from './helpers/query-objects.js';
import { clientFor, fastClock } from './helpers/fake-api.js';

const clock = fastClock;
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

const DAY = 86_400_000;
const START = new Date(Date.now() - 30 * DAY);
const END = new Date(Date.now() - DAY);

async function setup(o: FakePardotOptions = {}, count = 40): Promise<{ fake: FakePardot; api: PardotClient; objects: Record<string, FakeQueryObject> }> {
  const queryObjects = fakeQueryObjects({ seed: 5, start: START, end: END, count, seconds: 4 });
  const fake = await startFakePardot({ userTimezone: 'America/New_York', queryObjects, ...o });
  open.push(fake);
  const api = clientFor(fake, 3);
  open.push(api);
  return { fake, api, objects: queryObjects };
}

function configured(name: string, mode: 'incremental' | 'full_refresh' = 'incremental', fields?: string[]): ConfiguredStream {
  const stream = findStream(name)!;
  return { stream, syncMode: mode, fields: selectFields(stream, fields) };
}

async function read(
  fake: FakePardot,
  api: PardotClient,
  streams: ConfiguredStream[],
  state = new Map<string, CursorState>(),
  over: Record<string, unknown> = {},
): Promise<{ events: SyncEvent[]; error: unknown }> {
  const config = parseConfig(
    {
      client_id: DEFAULTS.clientId,
      client_secret: DEFAULTS.clientSecret,
      refresh_token: DEFAULTS.refreshToken,
      pardot_business_unit_id: DEFAULTS.businessUnitId,
      start_date: START.toISOString(),
      api_base_url: fake.url,
      auth_base_url: fake.url,
      timezone: 'America/New_York',
      // Runs end 2 s before now (Pardot's clock or ours), so a test sees a change soon.
      lookback_seconds: 2,
      ...over,
    },
    Date.now(),
  );
  const events: SyncEvent[] = [];
  let error: unknown = null;
  try {
    for await (const ev of runRead({
      config,
      streams,
      state,
      api,
      port: createExportPort(api),
      clock,
      recordFrame: () => ({ head: '', tail: '\n' }) as never,
    }))
      events.push(ev);
  } catch (e) {
    error = e;
  }
  return { events, error };
}

const recordsOf = (events: SyncEvent[], stream: string): Record<string, unknown>[] =>
  events.flatMap((e) => (e.type === 'records' && e.stream === stream ? e.lines!.map((l) => JSON.parse(l) as Record<string, unknown>) : []));
const statesOf = (events: SyncEvent[], stream: string) => events.filter((e) => e.type === 'state' && e.stream === stream);
const lastState = (events: SyncEvent[], stream: string): Map<string, CursorState> => {
  const st = statesOf(events, stream).at(-1) as Extract<SyncEvent, { type: 'state' }>;
  return parseState([{ type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: st.state } }], [findStream(stream)!]).streams;
};
const ids = (rs: Record<string, unknown>[]) => rs.map((r) => r.id as number);
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

describe('v5 query reader', () => {
  it('(cursor, id) order past a 7-record cap: every record of a 40-record object exactly once, deleted ones marked, state at the end', async () => {
    const { fake, api } = await setup({ queryTokenCap: 7 });
    const { events, error } = await read(fake, api, [configured('lists', 'incremental', ['name'])]);
    expect(error).toBeNull();
    const got = recordsOf(events, 'lists');
    expect(got).toHaveLength(40);
    expect(new Set(ids(got)).size).toBe(40);
    // isDeleted comes along with deleted=all (include_deleted defaults to true).
    expect(Object.keys(got[0]!)).toEqual(['id', 'name', 'updatedAt', 'isDeleted']);
    expect(got.some((r) => r.isDeleted === true)).toBe(true);
    // Records come in (updatedAt, id) order.
    const keys = got.map((r) => [Date.parse(r.updatedAt as string), r.id as number] as const);
    for (let k = 1; k < keys.length; k++) expect(keys[k]![0] > keys[k - 1]![0] || (keys[k]![0] === keys[k - 1]![0] && keys[k]![1] > keys[k - 1]![1])).toBe(true);
    expect(fake.queryStats.capped).toBeGreaterThanOrEqual(3);
    // Continuations: a tie query (idGreaterThan within one second) and a query from the next second.
    const paths = fake.log.filter((r) => r.path.startsWith('/api/v5/objects/lists')).map((r) => decodeURIComponent(r.path));
    expect(paths.some((p) => p.includes('idGreaterThan=') && p.includes('orderBy=id ASC'))).toBe(true);
    expect(paths.every((p) => p.includes('limit=1000') || p.includes('nextPageToken='))).toBe(true);
    const final = statesOf(events, 'lists').at(-1) as Extract<SyncEvent, { type: 'state' }>;
    expect(Object.keys(final.state)).toEqual(['updatedAt', 'state_version']);
    const summary = events.find((e) => e.type === 'summary') as Extract<SyncEvent, { type: 'summary' }>;
    const s = summary.streams[0] as StreamSummary;
    expect(s.rows).toBe(40);
    // The stream's calls in the summary: its own pages (the run's timezone evidence calls aside).
    expect(s.apiCalls).toBe(paths.length);
    expect(fake.stats.calls.objects).toBe(api.calls.query);
  });

  it('a run cut off mid-stream resumes from {updatedAt, last_id}: the two runs together give every record once', async () => {
    const opts = { queryTokenCap: 7 };
    const { fake, api } = await setup(opts);
    // The account call, then 3 pages: stopped by the call ceiling mid-stream.
    const first = await read(fake, api, [configured('lists')], undefined, { max_api_calls: 4 });
    expect((first.error as { code?: string }).code).toBe('API_CALL_CEILING');
    const part = recordsOf(first.events, 'lists');
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThan(40);
    const mid = statesOf(first.events, 'lists').at(-1) as Extract<SyncEvent, { type: 'state' }>;
    expect(mid.state).toHaveProperty('last_id');
    const second = await read(fake, api, [configured('lists')], lastState(first.events, 'lists'));
    expect(second.error).toBeNull();
    const all = [...ids(part), ...ids(recordsOf(second.events, 'lists'))];
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
  });

  it('a run whose end is not past the saved second keeps last_id, so the run after it repeats no record', async () => {
    const { fake, api } = await setup({ queryTokenCap: 7 });
    const first = await read(fake, api, [configured('lists')], undefined, { max_api_calls: 4 });
    const savedState = (statesOf(first.events, 'lists').at(-1) as Extract<SyncEvent, { type: 'state' }>).state;
    expect(savedState).toHaveProperty('last_id');
    const saved = lastState(first.events, 'lists');
    // Pardot's clock (its Date header) at the saved second: this run ends before it and reads nothing.
    fake.setNow(new Date(saved.get('lists')!.cursor!));
    const idle = await read(fake, api, [configured('lists')], saved);
    fake.setNow(null);
    expect(idle.error).toBeNull();
    expect(recordsOf(idle.events, 'lists')).toHaveLength(0);
    expect((statesOf(idle.events, 'lists').at(-1) as Extract<SyncEvent, { type: 'state' }>).state).toMatchObject({
      updatedAt: savedState.updatedAt,
      last_id: savedState.last_id,
    });
    const last = await read(fake, api, [configured('lists')], lastState(idle.events, 'lists'));
    const all = [...ids(recordsOf(first.events, 'lists')), ...ids(recordsOf(last.events, 'lists'))];
    expect(all).toHaveLength(40);
    expect(new Set(all).size).toBe(40);
  });

  it('incremental: a second run reads only records updated since, none twice; a third reads nothing', async () => {
    const { fake, api, objects } = await setup({ queryTokenCap: 7 });
    const first = await read(fake, api, [configured('users')]);
    expect(recordsOf(first.events, 'users')).toHaveLength(40);
    const end1 = lastState(first.events, 'users').get('users')!.cursor!;
    // Two users change and one is created exactly at the first run's (exclusive) end: the next run's.
    const rows = objects['users']!.rows as Row[];
    const changedAt = new Date(end1);
    await new Promise((r) => setTimeout(r, Math.max(0, end1 + 1_100 + 2_000 - Date.now())));
    rows[3]!.updatedAt = changedAt;
    rows[17]!.updatedAt = changedAt;
    rows.push({ ...rows[0]!, id: 99_999, createdAt: changedAt, updatedAt: changedAt, isDeleted: false });
    const second = await read(fake, api, [configured('users')], lastState(first.events, 'users'));
    expect(sorted(ids(recordsOf(second.events, 'users')))).toEqual(sorted([rows[3]!.id as number, rows[17]!.id as number, 99_999]));
    const third = await read(fake, api, [configured('users')], lastState(second.events, 'users'));
    expect(recordsOf(third.events, 'users')).toHaveLength(0);
  });

  it('a full refresh includes rows changed within lookback_seconds (an overwrite must not drop them); an incremental read leaves them to the next run', async () => {
    const { fake, api, objects } = await setup({ queryTokenCap: 7 });
    const rows = objects['users']!.rows as Row[];
    rows[5]!.updatedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const full = await read(fake, api, [configured('users', 'full_refresh')], undefined, { lookback_seconds: 300 });
    expect(full.error).toBeNull();
    expect(sorted(ids(recordsOf(full.events, 'users')))).toEqual(sorted(rows.map((r) => r.id as number)));
    const inc = await read(fake, api, [configured('users')], undefined, { lookback_seconds: 300 });
    expect(ids(recordsOf(inc.events, 'users'))).not.toContain(rows[5]!.id);
    expect(recordsOf(inc.events, 'users')).toHaveLength(rows.length - 1);
  });

  it('no cursor filter (forms): id order, continued past the cap with idGreaterThan; full refresh only', async () => {
    const { fake, api } = await setup({ queryTokenCap: 6 });
    const { events, error } = await read(fake, api, [configured('forms', 'full_refresh')]);
    expect(error).toBeNull();
    const got = ids(recordsOf(events, 'forms'));
    expect(got).toHaveLength(40);
    expect(got).toEqual(sorted(got));
    const paths = fake.log.filter((r) => r.route === 'objects').map((r) => r.path);
    expect(paths.filter((p) => p.includes('idGreaterThan=')).length).toBeGreaterThanOrEqual(6);
    const st = statesOf(events, 'forms').at(-1) as Extract<SyncEvent, { type: 'state' }>;
    expect(st.state).toEqual({ state_version: 1 });
  });

  it('a cursor Pardot cannot sort on (campaigns): id order within the date filters, every record once past the cap', async () => {
    const { fake, api } = await setup({ queryTokenCap: 5 });
    const { events, error } = await read(fake, api, [configured('campaigns')]);
    expect(error).toBeNull();
    const got = ids(recordsOf(events, 'campaigns'));
    expect(got).toHaveLength(40);
    expect(new Set(got).size).toBe(40);
    const paths = fake.log.filter((r) => r.route === 'objects').map((r) => decodeURIComponent(r.path));
    expect(paths.some((p) => p.includes('updatedAtBeforeOrEqualTo=') && p.includes('idGreaterThan='))).toBe(true);
  });

  it('variations are read per dynamic content (dynamicContentId), the account as one record', async () => {
    const { fake, api } = await setup({ queryTokenCap: 1000 }, 10);
    const { events, error } = await read(fake, api, [configured('dynamic_content_variations', 'full_refresh'), configured('account', 'full_refresh', ['company'])]);
    expect(error).toBeNull();
    const vars = recordsOf(events, 'dynamic_content_variations');
    expect(vars).toHaveLength(10);
    const paths = fake.log.filter((r) => r.route === 'objects').map((r) => r.path);
    expect(paths.filter((p) => p.includes('dynamicContentId=')).length).toBeGreaterThanOrEqual(1);
    expect(recordsOf(events, 'account')).toEqual([{ id: 4242, company: 'Fake Pardot Co' }]);
  });

  it('a stream whose View ability is missing fails alone, naming the ability; the next stream completes', async () => {
    const { fake, api } = await setup({ queryNoAbility: ['tags'] });
    const { events, error } = await read(fake, api, [configured('tags'), configured('lists')]);
    expect(String((error as Error).message)).toContain('Marketing > Segmentation > Tags > View');
    const statuses = events.filter((e) => e.type === 'status').map((e) => `${(e as { stream: string }).stream}:${(e as { status: string }).status}`);
    expect(statuses).toContain('tags:INCOMPLETE');
    expect(statuses).toContain('lists:COMPLETE');
    expect(recordsOf(events, 'lists')).toHaveLength(40);
    void fake;
  });
});
