// Pins the behaviour of the fake Pardot server (test/fake-pardot) that the rest of the suite,
// the demo and the benchmark rely on.

import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';

import {
  exportableFields,
  FIELDS,
  formatIsoWithOffset,
  formatWallTime,
  generateData,
  lazyProspects,
  specialInstants,
  startFakePardot,
  type FakePardot,
  type FakePardotOptions,
  type ObjectName,
  type Row,
} from './fake-pardot/index.js';

const BU = '0Uv000000000001AAA';
const TZ = 'America/Los_Angeles';
const fakes: FakePardot[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** The fixed clock of these tests (the 1-year span without `before` is measured to it). */
const NOW = new Date('2024-12-30T00:00:00Z');

async function start(opts: FakePardotOptions = {}): Promise<FakePardot> {
  const f = await startFakePardot({ now: NOW, ...opts });
  fakes.push(f);
  return f;
}

function tokenRequest(fake: FakePardot, overrides: Record<string, string> = {}): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: 'test-client-id',
    client_secret: 'test-client-secret',
    refresh_token: 'test-refresh-token',
    ...overrides,
  });
  return fetch(`${fake.url}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

async function token(fake: FakePardot): Promise<string> {
  const res = await tokenRequest(fake);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}

type Json = Record<string, unknown>;

function api(urlOrPath: string, fake: FakePardot, tok: string, init: RequestInit = {}, bu: string | null = BU): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${tok}`, ...((init.headers as Record<string, string>) ?? {}) };
  if (bu !== null) headers['pardot-business-unit-id'] = bu;
  const url = urlOrPath.startsWith('http') ? urlOrPath : `${fake.url}${urlOrPath}`;
  return fetch(url, { ...init, headers });
}

function createExport(fake: FakePardot, tok: string, body: unknown): Promise<Response> {
  return api('/api/v5/exports', fake, tok, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function createOk(fake: FakePardot, tok: string, body: unknown): Promise<Json> {
  const res = await createExport(fake, tok, body);
  const json = (await res.json()) as Json;
  expect(res.status, JSON.stringify(json)).toBe(200);
  return json;
}

async function read(fake: FakePardot, tok: string, id: unknown): Promise<Json> {
  const res = await api(`/api/v5/exports/${String(id)}`, fake, tok);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

async function waitComplete(fake: FakePardot, tok: string, id: unknown): Promise<Json> {
  for (let i = 0; i < 50; i++) {
    const r = await read(fake, tok, id);
    if (r.state === 'Complete') return r;
  }
  throw new Error('export never completed');
}

function refsOf(resource: Json): string[] {
  const r = resource.resultRefs;
  return r === undefined ? [] : Array.isArray(r) ? (r as string[]) : [r as string];
}

async function downloadAll(fake: FakePardot, tok: string, resource: Json): Promise<string[]> {
  const out: string[] = [];
  for (const url of refsOf(resource)) {
    const res = await api(url, fake, tok);
    expect(res.status).toBe(200);
    // Decode by hand: Response.text() would silently drop a BOM.
    out.push(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer()));
  }
  return out;
}

async function errorOf(res: Response): Promise<{ status: number; code: number; message: string }> {
  const body = (await res.json()) as { code: number; message: string };
  return { status: res.status, code: body.code, message: body.message };
}

const WINDOW = { updated_after: '2024-01-01T00:00:00+00:00', updated_before: '2024-06-01T00:00:00+00:00' };
const prospectExport = (args: Json = WINDOW, fields?: string[]): Json => ({
  object: 'prospect',
  ...(fields ? { fields } : {}),
  procedure: { name: 'filter_by_updated_at', arguments: args },
});

/** A prospect row with only the fields a test cares about. */
function prospect(id: number, updatedAt: string, extra: Row = {}): Row {
  return { id, email: `p${id}@example.com`, updatedAt: new Date(updatedAt), createdAt: new Date(updatedAt), isDeleted: false, ...extra };
}

// ---------------------------------------------------------------------------------------------

describe('OAuth token endpoint', () => {
  it('grants a fresh Bearer token with instance_url and pardot_api scope, without expires_in', async () => {
    const fake = await start();
    const a = (await (await tokenRequest(fake)).json()) as Json;
    const b = (await (await tokenRequest(fake)).json()) as Json;
    expect(a.token_type).toBe('Bearer');
    expect(a.instance_url).toBe(fake.url);
    expect(a.scope).toBe('pardot_api refresh_token');
    expect(typeof a.issued_at).toBe('string');
    expect(a).not.toHaveProperty('expires_in');
    expect(a.access_token).not.toBe(b.access_token);
    expect(fake.stats.calls.token).toBe(2);
  });

  it('answers 400 invalid_client for a wrong client secret', async () => {
    const fake = await start();
    const res = await tokenRequest(fake, { client_secret: 'nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'invalid client credentials' });
  });

  it('answers 400 invalid_grant for a wrong refresh token', async () => {
    const fake = await start();
    const res = await tokenRequest(fake, { refresh_token: 'revoked' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe('invalid_grant');
  });

  it('answers 400 unsupported_grant_type for another grant', async () => {
    const fake = await start();
    const res = await tokenRequest(fake, { grant_type: 'password' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toBe('unsupported_grant_type');
  });
});

describe('API authentication headers', () => {
  it('rejects a missing or unknown Bearer token with 401 code 184', async () => {
    const fake = await start();
    const res = await fetch(`${fake.url}/api/v5/objects/account?fields=id`, { headers: { 'pardot-business-unit-id': BU } });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: 184 });
    expect(await errorOf(await api('/api/v5/objects/account', fake, 'made-up'))).toMatchObject({ status: 401, code: 184 });
  });

  it('rejects every issued token with 184 after expireAccessTokens(), and accepts a new one', async () => {
    const fake = await start();
    const tok = await token(fake);
    expect((await api('/api/v5/objects/account', fake, tok)).status).toBe(200);
    fake.expireAccessTokens();
    expect(await errorOf(await api('/api/v5/objects/account', fake, tok))).toMatchObject({ status: 401, code: 184 });
    expect((await api('/api/v5/objects/account', fake, await token(fake))).status).toBe(200);
  });

  it('answers 181 without the business unit header, 182 for a malformed one, 201 for another unit', async () => {
    const fake = await start();
    const tok = await token(fake);
    expect(await errorOf(await api('/api/v5/objects/account', fake, tok, {}, null))).toMatchObject({ code: 181 });
    expect(await errorOf(await api('/api/v5/objects/account', fake, tok, {}, 'not-a-bu'))).toMatchObject({ code: 182 });
    const other = await errorOf(await api('/api/v5/objects/account', fake, tok, {}, '0Uv000000000009ZZZ'));
    expect(other.code).toBe(201);
    expect(other.message).toMatch(/business unit/i);
    expect(other.message).toMatch(/sandbox/i);
  });

  it('uses the configured credentials and business unit', async () => {
    const fake = await start({ clientId: 'id2', clientSecret: 's2', refreshToken: 'r2', businessUnitId: '0Uv5g000000TESTAAA' });
    const res = await tokenRequest(fake, { client_id: 'id2', client_secret: 's2', refresh_token: 'r2' });
    const tok = ((await res.json()) as { access_token: string }).access_token;
    expect((await api('/api/v5/objects/account', fake, tok, {}, '0Uv5g000000TESTAAA')).status).toBe(200);
    expect((await api('/api/v5/objects/account', fake, tok, {}, BU)).status).toBe(400);
  });
});

describe('account endpoint', () => {
  it('reports the daily allowance and the calls used so far, counting itself', async () => {
    const fake = await start({ dailyLimit: 50_000, apiCallsUsedAtStart: 10 });
    const tok = await token(fake);
    const res = await api('/api/v5/objects/account?fields=id,maximumDailyApiCalls,apiCallsUsed', fake, tok);
    expect(await res.json()).toEqual({ id: 4242, maximumDailyApiCalls: 50_000, apiCallsUsed: 11 });
    expect(fake.stats.calls.account).toBe(1);
  });
});

describe('create validation', () => {
  const cases: { name: string; body: Json; code: number; match: RegExp }[] = [
    { name: 'unknown object → 174', body: { ...prospectExport(), object: 'opportunity' }, code: 174, match: /opportunity/ },
    {
      name: 'procedure not offered for the object → 174',
      body: { object: 'prospect', procedure: { name: 'filter_by_activity_date', arguments: { activity_after: '2024-01-01' } } },
      code: 174,
      match: /filter_by_activity_date/,
    },
    { name: 'unknown argument → 175', body: prospectExport({ ...WINDOW, deleted: 'all' }), code: 175, match: /deleted/ },
    {
      name: 'prospectOnly spelling on filter_by_created_at → 175',
      body: {
        object: 'visitorActivity',
        procedure: { name: 'filter_by_created_at', arguments: { created_after: '2024-01-01T00:00:00Z', prospectOnly: 'true' } },
      },
      code: 175,
      match: /prospectOnly/,
    },
    {
      name: 'prospect_only spelling on filter_by_updated_at → 175',
      body: {
        object: 'visitorActivity',
        procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00Z', prospect_only: 'true' } },
      },
      code: 175,
      match: /prospect_only/,
    },
    { name: 'missing required after argument → 176', body: prospectExport({ updated_before: WINDOW.updated_before }), code: 176, match: /updated_after/ },
    { name: 'unparseable date → 177', body: prospectExport({ updated_after: 'next tuesday-ish' }), code: 177, match: /updated_after/ },
    {
      name: 'deleted not true/false/all → 177',
      body: {
        object: 'listMembership',
        procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00Z', deleted: 'maybe' } },
      },
      code: 177,
      match: /deleted/,
    },
    {
      name: 'before not after after → 177',
      body: prospectExport({ updated_after: '2024-03-01T00:00:00Z', updated_before: '2024-03-01T00:00:00Z' }),
      code: 177,
      match: /updated_before/,
    },
    {
      name: 'span over 365 days → 177',
      body: prospectExport({ updated_after: '2023-01-01T00:00:00Z', updated_before: '2024-01-01T00:00:01Z' }),
      code: 177,
      match: /1 year/,
    },
    {
      name: 'no before and after more than a year before now → 177',
      body: prospectExport({ updated_after: '2000-01-01T00:00:00Z' }),
      code: 177,
      match: /1 year/,
    },
    { name: 'field not valid for the object → 180', body: prospectExport(WINDOW, ['id', 'favouriteColour']), code: 180, match: /favouriteColour/ },
    { name: 'non-exportable field → 180', body: prospectExport(WINDOW, ['id', 'notes']), code: 180, match: /notes/ },
    {
      name: 'more than 150 fields → 400 code 177 naming the limit',
      body: prospectExport(WINDOW, Array.from({ length: 151 }, () => 'id')),
      code: 177,
      match: /150/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const fake = await start();
      const tok = await token(fake);
      const err = await errorOf(await createExport(fake, tok, c.body));
      expect(err.status).toBe(400);
      expect(err.code).toBe(c.code);
      expect(err.message).toMatch(c.match);
      expect(fake.exports).toHaveLength(0);
    });
  }

  it('accepts exactly 365 days, 150 fields, today/yesterday keywords and each procedure of the contract', async () => {
    const fake = await start();
    const tok = await token(fake);
    await createOk(fake, tok, prospectExport({ updated_after: '2023-01-01T00:00:00Z', updated_before: '2024-01-01T00:00:00Z' }));
    await createOk(fake, tok, prospectExport(WINDOW, Array.from({ length: 150 }, () => 'id')));
    await createOk(fake, tok, prospectExport({ updated_after: 'yesterday', updated_before: 'today' }));
    const a = '2024-01-01T00:00:00-08:00';
    const procs: [ObjectName, string, Json][] = [
      ['prospect', 'filter_by_created_at', { created_after: a, deleted: 'all' }],
      ['visitor', 'filter_by_updated_at', { updated_after: a, deleted: true }],
      ['visitor', 'filter_by_prospect_updated_at', { prospect_updated_after: a, prospect_deleted: 'false' }],
      ['visitorActivity', 'filter_by_updated_at', { updated_after: a, type: [1, 2], prospectOnly: 'true' }],
      ['visitorActivity', 'filter_by_created_at', { created_after: a, prospect_only: false }],
      ['listMembership', 'filter_by_created_at', { created_after: a, deleted: 'true' }],
      ['prospectAccount', 'filter_by_prospect_updated_at', { prospect_updated_after: a, prospect_updated_before: '2024-02-01T00:00:00Z' }],
      ['externalActivity', 'filter_by_activity_date', { activity_after: a, activity_before: '2024-02-01T00:00:00Z' }],
      ['externalActivity', 'filter_by_created_at', { created_after: a }],
    ];
    for (const [object, name, args] of procs) await createOk(fake, tok, { object, procedure: { name, arguments: args } });
    expect(fake.exports).toHaveLength(3 + procs.length);
    expect(fake.exports[3]!.requestBody).toEqual({ object: 'prospect', procedure: { name: 'filter_by_created_at', arguments: procs[0]![2] } });
  });

  it('answers the export resource Waiting with createdAt/updatedAt in the user zone with its offset', async () => {
    const fake = await start({ now: new Date('2024-05-04T20:45:10Z') });
    const tok = await token(fake);
    const r = await createOk(fake, tok, prospectExport());
    expect(r).toEqual({ id: expect.any(Number), state: 'Waiting', isExpired: false, createdAt: '2024-05-04T13:45:10-07:00', updatedAt: '2024-05-04T13:45:10-07:00' });
    fake.setNow(new Date('2024-01-15T12:00:00Z'));
    fake.setUserTimezone('Asia/Kolkata');
    const r2 = await createOk(fake, tok, prospectExport({ updated_after: '2024-01-01T00:00:00Z' }));
    expect(r2.createdAt).toBe('2024-01-15T17:30:00+05:30');
  });
});

describe('filtering', () => {
  const after = '2024-03-10T00:00:00Z';
  const before = '2024-03-20T00:00:00Z';
  const rows: Row[] = [
    prospect(1, '2024-03-10T00:00:00Z'), // exactly at after: out
    prospect(2, '2024-03-10T00:00:00.900Z'), // truncates to after: out
    prospect(3, '2024-03-10T00:00:01Z'), // one second inside: in
    prospect(4, '2024-03-19T23:59:59Z'), // one second inside: in
    prospect(5, '2024-03-19T23:59:59.999Z'), // truncates to 23:59:59: in
    prospect(6, '2024-03-20T00:00:00Z'), // exactly at before: out
    prospect(7, '2024-03-15T00:00:00Z', { isDeleted: true }), // deleted: out of filter_by_updated_at
    prospect(8, '2024-03-15T00:00:00Z', { createdAt: new Date('2024-01-01T00:00:00Z') }),
  ];

  async function ids(fake: FakePardot, tok: string, body: Json): Promise<number[]> {
    const created = await createOk(fake, tok, body);
    const done = await waitComplete(fake, tok, created.id);
    const files = await downloadAll(fake, tok, done);
    return files
      .flatMap((t) => parse(t, { columns: true }) as Record<string, string>[])
      .map((r) => Number(r.id))
      .sort((a, b) => a - b);
  }

  it('is strict at one-second resolution: rows at after or before are out, one second inside is in', async () => {
    const fake = await start({ data: { prospect: rows } });
    const tok = await token(fake);
    expect(await ids(fake, tok, prospectExport({ updated_after: after, updated_before: before }, ['id']))).toEqual([3, 4, 5, 8]);
  });

  it('reads offsets in date arguments (the same instant written in another zone gives the same result)', async () => {
    const fake = await start({ data: { prospect: rows } });
    const tok = await token(fake);
    const got = await ids(fake, tok, prospectExport({ updated_after: '2024-03-09T16:00:00-08:00', updated_before: '2024-03-19T17:00:00-07:00' }, ['id']));
    expect(got).toEqual([3, 4, 5, 8]);
  });

  it('filters on createdAt for filter_by_created_at and honours deleted=false/true/all', async () => {
    const fake = await start({ data: { prospect: rows } });
    const tok = await token(fake);
    const body = (deleted?: string): Json => ({
      object: 'prospect',
      fields: ['id'],
      procedure: { name: 'filter_by_created_at', arguments: { created_after: after, created_before: before, ...(deleted ? { deleted } : {}) } },
    });
    expect(await ids(fake, tok, body())).toEqual([3, 4, 5]);
    expect(await ids(fake, tok, body('true'))).toEqual([7]);
    expect(await ids(fake, tok, body('all'))).toEqual([3, 4, 5, 7]);
  });

  it('applies type and prospectOnly to visitor activities', async () => {
    const va = (id: number, type: number, prospectId: number | null): Row => ({
      id,
      type,
      prospectId,
      createdAt: new Date('2024-03-15T00:00:00Z'),
      updatedAt: new Date('2024-03-15T00:00:00Z'),
    });
    const fake = await start({ data: { visitorActivity: [va(1, 1, 10), va(2, 2, null), va(3, 1, null), va(4, 6, 11)] } });
    const tok = await token(fake);
    const body = (args: Json): Json => ({
      object: 'visitorActivity',
      fields: ['id'],
      procedure: { name: 'filter_by_updated_at', arguments: { updated_after: after, updated_before: before, ...args } },
    });
    expect(await ids(fake, tok, body({}))).toEqual([1, 2, 3, 4]);
    expect(await ids(fake, tok, body({ prospectOnly: 'true' }))).toEqual([1, 4]);
    expect(await ids(fake, tok, body({ type: [1] }))).toEqual([1, 3]);
  });
});

describe('export processing', () => {
  it('processes exports one at a time, oldest first: Waiting → Processing → Complete', async () => {
    const fake = await start({ data: { prospect: [prospect(1, '2024-02-01T00:00:00Z')] } });
    const tok = await token(fake);
    const a = await createOk(fake, tok, prospectExport());
    const b = await createOk(fake, tok, prospectExport());
    expect((await read(fake, tok, a.id)).state).toBe('Processing');
    expect((await read(fake, tok, b.id)).state).toBe('Waiting'); // its read is work for A
    expect((await read(fake, tok, a.id)).state).toBe('Complete'); // A finished; B starts
    expect(fake.exports[1]!.state).toBe('Processing');
    expect((await read(fake, tok, b.id)).state).toBe('Complete');
    expect(fake.stats.calls.read).toBe(4);
  });

  it('honours pollsUntilComplete (0: complete on first read; 3: three Processing answers)', async () => {
    const fake0 = await start({ pollsUntilComplete: 0 });
    const tok0 = await token(fake0);
    expect((await read(fake0, tok0, (await createOk(fake0, tok0, prospectExport())).id)).state).toBe('Complete');
    const fake3 = await start({ pollsUntilComplete: 3 });
    const tok3 = await token(fake3);
    const id = (await createOk(fake3, tok3, prospectExport())).id;
    const states: unknown[] = [];
    for (let i = 0; i < 4; i++) states.push((await read(fake3, tok3, id)).state);
    expect(states).toEqual(['Processing', 'Processing', 'Processing', 'Complete']);
  });

  it('leaves resultRefs out when no row matches, gives a string for one file and an array for several', async () => {
    const data = Array.from({ length: 25 }, (_, i) => prospect(i + 1, `2024-02-01T00:00:${String(i).padStart(2, '0')}Z`));
    const fake = await start({ data: { prospect: data }, rowsPerFile: 10, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const none = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport({ updated_after: '2024-04-01T00:00:00Z' }))).id);
    expect(none).not.toHaveProperty('resultRefs');
    const one = await waitComplete(
      fake,
      tok,
      (await createOk(fake, tok, prospectExport({ updated_after: '2024-01-01T00:00:00Z', updated_before: '2024-02-01T00:00:05Z' }))).id,
    );
    expect(typeof one.resultRefs).toBe('string');
    expect(one.resultRefs).toMatch(new RegExp(`^${fake.url}/api/v5/exports/${String(one.id)}/results/1$`));
    const many = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    const refs = many.resultRefs as string[];
    expect(refs).toHaveLength(3);
    expect([...refs].sort()).toEqual([1, 2, 3].map((n) => `${fake.url}/api/v5/exports/${String(many.id)}/results/${n}`));
    expect(refs).not.toEqual([...refs].sort()); // order has no meaning, and the fake makes that visible
    const files = await downloadAll(fake, tok, many);
    const parsed = files.map((t) => parse(t, { columns: true }) as Record<string, string>[]);
    expect(parsed.map((p) => p.length).sort()).toEqual([10, 10, 5]);
    const allIds = parsed.flat().map((r) => Number(r.id));
    expect([...allIds].sort((x, y) => x - y)).toEqual(data.map((r) => r.id));
    expect(allIds).not.toEqual([...allIds].sort((x, y) => x - y)); // rows are not in date order
    expect(fake.exports[2]).toMatchObject({ rowCount: 25, fileCount: 3, state: 'Complete' });
  });

  it('splits into about filesPerExport files', async () => {
    const data = Array.from({ length: 100 }, (_, i) => prospect(i + 1, '2024-02-01T00:00:00Z'));
    const fake = await start({ data: { prospect: data }, filesPerExport: 4, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    expect(refsOf(done)).toHaveLength(4);
  });

  it('puts resultRefs on downloadOrigin when given', async () => {
    const other = await start();
    const fake = await start({ data: { prospect: [prospect(1, '2024-02-01T00:00:00Z')] }, downloadOrigin: other.url, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    expect(done.resultRefs).toBe(`${other.url}/api/v5/exports/${String(done.id)}/results/1`);
  });

  it('expireExport() sets isExpired, drops resultRefs and makes downloads answer 178', async () => {
    const fake = await start({ data: { prospect: [prospect(1, '2024-02-01T00:00:00Z')] }, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    fake.expireExport(done.id as number);
    const again = await read(fake, tok, done.id);
    expect(again).toMatchObject({ state: 'Complete', isExpired: true });
    expect(again).not.toHaveProperty('resultRefs');
    expect(await errorOf(await api(done.resultRefs as string, fake, tok))).toMatchObject({ status: 400, code: 178 });
  });

  it('cancels a Waiting export and answers 178 when cancelling a Complete one', async () => {
    const fake = await start({ pollsUntilComplete: 0 });
    const tok = await token(fake);
    const a = await createOk(fake, tok, prospectExport());
    const c = await api(`/api/v5/exports/${String(a.id)}/do/cancel`, fake, tok, { method: 'POST' });
    expect(((await c.json()) as Json).state).toBe('Canceled');
    const b = await createOk(fake, tok, prospectExport());
    await waitComplete(fake, tok, b.id);
    const c2 = await api(`/api/v5/exports/${String(b.id)}/do/cancel`, fake, tok, { method: 'POST' });
    expect(await errorOf(c2)).toMatchObject({ status: 400, code: 178 });
    expect(fake.stats.calls.cancel).toBe(2);
  });

  it('query answers result.export absent, as one object, or as an array, filtered by status and object', async () => {
    const fake = await start({ pollsUntilComplete: 0 });
    const tok = await token(fake);
    const q = async (qs: string): Promise<Json> =>
      ((await (await api(`/api/v5/exports${qs}`, fake, tok)).json()) as { result: Json }).result;
    expect(await q('')).toEqual({ total_results: 0 });
    const a = await createOk(fake, tok, prospectExport());
    const one = await q('?status=Waiting');
    expect(one.total_results).toBe(1);
    expect(one.export).toMatchObject({ id: a.id, state: 'Waiting' });
    await createOk(fake, tok, { object: 'visitor', procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00Z' } } });
    const both = await q('?sort_by=id&sort_order=ascending');
    expect((both.export as Json[]).map((e) => e.id)).toEqual([a.id, (a.id as number) + 1]);
    expect((both.export as Json[])[0]).not.toHaveProperty('resultRefs');
    expect((await q('?object=visitor')).total_results).toBe(1);
    expect(fake.stats.calls.query).toBe(4);
  });

  it('can wrap export resources as {"export": {...}} (v3/v4 shape)', async () => {
    const fake = await start({ wrapExport: true });
    const tok = await token(fake);
    const r = await createOk(fake, tok, prospectExport());
    expect(r.export).toMatchObject({ state: 'Waiting' });
  });
});

describe('CSV files', () => {
  const start2024 = new Date('2024-01-01T00:00:00Z');
  const end2024 = new Date('2024-12-01T00:00:00Z');
  const data = generateData({ seed: 42, start: start2024, end: end2024 });

  /** What the fake must write for a cell. */
  function expected(value: Row[string], type: string, tz: string): string {
    if (value === null || value === undefined) return '';
    // Every Date value, activityDate included (DateTime in the seed's table), as wall time in the zone.
    if (value instanceof Date) return formatWallTime(value.getTime(), tz);
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    expect(type).not.toBe('DateTime');
    return String(value);
  }

  async function roundTrip(object: ObjectName, procedure: Json, tz: string, opts: FakePardotOptions = {}): Promise<void> {
    const fake = await start({ data, userTimezone: tz, rowsPerFile: 37, pollsUntilComplete: 0, ...opts });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, { object, procedure })).id);
    const texts = await downloadAll(fake, tok, done);
    const columns = exportableFields(object);
    const got = new Map<string, string[]>();
    for (const text of texts) {
      if (opts.bom) expect(text.charCodeAt(0)).toBe(0xfeff);
      else expect(text.charCodeAt(0)).not.toBe(0xfeff);
      const records = parse(opts.bom ? text.slice(1) : text, { relax_column_count: false }) as string[][];
      expect(records[0]).toEqual(columns);
      for (const rec of records.slice(1)) got.set(rec[0]!, rec);
    }
    const types = new Map(FIELDS[object].map((f) => [f.name, f.type]));
    const rowsById = new Map(data[object].map((r) => [String(r.id), r]));
    expect(got.size).toBe(fake.exports[0]!.rowCount);
    expect(got.size).toBeGreaterThan(10);
    for (const [id, rec] of got) {
      const row = rowsById.get(id)!;
      expect(rec, `row ${id}`).toEqual(columns.map((c) => expected(row[c], types.get(c)!, tz)));
    }
  }

  it('round-trips every exportable prospect field through csv-parse, dates in the user zone', async () => {
    await roundTrip('prospect', { name: 'filter_by_updated_at', arguments: { updated_after: '2023-12-31T12:00:00Z' } }, TZ);
  });

  it('writes dates in another zone (Asia/Tokyo) and with CRLF line ends and a BOM when asked', async () => {
    await roundTrip(
      'visitorActivity',
      { name: 'filter_by_created_at', arguments: { created_after: '2023-12-31T12:00:00Z' } },
      'Asia/Tokyo',
      { crlf: true, bom: true },
    );
  });

  it('round-trips every object', async () => {
    const after = { updated_after: '2023-12-31T12:00:00Z' };
    await roundTrip('visitor', { name: 'filter_by_updated_at', arguments: after }, TZ);
    fakes.splice(0).forEach((f) => void f.close());
    await roundTrip('listMembership', { name: 'filter_by_updated_at', arguments: { ...after, deleted: 'all' } }, TZ);
    fakes.splice(0).forEach((f) => void f.close());
    await roundTrip('prospectAccount', { name: 'filter_by_updated_at', arguments: after }, 'UTC');
    fakes.splice(0).forEach((f) => void f.close());
    await roundTrip('externalActivity', { name: 'filter_by_activity_date', arguments: { activity_after: '2023-12-31T12:00:00Z' } }, TZ);
  });

  it('writes the requested fields in the requested order, quoting commas, quotes, CR and LF', async () => {
    const rows: Row[] = [
      prospect(1, '2024-03-10T09:30:00Z', { firstName: 'a,b', lastName: 'say "hi"', comments: 'x\ny', jobTitle: 'r\r\nn', score: 7, optedOut: true, company: null }),
    ];
    const fake = await start({ data: { prospect: rows }, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport(WINDOW, ['lastName', 'id', 'firstName', 'comments', 'jobTitle', 'score', 'optedOut', 'company', 'updatedAt']))).id);
    const [text] = await downloadAll(fake, tok, done);
    expect(text).toBe(
      'lastName,id,firstName,comments,jobTitle,score,optedOut,company,updatedAt\n' +
        '"say ""hi""",1,"a,b","x\ny","r\r\nn",7,true,,2024-03-10 01:30:00\n',
    );
    expect(fake.stats.rowsServed).toBe(1);
  });

  it('writes instants in a DST fall-back hour as the repeated wall time, without offset', () => {
    expect(formatWallTime(Date.parse('2024-11-03T08:30:00Z'), TZ)).toBe('2024-11-03 01:30:00');
    expect(formatWallTime(Date.parse('2024-11-03T09:30:00Z'), TZ)).toBe('2024-11-03 01:30:00');
    expect(formatWallTime(Date.parse('2024-03-10T10:00:00Z'), TZ)).toBe('2024-03-10 03:00:00');
    expect(formatIsoWithOffset(Date.parse('2024-11-03T09:30:00Z'), TZ)).toBe('2024-11-03T01:30:00-08:00');
  });
});

describe('limits', () => {
  it('answers 429 code 66 to requests beyond 5 in flight and records the peak', async () => {
    const fake = await start({ latencyMs: 150 });
    const tok = await token(fake);
    const results = await Promise.all(Array.from({ length: 7 }, () => api('/api/v5/objects/account', fake, tok)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const rejected = results.find((r) => r.status === 429)!;
    expect(await errorOf(rejected)).toMatchObject({ code: 66 });
    expect(fake.stats.maxInFlight).toBeGreaterThanOrEqual(6); // the 7th may come after a 429 closed
    expect(fake.stats.rejected.concurrency).toBe(2);
    expect(fake.stats.inFlight).toBe(0);
  });

  it('answers code 122 once the daily allowance is used, counting every API call', async () => {
    const fake = await start({ dailyLimit: 3, apiCallsUsedAtStart: 1 });
    const tok = await token(fake);
    expect((await api('/api/v5/objects/account', fake, tok)).status).toBe(200);
    expect((await api('/api/v5/exports', fake, tok)).status).toBe(200);
    const err = await errorOf(await api('/api/v5/objects/account', fake, tok));
    expect(err).toMatchObject({ status: 403, code: 122, message: 'Daily API rate limit met.' });
    expect(fake.stats.totalApiCalls).toBe(2);
    expect(fake.stats.calls.token).toBe(1); // token calls do not count
  });
});

describe('fault injection', () => {
  async function setup(opts: FakePardotOptions = {}): Promise<{ fake: FakePardot; tok: string }> {
    const fake = await start({ data: { prospect: [prospect(1, '2024-02-01T00:00:00Z'), prospect(2, '2024-02-02T00:00:00Z')] }, ...opts });
    return { fake, tok: await token(fake) };
  }

  it('status: answers the given status, code and headers once, then normally', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'account', kind: 'status', status: 503, code: 183, headers: { 'retry-after': '2' } });
    const r1 = await api('/api/v5/objects/account', fake, tok);
    expect(r1.status).toBe(503);
    expect(r1.headers.get('retry-after')).toBe('2');
    expect(((await r1.json()) as Json).code).toBe(183);
    expect((await api('/api/v5/objects/account', fake, tok)).status).toBe(200);
    expect(fake.stats.faultsInjected).toEqual({ status: 1 });
    expect(fake.faults).toHaveLength(0);
  });

  it('nth and times: fires on the nth matching request, for times consecutive requests', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'account', kind: 'status', status: 500, nth: 2, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api('/api/v5/objects/account', fake, tok)).status);
    expect(statuses).toEqual([200, 500, 500, 200]);
    expect(fake.stats.faultsInjected.status).toBe(2);
  });

  it('html: answers a non-JSON HTML body', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'create', kind: 'html', status: 502 });
    const res = await createExport(fake, tok, prospectExport());
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html>/);
    expect(fake.exports).toHaveLength(0);
    expect(fake.stats.faultsInjected.html).toBe(1);
  });

  it('reset: destroys the socket without an answer (token route too)', async () => {
    const { fake } = await setup();
    fake.faults.push({ on: 'token', kind: 'reset' });
    await expect(tokenRequest(fake)).rejects.toThrow();
    expect((await tokenRequest(fake)).status).toBe(200);
    expect(fake.stats.faultsInjected.reset).toBe(1);
  });

  it('delay: answers normally after the delay', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'query', kind: 'delay', ms: 300 });
    const t0 = Date.now();
    expect((await api('/api/v5/exports', fake, tok)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(fake.stats.faultsInjected.delay).toBe(1);
  });

  it('tokenExpired: answers 401 code 184 and invalidates that token', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'read', kind: 'tokenExpired' });
    const a = await createOk(fake, tok, prospectExport());
    expect(await errorOf(await api(`/api/v5/exports/${String(a.id)}`, fake, tok))).toMatchObject({ status: 401, code: 184 });
    expect((await api('/api/v5/objects/account', fake, tok)).status).toBe(401);
    expect(fake.stats.faultsInjected.tokenExpired).toBe(1);
  });

  it('dailyLimit: answers code 122', async () => {
    const { fake, tok } = await setup();
    fake.faults.push({ on: 'download', kind: 'dailyLimit' });
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    expect(await errorOf(await api(done.resultRefs as string, fake, tok))).toMatchObject({ code: 122 });
    expect((await api(done.resultRefs as string, fake, tok)).status).toBe(200);
    expect(fake.stats.faultsInjected.dailyLimit).toBe(1);
  });

  it('failExport, cancelExport, unknownState: the read export ends Failed, Canceled or Bogus', async () => {
    const { fake, tok } = await setup();
    const ids = [];
    for (const kind of ['failExport', 'cancelExport', 'unknownState'] as const) {
      const e = await createOk(fake, tok, prospectExport());
      ids.push(e.id);
      fake.faults.push({ on: 'read', kind });
      expect((await read(fake, tok, e.id)).state).toBe({ failExport: 'Failed', cancelExport: 'Canceled', unknownState: 'Bogus' }[kind]);
    }
    expect(fake.stats.faultsInjected).toEqual({ failExport: 1, cancelExport: 1, unknownState: 1 });
    // Finished (or broken) exports do not block newer ones.
    const next = await createOk(fake, tok, prospectExport());
    expect((await waitComplete(fake, tok, next.id)).state).toBe('Complete');
  });

  it('expire on read: the export answers isExpired true without resultRefs', async () => {
    const { fake, tok } = await setup({ pollsUntilComplete: 0 });
    const e = await createOk(fake, tok, prospectExport());
    fake.faults.push({ on: 'read', kind: 'expire' });
    const r = await read(fake, tok, e.id);
    expect(r).toMatchObject({ isExpired: true, state: 'Complete' });
    expect(r).not.toHaveProperty('resultRefs');
    expect(fake.stats.faultsInjected.expire).toBe(1);
  });

  it('expire on download: the export expires first and the download answers 178', async () => {
    const { fake, tok } = await setup({ pollsUntilComplete: 0 });
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    fake.faults.push({ on: 'download', kind: 'expire' });
    expect(await errorOf(await api(done.resultRefs as string, fake, tok))).toMatchObject({ status: 400, code: 178 });
    expect(fake.exports[0]!.isExpired).toBe(true);
  });

  it('badResultRefs: a Complete export answers resultRefs as a number', async () => {
    const { fake, tok } = await setup({ pollsUntilComplete: 1 });
    const e = await createOk(fake, tok, prospectExport());
    fake.faults.push({ on: 'read', kind: 'badResultRefs' });
    expect((await read(fake, tok, e.id)).state).toBe('Processing'); // not applicable yet: not consumed
    expect((await read(fake, tok, e.id)).resultRefs).toBe(12345);
    expect(typeof (await read(fake, tok, e.id)).resultRefs).toBe('string');
    expect(fake.stats.faultsInjected.badResultRefs).toBe(1);
  });

  it('cut: sends afterBytes of the real body then drops the connection', async () => {
    const { fake, tok } = await setup({ pollsUntilComplete: 0 });
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport())).id);
    fake.faults.push({ on: 'download', kind: 'cut', afterBytes: 20 });
    const res = await api(done.resultRefs as string, fake, tok);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const whole = await (await api(done.resultRefs as string, fake, tok)).text();
    expect(whole.split('\n')).toHaveLength(4);
    expect(fake.stats.faultsInjected.cut).toBe(1);
  });

  it('initial faults from options apply, and the request log records each call', async () => {
    const fake = await start({ faults: [{ on: 'account', kind: 'status', status: 500 }] });
    const tok = await token(fake);
    expect((await api('/api/v5/objects/account', fake, tok)).status).toBe(500);
    expect(fake.log.map((l) => [l.route, l.status])).toEqual([
      ['token', 200],
      ['account', 500],
    ]);
  });
});

describe('data generation', () => {
  const opts = { seed: 7, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-12-31T00:00:00Z') };

  it('is deterministic and fills every field of every object with unique ids', () => {
    const a = generateData(opts);
    const b = generateData(opts);
    expect(a).toEqual(b);
    for (const [object, rows] of Object.entries(a) as [ObjectName, Row[]][]) {
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      for (const f of FIELDS[object]) expect(rows.some((r) => r[f.name] !== null && r[f.name] !== undefined), `${object}.${f.name}`).toBe(true);
    }
    expect(generateData({ ...opts, seed: 8 })).not.toEqual(a);
  });

  it('includes tricky strings, nulls, deleted rows, whole-second dates inside the range, boundary and DST instants', () => {
    const d = generateData(opts);
    const strings = d.prospect.flatMap((r) => Object.values(r).filter((v): v is string => typeof v === 'string'));
    for (const re of [/,/, /"/, /\r\n/, /[^\r]\n/, /[\u3040-\u9fff]/, /\p{Extended_Pictographic}/u, /[À-ÿ]/]) expect(strings.some((s) => re.test(s)), String(re)).toBe(true);
    expect(strings).not.toContain('');
    expect(d.prospect.some((r) => r.isDeleted === true)).toBe(true);
    expect(d.prospect.some((r) => r.salutation === null)).toBe(true);
    const updated = d.prospect.map((r) => (r.updatedAt as Date).getTime());
    expect(updated.every((t) => t % 1000 === 0 && t >= opts.start.getTime() && t < opts.end.getTime())).toBe(true);
    expect(updated).toContain(Date.parse('2024-06-01T00:00:00Z')); // a month boundary, midnight UTC
    expect(updated).toContain(Date.parse('2024-11-03T08:30:00Z')); // 01:30 PDT, before the fall-back
    expect(updated).toContain(Date.parse('2024-11-03T09:30:00Z')); // 01:30 PST, the repeated hour
    expect(specialInstants(TZ, opts.start.getTime(), opts.end.getTime())).toContain(Date.parse('2024-03-10T10:00:00Z'));
    expect(d.prospect.every((r) => (r.createdAt as Date).getTime() <= (r.updatedAt as Date).getTime())).toBe(true);
  });

  it('lazyProspects gives deterministic 70-field rows on demand', () => {
    const src = lazyProspects(1000, opts);
    expect(Object.keys(src.row(5))).toHaveLength(70);
    expect(src.row(5)).toEqual(lazyProspects(1000, opts).row(5));
    expect(src.timeOf!(5, 'updatedAt')).toBe((src.row(5).updatedAt as Date).getTime());
    expect(src.timeOf!(5, 'createdAt')).toBe((src.row(5).createdAt as Date).getTime());
    expect(src.isDeleted!(5)).toBe(src.row(5).isDeleted);
  });

  it('serves a lazy dataset whole, file by file, one line per row (its memory under load: bench/fake-memory.ts)', async () => {
    const src = lazyProspects(3000, { seed: 7, start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-12-29T00:00:00Z') });
    const fake = await start({ data: { prospect: src }, rowsPerFile: 1000, pollsUntilComplete: 0 });
    const tok = await token(fake);
    const done = await waitComplete(fake, tok, (await createOk(fake, tok, prospectExport({ updated_after: '2023-12-31T12:00:00Z' }))).id);
    const live = Array.from({ length: 3000 }, (_, i) => i).filter((i) => !src.isDeleted!(i)).length;
    expect(fake.exports[0]!.rowCount).toBe(live);
    const files = await downloadAll(fake, tok, done);
    expect(files).toHaveLength(Math.ceil(live / 1000));
    const rows = files.flatMap((f) => parse(f, { columns: true }) as Record<string, string>[]);
    expect(rows).toHaveLength(live);
    expect(new Set(rows.map((r) => r['id'])).size).toBe(live);
    expect(fake.stats.rowsServed).toBe(live);
  });
});
