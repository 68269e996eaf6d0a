// The v5 query reader (src/sync/query-read.ts) through runRead, the real client and the fake with a
// small record cap (each keyset query ends after a few records, as a 100,000-record cap would):
// incremental reads from a saved (cursor, last_id) in (cursor, id) order with the tie path for a
// second holding more records than a page, resume mid-stream, the first incremental read of a
// dimension table in id order, objects taking no orderBy, per-parent reads, a missing ability.
// Expected ids come from the fake's own rows.
import { describe, expect, it } from 'vitest';

import type { StreamSummary, SyncEvent } from '../src/sync/events.js';
import type { Row } from './fake-pardot/index.js';
import {
  configured,
  ids,
  lastState,
  queriesOf,
  queryHarness,
  recordsOf,
  runQuery,
  secondOf,
  sorted,
  stateAt,
  statesOf,
} from './helpers/query-run.js';

const idsOfRows = (rows: Row[]) => rows.map((r) => r.id as number);

/** The most rows any one second of `field` holds. */
function maxPerSecond(rows: Row[], field: string): number {
  const n = new Map<number | null, number>();
  for (const r of rows) n.set(secondOf(r, field), (n.get(secondOf(r, field)) ?? 0) + 1);
  return Math.max(...n.values());
}

describe('v5 query reader: (cursor, id) keyset from a saved cursor', () => {
  it('reads every record exactly once past a 7-record cap, in (updatedAt, id) order, through seconds holding more records than a page; STATE after each page', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['lists']!.rows as Row[];
    // The tie path is exercised: some second holds more records than one capped query serves.
    expect(maxPerSecond(rows, 'updatedAt')).toBeGreaterThan(7);
    const { events, error } = await runQuery(h, [configured('lists', 'incremental', ['name'])], stateAt('lists', h.start.getTime() - 60_000));
    expect(error).toBeNull();
    const got = recordsOf(events, 'lists');
    expect(sorted(ids(got))).toEqual(sorted(idsOfRows(rows)));
    expect(new Set(ids(got)).size).toBe(got.length);
    // isDeleted comes along with deleted=all (include_deleted defaults to true).
    expect(Object.keys(got[0]!)).toEqual(['id', 'name', 'updatedAt', 'isDeleted']);
    expect(sorted(ids(got.filter((r) => r.isDeleted === true)))).toEqual(sorted(idsOfRows(rows.filter((r) => r.isDeleted === true))));
    const keys = got.map((r) => [Date.parse(r.updatedAt as string), r.id as number] as const);
    for (let k = 1; k < keys.length; k++) expect(keys[k]![0] > keys[k - 1]![0] || (keys[k]![0] === keys[k - 1]![0] && keys[k]![1] > keys[k - 1]![1])).toBe(true);
    const qs = queriesOf(h.fake, 'lists');
    // Never a token: every page is a query of its own, positioned by its filters.
    expect(qs.every((q) => !q.has('nextPageToken') && q.get('limit') === '1000')).toBe(true);
    expect(qs[0]!.get('orderBy')).toBe('updatedAt ASC,id ASC');
    // A tie: one second alone, in id order, from the last id emitted there.
    const tie = qs.find((q) => q.get('orderBy') === 'id ASC');
    expect(tie).toBeDefined();
    expect(tie!.get('updatedAtAfterOrEqualTo')).toBe(tie!.get('updatedAtBeforeOrEqualTo'));
    expect(tie!.get('idGreaterThan')).toMatch(/^\d+$/);
    expect(h.fake.queryStats.capped).toBeGreaterThanOrEqual(3);
    const states = statesOf(events, 'lists');
    expect(states.length).toBeGreaterThan(3);
    for (const s of states.slice(0, -1)) expect(Object.keys(s.state).sort()).toEqual(['last_id', 'state_version', 'updatedAt']);
    expect(Object.keys(states.at(-1)!.state)).toEqual(['updatedAt', 'state_version']);
    const summary = events.find((e) => e.type === 'summary') as Extract<SyncEvent, { type: 'summary' }>;
    const s = summary.streams[0] as StreamSummary;
    expect(s.rows).toBe(rows.length);
    // The stream's calls in the summary: its own pages.
    expect(s.apiCalls).toBe(qs.length);
  });

  it('a run cut off mid-stream resumes from {updatedAt, last_id}: the two runs together give every record once', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['lists']!.rows as Row[];
    const from = stateAt('lists', h.start.getTime() - 60_000);
    // The account call, then 3 pages: stopped by the call ceiling mid-stream.
    const first = await runQuery(h, [configured('lists')], from, { max_api_calls: 4 });
    expect((first.error as { code?: string }).code).toBe('API_CALL_CEILING');
    const part = recordsOf(first.events, 'lists');
    expect(part.length).toBeGreaterThan(0);
    expect(part.length).toBeLessThan(rows.length);
    expect(statesOf(first.events, 'lists').at(-1)!.state).toHaveProperty('last_id');
    const second = await runQuery(h, [configured('lists')], lastState(first.events, 'lists'));
    expect(second.error).toBeNull();
    const all = [...ids(part), ...ids(recordsOf(second.events, 'lists'))];
    expect(sorted(all)).toEqual(sorted(idsOfRows(rows)));
  });

  it('a run whose end is not past the saved second keeps last_id, so the run after it repeats no record', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['lists']!.rows as Row[];
    const first = await runQuery(h, [configured('lists')], stateAt('lists', h.start.getTime() - 60_000), { max_api_calls: 4 });
    const savedState = statesOf(first.events, 'lists').at(-1)!.state;
    expect(savedState).toHaveProperty('last_id');
    const saved = lastState(first.events, 'lists');
    // Pardot's clock (its Date header) at the saved second: this run ends before it and reads nothing.
    h.fake.setNow(new Date(saved.get('lists')!.cursor!));
    const idle = await runQuery(h, [configured('lists')], saved);
    h.fake.setNow(null);
    expect(idle.error).toBeNull();
    expect(recordsOf(idle.events, 'lists')).toHaveLength(0);
    expect(statesOf(idle.events, 'lists').at(-1)!.state).toMatchObject({ updatedAt: savedState.updatedAt, last_id: savedState.last_id });
    const last = await runQuery(h, [configured('lists')], lastState(idle.events, 'lists'));
    const all = [...ids(recordsOf(first.events, 'lists')), ...ids(recordsOf(last.events, 'lists'))];
    expect(sorted(all)).toEqual(sorted(idsOfRows(rows)));
  });
});

describe('v5 query reader: id order', () => {
  it("a first incremental read of a dimension table is the whole table in id order up to the run's end; the next reads only what changed since, the one after nothing", async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['users']!.rows as Row[];
    // Pardot's clock, fixed: each run ends lookback_seconds (2) before it.
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
    h.fake.setNow(new Date(t0));
    const first = await runQuery(h, [configured('users')]);
    expect(first.error).toBeNull();
    expect(sorted(ids(recordsOf(first.events, 'users')))).toEqual(sorted(idsOfRows(rows)));
    const q1 = queriesOf(h.fake, 'users');
    expect(q1.every((q) => q.get('orderBy') === 'id ASC' && !q.has('updatedAtAfterOrEqualTo') && q.get('updatedAtBeforeOrEqualTo') !== null)).toBe(true);
    expect(q1.filter((q) => q.has('idGreaterThan')).length).toBeGreaterThanOrEqual(5);
    const end1 = lastState(first.events, 'users').get('users')!.cursor!;
    expect(end1).toBe(t0 - 2000);
    // Two users change and one is created, at Pardot's now (after the first run's end).
    h.fake.v5.update('users', rows[3]!.id as number, { jobTitle: 'Changed' });
    h.fake.v5.update('users', rows[17]!.id as number, { jobTitle: 'Changed' });
    h.fake.v5.insert('users', { ...rows[0]!, id: 99_999, createdAt: null });
    h.fake.setNow(new Date(t0 + 10_000));
    const second = await runQuery(h, [configured('users')], lastState(first.events, 'users'));
    expect(second.error).toBeNull();
    expect(sorted(ids(recordsOf(second.events, 'users')))).toEqual(sorted([rows[3]!.id as number, rows[17]!.id as number, 99_999]));
    expect(recordsOf(second.events, 'users').filter((r) => r.id !== 99_999).every((r) => r.jobTitle === 'Changed')).toBe(true);
    const third = await runQuery(h, [configured('users')], lastState(second.events, 'users'));
    expect(third.error).toBeNull();
    expect(recordsOf(third.events, 'users')).toHaveLength(0);
  });

  it('a full refresh includes rows changed within lookback_seconds (an overwrite must not drop them); an incremental read leaves them to the next run', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['users']!.rows as Row[];
    rows[5]!.updatedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const full = await runQuery(h, [configured('users', 'full_refresh')], undefined, { lookback_seconds: 300 });
    expect(full.error).toBeNull();
    expect(sorted(ids(recordsOf(full.events, 'users')))).toEqual(sorted(idsOfRows(rows)));
    // A full refresh reads the table as it is: no upper bound.
    expect(queriesOf(h.fake, 'users').some((q) => q.has('updatedAtBeforeOrEqualTo'))).toBe(false);
    const inc = await runQuery(h, [configured('users')], undefined, { lookback_seconds: 300 });
    expect(sorted(ids(recordsOf(inc.events, 'users')))).toEqual(sorted(idsOfRows(rows).filter((id) => id !== rows[5]!.id)));
  });

  it("an object taking no orderBy (forms): no orderBy sent, Pardot's default id order checked, continued past the cap with idGreaterThan; full refresh only", async () => {
    const h = await queryHarness({ options: { queryTokenCap: 6 } });
    const rows = h.objects['forms']!.rows as Row[];
    const { events, error } = await runQuery(h, [configured('forms', 'full_refresh')]);
    expect(error).toBeNull();
    const got = ids(recordsOf(events, 'forms'));
    expect(got).toEqual(sorted(idsOfRows(rows)));
    const qs = queriesOf(h.fake, 'forms');
    expect(qs.every((q) => !q.has('orderBy'))).toBe(true);
    expect(qs.filter((q) => q.has('idGreaterThan')).length).toBeGreaterThanOrEqual(6);
    expect(statesOf(events, 'forms').at(-1)!.state).toEqual({ state_version: 1 });
  });

  it('variations are read per dynamic content (dynamicContentId), the account as one record', async () => {
    const h = await queryHarness({ data: { count: 10 } });
    const vars = h.objects['dynamic-content-variations']!.rows as Row[];
    const { events, error } = await runQuery(h, [configured('dynamic_content_variations', 'full_refresh'), configured('account', 'full_refresh', ['company'])]);
    expect(error).toBeNull();
    expect(sorted(ids(recordsOf(events, 'dynamic_content_variations')))).toEqual(sorted(idsOfRows(vars)));
    const asked = queriesOf(h.fake, 'dynamic-content-variations').map((q) => q.get('dynamicContentId'));
    expect(new Set(asked)).toEqual(new Set((h.objects['dynamic-contents']!.rows as Row[]).map((r) => String(r.id))));
    expect(recordsOf(events, 'account')).toEqual([{ id: 4242, company: 'Fake Pardot Co' }]);
  });

  it('a stream whose View ability is missing fails alone, naming the ability; the next stream completes', async () => {
    const h = await queryHarness({ options: { queryNoAbility: ['tags'] } });
    const { events, error } = await runQuery(h, [configured('tags'), configured('lists')]);
    expect(String((error as Error).message)).toContain('Marketing > Segmentation > Tags > View');
    const statuses = events.filter((e) => e.type === 'status').map((e) => `${(e as { stream: string }).stream}:${(e as { status: string }).status}`);
    expect(statuses).toContain('tags:INCOMPLETE');
    expect(statuses).toContain('lists:COMPLETE');
    expect(recordsOf(events, 'lists')).toHaveLength((h.objects['lists']!.rows as Row[]).length);
  });
});
