/**
 * Redact, then cut: an error text from outside that quotes a secret, at every offset around the
 * point where the client cuts it (cut-40 .. cut+5, step 1), in each form (as it is, URL-encoded,
 * JSON-escaped), for each kind of secret (client secret, refresh token, access token, a refresh
 * token rotated during the run), through the client's real paths: the token endpoint's
 * error_description, an API error body, a download's error body. No 6-character piece of any
 * form of any secret may appear in the error (message, stack, context) or in the client's logs.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/clock.js';
import { ConnectorError } from '../src/errors.js';
import { createPardotApi, type PardotClient } from '../src/pardot/client.js';
import { Agent } from '../src/pardot/undici.js';
import { Redactor } from '../src/redact.js';
import { json } from './helpers/pardot-client.js';
import { LEAK_SECRETS, errorText, leakedPieces, quoteText, quotesAround, type Quote } from './helpers/secrets.js';

/** The client's cuts, as its sources say (http.ts PARDOT_MESSAGE_MAX, auth.ts AUTH_MESSAGE_MAX). */
const API_CUT = 300;
const AUTH_CUT = 200;
const CLIENT_ID = '3MVG9Kq7Lw2Xn8Pz4Rt6Yb1Hc5Jd';
const ALL = Object.values(LEAK_SECRETS);
/** Every offset from 40 characters before the cut to 5 after it. */
const sweep = (cut: number) => quotesAround(cut, Array.from({ length: 46 }, (_, i) => i - 40));

const clock: Clock = { now: () => Date.now(), sleep: async () => {} };
let server: Server;
let base = '';
/** What the next API answer and the next failing grant quote. */
let apiText = '';
let grantText = '';
let grants = 0;
const dispatcher = new Agent({ connections: 8 });

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (req.url === '/services/oauth2/token') {
    // The first grant of a client succeeds and rotates the refresh token; a later one is refused.
    if (new URLSearchParams(body).get('refresh_token') === LEAK_SECRETS.refresh_token) {
      grants++;
      return json(res, 200, { access_token: LEAK_SECRETS.access_token, refresh_token: LEAK_SECRETS.rotated_refresh_token, token_type: 'Bearer' });
    }
    return json(res, 400, { error: 'invalid_grant', error_description: grantText });
  }
  if (req.url === '/api/v5/exports/401') return json(res, 401, { code: 184, message: 'access token is invalid' });
  json(res, 400, { code: 9999, message: apiText });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dispatcher.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function client(logs: string[]): PardotClient {
  return createPardotApi({
    apiBaseUrl: base,
    authBaseUrl: base,
    businessUnitId: '0Uv5g000000PqRsCAG',
    credentials: { authType: 'refresh_token', clientId: CLIENT_ID, clientSecret: LEAK_SECRETS.client_secret, refreshToken: LEAK_SECRETS.refresh_token },
    maxConcurrent: 1,
    retry: { maxAttempts: 1, jitter: false },
    requestTimeoutMs: 5000,
    clock,
    redactor: new Redactor(),
    dispatcher,
    log: (l, m) => logs.push(`${l} ${m}`),
  });
}

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const e = await p.then(
    () => new Error('expected a failure'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConnectorError);
  return e as ConnectorError;
}

/** Runs every quote through `provoke` and returns the leaks found, and how many errors quoted the mark. */
async function hunt(quotes: Quote[], provoke: (q: Quote) => Promise<{ error: ConnectorError; logs: string[] }>) {
  const leaks: string[] = [];
  let marked = 0;
  let cutShort = 0;
  for (const q of quotes) {
    const { error, logs } = await provoke(q);
    const text = `${errorText(error)}\n${logs.join('\n')}`;
    const found = leakedPieces(text, ALL);
    if (found.length > 0) leaks.push(`${q.kind} ${q.form} at ${q.offset}: ${found.join(' ')} in ${error.message}`);
    if (error.message.includes('**********')) marked++;
    if (error.message.includes('…')) cutShort++;
  }
  return { leaks, marked, cutShort };
}

describe('no piece of a secret at any offset around the cut', () => {
  it(`an API error body (message cut at ${API_CUT})`, async () => {
    const logs: string[] = [];
    const api = client(logs);
    const quotes = sweep(API_CUT);
    const r = await hunt(quotes, async (q) => {
      apiText = quoteText(q);
      const error = await failure(api.readExport('42'));
      expect(error.code).toBe('PARDOT_HTTP_400');
      return { error, logs };
    });
    await api.close();
    expect(r.leaks).toEqual([]);
    // The hunt saw the cases it was written for: most quotes masked, most cut (a mark shorter
    // than the secret it replaced can bring a text under the cut).
    expect(quotes.length).toBe(4 * 3 * 46);
    expect(r.cutShort).toBeGreaterThan(quotes.length / 2);
    expect(r.marked).toBeGreaterThan(quotes.length / 2);
  });

  it(`a download's error body (message cut at ${API_CUT})`, async () => {
    const logs: string[] = [];
    const api = client(logs);
    const r = await hunt(sweep(API_CUT), async (q) => {
      apiText = quoteText(q);
      const error = await failure(api.download('/api/v5/exports/42/results/1.csv'));
      expect(error.context).toMatchObject({ httpStatus: 400, url: '/api/v5/exports/42/results/1.csv' });
      return { error, logs };
    });
    await api.close();
    expect(r.leaks).toEqual([]);
    expect(r.marked).toBeGreaterThan(0);
  });

  it(`the token endpoint's error_description (cut at ${AUTH_CUT}), after a grant that issued the access token and rotated the refresh token`, async () => {
    const before = grants;
    const quotes = sweep(AUTH_CUT);
    const r = await hunt(quotes, async (q) => {
      const logs: string[] = [];
      const api = client(logs);
      try {
        grantText = quoteText(q);
        // A 184 makes the client ask a new token with the rotated refresh token: the login host refuses it.
        const error = await failure(api.readExport('401'));
        expect(error.code).toBe('AUTH_INVALID_GRANT');
        return { error, logs };
      } finally {
        await api.close();
      }
    });
    expect(r.leaks).toEqual([]);
    expect(grants - before, 'each case had its access token and rotated refresh token issued first').toBe(quotes.length);
    expect(r.cutShort).toBeGreaterThan(quotes.length / 2);
    expect(r.marked).toBeGreaterThan(quotes.length / 2);
  });
});
