/**
 * Errors Pardot really answers, through the client's real HTTP path (a local server answers the
 * status and body): the v5 query codes (51, 209, 210/211, 214 and HTTP 504), 180/224 on a query,
 * the page-cap warning by either code or its text, and branches no other test reached: the JSON
 * body size limit, the x-api-usage answer header, a 401 whose code is not 184, a refused cancel.
 */
import { describe, expect, it } from 'vitest';
import { SECRET, clients, exp, failure, json, provoked, setup, tokensIssued } from './helpers/pardot-client.js';

const FIELDS = ['id', 'email', 'Partner_Level__c'];
const page = { object: 'prospects', fields: FIELDS, limit: 1000, orderBy: 'id ASC', ability: 'Prospects > Prospects > View' };
const create = { object: 'prospect', fields: FIELDS, procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00+00:00' } } };

describe('code 51 and 180/224: PARDOT_INVALID_FIELD with the field as it was requested', () => {
  const unknown = (name: string) => `Invalid parameter: fields. It contains an invalid or unknown field: ${name}`;
  it.each([
    ['a standard field, on a v5 query page', 51, unknown('email'), 'email'],
    ['a custom field by its v5 name', 51, unknown('Partner_Level__c'), 'Partner_Level__c'],
    ['a custom field by its fieldId (no __c): the requested __c name', 51, unknown('Partner_Level'), 'Partner_Level__c'],
    ['a field not requested at all', 51, unknown('bogusField'), 'bogusField'],
    ['code 180 on a v5 query (HTTP 400)', 180, 'Invalid field: email', 'email'],
    ['code 224 on a v5 query (HTTP 400)', 224, 'Invalid field: Partner_Level', 'Partner_Level__c'],
  ])('%s', async (_n, code, message, field) => {
    const { api, pardot } = await setup((_req, res) => json(res, 400, { code, message }));
    const e = await failure(api.queryPage(page));
    expect(e.code).toBe('PARDOT_INVALID_FIELD');
    expect(e.failureType).toBe('config_error');
    expect(e.context).toMatchObject({ field, pardotCode: code, httpStatus: 400, url: '/api/v5/objects/prospects' });
    expect(e.message).toContain(`the prospects query ('${field}')`);
    expect(pardot.seen).toHaveLength(1);
  });

  it('code 51 on an export create names the export and the field', async () => {
    const { api } = await setup((_req, res) => json(res, 400, { code: 51, message: unknown('Partner_Level') }));
    const e = await failure(api.createExport(create));
    expect(e.code).toBe('PARDOT_INVALID_FIELD');
    expect(e.context.field).toBe('Partner_Level__c');
    expect(e.message).toMatch(/the prospect export \('Partner_Level__c'\).*deselect it in the catalog/);
  });

  it('code 51 about another parameter is a bad request naming the query, not a field to drop', async () => {
    const { api } = await setup((_req, res) => json(res, 400, { code: 51, message: 'Invalid parameter: orderBy. It is not sortable: email' }));
    const e = await failure(api.queryPage(page));
    expect(e.code).toBe('PARDOT_BAD_REQUEST');
    expect(e.failureType).toBe('system_error');
    expect(e.context.field).toBeUndefined();
    expect(e.message).toContain('query prospects?fields=id%2Cemail%2CPartner_Level__c&limit=1000&orderBy=id%20ASC');
  });
});

describe('v5 query codes', () => {
  it('209: PARDOT_QUERY_TOO_MANY_FILTERS, a system error naming the query', async () => {
    const filtered = { ...page, filters: { idGreaterThan: '12', updatedAtAfterOrEqualTo: '2024-01-01T00:00:00-07:00' } };
    const { api, pardot } = await setup((_req, res) => json(res, 400, { code: 209, message: 'Too many filtered fields' }));
    const e = await failure(api.queryPage(filtered));
    expect(e.code).toBe('PARDOT_QUERY_TOO_MANY_FILTERS');
    expect(e.failureType).toBe('system_error');
    expect(e.context).toMatchObject({ object: 'prospects', pardotCode: 209, httpStatus: 400 });
    expect(e.context.query).toContain('idGreaterThan=12&updatedAtAfterOrEqualTo=2024-01-01T00%3A00%3A00-07%3A00');
    expect(e.message).toContain('Pardot refused the prospects query: it filters on too many fields (code 209: Too many filtered fields); query prospects?fields=');
    expect(pardot.seen).toHaveLength(1);
  });

  it.each([
    [210, /as expired \(a token lives 4 hours\)/],
    [211, /as invalid/],
  ])('%i: PARDOT_QUERY_TOKEN_INVALID, transient, not retried by the client', async (code, text) => {
    const { api, pardot } = await setup((_req, res) => json(res, 400, { code, message: 'nextPageToken is not valid' }));
    const e = await failure(api.queryPage({ object: 'prospects', fields: FIELDS, token: 'tok-123' }));
    expect(e.code).toBe('PARDOT_QUERY_TOKEN_INVALID');
    expect(e.failureType).toBe('transient_error');
    expect(e.retriable).toBe(false);
    expect(e.message).toMatch(text);
    expect(e.context).toMatchObject({ object: 'prospects', pardotCode: code });
    expect(pardot.seen).toHaveLength(1);
  });

  it.each([
    ['code 214 (HTTP 400)', 400, { code: 214, message: 'Request timed out' }],
    ['HTTP 504 with no body', 504, null],
    ['HTTP 504 with an HTML body', 504, '<html>Gateway Timeout</html>'],
  ])('a query page that timed out, %s: PARDOT_QUERY_TIMEOUT with the limit asked, not retried', async (_n, status, body) => {
    const { api, pardot } = await setup((_req, res) => {
      if (body === null || typeof body === 'string') {
        res.writeHead(status);
        return res.end(body ?? '');
      }
      json(res, status, body);
    });
    const e = await failure(api.queryPage({ ...page, limit: 500 }));
    expect(e.code).toBe('PARDOT_QUERY_TIMEOUT');
    expect(e.failureType).toBe('transient_error');
    expect(e.context).toMatchObject({ object: 'prospects', limit: 500, httpStatus: status });
    expect(e.message).toMatch(/The prospects query timed out at Pardot .* with limit 500; ask again with a smaller limit/);
    expect(pardot.seen).toHaveLength(1);
  });

  it('a next page (token) that timed out: PARDOT_QUERY_TIMEOUT without a limit', async () => {
    const { api } = await setup((_req, res) => json(res, 400, { code: 214, message: 'Request timed out' }));
    const e = await failure(api.queryPage({ object: 'prospects', fields: FIELDS, token: 'tok-123' }));
    expect(e.code).toBe('PARDOT_QUERY_TIMEOUT');
    expect(e.context.limit).toBeUndefined();
  });

  it.each([
    ['214 on an export create', 400, { code: 214, message: 'Request timed out' }, 'create'],
    ['HTTP 504 on an export read', 504, {}, 'read'],
    ['HTTP 504 on a one-record probe (check)', 504, {}, 'probe'],
  ])('%s is still backed off and retried', async (_n, status, body, call) => {
    let n = 0;
    const { api, pardot, clock } = await setup((_req, res) => (++n === 1 ? json(res, status, body) : json(res, 200, call === 'probe' ? { values: [] } : exp())));
    if (call === 'create') await api.createExport(create);
    else if (call === 'read') await api.readExport('42');
    else await api.query('prospect', { fields: 'id', limit: '1' });
    expect(pardot.seen).toHaveLength(2);
    expect(clock.sleeps).toHaveLength(1);
  });
});

describe('the page-cap warning', () => {
  const TEXT = 'Record count for nextPageToken sequence has been exceeded.';
  it.each([
    ['code 203 with its text', `203;${TEXT}`, true],
    ['code 101 with its text', `101;${TEXT}`, true],
    ['code 101 alone', '101', true],
    ['code 203 alone', '203', true],
    ['its text under another code', `999;${TEXT}`, true],
    ['another warning', '102;Field isDeleted is deprecated', false],
    ['a code that only starts like it', '1010;Something else', false],
  ])('%s: capped is %s', async (_n, header, capped) => {
    const { api } = await setup((_req, res) => json(res, 200, { values: [{ id: 1 }], nextPageToken: null }, { 'pardot-warning': header }));
    const p = await api.queryPage(page);
    expect(p.capped).toBe(capped);
    expect(p.warnings).toEqual([header]);
  });

  it('a warning that quotes a secret is clipped before anyone can quote it', async () => {
    const { api } = await setup((_req, res) => json(res, 200, { values: [] }, { 'pardot-warning': `101;${TEXT} ${SECRET}` }));
    const p = await api.queryPage(page);
    expect(p.capped).toBe(true);
    expect(p.warnings).toEqual([`101;${TEXT} **********`]);
  });
});

describe('branches no other test reached', () => {
  it('a JSON answer larger than 16 MiB is refused, not parsed', async () => {
    const { api } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      res.write('{"id": 42, "state": "Complete", "pad": "');
      for (let i = 0; i < 17; i++) res.write(chunk);
      res.end('"}');
    });
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_BAD_RESPONSE');
    expect(e.failureType).toBe('system_error');
    expect(e.message).toContain('with a JSON body larger than 16 MiB');
    expect(e.context).toMatchObject({ httpStatus: 200, url: '/api/v5/exports/42' });
  });

  it('a JSON answer of exactly 16 MiB is read', async () => {
    const head = '{"id": 42, "state": "Complete", "pad": "';
    const { api } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(head);
      res.write(Buffer.alloc(16 * 1024 * 1024 - head.length - 2, 0x20));
      res.end('"}');
    });
    expect((await api.readExport('42')).state).toBe('Complete');
  });

  it('the x-api-usage answer header is kept as the last usage seen, asked for with X-Return-Api-Usage', async () => {
    let n = 0;
    const { api, pardot } = await setup((_req, res) => json(res, 200, exp(), { 'x-api-usage': `${1200 + ++n}/50000` }));
    expect(api.lastApiUsage).toBeNull();
    await api.readExport('42');
    await api.readExport('42');
    expect(api.lastApiUsage).toBe('1202/50000');
    for (const r of pardot.seen) expect(r.headers['x-return-api-usage']).toBe('1');
  });

  it('an x-api-usage header that quotes the access token is kept redacted', async () => {
    const { api } = await setup((req, res) => json(res, 200, exp(), { 'x-api-usage': `used by ${String(req.headers['authorization']).slice(7)}` }));
    await api.readExport('42');
    expect(api.lastApiUsage).toBe('used by **********');
    expect(tokensIssued.length).toBeGreaterThan(0);
  });

  it('a 401 with an unknown code: one token refresh, then the call goes through', async () => {
    let n = 0;
    const { api, auth, pardot } = await setup((_req, res) => (++n === 1 ? json(res, 401, { code: 9001, message: 'Session expired' }) : json(res, 200, exp())));
    expect((await api.readExport('42')).id).toBe('42');
    expect(auth.seen).toHaveLength(2);
    expect(pardot.seen[1]!.headers['authorization']).toBe(`Bearer ${tokensIssued.at(-1)}`);
  });

  it('a 401 with a known code other than 184 is that code\'s error, with no token refresh', async () => {
    const { api, auth } = await setup((_req, res) => json(res, 401, { code: 181, message: 'Business unit header missing' }));
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_BUSINESS_UNIT');
    expect(e.context).toMatchObject({ httpStatus: 401, pardotCode: 181 });
    expect(auth.seen).toHaveLength(1);
  });

  it('a cancel Pardot refuses (the export already finished): PARDOT_EXPORT_STATE on the cancel path', async () => {
    const { api, pardot } = await setup((_req, res) => json(res, 400, { code: 178, message: 'Export cannot be canceled in its current state' }));
    const e = await failure(api.cancelExport('42'));
    expect(e.code).toBe('PARDOT_EXPORT_STATE');
    expect(e.failureType).toBe('system_error');
    expect(e.message).toContain("Pardot says the export's state does not allow POST /api/v5/exports/42/do/cancel (code 178: Export cannot be canceled");
    expect(pardot.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/v5/exports/42/do/cancel']);
  });

  it('no error provoked here carries the client secret or an access token', () => {
    expect(provoked.length).toBeGreaterThan(15);
    expect(clients.length).toBe(0);
    for (const e of provoked) {
      const text = JSON.stringify([String(e), (e as { context?: unknown }).context]);
      for (const s of [SECRET, ...tokensIssued]) expect(text).not.toContain(s);
    }
  });
});
