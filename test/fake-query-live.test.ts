// Pins the fake's v5 query side beyond plain paging: answers only from its own object table
// (test/fake-pardot/v5-objects.ts), nextPageTokens as positions in the live result, the change API
// and page hook, and the query errors Pardot answers (51, 209, 210, 211, 214, HTTP 504).
// Expected values are written by hand.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { lazyProspects, startFakePardot, V5_OBJECTS, type LazySource, type QueryPageInfo, type Row } from './fake-pardot/index.js';
import { closeAll, errorOf, startQueryFake, type Page } from './helpers/fake-query-http.js';

const TZ = 'America/Los_Angeles';
const NOW = new Date('2024-12-30T00:00:00Z');
/** June: Los Angeles is at -07:00. */
const BASE = Date.UTC(2024, 5, 1);

afterEach(closeAll);

/** Campaigns 1..10, updatedAt BASE + id seconds (all distinct), none deleted. */
function tenCampaigns(): Row[] {
  return Array.from({ length: 10 }, (_, k) => ({ id: k + 1, name: `C${k + 1}`, isDeleted: false, createdAt: new Date(BASE), updatedAt: new Date(BASE + (k + 1) * 1000) }));
}

const BY_UPDATED = `orderBy=${encodeURIComponent('updatedAt ASC,id ASC')}`;
const ids = (p: Page): number[] => p.values.map((v) => v.id as number);

/** Every page of a sequence, following nextPageUrl; the ids in the order served. */
async function readAll(get: (p: string) => Promise<Response>, first: string): Promise<{ seen: number[]; pages: number }> {
  const seen: number[] = [];
  let res = await get(first);
  let pages = 0;
  for (;;) {
    expect(res.status).toBe(200);
    const page = (await res.json()) as Page;
    pages++;
    seen.push(...ids(page));
    if (!page.nextPageUrl) return { seen, pages };
    res = await get(page.nextPageUrl);
  }
}

describe('the fake answers only from its own v5 object table', () => {
  it('cites a Salesforce v5 reference page for each of the 29 objects the connector reads', () => {
    const expected = [
      'account', 'campaigns', 'custom-fields', 'custom-redirects', 'dynamic-contents', 'dynamic-content-variations', 'emails',
      'email-templates', 'engagement-studio-programs', 'files', 'folders', 'folder-contents', 'forms', 'form-fields', 'form-handlers',
      'form-handler-fields', 'landing-pages', 'layout-templates', 'lifecycle-histories', 'lifecycle-stages', 'lists', 'list-emails',
      'opportunities', 'tags', 'tagged-objects', 'tracker-domains', 'users', 'visits', 'visitor-page-views',
    ];
    expect(Object.keys(V5_OBJECTS).sort()).toEqual([...expected].sort());
    for (const def of Object.values(V5_OBJECTS))
      expect(def.doc, def.object).toMatch(/^https:\/\/developer\.salesforce\.com\/docs\/marketing\/pardot\/guide\/[a-z0-9-]+\.html$/);
  });

  it('takes nothing from the product: no file of the fake or its data helper imports src/', () => {
    const dir = join(import.meta.dirname, 'fake-pardot');
    const files = [...readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)), join(import.meta.dirname, 'helpers', 'query-objects.ts')];
    const imports = files.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => `${f}: ${m[1]}`));
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((i) => /'?\.\.\/(?:\.\.\/)?src\//.test(i.split(': ')[1]!))).toEqual([]);
  });

  it('refuses rows for an object outside the table', async () => {
    await expect(startFakePardot({ queryObjects: { 'not-an-object': { rows: [] } } })).rejects.toThrow(/not-an-object: not a queryable object/);
    await expect(startFakePardot({ queryObjects: { account: { rows: [] } } })).rejects.toThrow(/account: not a queryable object/);
  });

  it('refuses a collection (51) but serves its sub-fields, and refuses fields the page says are not queryable', async () => {
    const emails = [{ id: 7, name: 'E', textMessage: 'hi', senderOptions: [{ type: 'general_user', address: 'a@example.com', name: 'A, "b"' }] }];
    const { get } = await startQueryFake({ now: NOW, queryObjects: { emails: { rows: emails as unknown as Row[] } } });
    expect(await errorOf(await get('/api/v5/objects/emails?fields=id,senderOptions'))).toEqual({
      status: 400,
      code: 51,
      message: 'Invalid parameter: fields. Collections are not supported on query operations: senderOptions',
    });
    const sub = (await (await get('/api/v5/objects/emails?fields=id,senderOptions.address,senderOptions.type')).json()) as Page;
    expect(sub.values).toEqual([{ id: 7, senderOptions: [{ address: 'a@example.com', type: 'general_user' }] }]);
    expect(await errorOf(await get('/api/v5/objects/emails?fields=id,textMessage'))).toEqual({
      status: 400,
      code: 51,
      message: 'Invalid parameter: fields. It contains an invalid or unknown field: textMessage',
    });
  });

  it('serves object-typed fields (engagement studio programs) as JSON objects', async () => {
    const programs = [{ id: 1, name: 'P', businessHours: { days: ['monday'], start: '09:00' }, schedule: null }];
    const { get } = await startQueryFake({ now: NOW, queryObjects: { 'engagement-studio-programs': { rows: programs as unknown as Row[] } } });
    const body = (await (await get('/api/v5/objects/engagement-studio-programs?fields=id,businessHours,schedule')).json()) as Page;
    expect(body.values).toEqual([{ id: 1, businessHours: { days: ['monday'], start: '09:00' }, schedule: null }]);
  });

  it('answers 51 for a filter, orderBy field or deleted the object does not take, and for a date with Z', async () => {
    const { get } = await startQueryFake({ now: NOW, queryObjects: { emails: { rows: [{ id: 7, name: 'E' }] } } });
    const err = (q: string) => get(`/api/v5/objects/emails?fields=id&${q}`).then(errorOf);
    expect(await err('updatedAtAfterOrEqualTo=2024-01-01T00:00:00-08:00')).toEqual({
      status: 400,
      code: 51,
      message: 'Invalid parameter: Parameter updatedAtAfterOrEqualTo is invalid.',
    });
    expect(await err('deleted=all')).toEqual({ status: 400, code: 51, message: 'Invalid parameter: Parameter deleted is invalid.' });
    expect(await err('orderBy=name')).toEqual({ status: 400, code: 51, message: 'Invalid parameter: orderBy. Unknown or unsortable field: name' });
    expect(await err('sentAtAfterOrEqualTo=2024-01-01T00:00:00Z')).toEqual({
      status: 400,
      code: 51,
      message: 'Invalid parameter: sentAtAfterOrEqualTo. Invalid date time value: 2024-01-01T00:00:00Z',
    });
    expect((await get('/api/v5/objects/emails?fields=id&sentAtAfterOrEqualTo=2024-01-01T00:00:00%2B00:00')).status).toBe(200);
  });

  it('serves users.lastName, which the User page omits', async () => {
    const { get } = await startQueryFake({ now: NOW, queryObjects: { users: { rows: [{ id: 3, lastName: 'Müller, "Jr"' }] } } });
    expect(((await (await get('/api/v5/objects/users?fields=id,lastName')).json()) as Page).values).toEqual([{ id: 3, lastName: 'Müller, "Jr"' }]);
  });
});

describe('nextPageToken: a position in the live result', () => {
  /** A fake whose hook runs `change` after page 1 of the first sequence. */
  async function withChangeAfterPage1(change: (fake: Awaited<ReturnType<typeof startQueryFake>>['fake']) => void) {
    const q = await startQueryFake({ now: NOW, userTimezone: TZ, queryObjects: { campaigns: { rows: tenCampaigns() } } });
    q.fake.setOnQueryPage((info) => {
      if (info.pageNumber === 1) change(q.fake);
    });
    return readAll(q.get, `/api/v5/objects/campaigns?fields=id&limit=3&${BY_UPDATED}`);
  }

  it('a record that vanishes after a page shifts the rest: the one after the gap is never served', async () => {
    const { seen } = await withChangeAfterPage1((fake) => fake.v5.delete('campaigns', 2));
    expect(seen).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10]);
  });

  it('a record that moves later is served again at its new place, and one is skipped', async () => {
    const { seen } = await withChangeAfterPage1((fake) => fake.v5.update('campaigns', 1, {}, new Date(BASE + 100_000)));
    expect(seen).toEqual([1, 2, 3, 5, 6, 7, 8, 9, 10, 1]);
  });

  it('a record inserted before the position pushes the rest back: one is served twice', async () => {
    const { seen } = await withChangeAfterPage1((fake) => fake.v5.insert('campaigns', { id: 50, name: 'new' }, new Date(BASE)));
    expect(seen).toEqual([1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('a token used twice answers the same page while the data is unchanged', async () => {
    const { get } = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } } });
    const first = (await (await get(`/api/v5/objects/campaigns?fields=id&limit=3&${BY_UPDATED}`)).json()) as Page;
    const again = async () => ids((await (await get(`/api/v5/objects/campaigns?fields=id&nextPageToken=${first.nextPageToken}`)).json()) as Page);
    expect(await again()).toEqual([4, 5, 6]);
    expect(await again()).toEqual([4, 5, 6]);
  });

  it('a token expires 4 hours after it was issued (210); an unknown or foreign one is invalid (211)', async () => {
    const { fake, get } = await startQueryFake({
      now: NOW,
      queryObjects: { campaigns: { rows: tenCampaigns() }, tags: { rows: [{ id: 1, name: 't' }] } },
    });
    const first = (await (await get('/api/v5/objects/campaigns?fields=id&limit=3')).json()) as Page;
    const follow = (object: string, token: string) => get(`/api/v5/objects/${object}?fields=id&nextPageToken=${encodeURIComponent(token)}`);
    fake.setNow(new Date(NOW.getTime() + 4 * 3600_000));
    expect((await follow('campaigns', first.nextPageToken!)).status).toBe(200);
    fake.setNow(new Date(NOW.getTime() + 4 * 3600_000 + 1000));
    expect(await errorOf(await follow('campaigns', first.nextPageToken!))).toEqual({ status: 400, code: 210, message: 'Page token has expired.' });
    expect(await errorOf(await follow('campaigns', 'not-a-token'))).toEqual({ status: 400, code: 211, message: 'Page token is invalid.' });
    const fresh = (await (await get('/api/v5/objects/campaigns?fields=id&limit=3')).json()) as Page;
    expect(await errorOf(await follow('tags', fresh.nextPageToken!))).toEqual({ status: 400, code: 211, message: 'Page token is invalid.' });
  });

  it('ends a sequence at 100,000 records by default with the 203 warning, and sends code 101 when asked', async () => {
    const many: LazySource = { count: 100_001, row: (i) => ({ id: i + 1, name: `c${i}`, isDeleted: false }) };
    const big = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: many } } });
    let res = await big.get('/api/v5/objects/campaigns?fields=id&limit=1000');
    let served = 0;
    for (;;) {
      const page = (await res.json()) as Page;
      served += page.values.length;
      if (!page.nextPageUrl) break;
      res = await big.get(page.nextPageUrl);
    }
    expect(served).toBe(100_000);
    expect(res.headers.get('pardot-warning')).toBe('203;Record count for nextPageToken sequence has been exceeded. No page token returned.');

    const small = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } }, queryTokenCap: 4, queryCapWarningCode: 101 });
    const page1 = (await (await small.get('/api/v5/objects/campaigns?fields=id&limit=3')).json()) as Page;
    expect(ids(page1)).toEqual([1, 2, 3]);
    const res2 = await small.get(`/api/v5/objects/campaigns?fields=id&nextPageToken=${page1.nextPageToken}`);
    const page2 = (await res2.json()) as Page;
    expect([ids(page2), page2.nextPageToken]).toEqual([[4], null]);
    expect(res2.headers.get('pardot-warning')).toBe('101;Record count for nextPageToken sequence has been exceeded. No page token returned.');
  });
});

describe('changing v5 records and watching pages', () => {
  it('insert, update and delete stamp updatedAt with the fake clock or a given time', async () => {
    const { fake, get } = await startQueryFake({ now: NOW, userTimezone: TZ, queryObjects: { campaigns: { rows: tenCampaigns() }, tags: { rows: [{ id: 1, name: 't' }] } } });
    const one = async (q: string) => ((await (await get(`/api/v5/objects/campaigns?fields=id,name,isDeleted,createdAt,updatedAt&${q}`)).json()) as Page).values;
    fake.v5.update('campaigns', 3, { name: 'renamed' });
    expect(await one('id=3')).toEqual([{ id: 3, name: 'renamed', isDeleted: false, createdAt: '2024-05-31T17:00:00-07:00', updatedAt: '2024-12-29T16:00:00-08:00' }]);
    fake.v5.insert('campaigns', { id: 11, name: 'eleven' });
    expect(await one('id=11')).toEqual([{ id: 11, name: 'eleven', isDeleted: null, createdAt: '2024-12-29T16:00:00-08:00', updatedAt: '2024-12-29T16:00:00-08:00' }]);
    fake.v5.delete('campaigns', 4, { at: new Date(BASE + 60_000) });
    expect(await one('id=4')).toEqual([]);
    expect(await one('id=4&deleted=true')).toEqual([{ id: 4, name: 'C4', isDeleted: true, createdAt: '2024-05-31T17:00:00-07:00', updatedAt: '2024-05-31T17:01:00-07:00' }]);
    fake.v5.delete('campaigns', 4, { hard: true });
    expect(await one('id=4&deleted=all')).toEqual([]);
    // Tags are not moved to the recycle bin: a delete removes the record.
    fake.v5.delete('tags', 1);
    expect(fake.v5.rows('tags')).toEqual([]);
    expect(() => fake.v5.update('campaigns', 99, {})).toThrow('campaigns: no record with id 99');
    expect(() => fake.v5.insert('campaigns', { id: 5 })).toThrow('campaigns: id 5 exists already');
    expect(() => fake.v5.rows('account')).toThrow(/account: not a queryable object/);
  });

  it('changes rows of an export object given as an array, and refuses a lazy source', async () => {
    const lazy = await startQueryFake({ now: NOW, data: { prospect: lazyProspects(5, { seed: 1, start: new Date('2024-01-01Z'), end: new Date('2024-02-01Z') }) } });
    expect(() => lazy.fake.v5.update('prospects', 1, {})).toThrow('prospects: data.prospect is a lazy source; give an array to change it');
    const rows: Row[] = [{ id: 1, email: 'a@example.com', isDeleted: false, updatedAt: new Date(BASE) }];
    const arr = await startQueryFake({ now: NOW, userTimezone: TZ, data: { prospect: rows } });
    arr.fake.v5.update('prospects', 1, { email: 'b@example.com' });
    const body = (await (await arr.get('/api/v5/objects/prospects?fields=id,email,updatedAt')).json()) as Page;
    expect(body.values).toEqual([{ id: 1, email: 'b@example.com', updatedAt: '2024-12-29T16:00:00-08:00' }]);
  });

  it('runs the page hook after each page with its number, values and token; a throwing hook is recorded, the page stands', async () => {
    const infos: QueryPageInfo[] = [];
    const { fake, get } = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } }, onQueryPage: (i) => infos.push(i) });
    await readAll(get, '/api/v5/objects/campaigns?fields=id&limit=4');
    expect(infos.map((i) => [i.object, i.pageNumber, i.values.map((v) => v.id), i.nextPageToken === null, i.capped])).toEqual([
      ['campaigns', 1, [1, 2, 3, 4], false, false],
      ['campaigns', 2, [5, 6, 7, 8], false, false],
      ['campaigns', 3, [9, 10], true, false],
    ]);
    fake.setOnQueryPage(() => {
      throw new Error('hook failed');
    });
    expect((await get('/api/v5/objects/campaigns?fields=id')).status).toBe(200);
    expect(fake.queryStats.hookErrors.map((e) => (e as Error).message)).toEqual(['hook failed']);
  });
});

describe('query errors Pardot answers', () => {
  it('209 past 3 distinct filtered fields (or the configured number); several filters on one field count once', async () => {
    const { get } = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } } });
    const d = encodeURIComponent('2024-01-01T00:00:00-08:00');
    const four = await get(`/api/v5/objects/campaigns?fields=id&idGreaterThan=0&name=C1&createdAtAfter=${d}&updatedAtAfter=${d}`);
    expect(await errorOf(four)).toEqual({
      status: 400,
      code: 209,
      message: 'Too many fields have filters: The max number of 3 distinct fields with filters was exceeded for this query.',
    });
    expect((await get(`/api/v5/objects/campaigns?fields=id&idGreaterThan=0&name=C1&createdAtAfter=${d}`)).status).toBe(200);
    expect((await get(`/api/v5/objects/campaigns?fields=id&idGreaterThan=0&idLessThan=9&updatedAtAfterOrEqualTo=${d}&updatedAtBeforeOrEqualTo=${d}`)).status).toBe(200);
    const one = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } }, queryMaxFilterFields: 1 });
    expect((await errorOf(await one.get(`/api/v5/objects/campaigns?fields=id&idGreaterThan=0&updatedAtAfter=${d}`))).message).toBe(
      'Too many fields have filters: The max number of 1 distinct fields with filters was exceeded for this query.',
    );
  });

  it('214 when the page size is above the threshold, so a reader that halves its limit gets through; or a gateway 504', async () => {
    const { get } = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } }, queryTimeout: { aboveLimit: 500 } });
    expect(await errorOf(await get('/api/v5/objects/campaigns?fields=id&limit=1000'))).toEqual({ status: 400, code: 214, message: 'API request timed out.' });
    expect((await get('/api/v5/objects/campaigns?fields=id&limit=500')).status).toBe(200);
    expect((await get('/api/v5/objects/campaigns?fields=id')).status).toBe(200);
    const gw = await startQueryFake({ now: NOW, queryObjects: { campaigns: { rows: tenCampaigns() } }, queryTimeout: { aboveLimit: 500, answer: 'http504' } });
    const res = await gw.get('/api/v5/objects/campaigns?fields=id&limit=501');
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('504 Gateway Time-out');
  });
});
