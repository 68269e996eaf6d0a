/**
 * Redact, then cut, through the BUILT executable: `check` against a local server that plays the
 * Salesforce login host and Pardot. Every v5 query `check` sends (the object probes, the timezone
 * evidence) is answered with an error whose message quotes a secret at an offset around the
 * client's cut, in each form, for each kind of secret; the login host quotes them in its
 * error_description on another set of runs. The whole of stdout and stderr, and every string in
 * the JSON lines, must hold no 6-character piece of any form of any secret. The offsets are those
 * where a cut falls inside the secret or a piece's length from it (each run costs a process); the
 * client-level test (pardot-redaction.test.ts) sweeps every offset from cut-40 to cut+5.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { json } from './helpers/pardot-client.js';
import { LEAK_SECRETS, QUOTE_FORMS, leakedPieces, quoteText, quotesAround, type Quote } from './helpers/secrets.js';

const API_CUT = 300; // http.ts PARDOT_MESSAGE_MAX
const AUTH_CUT = 200; // auth.ts AUTH_MESSAGE_MAX
const ALL = Object.values(LEAK_SECRETS);
/** Offsets from the cut: well before it, a piece's length around it, at it, past it. */
const AROUND_CUT = [-40, -12, -7, -6, -5, -3, -1, 0, 1, 5];

/**
 * One run's login host and Pardot: the first grant issues the access token and rotates the refresh
 * token (or, with `grantQuote`, is refused quoting it); the account answers; every other API call
 * is refused with the next quote of `queue`.
 */
async function startServer(queue: Quote[], served: Quote[], grantQuote?: Quote): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/services/oauth2/token') {
        if (grantQuote) return json(res, 400, { error: 'invalid_grant', error_description: quoteText(grantQuote) });
        return json(res, 200, { access_token: LEAK_SECRETS.access_token, refresh_token: LEAK_SECRETS.rotated_refresh_token, token_type: 'Bearer' });
      }
      if (req.url?.startsWith('/api/v5/objects/account')) return json(res, 200, { id: 7, maximumDailyApiCalls: 50000, apiCallsUsed: 12 });
      const q = queue.shift();
      if (q) served.push(q);
      json(res, 400, { code: 9999, message: q ? quoteText(q) : 'refused' });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function check(url: string): Promise<CliResult> {
  const cfg = {
    client_id: '3MVG9Kq7Lw2Xn8Pz4Rt6Yb1Hc5Jd',
    client_secret: LEAK_SECRETS.client_secret,
    refresh_token: LEAK_SECRETS.refresh_token,
    pardot_business_unit_id: '0Uv5g000000PqRsCAG',
    api_base_url: url,
    auth_base_url: url,
    timezone: 'UTC',
    request_timeout_seconds: 5,
  };
  return runCli(['check', '--config', writeJson(tempDir(), 'config.json', cfg)]);
}

/** Everything a run printed: raw stdout and stderr, and each string of the JSON lines as decoded. */
function printed(r: CliResult): string {
  const strings: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') strings.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  for (const line of r.stdout.split('\n')) {
    try {
      walk(JSON.parse(line));
    } catch {
      // not a JSON line: searched raw below
    }
  }
  return [r.stdout, r.stderr, ...strings].join('\n');
}

/** Runs `count` checks, `parallel` at a time. */
async function runs<T>(count: number, parallel: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await one(i);
    }),
  );
  return out;
}

describe('the built CLI prints no piece of a secret, whatever offset an error quotes it at', () => {
  it(`API errors (cut at ${API_CUT}): every query check sends quotes the next secret`, async () => {
    const queue = quotesAround(API_CUT, AROUND_CUT);
    const total = queue.length;
    const served: Quote[] = [];
    const leaks: string[] = [];
    let marks = 0;
    let runCount = 0;
    // Each run consumes as many quotes as check sends queries; runs go on until all are served.
    while (queue.length > 0) {
      const batch = await runs(3, 3, async () => {
        const srv = await startServer(queue, served);
        try {
          return await check(srv.url);
        } finally {
          await srv.close();
        }
      });
      for (const r of batch) {
        runCount++;
        expect(r.code, r.stderr).toBe(0);
        expect(r.messages.some((m) => m.type === 'CONNECTION_STATUS')).toBe(true);
        const text = printed(r);
        leaks.push(...leakedPieces(text, ALL));
        marks += text.split('**********').length - 1;
      }
      expect(runCount, 'check sends queries, so the queue drains').toBeLessThan(200);
    }
    expect(leaks).toEqual([]);
    expect(served.length).toBe(total);
    // The errors were printed, not swallowed: a mark for each quote with 6 characters or more before the cut.
    expect(marks).toBeGreaterThanOrEqual(served.filter((q) => q.offset <= API_CUT - 6).length);
    console.log(`redaction through the CLI: ${total} quotes over ${runCount} check runs, 0 pieces of ${ALL.length} secrets found`);
  });

  it(`the login host's error_description (cut at ${AUTH_CUT}) quoting the client secret or the refresh token`, async () => {
    const quotes: Quote[] = [];
    for (const kind of ['client_secret', 'refresh_token'] as const) {
      // 10 characters before the cut: cutting before redacting left a 10-character head of the secret.
      for (const form of QUOTE_FORMS) quotes.push({ kind, form, offset: AUTH_CUT - 10 });
    }
    const results = await runs(quotes.length, 3, async (i) => {
      const srv = await startServer([], [], quotes[i]);
      try {
        return await check(srv.url);
      } finally {
        await srv.close();
      }
    });
    for (const [i, r] of results.entries()) {
      const status = r.messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus;
      expect(status?.status).toBe('FAILED');
      expect(status?.message).toMatch(/refresh token was rejected/);
      expect(leakedPieces(printed(r), ALL), `${quotes[i]!.kind} ${quotes[i]!.form} at ${quotes[i]!.offset}`).toEqual([]);
    }
  });
});
