import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../src/errors.js';
import { createPardotApi } from '../src/pardot/client.js';
import { Redactor } from '../src/redact.js';
import {
  BU,
  CLIENT_ID,
  FakeClock,
  REFRESH,
  SECRET,
  clients,
  collect,
  exp,
  failure,
  json,
  provoked,
  servers,
  setup,
  startServer,
  tokensIssued,
} from './helpers/pardot-client.js';

describe('auth', () => {
  it('grants one token and reuses it for many requests, with the API headers on each', async () => {
    const { api, auth, pardot } = await setup((_req, res) => json(res, 200, exp()));
    for (let i = 0; i < 3; i++) await api.readExport('42');
    await Promise.all([api.readExport('42'), api.readExport('42'), api.account()]);
    expect(auth.seen).toHaveLength(1);
    expect(auth.seen[0]!.method).toBe('POST');
    expect(auth.seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(auth.seen[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ grant_type: 'refresh_token', client_id: CLIENT_ID, client_secret: SECRET, refresh_token: REFRESH });
    expect(pardot.seen).toHaveLength(6);
    for (const r of pardot.seen) {
      expect(r.headers['authorization']).toBe(`Bearer ${tokensIssued.at(-1)}`);
      expect(r.headers['pardot-business-unit-id']).toBe(BU);
      expect(r.headers['accept']).toBe('application/json');
      expect(r.headers['x-return-api-usage']).toBe('1');
    }
    expect(pardot.seen[0]!.url).toBe('/api/v5/exports/42');
    expect(api.calls).toMatchObject({ token: 1, read: 5, account: 1 });
    expect(api.apiCallsTotal()).toBe(6);
  });

  it('refreshes once on code 184 and retries the call with the new token', async () => {
    let first = '';
    const { api, auth, pardot } = await setup((req, res) => {
      first ||= req.headers['authorization'] ?? '';
      if (req.headers['authorization'] === first) return json(res, 401, { code: 184, message: 'access_token is invalid, unknown, or malformed' });
      json(res, 200, exp());
    });
    const e = await api.readExport('42');
    expect(e.id).toBe('42');
    expect(auth.seen).toHaveLength(2);
    expect(pardot.seen).toHaveLength(2);
    expect(pardot.seen[1]!.headers['authorization']).not.toBe(first);
  });

  it('refreshes on a bare HTTP 401 too', async () => {
    let n = 0;
    const { api, auth } = await setup((_req, res) => (++n === 1 ? json(res, 401, {}) : json(res, 200, exp())));
    await api.readExport('42');
    expect(auth.seen).toHaveLength(2);
  });

  it('shares one refresh between concurrent calls rejected with 184', async () => {
    let first = '';
    const { api, auth } = await setup((req, res) => {
      first ||= req.headers['authorization'] ?? '';
      if (req.headers['authorization'] === first) return setTimeout(() => json(res, 401, { code: 184, message: 'expired' }), 20);
      json(res, 200, exp());
    });
    await api.readExport('1'); // the first token is granted and rejected... then refreshed
    first = `Bearer ${tokensIssued.at(-1)}`; // now reject the current token for everyone
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => api.readExport(String(i))));
    expect(results).toHaveLength(5);
    expect(auth.seen).toHaveLength(3);
  });

  it('throws PARDOT_AUTH_REJECTED when the refreshed token is rejected too', async () => {
    const { api, auth } = await setup((_req, res) => json(res, 401, { code: 184, message: 'Invalid access token' }));
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_AUTH_REJECTED');
    expect(e.failureType).toBe('config_error');
    expect(e.context).toMatchObject({ httpStatus: 401, pardotCode: 184, url: '/api/v5/exports/42' });
    expect(auth.seen).toHaveLength(2);
  });

  it('explains invalid_client without echoing the secret', async () => {
    const { api, auth } = await setup((_req, res) => json(res, 200, exp()), {
      authHandler: (_req, res) => json(res, 400, { error: 'invalid_client', error_description: `invalid client credentials ${SECRET}` }),
    });
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('AUTH_INVALID_CLIENT');
    expect(e.failureType).toBe('config_error');
    expect(e.message).toContain(`client_id or client_secret was rejected by ${new URL(auth.url).host}`);
    expect(e.message).toContain("consumer key/secret");
    expect(e.message).not.toContain(SECRET);
  });

  it('explains invalid_grant with the sandbox/production hint', async () => {
    const { api } = await setup((_req, res) => json(res, 200, exp()), {
      authHandler: (_req, res) => json(res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }),
    });
    const e = await failure(api.account());
    expect(e.code).toBe('AUTH_INVALID_GRANT');
    expect(e.failureType).toBe('config_error');
    expect(e.message).toMatch(/is_sandbox/);
    expect(e.message).toMatch(/auth_base_url/);
    expect(e.message).toMatch(/expired access\/refresh token/);
  });

  it('names the login host when it cannot be reached', async () => {
    const dead = await startServer(() => {});
    await dead.close();
    servers.splice(servers.indexOf(dead), 1);
    const { api } = await setup((_req, res) => json(res, 200, exp()), { authBaseUrl: dead.url });
    const e = await failure(api.account());
    expect(e.code).toBe('AUTH_HOST_UNREACHABLE');
    expect(e.message).toContain(new URL(dead.url).host);
    expect(e.message).toMatch(/auth_base_url/);
  });

  it('names the API host when it was never reachable', async () => {
    const dead = await startServer(() => {});
    await dead.close();
    servers.splice(servers.indexOf(dead), 1);
    const { api } = await setup(() => {}, { apiBaseUrl: dead.url });
    const e = await failure(api.account());
    expect(e.code).toBe('PARDOT_HOST_UNREACHABLE');
    expect(e.failureType).toBe('config_error');
    expect(e.message).toContain(new URL(dead.url).host);
  });
});

describe('retries', () => {
  it('honours Retry-After in seconds on 429', async () => {
    let n = 0;
    const { api, clock, logs } = await setup((_req, res) =>
      ++n === 1 ? json(res, 429, { code: 66, message: 'too many concurrent requests' }, { 'retry-after': '7' }) : json(res, 200, exp()),
    );
    await api.readExport('42');
    expect(clock.sleeps).toEqual([7000]);
    expect(logs.some((l) => l.startsWith('WARN') && l.includes('code 66') && l.includes('7000 ms'))).toBe(true);
  });

  it('honours Retry-After as an HTTP-date', async () => {
    let n = 0;
    const clockStart = Date.UTC(2024, 4, 4, 20, 0, 0);
    const { api, clock } = await setup((_req, res) =>
      ++n === 1 ? json(res, 503, {}, { 'retry-after': new Date(clockStart + 30_000).toUTCString() }) : json(res, 200, exp()),
    );
    await api.readExport('42');
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('retries a 5xx and an HTML 502 body, then succeeds', async () => {
    let n = 0;
    const { api, clock, pardot } = await setup((_req, res) => {
      n++;
      if (n === 1) return json(res, 500, { code: 183, message: 'internal error' });
      if (n === 2) {
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      }
      json(res, 200, exp());
    });
    const e = await api.readExport('42');
    expect(e.state).toBe('Processing');
    expect(pardot.seen).toHaveLength(3);
    expect(clock.sleeps).toEqual([1000, 2000]);
  });

  it('retries after a connection reset', async () => {
    let n = 0;
    const { api, pardot, logs } = await setup((req, res) => {
      if (++n === 1) return req.socket.destroy();
      json(res, 200, exp());
    });
    await api.readExport('42');
    expect(pardot.seen).toHaveLength(2);
    expect(logs.some((l) => l.startsWith('WARN') && l.includes('network error'))).toBe(true);
  });

  it('throws PARDOT_UNAVAILABLE after maxAttempts, with capped backoff', async () => {
    const { api, clock, pardot } = await setup((_req, res) => json(res, 503, { code: 214, message: 'timed out' }), {
      retry: { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 5000, jitter: false },
    });
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_UNAVAILABLE');
    expect(e.failureType).toBe('transient_error');
    expect(e.message).toContain('GET /api/v5/exports/42');
    expect(e.message).toContain('5 attempts');
    expect(e.context).toMatchObject({ httpStatus: 503, pardotCode: 214, attempts: 5 });
    expect(pardot.seen).toHaveLength(5);
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 5000]);
  });

  it('applies full jitter within the cap', async () => {
    const { api, clock } = await setup((_req, res) => json(res, 503, {}), {
      retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000, jitter: true },
      random: () => 0.5,
    });
    await failure(api.readExport('42'));
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('stops at once on a Retry-After beyond maxRetryAfterMs', async () => {
    const { api, clock } = await setup((_req, res) => json(res, 429, {}, { 'retry-after': '3600' }));
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_UNAVAILABLE');
    expect(e.context.retryAt).toBe(clock.now() + 3_600_000);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not retry the daily limit (code 122) and says when it resets', async () => {
    const { api, pardot, clock } = await setup((_req, res) => json(res, 429, { code: 122, message: 'Daily API rate limit met' }), {
      timezone: 'America/Los_Angeles',
    });
    const e = await failure(api.createExport({ object: 'prospect', fields: ['id'], procedure: { name: 'filter_by_updated_at', arguments: { updated_after: 'x' } } }));
    expect(e.code).toBe('PARDOT_DAILY_LIMIT');
    expect(e.failureType).toBe('transient_error');
    expect(e.retriable).toBe(false);
    expect(pardot.seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
    expect(e.message).toContain(`Pardot's daily API call limit for business unit ${BU} is used up (code 122)`);
    // 2024-05-04 20:00Z is 13:00 in Los Angeles (PDT); the next midnight there is 2024-05-05 07:00Z.
    expect(e.context.retryAt).toBe(Date.UTC(2024, 4, 5, 7, 0, 0));
    expect(e.message).toContain('2024-05-05 00:00 America/Los_Angeles');
  });
});

describe('error mapping', () => {
  const req = { object: 'prospect', fields: ['id', 'email', 'bogusField'], procedure: { name: 'filter_by_updated_at', arguments: { updated_after: '2024-01-01T00:00:00+00:00' } } };
  const cases: Array<[number, number, string, string, RegExp]> = [
    [400, 181, 'PARDOT_BUSINESS_UNIT', 'config_error', /pardot_business_unit_id.*is_sandbox/s],
    [400, 182, 'PARDOT_BUSINESS_UNIT', 'config_error', /pi\.demo\.pardot\.com/],
    [400, 201, 'PARDOT_BUSINESS_UNIT', 'config_error', /pardot_business_unit_id/],
    [403, 46, 'PARDOT_PERMISSION', 'config_error', /lacks the ability.*exporting prospect/],
    [403, 49, 'PARDOT_PERMISSION', 'config_error', /lacks the ability/],
    [400, 174, 'PARDOT_BAD_REQUEST', 'system_error', /POST \/api\/v5\/exports.*procedure filter_by_updated_at.*updated_after/],
    [400, 177, 'PARDOT_BAD_REQUEST', 'system_error', /Pardot says no/],
    [400, 180, 'PARDOT_INVALID_FIELD', 'config_error', /'bogusField'/],
    [400, 224, 'PARDOT_INVALID_FIELD', 'config_error', /'bogusField'/],
    [400, 178, 'PARDOT_EXPORT_STATE', 'system_error', /code 178/],
    [404, 9999, 'PARDOT_HTTP_404', 'system_error', /HTTP 404/],
  ];
  for (const [status, code, expected, kind, text] of cases) {
    it(`maps HTTP ${status} code ${code} to ${expected}`, async () => {
      const msg = code === 180 || code === 224 ? 'Invalid field: bogusField' : 'Pardot says no';
      const { api, pardot } = await setup((_req, res) => json(res, status, { code, message: msg }));
      const e = await failure(api.createExport(req));
      expect(e.code).toBe(expected);
      expect(e.failureType).toBe(kind);
      expect(e.retriable).toBe(false);
      expect(e.message).toMatch(text);
      expect(e.context).toMatchObject({ httpStatus: status, pardotCode: code, url: '/api/v5/exports' });
      expect(pardot.seen).toHaveLength(1);
      if (expected === 'PARDOT_INVALID_FIELD') expect(e.context.field).toBe('bogusField');
    });
  }

  it('maps a 4xx with an empty body on the HTTP status', async () => {
    const { api } = await setup((_req, res) => {
      res.writeHead(400);
      res.end();
    });
    const e = await failure(api.readExport('1'));
    expect(e.code).toBe('PARDOT_HTTP_400');
    expect(e.context).toMatchObject({ httpStatus: 400, url: '/api/v5/exports/1' });
  });

  it('does not follow a redirect and names where it pointed', async () => {
    const other = await startServer((_req, res) => json(res, 200, exp()));
    const { api, pardot } = await setup((_req, res) => {
      res.writeHead(302, { location: `${other.url}/api/v5/exports/42?token=abc` });
      res.end();
    });
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_REDIRECT');
    expect(e.message).toContain(other.origin);
    expect(e.message).not.toContain('token=abc');
    expect(pardot.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(0);
  });
});

describe('export resources', () => {
  it('sends the create body and accepts any 2xx', async () => {
    const { api, pardot } = await setup((_req, res) => json(res, 201, exp({ id: 7, state: 'Waiting' })));
    const e = await api.createExport({ object: 'visitorActivity', fields: ['id', 'type'], procedure: { name: 'filter_by_created_at', arguments: { created_after: 'a', created_before: 'b' } } });
    expect(e).toEqual({ id: '7', state: 'Waiting', isExpired: false, resultRefs: [], createdAt: '2024-05-04T13:45:10-07:00', updatedAt: '2024-05-04T13:45:10-07:00' });
    expect(pardot.seen[0]!.method).toBe('POST');
    expect(pardot.seen[0]!.url).toBe('/api/v5/exports');
    expect(pardot.seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(pardot.seen[0]!.body)).toEqual({ object: 'visitorActivity', fields: ['id', 'type'], procedure: { name: 'filter_by_created_at', arguments: { created_after: 'a', created_before: 'b' } } });
    expect(api.calls.create).toBe(1);
  });

  it('normalises resultRefs: absent, string, array; rejects anything else', async () => {
    const bodies: unknown[] = [
      exp({ state: 'Complete' }),
      exp({ state: 'Complete', resultRefs: 'https://x/1.csv' }),
      exp({ state: 'Complete', resultRefs: ['https://x/1.csv', 'https://x/2.csv'] }),
      exp({ state: 'Complete', resultRefs: 5 }),
      exp({ state: 'Complete', resultRefs: ['a', 3] }),
    ];
    let n = 0;
    const { api } = await setup((_req, res) => json(res, 200, bodies[n++]));
    expect((await api.readExport('1')).resultRefs).toEqual([]);
    expect((await api.readExport('1')).resultRefs).toEqual(['https://x/1.csv']);
    expect((await api.readExport('1')).resultRefs).toEqual(['https://x/1.csv', 'https://x/2.csv']);
    expect((await failure(api.readExport('1'))).code).toBe('PARDOT_BAD_RESPONSE');
    expect((await failure(api.readExport('1'))).code).toBe('PARDOT_BAD_RESPONSE');
  });

  it('accepts a body wrapped as {"export": {...}} with unknown extra keys', async () => {
    const { api } = await setup((_req, res) => json(res, 200, { export: exp({ state: 'Complete', isExpired: true, resultRefs: 'u', extra: { a: 1 } }), meta: 1 }));
    expect(await api.readExport('42')).toMatchObject({ id: '42', state: 'Complete', isExpired: true, resultRefs: ['u'] });
  });

  it('refuses an unknown export state', async () => {
    const { api } = await setup((_req, res) => json(res, 200, exp({ state: 'Paused' })));
    const e = await failure(api.readExport('42'));
    expect(e.code).toBe('PARDOT_UNKNOWN_STATE');
    expect(e.failureType).toBe('system_error');
    expect(e.message).toBe("Pardot answered export state 'Paused', which this connector does not know; nothing was emitted for this window; report it");
  });

  it('refuses a non-JSON 2xx body', async () => {
    const { api } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    expect((await failure(api.readExport('42'))).code).toBe('PARDOT_BAD_RESPONSE');
  });

  it('cancels through the cancel path', async () => {
    const { api, pardot } = await setup((_req, res) => json(res, 200, exp({ state: 'Canceled' })));
    expect((await api.cancelExport('42')).state).toBe('Canceled');
    expect(pardot.seen[0]).toMatchObject({ method: 'POST', url: '/api/v5/exports/42/do/cancel' });
    expect(api.calls.cancel).toBe(1);
  });

  it('reads the account budget and tolerates missing numbers', async () => {
    let n = 0;
    const { api, pardot } = await setup((_req, res) =>
      json(res, 200, n++ === 0 ? { id: 12345, maximumDailyApiCalls: 50000, apiCallsUsed: '1200' } : { id: 12345 }),
    );
    expect(await api.account()).toEqual({ id: 12345, maximumDailyApiCalls: 50000, apiCallsUsed: 1200 });
    expect(await api.account()).toEqual({ id: 12345, maximumDailyApiCalls: null, apiCallsUsed: null });
    expect(pardot.seen[0]!.url).toBe('/api/v5/objects/account?fields=id,maximumDailyApiCalls,apiCallsUsed');
  });

  it('keeps the base URL path prefix for API calls and relative result URLs', async () => {
    const { api, pardot } = await setup((req, res) => {
      if (req.url?.endsWith('.csv')) {
        res.writeHead(200, { 'content-type': 'text/csv' });
        return res.end('id\n1\n');
      }
      json(res, 200, exp());
    });
    const prefixed = createPardotApi({
      apiBaseUrl: `${pardot.url}/proxy/`,
      authBaseUrl: servers[0]!.url,
      businessUnitId: BU,
      credentials: { authType: 'refresh_token', clientId: CLIENT_ID, clientSecret: SECRET, refreshToken: REFRESH },
      maxConcurrent: 2,
      clock: new FakeClock(),
      redactor: new Redactor(),
    });
    clients.push(prefixed);
    await prefixed.readExport('9');
    expect(await collect(await prefixed.download('/api/v5/exports/9/results/a.csv'))).toBe('id\n1\n');
    expect(pardot.seen.map((s) => s.url)).toEqual(['/proxy/api/v5/exports/9', '/proxy/api/v5/exports/9/results/a.csv']);
  });
});

describe('downloads', () => {
  it('streams a result file with the API headers', async () => {
    const { api, pardot } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('id,email\n');
      res.end('1,a@example.com\n');
    });
    const body = await api.download(`${pardot.url}/api/v5/exports/42/results/1.csv`);
    expect(await collect(body)).toBe('id,email\n1,a@example.com\n');
    expect(pardot.seen[0]!.headers['authorization']).toMatch(/^Bearer /);
    expect(pardot.seen[0]!.headers['pardot-business-unit-id']).toBe(BU);
    expect(api.calls.download).toBe(1);
  });

  it('refuses a URL on another origin without any request to it', async () => {
    const other = await startServer((_req, res) => json(res, 200, {}));
    const { api, pardot, auth } = await setup((_req, res) => json(res, 200, exp()));
    const e = await failure(api.download(`${other.url}/api/v5/exports/42/results/1.csv?sig=zzz`));
    expect(e.code).toBe('PARDOT_FOREIGN_ORIGIN');
    expect(e.failureType).toBe('system_error');
    expect(e.message).toContain(other.origin);
    expect(other.seen).toHaveLength(0);
    expect(pardot.seen).toHaveLength(0);
    expect(auth.seen).toHaveLength(0);
  });

  it('maps code 178 on a download to PARDOT_EXPORT_EXPIRED', async () => {
    const { api, pardot } = await setup((_req, res) => json(res, 400, { code: 178, message: 'export is expired' }));
    const e = await failure(api.download(`${pardot.url}/api/v5/exports/42/results/1.csv`));
    expect(e.code).toBe('PARDOT_EXPORT_EXPIRED');
    expect(e.context).toMatchObject({ httpStatus: 400, pardotCode: 178, url: '/api/v5/exports/42/results/1.csv' });
  });

  it('retries a download until its headers arrive', async () => {
    let n = 0;
    const { api, pardot } = await setup((_req, res) => {
      if (++n === 1) return json(res, 503, {});
      res.writeHead(200);
      res.end('id\n');
    });
    expect(await collect(await api.download('/api/v5/exports/42/results/1.csv'))).toBe('id\n');
    expect(pardot.seen).toHaveLength(2);
  });

  it('passes a body error to the consumer and frees the slot', async () => {
    let n = 0;
    const { api, pardot } = await setup(
      (req, res) => {
        if (++n === 1) {
          res.writeHead(200, { 'content-length': '1000' });
          res.write('id\n1\n');
          setTimeout(() => req.socket.destroy(), 20);
          return;
        }
        json(res, 200, exp());
      },
      { maxConcurrent: 1 },
    );
    const body = await api.download('/api/v5/exports/42/results/1.csv');
    const err = await collect(body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConnectorError);
    await api.readExport('42');
    expect(pardot.seen).toHaveLength(2);
  });
});

describe('concurrency', () => {
  it('never has more than maxConcurrent requests in flight', async () => {
    let inFlight = 0;
    let max = 0;
    const { api, pardot } = await setup(
      (_req, res) => {
        inFlight++;
        max = Math.max(max, inFlight);
        setTimeout(() => {
          inFlight--;
          json(res, 200, exp());
        }, 30);
      },
      { maxConcurrent: 3 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.readExport(String(i))));
    expect(pardot.seen).toHaveLength(10);
    expect(max).toBe(3);
  });

  it('a download holds its slot until its body is consumed', async () => {
    let finishDownload: () => void = () => {};
    const order: string[] = [];
    const { api } = await setup(
      (req, res) => {
        if (req.url?.endsWith('.csv')) {
          order.push('download');
          res.writeHead(200, { 'content-type': 'text/csv' });
          res.write('id\n');
          finishDownload = () => res.end('1\n');
          return;
        }
        order.push('read');
        json(res, 200, exp());
      },
      { maxConcurrent: 1 },
    );
    const body = await api.download('/api/v5/exports/42/results/1.csv');
    const read = api.readExport('42');
    await new Promise((r) => setTimeout(r, 100));
    expect(order).toEqual(['download']);
    const text = collect(body);
    finishDownload();
    expect(await text).toBe('id\n1\n');
    await read;
    expect(order).toEqual(['download', 'read']);
  });

  it('frees the slot when the consumer destroys the body', async () => {
    const { api, pardot } = await setup(
      (req, res) => {
        if (req.url?.endsWith('.csv')) {
          res.writeHead(200);
          res.write('id\n');
          return; // never ends
        }
        json(res, 200, exp());
      },
      { maxConcurrent: 1 },
    );
    const body = await api.download('/api/v5/exports/42/results/1.csv');
    body.destroy();
    await api.readExport('42');
    expect(pardot.seen).toHaveLength(2);
  });
});

describe('abort', () => {
  it('stops an in-flight call at once and does not retry it', async () => {
    const { api, pardot, clock } = await setup(() => {
      /* never answers */
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const e = await api.readExport('42', ac.signal).catch((x: unknown) => x);
    expect((e as Error).name).toBe('AbortError');
    expect(e).not.toBeInstanceOf(ConnectorError);
    expect(pardot.seen).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops a call waiting for a concurrency slot without sending it', async () => {
    const { api, pardot } = await setup(
      (req, res) => {
        if (req.url?.endsWith('.csv')) {
          res.writeHead(200);
          res.write('id\n');
          return;
        }
        json(res, 200, exp());
      },
      { maxConcurrent: 1 },
    );
    const body = await api.download('/api/v5/exports/42/results/1.csv');
    const ac = new AbortController();
    const read = api.readExport('42', ac.signal);
    ac.abort();
    expect(((await read.catch((x: unknown) => x)) as Error).name).toBe('AbortError');
    body.destroy();
    await api.readExport('43');
    expect(pardot.seen.map((r) => r.url)).toEqual(['/api/v5/exports/42/results/1.csv', '/api/v5/exports/43']);
  });
});

describe('secrets', () => {
  it('sends credentials only where they belong', async () => {
    const { api, auth, pardot } = await setup((req, res) => {
      if (req.url?.endsWith('.csv')) {
        res.writeHead(200);
        return res.end('id\n');
      }
      json(res, 200, exp());
    });
    await api.account();
    await api.createExport({ object: 'prospect', fields: [], procedure: { name: 'filter_by_updated_at', arguments: { updated_after: 'x' } } });
    await collect(await api.download('/api/v5/exports/42/results/1.csv'));
    for (const r of auth.seen) {
      expect(r.headers['authorization']).toBeUndefined();
      expect(r.headers['pardot-business-unit-id']).toBeUndefined();
    }
    for (const r of pardot.seen) {
      const all = JSON.stringify(r);
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(REFRESH);
    }
    // An empty field list means "every field": the key is left out.
    expect(JSON.parse(pardot.seen[1]!.body)).not.toHaveProperty('fields');
  });

  it('redacts secrets that a server echoes into an error message', async () => {
    const { api } = await setup((req, res) => json(res, 400, { code: 9999, message: `bad header ${req.headers['authorization']} ${SECRET}` }));
    const e = await failure(api.readExport('1'));
    expect(e.message).toContain('**********');
  });

  it('no provoked error carries a secret or an access token', () => {
    expect(provoked.length).toBeGreaterThan(20);
    for (const e of provoked) {
      const ce = e as ConnectorError;
      const text = [ce.message, ce.stack ?? '', JSON.stringify(ce.context), JSON.stringify(ce), String(ce.cause ?? '')].join('\n');
      for (const s of [SECRET, REFRESH, encodeURIComponent(SECRET), ...tokensIssued]) expect(text).not.toContain(s);
    }
  });
});
