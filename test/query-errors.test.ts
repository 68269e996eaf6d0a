// What a live business unit answers a v5 query reader, through runRead and the fake (its own
// refusals, or a fault answering what Pardot answers): a refused field is dropped and the page
// asked again; a refused filter or sort is given up and the reader filters or orders itself; too
// many filtered fields (209) gives up the upper bound; a timed-out page (214, HTTP 504) halves the
// page size down to 100; a page token refused (210/211) asks the same query again; the cap warning
// is known by code 101; an unsorted answer out of id order fails the stream (QUERY_UNORDERED); a
// page out of the order asked hands the rest to id order. Expected ids come from the fake's rows.
import { describe, expect, it } from 'vitest';

import type { Row } from './fake-pardot/index.js';
import { configured, ids, logsOf, queriesOf, queryHarness, recordsOf, runQuery, secondOf, sorted, stateAt, statesOf, type QueryHarness } from './helpers/query-run.js';

/** Ids of rows whose `field` second lies in [from, to). */
function idsIn(rows: Row[], field: string, from: number, to = Infinity): number[] {
  return sorted(rows.filter((r) => secondOf(r, field) !== null && secondOf(r, field)! >= from && secondOf(r, field)! < to).map((r) => r.id as number));
}

/** The second distinct cursor second of an object's rows: a start that leaves the first second out. */
function secondSecond(rows: Row[], field: string): number {
  const secs = [...new Set(rows.map((r) => secondOf(r, field)!))].sort((a, b) => a - b);
  return secs[1]!;
}

const pardotError = (code: number, message: string) => ({ on: 'objects' as const, kind: 'status' as const, status: 400, body: JSON.stringify({ code, message }) });
const statusOf = (events: Awaited<ReturnType<typeof runQuery>>['events'], stream: string) =>
  events.filter((e) => e.type === 'status' && e.stream === stream).map((e) => (e as { status: string }).status);

describe('a refused field is dropped, not fatal', () => {
  it("code 51 naming a field: WARN naming it, the same page asked again without it, the stream completes with it empty, and the next pages never ask it", async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['custom-redirects']!.rows as Row[];
    // The fake's table has no gaSource (its page scrape does not list it): Pardot's 51 for an unknown field.
    const { events, error } = await runQuery(h, [configured('custom_redirects', 'full_refresh', ['name', 'gaSource'])]);
    expect(error).toBeNull();
    const got = recordsOf(events, 'custom_redirects');
    expect(sorted(ids(got))).toEqual(sorted(rows.map((r) => r.id as number)));
    expect(got.every((r) => r.gaSource === null && 'name' in r)).toBe(true);
    const warns = logsOf(events, 'WARN').filter((m) => m.includes("'gaSource'"));
    expect(warns).toHaveLength(1);
    const qs = queriesOf(h.fake, 'custom-redirects');
    expect(qs[0]!.get('fields')!.split(',')).toContain('gaSource');
    // The page asked again: the same query (first page: no idGreaterThan) without the field.
    expect(qs[1]!.get('fields')!.split(',')).not.toContain('gaSource');
    expect(qs[1]!.has('idGreaterThan')).toBe(false);
    expect(qs.length).toBeGreaterThan(4);
    expect(qs.slice(1).every((q) => !q.get('fields')!.split(',').includes('gaSource'))).toBe(true);
    expect(statusOf(events, 'custom_redirects')).toContain('COMPLETE');
  });

  it('code 180 with HTTP 400 naming a field is dropped the same way', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['users']!.rows as Row[];
    h.fake.faults.push(pardotError(180, 'Invalid field: jobTitle is not a valid field for users'));
    const { events, error } = await runQuery(h, [configured('users', 'full_refresh', ['email', 'jobTitle'])]);
    expect(error).toBeNull();
    expect(sorted(ids(recordsOf(events, 'users')))).toEqual(sorted(rows.map((r) => r.id as number)));
    expect(recordsOf(events, 'users').every((r) => r.jobTitle === null)).toBe(true);
    expect(logsOf(events, 'WARN').some((m) => m.includes("'jobTitle'"))).toBe(true);
    expect(queriesOf(h.fake, 'users').slice(1).every((q) => !q.get('fields')!.split(',').includes('jobTitle'))).toBe(true);
  });
});

describe('a refused filter or sort is given up: the reader does its work itself', () => {
  it('a refused cursor filter (code 51 naming updatedAtAfterOrEqualTo): id order, the lower bound applied here, every record once', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['campaigns']!.rows as Row[];
    const from = secondSecond(rows, 'updatedAt');
    h.fake.faults.push(pardotError(51, 'Invalid parameter: Parameter updatedAtAfterOrEqualTo is invalid.'));
    const { events, error } = await runQuery(h, [configured('campaigns')], stateAt('campaigns', from));
    expect(error).toBeNull();
    const expected = idsIn(rows, 'updatedAt', from);
    expect(expected.length).toBeLessThan(rows.length);
    expect(sorted(ids(recordsOf(events, 'campaigns')))).toEqual(expected);
    expect(logsOf(events, 'WARN').some((m) => m.includes("'updatedAtAfterOrEqualTo'"))).toBe(true);
    const qs = queriesOf(h.fake, 'campaigns');
    expect(qs.slice(1).every((q) => !q.has('updatedAtAfterOrEqualTo'))).toBe(true);
    expect(qs.at(-1)!.get('orderBy')).toBe('id ASC');
  });

  it('a sort refused mid-stream (code 51 naming orderBy on the 3rd page): the rest in id order from the same (second, last id), every record once', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['campaigns']!.rows as Row[];
    const from = secondSecond(rows, 'updatedAt');
    h.fake.faults.push({ ...pardotError(51, 'Invalid parameter: orderBy. Unknown or unsortable field: updatedAt'), nth: 3 });
    const { events, error } = await runQuery(h, [configured('campaigns')], stateAt('campaigns', from));
    expect(error).toBeNull();
    const got = ids(recordsOf(events, 'campaigns'));
    expect(new Set(got).size).toBe(got.length);
    expect(sorted(got)).toEqual(idsIn(rows, 'updatedAt', from));
    const qs = queriesOf(h.fake, 'campaigns');
    expect(qs[0]!.get('orderBy')).toBe('updatedAt ASC,id ASC');
    expect(qs.at(-1)!.get('orderBy')).toBe('id ASC');
    expect(logsOf(events, 'WARN').some((m) => m.includes('orderBy=updatedAt ASC,id ASC'))).toBe(true);
    expect(Object.keys(statesOf(events, 'campaigns').at(-1)!.state)).toEqual(['updatedAt', 'state_version']);
  });

  it("too many filtered fields (209): the upper bound is applied here; records changed after the run's end wait for the next run", async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['campaigns']!.rows as Row[];
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
    h.fake.setNow(new Date(t0));
    // Changed at Pardot's now: after this run's end (2 s before it).
    const late = [rows[1]!.id as number, rows[9]!.id as number];
    for (const id of late) h.fake.v5.update('campaigns', id, { name: 'late' });
    const from = secondSecond(rows, 'updatedAt');
    h.fake.faults.push(pardotError(209, 'Too many fields have filters: The max number of 3 distinct fields with filters was exceeded for this query.'));
    const { events, error } = await runQuery(h, [configured('campaigns')], stateAt('campaigns', from));
    expect(error).toBeNull();
    expect(sorted(ids(recordsOf(events, 'campaigns')))).toEqual(idsIn(rows, 'updatedAt', from, t0 - 2000));
    expect(ids(recordsOf(events, 'campaigns'))).not.toContain(late[0]);
    expect(queriesOf(h.fake, 'campaigns').slice(1).every((q) => !q.has('updatedAtBeforeOrEqualTo'))).toBe(true);
    expect(logsOf(events, 'WARN').some((m) => m.includes("'updatedAtBeforeOrEqualTo'"))).toBe(true);
    expect(statesOf(events, 'campaigns').at(-1)!.state).toEqual({ updatedAt: new Date(t0 - 2000).toISOString().replace('.000Z', 'Z'), state_version: 1 });
  });
});

describe('a timed-out page is asked again smaller, down to 100 records', () => {
  for (const answer of ['code214', 'http504'] as const) {
    it(`${answer}: limit 1000, then 500, 250, 125, 100 for the rest of the run; below 100 is not tried, the stream fails`, async () => {
      const ok = await queryHarness({ options: { queryTimeout: { aboveLimit: 100, answer } } });
      const rows = ok.objects['lists']!.rows as Row[];
      const done = await runQuery(ok, [configured('lists', 'full_refresh')]);
      expect(done.error).toBeNull();
      expect(sorted(ids(recordsOf(done.events, 'lists')))).toEqual(sorted(rows.map((r) => r.id as number)));
      expect(queriesOf(ok.fake, 'lists').map((q) => q.get('limit'))).toEqual(['1000', '500', '250', '125', '100']);
      expect(logsOf(done.events, 'WARN').filter((m) => m.includes('timed out'))).toHaveLength(4);

      const never = await queryHarness({ options: { queryTimeout: { aboveLimit: 99, answer } } });
      const failed = await runQuery(never, [configured('lists', 'full_refresh')]);
      expect((failed.error as { code?: string }).code).toBe('PARDOT_QUERY_TIMEOUT');
      expect(queriesOf(never.fake, 'lists').map((q) => q.get('limit'))).toEqual(['1000', '500', '250', '125', '100']);
      expect(recordsOf(failed.events, 'lists')).toHaveLength(0);
    });
  }
});

describe('page tokens, the cap warning, and the order the keyset rests on', () => {
  for (const code of [210, 211]) {
    it(`a page token refused (${code}): the same query again, every record once`, async () => {
      const h = await queryHarness({ options: { queryTokenCap: 7 } });
      const rows = h.objects['lists']!.rows as Row[];
      h.fake.faults.push({ ...pardotError(code, code === 210 ? 'Page token has expired.' : 'Page token is invalid.'), nth: 2 });
      const { events, error } = await runQuery(h, [configured('lists', 'full_refresh')]);
      expect(error).toBeNull();
      expect(sorted(ids(recordsOf(events, 'lists')))).toEqual(sorted(rows.map((r) => r.id as number)));
      const paths = h.fake.log.filter((r) => r.route === 'objects').map((r) => r.path);
      expect(h.fake.log.filter((r) => r.route === 'objects')[1]!.status).toBe(400);
      expect(paths[2]).toBe(paths[1]);
    });
  }

  it('the cap warning by code 101: the keyset goes on past each capped query (id order and (cursor, id) order)', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7, queryCapWarningCode: 101 } });
    const run = await runQuery(h, [configured('forms', 'full_refresh'), configured('lists')], stateAt('lists', h.start.getTime() - 60_000));
    expect(run.error).toBeNull();
    for (const [stream, object] of [['forms', 'forms'], ['lists', 'lists']] as const) {
      expect(sorted(ids(recordsOf(run.events, stream)))).toEqual(sorted((h.objects[object]!.rows as Row[]).map((r) => r.id as number)));
    }
    expect(h.fake.queryStats.capped).toBeGreaterThan(8);
  });

  it('an object taking no orderBy whose unsorted answers are not in id order fails the stream with QUERY_UNORDERED, emitting no record twice', async () => {
    const h = await queryHarness({ options: { queryDefaultOrder: 'hash', queryTokenCap: 7 } });
    const { events, error } = await runQuery(h, [configured('forms', 'full_refresh'), configured('lists', 'full_refresh')]);
    expect((error as { code?: string }).code).toBe('QUERY_UNORDERED');
    expect(String((error as Error).message)).toContain('QUERY_DEFAULT_ORDER_IS_ID');
    const got = ids(recordsOf(events, 'forms'));
    expect(new Set(got).size).toBe(got.length);
    expect(statusOf(events, 'forms')).toContain('INCOMPLETE');
    // The other stream (sorted by id) is not affected.
    expect(statusOf(events, 'lists')).toContain('COMPLETE');
  });

  it('an answer out of id order though orderBy=id ASC was asked fails the stream with QUERY_UNORDERED too', async () => {
    const h = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['lists']!.rows as Row[];
    const backwards = rows.slice(0, 4).map((r) => ({ id: r.id })).reverse();
    h.fake.faults.push({ on: 'objects', kind: 'status', status: 200, nth: 2, body: JSON.stringify({ values: backwards, nextPageToken: null, nextPageUrl: null }) });
    const { events, error } = await runQuery(h, [configured('lists', 'full_refresh', [])]);
    expect((error as { code?: string }).code).toBe('QUERY_UNORDERED');
    expect(String((error as Error).message)).toContain('though asked orderBy=id ASC');
    expect(statusOf(events, 'lists')).toContain('INCOMPLETE');
  });

  it('a page out of the (cursor, id) order asked hands the rest to id order from the same point: every record once', async () => {
    const h: QueryHarness = await queryHarness({ options: { queryTokenCap: 7 } });
    const rows = h.objects['lists']!.rows as Row[];
    // Pardot answering the 2nd page in an order of its own (as if it sorted on a finer time than it shows).
    const shuffled = [...rows].sort((a, b) => (b.id as number) - (a.id as number)).slice(0, 5).map((r) => ({ id: r.id, updatedAt: new Date(secondOf(r, 'updatedAt')!).toISOString().replace('.000Z', '+00:00') }));
    h.fake.faults.push({ on: 'objects', kind: 'status', status: 200, nth: 2, body: JSON.stringify({ values: shuffled, nextPageToken: null, nextPageUrl: null }) });
    const { events, error } = await runQuery(h, [configured('lists', 'incremental', [])], stateAt('lists', h.start.getTime() - 60_000));
    expect(error).toBeNull();
    const got = ids(recordsOf(events, 'lists'));
    expect(new Set(got).size).toBe(got.length);
    expect(sorted(got)).toEqual(sorted(rows.map((r) => r.id as number)));
    expect(logsOf(events, 'WARN').some((m) => m.includes('out of the order asked'))).toBe(true);
    expect(queriesOf(h.fake, 'lists').at(-1)!.get('orderBy')).toBe('id ASC');
  });
});
