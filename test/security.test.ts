/**
 * Security through the BUILT executable: a battery of failing and succeeding runs whose every
 * byte of stdout and stderr is searched for the client secret, the refresh token and every access
 * token the fake issued; and credentials that never leave the configured origins (a second fake
 * plays the foreign origin and must receive zero requests).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { startFakePardot, type FakePardot, type FakePardotOptions, type Row } from './fake-pardot/index.js';
import { runCli, tempDir, writeJson, type CliResult } from './helpers/cli.js';
import { SECRETS, catalog, config, errorTrace, parseLines, read, smallData, startFake, waitFor } from './helpers/scenario.js';

let foreign: FakePardot;
let start: Date;
let data: Record<string, Row[]>;
const outputs: Array<{ name: string; text: string; tokens: readonly string[] }> = [];

beforeAll(async () => {
  ({ start, data } = smallData({ prospects: 60 }));
  foreign = await startFakePardot({ clientSecret: SECRETS.client_secret, refreshToken: SECRETS.refresh_token });
});
afterAll(async () => {
  await foreign?.close();
});

interface Case {
  name: string;
  fake?: FakePardotOptions | ((foreignUrl: string) => FakePardotOptions);
  config?: Record<string, unknown>;
  /** 'check' runs check; 'sigterm' sends SIGTERM once an export is in flight. */
  mode?: 'read' | 'check' | 'sigterm';
  expect: { code: number; trace?: RegExp; status?: 'SUCCEEDED' | 'FAILED'; message?: RegExp };
  /** The secret reached an error text and must show as the redaction mark. */
  redacted?: boolean;
}

const CASES: Case[] = [
  { name: 'a wrong client secret (check)', mode: 'check', config: { client_secret: 'wrong-secret-7f3a9c' }, expect: { code: 0, status: 'FAILED', message: /client_id or client_secret/ } },
  { name: 'a wrong client secret (read)', config: { client_secret: 'wrong-secret-7f3a9c' }, expect: { code: 1, trace: /AUTH_INVALID_CLIENT/ } },
  { name: 'a wrong refresh token', config: { refresh_token: 'wrong-refresh-5e1d2b' }, expect: { code: 1, trace: /AUTH_INVALID_GRANT/ } },
  {
    name: 'a token error that echoes the refresh token',
    fake: { faults: [{ on: 'token', kind: 'status', status: 400, body: JSON.stringify({ error: 'invalid_grant', error_description: `refresh token ${SECRETS.refresh_token} revoked` }) }] },
    expect: { code: 1, trace: /AUTH_INVALID_GRANT/ },
    redacted: true,
  },
  {
    name: 'an API error that echoes the client secret',
    fake: { faults: [{ on: 'create', kind: 'status', status: 400, code: 175, body: JSON.stringify({ code: 175, message: `Invalid argument near ${SECRETS.client_secret}` }) }] },
    expect: { code: 1, trace: /PARDOT_BAD_REQUEST/ },
    redacted: true,
  },
  { name: 'code 184 twice (refresh, rejected again)', fake: { faults: [{ on: 'read', kind: 'tokenExpired', times: 2 }] }, expect: { code: 1, trace: /PARDOT_AUTH_REJECTED/ } },
  {
    name: '5xx until retries are exhausted',
    fake: { faults: [{ on: 'create', kind: 'status', status: 503, times: 6, headers: { 'retry-after': '0' } }] },
    expect: { code: 1, trace: /PARDOT_UNAVAILABLE/ },
  },
  {
    name: 'a CSV error',
    fake: { faults: [{ on: 'download', kind: 'status', status: 200, body: 'id,email,updatedAt\nnot-a-number,a@b.c,2024-01-01 00:00:00\n' }] },
    expect: { code: 1, trace: /CSV_BAD_VALUE/ },
  },
  { name: 'resultRefs on a foreign origin', fake: (u) => ({ downloadOrigin: u }), expect: { code: 1, trace: /PARDOT_FOREIGN_ORIGIN/ } },
  {
    name: 'an API redirect to a foreign origin',
    fake: (u) => ({ faults: [{ on: 'create', kind: 'status', status: 302, headers: { location: `${u}/api/v5/exports` }, body: '' }] }),
    expect: { code: 1, trace: /PARDOT_REDIRECT/ },
  },
  {
    name: 'a token-endpoint redirect to a foreign origin',
    fake: (u) => ({ faults: [{ on: 'token', kind: 'status', status: 307, headers: { location: `${u}/services/oauth2/token` }, body: '' }] }),
    expect: { code: 1, trace: /AUTH_REDIRECT/ },
  },
  { name: 'the daily limit (code 122)', fake: { faults: [{ on: 'read', kind: 'dailyLimit', nth: 3 }] }, expect: { code: 1, trace: /PARDOT_DAILY_LIMIT/ } },
  { name: 'an unknown export state', fake: { faults: [{ on: 'read', kind: 'unknownState' }] }, expect: { code: 1, trace: /PARDOT_UNKNOWN_STATE/ } },
  { name: 'SIGTERM mid-poll', fake: { pollsUntilComplete: 1000 }, mode: 'sigterm', expect: { code: 1, trace: /ABORTED/ } },
  {
    name: 'a successful run with a token refresh, a reset and a cut download',
    fake: {
      faults: [
        { on: 'read', kind: 'tokenExpired', nth: 2 },
        { on: 'download', kind: 'reset' },
        { on: 'download', kind: 'cut', afterBytes: 30, nth: 2 },
      ],
    },
    expect: { code: 0 },
  },
  { name: 'a successful check', mode: 'check', expect: { code: 0, status: 'SUCCEEDED' } },
];

function leaks(text: string, tokens: readonly string[]): string[] {
  const secrets = [SECRETS.client_secret, SECRETS.refresh_token, 'wrong-secret-7f3a9c', 'wrong-refresh-5e1d2b', ...tokens];
  return secrets.filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
}

describe('no secret in any output, credentials only to the configured origins', () => {
  it.concurrent.each(CASES.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const opts = typeof c.fake === 'function' ? c.fake(foreign.url) : (c.fake ?? {});
    const fake = await startFake(data, { ...opts });
    try {
      const cfg = config(fake, start, c.config);
      let r: CliResult;
      if (c.mode === 'check') {
        r = await runCli(['check', '--config', writeJson(tempDir(), 'config.json', cfg)]);
      } else if (c.mode === 'sigterm') {
        let child: ChildProcess | undefined;
        const run = read(cfg, catalog(), undefined, { onSpawn: (ch) => (child = ch) });
        await waitFor(() => fake.stats.calls.read >= 2);
        child!.kill('SIGTERM');
        r = await run;
      } else {
        r = await read(cfg, catalog(['prospects'], 'incremental', ['email']));
      }
      const msgs = parseLines(r.stdout);
      expect(r.code, r.stderr).toBe(c.expect.code);
      if (c.expect.trace) expect(errorTrace(msgs)?.internal_message).toMatch(c.expect.trace);
      if (c.expect.status) {
        const st = msgs.find((m) => m.type === 'CONNECTION_STATUS')!.connectionStatus;
        expect(st.status).toBe(c.expect.status);
        if (c.expect.message) expect(st.message).toMatch(c.expect.message);
      }
      const text = r.stdout + '\n' + r.stderr;
      outputs.push({ name: c.name, text, tokens: fake.issuedTokens });
      expect(leaks(text, fake.issuedTokens), `secrets in the output of '${c.name}'`).toEqual([]);
      if (c.redacted) expect(errorTrace(msgs)!.message).toContain('**********');
      // Stack traces are redacted too (they are part of the TRACE message searched above).
      const trace = errorTrace(msgs);
      if (trace) expect(trace.stack_trace).not.toMatch(/Bearer\s+[A-Za-z0-9]/);
    } finally {
      await fake.close();
    }
  });

  it('the foreign origin received zero requests, and tokens were issued and searched for', () => {
    expect(foreign.log).toHaveLength(0);
    expect(foreign.stats.calls).toEqual({ token: 0, account: 0, create: 0, read: 0, query: 0, cancel: 0, download: 0, objects: 0 });
    expect(outputs.length).toBe(CASES.length);
    const tokens = outputs.flatMap((o) => o.tokens);
    expect(tokens.length).toBeGreaterThan(10);
    for (const o of outputs) expect(leaks(o.text, tokens), o.name).toEqual([]);
    console.log(
      `Security battery: ${outputs.length} runs, ${outputs.reduce((n, o) => n + o.text.length, 0)} bytes of stdout+stderr searched ` +
        `for 4 configured secrets and ${tokens.length} issued access tokens: 0 found; foreign origin requests: ${foreign.log.length}.`,
    );
  });
});
