// Pins the fake's v5 object query endpoint (test/fake-pardot/query.ts): what the connector's
// query streams and `check` probes are tested against.

import { afterEach, describe, expect, it } from 'vitest';

import { CAP_WARNING, formatIsoWithOffset, generateData, type FakeQueryObject, type Row } from './fake-pardot/index.js';
import { closeAll, startQueryFake, type Page } from './helpers/fake-query-http.js';

const TZ = 'America/Los_Angeles';
const NOW = new Date('2024-12-30T00:00:00Z');

afterEach(closeAll);

const start = (opts: Parameters<typeof startQueryFake>[0] = {}) => startQueryFake({ now: NOW, userTimezone: TZ, ...opts });

/** 25 campaigns: ids 101.., updatedAt in pairs (ties), every 5th deleted. */
function campaigns(): FakeQueryObject {
  const rows: Row[] = [];
  const base = Date.UTC(2024, 0, 1);
  for (let k = 0; k < 25; k++)
    rows.push({
      id: 101 + k,
      name: `Campaign, "${k}"`,
      cost: k,
      isDeleted: k % 5 === 4,
      createdAt: new Date(base + k * 3600_000),
      updatedAt: new Date(base + Math.floor(k / 2) * 86_400_000),
    });
  // Newest first in storage, so an answer in id order is the fake's doing.
  rows.reverse();
  return { rows };
}

describe('fake v5 object query endpoint', () => {
  it('requires fields, answers only them, defaults to id order and leaves deleted records out', async () => {
    const { fake, get } = await start({ queryObjects: { campaigns: campaigns() } });
    const missing = await get('/api/v5/objects/campaigns');
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { code: number }).code).toBe(176);
    const bad = await get('/api/v5/objects/campaigns?fields=id,nope');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 51, message: 'Invalid parameter: fields. It contains an invalid or unknown field: nope' });

    const res = await get('/api/v5/objects/campaigns?fields=id,name');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Page;
    expect(body.nextPageToken).toBeNull();
    expect(body.nextPageUrl).toBeNull();
    expect(Object.keys(body.values[0]!)).toEqual(['id', 'name']);
    const ids = body.values.map((v) => v.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toHaveLength(20); // 5 of 25 are deleted
    expect(fake.stats.calls.objects).toBe(3);
    expect(fake.stats.totalApiCalls).toBe(3);
  });

  it("queryDefaultOrder 'hash' answers a query without orderBy in an order that is not id order; an orderBy still sorts", async () => {
    const { get } = await start({ queryObjects: { campaigns: campaigns() }, queryDefaultOrder: 'hash' });
    const plain = ((await (await get('/api/v5/objects/campaigns?fields=id&deleted=all')).json()) as Page).values.map((v) => v.id as number);
    expect([...plain].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, k) => 101 + k));
    expect(plain).not.toEqual([...plain].sort((a, b) => a - b));
    const sortedById = ((await (await get('/api/v5/objects/campaigns?fields=id&deleted=all&orderBy=id')).json()) as Page).values.map((v) => v.id as number);
    expect(sortedById).toEqual(Array.from({ length: 25 }, (_, k) => 101 + k));
  });

  it('writes date-times as ISO 8601 with the user offset of that instant (winter -08:00, summer -07:00)', async () => {
    const data = generateData({ seed: 3, start: new Date('2024-01-01Z'), end: new Date('2024-12-01Z'), counts: { prospect: 60 } });
    const { get } = await start({ data });
    const body = (await (await get('/api/v5/objects/prospects?fields=id,updatedAt&limit=1000&deleted=all')).json()) as Page;
    expect(body.values).toHaveLength(60);
    const byId = new Map(data.prospect.map((r) => [r.id, r]));
    const offsets = new Set<string>();
    for (const v of body.values) {
      const row = byId.get(v.id as number)!;
      expect(v.updatedAt).toBe(formatIsoWithOffset((row.updatedAt as Date).getTime(), TZ));
      offsets.add((v.updatedAt as string).slice(-6));
    }
    expect(offsets).toEqual(new Set(['-08:00', '-07:00']));
  });

  it('serves the export objects from the export data: fields=id&limit=1 probe, prospect accounts with no updatedAt filter', async () => {
    const data = generateData({ seed: 1, start: new Date('2024-01-01Z'), end: new Date('2024-06-01Z') });
    const { get } = await start({ data });
    for (const name of ['prospects', 'visitors', 'visitor-activities', 'list-memberships', 'prospect-accounts']) {
      const res = await get(`/api/v5/objects/${name}?fields=id&limit=1`);
      expect(res.status, name).toBe(200);
      const body = (await res.json()) as Page;
      expect(body.values, name).toHaveLength(1);
      expect(typeof body.nextPageToken, name).toBe('string');
    }
    const noFilter = await get('/api/v5/objects/prospect-accounts?fields=id&updatedAtAfterOrEqualTo=2024-01-01T00:00:00Z');
    expect(noFilter.status).toBe(400);
    expect(((await noFilter.json()) as { message: string }).message).toContain('updatedAtAfterOrEqualTo');
  });

  it('filters inclusive on dates and strict on idGreaterThan; orderBy cursor then id; deleted=all|true', async () => {
    const { get } = await start({ queryObjects: { campaigns: campaigns() } });
    const from = encodeURIComponent('2024-01-03T16:00:00-08:00'); // = 2024-01-04T00:00Z, campaigns k=6,7 updated then
    const body = (await (
      await get(`/api/v5/objects/campaigns?fields=id,updatedAt&orderBy=updatedAt%20ASC,id%20ASC&updatedAtAfterOrEqualTo=${from}&deleted=all`)
    ).json()) as Page;
    expect(body.values[0]).toEqual({ id: 107, updatedAt: '2024-01-03T16:00:00-08:00' });
    expect(body.values.map((v) => v.id)).toEqual(Array.from({ length: 19 }, (_, k) => 107 + k));
    const gt = (await (await get('/api/v5/objects/campaigns?fields=id&idGreaterThan=120&deleted=true')).json()) as Page;
    expect(gt.values.map((v) => v.id)).toEqual([124, 125].filter((id) => (id - 101) % 5 === 4));
    const desc = (await (await get('/api/v5/objects/campaigns?fields=id&orderBy=id%20DESC&limit=3')).json()) as Page;
    expect(desc.values.map((v) => v.id)).toEqual([124, 123, 122]);
    const unsortable = await get('/api/v5/objects/campaigns?fields=id&orderBy=name');
    expect(unsortable.status).toBe(400);
    const plus = await get('/api/v5/objects/campaigns?fields=id&updatedAtAfterOrEqualTo=2024-01-03T16:00:00+08:00');
    expect(plus.status).toBe(400); // an unencoded + reads as a space
  });

  it('limit defaults to 200 and refuses more than 1000', async () => {
    const data = generateData({ seed: 2, start: new Date('2024-01-01Z'), end: new Date('2024-06-01Z'), counts: { prospect: 450 } });
    const { get } = await start({ data });
    const first = (await (await get('/api/v5/objects/prospects?fields=id&deleted=all')).json()) as Page;
    expect(first.values).toHaveLength(200);
    expect((await get('/api/v5/objects/prospects?fields=id&limit=1001')).status).toBe(400);
  });

  it('follows nextPageToken (only fields may accompany it) and ends the sequence at the cap with warning 203', async () => {
    const { fake, get } = await start({ queryObjects: { campaigns: campaigns() }, queryTokenCap: 8 });
    const seen: number[] = [];
    let res = await get('/api/v5/objects/campaigns?fields=id&limit=3&deleted=all');
    let body = (await res.json()) as Page;
    seen.push(...body.values.map((v) => v.id as number));
    const withLimit = await get(`/api/v5/objects/campaigns?fields=id&limit=3&nextPageToken=${body.nextPageToken}`);
    expect(withLimit.status).toBe(400);
    expect(body.nextPageUrl).toContain(`nextPageToken=${body.nextPageToken}`);
    while (body.nextPageToken) {
      res = await get(new URL(body.nextPageUrl!).pathname + new URL(body.nextPageUrl!).search);
      expect(res.status).toBe(200);
      body = (await res.json()) as Page;
      seen.push(...body.values.map((v) => v.id as number));
    }
    // 3 + 3 + 2 = 8: the third page stops at the cap, is the last of the sequence, and says so.
    expect(seen).toEqual(Array.from({ length: 8 }, (_, k) => 101 + k));
    expect(res.headers.get('pardot-warning')).toBe(CAP_WARNING);
    expect(fake.queryStats.capped).toBe(1);
    // A sequence that ends before the cap carries no warning.
    const short = await get('/api/v5/objects/campaigns?fields=id&limit=5&idGreaterThan=120&deleted=all');
    expect(short.headers.get('pardot-warning')).toBeNull();
    expect(((await short.json()) as Page).nextPageToken).toBeNull();
  });

  it('answers the missing-ability error for an object the user may not view, counts the call, and takes faults', async () => {
    const { fake, get } = await start({ queryObjects: { campaigns: campaigns() }, queryNoAbility: ['campaigns'] });
    const res = await get('/api/v5/objects/campaigns?fields=id');
    expect(res.status).toBe(403);
    const body = (await res.json()) as { code: number; message: string };
    expect(body.code).toBe(46);
    expect(body.message).toContain('campaigns');
    fake.faults.push({ on: 'objects', kind: 'status', status: 503 });
    expect((await get('/api/v5/objects/prospects?fields=id')).status).toBe(503);
    expect((await get('/api/v5/objects/prospects?fields=id')).status).toBe(200);
    expect(fake.stats.calls.objects).toBe(3);
  });

  it('refuses a sixth concurrent request like every other API call', async () => {
    const { fake, get } = await start({ queryObjects: { campaigns: campaigns() }, latencyMs: 100 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => get('/api/v5/objects/campaigns?fields=id')));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(fake.stats.rejected.concurrency).toBe(1);
  });
});
