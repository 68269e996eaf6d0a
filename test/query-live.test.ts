// Query streams hold on a live business unit: the fake's nextPageToken is a position in the live
// result (rows that change, vanish or appear after a page was served shift the rest), and between
// the pages of every read rows change, vanish and appear (helpers/query-churn.ts). For every query
// stream, a full refresh and (where it has a cursor) two incremental reads lose no row that was
// there throughout and in range, emit none twice, and emit nothing never in range. A reader that
// follows tokens loses rows under the same changes: the scenario bites. Pardot's clock is fixed
// (setNow), so each run's end (2 s before it) is known without waiting.
import { describe, expect, it } from 'vitest';

import { QUERY_STREAMS } from '../src/streams.js';
import { churn, snapshot, tally, type Range } from './helpers/query-churn.js';
import { configured, ids, lastState, queryHarness, recordsOf, runQuery, secondOf, stateAt, type QueryHarness } from './helpers/query-run.js';

// Written out here from the audit (v5-objects.test.ts holds the same): the cursor incremental reads
// follow, and the streams start_date bounds.
const CURSORS: Record<string, string | null> = {
  campaigns: 'updatedAt', custom_fields: 'updatedAt', custom_redirects: null, dynamic_contents: 'updatedAt', dynamic_content_variations: null,
  emails: 'sentAt', email_templates: 'updatedAt', engagement_studio_programs: 'updatedAt', files: null, folders: null, folder_contents: 'updatedAt',
  forms: null, form_fields: 'updatedAt', form_handlers: null, form_handler_fields: null, landing_pages: 'updatedAt', layout_templates: null,
  lifecycle_histories: 'createdAt', lifecycle_stages: 'updatedAt', lists: 'updatedAt', list_emails: 'updatedAt', opportunities: 'updatedAt',
  tags: 'updatedAt', tagged_objects: null, tracker_domains: null, users: 'updatedAt', visits: 'updatedAt', visitor_page_views: 'createdAt',
};
const EVENTS = new Set(['emails', 'lifecycle_histories', 'list_emails', 'visits', 'visitor_page_views']);
const LOOKBACK = 2000;

const streams = QUERY_STREAMS.filter((s) => !s.query.singleton).map((s) => [s.name, s.query.object] as const);

/** One read of a stream with rows churning between its pages, tallied against the rows before and after. */
async function churnedRead(h: QueryHarness, stream: string, object: string, mode: 'full_refresh' | 'incremental', range: Range, state?: ReturnType<typeof lastState>, firstNewId = 900_000) {
  const cursor = CURSORS[stream]!;
  const before = snapshot(h.fake.v5.rows(object), cursor);
  const c = churn(h.fake, object, { firstNewId });
  const run = await runQuery(h, [configured(stream, mode)], state);
  c.stop();
  const after = snapshot(h.fake.v5.rows(object), cursor);
  return { run, churned: c, t: tally(before, after, range, ids(recordsOf(run.events, stream))) };
}

describe('every query stream holds while rows change, vanish and appear between its pages', () => {
  it.each(streams)('%s', async (stream, object) => {
    const h = await queryHarness({ options: { queryTokenCap: 5 }, data: { count: 30 } });
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
    h.fake.setNow(new Date(t0));
    const floor = EVENTS.has(stream) ? h.start.getTime() : null;
    const full = await churnedRead(h, stream, object, 'full_refresh', { from: floor, to: Infinity, full: true });
    expect(full.run.error).toBeNull();
    // The changes happened mid-read, to rows read and not read yet.
    expect(full.churned.changed.length).toBeGreaterThan(3);
    expect(full.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
    expect(full.t.must).toBeGreaterThan(10);
    if (CURSORS[stream] === null) return;

    const to1 = t0 - LOOKBACK;
    const first = await churnedRead(h, stream, object, 'incremental', { from: floor, to: to1, full: false }, undefined, 910_000);
    expect(first.run.error).toBeNull();
    expect(first.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
    expect(lastState(first.run.events, stream).get(stream)!.cursor).toBe(to1);
    // The next run: Pardot's clock 10 s on; what changed during the first (at t0) is in its range.
    h.fake.setNow(new Date(t0 + 10_000));
    const second = await churnedRead(h, stream, object, 'incremental', { from: to1, to: t0 + 10_000 - LOOKBACK, full: false }, lastState(first.run.events, stream), 920_000);
    expect(second.run.error).toBeNull();
    expect(second.t).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
    // Every row the first read's changes touched and left in place is in the second read.
    const got = new Set(ids(recordsOf(second.run.events, stream)));
    const moved = [...first.churned.changed, ...first.churned.inserted].filter((id) => h.fake.v5.rows(object).some((r) => r.id === id && secondOf(r, CURSORS[stream]!) === t0));
    for (const id of moved) expect([id, got.has(id)]).toEqual([id, true]);
  });
});

describe('the scenario bites: a reader following nextPageToken loses rows under the same changes', () => {
  it('tokens over (updatedAt, id) skip as many unread lists as read ones moved to the end; the keyset reader loses none', async () => {
    const cursor = 'updatedAt';
    const h = await queryHarness({ data: { count: 40 } });
    const before = snapshot(h.fake.v5.rows('lists'), cursor);
    const c = churn(h.fake, 'lists', { pages: 4 });
    const fields = ['id', 'updatedAt'];
    let page = await h.api.queryPage({ object: 'lists', fields, limit: 5, orderBy: 'updatedAt ASC,id ASC', deleted: 'all' });
    const got = ids(page.values);
    while (page.nextPageToken !== null) {
      page = await h.api.queryPage({ object: 'lists', fields, token: page.nextPageToken });
      got.push(...ids(page.values));
    }
    c.stop();
    expect(c.changed.length).toBeGreaterThan(4);
    const byTokens = tally(before, snapshot(h.fake.v5.rows('lists'), cursor), { from: null, to: Infinity, full: true }, got);
    expect(byTokens.lost.length).toBeGreaterThan(2);

    const again = await queryHarness({ options: { queryTokenCap: 5 }, data: { count: 40 } });
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;
    again.fake.setNow(new Date(t0));
    const before2 = snapshot(again.fake.v5.rows('lists'), cursor);
    const c2 = churn(again.fake, 'lists', { pages: 4 });
    // From a saved cursor before every row: by (updatedAt, id), the order the tokens above followed.
    const from = again.start.getTime() - 60_000;
    const run = await runQuery(again, [configured('lists', 'incremental')], stateAt('lists', from));
    c2.stop();
    expect(run.error).toBeNull();
    expect(c2.changed.length).toBeGreaterThan(4);
    const byKeyset = tally(before2, snapshot(again.fake.v5.rows('lists'), cursor), { from, to: t0 - LOOKBACK, full: false }, ids(recordsOf(run.events, 'lists')));
    expect(byKeyset).toMatchObject({ lost: [], duplicated: 0, unexpected: [] });
    expect(byKeyset.must).toBeGreaterThan(15);
  });
});
