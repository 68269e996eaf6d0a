/**
 * A test harness for the Pardot client against small local servers (node:http on 127.0.0.1 port
 * 0): a Salesforce token endpoint issuing access-token-N, a Pardot answering with the test's
 * handler, a fake clock, and a record of every error provoked (searched for secrets at the end).
 * Servers and clients are closed after each test of the file that imports this module.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, expect } from 'vitest';
import { abortError, type Clock } from '../../src/clock.js';
import { ConnectorError } from '../../src/errors.js';
import { createPardotApi, type PardotApiOptions, type PardotClient } from '../../src/pardot/client.js';
import { Redactor } from '../../src/redact.js';

export const SECRET = 'client-secret-XYZ-0123456789';
// Random-looking, as real ones are: a clipped text from outside has every 6-character piece of a
// secret masked, so a test secret spelling an English word ("refresh") would mask Salesforce's own words.
export const REFRESH = '5Aep861ZqW.XyTkPm9876543210';
export const CLIENT_ID = 'client-id-3MVG9-abcdef';
export const BU = '0Uv000000000001AAA';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => unknown;

export interface TestServer {
  url: string;
  origin: string;
  seen: Seen[];
  handler: Handler;
  close(): Promise<void>;
}

export const servers: TestServer[] = [];
export const clients: PardotClient[] = [];
/** Every error provoked in this file, checked for secrets at the end. */
export const provoked: unknown[] = [];
export const tokensIssued: string[] = [];

export async function startServer(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const s: TestServer = { url: '', origin: '', seen, handler, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(s.handler(req, res, body, seen.length)).catch((e: unknown) => {
        res.destroy(e as Error);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  s.origin = `http://127.0.0.1:${port}`;
  s.url = s.origin;
  s.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  servers.push(s);
  return s;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A Salesforce token endpoint issuing access-token-N on every refresh grant. */
export async function startAuth(override?: Handler): Promise<TestServer> {
  return startServer((req, res, body, n) => {
    if (override) return override(req, res, body, n);
    const form = new URLSearchParams(body);
    if (req.url !== '/services/oauth2/token' || form.get('grant_type') !== 'refresh_token' || form.get('client_secret') !== SECRET || form.get('refresh_token') !== REFRESH) {
      return json(res, 400, { error: 'invalid_request', error_description: 'unexpected' });
    }
    const token = `00Dxx!access-token-${n}-${'q'.repeat(20)}`;
    tokensIssued.push(token);
    json(res, 200, { access_token: token, instance_url: 'https://example.my.salesforce.com', token_type: 'Bearer', issued_at: '1', scope: 'pardot_api refresh_token' });
  });
}

export class FakeClock implements Clock {
  t = Date.UTC(2024, 4, 4, 20, 0, 0);
  sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw abortError();
    this.sleeps.push(ms);
    this.t += ms;
  };
}

export interface Setup {
  api: PardotClient;
  auth: TestServer;
  pardot: TestServer;
  clock: FakeClock;
  logs: string[];
  redactor: Redactor;
}

export async function setup(handler: Handler, o: Partial<PardotApiOptions> & { authHandler?: Handler } = {}): Promise<Setup> {
  const auth = await startAuth(o.authHandler);
  const pardot = await startServer(handler);
  const clock = new FakeClock();
  const logs: string[] = [];
  const redactor = new Redactor();
  const api = createPardotApi({
    apiBaseUrl: pardot.url,
    authBaseUrl: auth.url,
    businessUnitId: BU,
    credentials: { authType: 'refresh_token', clientId: CLIENT_ID, clientSecret: SECRET, refreshToken: REFRESH },
    maxConcurrent: 5,
    retry: { jitter: false },
    requestTimeoutMs: 5000,
    clock,
    redactor,
    log: (l, m) => logs.push(`${l} ${m}`),
    ...o,
  });
  clients.push(api);
  return { api, auth, pardot, clock, logs, redactor };
}

export async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  const e = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err,
  );
  provoked.push(e);
  expect(e).toBeInstanceOf(ConnectorError);
  return e as ConnectorError;
}

export const exp = (over: Record<string, unknown> = {}) => ({ id: 42, state: 'Processing', isExpired: false, createdAt: '2024-05-04T13:45:10-07:00', updatedAt: '2024-05-04T13:45:10-07:00', ...over });

export async function collect(s: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

